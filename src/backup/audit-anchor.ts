/**
 * @module Which backup the audit log is checked against (checkAuditAnchor), given the restores the log
 * records. `vigil db restore` replaces the log with the restored backup's and appends `db.restore`; every
 * backup taken after the restored one was made and before that restore (the restore's own safety copy
 * among them) recorded the head of the log that was replaced, which the restored log rightly does not
 * hold. Such a backup shows a restore, not a cut. Every other backup still counts: a log cut short or
 * rewritten without a recorded restore is still caught.
 */
import { listAudit } from '../audit/audit-log.js';
import type { DbHandle } from '../store/transaction.js';

/** A `db.restore` entry of the log as it stands. */
export interface RecordedRestore {
  seq: number;
  at: string;
  /** The backup put back, and when it was taken (null when it had no manifest). */
  restoredFile: string | null;
  restoredCreatedAt: string | null;
  /** The safety copy of the replaced database (the entry's target), when one was taken. */
  safetyCopyId: string | null;
  safetyCopyFile: string | null;
}

/** A backup as far as anchoring needs it: when it was taken, and its id or file when known. */
export interface BackupRef {
  id?: string | null;
  file?: string | null;
  startedAt: string;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** The restores the log records, newest first. */
export async function recordedRestores(h: DbHandle): Promise<RecordedRestore[]> {
  // Restores are rare; `action` filters by prefix, so the exact name is checked here.
  const entries = await listAudit(h, { action: 'db.restore', limit: 10_000 });
  return entries
    .filter((e) => e.action === 'db.restore' && e.outcome === 'success')
    .map((e) => {
      const restored = (e.summary['restored'] ?? {}) as Record<string, unknown>;
      return {
        seq: e.seq,
        at: e.at,
        restoredFile: text(restored['file']),
        restoredCreatedAt: text(restored['createdAt']),
        safetyCopyId: e.targetType === 'backup' ? e.targetId : null,
        safetyCopyFile: text(e.summary['safetyCopy']),
      };
    });
}

/**
 * The recorded restore that replaced the log `backup` was taken of, if any: the backup was taken after
 * the restored backup and before the restore. When the restored backup's time is unknown (it had no
 * manifest), only the restore's own safety copy is known to be of the replaced log.
 */
export function restoreReplacing(
  restores: readonly RecordedRestore[],
  backup: BackupRef,
): RecordedRestore | undefined {
  const taken = Date.parse(backup.startedAt);
  return restores.find((r) => {
    if (!(taken <= Date.parse(r.at))) return false;
    if (r.restoredCreatedAt) return taken > Date.parse(r.restoredCreatedAt);
    return (
      (Boolean(backup.id) && backup.id === r.safetyCopyId) ||
      (Boolean(backup.file) && backup.file === r.safetyCopyFile)
    );
  });
}

export interface AnchorBackup {
  id: string;
  startedAt: string;
  entries: number;
  headHash: string;
}

/**
 * The newest good backup with a recorded audit head that no recorded restore replaced, and how many newer
 * ones were passed over because one did (the log they recorded is the one a restore replaced).
 */
export async function anchorBackup(h: DbHandle): Promise<{ backup: AnchorBackup | null; replaced: number }> {
  const rows = await h.db
    .selectFrom('backups')
    .select(['id', 'file', 'started_at', 'audit_entries', 'audit_head_hash'])
    .where('status', '=', 'ok')
    .where('audit_head_hash', 'is not', null)
    .orderBy('started_at', 'desc')
    .execute();
  const restores = rows.length ? await recordedRestores(h) : [];
  let replaced = 0;
  for (const b of rows) {
    if (restoreReplacing(restores, { id: b.id, file: b.file, startedAt: b.started_at })) {
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
    };
  }
  return { backup: null, replaced };
}
