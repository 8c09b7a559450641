/**
 * @module Evidence `unnecessary-services`: when `vigil services check` last ran and the open
 * `unnecessary-service` findings it left (services a device offers that neither its manufacturer nor
 * its MDS2 form nor its fleet needs).
 */

import { listAudit } from '../../audit/audit-log.js';
import { plural } from '../../format-count.js';
import { openFindingsOf } from '../../store/compliance-store.js';
import { ageInDays, type EvidenceCollector, evidence, findingGaps } from './evidence.js';

export const SERVICES_CHECK_DAYS = 183;

export const collectUnnecessaryServices: EvidenceCollector = async (ctx) => {
  const check = (await listAudit(ctx.h, { action: 'services.check', limit: 1 }))[0];
  const open = await openFindingsOf(ctx.h, ['unnecessary-service'], ctx.siteIds, 20);
  const base = {
    kind: 'unnecessary-services' as const,
    title: 'Unnecessary services disabled',
    figures: { lastCheckAt: check?.at ?? null, openFindings: open.total },
    asOf: check?.at ?? null,
    gaps: await findingGaps(ctx, open.items),
  };
  if (!check)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: 'the unnecessary-services check has never run',
    });
  if (open.total > 0)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: `${plural(open.total, 'unnecessary service')} still open on devices`,
    });
  const age = ageInDays(check.at, ctx.now) ?? 0;
  return age > SERVICES_CHECK_DAYS
    ? evidence(ctx, {
        ...base,
        status: 'partial',
        reason: `last check ${plural(age, 'day')} ago > ${SERVICES_CHECK_DAYS}`,
      })
    : evidence(ctx, {
        ...base,
        status: 'met',
        reason: `no unnecessary service open; checked ${plural(age, 'day')} ago`,
      });
};
