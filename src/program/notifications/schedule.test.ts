import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { loadConfig } from '../../config/config.js';
import { createSite } from '../../inventory/site-service.js';
import { createLogger } from '../../log.js';
import type { VigilDatabase } from '../../store/database.js';
import { designateOfficer } from '../officers/officers-service.js';
import { addPerson } from '../organization/people-service.js';
import { listNotifications } from './notifications-service.js';
import { scheduleNotifications } from './schedule.js';

describe.each(DIALECTS)('notifications inside vigil serve on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await createSite(vdb, cliActor, { name: 'North Campus' });
    await addPerson(vdb, cliActor, { name: 'Grace Okafor', email: 'grace@hospital.example' });
    await designateOfficer(vdb, cliActor, { person: 'grace@hospital.example', from: '2020-01-01' });
  });
  afterAll(async () => vdb?.close());

  it('runs on its timer with the weekly digest, never two runs at once, and stops', async () => {
    const config = loadConfig({ env: {}, flags: { db: 'sqlite::memory:' } });
    const s = scheduleNotifications(vdb, config, createLogger('silent'), { firstMs: 10, everyMs: 60_000 });
    try {
      await new Promise((r) => setTimeout(r, 200));
      // A call while a run is going joins it; afterwards the keys are stored and nothing repeats.
      await Promise.all([s.runNow(), s.runNow()]);
      const page = await listNotifications(vdb, cliActor, { person: 'grace@hospital.example' });
      expect(page.items.map((n) => n.kind).sort()).toEqual(['digest', 'officer-coverage']);
      expect(page.items.every((n) => n.email.state === 'skipped')).toBe(true);
    } finally {
      s.stop();
    }
  });
});
