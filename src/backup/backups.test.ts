/**
 * Vigil's own backups on a real SQLite file and, with VIGIL_TEST_PG, a real PostgreSQL schema dumped and
 * restored by the server's own pg_dump/pg_restore.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { backupTestDatabases } from '../../test/backup-databases.js';
import { DIALECTS, PG_URL } from '../../test/dialects.js';
import { cliActor, TEST_PASSWORD } from '../../test/factories.js';
import { createApiToken, revokeApiToken } from '../accounts/api-tokens.js';
import { LoginThrottle } from '../accounts/login-throttle.js';
import { confirmTotp, resetMfa, startTotpEnrolment } from '../accounts/mfa.js';
import { createScimToken, resolveScimToken, revokeScimToken } from '../accounts/scim-tokens.js';
import { login, openSession, resolveSession } from '../accounts/sessions.js';
import { createUser, setUserDisabled, setUserRole } from '../accounts/users.js';
import { checkAuditAnchor, listAudit, verifyAuditChain } from '../audit/audit-log.js';
import { addDevice } from '../inventory/inventory-service.js';
import { createLogger } from '../log.js';
import { openDatabase, type VigilDatabase } from '../store/database.js';
import { MIGRATIONS, migrateToLatest } from '../store/migrate.js';
import { createBackup, listBackups, pruneScheduledBackups, restoreBackup, verifyBackup } from './backups.js';
import { readManifest } from './manifest.js';
import { scheduleBackups } from './schedule.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vigil-backup-'));

const database = backupTestDatabases();

const deviceTags = async (vdb: VigilDatabase) =>
  (await vdb.db.selectFrom('devices').select('asset_tag').orderBy('asset_tag').execute()).map(
    (d) => d.asset_tag,
  );

describe.each(DIALECTS)('backups on %s', (dialect) => {
  it('takes a verified backup with a manifest, records it and audits it', async () => {
    const vdb = await database(dialect);
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1', ips: ['10.20.0.7'] });
    await addDevice(vdb, cliActor, { assetTag: 'MON-2' });
    const dir = tmp();
    const b = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
    expect(basename(b.file)).toMatch(
      new RegExp(`^vigil-\\d{8}T\\d{6}Z-manual\\.${dialect === 'sqlite' ? 'db' : 'dump'}$`),
    );
    expect(statSync(b.file).mode & 0o777).toBe(0o600);
    expect(statSync(`${b.file}.json`).mode & 0o777).toBe(0o600);
    const manifest = await readManifest(b.file);
    expect(manifest).toEqual(b.manifest);
    expect(manifest).toMatchObject({
      dialect,
      trigger: 'manual',
      counts: { devices: 2 },
      bytes: statSync(b.file).size,
    });
    // The newest migration this Vigil applies (a Vigil that does not know it cannot restore the copy).
    expect(manifest?.schemaVersion).toBe(Object.keys(MIGRATIONS).sort().at(-1));
    // The audit head in the manifest is the live log's head at backup time (two device.create entries).
    const chain = await verifyAuditChain(vdb);
    expect(manifest?.audit.entries).toBe(chain.entries - 1); // the db.backup entry came after
    const check = await verifyBackup(b.file);
    expect(check).toMatchObject({ ok: true, problems: [], dialect });
    const [record] = await listBackups(vdb);
    expect(record).toMatchObject({
      id: b.id,
      status: 'ok',
      trigger: 'manual',
      file: b.file,
      sha256: manifest?.sha256,
    });
    const [entry] = await listAudit(vdb, { action: 'db.backup' });
    expect(entry).toMatchObject({ outcome: 'success', targetId: b.id, actor: cliActor.name });
  });

  it('a backup altered after it was taken is refused, and the live database stays as it was', async () => {
    const vdb = await database(dialect);
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1' });
    const b = await createBackup(vdb, { dir: tmp(), trigger: 'manual', actor: cliActor });
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-2' });
    const bytes = readFileSync(b.file);
    const at = bytes.length - 100;
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(b.file, bytes);
    const check = await verifyBackup(b.file);
    expect(check.ok).toBe(false);
    expect(check.problems[0]).toMatch(/differs from its manifest/);
    await expect(restoreBackup(vdb, b.file, { dir: tmp(), actor: cliActor })).rejects.toThrow(
      /cannot be restored: the file differs/,
    );
    expect(await deviceTags(vdb)).toEqual(['PUMP-1', 'PUMP-2']);
  });

  it('restores: later changes gone, a safety copy of them kept, sessions ended, revoked access stays closed', async () => {
    const vdb = await database(dialect);
    await createUser(vdb, cliActor, { username: 'admin1', role: 'admin', password: TEST_PASSWORD });
    await createUser(vdb, cliActor, {
      username: 'nurse.eng',
      role: 'clinical-engineer',
      password: TEST_PASSWORD,
    });
    const { info: token } = await createApiToken(vdb, cliActor, { name: 'cmms-sync', owner: 'admin1' });
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1' });
    const engineer = await vdb.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'nurse.eng')
      .executeTakeFirstOrThrow();
    await openSession(vdb, { sessionHours: 12 }, engineer.id, { now: new Date() });
    const dir = tmp();
    const b = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });

    // After the backup: a device, the account disabled (its session ended with it), the token revoked.
    await addDevice(vdb, cliActor, { assetTag: 'CT-9' });
    await setUserDisabled(vdb, cliActor, 'nurse.eng', true);
    await revokeApiToken(vdb, cliActor, token.id);
    await vdb.db.deleteFrom('sessions').execute();

    const r = await restoreBackup(vdb, b.file, { dir, actor: cliActor });
    expect(await deviceTags(vdb)).toEqual(['PUMP-1']);
    expect(r).toMatchObject({
      sessionsEnded: 1,
      usersKeptDisabled: ['nurse.eng'],
      tokensKeptRevoked: ['cmms-sync'],
      migrationsApplied: [],
    });
    const users = await vdb.db
      .selectFrom('users')
      .select(['username', 'disabled'])
      .orderBy('username')
      .execute();
    expect(users.map((u) => [u.username, Number(u.disabled)])).toEqual([
      ['admin1', 0],
      ['nurse.eng', 1],
    ]);
    const t = await vdb.db.selectFrom('api_tokens').select('revoked_at').executeTakeFirstOrThrow();
    expect(t.revoked_at).not.toBeNull();
    // The safety copy holds what was replaced, CT-9 included.
    expect(r.safetyCopy).toBeTruthy();
    const safety = await verifyBackup(r.safetyCopy!);
    expect(safety.ok).toBe(true);
    expect(safety.manifest?.counts.devices).toBe(2);
    // The restore is audited on the restored chain, which still verifies.
    const [last] = await listAudit(vdb, { limit: 1 });
    expect(last).toMatchObject({ action: 'db.restore', actor: cliActor.name });
    expect((await verifyAuditChain(vdb)).ok).toBe(true);
    // The backup history goes on: the restored backup's own row (written after its copy was taken) and
    // the safety copy are both still listed.
    const history = await listBackups(vdb);
    expect(history.map((x) => x.file)).toEqual(expect.arrayContaining([b.file, r.safetyCopy]));
    expect(history.find((x) => x.file === r.safetyCopy)).toMatchObject({
      trigger: 'before-restore',
      status: 'ok',
    });
    if (dialect === 'postgres') {
      expect(r.replacedSchema).toMatch(/_before_restore_/);
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      const kept = await client.query(`SELECT count(*)::int AS n FROM ${r.replacedSchema}.devices`);
      expect(kept.rows[0].n).toBe(2);
      await client.query(`DROP SCHEMA ${r.replacedSchema} CASCADE`);
      await client.end();
    }
  });

  it('a restore keeps roles narrowed, second factors changed and SCIM tokens revoked after the backup', async () => {
    const vdb = await database(dialect);
    const config = { sessionHours: 12, sessionIdleMinutes: 30, loginMaxFailures: 5, lockoutMinutes: 15 };
    const app = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
    const signIn = (username: string, otp?: string) =>
      login(vdb, config, new LoginThrottle(), { username, password: TEST_PASSWORD, otp });
    /** Enrols a second factor the way a person does: password, then a first code from the app. */
    const enrol = async (username: string) => {
      const s = await signIn(username);
      const me = (await resolveSession(vdb, config, s.sessionSecret))!;
      const { secret } = await startTotpEnrolment(vdb, me.actor, { currentPassword: TEST_PASSWORD }, config);
      return (await confirmTotp(vdb, me.actor, { code: app(secret).generate() })).recoveryCodes;
    };
    await createUser(vdb, cliActor, { username: 'admin1', role: 'admin', password: TEST_PASSWORD });
    await createUser(vdb, cliActor, { username: 'admin2', role: 'admin', password: TEST_PASSWORD });
    await createUser(vdb, cliActor, {
      username: 'so.lee',
      role: 'security-officer',
      password: TEST_PASSWORD,
    });
    await createUser(vdb, cliActor, { username: 'aud.kim', role: 'auditor', password: TEST_PASSWORD });
    await enrol('so.lee'); // its phone is lost after the backup, and the factor reset
    await createUser(vdb, cliActor, {
      username: 'ce.ng',
      role: 'clinical-engineer',
      password: TEST_PASSWORD,
    });
    const recovery = await enrol('ce.ng'); // signs in with a recovery code after the backup
    const { token: scim, info: scimInfo } = await createScimToken(vdb, cliActor, {
      name: 'entra-provisioning',
    });
    const dir = tmp();
    const b = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });

    // After the backup: admin2 narrowed to auditor, aud.kim promoted, admin1 enrols a factor, so.lee's is
    // reset, the SCIM token revoked (it leaked).
    await setUserRole(vdb, cliActor, 'admin2', 'auditor');
    await setUserRole(vdb, cliActor, 'aud.kim', 'security-officer');
    await enrol('admin1');
    await resetMfa(vdb, cliActor, 'so.lee');
    await revokeScimToken(vdb, cliActor, scimInfo.id);
    await expect(signIn('ce.ng', recovery[0])).resolves.toBeDefined();

    const r = await restoreBackup(vdb, b.file, { dir, actor: cliActor });
    expect(r).toMatchObject({
      scimTokensKeptRevoked: ['entra-provisioning'],
      rolesKept: [{ username: 'admin2', role: 'auditor', backupRole: 'admin' }],
      secondFactorsKept: expect.arrayContaining(['admin1', 'so.lee']),
    });
    expect(r.secondFactorsKept).toHaveLength(2);
    expect(await resolveScimToken(vdb, scim)).toBeUndefined();
    const roles = await vdb.db
      .selectFrom('users')
      .select(['username', 'role'])
      .where('username', '!=', 'ce.ng')
      .orderBy('username')
      .execute();
    // A promotion after the backup (auditor to security officer, every permission kept) is a change like
    // any other: the backup's narrower role comes back.
    expect(roles.map((u) => [u.username, u.role])).toEqual([
      ['admin1', 'admin'],
      ['admin2', 'auditor'],
      ['aud.kim', 'auditor'],
      ['so.lee', 'security-officer'],
    ]);
    // admin1's factor stays on; so.lee's old one (on the lost phone) is not brought back.
    await expect(signIn('admin1')).rejects.toMatchObject({ code: 'mfa_required' });
    await expect(signIn('so.lee')).resolves.toBeDefined();
    // The same factor: a recovery code used after the backup stays used, the others still work.
    await expect(signIn('ce.ng', recovery[0])).rejects.toMatchObject({ code: 'authentication_required' });
    await expect(signIn('ce.ng', recovery[1])).resolves.toBeDefined();
    const [entry] = await listAudit(vdb, { action: 'db.restore' });
    expect(entry?.summary).toMatchObject({
      scimTokensKeptRevoked: ['entra-provisioning'],
      rolesKept: [{ username: 'admin2' }],
    });
  });

  it('a restore that leaves no enabled admin says so', async () => {
    const vdb = await database(dialect);
    await createUser(vdb, cliActor, { username: 'admin1', role: 'admin', password: TEST_PASSWORD });
    const b = await createBackup(vdb, { dir: tmp(), trigger: 'manual', actor: cliActor });
    await createUser(vdb, cliActor, { username: 'admin2', role: 'admin', password: TEST_PASSWORD });
    await setUserDisabled(vdb, cliActor, 'admin1', true);
    const r = await restoreBackup(vdb, b.file, { dir: tmp(), actor: cliActor });
    expect(r.usersKeptDisabled).toEqual(['admin1']);
    expect(r.warnings).toEqual([expect.stringMatching(/no enabled admin is left.*vigil users add/)]);
  });

  it("a backup's recorded audit head catches a log cut short after it, which the chain alone cannot", async () => {
    const vdb = await database(dialect);
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1' });
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-2' });
    const b = await createBackup(vdb, { dir: tmp(), trigger: 'manual', actor: cliActor });
    expect(await checkAuditAnchor(vdb, b.manifest.audit)).toEqual({ ok: true });
    // Someone with the database's owner rights removes the append-only guard and the newest entries.
    if (dialect === 'sqlite') await sql`DROP TRIGGER audit_log_no_delete`.execute(vdb.db);
    else await sql`DROP TRIGGER audit_log_append_only ON audit_log`.execute(vdb.db);
    await vdb.db.deleteFrom('audit_log').where('seq', '>=', 2).execute();
    expect((await verifyAuditChain(vdb)).ok).toBe(true);
    expect(await checkAuditAnchor(vdb, b.manifest.audit)).toEqual({
      ok: false,
      reason: 'entry 2, the last one when the backup was taken, is missing: the log was cut short',
    });
  });

  it('scheduled backups: taken when due, not again within the interval, failures recorded', async () => {
    const vdb = await database(dialect);
    const dir = tmp();
    const config = {
      db: 'sqlite:unused',
      backupDir: dir,
      backupIntervalHours: 24,
      backupKeep: 3,
      backupRecipients: [],
    };
    const s = scheduleBackups(vdb, config, createLogger('silent'), { firstMs: 3_600_000 })!;
    try {
      await s.runNow();
      await s.runNow();
      const rows = await listBackups(vdb);
      expect(rows.map((x) => [x.trigger, x.status])).toEqual([['scheduled', 'ok']]);
    } finally {
      s.stop();
    }
    // A directory that cannot be made: the failure is recorded with its reason.
    const blocked = join(tmp(), 'file');
    writeFileSync(blocked, 'not a directory');
    await expect(
      createBackup(vdb, { dir: join(blocked, 'sub'), trigger: 'scheduled', actor: cliActor }),
    ).rejects.toThrow();
    const [failed] = await listBackups(vdb);
    expect(failed).toMatchObject({ status: 'failed', trigger: 'scheduled' });
    expect(failed?.error).toMatch(/ENOTDIR/);
  });
});

