/**
 * @module Evidence `device-disposal`: every retired device that held ePHI has a record that its ePHI
 * was sanitized (NIST SP 800-88: clear, purge or destroy), for HIPAA §164.310(d)(2)(i) Disposal and
 * (ii) Media re-use. A retired device whose ePHI handling is unknown cannot be shown safe either: without
 * a record it keeps the evidence from being met, and is named.
 */
import { plural, pluralWord } from '../../format-count.js';
import { deviceLabels, labelIn } from '../../inventory/device-label.js';
import { retiredDeviceDisposals, sanitizationFigures } from '../../store/sanitization-store.js';
import { type EvidenceCollector, evidence } from './evidence.js';

/** Devices named as gaps at most; the figures count them all. */
export const DISPOSAL_GAPS_MAX = 50;

export const collectDeviceDisposal: EvidenceCollector = async (ctx) => {
  const retired = await retiredDeviceDisposals(ctx.h, ctx.siteIds);
  const all = await sanitizationFigures(ctx.h, ctx.siteIds);
  const ephi = retired.filter((d) => d.ephi === true);
  const unknown = retired.filter((d) => d.ephi === null);
  const ephiMissing = ephi.filter((d) => d.records === 0);
  const unknownMissing = unknown.filter((d) => d.records === 0);
  const named = [...ephiMissing, ...unknownMissing].slice(0, DISPOSAL_GAPS_MAX);
  const labels = await deviceLabels(
    ctx.h,
    named.map((d) => d.deviceId),
  );
  const gaps = named.map(
    (d) =>
      `${labelIn(labels, d.deviceId)}: retired, ${d.ephi ? 'held ePHI' : 'ePHI handling unknown'}, no sanitization record`,
  );
  const more = ephiMissing.length + unknownMissing.length - named.length;
  if (more > 0) gaps.push(`… and ${plural(more, 'more retired device')} without a sanitization record`);
  // The newest sanitization of any device in scope: a re-used device's record is evidence too.
  const asOf = all.lastPerformedOn ? `${all.lastPerformedOn}T00:00:00.000Z` : null;
  const base = {
    kind: 'device-disposal' as const,
    title: 'Device disposal and media re-use',
    figures: {
      retiredDevices: retired.length,
      retiredEphi: ephi.length,
      retiredEphiSanitized: ephi.length - ephiMissing.length,
      retiredEphiUnknown: unknown.length,
      retiredEphiUnknownSanitized: unknown.length - unknownMissing.length,
      sanitizationRecords: all.records,
      lastSanitization: all.lastPerformedOn,
    },
    asOf,
    gaps,
  };
  if (ephi.length > 0 && ephiMissing.length === ephi.length)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: `none of ${plural(ephi.length, 'retired device')} that held ePHI has a sanitization record`,
    });
  if (ephiMissing.length > 0)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `${ephiMissing.length} of ${plural(ephi.length, 'retired device')} that held ePHI ${pluralWord(ephiMissing.length, 'has', 'have')} no sanitization record`,
    });
  if (unknownMissing.length > 0)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `${plural(unknownMissing.length, 'retired device')} whose ePHI handling is unknown ${pluralWord(unknownMissing.length, 'has', 'have')} no sanitization record${ephi.length ? `; ${pluralWord(ephi.length, 'the 1', `all ${ephi.length}`)} that held ePHI ${pluralWord(ephi.length, 'has', 'have')} one` : ''}`,
    });
  if (retired.length === 0)
    return evidence(ctx, {
      ...base,
      status: 'met',
      reason: 'no device is retired, so none awaits sanitization',
    });
  if (ephi.length + unknown.length === 0)
    return evidence(ctx, {
      ...base,
      status: 'met',
      reason: `none of ${plural(retired.length, 'retired device')} held ePHI`,
    });
  return evidence(ctx, {
    ...base,
    status: 'met',
    reason: `every retired device that held ePHI or may have (${ephi.length + unknown.length} of ${retired.length} retired) has a sanitization record`,
  });
};
