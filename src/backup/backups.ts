/**
 * @module Vigil's own backups: take one (verified before it counts), verify a file, restore one, keep
 * the newest scheduled ones. This database's audit log records actions whose documentation a hospital
 * keeps six years (HIPAA §164.316(b)(2)(i)), and its inventory, decisions and evidence are hard to rebuild, so a backup is only
 * called good once the copy itself was read back: SQLite's integrity check, the audit chain recomputed,
 * the file's SHA-256 in a manifest beside it.
 *
 * A restore never reopens access that was closed after the backup was taken: every session ends, and
 * accounts disabled and API tokens revoked in the database being replaced stay so in the restored one.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Actor } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { conflict, invalidInput, notFound, VigilError } from '../errors.js';
import { secretKeyring } from '../secrets/secret-key.js';
import type { VigilDatabase } from '../store/database.js';
import { newId, nowIso } from '../store/ids.js';
import { MIGRATIONS, migrateToLatest } from '../store/migrate.js';
import type { BackupTable } from '../store/schema.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { VERSION } from '../version.js';
import type { DatabaseContents } from './contents.js';
import { readContents } from './contents.js';
import {
  type BackupManifest,
  MANIFEST_FORMAT,
  manifestPathOf,
  readManifest,
  sha256File,
} from './manifest.js';
import { dumpPostgres, listDump, restorePostgres } from './postgres-backup.js';
import { copySqlite, restoreSqlite, withSqliteBackup } from './sqlite-backup.js';

export type BackupTrigger = BackupManifest['trigger'];
type AuditActor = Pick<Actor, 'kind' | 'name' | 'ip'>;

/** Where backups go when `backupDir` is not set: `backups/` beside the SQLite file, else ./vigil-data/backups. */
export function backupDirFor(config: { db: string; backupDir?: string | undefined }): string {
  if (config.backupDir) return resolve(config.backupDir);
  if (config.db.startsWith('sqlite:') && !/^sqlite:(:memory:)?$/.test(config.db))
    return join(dirname(resolve(config.db.slice('sqlite:'.length))), 'backups');
  return resolve('vigil-data', 'backups');
}

const FILE_NAME = /^vigil-(\d{8}T\d{6}Z)(?:-(\d+))?-(manual|scheduled|before-restore)\.(db|dump)$/;

function stampOf(at: string): string {
  return `${at.slice(0, 19).replace(/[-:]/g, '')}Z`;
}

function assertBackupable(vdb: VigilDatabase): void {
  if (vdb.dialect === 'sqlite' && !vdb.file)
    throw conflict('An in-memory database cannot be backed up: it ends with the process');
  if (vdb.dialect === 'postgres' && (!vdb.connectionUrl || !vdb.schema))
    throw new VigilError('internal', 'PostgreSQL database without its connection settings');
}

export interface BackupResult {
  id: string;
  file: string;
  manifest: BackupManifest;
  /** Things a person should know: the audit chain did not verify, secrets sealed by other keys. */
  warnings: string[];
}

/**
 * Takes a backup into `dir` (created 0700; the file and its manifest are 0600: they hold everything the
 * database holds), verifies it, records it in `backups` and the audit log. A failure is recorded too,
 * and leaves no partial file behind.
 */
