/**
 * Evidence `regular-updates` from a real KEV entry whose due date passed: the imaging workstation runs
 * Veeam Backup and Recovery 12.1.2, which the real CVE 5 record of CVE-2024-40711 covers; CISA's catalog
 * (test/fixtures/feeds/kev/kev-slice-40711.json) gave 2024-11-07 as the date to have it fixed. Nobody made a
 * task: the evidence must not say "no tasks, no evidence" (or "met") while a known-exploited hole is
 * months past CISA's date. A task for it (within its own due date) or a risk acceptance answers for it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { importAdvisoryPaths } from '../../advisories/advisory-import.js';
import { addDevice } from '../../inventory/inventory-service.js';
import type { VigilDatabase } from '../../store/database.js';
import { acceptRisk, revokeAcceptance } from '../../tasks/acceptance-service.js';
import { createTask, moveTask } from '../../tasks/tasks-service.js';
import { collectRegularUpdates } from './regular-updates.js';

const FEEDS = join(import.meta.dirname, '../../../test/fixtures/feeds');
const NOW = new Date('2025-09-01T00:00:00Z');

describe.each(DIALECTS)('regular-updates evidence on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await addDevice(vdb, cliActor, {
      assetTag: 'IMG-1',
      manufacturer: 'Veeam',
      model: 'Backup and Recovery',
      softwareVersion: '12.1.2',
      deviceClass: 'medical-workstation',
      ips: ['10.20.0.5'],
    });
    await importAdvisoryPaths(vdb, cliActor, [
      join(FEEDS, 'cve5/vulnrichment-records.jsonl'),
      join(FEEDS, 'kev/kev-slice-40711.json'),
    ]);
  });
  afterAll(async () => vdb?.close());
  const collect = () => collectRegularUpdates({ h: vdb, now: NOW, siteIds: undefined });

  it('is not met while a KEV item is past its date and nobody made a task for it', async () => {
    const e = await collect();
    expect(e).toMatchObject({
      status: 'not-met',
      reason: '1 vulnerability past due with no task',
      figures: { tasks: 0, overdue: 0, untaskedOverdue: 1 },
    });
    // KEV's date ends at 2024-11-07T23:59:59Z: 297 whole days before 2025-09-01.
    expect(e.gaps).toEqual([
      'IMG-1: CVE-2024-40711 (out-of-cycle, KEV due date 2024-11-07), 297 days overdue and no task',
    ]);
  });

  it('a risk acceptance in force answers for it', async () => {
    const a = await acceptRisk(vdb, cliActor, {
      scope: 'device',
      device: 'IMG-1',
      vulnerability: 'CVE-2024-40711',
      decision: 'reduce',
      reason: 'console reachable only from the backup VLAN until the vendor upgrade',
      expires: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    });
    expect((await collect()).figures).toMatchObject({ untaskedOverdue: 0 });
    await revokeAcceptance(vdb, cliActor, a.id, 'upgrade moved');
  });

  it('a task answers for it: its own due date then decides, until it is closed', async () => {
    const task = await createTask(
      vdb,
      cliActor,
      { device: 'IMG-1', vulnerability: 'CVE-2024-40711', due: '2025-09-15T00:00:00Z' },
      NOW,
    );
    const e = await collect();
    expect(e).toMatchObject({ status: 'met', figures: { tasks: 1, overdue: 0, untaskedOverdue: 0 } });
    expect(e.gaps).toEqual([]);
    // Closed without a fix, the vulnerability is owed work again and no task covers it.
    await moveTask(vdb, cliActor, task.id, { state: 'closed', reason: 'replaced by the campaign' });
    expect((await collect()).figures).toMatchObject({ untaskedOverdue: 1 });
  });
});
