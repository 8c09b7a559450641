/**
 * The background maintenance `vigil serve` runs: an acceptance that expires while nobody is looking
 * re-opens its task on the next run. Device and advisory as in tasks-service.test.ts (ICSMA-21-308-01).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';
import { addDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { acceptRisk } from './acceptance-service.js';
import { scheduleTaskMaintenance } from './scheduler.js';
import { createTask, getTask } from './tasks-service.js';

const ADVISORY = join(import.meta.dirname, '../../test/fixtures/advisories/csaf/icsma-21-308-01.json');
const day = 86_400_000;

describe.each(DIALECTS)('task maintenance schedule on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await addDevice(vdb, cliActor, {
      assetTag: 'TASY-1',
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1700',
    });
    await importAdvisoryPaths(vdb, cliActor, [ADVISORY]);
  });
  afterAll(async () => vdb?.close());

  it('expires acceptances on its own and logs what it did; a failing run is logged, not thrown', async () => {
    const t0 = new Date();
    const task = await createTask(vdb, cliActor, { device: 'TASY-1', vulnerability: 'CVE-2021-39375' }, t0);
    await acceptRisk(
      vdb,
      cliActor,
      {
        scope: 'device',
        vulnerability: 'CVE-2021-39375',
        device: 'TASY-1',
        decision: 'accept',
        reason: 'EMR front end behind the jump host until the upgrade window',
        expires: new Date(t0.getTime() + 7 * day).toISOString(),
      },
      t0,
    );
    expect((await getTask(vdb, cliActor, task.id, t0)).state).toBe('risk-accepted');
    const logged: string[] = [];
    const log = {
      info: (_o: object, m: string) => void logged.push(m),
      error: (_o: object, m: string) => void logged.push(m),
    };
    // The clock of the schedule is eight days on.
    const later = new Date(t0.getTime() + 8 * day);
    const s = scheduleTaskMaintenance(vdb, log as never, 3_600_000, () => later);
    try {
      const r = await s.runNow();
      expect(r?.expiry.expired.map((e) => e.acceptanceId)).toHaveLength(1);
      expect((await getTask(vdb, cliActor, task.id, later)).state).toBe('open');
      expect(logged).toEqual(['task maintenance']);
    } finally {
      s.stop();
    }
    const broken = scheduleTaskMaintenance({ db: null, dialect: 'sqlite' } as never, log as never, 3_600_000);
    expect(await broken.runNow()).toBeNull();
    broken.stop();
    expect(logged.at(-1)).toBe('task maintenance failed');
  });
});