export async function createBackup(
  vdb: VigilDatabase,
  opts: { dir: string; trigger: BackupTrigger; actor: AuditActor },
): Promise<BackupResult> {
  assertBackupable(vdb);
  const startedAt = nowIso();
  const id = newId();
  const dir = resolve(opts.dir);
  let file: string | null = null;
  let partial: string | null = null;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    file = await freeName(dir, stampOf(startedAt), opts.trigger, vdb.dialect === 'sqlite' ? 'db' : 'dump');
    partial = `${file}.partial-${randomBytes(4).toString('hex')}`;
    // Made 0600 before anything is written into it (SQLite and pg_dump keep an existing file's mode): a
    // backup directory that others can list never shows them a readable copy, even while it is made.
    await writeFile(partial, '', { mode: 0o600, flag: 'wx' });
    let contents: DatabaseContents;
    if (vdb.dialect === 'sqlite') {
      await copySqlite(vdb.file!, partial);
      contents = await withSqliteBackup(partial, readContents);
    } else {
      contents = await dumpPostgres(vdb.connectionUrl!(), vdb.schema!, partial);
      await listDump(partial);
    }
    await chmod(partial, 0o600);
    const bytes = (await stat(partial)).size;
    const sha256 = await sha256File(partial);
    await rename(partial, file);
    partial = null;
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      createdAt: startedAt,
      trigger: opts.trigger,
      vigilVersion: VERSION,
      dialect: vdb.dialect,
      ...(vdb.dialect === 'postgres' ? { schema: vdb.schema! } : {}),
      source: vdb.description,
      file: basename(file),
      bytes,
      sha256,
      schemaVersion: contents.schemaVersion,
      counts: contents.counts,
      audit: { entries: contents.audit.entries, headHash: contents.audit.headHash },
      sealedKeyIds: contents.sealedKeyIds,
    };
    await writeFileAtomic(manifestPathOf(file), `${JSON.stringify(manifest, null, 2)}\n`);
    const warnings = contentWarnings(contents);
    await transaction(vdb, async (tx) => {
      await tx.db
        .insertInto('backups')
        .values(row(id, opts, startedAt, 'ok', { file, bytes, sha256, contents }))
        .execute();
      await appendAudit(tx, {
        actor: opts.actor,
        action: 'db.backup',
        target: { type: 'backup', id },
        summary: {
          file,
          bytes,
          sha256,
          trigger: opts.trigger,
          auditEntries: contents.audit.entries,
          warnings,
        },
      });
    });
    return { id, file, manifest, warnings };
  } catch (e) {
    if (partial) await rm(partial, { force: true }).catch(() => undefined);
    const error = e instanceof Error ? e.message : String(e);
    await transaction(vdb, async (tx) => {
      await tx.db
        .insertInto('backups')
        .values(row(id, opts, startedAt, 'failed', { file, error }))
        .execute();
      await appendAudit(tx, {
        actor: opts.actor,
        action: 'db.backup',
        outcome: 'failure',
        target: { type: 'backup', id },
        summary: { trigger: opts.trigger, error },
      });
    }).catch(() => undefined);
    throw e;
  }
}

function row(
  id: string,
  opts: { trigger: BackupTrigger; actor: AuditActor },
  startedAt: string,
  status: 'ok' | 'failed',
  r: { file: string | null; bytes?: number; sha256?: string; contents?: DatabaseContents; error?: string },
): BackupTable {
  return {
    id,
    trigger: opts.trigger,
    started_at: startedAt,
    finished_at: nowIso(),
    status,
    file: r.file,
    bytes: r.bytes ?? null,
    sha256: r.sha256 ?? null,
    schema_version: r.contents?.schemaVersion ?? null,
    audit_entries: r.contents?.audit.entries ?? null,
    audit_head_hash: r.contents?.audit.headHash ?? null,
    error: r.error ?? null,
    actor: opts.actor.name,
  };
}

async function freeName(dir: string, stamp: string, trigger: BackupTrigger, ext: string): Promise<string> {
  for (let n = 1; ; n++) {
    const file = join(dir, `vigil-${stamp}${n > 1 ? `-${n}` : ''}-${trigger}.${ext}`);
    try {
      await stat(file);
    } catch {
      return file;
    }
  }
}

async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.partial-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

function contentWarnings(contents: DatabaseContents): string[] {
  const warnings: string[] = [];
  if (!contents.audit.chainOk)
    warnings.push(
      `the audit log's chain does not verify (${contents.audit.broken}): run vigil audit verify on the database and keep this copy as evidence`,
    );
  return [...warnings, ...keyWarnings(contents.sealedKeyIds)];
}

function keyWarnings(sealedKeyIds: readonly string[]): string[] {
  const keys = secretKeyring().openingKeys();
  const missing = sealedKeyIds.filter((k) => !keys.has(k));
  return missing.length
    ? [
        `secrets in it are sealed with key ${missing.join(', ')}, which this Vigil does not have: keep that secret.key with the backup (webhook secrets and authenticator keys cannot be opened without it)`,
      ]
    : [];
}

