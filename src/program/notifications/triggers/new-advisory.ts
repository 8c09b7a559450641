/**
 * @module Trigger: an advisory newly matched (within the last 30 days) as affecting devices of a model
 * the hospital owns. One notification per (advisory, model, site), to the organization's officers and
 * that site's officers. Matches older than the window are the backlog, which
 * the work queue and the digest already show.
 */
import { plural } from '../../../format-count.js';
import { streamVulnMatches } from '../../../matching/vulns-service.js';
import { deviceContext } from '../../../store/notification-store.js';
import { SYSTEM_ACTOR } from '../../../tasks/tasks-service.js';
import type { NotificationCandidate, NotificationTrigger } from '../candidate.js';

export const NEW_ADVISORY_DAYS = 30;

export const newAdvisoryTrigger: NotificationTrigger = {
  name: 'new-advisory',
  async run({ h, now }) {
    const since = new Date(now.getTime() - NEW_ADVISORY_DAYS * 86_400_000).toISOString();
    const recent: { deviceId: string; advisoryIds: string[]; vulnerability: string }[] = [];
    for await (const m of streamVulnMatches(h, SYSTEM_ACTOR, { status: ['affected'] }))
      if (m.firstMatched >= since && m.advisoryIds.length) recent.push(m);
    const devices = await deviceContext(
      h,
      recent.map((m) => m.deviceId),
    );
    const groups = new Map<
      string,
      {
        advisory: string;
        modelId: string;
        model: string;
        siteId: string | null;
        site: string | null;
        devices: Set<string>;
        vulns: Set<string>;
      }
    >();
    for (const m of recent) {
      const d = devices.get(m.deviceId);
      if (!d?.model_id) continue;
      for (const advisory of m.advisoryIds) {
        const key = `${advisory}|${d.model_id}|${d.site_id ?? '-'}`;
        let g = groups.get(key);
        if (!g) {
          g = {
            advisory,
            modelId: d.model_id,
            model: [d.manufacturer, d.model].filter(Boolean).join(' ') || d.model_id,
            siteId: d.site_id,
            site: d.site,
            devices: new Set(),
            vulns: new Set(),
          };
          groups.set(key, g);
        }
        g.devices.add(m.deviceId);
        g.vulns.add(m.vulnerability);
      }
    }
    return [...groups.values()].map(
      (g): NotificationCandidate => ({
        kind: 'new-advisory',
        key: `new-advisory:${g.advisory}:${g.modelId}:${g.siteId ?? '-'}`,
        severity: 'warning',
        title: `Advisory ${g.advisory} affects ${plural(g.devices.size, `${g.model} device`)}${g.site ? ` at ${g.site}` : ''}`,
        body: [
          `${g.advisory} affects ${plural(g.devices.size, 'device')} of model ${g.model}${g.site ? ` at ${g.site}` : ''}.`,
          `Vulnerabilities: ${[...g.vulns].sort().join(', ')}.`,
          `See: vigil vulns show ${g.advisory}`,
        ].join('\n'),
        siteIds: g.siteId ? [g.siteId] : [],
        details: { advisory: g.advisory, modelId: g.modelId, devices: g.devices.size },
      }),
    );
  },
};
