/**
 * A task made for an item already overdue gets time to act when it re-opens after a risk acceptance.
 * Real data: the imaging workstations run Veeam Backup and Recovery 12.1.2, which the real CVE 5 record
 * of CVE-2024-40711 covers (test/fixtures/feeds/cve5/vulnrichment-records.jsonl); CISA's catalog
 * (test/fixtures/feeds/kev/kev-slice-40711.json) gave 2024-11-07 as the date to have it fixed, months
 * before NOW. The queue decides out-of-cycle; a task made from it is due on KEV's date, so nothing of its
 * own SLA is left: re-opened, it must get the out-of-cycle SLA, not a due date of "now".
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';
import { listAudit } from '../audit/audit-log.js';
import { addDevice } from '../inventory/inventory-service.js';
import { DEFAULT_SLA } from '../risk/priority.js';
import type { VigilDatabase } from '../store/database.js';
import { acceptRisk, expireAcceptances, revokeAcceptance } from './acceptance-service.js';
import { createTask, getTask, moveTask } from './tasks-service.js';

const FEEDS = join(import.meta.dirname, '../../test/fixtures/feeds');
const CVE = 'CVE-2024-40711';
const NOW = new Date('2025-09-01T00:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY);
const KEV_DUE = '2024-11-07T23:59:59.000Z';

/** Workstations running Veeam Backup and Recovery 12.1.2, matched by the real CVE 5 record and KEV entry. */
async function veeamUnits(vdb: VigilDatabase, tags: readonly string[]): Promise<void> {
  for (const tag of tags)
    await addDevice(vdb, cliActor, {
      assetTag: tag,
      manufacturer: 'Veeam',
      model: 'Backup and Recovery',
      softwareVersion: '12.1.2',
      deviceClass: 'medical-workstation',
    });
  await importAdvisoryPaths(vdb, cliActor, [
    join(FEEDS, 'cve5/vulnrichment-records.jsonl'),
    join(FEEDS, 'kev/kev-slice-40711.json'),
  ]);
}

describe.each(DIALECTS)('SLA restart after a risk acceptance on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await veeamUnits(vdb, ['IMG-1', 'IMG-2', 'IMG-3']);
  });
  afterAll(async () => vdb?.close());

  const accept = (device: string, expires: Date, now: Date) =>
    acceptRisk(
      vdb,
      cliActor,
      {
        scope: 'device',
        device,
        vulnerability: CVE,
        decision: 'reduce',
        reason: 'console reachable only from the backup VLAN until the vendor upgrade',
        expires: expires.toISOString(),
      },
      now,
    );

  it('a task made overdue re-opens on revocation with the out-of-cycle SLA from now, not due now', async () => {
    const t = await createTask(vdb, cliActor, { device: 'IMG-1', vulnerability: CVE }, NOW);
    // The queue's date is KEV's, long past: nothing of the task's own SLA is left.
    expect(t).toMatchObject({ due: KEV_DUE, overdue: true, slaSeconds: 0 });
    const a = await accept('IMG-1', at(30), NOW);
    await revokeAcceptance(vdb, cliActor, a.id, 'upgrade moved', at(3));
    const reopened = await getTask(vdb, cliActor, t.id, at(3));
    expect(reopened).toMatchObject({
      state: 'open',
      due: at(3 + DEFAULT_SLA.outOfCycleDays).toISOString(),
      overdue: false,
      slaSeconds: DEFAULT_SLA.outOfCycleDays * 86_400,
    });
    expect(reopened.events.at(-1)).toMatchObject({
      action: 'revoke',
      to: 'open',
      details: { slaRestarted: true, slaFrom: 'decision', decision: 'out-of-cycle' },
    });
    const audit = (await listAudit(vdb, { limit: 500 })).find(
      (e) => e.action === 'tasks.revoke' && e.targetId === t.id,
    );
    expect(audit?.summary).toMatchObject({ due: at(17).toISOString(), slaFrom: 'decision' });

    // Accepted again and expired: the restarted SLA is now the task's own, and it keeps it.
    const b = await accept('IMG-1', at(40), at(5));
    expect(
      (await expireAcceptances(vdb, at(41))).expired.find((x) => x.acceptanceId === b.id)?.reopened,
    ).toEqual([{ taskId: t.id, due: at(41 + DEFAULT_SLA.outOfCycleDays).toISOString() }]);
  });

  it('on expiry the configured policy decides (slaOutOfCycleDays)', async () => {
    const t = await createTask(vdb, cliActor, { device: 'IMG-2', vulnerability: CVE }, NOW);
    expect(t.slaSeconds).toBe(0);
    await accept('IMG-2', at(10), NOW);
    const sla = { ...DEFAULT_SLA, outOfCycleDays: 7 };
    const r = await expireAcceptances(vdb, at(11), cliActor, { sla });
    expect(r.expired.flatMap((x) => x.reopened)).toEqual([{ taskId: t.id, due: at(18).toISOString() }]);
    expect((await getTask(vdb, cliActor, t.id, at(11))).slaSeconds).toBe(7 * 86_400);
  });

  it('leaving the acceptance by hand restarts it the same way', async () => {
    const t = await createTask(vdb, cliActor, { device: 'IMG-3', vulnerability: CVE }, NOW);
    await accept('IMG-3', at(30), NOW);
    const moved = await moveTask(vdb, cliActor, t.id, { state: 'open', reason: 'upgrade is ready' }, at(2));
    expect(moved).toMatchObject({ state: 'open', due: at(2 + 14).toISOString(), overdue: false });
  });
});

describe.each(DIALECTS)('SLA restart of a fleet-wide acceptance on %s', (dialect) => {
  it('re-opens every unit with its decision SLA, the queue read once for all of them', async () => {
    const vdb = await freshDatabase(dialect);
    try {
      const tags = ['IMG-1', 'IMG-2', 'IMG-3', 'IMG-4', 'IMG-5'];
      await veeamUnits(vdb, tags);
      const ids: string[] = [];
      for (const tag of tags)
        ids.push((await createTask(vdb, cliActor, { device: tag, vulnerability: CVE }, NOW)).id);
      const a = await acceptRisk(
        vdb,
        cliActor,
        {
          scope: 'fleet',
          vulnerability: CVE,
          decision: 'reduce',
          reason: 'every Veeam console moved to the backup VLAN until the vendor upgrade',
          expires: at(30).toISOString(),
        },
        NOW,
      );
      await revokeAcceptance(vdb, cliActor, a.id, 'upgrade moved', at(3));
      for (const id of ids)
        expect(await getTask(vdb, cliActor, id, at(3))).toMatchObject({
          state: 'open',
          due: at(3 + DEFAULT_SLA.outOfCycleDays).toISOString(),
          slaSeconds: DEFAULT_SLA.outOfCycleDays * 86_400,
        });
    } finally {
      await vdb.close();
    }
  });
});
