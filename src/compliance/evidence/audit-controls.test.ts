/**
 * Evidence `audit-controls`: met while the chain verifies and the log still holds the head the newest
 * good backup recorded; not met once entries recorded by a backup were cut off the end, which the chain
 * alone does not show; not met while the log is empty (a fresh database, before anything happened).
 * The backup is a real one (src/backup) of a real SQLite file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../../test/factories.js';
import { createBackup } from '../../backup/backups.js';
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
