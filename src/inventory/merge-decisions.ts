/**
 * @module What people decided about the duplicate that a merge hands to the record: VEX statements made
 * for the device alone, SSVC overrides of the device, and decisions on FDA recall matches. Each is a
 * judgement about the physical device, whichever record it was made on; left on the duplicate, matching
 * (which skips merged records) would never read it again, and the record would show the vulnerability
 * as affected, its risk without the override, or the recall as undecided. Runs inside the merge's
 * transaction; risk acceptances follow in tasks/merge-tasks.ts.
 */
import type { Actor } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { deleteMatches, type RecallMatchRow, updateMatch } from '../store/recall-store.js';
import type { DbHandle } from '../store/transaction.js';

export interface MergeDecisionCounts {
  /** Device-level VEX statements of the duplicate, now the record's. */
  vexStatementsMoved: number;
  /** SSVC overrides of the duplicate now the record's (revoked and expired ones too, as its history). */
  riskOverridesMoved: number;
  /** Overrides in force on the duplicate revoked because the record has its own of that decision point. */
  riskOverridesRevoked: number;
  /** Recall matches of the duplicate now the record's (the record had none for that recall). */
  recallMatchesMoved: number;
  /** Recall matches folded into the record's own for the same recall (a decision carried over if it had none). */
  recallMatchesFolded: number;
}

const DECIDED = new Set(['confirmed', 'rejected']);

export async function moveMergeDecisions(
  tx: DbHandle,
  actor: Actor,
  fromId: string,
  toId: string,
  now: string,
  labels: { before: readonly string[]; after: string },
): Promise<MergeDecisionCounts> {
  const vex = await moveVex(tx, fromId, toId, labels);
  const overrides = await moveOverrides(tx, actor, fromId, toId, now);
  const recalls = await moveRecallMatches(tx, fromId, toId, now);
  return {
    vexStatementsMoved: vex,
    riskOverridesMoved: overrides.moved,
    riskOverridesRevoked: overrides.revoked,
    recallMatchesMoved: recalls.moved,
    recallMatchesFolded: recalls.folded,
  };
}

/**
 * The matcher applies the most specific statement, then the latest: a device's statements join the
 * record's as if made on it. A statement the hospital made names its device in `product` (`device
 * OLD-7`, as `vex list` shows it): that takes the record's label.
 */
async function moveVex(
  tx: DbHandle,
  fromId: string,
  toId: string,
  labels: { before: readonly string[]; after: string },
): Promise<number> {
  const rows = await tx.db
    .selectFrom('vex_statements')
    .select(['id', 'origin', 'product'])
    .where('device_id', '=', fromId)
    .execute();
  const named = new Set(labels.before.map((l) => `device ${l}`));
  for (const r of rows) {
    const product = r.origin === 'hospital' && named.has(r.product) ? `device ${labels.after}` : r.product;
    await tx.db
      .updateTable('vex_statements')
      .set({ device_id: toId, product })
      .where('id', '=', r.id)
      .execute();
  }
  return rows.length;
}

/**
 * The work queue applies one device override per decision point (the oldest in force). Where both records
 * have one in force for a point, they disagree on a value: the record's own stands, as its own facts do in
 * a merge, and the duplicate's is revoked, audited like a revocation by hand with the reason. The
 * duplicate's other overrides (and its ended ones) become the record's.
 */
async function moveOverrides(
  tx: DbHandle,
  actor: Actor,
  fromId: string,
  toId: string,
  now: string,
): Promise<{ moved: number; revoked: number }> {
  const rows = await tx.db
    .selectFrom('risk_overrides')
    .selectAll()
    .where('scope', '=', 'device')
    .where('device_id', 'in', [fromId, toId])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const inForce = (r: (typeof rows)[number]) => r.revoked_at === null && r.expires_at > now;
  const ours = new Map(rows.filter((r) => r.device_id === toId && inForce(r)).map((r) => [r.point, r]));
  let revoked = 0;
  for (const r of rows.filter((x) => x.device_id === fromId && inForce(x))) {
    const o = ours.get(r.point);
    if (!o) continue;
    await tx.db.updateTable('risk_overrides').set({ revoked_at: now }).where('id', '=', r.id).execute();
    await appendAudit(tx, {
      actor,
      action: 'risk.override-revoke',
      target: { type: 'device', id: toId },
      summary: {
        override: r.id,
        point: r.point,
        value: r.value,
        reason: `device ${fromId} was merged into ${toId}, whose own override ${o.id} of ${o.point} (${o.value}) stands`,
        keptOverride: o.id,
      },
    });
    revoked++;
  }
  const moved = await tx.db
    .updateTable('risk_overrides')
    .set({ device_id: toId })
    .where('scope', '=', 'device')
    .where('device_id', '=', fromId)
    .executeTakeFirst();
  return { moved: Number(moved.numUpdatedRows), revoked };
}

/**
 * One match per recall and device. A duplicate's match for a recall the record has none for moves (the
 * next `recalls match` re-checks an undecided one against the record). Where the record has one too, a
 * person's decision on the duplicate's carries over when the record's is undecided, and the duplicate's
 * row goes; a decision on each stays as it was (the duplicate's is still the record of that review).
 */
async function moveRecallMatches(
  tx: DbHandle,
  fromId: string,
  toId: string,
  now: string,
): Promise<{ moved: number; folded: number }> {
  const rows = await tx.db
    .selectFrom('recall_matches')
    .selectAll()
    .where('device_id', 'in', [fromId, toId])
    .execute();
  const ours = new Map<string, RecallMatchRow>(
    rows.filter((r) => r.device_id === toId).map((r) => [r.recall_id, r]),
  );
  let moved = 0;
  const drop: string[] = [];
  for (const m of rows.filter((r) => r.device_id === fromId)) {
    const o = ours.get(m.recall_id);
    if (!o) {
      await updateMatch(tx, m.id, { device_id: toId, updated_at: now });
      moved++;
      continue;
    }
    if (DECIDED.has(o.state) && DECIDED.has(m.state)) continue;
    if (DECIDED.has(m.state))
      await updateMatch(tx, o.id, {
        state: m.state,
        decided_by: m.decided_by,
        decided_at: m.decided_at,
        decision_reason: m.decision_reason,
        updated_at: now,
      });
    drop.push(m.id);
  }
  await deleteMatches(tx, drop);
  return { moved, folded: drop.length };
}
