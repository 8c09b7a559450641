/**
 * @module Encrypting backups taken before `backupRecipients` was set (`vigil db encrypt-backup`): each
 * plaintext backup is checked, encrypted to the recipients in the workspace, published as
 * `<name>.age` with its manifest, and checked again without the key, as `verify-backup` does (the
 * encrypted file's SHA-256 and size against the new manifest, whose `plaintextSha256` is the one the
 * old manifest recorded); only then is the plaintext removed. An interruption at any step leaves the
 * plaintext backup, or the checked `.age` beside it, which the next run recognises and finishes: a
 * backup is never lost on the way.
 */
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Actor } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { conflict, invalidInput, notFound, type VigilError } from '../errors.js';
import type { Logger } from '../log.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { ageRecipientProblem } from './age-recipient.js';
import { AGE_SUFFIX, encryptFile, isAgeFile } from './backup-encryption.js';
import { isUnfinishedBackup, makeWorkDir } from './backup-workspace.js';
import {
  plaintextBackupsIn,
  removeInterruptedWork,
  type VerifyResult,
  verifyBackup,
  writeManifest,
} from './backups.js';
import { type BackupManifest, manifestPathOf, readManifest } from './manifest.js';

type AuditActor = Pick<Actor, 'kind' | 'name' | 'ip'>;

export interface EncryptedBackup {
  /** The plaintext backup, now removed. */
  file: string;
  /** The encrypted backup that replaces it, with its manifest beside it. */
  encryptedFile: string;
  bytes: number;
  sha256: string;
  plaintextBytes: number;
  plaintextSha256: string;
  recipients: string[];
  /** An earlier run had written and checked the `.age` file and was interrupted before removing the plaintext. */
  resumed: boolean;
}

export interface EncryptBackupsResult {
  encrypted: EncryptedBackup[];
  /** Plaintext backups found by `all` that cannot be encrypted this way: they stay as they are. */
  skipped: { file: string; reason: string }[];
  /** Backups whose encryption failed: each stays as it was (plaintext, with its manifest). */
  failed: { file: string; error: VigilError | Error }[];
}

/**
 * Encrypts plaintext backups to `recipients`: those named in `files` (a path, or a name in `dir`), or
 * with `all` every one in `dir`. A named file that is no plaintext backup with a manifest is an error
 * before anything is done; a failure while encrypting one is recorded in `failed` and the others go on.
 * Every backup encrypted is an audit entry `backup.encrypt` (and its row in `vigil db backups` names the
 * encrypted file), every failure one with outcome `failure`.
 */
export async function encryptBackups(
  vdb: DbHandle,
  opts: {
    dir: string;
    files: readonly string[] | 'all';
    recipients: readonly string[];
    actor: AuditActor;
    log?: Logger | undefined;
  },
): Promise<EncryptBackupsResult> {
  const recipients = [...opts.recipients];
  if (!recipients.length)
    throw invalidInput(
      'No age recipients to encrypt to: set backupRecipients (VIGIL_BACKUP_RECIPIENTS) or give --recipient age1…',
    );
  for (const r of recipients) {
    const problem = ageRecipientProblem(r);
    if (problem) throw invalidInput(`Cannot encrypt the backups: ${problem}`);
  }
  const dir = resolve(opts.dir);
  await removeInterruptedWork(vdb, dir, opts.actor, opts.log);
  const result: EncryptBackupsResult = { encrypted: [], skipped: [], failed: [] };
  const targets: { file: string; manifest: BackupManifest }[] = [];
  if (opts.files === 'all') {
    for (const file of await plaintextBackupsIn(dir)) {
      const manifest = await readManifest(file).catch(() => null);
      if (manifest) targets.push({ file, manifest });
      else result.skipped.push({ file, reason: noManifest(file) });
    }
  } else {
    const problems: { file: string; error: VigilError }[] = [];
    for (const name of opts.files) {
      const found = await plaintextBackup(dir, name).catch((error: VigilError) => {
        problems.push({ file: name, error });
        return null;
      });
      if (found) targets.push(found);
    }
    if (problems.length === 1) throw problems[0]!.error;
    if (problems.length)
      throw invalidInput(
        `Nothing was encrypted: ${problems.length} of the backups named cannot be (below)`,
        problems.map((p) => ({ file: p.file, reason: p.error.message })),
      );
  }
  for (const { file, manifest } of targets) {
    try {
      result.encrypted.push(await encryptBackup(vdb, file, manifest, recipients, opts.actor));
    } catch (e) {
      const error = e as Error;
      result.failed.push({ file, error });
      await transaction(vdb, (tx) =>
        appendAudit(tx, {
          actor: opts.actor,
          action: 'backup.encrypt',
          outcome: 'failure',
          target: { type: 'backup' },
          summary: { file, recipients, error: error.message },
        }),
      ).catch(() => undefined);
    }
  }
  return result;
}

