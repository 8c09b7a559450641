/**
 * @module The backup directory's private workspace, `<backupDir>/.vigil-work/` (0700): every file on its
 * way to becoming a backup lives there, never beside the backups. The plaintext copy of the database
 * must exist on disk to be checked (SQLite's integrity check and the audit chain read a file, as
 * `pg_restore --list` does), so an encrypted backup is made, checked and encrypted there; a backup
 * being restored is decrypted there; a manifest is written there before its rename. A process killed
 * (kill -9, OOM, power loss) in the middle leaves its plaintext in that subdirectory, under a name that
 * is no backup's, and not among the backups a directory listing or an off-site copy job takes.
 *
 * Each operation works in a directory of its own named `PURPOSE-HOST-PID-XXXXXX`, so a later run can
 * tell the work of a process that ended (removed: `removeAbandonedWork`) from the work of one still
 * running (kept). Work of another host sharing the directory is removed once nothing in it changed for
 * a day, as its process cannot be asked.
 */
import { lstat, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { invalidInput } from '../errors.js';

/** The workspace's name in the backup directory. */
export const WORKSPACE = '.vigil-work';

export type WorkPurpose = 'backup' | 'decrypt' | 'encrypt';

/** A host name as it can stand in a file name (containers have ids, hosts may have dots). */
const thisHost = () => hostname().replace(/[^A-Za-z0-9.]/g, '_') || 'host';

const WORK_NAME = /^(backup|decrypt|encrypt)-([A-Za-z0-9._]+)-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * What earlier Vigil versions left beside the backups when interrupted: `<name>.partial-<8 hex>` (and
 * SQLite's `-journal`, `-wal`, `-shm` of it), and `.vigil-decrypted-…` directories of a restore.
 */
const LEGACY_PARTIAL = /\.partial-[0-9a-f]{8}(-journal|-wal|-shm)?$/;
const LEGACY_DECRYPTED = /^\.vigil-decrypted-/;

/** Work of another host is removed after this long without a change (a running dump writes on). */
const FOREIGN_STALE_MS = 24 * 3_600_000;

/**
 * Makes a private directory (0700) for one operation in the workspace of `backupDir`, created 0700 if
 * need be. A workspace that is a symbolic link or no directory is refused rather than written through.
 */
export async function makeWorkDir(backupDir: string, purpose: WorkPurpose): Promise<string> {
  const workspace = join(resolve(backupDir), WORKSPACE);
  await mkdir(workspace, { recursive: true, mode: 0o700 });
  const s = await lstat(workspace);
  if (!s.isDirectory())
    throw invalidInput(
      `${workspace} is not a directory Vigil made (a symbolic link or a file): remove it, Vigil makes its own`,
    );
  if ((s.mode & 0o077) !== 0)
    throw invalidInput(
      `${workspace} can be read by group or others (mode ${(s.mode & 0o777).toString(8)}): chmod 700 it; plaintext copies of the database are made there`,
    );
  return mkdtemp(join(workspace, `${purpose}-${thisHost()}-${process.pid}-`));
}

/** Whether `path` lies in a backup directory's workspace or is named like an earlier version's partial file. */
export function isUnfinishedBackup(path: string): boolean {
  const full = resolve(path);
  return (
    full.split(/[\\/]/).includes(WORKSPACE) ||
    LEGACY_PARTIAL.test(full) ||
    full.split(/[\\/]/).some((part) => LEGACY_DECRYPTED.test(part))
  );
}

function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface AbandonedWork {
  /** Every file removed, by full path (a directory only when it held no file). */
  removed: string[];
  /** Why they were abandoned, for the log and the audit entry. */
  reasons: string[];
}

/**
 * Removes what interrupted backups, encryptions and restores left in `backupDir`: work directories of
 * processes of this host that no longer run, of other hosts unchanged for a day, and the partial files
 * and decrypted copies of earlier versions beside the backups. The files are unlinked (overwriting
 * them first would not reach the blocks a copy-on-write file system or an SSD keeps: the disk's own
 * encryption is what protects those). A directory that does not exist has nothing to remove.
 */
export async function removeAbandonedWork(backupDir: string, now = Date.now()): Promise<AbandonedWork> {
  const dir = resolve(backupDir);
  const result: AbandonedWork = { removed: [], reasons: [] };
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return result;
  }
  const host = thisHost();
  for (const name of names) {
    if (LEGACY_PARTIAL.test(name) || LEGACY_DECRYPTED.test(name)) {
      await removeAll(join(dir, name), result.removed);
      pushOnce(
        result.reasons,
        'left beside the backups by an interrupted backup or restore of an earlier Vigil',
      );
    }
  }
  const workspace = join(dir, WORKSPACE);
  let work: string[];
  try {
    work = await readdir(workspace);
  } catch {
    return result;
  }
  for (const name of work) {
    const path = join(workspace, name);
    const m = WORK_NAME.exec(name);
    let reason: string | null;
    // Only what Vigil made there: anything else someone put in its workspace is theirs to remove.
    if (!m) reason = null;
    else if (m[2] === host)
      reason = processRunning(Number(m[3])) ? null : `process ${m[3]} ended before it finished`;
    else
      reason =
        now - (await newestChange(path)) > FOREIGN_STALE_MS
          ? `made on ${m[2]} (process ${m[3]}) and unchanged for more than a day`
          : null;
    if (!reason) continue;
    await removeAll(path, result.removed);
    pushOnce(result.reasons, reason);
  }
  return result;
}

function pushOnce(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item);
}

/** Removes `path` (a file, or a directory and all in it), recording each file's path. */
async function removeAll(path: string, removed: string[]): Promise<void> {
  const before = removed.length;
  const s = await lstat(path).catch(() => null);
  if (!s) return;
  if (s.isDirectory())
    for (const entry of await readdir(path, { recursive: true }))
      if (!(await lstat(join(path, entry))).isDirectory()) removed.push(join(path, entry));
  if (!s.isDirectory() || removed.length === before) removed.push(path);
  await rm(path, { recursive: true, force: true });
}

async function newestChange(path: string): Promise<number> {
  let newest = (await stat(path)).mtimeMs;
  for (const entry of await readdir(path, { recursive: true }).catch(() => [] as string[]))
    newest = Math.max(newest, (await stat(join(path, entry)).catch(() => ({ mtimeMs: 0 }))).mtimeMs);
  return newest;
}