export interface VerifyResult {
  file: string;
  ok: boolean;
  dialect: 'sqlite' | 'postgres' | null;
  bytes: number;
  sha256: string;
  manifest: BackupManifest | null;
  /** Read from the file itself (SQLite backups); a PostgreSQL dump relies on its manifest. */
  contents: DatabaseContents | null;
  /** What makes the file unfit to restore. */
  problems: string[];
  warnings: string[];
}

/** Checks a backup file: its manifest and SHA-256, that it opens, its audit chain, which Vigil can restore it. */
export async function verifyBackup(path: string): Promise<VerifyResult> {
  const file = resolve(path);
  let bytes: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw invalidInput(`Backup ${file} is not a file`);
    bytes = s.size;
  } catch (e) {
    if (e instanceof VigilError) throw e;
    throw notFound(`Backup ${file}`);
  }
  const manifest = await readManifest(file);
  const sha256 = await sha256File(file);
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!manifest)
    warnings.push(`no manifest (${basename(manifestPathOf(file))}) beside it: its SHA-256 cannot be checked`);
  else if (manifest.sha256 !== sha256 || manifest.bytes !== bytes)
    problems.push(
      `the file differs from its manifest (SHA-256 ${sha256.slice(0, 16)}…, ${bytes} bytes; the manifest says ${manifest.sha256.slice(0, 16)}…, ${manifest.bytes} bytes): it changed after the backup was taken`,
    );
  const dialect = manifest?.dialect ?? (await sniff(file));
  let contents: DatabaseContents | null = null;
  if (!dialect) problems.push('neither a SQLite database nor a PostgreSQL custom-format dump');
  else if (dialect === 'sqlite') {
    try {
      contents = await withSqliteBackup(file, readContents);
    } catch (e) {
      problems.push((e as Error).message);
    }
  } else {
    try {
      await listDump(file);
    } catch (e) {
      problems.push((e as Error).message);
    }
    if (!manifest)
      problems.push(
        'a PostgreSQL dump is restored by its manifest (schema name, migrations), and it has none',
      );
  }
  if (contents) {
    if (!contents.audit.chainOk)
      problems.push(`its audit log's chain does not verify (${contents.audit.broken})`);
    if (
      manifest &&
      (manifest.audit.entries !== contents.audit.entries ||
        manifest.audit.headHash !== contents.audit.headHash)
    )
      problems.push('its audit log differs from the one its manifest recorded');
  }
  const schemaVersion = contents?.schemaVersion ?? manifest?.schemaVersion ?? null;
  if (schemaVersion && !(schemaVersion in MIGRATIONS))
    problems.push(
      `it was made by a newer Vigil (migration ${schemaVersion}); upgrade Vigil before restoring it`,
    );
  // A broken chain is already a problem above; the key check needs only the key ids.
  warnings.push(...keyWarnings(contents?.sealedKeyIds ?? manifest?.sealedKeyIds ?? []));
  return { file, ok: problems.length === 0, dialect, bytes, sha256, manifest, contents, problems, warnings };
}

async function sniff(file: string): Promise<'sqlite' | 'postgres' | null> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(16);
    await fh.read(head, 0, 16, 0);
    if (head.toString('latin1') === 'SQLite format 3\0') return 'sqlite';
    if (head.subarray(0, 5).toString('latin1') === 'PGDMP') return 'postgres';
    return null;
  } finally {
    await fh.close();
  }
}

export interface RestoreResult {
  restored: { file: string; createdAt: string | null; sha256: string; schemaVersion: string | null };
  /** The backup of what was replaced (absent with `safetyCopy: false`). */
  safetyCopy: string | null;
  /** PostgreSQL: the replaced schema, renamed and kept until someone drops it. */
  replacedSchema: string | null;
  migrationsApplied: string[];
  sessionsEnded: number;
  usersKeptDisabled: string[];
  tokensKeptRevoked: string[];
  /** Accounts whose password changed after the backup: the restored one is the older password again. */
  passwordsFromBeforeBackup: string[];
  warnings: string[];
}

/**
 * Replaces the database's contents with a backup (after `verifyBackup` passes), first taking a safety
 * copy of what is there unless told not to (a database too damaged to copy). Stop `vigil serve` first:
 * its caches and sessions belong to the data being replaced.
 */
