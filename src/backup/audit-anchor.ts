/**
 * @module Which backup the audit log is checked against (checkAuditAnchor), given the restores the log
 * records. `vigil db restore` replaces the log with the restored backup's and appends `db.restore`; every
 * backup taken after the restored one was made and before that restore (the restore's own safety copy
 * among them) recorded the head of the log that was replaced, which the restored log rightly does not
 * hold. Such a backup shows a restore, not a cut. Every other backup still counts: a log cut short or
 * rewritten without a recorded restore is still caught.
 *
 * The chain is not keyed, so a `db.restore` entry is only a claim: anyone who can write to the database
 * can cut the log and append one. A restore excuses backups only when the log proves it (proveRestore):
 * the entry names a backup Vigil knows (a good `backups` row, or for `audit verify --against` also its
 * manifest), the log holds exactly that backup's recorded head at its recorded position, and the entry
 * comes right after it. A forged entry then excuses only a log that is a real backup's log plus the
 * restore, which is what a real restore leaves, not a cut.
 */
import { type AuditEntry, checkAuditAnchor, listAudit } from '../audit/audit-log.js';
import { plural } from '../format-count.js';
import type { DbHandle } from '../store/transaction.js';
import { readManifest } from './manifest.js';

/** A `db.restore` entry of the log as it stands. */
export interface RecordedRestore {
  seq: number;
  at: string;
  /** The backup put back, as the entry names it. */
  restoredFile: string | null;
  restoredSha256: string | null;
  /**
   * When the restored backup was taken, from Vigil's own record of it (its `backups` row or manifest),
   * never from the entry; null while the log does not prove the restore.
   */
  restoredCreatedAt: string | null;
  /** The safety copy of the replaced database (the entry's target), when one was taken. */
  safetyCopyId: string | null;
  safetyCopyFile: string | null;
  /** Why the log does not prove this restore; null when it does. */
  unproven: string | null;
}

/** A backup as far as anchoring needs it: when it was taken. */
export interface BackupRef {
  startedAt: string;
}

