/**
 * @module Vigil's own backups: take one (verified before it counts), verify a file, restore one, keep
 * the newest scheduled ones. This database's audit log records actions whose documentation a hospital
 * keeps six years (HIPAA §164.316(b)(2)(i)), and its inventory, decisions and evidence are hard to rebuild, so a backup is only
 * called good once the copy itself was read back: SQLite's integrity check, the audit chain recomputed,
 * the file's SHA-256 in a manifest beside it.
 *
 * A restore never reopens access that was closed after the backup was taken: every session ends, and
 * accounts disabled, roles narrowed, second factors changed and API or SCIM tokens revoked in the database
 * being replaced stay so in the restored one (`restore-access.ts`).
 *
 * With recipients, the verified copy is encrypted with age (`backup-encryption.ts`) and the plaintext
 * removed, on failure too: only `<name>.db.age` / `<name>.dump.age` and the manifest remain. Checking or
 * restoring one decrypts it into a private temporary directory that is always removed.
 */
import { chmod, mkdir, mkdtemp, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Actor } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { conflict, invalidInput, notFound, VigilError } from '../errors.js';
import { plural } from '../format-count.js';
import type { Logger } from '../log.js';
import { secretKeyring } from '../secrets/secret-key.js';
import type { VigilDatabase } from '../store/database.js';
import { newId, nowIso } from '../store/ids.js';
import { MIGRATIONS, migrateToLatest } from '../store/migrate.js';
import type { BackupTable } from '../store/schema.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { VERSION } from '../version.js';
import { ageRecipientProblem } from './age-recipient.js';
import {
  AGE_SUFFIX,
  type AgeIdentities,
  decryptFile,
  encryptFile,
  isAgeFile,
  NOT_ENCRYPTED_TO_IDENTITY,
} from './backup-encryption.js';
import { isUnfinishedBackup, makeWorkDir, removeAbandonedWork } from './backup-workspace.js';
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
import { type AccessKept, keepAccessClosed, NOTHING_KNOWN, readAccessState } from './restore-access.js';
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

/** A backup's name: `vigil-STAMP[-N]-TRIGGER.db|dump[.age]`. */
export const BACKUP_FILE_NAME =
  /^vigil-(\d{8}T\d{6}Z)(?:-(\d+))?-(manual|scheduled|before-restore)\.(db|dump)(\.age)?$/;

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
 * database holds), verifies it, records it in `backups` and the audit log. With `recipients` (age public
 * keys) the verified copy is encrypted to them and its plaintext removed. The copy is made, checked and
 * encrypted in a private directory of the workspace (`backup-workspace.ts`) and only the finished file
 * is renamed beside the backups. A failure is recorded too, and leaves no partial file behind, plaintext
 * or encrypted; what a process killed in the middle left is removed first (`removeInterruptedWork`).
 */
