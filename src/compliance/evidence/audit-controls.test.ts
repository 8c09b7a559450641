/**
 * Evidence `audit-controls`: met while the chain verifies and the log still holds the head the newest
 * good backup recorded; not met once entries recorded by a backup were cut off the end, which the chain
 * alone does not show; not met while the log is empty (a fresh database, before anything happened).
 * The backup is a real one (src/backup) of a real SQLite file. A legitimate `vigil db restore` (a real
 * backup put back, on SQLite and, with VIGIL_TEST_PG, PostgreSQL) is not a cut: the backups of the log it
 * replaced (its safety copy among them) are passed over, while a cut after it is still caught. A
 * `db.restore` entry forged after a cut (the chain is unkeyed) excuses nothing: it must name a known
 * backup whose recorded head the log holds, with the entry right after it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupTestDatabases } from '../../../test/backup-databases.js';
import { DIALECTS } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { appendAudit, listAudit } from '../../audit/audit-log.js';
import { createBackup, restoreBackup } from '../../backup/backups.js';
import { addDevice } from '../../inventory/inventory-service.js';
import { openDatabase, type VigilDatabase } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { collectAuditControls } from './audit-controls.js';

describe('audit-controls evidence against backups', () => {
  let vdb: VigilDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-evidence-'));
  beforeAll(async () => {
    vdb = await openDatabase(`sqlite:${join(dir, 'vigil.db')}`);
    await migrateToLatest(vdb);
  });
  afterAll(async () => vdb?.close());
  const collect = () => collectAuditControls({ h: vdb, now: new Date(), siteIds: undefined });

  it('is not met while the audit log is empty: a chain of nothing verifies, but records nothing', async () => {
    const e = await collect();
    expect(e).toMatchObject({
      status: 'not-met',
      reason: 'the audit log holds no entry: no action has been recorded',
      asOf: null,
    });
    expect(e.figures).toMatchObject({ entries: 0, chainIntact: true });
  });

  it('is met without a backup, as before', async () => {
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1' });
    const e = await collect();
    expect(e).toMatchObject({ status: 'met', reason: 'hash chain of 1 audit entry verified' });
    expect(e.figures).toMatchObject({ lastBackupAt: null, holdsBackupHead: null });
  });

  it("is met when the log holds the backup's head, and not met once entries it recorded are gone", async () => {
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-2' });
    const b = await createBackup(vdb, { dir: join(dir, 'backups'), trigger: 'manual', actor: cliActor });
    const met = await collect();
    expect(met.status).toBe('met');
    expect(met.reason).toMatch(/including the 2 the backup of \d{4}-\d\d-\d\d recorded$/);
    expect(met.figures).toMatchObject({ lastBackupAt: b.manifest.createdAt, holdsBackupHead: true });

    await sql`DROP TRIGGER audit_log_no_delete`.execute(vdb.db);
    await vdb.db.deleteFrom('audit_log').where('seq', '>=', 2).execute();
    const cut = await collect();
    expect(cut.status).toBe('not-met');
    expect(cut.reason).toMatch(
      /^against the backup of \d{4}-\d\d-\d\d: entry 2, the last one when the backup was taken, is missing: the log was cut short$/,
    );
    expect(cut.figures).toMatchObject({ chainIntact: true, holdsBackupHead: false });
  });
});

describe.each(DIALECTS)('audit-controls evidence after a restore on %s', (dialect) => {
  const database = backupTestDatabases();
  const tmp = () => mkdtempSync(join(tmpdir(), 'vigil-audit-restore-'));
  const collect = (vdb: VigilDatabase) =>
    collectAuditControls({ h: vdb, now: new Date(), siteIds: undefined });
  const dropAppendOnly = (vdb: VigilDatabase) =>
    dialect === 'sqlite'
      ? sql`DROP TRIGGER audit_log_no_delete`.execute(vdb.db)
      : sql`DROP TRIGGER audit_log_append_only ON audit_log`.execute(vdb.db);

  /** A backup, a later one of more work, then the first restored: two backups of the replaced log. */
  async function restored(vdb: VigilDatabase, dir: string) {
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1' });
    const first = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-2' });
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-3' });
    const later = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
    const r = await restoreBackup(vdb, first.file, { dir, actor: cliActor });
    return { first, later, safetyCopy: r.safetyCopy! };
  }

  it('a restore is not a cut: the backups of the replaced log do not count, the restored one does', async () => {
    const vdb = await database(dialect);
    const { first, later } = await restored(vdb, tmp());
    // The safety copy recorded the replaced log's head, which the restored log does not hold.
    expect(later.manifest.audit.entries).toBeGreaterThan(first.manifest.audit.entries);
    const e = await collect(vdb);
    expect(e.status).toBe('met');
    expect(e.figures).toMatchObject({
      chainIntact: true,
      holdsBackupHead: true,
      lastBackupAt: first.manifest.createdAt,
      backupsReplacedByRestore: 2,
    });
    expect(e.reason).toMatch(
      /including the 1 the backup of \d{4}-\d\d-\d\d recorded; 2 backups of the log a recorded restore replaced not counted$/,
    );
  });

  it('a cut after the restore is still caught, against a backup taken since or the safety copy', async () => {
    const vdb = await database(dialect);
    const dir = tmp();
    await restored(vdb, dir);
    const [restore] = await listAudit(vdb, { action: 'db.restore' });
    await addDevice(vdb, cliActor, { assetTag: 'CT-9' });
    const since = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
    expect(await collect(vdb)).toMatchObject({
      status: 'met',
      figures: { lastBackupAt: since.manifest.createdAt },
    });

    await dropAppendOnly(vdb);
    // Cut back to before the backup taken since: that backup catches it.
    await vdb.db.deleteFrom('audit_log').where('seq', '>', restore!.seq).execute();
    const cut = await collect(vdb);
    expect(cut).toMatchObject({ status: 'not-met', figures: { holdsBackupHead: false } });
    expect(cut.reason).toMatch(/the log was cut short$/);
    // Cut back to before the restore's own entry: no restore is recorded any more, the safety copy counts.
    await vdb.db.deleteFrom('audit_log').where('seq', '>=', restore!.seq).execute();
    const gone = await collect(vdb);
    expect(gone).toMatchObject({ status: 'not-met', figures: { backupsReplacedByRestore: 0 } });
    expect(gone.reason).toMatch(/the log was cut short$/);
  });

  /** Entries 1–10 (devices added), then a backup of them, then more work it does not hold. */
  async function tenAndBackup(vdb: VigilDatabase, dir: string) {
    for (let i = 1; i <= 10; i++) await addDevice(vdb, cliActor, { assetTag: `PUMP-${i}` });
    return createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
  }
  /** What someone with write access to the database can append: a restore of a backup of long ago. */
  const forgeRestore = (vdb: VigilDatabase, restored: Record<string, unknown>) =>
    appendAudit(vdb, {
      actor: cliActor,
      action: 'db.restore',
      target: { type: 'backup' },
      summary: { restored: { createdAt: '2020-01-01T00:00:00.000Z', ...restored }, safetyCopy: null },
    });

  it('a db.restore entry forged after a cut excuses nothing: the cut is caught and the claim named', async () => {
    const vdb = await database(dialect);
    const b = await tenAndBackup(vdb, tmp());
    expect(b.manifest.audit.entries).toBe(10);
    await dropAppendOnly(vdb);
    await vdb.db.deleteFrom('audit_log').where('seq', '>=', 6).execute();
    await forgeRestore(vdb, { file: '/srv/vigil-backups/old.db', sha256: 'ab'.repeat(32) });
    const e = await collect(vdb);
    expect(e).toMatchObject({
      status: 'not-met',
      figures: { chainIntact: true, holdsBackupHead: false, backupsReplacedByRestore: 0 },
    });
    expect(e.reason).toMatch(
      /^against the backup of \d{4}-\d\d-\d\d: entry 10, the last one when the backup was taken, is missing: the log was cut short; audit entry 6 claims a restore \(db\.restore\) but does not match any known backup: it names a backup \(SHA-256 abababababababab…\) that matches no backup Vigil knows$/,
    );
  });

  it("a forged db.restore naming a real backup excuses nothing unless the log holds that backup's head", async () => {
    const vdb = await database(dialect);
    const dir = tmp();
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-0' });
    const first = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
    const later = await tenAndBackup(vdb, dir);
    await dropAppendOnly(vdb);
    // Cut below the head the named backup recorded (entry 1): the log never was that backup's log.
    await vdb.db.deleteFrom('audit_log').where('seq', '>=', 1).execute();
    await forgeRestore(vdb, { file: first.file, sha256: first.manifest.sha256 });
    const e = await collect(vdb);
    expect(e).toMatchObject({
      status: 'not-met',
      figures: { lastBackupAt: later.manifest.createdAt, backupsReplacedByRestore: 0 },
    });
    expect(e.reason).toMatch(
      /; audit entry 1 claims a restore \(db\.restore\) but does not match any known backup: the backup it names \(SHA-256 [0-9a-f]{16}…, taken \S+\) recorded a log of 1 entry, which the log does not hold with this entry right after it$/,
    );
  });

  it('a forged db.restore naming a real backup whose head the log holds, but not right before it, excuses nothing', async () => {
    const vdb = await database(dialect);
    const dir = tmp();
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-0' });
    const first = await createBackup(vdb, { dir, trigger: 'manual', actor: cliActor });
    await tenAndBackup(vdb, dir);
    await dropAppendOnly(vdb);
    // Entry 1 (the head the named backup recorded) stays, and so does entry 2, its own db.backup entry:
    // a restore of it would have left its entry at 2.
    await vdb.db.deleteFrom('audit_log').where('seq', '>=', 3).execute();
    await forgeRestore(vdb, { file: first.file, sha256: first.manifest.sha256 });
    const e = await collect(vdb);
    expect(e).toMatchObject({ status: 'not-met', figures: { holdsBackupHead: false } });
    expect(e.reason).toMatch(/; audit entry 3 claims a restore .* right after it$/);
  });
});
