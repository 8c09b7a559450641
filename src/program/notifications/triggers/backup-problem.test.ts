/**
 * Trigger `backup-problem`: with scheduled backups on, a failed newest attempt is notified once a day and
 * an overdue backup (none good for twice the interval) once a week; with them off, nothing. Run through
 * the real runner, it reaches the organization's security officer in-app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../../test/dialects.js';
import { cliActor } from '../../../../test/factories.js';
import type { VigilDatabase } from '../../../store/database.js';
import { designateOfficer } from '../../officers/officers-service.js';
import { addPerson } from '../../organization/people-service.js';
import { listNotifications } from '../notifications-service.js';
import { runNotifications } from '../run-notifications.js';
import { backupProblemTrigger } from './backup-problem.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

describe.each(DIALECTS)('backup-problem notifications on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterAll(async () => vdb?.close());

  const record = (id: string, startedAt: string, status: 'ok' | 'failed', error: string | null = null) =>
    vdb.db
      .insertInto('backups')
      .values({
        id,
        trigger: 'scheduled',
        started_at: startedAt,
        finished_at: startedAt,
        status,
        file: status === 'ok' ? `/srv/vigil-backups/${id}.db` : null,
        bytes: null,
        sha256: null,
        schema_version: null,
        audit_entries: null,
        audit_head_hash: null,
        error,
        actor: 'vigil',
      })
      .execute();
  const run = (backupIntervalHours: number) =>
    backupProblemTrigger.run({ h: vdb, now: NOW, config: { backupIntervalHours } });

  it('says nothing while backups are not scheduled', async () => {
    expect(await run(0)).toEqual([]);
  });

  it('with none ever taken, backups are overdue (critical, once a week)', async () => {
    const [c, ...rest] = await run(24);
    expect(rest).toEqual([]);
    expect(c).toMatchObject({
      kind: 'backup-problem',
      key: 'backup-problem:overdue:2026-W49',
      severity: 'critical',
      title: 'Vigil backups are overdue',
      siteIds: [],
    });
    expect(c?.body).toMatch(/^Backups are due every 24 h\. No good backup has been taken yet\./);
  });

  it('a failed newest attempt after a good one is a warning naming the error, once a day', async () => {
    await record('good', hoursAgo(20), 'ok');
    await record('bad', hoursAgo(1), 'failed', 'ENOSPC: no space left on device');
    const candidates = await run(24);
    expect(candidates).toHaveLength(1);
    expect(candidates[0]).toMatchObject({
      key: 'backup-problem:failed:2026-11-30',
      severity: 'warning',
      title: 'Vigil backup failed',
      details: { code: 'failed', backupId: 'bad', error: 'ENOSPC: no space left on device' },
    });
    expect(candidates[0]?.body).toContain(
      'The last good backup was taken 2026-11-29 16:00 UTC (/srv/vigil-backups/good.db).',
    );
  });

  it('reaches the organization officer; a good backup afterwards ends it', async () => {
    await addPerson(vdb, cliActor, { name: 'Grace Okafor', email: 'grace@hospital.example' });
    await designateOfficer(vdb, cliActor, { person: 'grace@hospital.example', from: '2026-01-01' });
    await vdb.db
      .updateTable('backups')
      .set({ started_at: hoursAgo(60) })
      .where('id', '=', 'good')
      .execute();
    const result = await runNotifications(vdb, {
      now: NOW,
      config: { backupIntervalHours: 24 },
      digest: false,
    });
    expect(result.triggers.find((t) => t.name === 'backup-problem')).toMatchObject({
      candidates: 2,
      error: null,
    });
    const page = await listNotifications(vdb, cliActor, {
      person: 'grace@hospital.example',
      kind: ['backup-problem'],
    });
    expect(page.items.map((n) => n.title).sort()).toEqual([
      'Vigil backup failed',
      'Vigil backups are overdue',
    ]);
    await record('later', hoursAgo(0.5), 'ok');
    expect(await run(24)).toEqual([]);
  });
});