export async function restoreBackup(
  vdb: VigilDatabase,
  path: string,
  opts: { dir: string; actor: AuditActor; safetyCopy?: boolean },
): Promise<RestoreResult> {
  assertBackupable(vdb);
  const check = await verifyBackup(path);
  if (!check.ok) throw conflict(`Backup ${check.file} cannot be restored: ${check.problems.join('; ')}`);
  if (check.dialect !== vdb.dialect)
    throw conflict(`Backup ${check.file} is a ${check.dialect} backup; this Vigil uses ${vdb.dialect}`);
  if (vdb.dialect === 'postgres' && check.manifest?.schema !== vdb.schema)
    throw conflict(
      `Backup ${check.file} holds schema ${check.manifest?.schema}; this Vigil uses schema ${vdb.schema} (restore it with pg_restore by hand to move it)`,
    );
  // What was closed in the database being replaced stays closed (module comment).
  // A database too damaged to read loses nothing here: the restore goes on, and says it could not look.
  const warnings = [...check.warnings];
  const [before, revokedTokens] = await Promise.all([
    vdb.db.selectFrom('users').select(['id', 'username', 'disabled', 'password_changed_at']).execute(),
    vdb.db.selectFrom('api_tokens').select('id').where('revoked_at', 'is not', null).execute(),
  ]).catch((e: unknown) => {
    warnings.push(
      `the database being replaced could not be read (${(e as Error).message}): accounts disabled and tokens revoked since the backup are not known, check them`,
    );
    return [[], []] as const;
  });
  const safety =
    opts.safetyCopy === false
      ? null
      : await createBackup(vdb, { dir: opts.dir, trigger: 'before-restore', actor: opts.actor });
  let replacedSchema: string | null = null;
  if (vdb.dialect === 'sqlite') await restoreSqlite(check.file, vdb.file!);
  else {
    replacedSchema = `${vdb.schema!.slice(0, 30)}_before_restore_${stampOf(nowIso()).toLowerCase()}`;
    await restorePostgres(vdb.connectionUrl!(), vdb.schema!, check.file, replacedSchema);
  }
  const migrations = await migrateToLatest(vdb);
  const disabledIds = before.filter((u) => Number(u.disabled) === 1).map((u) => u.id);
  const changedAt = new Map(before.map((u) => [u.id, u.password_changed_at]));
  return transaction(vdb, async (tx) => {
    const sessions = await tx.db.deleteFrom('sessions').executeTakeFirst();
    const restoredUsers = await tx.db
      .selectFrom('users')
      .select(['id', 'username', 'disabled', 'password_changed_at'])
      .execute();
    const keepDisabled = restoredUsers.filter((u) => Number(u.disabled) !== 1 && disabledIds.includes(u.id));
    if (keepDisabled.length)
      await tx.db
        .updateTable('users')
        .set({ disabled: 1, updated_at: nowIso() })
        .where(
          'id',
          'in',
          keepDisabled.map((u) => u.id),
        )
        .execute();
    const revokedIds = revokedTokens.map((t) => t.id);
    const keepRevoked = revokedIds.length
      ? await tx.db
          .selectFrom('api_tokens')
          .select(['id', 'name'])
          .where('revoked_at', 'is', null)
          .where('id', 'in', revokedIds)
          .execute()
      : [];
    if (keepRevoked.length)
      await tx.db
        .updateTable('api_tokens')
        .set({ revoked_at: nowIso() })
        .where(
          'id',
          'in',
          keepRevoked.map((t) => t.id),
        )
        .execute();
    const olderPasswords = restoredUsers.filter((u) => {
      const now = changedAt.get(u.id);
      return now !== undefined && now > u.password_changed_at;
    });
    if (safety)
      await tx.db
        .insertInto('backups')
        .values({
          id: safety.id,
          trigger: 'before-restore',
          started_at: safety.manifest.createdAt,
          finished_at: nowIso(),
          status: 'ok',
          file: safety.file,
          bytes: safety.manifest.bytes,
          sha256: safety.manifest.sha256,
          schema_version: safety.manifest.schemaVersion,
          audit_entries: safety.manifest.audit.entries,
          audit_head_hash: safety.manifest.audit.headHash,
          error: null,
          actor: opts.actor.name,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    const result: RestoreResult = {
      restored: {
        file: check.file,
        createdAt: check.manifest?.createdAt ?? null,
        sha256: check.sha256,
        schemaVersion: check.contents?.schemaVersion ?? check.manifest?.schemaVersion ?? null,
      },
      safetyCopy: safety?.file ?? null,
      replacedSchema,
      migrationsApplied: migrations.applied,
      sessionsEnded: Number(sessions.numDeletedRows),
      usersKeptDisabled: keepDisabled.map((u) => u.username),
      tokensKeptRevoked: keepRevoked.map((t) => t.name),
      passwordsFromBeforeBackup: olderPasswords.map((u) => u.username),
      warnings,
    };
    await appendAudit(tx, {
      actor: opts.actor,
      action: 'db.restore',
      target: { type: 'backup', id: safety?.id },
      summary: { ...result, warnings: result.warnings.length },
    });
    return result;
  });
}

/** Deletes the oldest scheduled backups in `dir` beyond `keep` (backups taken by hand, and safety copies, stay). */
export async function pruneScheduledBackups(dir: string, keep: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const scheduled = names
    .map((n) => ({ n, m: FILE_NAME.exec(n) }))
    .filter((x) => x.m?.[3] === 'scheduled')
    // Newest first: by time, then by the -2, -3 … of backups taken within the same second.
    .map((x) => ({ n: x.n, key: `${x.m![1]}${(x.m![2] ?? '1').padStart(6, '0')}` }))
    .sort((a, b) => (a.key < b.key ? 1 : -1));
  const removed: string[] = [];
  for (const { n } of scheduled.slice(keep)) {
    const file = join(dir, n);
    await rm(file, { force: true });
    await rm(manifestPathOf(file), { force: true });
    removed.push(file);
  }
  return removed;
}

export interface BackupRecord {
  id: string;
  trigger: string;
  startedAt: string;
  finishedAt: string;
  status: string;
  file: string | null;
  bytes: number | null;
  sha256: string | null;
  schemaVersion: string | null;
  auditEntries: number | null;
  error: string | null;
  actor: string;
}

export async function listBackups(h: DbHandle, limit = 50): Promise<BackupRecord[]> {
  const rows = await h.db
    .selectFrom('backups')
    .selectAll()
    .orderBy('started_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toRecord);
}

/**
 * The newest backup of a kind: `good` (a verified one taken by hand or on schedule: what the schedule and
 * "overdue" go by), `attempt` (by hand or on schedule, good or failed), `any` (safety copies too).
 */
export async function newestBackup(
  h: DbHandle,
  which: 'good' | 'attempt' | 'any',
): Promise<BackupRecord | null> {
  let q = h.db.selectFrom('backups').selectAll().orderBy('started_at', 'desc').limit(1);
  if (which !== 'any') q = q.where('trigger', 'in', ['manual', 'scheduled']);
  if (which === 'good') q = q.where('status', '=', 'ok');
  const r = await q.executeTakeFirst();
  return r ? toRecord(r) : null;
}

const toRecord = (r: BackupTable): BackupRecord => ({
  id: r.id,
  trigger: r.trigger,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  status: r.status,
  file: r.file,
  bytes: r.bytes === null ? null : Number(r.bytes),
  sha256: r.sha256,
  schemaVersion: r.schema_version,
  auditEntries: r.audit_entries === null ? null : Number(r.audit_entries),
  error: r.error,
  actor: r.actor,
});

/** What `GET /system` and `vigil serve` say about backups. */
export async function backupStatus(
  vdb: VigilDatabase,
  config: { db: string; backupDir?: string | undefined; backupIntervalHours: number; backupKeep: number },
) {
  const lastGood = await newestBackup(vdb, 'good');
  const lastAttempt = await newestBackup(vdb, 'any');
  const overdue =
    config.backupIntervalHours > 0 &&
    (!lastGood || Date.now() - Date.parse(lastGood.startedAt) > 2 * config.backupIntervalHours * 3_600_000);
  return {
    directory: backupDirFor(config),
    intervalHours: config.backupIntervalHours,
    keep: config.backupKeep,
    lastGood,
    lastAttempt,
    overdue,
  };
}