/** The log a backup recorded, as Vigil knows it from outside the entry that claims it was restored. */
interface KnownBackup {
  createdAt: string;
  entries: number;
  headHash: string;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/**
 * The restores the log records, newest first, each proven or not. With `manifests`, the restored backup's
 * manifest (beside the file the entry names) is accepted as Vigil's record of it too, for a backup whose
 * row is gone (one restored from another installation, say).
 */
export async function recordedRestores(
  h: DbHandle,
  opts: { manifests?: boolean } = {},
): Promise<RecordedRestore[]> {
  // Restores are rare; `action` filters by prefix, so the exact name is checked here.
  const entries = await listAudit(h, { action: 'db.restore', limit: 10_000 });
  const restores: RecordedRestore[] = [];
  for (const e of entries) {
    if (e.action !== 'db.restore' || e.outcome !== 'success') continue;
    const restored = (e.summary['restored'] ?? {}) as Record<string, unknown>;
    const file = text(restored['file']);
    const sha256 = text(restored['sha256']);
    const proof = await proveRestore(h, e, file, sha256, opts.manifests ?? false);
    restores.push({
      seq: e.seq,
      at: e.at,
      restoredFile: file,
      restoredSha256: sha256,
      restoredCreatedAt: 'createdAt' in proof ? proof.createdAt : null,
      safetyCopyId: e.targetType === 'backup' ? e.targetId : null,
      safetyCopyFile: text(e.summary['safetyCopy']),
      unproven: 'unproven' in proof ? proof.unproven : null,
    });
  }
  return restores;
}

/**
 * Whether the log proves the restore `e` records: a backup Vigil knows has the SHA-256 it names, the log's
 * entry at that backup's recorded length is the head it recorded, and `e` is the very next entry (a
 * restore appends nothing before its own entry: migrations and the access it keeps closed write none).
 */
async function proveRestore(
  h: DbHandle,
  e: AuditEntry,
  file: string | null,
  sha256: string | null,
  manifests: boolean,
): Promise<{ createdAt: string } | { unproven: string }> {
  if (!sha256) return { unproven: 'it names no backup by SHA-256' };
  const known = await knownBackups(h, file, sha256, manifests);
  if (!known.length)
    return {
      unproven: `it names a backup (SHA-256 ${sha256.slice(0, 16)}…) that matches no backup Vigil knows`,
    };
  for (const b of known)
    if (e.seq === b.entries + 1 && e.prevHash === b.headHash && (await checkAuditAnchor(h, b)).ok)
      return { createdAt: b.createdAt };
  const b = known[0]!;
  return {
    unproven: `the backup it names (SHA-256 ${sha256.slice(0, 16)}…, taken ${b.createdAt}) recorded a log of ${plural(b.entries, 'entry', 'entries')}, which the log does not hold with this entry right after it`,
  };
}

async function knownBackups(
  h: DbHandle,
  file: string | null,
  sha256: string,
  manifests: boolean,
): Promise<KnownBackup[]> {
  const rows = await h.db
    .selectFrom('backups')
    .select(['started_at', 'audit_entries', 'audit_head_hash'])
    .where('status', '=', 'ok')
    .where('sha256', '=', sha256)
    .where('audit_entries', 'is not', null)
    .where('audit_head_hash', 'is not', null)
    .execute();
  const known: KnownBackup[] = rows.map((r) => ({
    createdAt: r.started_at,
    entries: Number(r.audit_entries),
    headHash: r.audit_head_hash!,
  }));
  if (manifests && file) {
    // A manifest that is missing, unreadable or not one proves nothing; it is no error here.
    const m = await readManifest(file).catch(() => null);
    if (m?.sha256 === sha256 && m.audit.headHash)
      known.push({ createdAt: m.createdAt, entries: m.audit.entries, headHash: m.audit.headHash });
  }
  return known;
}

/**
 * The proven restore that replaced the log `backup` was taken of, if any: the backup was taken after the
 * restored backup (by Vigil's record of it) and before the restore.
 */
export function restoreReplacing(
  restores: readonly RecordedRestore[],
  backup: BackupRef,
): RecordedRestore | undefined {
  const taken = Date.parse(backup.startedAt);
  return restores.find(
    (r) =>
      r.unproven === null &&
      r.restoredCreatedAt !== null &&
      taken <= Date.parse(r.at) &&
      taken > Date.parse(r.restoredCreatedAt),
  );
}

/**
 * The newest restore recorded after `backup` was taken that the log does not prove: it claims to have
 * replaced the backup's log, and is named when that log's head is missing.
 */
export function restoreClaimed(
  restores: readonly RecordedRestore[],
  backup: BackupRef,
): RecordedRestore | undefined {
  const taken = Date.parse(backup.startedAt);
  return restores.find((r) => r.unproven !== null && taken <= Date.parse(r.at));
}

/** What a not-met or failed check adds when an unproven restore claims to explain the missing head. */
export const claimedRestoreReason = (r: RecordedRestore): string =>
  `audit entry ${r.seq} claims a restore (db.restore) but does not match any known backup: ${r.unproven}`;

export interface AnchorBackup {
  id: string;
  startedAt: string;
  entries: number;
  headHash: string;
}

/**
 * The newest good backup with a recorded audit head that no proven restore replaced, how many newer ones
 * were passed over because one did (the log they recorded is the one a restore replaced), and the
 * unproven restore recorded since that backup, if any.
 */
export async function anchorBackup(h: DbHandle): Promise<{
  backup: AnchorBackup | null;
  replaced: number;
  claimed: RecordedRestore | null;
}> {
  const rows = await h.db
    .selectFrom('backups')
    .select(['id', 'started_at', 'audit_entries', 'audit_head_hash'])
    .where('status', '=', 'ok')
    .where('audit_head_hash', 'is not', null)
    .orderBy('started_at', 'desc')
    .execute();
  const restores = rows.length ? await recordedRestores(h) : [];
  let replaced = 0;
  for (const b of rows) {
    if (restoreReplacing(restores, { startedAt: b.started_at })) {
      replaced++;
      continue;
    }
    return {
      backup: {
        id: b.id,
        startedAt: b.started_at,
        entries: Number(b.audit_entries),
        headHash: b.audit_head_hash!,
      },
      replaced,
      claimed: restoreClaimed(restores, { startedAt: b.started_at }) ?? null,
    };
  }
  return { backup: null, replaced, claimed: null };
}
