/**
 * A 10,000-row CMMS export at full size: it imports, re-imports as a no-op, picks up a 10% change, and
 * pages, filters and streams correctly at that size. How fast is `npm run bench`'s business; unit tests
 * assert no timings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCmmsCsv } from '../../bench/cmms-generator.js';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import type { VigilDatabase } from '../store/database.js';
import { importCmmsCsv, importSummary } from './cmms-import.js';
import { listDevices, streamDevices } from './inventory-service.js';

const ROWS = 10_000;
const csv = generateCmmsCsv({ rows: ROWS, seed: 7 });
const changed = generateCmmsCsv({ rows: ROWS, seed: 7, changeEvery: 10 });

describe.each(DIALECTS)('CMMS import at %s scale', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterAll(async () => {
    await vdb.close();
  });

  it(`imports ${ROWS} rows`, async () => {
    const r = await importCmmsCsv(vdb, cliActor, { file: 'synthetic.csv', input: csv });
    expect(importSummary(r)).toBe(`created ${ROWS}, updated 0, unchanged 0, rejected 0`);
  }, 60_000);

  it('re-imports as a no-op, and imports a 10% change', async () => {
    const again = await importCmmsCsv(vdb, cliActor, { file: 'synthetic.csv', input: csv });
    expect(importSummary(again)).toBe(`created 0, updated 0, unchanged ${ROWS}, rejected 0`);
    const r = await importCmmsCsv(vdb, cliActor, { file: 'synthetic-2.csv', input: changed });
    expect(importSummary(r)).toBe(
      `created 0, updated ${ROWS / 10}, unchanged ${ROWS - ROWS / 10}, rejected 0`,
    );
  }, 60_000);

  it('pages, filters and streams the inventory at that size', async () => {
    const first = await listDevices(vdb, cliActor, {}, { pageSize: 50 });
    expect(first.total).toBe(ROWS);
    const deep = await listDevices(
      vdb,
      cliActor,
      { sort: 'manufacturer', order: 'desc' },
      { page: 150, pageSize: 50 },
    );
    expect(deep.items).toHaveLength(50);
    const filtered = await listDevices(vdb, cliActor, { deviceClass: 'infusion-pump', q: '10.0.' });
    expect(filtered.total).toBeGreaterThan(0);
    let n = 0;
    for await (const _ of streamDevices(vdb, cliActor, { sort: 'lastSeen' })) n++;
    expect(n).toBe(ROWS);
  }, 60_000);
});
