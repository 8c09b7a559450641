/**
 * @module Evidence `inventory-review` and `network-map-review`: the recorded sign-offs
 * (`vigil report review inventory|network-map`), due at least every 12 months (HHS NPRM schedule).
 */
import { plural } from '../../format-count.js';
import { communicationFigures, latestReview } from '../../store/compliance-store.js';
import { ageInDays, type EvidenceCollector, type EvidenceContext, evidence } from './evidence.js';

export const REVIEW_INTERVAL_DAYS = 365;

async function review(ctx: EvidenceContext, kind: 'inventory' | 'network-map') {
  const row = await latestReview(ctx.h, kind);
  const what = kind === 'inventory' ? 'asset inventory' : 'network map';
  const figures: Record<string, string | number | null> = {
    lastReviewAt: row?.reviewed_at ?? null,
    lastReviewBy: row?.reviewed_by ?? null,
    note: row?.note ?? null,
  };
  if (kind === 'network-map')
    figures['conversations'] = (await communicationFigures(ctx.h, ctx.siteIds)).conversations;
  const base = {
    kind: kind === 'inventory' ? ('inventory-review' as const) : ('network-map-review' as const),
    title: `${what[0]!.toUpperCase()}${what.slice(1)} review`,
    figures,
    asOf: row?.reviewed_at ?? null,
  };
  if (!row)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: `no review of the ${what} recorded (vigil report review ${kind})`,
    });
  const age = ageInDays(row.reviewed_at, ctx.now) ?? 0;
  return age > REVIEW_INTERVAL_DAYS
    ? evidence(ctx, {
        ...base,
        status: 'not-met',
        reason: `${what} last reviewed ${plural(age, 'day')} ago > ${REVIEW_INTERVAL_DAYS}`,
      })
    : evidence(ctx, {
        ...base,
        status: 'met',
        reason: `${what} reviewed ${plural(age, 'day')} ago by ${row.reviewed_by} (≤ ${REVIEW_INTERVAL_DAYS})`,
      });
}

export const collectInventoryReview: EvidenceCollector = (ctx) => review(ctx, 'inventory');
export const collectNetworkMapReview: EvidenceCollector = (ctx) => review(ctx, 'network-map');