export async function createBackup(
  vdb: VigilDatabase,
  opts: {
    dir: string;
    trigger: BackupTrigger;
    actor: AuditActor;
    recipients?: readonly string[];
    log?: Logger | undefined;
  },
): Promise<BackupResult> {
  assertBackupable(vdb);
  const startedAt = nowIso();
  const id = newId();
  const dir = resolve(opts.dir);
  const recipients = [...(opts.recipients ?? [])];
  const encrypted = recipients.length > 0;
  let file: string | null = null;
  let work: string | null = null;
  const warnings: string[] = [];
  try {
    for (const r of recipients) {
      const problem = ageRecipientProblem(r);
      if (problem) throw invalidInput(`Cannot encrypt the backup: ${problem}`);
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const leftovers = await removeInterruptedWork(vdb, dir, opts.actor, opts.log);
    if (leftovers.length)
      warnings.push(
        `removed ${plural(leftovers.length, 'file')} an interrupted backup or restore left: ${leftovers.join(', ')}`,
      );
    work = await makeWorkDir(dir, 'backup');
    const ext = vdb.dialect === 'sqlite' ? 'db' : 'dump';
    file = await freeName(dir, stampOf(startedAt), opts.trigger, encrypted ? `${ext}${AGE_SUFFIX}` : ext);
    const base = basename(file);
    // Named as unfinished even inside the workspace, and the plaintext's name never ends in .age.
    const plaintext = join(work, `${encrypted ? base.slice(0, -AGE_SUFFIX.length) : base}.partial`);
    // Made 0600 before anything is written into it (SQLite and pg_dump keep an existing file's mode).
    await writeFile(plaintext, '', { mode: 0o600, flag: 'wx' });
    let contents: DatabaseContents;
    if (vdb.dialect === 'sqlite') {
      await copySqlite(vdb.file!, plaintext);
      contents = await withSqliteBackup(plaintext, readContents);
    } else {
      contents = await dumpPostgres(vdb.connectionUrl!(), vdb.schema!, plaintext);
      await listDump(plaintext);
    }
    await chmod(plaintext, 0o600);
    let bytes = (await stat(plaintext)).size;
    let sha256 = await sha256File(plaintext);
    let encryption: BackupManifest['encryption'];
    if (encrypted) {
      const sealedPartial = join(work, `${base}.partial`);
      const sealed = await encryptFile(plaintext, sealedPartial, recipients);
      await rm(plaintext, { force: true });
      await rename(sealedPartial, file);
      encryption = { format: 'age', recipients, plaintextBytes: bytes, plaintextSha256: sha256 };
      ({ bytes, sha256 } = sealed);
    } else await rename(plaintext, file);
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      createdAt: startedAt,
      trigger: opts.trigger,
      vigilVersion: VERSION,
      dialect: vdb.dialect,
      ...(vdb.dialect === 'postgres' ? { schema: vdb.schema! } : {}),
      source: vdb.description,
      file: base,
      bytes,
      sha256,
      schemaVersion: contents.schemaVersion,
      counts: contents.counts,
      audit: { entries: contents.audit.entries, headHash: contents.audit.headHash },
      sealedKeyIds: contents.sealedKeyIds,
      ...(encryption ? { encryption } : {}),
    };
    await writeManifest(work, file, manifest);
    warnings.push(...contentWarnings(contents));
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
          ...(encryption
            ? { encrypted: true, recipients, plaintextSha256: encryption.plaintextSha256 }
            : { encrypted: false }),
          warnings,
        },
      });
    });
    return { id, file, manifest, warnings };
  } catch (e) {
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
        summary: { trigger: opts.trigger, encrypted, ...(encrypted ? { recipients } : {}), error },
      });
    }).catch(() => undefined);
    throw e;
  } finally {
    if (work) await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Removes what a backup, encryption or restore killed in the middle left in `dir` (plaintext copies of
 * the database among it; `removeAbandonedWork`), with a log line and an audit entry
 * `backup.remove-partial` naming every file. Returns the files removed.
 */
export async function removeInterruptedWork(
  h: DbHandle,
  dir: string,
  actor: AuditActor,
  log?: Logger,
): Promise<string[]> {
  const { removed, reasons } = await removeAbandonedWork(dir);
  if (!removed.length) return removed;
  await transaction(h, (tx) =>
    appendAudit(tx, {
      actor,
      action: 'backup.remove-partial',
      target: { type: 'backup' },
      summary: { dir, files: removed, reasons },
    }),
  );
  log?.warn({ dir, files: removed, reasons }, 'removed files an interrupted backup or restore left');
  return removed;
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

/**
 * The first name of the second not taken by a backup, encrypted or not: a plain backup encrypted later
 * (`encrypt-backups.ts`) keeps its name with `.age`, so the plain name is still that backup's.
 */
async function freeName(dir: string, stamp: string, trigger: BackupTrigger, ext: string): Promise<string> {
  const sealed = ext.endsWith(AGE_SUFFIX);
  const plainExt = sealed ? ext.slice(0, -AGE_SUFFIX.length) : ext;
  const taken = (f: string) =>
    stat(f).then(
      () => true,
      () => false,
    );
  for (let n = 1; ; n++) {
    const plain = join(dir, `vigil-${stamp}${n > 1 ? `-${n}` : ''}-${trigger}.${plainExt}`);
    if (!(await taken(plain)) && !(await taken(`${plain}${AGE_SUFFIX}`)))
      return sealed ? `${plain}${AGE_SUFFIX}` : plain;
  }
}

/** Writes the manifest of `file` in the work directory `work`, then renames it beside `file`. */
export async function writeManifest(work: string, file: string, manifest: BackupManifest): Promise<void> {
  const tmp = join(work, `${basename(manifestPathOf(file))}.partial`);
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(tmp, manifestPathOf(file));
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
        `secrets in it are sealed with key ${missing.join(', ')}, which this Vigil does not have: keep that secret.key with the backup (webhook secrets, webhook URL queries and authenticator keys cannot be opened without it)`,
      ]
    : [];
}

export interface VerifyResult {
  file: string;
  ok: boolean;
  dialect: 'sqlite' | 'postgres' | null;
  /** Size and SHA-256 of the file on disk (of an encrypted backup: the encrypted file). */
  bytes: number;
  sha256: string;
  manifest: BackupManifest | null;
  /** Encrypted with age (by its manifest, or by its first line). */
  encrypted: boolean;
  /** Whether the database copy itself was read: false for an encrypted backup checked without its identity. */
  contentChecked: boolean;
  /** Read from the file itself (SQLite backups); a PostgreSQL dump relies on its manifest. */
  contents: DatabaseContents | null;
  /** What makes the file unfit to restore. */
  problems: string[];
  warnings: string[];
}

export interface VerifyOptions {
  /** The age identities to decrypt an encrypted backup with (`readAgeIdentities`). */
  identities?: AgeIdentities | undefined;
  /**
   * The backup directory in whose workspace the decrypted copy is made (`backup-workspace.ts`; default: a
   * private directory in the system's temporary directory).
   */
  workIn?: string | undefined;
}

/**
 * Checks a backup file: its manifest and SHA-256, that it opens, its audit chain, which Vigil can restore
 * it. An encrypted backup is decrypted with `identities` into a private temporary file for the checks;
 * without them only its SHA-256 is checked, and `contentChecked` is false.
 */
export async function verifyBackup(path: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  return withVerifiedBackup(path, opts, async (v) => v);
}

/**
 * Verifies the backup and runs `fn` with the result and the file that holds the database copy: the file
 * itself, or its decrypted copy (0600, in a 0700 directory made for it), removed when `fn` ends however
 * it ends; null for an encrypted backup without identities.
 */
async function withVerifiedBackup<T>(
  path: string,
  opts: VerifyOptions,
  fn: (v: VerifyResult, plaintext: string | null) => Promise<T>,
): Promise<T> {
  const file = resolve(path);
  if (isUnfinishedBackup(file))
    throw invalidInput(
      `${file} is not a backup: it is what an interrupted backup, encryption or restore left unfinished (Vigil removes it at the next backup); restore a finished one (vigil db backups)`,
    );
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
  const warnings: string[] = [...(opts.identities?.warnings ?? [])];
  if (!manifest)
    warnings.push(`no manifest (${basename(manifestPathOf(file))}) beside it: its SHA-256 cannot be checked`);
  else if (manifest.sha256 !== sha256 || manifest.bytes !== bytes)
    problems.push(
      `the file differs from its manifest (SHA-256 ${sha256.slice(0, 16)}…, ${bytes} bytes; the manifest says ${manifest.sha256.slice(0, 16)}…, ${manifest.bytes} bytes): it changed after the backup was taken`,
    );
  const encrypted = manifest?.encryption !== undefined || (await isAgeFile(file));
  const result = (
    dialect: VerifyResult['dialect'],
    contents: DatabaseContents | null,
    contentChecked: boolean,
  ): VerifyResult => {
    const schemaVersion = contents?.schemaVersion ?? manifest?.schemaVersion ?? null;
    if (schemaVersion && !(schemaVersion in MIGRATIONS))
      problems.push(
        `it was made by a newer Vigil (migration ${schemaVersion}); upgrade Vigil before restoring it`,
      );
    // A broken chain is already a problem; the key check needs only the key ids.
    warnings.push(...keyWarnings(contents?.sealedKeyIds ?? manifest?.sealedKeyIds ?? []));
    return {
      file,
      ok: problems.length === 0,
      dialect,
      bytes,
      sha256,
      manifest,
      encrypted,
      contentChecked,
      contents,
      problems,
      warnings,
    };
  };

  if (!encrypted) {
    const { dialect, contents } = await checkContents(file, manifest, problems);
    return fn(result(dialect, contents, true), file);
  }
  if (!opts.identities) {
    if (manifest)
      warnings.push(
        'it is encrypted: only its SHA-256 was checked against the manifest; its content could not be checked without the identity (--identity KEYFILE)',
      );
    else
      problems.push(
        'it is encrypted with age and has no manifest: nothing can be checked without the identity (--identity KEYFILE)',
      );
    return fn(result(manifest?.dialect ?? null, null, false), null);
  }
  const dir = opts.workIn
    ? await makeWorkDir(opts.workIn, 'decrypt')
    : await mkdtemp(join(tmpdir(), '.vigil-decrypted-'));
  try {
    const plaintext = join(dir, basename(file).replace(/\.age$/, '') || 'backup');
    try {
      const plain = await decryptFile(file, plaintext, opts.identities, manifest?.encryption?.recipients);
      const expected = manifest?.encryption;
      if (expected && (expected.plaintextSha256 !== plain.sha256 || expected.plaintextBytes !== plain.bytes))
        problems.push(
          `its decrypted content differs from the manifest's plaintextSha256 (${plain.sha256.slice(0, 16)}…, ${plain.bytes} bytes; the manifest says ${expected.plaintextSha256.slice(0, 16)}…, ${expected.plaintextBytes} bytes)`,
        );
    } catch (e) {
      // The wrong key is the caller's mistake, not the backup's: an error, not a finding about the file.
      if (e instanceof VigilError && e.issues[0]?.reason === NOT_ENCRYPTED_TO_IDENTITY) throw e;
      problems.push((e as Error).message);
      return await fn(result(manifest?.dialect ?? null, null, false), null);
    }
    const { dialect, contents } = await checkContents(plaintext, manifest, problems);
    return await fn(result(dialect, contents, true), plaintext);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The checks on the database copy itself: it opens, its integrity, its audit chain against the manifest. */
async function checkContents(
  file: string,
  manifest: BackupManifest | null,
  problems: string[],
): Promise<{ dialect: VerifyResult['dialect']; contents: DatabaseContents | null }> {
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
  return { dialect, contents };
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
  restored: {
    file: string;
    createdAt: string | null;
    sha256: string;
    schemaVersion: string | null;
    /** An age-encrypted backup, decrypted with the identity given for the restore. */
    encrypted: boolean;
  };
  /** The backup of what was replaced (absent with `safetyCopy: false`). */
  safetyCopy: string | null;
  /** PostgreSQL: the replaced schema, renamed and kept until someone drops it. */
  replacedSchema: string | null;
  migrationsApplied: string[];
  sessionsEnded: number;
  usersKeptDisabled: AccessKept['usersKeptDisabled'];
  tokensKeptRevoked: AccessKept['tokensKeptRevoked'];
  scimTokensKeptRevoked: AccessKept['scimTokensKeptRevoked'];
  rolesKept: AccessKept['rolesKept'];
  secondFactorsKept: AccessKept['secondFactorsKept'];
  passwordsFromBeforeBackup: AccessKept['passwordsFromBeforeBackup'];
  warnings: string[];
}

/**
 * Replaces the database's contents with a backup (after the checks of `verifyBackup` pass), first taking
 * a safety copy of what is there unless told not to (a database too damaged to copy); the safety copy is
 * encrypted to `recipients` when given. An encrypted backup needs `identities`: it is decrypted into a
 * private directory in `dir`, removed afterwards. Stop `vigil serve` first: its caches and sessions
 * belong to the data being replaced.
 */
export async function restoreBackup(
  vdb: VigilDatabase,
  path: string,
  opts: {
    dir: string;
    actor: AuditActor;
    safetyCopy?: boolean;
    identities?: AgeIdentities | undefined;
    recipients?: readonly string[];
  },
): Promise<RestoreResult> {
  assertBackupable(vdb);
  // The decrypted copy goes in the backup directory's workspace (a disk meant for backups), not into a
  // /tmp that may be RAM.
  if (opts.identities) await mkdir(resolve(opts.dir), { recursive: true, mode: 0o700 });
  return withVerifiedBackup(
    path,
    { identities: opts.identities, workIn: opts.identities ? resolve(opts.dir) : undefined },
    (check, plaintext) => restoreVerified(vdb, check, plaintext, opts),
  );
}

async function restoreVerified(
  vdb: VigilDatabase,
  check: VerifyResult,
  plaintext: string | null,
  opts: { dir: string; actor: AuditActor; safetyCopy?: boolean; recipients?: readonly string[] },
): Promise<RestoreResult> {
  if (!check.ok) throw conflict(`Backup ${check.file} cannot be restored: ${check.problems.join('; ')}`);
  if (!plaintext)
    throw conflict(
      `Backup ${check.file} is encrypted: give the age identity it was encrypted to (--identity KEYFILE)`,
    );
  if (check.dialect !== vdb.dialect)
    throw conflict(`Backup ${check.file} is a ${check.dialect} backup; this Vigil uses ${vdb.dialect}`);
  if (vdb.dialect === 'postgres' && check.manifest?.schema !== vdb.schema)
    throw conflict(
      `Backup ${check.file} holds schema ${check.manifest?.schema}; this Vigil uses schema ${vdb.schema} (restore it with pg_restore by hand to move it)`,
    );
  // What was closed in the database being replaced stays closed (module comment).
  // A database too damaged to read loses nothing here: the restore goes on, and says it could not look.
  const warnings = [...check.warnings];
  const before = await readAccessState(vdb).catch((e: unknown) => {
    warnings.push(
      `the database being replaced could not be read (${(e as Error).message}): accounts disabled, roles narrowed, second factors changed and tokens revoked since the backup are not known, check them`,
    );
    return NOTHING_KNOWN;
  });
  const safety =
    opts.safetyCopy === false
      ? null
      : await createBackup(vdb, {
          dir: opts.dir,
          trigger: 'before-restore',
          actor: opts.actor,
          recipients: opts.recipients ?? [],
        });
  const history: BackupTable[] = await vdb.db
    .selectFrom('backups')
    .selectAll()
    .execute()
    .catch(() => []);
  // A database that could not be read still gets its safety copy's row.
  if (safety && !history.some((b) => b.id === safety.id)) {
    const m = safety.manifest;
    history.push({
      ...row(safety.id, { trigger: 'before-restore', actor: opts.actor }, m.createdAt, 'ok', {
        file: safety.file,
        bytes: m.bytes,
        sha256: m.sha256,
      }),
      schema_version: m.schemaVersion,
      audit_entries: m.audit.entries,
      audit_head_hash: m.audit.headHash,
    });
  }
  let replacedSchema: string | null = null;
  if (vdb.dialect === 'sqlite') await restoreSqlite(plaintext, vdb.file!);
  else {
    replacedSchema = `${vdb.schema!.slice(0, 30)}_before_restore_${stampOf(nowIso()).toLowerCase()}`;
    await restorePostgres(vdb.connectionUrl!(), vdb.schema!, plaintext, replacedSchema);
  }
  const migrations = await migrateToLatest(vdb);
  return transaction(vdb, async (tx) => {
    const sessions = await tx.db.deleteFrom('sessions').executeTakeFirst();
    const kept = await keepAccessClosed(tx, before);
    // The backup history goes on: rows of backups taken after the restored copy (the restored backup's
    // own row among them, and the safety copy) would otherwise vanish from `vigil db backups`.
    for (const row of history)
      await tx.db
        .insertInto('backups')
        .values(row)
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    const result: RestoreResult = {
      restored: {
        file: check.file,
        createdAt: check.manifest?.createdAt ?? null,
        sha256: check.sha256,
        schemaVersion: check.contents?.schemaVersion ?? check.manifest?.schemaVersion ?? null,
        encrypted: check.encrypted,
      },
      safetyCopy: safety?.file ?? null,
      replacedSchema,
      migrationsApplied: migrations.applied,
      sessionsEnded: Number(sessions.numDeletedRows),
      usersKeptDisabled: kept.usersKeptDisabled,
      tokensKeptRevoked: kept.tokensKeptRevoked,
      scimTokensKeptRevoked: kept.scimTokensKeptRevoked,
      rolesKept: kept.rolesKept,
      secondFactorsKept: kept.secondFactorsKept,
      passwordsFromBeforeBackup: kept.passwordsFromBeforeBackup,
      warnings: [...warnings, ...kept.warnings],
    };
    await appendAudit(tx, {
      actor: opts.actor,
      action: 'db.restore',
      target: { type: 'backup', id: safety?.id },
      summary: {
        ...result,
        ...(check.encrypted ? { recipients: check.manifest?.encryption?.recipients ?? null } : {}),
        safetyCopyEncrypted: Boolean(safety?.manifest.encryption),
        warnings: result.warnings.length,
      },
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
    .map((n) => ({ n, m: BACKUP_FILE_NAME.exec(n) }))
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

/** The plaintext backups in `dir` (by name), oldest first. */
export async function plaintextBackupsIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => {
      const m = BACKUP_FILE_NAME.exec(n);
      return m !== null && m[5] === undefined;
    })
    .sort()
    .map((n) => join(dir, n));
}

/** What `GET /system` and `vigil serve` say about backups. */
export async function backupStatus(
  vdb: VigilDatabase,
  config: {
    db: string;
    backupDir?: string | undefined;
    backupIntervalHours: number;
    backupKeep: number;
    backupRecipients: readonly string[];
  },
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
    /** Public keys only: the identity that decrypts them is, by design, not on this server. */
    encryption: config.backupRecipients.length
      ? { format: 'age' as const, recipients: [...config.backupRecipients] }
      : null,
    /**
     * Plaintext backups in the directory while encryption is on: taken before it was, and left for
     * `vigil db encrypt-backup --all` (null when backups are not encrypted).
     */
    unencrypted: config.backupRecipients.length
      ? (await plaintextBackupsIn(backupDirFor(config))).length
      : null,
    lastGood,
    lastAttempt,
    overdue,
  };
}
