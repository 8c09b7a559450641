/**
 * Encrypting backups taken before encryption was on, against the real `age` tool: keys from
 * `age-keygen`, and what Vigil encrypts `age -d` decrypts to the very bytes the old manifest recorded.
 * An interruption (the built CLI killed with SIGKILL) never loses a backup.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { ageKeygen, describeWithAge } from '../../test/age-tool.js';
import { backupDirFiles, backupTestDatabases } from '../../test/backup-databases.js';
import { DIALECTS } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { bigDatabase, killVigilWhen, VIGIL_BIN } from '../../test/killed-backup.js';
import { listAudit } from '../audit/audit-log.js';
import { addDevice } from '../inventory/inventory-service.js';
import { openDatabase } from '../store/database.js';
import { readAgeIdentities } from './backup-encryption.js';
import { createBackup, listBackups, verifyBackup } from './backups.js';
import { encryptBackups } from './encrypt-backups.js';
import { readManifest, sha256File } from './manifest.js';

const withAge = describeWithAge('the tests of encrypting existing backups');

const scratch: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-encrypt-backups-'));
  scratch.push(d);
  return d;
};
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});
const database = backupTestDatabases();

withAge.each(DIALECTS)('encrypting existing backups on %s', (dialect) => {
  it('encrypts every plaintext backup, checks it, then removes the plaintext; age -d gives back the same bytes', async () => {
    const vdb = await database(dialect);
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1', ips: ['10.20.0.7'] });
    const dir = tmp();
    const manual = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
    const scheduled = await createBackup(vdb, { dir, trigger: 'scheduled', actor: cliActor });
    const before = [manual, scheduled].map((b) => b.manifest);
    const key = ageKeygen();

    const r = await encryptBackups(vdb, { dir, files: 'all', recipients: [key.recipient], actor: cliActor });
    expect(r.skipped).toEqual([]);
    expect(r.failed).toEqual([]);
    expect(r.encrypted.map((e) => e.file).sort()).toEqual([manual.file, scheduled.file].sort());
    expect(backupDirFiles(dir)).toEqual(
      [manual, scheduled].flatMap((b) => [`${basename(b.file)}.age`, `${basename(b.file)}.age.json`]).sort(),
    );
    const ext = dialect === 'sqlite' ? 'db' : 'dump';
    for (const old of before) {
      const sealed = join(dir, `${old.file}.age`);
      const done = r.encrypted.find((e) => e.encryptedFile === sealed)!;
      expect(statSync(sealed).mode & 0o777).toBe(0o600);
      const manifest = (await readManifest(sealed))!;
      // The old manifest, with the encrypted file's name, size and hash, and what it encrypts.
      expect(manifest).toEqual({
        ...old,
        file: basename(sealed),
        bytes: statSync(sealed).size,
        sha256: await sha256File(sealed),
        encryption: {
          format: 'age',
          recipients: [key.recipient],
          plaintextBytes: old.bytes,
          plaintextSha256: old.sha256,
        },
      });
      expect(done).toMatchObject({ sha256: manifest.sha256, plaintextSha256: old.sha256, resumed: false });
      const out = join(tmp(), `plain.${ext}`);
      execFileSync('age', ['-d', '-i', key.keyFile, '-o', out, sealed]);
      expect(await sha256File(out)).toBe(old.sha256);
      // Checked without the key as verify-backup does, and with it in full.
      expect(await verifyBackup(sealed)).toMatchObject({ ok: true, encrypted: true, contentChecked: false });
      const full = await verifyBackup(sealed, { identities: await readAgeIdentities(key.keyFile) });
      expect(full).toMatchObject({ ok: true, contentChecked: true, problems: [] });
    }
    // `vigil db backups` names the encrypted files now; each encryption is audited.
    const rows = await listBackups(vdb);
    expect(rows.map((b) => b.file).sort()).toEqual(r.encrypted.map((e) => e.encryptedFile).sort());
    expect(rows.find((b) => b.id === manual.id)?.sha256).toBe(
      r.encrypted.find((e) => e.file === manual.file)?.sha256,
    );
    const entries = await listAudit(vdb, { action: 'backup.encrypt' });
    expect(entries.map((e) => e.targetId).sort()).toEqual([manual.id, scheduled.id].sort());
    expect(entries[0]?.summary).toMatchObject({ recipients: [key.recipient], resumed: false });

    // Nothing left to do.
    const again = await encryptBackups(vdb, {
      dir,
      files: 'all',
      recipients: [key.recipient],
      actor: cliActor,
    });
    expect(again).toEqual({ encrypted: [], skipped: [], failed: [] });
  });
});

withAge('encrypting existing backups', () => {
  it('says clearly what it cannot do, and changes nothing then', async () => {
    const vdb = await database('sqlite');
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1' });
    const dir = tmp();
    const key = ageKeygen();
    const plain = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
    const sealed = await createBackup(vdb, {
      dir,
      trigger: 'manual',
      actor: cliActor,
      recipients: [key.recipient],
    });
    const files = backupDirFiles(dir);
    const run = (names: string[] | 'all', recipients = [key.recipient]) =>
      encryptBackups(vdb, { dir, files: names, recipients, actor: cliActor });

    await expect(run([basename(plain.file)], [])).rejects.toThrow(
      'No age recipients to encrypt to: set backupRecipients (VIGIL_BACKUP_RECIPIENTS) or give --recipient age1…',
    );
    await expect(run(['vigil-20200101T000000Z-manual.db'])).rejects.toThrow(
      `Backup ${join(dir, 'vigil-20200101T000000Z-manual.db')} not found`,
    );
    await expect(run([basename(sealed.file)])).rejects.toThrow(`Backup ${sealed.file} is already encrypted`);
    // By its content too: one encrypted by hand under a plain name.
    const byHand = join(tmp(), 'copy.db');
    execFileSync('age', ['-r', key.recipient, '-o', byHand, plain.file]);
    await expect(run([byHand])).rejects.toThrow(`Backup ${byHand} is already encrypted`);
    const bare = join(tmp(), 'vigil-20261101T000000Z-manual.db');
    copyFileSync(plain.file, bare);
    await expect(run([bare])).rejects.toThrow(
      `Backup ${bare} cannot be encrypted by Vigil: it has no manifest (vigil-20261101T000000Z-manual.db.json), without which an encrypted backup cannot be checked without its key`,
    );
    const several = await run([basename(plain.file), 'nope.db', basename(sealed.file)]).catch(
      (e: unknown) => e,
    );
    expect(several).toMatchObject({
      message: 'Nothing was encrypted: 2 of the backups named cannot be (below)',
      issues: [
        { file: 'nope.db', reason: `Backup ${join(dir, 'nope.db')} not found` },
        { file: basename(sealed.file), reason: `Backup ${sealed.file} is already encrypted` },
      ],
    });
    expect(backupDirFiles(dir)).toEqual(files);
    expect(await listAudit(vdb, { action: 'backup.encrypt' })).toEqual([]);

    // A backup that no longer matches its manifest is not encrypted (nor removed), and that is audited.
    const bytes = readFileSync(plain.file);
    bytes[300] = bytes[300]! ^ 0x01;
    writeFileSync(plain.file, bytes);
    const r = await run('all');
    expect(r.encrypted).toEqual([]);
    expect(r.failed[0]?.error.message).toMatch(
      `Backup ${plain.file} is not restorable, so it was not encrypted (it stays as it is): the file differs from its manifest`,
    );
    expect(backupDirFiles(dir)).toEqual(files);
    const [failure] = await listAudit(vdb, { action: 'backup.encrypt' });
    expect(failure).toMatchObject({ outcome: 'failure', summary: { file: plain.file } });
    // --all skips (and says why) a plaintext backup without its manifest.
    rmSync(`${plain.file}.json`);
    expect((await run('all')).skipped).toEqual([
      { file: plain.file, reason: expect.stringMatching(/^it has no manifest/) },
    ]);
  });

  it('a backup taken in the same second as one encrypted since does not take its name', async () => {
    const vdb = await database('sqlite');
    const dir = tmp();
    const key = ageKeygen();
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-30T02:00:00Z') });
    try {
      const first = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
      await encryptBackups(vdb, { dir, files: [first.file], recipients: [key.recipient], actor: cliActor });
      const second = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
      expect(basename(second.file)).toBe('vigil-20261130T020000Z-2-manual.db');
      const r = await encryptBackups(vdb, {
        dir,
        files: 'all',
        recipients: [key.recipient],
        actor: cliActor,
      });
      expect(r.encrypted.map((e) => basename(e.encryptedFile))).toEqual([
        'vigil-20261130T020000Z-2-manual.db.age',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an .age beside it that is not this backup encrypted is not replaced', async () => {
    const vdb = await database('sqlite');
    const dir = tmp();
    const key = ageKeygen();
    const plain = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
    writeFileSync(`${plain.file}.age`, 'someone else’s file');
    const r = await encryptBackups(vdb, { dir, files: 'all', recipients: [key.recipient], actor: cliActor });
    expect(r.failed[0]?.error.message).toBe(
      `Backup ${plain.file} cannot be encrypted: ${plain.file}.age already exists and is not this backup encrypted (move it away first)`,
    );
    expect(readFileSync(`${plain.file}.age`, 'utf8')).toBe('someone else’s file');
    expect((await verifyBackup(plain.file)).ok).toBe(true);
  });

  it('finishes a run interrupted after the encrypted backup was in place, before the plaintext was removed', async () => {
    const vdb = await database('sqlite');
    const dir = tmp();
    const key = ageKeygen();
    const plain = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
    const keep = tmp();
    copyFileSync(plain.file, join(keep, 'b'));
    copyFileSync(`${plain.file}.json`, join(keep, 'm'));
    await encryptBackups(vdb, { dir, files: [plain.file], recipients: [key.recipient], actor: cliActor });
    const sealedSha = await sha256File(`${plain.file}.age`);
    // As if killed before the plaintext went: both are there.
    copyFileSync(join(keep, 'b'), plain.file);
    copyFileSync(join(keep, 'm'), `${plain.file}.json`);
    const r = await encryptBackups(vdb, { dir, files: 'all', recipients: [key.recipient], actor: cliActor });
    expect(r.encrypted).toMatchObject([{ file: plain.file, resumed: true, sha256: sealedSha }]);
    expect(backupDirFiles(dir)).toEqual([`${basename(plain.file)}.age`, `${basename(plain.file)}.age.json`]);
  });
});

withAge('encrypting existing backups, killed', () => {
  it('a run killed while encrypting leaves the plaintext backup whole; the next run removes the part made and encrypts it', async () => {
    const db = bigDatabase(40);
    const env = { VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent' };
    const dir = join(tmp(), 'backups');
    execFileSync(process.execPath, [VIGIL_BIN, 'db', 'backup', '--dir', dir], {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    });
    const [name] = backupDirFiles(dir);
    const file = join(dir, name!);
    const sha = await sha256File(file);
    const key = ageKeygen();
    await killVigilWhen(
      ['db', 'encrypt-backup', '--all', '--dir', dir, '--recipient', key.recipient],
      env,
      dir,
      (files) => files.some((n) => n.endsWith('.age.partial')),
    );
    // The backup is as it was, with its manifest; no .age beside it.
    expect(readdirSync(dir).sort()).toEqual(['.vigil-work', name, `${name}.json`]);
    expect(await sha256File(file)).toBe(sha);
    expect((await verifyBackup(file)).ok).toBe(true);
    const vdb = await openDatabase(`sqlite:${db}`);
    try {
      const r = await encryptBackups(vdb, {
        dir,
        files: 'all',
        recipients: [key.recipient],
        actor: cliActor,
      });
      expect(r.encrypted).toMatchObject([{ file, plaintextSha256: sha, resumed: false }]);
      expect(backupDirFiles(dir)).toEqual([`${name}.age`, `${name}.age.json`]);
      const [removal] = await listAudit(vdb, { action: 'backup.remove-partial' });
      expect(removal?.summary).toMatchObject({
        files: [expect.stringMatching(new RegExp(`/\\.vigil-work/encrypt-[^/]+/${name}\\.age\\.partial$`))],
      });
    } finally {
      await vdb.close();
    }
  });
});
