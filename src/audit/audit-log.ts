/**
 * @module The append-only audit log. Each entry records who did what, when, from where, with a
 * before/after summary, and carries the SHA-256 of the previous entry, so editing or deleting any row
 * behind the application's back breaks the chain at that row (`vigil audit verify`). The application
 * never updates or deletes entries, and database triggers refuse to as well.
 */
import { createHash } from 'node:crypto';
import type { Actor } from '../accounts/actor.js';
import { escapeControl } from '../escape-control.js';
import { newId, nowIso } from '../store/ids.js';
import { takeLock } from '../store/locks.js';
import type { AuditLogTable } from '../store/schema.js';
import type { DbHandle } from '../store/transaction.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditInput {
  actor: Pick<Actor, 'kind' | 'name' | 'ip'>;
  /** Dotted verb, e.g. `device.update`, `auth.login`, `devices.import`. */
  action: string;
  outcome?: 'success' | 'failure';
  target?: { type: string; id?: string | undefined };
  /** Before/after summary or counts. Never secrets or patient data. */
  summary?: Record<string, unknown>;
}

export interface AuditEntry {
  seq: number;
  id: string;
  at: string;
  actor: string;
  actorKind: string;
  action: string;
  outcome: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  summary: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** Transactions whose entries are held until `deferAudit` appends them (see below). */
const deferred = new WeakMap<object, AuditInput[]>();

/**
 * Appends one entry. Call inside the transaction that makes the change it records. Inside `deferAudit`
 * the entry is kept and appended when `deferAudit`'s work is done; it then
 * returns null.
 */
export async function appendAudit(tx: DbHandle, input: AuditInput): Promise<AuditEntry | null> {
  const held = deferred.get(tx.db);
  if (held) {
    held.push(input);
    return null;
  }
  const [entry] = await appendAuditEntries(tx, [input]);
  return entry!;
}

/**
 * Runs `fn` (in the transaction `tx`) with every `appendAudit` of it held back, then appends them all, in
 * the order they were made, in one step at the end: the audit lock (store/locks.ts), which serialises every
 * writer of the chain, is then held only for that append and the commit instead of from the first entry
 * on. Nested calls join the outermost one. Entries are the same and in the same order as without it;
 * their time is that of the append.
 */
export async function deferAudit<T>(tx: DbHandle, fn: () => Promise<T>): Promise<T> {
  if (deferred.has(tx.db)) return fn();
  const held: AuditInput[] = [];
  deferred.set(tx.db, held);
  try {
    const out = await fn();
    deferred.delete(tx.db);
    await appendAuditEntries(tx, held);
    return out;
  } finally {
    deferred.delete(tx.db);
  }
}

async function appendAuditEntries(tx: DbHandle, inputs: AuditInput[]): Promise<AuditEntry[]> {
  if (!inputs.length) return [];
  await takeLock(tx, 'audit');
  const last = await tx.db
    .selectFrom('audit_log')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  let seq = last ? Number(last.seq) : 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  // The time of the append (as the seq): the chain's times stay in seq order.
  const at = nowIso();
  const rows: AuditLogTable[] = inputs.map((input) => {
    const row: Omit<AuditLogTable, 'hash'> = {
      seq: ++seq,
      id: newId(),
      at,
      // Actor names come from outside too (an OS user, a token's or provider's name): never a line break.
      actor: escapeControl(input.actor.name),
      actor_kind: input.actor.kind,
      action: input.action,
      outcome: input.outcome ?? 'success',
      target_type: input.target?.type ?? null,
      target_id: input.target?.id ?? null,
      ip: input.actor.ip ?? null,
      summary: JSON.stringify(input.summary ?? {}),
      prev_hash: prevHash,
    };
    const full: AuditLogTable = { ...row, hash: entryHash(row) };
    prevHash = full.hash;
    return full;
  });
  // 12 parameters a row: well under PostgreSQL's 65,535 and SQLite's 32,766 per statement.
  for (let i = 0; i < rows.length; i += 1000)
    await tx.db
      .insertInto('audit_log')
      .values(rows.slice(i, i + 1000))
      .execute();
  return rows.map(toEntry);
}

/** The hash covers every stored column except the hash itself, in a fixed order. */
export function entryHash(row: Omit<AuditLogTable, 'hash'>): string {
  const canonical = JSON.stringify([
    Number(row.seq),
    row.id,
    row.at,
    row.actor,
    row.actor_kind,
    row.action,
    row.outcome,
    row.target_type,
    row.target_id,
    row.ip,
    row.summary,
    row.prev_hash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  /** The first entry whose chain does not hold, and why. */
  firstBroken?: { seq: number; id: string; reason: string };
}

/** Recomputes the whole chain in seq order, reading in pages so memory stays flat. */
export async function verifyAuditChain(handle: DbHandle, pageSize = 2000): Promise<VerifyResult> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let entries = 0;
  for (;;) {
    const rows = await handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    for (const row of rows) {
      const seq = Number(row.seq);
      const broken = (reason: string): VerifyResult => ({
        ok: false,
        entries,
        firstBroken: { seq, id: row.id, reason },
      });
      if (seq !== expectedSeq) {
        return {
          ok: false,
          entries,
          firstBroken: {
            seq: expectedSeq,
            id: row.id,
            reason: `entries ${expectedSeq}–${seq - 1} are missing (next present is ${seq})`,
          },
        };
      }
      if (row.prev_hash !== prevHash)
        return broken('prev_hash does not match the hash of the entry before it');
      if (entryHash(row) !== row.hash) return broken('content does not match its hash (the row was altered)');
      prevHash = row.hash;
      expectedSeq++;
      entries++;
    }
    if (rows.length < pageSize) return { ok: true, entries };
  }
}

/**
 * Whether the log still holds the head a backup recorded (its length and last hash). The chain alone
 * cannot show entries cut off its end, or a whole log rewritten from the start; a head recorded
 * elsewhere (a backup's manifest on another disk) can: every entry up to it must still be there,
 * unchanged, once the chain verifies.
 */
export async function checkAuditAnchor(
  handle: DbHandle,
  anchor: { entries: number; headHash: string | null },
): Promise<{ ok: boolean; reason?: string }> {
  if (anchor.entries === 0 || !anchor.headHash) return { ok: true };
  const row = await handle.db
    .selectFrom('audit_log')
    .select('hash')
    .where('seq', '=', anchor.entries)
    .executeTakeFirst();
  if (!row)
    return {
      ok: false,
      reason: `entry ${anchor.entries}, the last one when the backup was taken, is missing: the log was cut short`,
    };
  if (row.hash !== anchor.headHash)
    return {
      ok: false,
      reason: `entry ${anchor.entries} is not the one the backup recorded: the log was rewritten up to it`,
    };
  return { ok: true };
}

export interface AuditQuery {
  since?: string;
  until?: string;
  actor?: string;
  action?: string;
  /** Entries with seq below this (keyset paging, newest first). */
  beforeSeq?: number;
  limit?: number;
}

export async function listAudit(handle: DbHandle, q: AuditQuery = {}): Promise<AuditEntry[]> {
  let query = handle.db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(q.limit ?? 100);
  if (q.since) query = query.where('at', '>=', q.since);
  if (q.until) query = query.where('at', '<', q.until);
  if (q.actor) query = query.where('actor', '=', q.actor);
  if (q.action) query = query.where('action', 'like', `${q.action}%`);
  if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
  return (await query.execute()).map(toEntry);
}

/** Every entry in chain order, page by page, for export. */
export async function* exportAudit(
  handle: DbHandle,
  q: Pick<AuditQuery, 'since' | 'until'> = {},
): AsyncGenerator<AuditEntry> {
  let after = 0;
  for (;;) {
    let query = handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(2000);
    if (q.since) query = query.where('at', '>=', q.since);
    if (q.until) query = query.where('at', '<', q.until);
    const rows = await query.execute();
    for (const r of rows) yield toEntry(r);
    if (rows.length < 2000) return;
    after = Number(rows.at(-1)!.seq);
  }
}

function toEntry(r: AuditLogTable): AuditEntry {
  return {
    seq: Number(r.seq),
    id: r.id,
    at: r.at,
    actor: r.actor,
    actorKind: r.actor_kind,
    action: r.action,
    outcome: r.outcome,
    targetType: r.target_type,
    targetId: r.target_id,
    ip: r.ip,
    summary: JSON.parse(r.summary) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
