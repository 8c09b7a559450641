/**
 * A backup killed in the middle (kill -9, the OOM killer, power loss) leaves no plaintext among the
 * backups, and what it left is removed at the next backup or server start, logged and audited. The
 * built `vigil` binary (dist/, built by test/global-setup.ts) runs as a child process and is killed
 * with SIGKILL while its copy of the database exists; keys come from the real age-keygen.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ageKeygen, describeWithAge } from '../../test/age-tool.js';
import { backupDirFiles } from '../../test/backup-databases.js';
import { cliActor } from '../../test/factories.js';
import { bigDatabase, filesUnder, killVigilWhen, VIGIL_BIN } from '../../test/killed-backup.js';
import { listAudit } from '../audit/audit-log.js';
import { createLogger } from '../log.js';
import { openDatabase } from '../store/database.js';
import { makeWorkDir, removeAbandonedWork, WORKSPACE } from './backup-workspace.js';
import { createBackup, listBackups, pruneScheduledBackups, verifyBackup } from './backups.js';

const scratch: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-backup-work-'));
  scratch.push(d);
  return d;
};
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

const withAge = describeWithAge('the interrupted backup tests');

/** A pid that ran and ended: no process has it now (pids are not reused this soon). */
const endedPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

/** A logger whose lines the test reads. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: createLogger('info', sink as never), lines };
}

withAge('a backup killed in the middle', () => {
  it.each([
    ['while the database is copied', (f: string[]) => f.some((n) => /\.db\.partial/.test(n))],
    ['while the copy is encrypted', (f: string[]) => f.some((n) => /\.db\.age\.partial/.test(n))],
  ])(
    '%s leaves no plaintext among the backups; the next backup removes it, logged and audited',
    async (_when, when) => {
      const db = bigDatabase(40);
      const backups = join(tmp(), 'backups');
      const key = ageKeygen();
      const seen = await killVigilWhen(
        ['db', 'backup', '--dir', backups, '--recipient', key.recipient],
        { VIGIL_DB: `sqlite:${db}` },
        backups,
        when,
      );
      expect(seen.length).toBeGreaterThan(0);
      // Beside the backups: nothing but the workspace, 0700. The plaintext copy is in it, 0600, under a
      // name that says it is unfinished.
      expect(readdirSync(backups)).toEqual([WORKSPACE]);
      expect(statSync(join(backups, WORKSPACE)).mode & 0o777).toBe(0o700);
      const left = filesUnder(backups);
      const plaintext = left.find((n) => /\.db\.partial$/.test(n));
      expect(plaintext).toMatch(
        new RegExp(
          `^${WORKSPACE}/backup-${hostname().replace(/[^A-Za-z0-9.]/g, '_')}-\\d+-\\w{6}/vigil-\\d{8}T\\d{6}Z-manual\\.db\\.partial$`,
        ),
      );
      expect(statSync(join(backups, plaintext!)).mode & 0o777).toBe(0o600);

      // Nothing offers it as a backup: verify (and so restore) refuse it, pruning does not see it.
      await expect(verifyBackup(join(backups, plaintext!))).rejects.toThrow(
        `${join(backups, plaintext!)} is not a backup: it is what an interrupted backup, encryption or restore left unfinished`,
      );
      expect(await pruneScheduledBackups(backups, 0)).toEqual([]);

      // The next backup removes it first, says so in the log, and audits it by name.
      const vdb = await openDatabase(`sqlite:${db}`);
      try {
        expect(await listBackups(vdb)).toEqual([]); // the killed one never counted
        const { log, lines } = capturedLog();
        const b = await createBackup(vdb, {
          dir: backups,
          trigger: 'manual',
          actor: cliActor,
          recipients: [key.recipient],
          log,
        });
        const removed = left.map((n) => join(backups, n));
        expect(backupDirFiles(backups)).toEqual([
          `${b.file.split('/').pop()}`,
          `${b.file.split('/').pop()}.json`,
        ]);
        expect(lines).toContainEqual(
          expect.objectContaining({
            msg: 'removed files an interrupted backup or restore left',
            files: removed,
          }),
        );
        expect(b.warnings[0]).toMatch(/^removed \d files? an interrupted backup or restore left: /);
        const [entry] = await listAudit(vdb, { action: 'backup.remove-partial' });
        expect(entry?.summary).toMatchObject({
          dir: backups,
          files: removed,
          reasons: [expect.stringMatching(/^process \d+ ended before it finished$/)],
        });
      } finally {
        await vdb.close();
      }
    },
  );

  it('vigil serve removes what a killed backup left when it starts', async () => {
    const db = bigDatabase(40);
    const backups = join(tmp(), 'backups');
    const env = { VIGIL_DB: `sqlite:${db}`, VIGIL_BACKUP_DIR: backups };
    await killVigilWhen(['db', 'backup'], env, backups, (f) => f.some((n) => /\.db\.partial/.test(n)));
    const left = filesUnder(backups).map((n) => join(backups, n));
    expect(left.length).toBeGreaterThan(0);
    const server = spawn(process.execPath, [VIGIL_BIN, 'serve', '--port', '0'], {
      env: { ...process.env, ...env, VIGIL_LOG_LEVEL: 'warn' },
    });
    let err = '';
    server.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    try {
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`no removal logged: ${err}`)), 20_000);
        server.stderr.on('data', () => {
          if (/removed files an interrupted backup or restore left/.test(err)) {
            clearTimeout(timer);
            ok();
          }
        });
        server.once('exit', (code) => fail(new Error(`server exited ${code}: ${err}`)));
      });
      const line = JSON.parse(err.split('\n').find((l) => l.includes('removed files'))!) as {
        files: string[];
      };
      expect(line.files).toEqual(left);
      expect(filesUnder(backups)).toEqual([]);
    } finally {
      server.kill('SIGTERM');
    }
    const vdb = await openDatabase(`sqlite:${db}`);
    try {
      const [entry] = await listAudit(vdb, { action: 'backup.remove-partial' });
      expect(entry).toMatchObject({ actor: 'vigil', summary: { files: left } });
    } finally {
      await vdb.close();
    }
  });
});

describe('the backup workspace', () => {
  it('removes the work of ended processes and stale work of other hosts, keeps the rest', async () => {
    const dir = tmp();
    const work = join(dir, WORKSPACE);
    const host = hostname().replace(/[^A-Za-z0-9.]/g, '_');
    const make = (name: string, files: string[]) => {
      mkdirSync(join(work, name), { recursive: true });
      for (const f of files) writeFileSync(join(work, name, f), 'x');
      return files.map((f) => join(work, name, f));
    };
    const dead = endedPid();
    const ended = make(`backup-${host}-${dead}-aB3dE9`, [
      'vigil-20261130T020000Z-scheduled.db.partial',
      'vigil-20261130T020000Z-scheduled.db.partial-journal',
    ]);
    const running = make(`decrypt-${host}-${process.pid}-Zz0000`, ['vigil-20261130T020000Z-manual.db']);
    // Host names stand in work names with '_' for anything but letters, digits and dots.
    const staleElsewhere = make('encrypt-vigil_2.example.org-4242-Qq1111', ['x.db.age.partial']);
    utimesSync(staleElsewhere[0]!, new Date('2026-11-01'), new Date('2026-11-01'));
    utimesSync(
      join(work, 'encrypt-vigil_2.example.org-4242-Qq1111'),
      new Date('2026-11-01'),
      new Date('2026-11-01'),
    );
    const freshElsewhere = make('backup-vigil_2.example.org-4243-Qq2222', ['y.dump.partial']);
    const notOurs = make('notes', ['todo.txt']);
    // What earlier versions left beside the backups, and what must stay there.
    const legacy = [
      'vigil-20261129T020000Z-manual.db.partial-0e747bd2',
      'vigil-20261129T020000Z-manual.db.partial-0e747bd2-wal',
    ];
    for (const n of [
      ...legacy,
      'vigil-20261128T020000Z-manual.db',
      'vigil-20261128T020000Z-manual.db.json',
      'README',
    ])
      writeFileSync(join(dir, n), 'x');
    mkdirSync(join(dir, '.vigil-decrypted-k3Jd9s'));
    writeFileSync(join(dir, '.vigil-decrypted-k3Jd9s', 'vigil-20261128T020000Z-manual.db'), 'x');

    const r = await removeAbandonedWork(dir);
    expect(r.removed.sort()).toEqual(
      [
        ...ended,
        ...staleElsewhere,
        ...legacy.map((n) => join(dir, n)),
        join(dir, '.vigil-decrypted-k3Jd9s', 'vigil-20261128T020000Z-manual.db'),
      ].sort(),
    );
    expect(r.reasons.sort()).toEqual(
      [
        'left beside the backups by an interrupted backup or restore of an earlier Vigil',
        `process ${dead} ended before it finished`,
        'made on vigil_2.example.org (process 4242) and unchanged for more than a day',
      ].sort(),
    );
    for (const f of [...running, ...freshElsewhere, ...notOurs]) expect(existsSync(f)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(
      [
        WORKSPACE,
        'README',
        'vigil-20261128T020000Z-manual.db',
        'vigil-20261128T020000Z-manual.db.json',
      ].sort(),
    );
    expect(await removeAbandonedWork(join(dir, 'none'))).toEqual({ removed: [], reasons: [] });
  });

  it('refuses a workspace that is a symbolic link or that others can read', async () => {
    const dir = tmp();
    const elsewhere = tmp();
    symlinkSync(elsewhere, join(dir, WORKSPACE));
    await expect(makeWorkDir(dir, 'backup')).rejects.toThrow(
      `${join(dir, WORKSPACE)} is not a directory Vigil made (a symbolic link or a file): remove it, Vigil makes its own`,
    );
    expect(readdirSync(elsewhere)).toEqual([]);
    const open = tmp();
    mkdirSync(join(open, WORKSPACE), { mode: 0o755 });
    await expect(makeWorkDir(open, 'backup')).rejects.toThrow(
      `${join(open, WORKSPACE)} can be read by group or others (mode 755): chmod 700 it`,
    );
    const made = await makeWorkDir(join(tmp(), 'new'), 'encrypt');
    expect(statSync(made).mode & 0o777).toBe(0o700);
    expect(statSync(join(made, '..')).mode & 0o777).toBe(0o700);
  });
});
