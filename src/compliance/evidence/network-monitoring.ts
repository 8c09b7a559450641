/**
 * @module Evidence `network-monitoring` (how recently sensors or imports added communications),
 * `incident-handling` (alerts raised and whether people work them; no alert counts only while
 * something watched) and `log-collection` (alerts
 * forwarded to a syslog collector; Vigil's own audit log is hash-chained).
 */
import { plural } from '../../format-count.js';
import { alertDestinationKinds, alertFigures, communicationFigures } from '../../store/compliance-store.js';
import { ageInDays, byAge, daysBefore, type EvidenceCollector, evidence } from './evidence.js';

/** Monitoring older than this is not continuous any more. */
export const MONITORING_FRESH_DAYS = 7;
export const MONITORING_STALE_DAYS = 30;
/** A `new` alert nobody looked at for longer than this is unhandled. */
export const ALERT_HANDLING_DAYS = 7;

export const collectNetworkMonitoring: EvidenceCollector = async (ctx) => {
  const c = await communicationFigures(ctx.h, ctx.siteIds);
  const base = {
    kind: 'network-monitoring' as const,
    title: 'Network monitoring',
    figures: { conversations: c.conversations, lastSeen: c.lastSeen },
    asOf: c.lastSeen,
  };
  if (!c.lastSeen)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: 'no device communications recorded by a sensor or import',
    });
  const age = ageInDays(c.lastSeen, ctx.now) ?? 0;
  const status = byAge(age, MONITORING_FRESH_DAYS, MONITORING_STALE_DAYS);
  return evidence(ctx, {
    ...base,
    status,
    reason:
      status === 'met'
        ? `communications seen ${plural(age, 'day')} ago ≤ ${MONITORING_FRESH_DAYS}`
        : `last communication seen ${plural(age, 'day')} ago > ${MONITORING_FRESH_DAYS}${status === 'not-met' ? ` (and > ${MONITORING_STALE_DAYS})` : ''}`,
  });
};

export const collectIncidentHandling: EvidenceCollector = async (ctx) => {
  const a = await alertFigures(ctx.h, ctx.siteIds, daysBefore(ctx.now, ALERT_HANDLING_DAYS));
  const c = await communicationFigures(ctx.h, ctx.siteIds);
  const base = {
    kind: 'incident-handling' as const,
    title: 'Alerts handled',
    figures: {
      alerts: a.total,
      new: a.byState['new'] ?? 0,
      acknowledged: a.byState['acknowledged'] ?? 0,
      resolved: a.byState['resolved'] ?? 0,
      falsePositive: a.byState['false-positive'] ?? 0,
      unhandledOlderThanThreshold: a.unhandledStale,
      monitoringLastSeen: c.lastSeen,
    },
    asOf: a.lastSeen,
  };
  if (a.total === 0) {
    // No alert is evidence of handling only while something watched the network: with no recent
    // communications, silence says nothing about incidents.
    if (!c.lastSeen)
      return evidence(ctx, {
        ...base,
        status: 'no-evidence',
        reason:
          'no alerts raised, and no monitoring to raise them: no device communications recorded by a sensor or import',
      });
    const age = ageInDays(c.lastSeen, ctx.now) ?? 0;
    if (age > MONITORING_FRESH_DAYS)
      return evidence(ctx, {
        ...base,
        status: 'no-evidence',
        reason: `no alerts raised, but the network was last monitored ${plural(age, 'day')} ago > ${MONITORING_FRESH_DAYS}: nothing watched to raise them`,
      });
    return evidence(ctx, {
      ...base,
      status: 'met',
      reason: `no alerts raised while the network was monitored (communications seen ${plural(age, 'day')} ago ≤ ${MONITORING_FRESH_DAYS}); none waiting for a person`,
    });
  }
  if (a.unhandledStale > 0)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `${plural(a.unhandledStale, 'alert')} still new after more than ${plural(ALERT_HANDLING_DAYS, 'day')}`,
    });
  return evidence(ctx, {
    ...base,
    status: 'met',
    reason: `${plural(a.total, 'alert')}, none left new for more than ${plural(ALERT_HANDLING_DAYS, 'day')}`,
  });
};

export const collectLogCollection: EvidenceCollector = async (ctx) => {
  const kinds = await alertDestinationKinds(ctx.h);
  const syslog = kinds['syslog'] ?? 0;
  const webhook = kinds['webhook'] ?? 0;
  const base = {
    kind: 'log-collection' as const,
    title: 'Central log collection',
    figures: { syslog, webhook },
  };
  if (syslog > 0)
    return evidence(ctx, {
      ...base,
      status: 'met',
      reason: `alerts forwarded to ${plural(syslog, 'syslog collector')}`,
    });
  if (webhook > 0)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: 'alerts go to webhooks only; no syslog/SIEM destination enabled',
    });
  return evidence(ctx, {
    ...base,
    status: 'not-met',
    reason: 'no alert destination enabled (syslog or webhook)',
  });
};
