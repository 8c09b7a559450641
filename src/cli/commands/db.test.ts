/**
 * `vigil db backup|backups|verify-backup|restore` on a real SQLite file, and `vigil audit verify
 * --against` the backups around a restore.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandRunner } from '../../../test/cli-commands.js';
import { cliActor } from '../../../test/factories.js';
import { appendAudit } from '../../audit/audit-log.js';
import { addDevice } from '../../inventory/inventory-service.js';
import { openDatabase, type VigilDatabase } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { registerAuditCommands } from './audit.js';
import { registerDbCommands } from './db.js';

describe('vigil db backups', () => {
  let vdb: VigilDatabase;
  let dir: string;
  const run = commandRunner(registerDbCommands, () => vdb);
  const audit = commandRunner(registerAuditCommands, () => vdb);
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-cli-backup-'));
    vdb = await openDatabase(`sqlite:${join(dir, 'vigil.db')}`);
    await migrateToLatest(vdb);
    await addDevice(vdb, cliActor, { assetTag: 'INF-0042', ips: ['10.20.0.42'] });
  });
  afterEach(() => vdb.close());

  it('backs up, lists, verifies, and refuses a restore without --yes', async () => {
    const backup = await run('db', 'backup', '--dir', join(dir, 'backups'));
    expect(backup.code).toBe(0);
    expect(backup.out).toMatch(
      /^Backed up sqlite:\S+vigil\.db to \S+-manual\.db \([\d.]+ [kM]B, SHA-256 [0-9a-f]{16}…\)\n/,
    );
    expect(backup.out).toMatch(/1 device, 0 findings, 0 tasks, 0 accounts; audit log 1 entry, verified/);
    expect(backup.err).toMatch(/secret key is not in the backup/);
    const [record] = JSON.parse((await run('db', 'backups', '--json')).out) as {
      file: string;
      status: string;
    }[];
    const file = record!.file;

    const list = await run('db', 'backups');
    expect(list.out).toMatch(/manual\s+ok\s+[\d.]+ [kM]B\s+vigil-\d{8}T\d{6}Z-manual\.db/);

    const good = await run('db', 'verify-backup', file);
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/: good \(sqlite, .* taken 20\d\d-/);
    expect(good.out).toMatch(/1 device, 0 findings, 0 accounts; audit log 1 entry/);

    const refused = await run('db', 'restore', file);
    expect(refused.code).toBe(65);
    expect(refused.err).toMatch(/stop vigil serve, then run again with --yes/);

    const bytes = readFileSync(file);
    bytes[200] = bytes[200]! ^ 0x55;
    writeFileSync(file, bytes);
    const bad = await run('db', 'verify-backup', file);
    expect(bad.code).toBe(65);
    expect(bad.out).toMatch(/NOT restorable/);
    expect(bad.out).toMatch(/problem: the file differs from its manifest/);
  });

  it('restores with --yes and says what it kept and where the replaced data went', async () => {
    const backup = JSON.parse((await run('db', 'backup', '--dir', join(dir, 'backups'), '--json')).out) as {
      file: string;
    };
    await addDevice(vdb, cliActor, { assetTag: 'INF-0043' });
    const restored = await run('db', 'restore', backup.file, '--yes', '--dir', join(dir, 'backups'));
    expect(restored.code).toBe(0);
    expect(restored.out).toMatch(/^Restored sqlite:.*vigil\.db from .*-manual\.db \(taken /);
    expect(restored.out).toMatch(/What it replaced is in .*-before-restore\.db\./);
    expect(restored.out).toMatch(/No session was open; everyone signs in again\./);
    const tags = await vdb.db.selectFrom('devices').select('asset_tag').execute();
    expect(tags.map((t) => t.asset_tag)).toEqual(['INF-0042']);
  });

  it('audit verify --against the safety copy of a restore says the restore replaced that log', async () => {
    const backups = join(dir, 'backups');
    const backup = JSON.parse((await run('db', 'backup', '--dir', backups, '--json')).out) as {
      file: string;
    };
    await addDevice(vdb, cliActor, { assetTag: 'INF-0043' });
    const r = JSON.parse(
      (await run('db', 'restore', backup.file, '--yes', '--dir', backups, '--json')).out,
    ) as {
      safetyCopy: string;
    };
    const safety = await audit('audit', 'verify', '--against', r.safetyCopy);
    expect(safety.code).toBe(0);
    expect(safety.out).toMatch(
      new RegExp(
        `^Audit chain intact: 2 entries verified\\.\\nAgainst backup ${r.safetyCopy}: it recorded the log that \`vigil db restore\` replaced on \\S+ \\(audit entry 2, which put back ${backup.file} of \\S+\\); the restored log rightly does not hold its 3 entries, so this shows no cut\\. Check against a backup taken since the restore\\.\\n$`,
      ),
    );
    const json = JSON.parse((await audit('audit', 'verify', '--against', r.safetyCopy, '--json')).out) as {
      anchor: { ok: boolean; replacedByRestore: { seq: number; restoredFile: string } };
    };
    expect(json.anchor).toMatchObject({ ok: true, replacedByRestore: { seq: 2, restoredFile: backup.file } });
    // The restored backup itself is still held by the log, as any backup taken since will be.
    const held = await audit('audit', 'verify', '--against', backup.file);
    expect(held.code).toBe(0);
    expect(held.out).toMatch(/recorded by backup .* are all still there, unchanged\.\n$/);
  });

  it('audit verify --against fails on a cut that a forged db.restore entry claims is a restore', async () => {
    for (let i = 2; i <= 10; i++) await addDevice(vdb, cliActor, { assetTag: `INF-${i}` });
    const backup = JSON.parse((await run('db', 'backup', '--dir', join(dir, 'backups'), '--json')).out) as {
      file: string;
    };
    // Someone with write access to the database cuts the log and appends a restore of long ago.
    await sql`DROP TRIGGER audit_log_no_delete`.execute(vdb.db);
    await vdb.db.deleteFrom('audit_log').where('seq', '>=', 6).execute();
    await appendAudit(vdb, {
      actor: cliActor,
      action: 'db.restore',
      summary: {
        restored: { file: backup.file, createdAt: '2020-01-01T00:00:00.000Z', sha256: 'ab'.repeat(32) },
      },
    });
    const r = await audit('audit', 'verify', '--against', backup.file);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      `Audit chain intact: 6 entries verified.\nAgainst backup ${backup.file}: entry 10, the last one when the backup was taken, is missing: the log was cut short; audit entry 6 claims a restore (db.restore) but does not match any known backup: it names a backup (SHA-256 abababababababab…) that matches no backup Vigil knows.\n`,
    );
    const json = JSON.parse((await audit('audit', 'verify', '--against', backup.file, '--json')).out) as {
      anchor: { ok: boolean; replacedByRestore?: unknown };
    };
    expect(json.anchor.ok).toBe(false);
    expect(json.anchor.replacedByRestore).toBeUndefined();
  });

  it('encrypt-backup encrypts backups taken before encryption was on, and says what it cannot do', async () => {
    // An age public key, printed by age-keygen 1.1.1 (its secret key was not kept).
    const recipient = 'age1pm45n5vnf22evsa5y6840yc2uvmz3hvynk30wg6z6u06jgk285eskrx6xx';
    const backups = join(dir, 'backups');
    const plain = JSON.parse((await run('db', 'backup', '--dir', backups, '--json')).out) as { file: string };
    const name = basename(plain.file);

    const neither = await run('db', 'encrypt-backup', '--dir', backups);
    expect(neither.code).toBe(65);
    expect(neither.err).toBe(
      'vigil: Name the backups to encrypt (vigil db backups lists them), or give --all\n',
    );
    const noKeys = await run('db', 'encrypt-backup', name, '--dir', backups);
    expect(noKeys.code).toBe(65);
    expect(noKeys.err).toMatch(/^vigil: No age recipients to encrypt to: set backupRecipients/);
    const missing = await run(
      'db',
      'encrypt-backup',
      'vigil-x.db',
      '--dir',
      backups,
      '--recipient',
      recipient,
    );
    expect(missing.code).toBe(66);
    expect(missing.err).toBe(`vigil: Backup ${join(backups, 'vigil-x.db')} not found\n`);

    const done = await run('db', 'encrypt-backup', name, '--dir', backups, '--recipient', recipient);
    expect(done.err).toBe('');
    expect(done.code).toBe(0);
    expect(done.out).toMatch(
      new RegExp(
        `^Encrypted ${name} to ${name}\\.age \\(age1pm45n5vn…krx6xx; [\\d.]+ [kM]B, SHA-256 [0-9a-f]{16}…\\), checked against its manifest; the unencrypted file is removed\\.\\n$`,
      ),
    );
    const again = await run(
      'db',
      'encrypt-backup',
      `${name}.age`,
      '--dir',
      backups,
      '--recipient',
      recipient,
    );
    expect(again.code).toBe(65);
    expect(again.err).toBe(`vigil: Backup ${plain.file}.age is already encrypted\n`);

    await run('db', 'backup', '--dir', backups);
    const all = await run(
      'db',
      'encrypt-backup',
      '--all',
      '--dir',
      backups,
      '--recipient',
      recipient,
      '--json',
    );
    expect(all.code).toBe(0);
    const json = JSON.parse(all.out) as { encrypted: { encryptedFile: string }[]; skipped: []; failed: [] };
    expect(json.encrypted).toHaveLength(1);
    expect(json).toMatchObject({ skipped: [], failed: [] });
    expect((await run('db', 'encrypt-backup', '--all', '--dir', backups, '--recipient', recipient)).out).toBe(
      `No unencrypted backups in ${backups}.\n`,
    );
  });
});
