/**
 * GET /system tells whoever may read the system's status where backups go, how often, and when the last
 * good one was: an administrator sees a failing or overdue backup without a shell on the server.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';

interface BackupStatus {
  directory: string;
  intervalHours: number;
  keep: number;
  encryption: { format: 'age'; recipients: string[] } | null;
  unencrypted: number | null;
  lastGood: { id: string; status: string; file: string | null } | null;
  lastAttempt: { id: string; status: string; error: string | null } | null;
  overdue: boolean;
}

describe.each(DIALECTS)('GET /system backups on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect, {
      backupDir: '/srv/vigil-backups',
      backupIntervalHours: 24,
      backupKeep: 7,
    });
  });
  afterAll(() => h.close());

  const status = async () =>
    ((await (await h.as('auditor').get('/api/v1/system')).json()) as { backups: BackupStatus }).backups;

  it('with none taken, scheduled backups are overdue', async () => {
    expect(await status()).toEqual({
      directory: '/srv/vigil-backups',
      intervalHours: 24,
      keep: 7,
      encryption: null,
      unencrypted: null,
      lastGood: null,
      lastAttempt: null,
      overdue: true,
    });
  });

  it('names the last good backup and a newer failed attempt with its reason', async () => {
    const row = (id: string, minutesAgo: number, status: 'ok' | 'failed') => {
      const at = new Date(Date.now() - minutesAgo * 60_000).toISOString();
      return {
        id,
        trigger: 'scheduled',
        started_at: at,
        finished_at: at,
        status,
        file: status === 'ok' ? `/srv/vigil-backups/${id}.db` : null,
        bytes: status === 'ok' ? 4096 : null,
        sha256: null,
        schema_version: '0023-backups',
        audit_entries: 3,
        audit_head_hash: null,
        error: status === 'failed' ? 'ENOSPC: no space left on device' : null,
        actor: 'vigil',
      };
    };
    await h.ctx.vdb.db
      .insertInto('backups')
      .values([row('older-ok', 26 * 60, 'ok'), row('good', 60, 'ok'), row('failed', 5, 'failed')])
      .execute();
    const s = await status();
    expect(s.lastGood).toMatchObject({ id: 'good', status: 'ok', file: '/srv/vigil-backups/good.db' });
    expect(s.lastAttempt).toMatchObject({
      id: 'failed',
      status: 'failed',
      error: 'ENOSPC: no space left on device',
    });
    expect(s.overdue).toBe(false);
  });
});

describe('GET /system backups with backupRecipients', () => {
  // An age public key printed by age-keygen 1.1.1 (its secret key was not kept).
  const recipient = 'age1pm45n5vnf22evsa5y6840yc2uvmz3hvynk30wg6z6u06jgk285eskrx6xx';
  let h: ApiHarness;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-system-backups-'));
    h = await apiHarness('sqlite', { backupRecipients: [recipient], backupDir: dir });
  });
  afterAll(() => h.close());

  it('counts the plaintext backups taken before encryption was on', async () => {
    const unencrypted = async () =>
      ((await (await h.as('auditor').get('/api/v1/system')).json()) as { backups: BackupStatus }).backups
        .unencrypted;
    expect(await unencrypted()).toBe(0);
    for (const name of [
      'vigil-20261101T020000Z-scheduled.db',
      'vigil-20261102T020000Z-1-manual.db',
      'vigil-20261103T020000Z-scheduled.db.age',
      'vigil-20261101T020000Z-scheduled.db.json',
      'notes.txt',
    ])
      writeFileSync(join(dir, name), '');
    expect(await unencrypted()).toBe(2);
  });

  it('says backups are encrypted, and to which public keys', async () => {
    const body = (await (await h.as('auditor').get('/api/v1/system')).json()) as {
      backups: BackupStatus;
      configuration: { key: string; value: unknown }[];
    };
    expect(body.backups.encryption).toEqual({ format: 'age', recipients: [recipient] });
    expect(body.configuration.find((o) => o.key === 'backupRecipients')?.value).toBe(recipient);
  });
});