const noManifest = (file: string) =>
  `it has no manifest (${basename(manifestPathOf(file))}), without which an encrypted backup cannot be checked without its key: encrypt it by hand (age -r age1… -o ${basename(file)}.age ${basename(file)}) or delete it`;

/** The named file as a plaintext backup with its manifest, or the error saying why it is not one. */
async function plaintextBackup(
  dir: string,
  name: string,
): Promise<{ file: string; manifest: BackupManifest }> {
  // A bare name is one in the backup directory (as `vigil db backups` shows them); a path is taken as given.
  const file = name.includes('/') ? resolve(name) : join(dir, name);
  if (isUnfinishedBackup(file))
    throw invalidInput(
      `${file} is not a backup: it is what an interrupted backup or restore left unfinished`,
    );
  const s = await stat(file).catch(() => null);
  if (!s) throw notFound(`Backup ${file}`);
  if (!s.isFile()) throw invalidInput(`Backup ${file} is not a file`);
  const manifest = await readManifest(file);
  if (file.endsWith(AGE_SUFFIX) || manifest?.encryption || (await isAgeFile(file)))
    throw conflict(`Backup ${file} is already encrypted`);
  if (!manifest) throw invalidInput(`Backup ${file} cannot be encrypted by Vigil: ${noManifest(file)}`);
  return { file, manifest };
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

async function encryptBackup(
  vdb: DbHandle,
  file: string,
  manifest: BackupManifest,
  recipients: string[],
  actor: AuditActor,
): Promise<EncryptedBackup> {
  // What is encrypted must be a good backup: its SHA-256 against its manifest, its content read.
  const plain = await verifyBackup(file);
  if (!plain.ok)
    throw conflict(
      `Backup ${file} is not restorable, so it was not encrypted (it stays as it is): ${plain.problems.join('; ')}`,
    );
  const target = `${file}${AGE_SUFFIX}`;
  let resumed = false;
  let sealed: VerifyResult;
  if (await exists(target)) {
    sealed = await verifyBackup(target);
    // An earlier run got as far as the checked .age file: finish it rather than encrypt again.
    if (!(sealed.ok && sealed.manifest?.encryption?.plaintextSha256 === plain.sha256))
      throw conflict(
        `Backup ${file} cannot be encrypted: ${target} already exists and is not this backup encrypted (move it away first)`,
      );
    resumed = true;
  } else sealed = await encryptInto(file, target, manifest, plain, recipients);
  const encryption = sealed.manifest!.encryption!;
  const done: EncryptedBackup = {
    file,
    encryptedFile: target,
    bytes: sealed.bytes,
    sha256: sealed.sha256,
    plaintextBytes: encryption.plaintextBytes,
    plaintextSha256: encryption.plaintextSha256,
    recipients: encryption.recipients,
    resumed,
  };
  await transaction(vdb, async (tx) => {
    const rows = await tx.db
      .updateTable('backups')
      .set({ file: target, bytes: done.bytes, sha256: done.sha256 })
      .where('file', 'in', [file, target])
      .returning('id')
      .execute();
    await appendAudit(tx, {
      actor,
      action: 'backup.encrypt',
      target: { type: 'backup', id: rows[0]?.id },
      summary: { ...done },
    });
  });
  // The plaintext goes only now: the encrypted backup is in place, checked and recorded.
  await rm(file, { force: true });
  await rm(manifestPathOf(file), { force: true });
  return done;
}

/** Encrypts `file` in the workspace, publishes `target` and its manifest, and checks them as verify-backup does. */
async function encryptInto(
  file: string,
  target: string,
  manifest: BackupManifest,
  plain: VerifyResult,
  recipients: string[],
): Promise<VerifyResult> {
  const work = await makeWorkDir(dirname(file), 'encrypt');
  try {
    const partial = join(work, `${basename(target)}.partial`);
    const written = await encryptFile(file, partial, recipients);
    if (written.plaintext.sha256 !== plain.sha256)
      throw conflict(`Backup ${file} changed while it was encrypted: it stays as it is; try again`);
    await writeManifest(work, target, {
      ...manifest,
      file: basename(target),
      bytes: written.bytes,
      sha256: written.sha256,
      encryption: {
        format: 'age',
        recipients,
        plaintextBytes: written.plaintext.bytes,
        plaintextSha256: written.plaintext.sha256,
      },
    });
    // The manifest first: alone it is no backup, while an .age without its manifest could not be checked.
    await rename(partial, target);
    const sealed = await verifyBackup(target);
    if (!sealed.ok || !sealed.encrypted || sealed.manifest?.encryption?.plaintextSha256 !== plain.sha256) {
      await rm(target, { force: true });
      await rm(manifestPathOf(target), { force: true });
      throw conflict(
        `Backup ${file} was encrypted, but the encrypted file failed its check (${sealed.problems.join('; ') || 'not encrypted as expected'}): it was removed and the backup stays unencrypted`,
      );
    }
    return sealed;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
