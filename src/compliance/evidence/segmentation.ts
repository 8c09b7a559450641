/**
 * @module Evidence `segmentation`: an approved segmentation policy for every site (or one for every
 * site at once), approved within the last 12 months (firewalls kept up to date).
 */

import { plural, pluralWord } from '../../format-count.js';
import { siteNames } from '../../store/compliance-store.js';
import { approvedPolicy, policyScope } from '../../store/policy-store.js';
import { ageInDays, type EvidenceCollector, evidence, newest } from './evidence.js';

export const POLICY_REVIEW_DAYS = 365;

export const collectSegmentation: EvidenceCollector = async (ctx) => {
  const all = await approvedPolicy(ctx.h, policyScope(null));
  const sites = await siteNames(ctx.h, ctx.siteIds);
  const missing: string[] = [];
  let oldest: string | null = all?.approved_at ?? null;
  let latest: string | null = all?.approved_at ?? null;
  for (const s of sites) {
    const p = await approvedPolicy(ctx.h, policyScope(s.id));
    if (p?.approved_at) {
      latest = newest(latest, p.approved_at);
      if (!oldest || p.approved_at < oldest) oldest = p.approved_at;
    } else if (!all) missing.push(s.name);
  }
  const covered = sites.length - missing.length;
  const figures = {
    sites: sites.length,
    sitesWithPolicy: covered,
    allSitesPolicy: !!all,
    oldestApproval: oldest,
  };
  const base = { kind: 'segmentation' as const, title: 'Segmentation policy', figures, asOf: latest };
  const gaps = missing.map((m) => `site ${m}: no approved segmentation policy`);
  if (!latest)
    return evidence(ctx, { ...base, status: 'not-met', reason: 'no approved segmentation policy', gaps });
  if (missing.length)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `${missing.length} of ${plural(sites.length, 'site')} ${pluralWord(missing.length, 'has', 'have')} no approved policy: ${missing.join(', ')}`,
      gaps,
    });
  const age = ageInDays(oldest, ctx.now) ?? 0;
  if (age > POLICY_REVIEW_DAYS)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `oldest approved policy is ${plural(age, 'day')} old > ${POLICY_REVIEW_DAYS}`,
    });
  return evidence(ctx, {
    ...base,
    status: 'met',
    reason: `approved policies cover every site; oldest approval ${plural(age, 'day')} ago ≤ ${POLICY_REVIEW_DAYS}`,
  });
};
