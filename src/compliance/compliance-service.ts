/**
 * @module Compliance reporting as the CLI and the API use it: the report (reports:read), limited to
 * one site and to the actor's sites, and the recorded reviews of the inventory and network map
 * (program:write, audited).
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { notFound } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import type { QueueOptions } from '../risk/queue-service.js';
import { insertReview } from '../store/compliance-store.js';
import { newId } from '../store/ids.js';
import { findSite } from '../store/site-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { FRAMEWORK_IDS } from './controls/index.js';
import { type ComplianceReport, evaluateCompliance } from './evaluate.js';

export const REVIEW_KINDS = ['inventory', 'network-map'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];

export const ReportQuerySchema = z.strictObject({
  frameworks: z.array(z.enum(FRAMEWORK_IDS)).max(FRAMEWORK_IDS.length).optional(),
  site: z.string().min(1).max(200).optional(),
});
export type ReportQuery = z.input<typeof ReportQuerySchema>;

export async function complianceReport(
  h: DbHandle,
  actor: Actor,
  input: unknown,
  now: Date = new Date(),
  queue?: QueueOptions,
): Promise<ComplianceReport> {
  assertCan(actor, 'reports:read');
  const q = parseInput(ReportQuerySchema, input ?? {}, 'report query');
  let site: { id: string; name: string } | null = null;
  if (q.site) {
    const row = await findSite(h, q.site);
    // A site outside the actor's sites does not exist for it.
    if (!row || (actor.siteIds && !actor.siteIds.includes(row.id))) throw notFound(`Site ${q.site}`);
    site = { id: row.id, name: row.name };
  }
  const siteIds = site ? [site.id] : actor.siteIds;
  return evaluateCompliance(
    { h, now, siteIds, ...(queue ? { queue } : {}) },
    { frameworks: q.frameworks, site },
  );
}

export const ReviewInputSchema = z.strictObject({
  kind: z.enum(REVIEW_KINDS),
  note: z.string().trim().max(2000).optional(),
});

export interface Review {
  id: string;
  kind: ReviewKind;
  note: string | null;
  reviewedBy: string;
  reviewedAt: string;
}

/** Records that a person reviewed the asset inventory or the network map (HHS NPRM, every 12 months). */
export async function recordReview(
  h: DbHandle,
  actor: Actor,
  input: unknown,
  now = new Date(),
): Promise<Review> {
  assertCan(actor, 'program:write');
  const r = parseInput(ReviewInputSchema, input, 'review');
  const review: Review = {
    id: newId(),
    kind: r.kind,
    note: r.note ? r.note : null,
    reviewedBy: actor.name,
    reviewedAt: now.toISOString(),
  };
  await transaction(h, async (tx) => {
    await insertReview(tx, {
      id: review.id,
      kind: review.kind,
      note: review.note,
      reviewed_by: review.reviewedBy,
      reviewed_at: review.reviewedAt,
    });
    await appendAudit(tx, {
      actor,
      action: 'compliance.review',
      target: { type: 'compliance-review', id: review.id },
      summary: { kind: review.kind, hasNote: review.note !== null },
    });
  });
  return review;
}