describe('backup files', () => {
  it('keeps the newest scheduled backups, never the ones taken by hand', async () => {
    const vdb = await database('sqlite');
    const dir = tmp();
    const manual = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
    const scheduled: Awaited<ReturnType<typeof createBackup>>[] = [];
    for (let i = 0; i < 4; i++)
      scheduled.push(await createBackup(vdb, { dir, trigger: 'scheduled', actor: cliActor }));
    const removed = await pruneScheduledBackups(dir, 2);
    expect(removed.sort()).toEqual([scheduled[0]!.file, scheduled[1]!.file].sort());
    expect((await verifyBackup(manual.file)).ok).toBe(true);
    expect((await verifyBackup(scheduled[3]!.file)).ok).toBe(true);
    expect(() => statSync(`${scheduled[0]!.file}.json`)).toThrow();
  });

  it('a backup made by a newer Vigil is not restorable by this one', async () => {
    const vdb = await database('sqlite');
    const b = await createBackup(vdb, { dir: tmp(), trigger: 'manual', actor: cliActor });
    const copy = new SQLite(b.file);
    copy
      .prepare("insert into vigil_migrations (name, timestamp) values ('9999-from-the-future', '2030-01-01')")
      .run();
    copy.close();
    writeFileSync(`${b.file}.json`, ''); // and no usable manifest beside it
    await expect(verifyBackup(b.file)).rejects.toThrow(/is not JSON/);
    rmSync(`${b.file}.json`);
    const check = await verifyBackup(b.file);
    expect(check.ok).toBe(false);
    expect(check.problems).toContain(
      'it was made by a newer Vigil (migration 9999-from-the-future); upgrade Vigil before restoring it',
    );
    expect(check.warnings[0]).toMatch(/no manifest/);
  });

  it('a file that is no backup says so', async () => {
    const file = join(tmp(), 'capture.db');
    // A real packet capture (test/fixtures/captures), named like a backup.
    writeFileSync(
      file,
      readFileSync(new URL('../../test/fixtures/captures/01-dhcp-dns-mdns.pcap', import.meta.url)),
    );
    const check = await verifyBackup(file);
    expect(check.ok).toBe(false);
    expect(check.problems).toContain('neither a SQLite database nor a PostgreSQL custom-format dump');
    await expect(verifyBackup(join(tmp(), 'missing.db'))).rejects.toThrow(/not found/);
  });

  it('an in-memory database cannot be backed up', async () => {
    const vdb = await openDatabase('sqlite::memory:');
    try {
      await migrateToLatest(vdb);
      await expect(createBackup(vdb, { dir: tmp(), trigger: 'manual', actor: cliActor })).rejects.toThrow(
        /in-memory/,
      );
    } finally {
      await vdb.close();
    }
  });

  it('a SQLite backup taken while another connection writes is a consistent snapshot', async () => {
    const vdb = await database('sqlite');
    for (let i = 0; i < 50; i++) await addDevice(vdb, cliActor, { assetTag: `D-${i}` });
    const writes = (async () => {
      for (let i = 50; i < 100; i++) await addDevice(vdb, cliActor, { assetTag: `D-${i}` });
    })();
    const b = await createBackup(vdb, { dir: tmp(), trigger: 'manual', actor: cliActor });
    await writes;
    const check = await verifyBackup(b.file);
    expect(check.ok).toBe(true);
    // Every device in the copy has its audit entry, and the chain verifies: no half-written transaction.
    expect(check.contents?.counts.devices).toBeGreaterThanOrEqual(50);
  });
});
