/**
 * @module Findings as people work with them: list and filter, show with evidence, and move through
 * their states (open → acknowledged → resolved, or false-positive), each change audited. Findings are
 * created by sources (`discovery/apply-source-result.ts`), never by hand.
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { SEVERITIES, type Severity } from '../discovery/finding-severity.js';
import type { Evidence, FindingType } from '../discovery/host-observation.js';
import { FINDING_TYPES } from '../discovery/host-observation.js';
import { invalidInput, notFound } from '../errors.js';
import { deviceLabels, labelIn } from '../inventory/device-label.js';
import { type FindingRow, listFindings as listRows, updateFinding } from '../store/discovery-store.js';
import { nowIso } from '../store/ids.js';
import { type DbHandle, transaction } from '../store/transaction.js';

export const FINDING_STATES = ['open', 'acknowledged', 'resolved', 'false-positive'] as const;
export type FindingState = (typeof FINDING_STATES)[number];

/** The Finding JSON contract (docs/findings.md). */
export interface Finding {
  id: string;
  type: FindingType;
  severity: Severity;
  deviceId: string;
  /** What people call the device (inventory/device-label.ts): for display; `deviceId` stays the key. */
  deviceLabel: string;
  assetTag: string | null;
  subject: string;
  title: string;
  state: FindingState;
  evidence: Evidence;
  lastEvidence: Evidence;
  details: Record<string, unknown>;
  occurrences: number;
  firstSeen: string;
  lastSeen: string;
}

export const FindingQuerySchema = z.strictObject({
  type: z.enum(FINDING_TYPES).optional(),
  severity: z.array(z.enum(SEVERITIES)).optional(),
  state: z.array(z.enum(FINDING_STATES)).optional(),
  deviceId: z.string().max(64).optional(),
});
export type FindingQuery = z.input<typeof FindingQuerySchema>;

type Row = FindingRow & { asset_tag: string | null };

function toFinding(r: Row, labels: ReadonlyMap<string, string>): Finding {
  return {
    id: r.id,
    type: r.type as FindingType,
    severity: r.severity as Severity,
    deviceId: r.device_id,
    deviceLabel: labelIn(labels, r.device_id),
    assetTag: r.asset_tag,
    subject: r.subject,
    title: r.title,
    state: r.state as FindingState,
    evidence: JSON.parse(r.evidence) as Evidence,
    lastEvidence: JSON.parse(r.last_evidence) as Evidence,
    details: JSON.parse(r.details) as Record<string, unknown>,
    occurrences: r.occurrences,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
  };
}

/** Findings of stored rows, with the labels of their devices read in one batch. */
async function toFindings(h: DbHandle, rows: readonly Row[]): Promise<Finding[]> {
  const labels = await deviceLabels(
    h,
    rows.map((r) => r.device_id),
  );
  return rows.map((r) => toFinding(r, labels));
}

function parseQuery(query: unknown) {
  const parsed = FindingQuerySchema.safeParse(query ?? {});
  if (!parsed.success) {
    throw invalidInput(
      'Invalid finding query',
      parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'query', reason: i.message })),
    );
  }
  return parsed.data;
}

export async function listFindings(
  h: DbHandle,
  actor: Actor,
  query: unknown,
  page: { limit?: number; offset?: number } = {},
): Promise<Finding[]> {
  assertCan(actor, 'findings:read');
  const q = parseQuery(query);
  const rows = await listRows(
    h,
    { ...q, siteIds: actor.siteIds },
    { limit: Math.min(page.limit ?? 1000, 10_000), offset: page.offset ?? 0 },
  );
  return toFindings(h, rows);
}

/** Every finding matching the query, in pages, for `--json` and exports of any size. */
export async function* streamFindings(h: DbHandle, actor: Actor, query: unknown): AsyncGenerator<Finding> {
  for (let offset = 0; ; offset += 1000) {
    const page = await listFindings(h, actor, query, { limit: 1000, offset });
    yield* page;
    if (page.length < 1000) return;
  }
}

export async function getFinding(h: DbHandle, actor: Actor, id: string): Promise<Finding> {
  assertCan(actor, 'findings:read');
  const [row] = await h.db
    .selectFrom('findings as x')
    .innerJoin('devices as d', 'd.id', 'x.device_id')
    .selectAll('x')
    .select(['d.asset_tag', 'd.site_id'])
    .where('x.id', '=', id)
    .execute();
  if (!row || (actor.siteIds && !actor.siteIds.includes(row.site_id ?? ''))) throw notFound(`Finding ${id}`);
  const [finding] = await toFindings(h, [row]);
  return finding!;
}

export async function setFindingState(
  h: DbHandle,
  actor: Actor,
  id: string,
  state: FindingState,
  reason?: string,
): Promise<Finding> {
  assertCan(actor, 'findings:write');
  if (!FINDING_STATES.includes(state)) throw invalidInput(`Unknown finding state "${state}"`);
  if (state === 'false-positive' && !reason?.trim()) {
    throw invalidInput('Say why it is a false positive: a reason is required', [
      { field: 'reason', reason: 'required' },
    ]);
  }
  return transaction(h, async (tx) => {
    const before = await getFinding(tx, actor, id);
    if (before.state !== state) {
      await updateFinding(tx, id, { state, updated_at: nowIso() });
      await appendAudit(tx, {
        actor,
        action: 'finding.state',
        target: { type: 'finding', id },
        summary: {
          type: before.type,
          subject: before.subject,
          before: { state: before.state },
          after: { state },
          reason: reason ?? null,
        },
      });
    }
    return { ...before, state };
  });
}
