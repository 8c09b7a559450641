/**
 * The acceptance numbers: a 10,000-row CMMS export imports in a few seconds, re-imports as a no-op,
 * and a page of the inventory comes back quickly at that size. Timings are printed for the report.
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

  const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const r = await fn();
    console.log(`[scale ${dialect}] ${label}: ${Math.round(performance.now() - t)} ms`);
    return r;
  };

  it(`imports ${ROWS} rows in a few seconds`, async () => {
    const started = performance.now();
    const r = await timed(`import ${ROWS} rows`, () =>
      importCmmsCsv(vdb, cliActor, { file: 'synthetic.csv', input: csv }),
    );
    const ms = performance.now() - started;
    expect(importSummary(r)).toBe(`created ${ROWS}, updated 0, unchanged 0, rejected 0`);
    // "A few seconds" on the slowest CI machine; typical runs are well under this.
    expect(ms).toBeLessThan(dialect === 'sqlite' ? 10_000 : 20_000);
  }, 60_000);

  it('re-imports as a no-op, and imports a 10% change', async () => {
    const again = await timed('re-import unchanged', () =>
      importCmmsCsv(vdb, cliActor, { file: 'synthetic.csv', input: csv }),
    );
    expect(importSummary(again)).toBe(`created 0, updated 0, unchanged ${ROWS}, rejected 0`);
    const r = await timed('import with 10% changed', () =>
      importCmmsCsv(vdb, cliActor, { file: 'synthetic-2.csv', input: changed }),
    );
    expect(importSummary(r)).toBe(
      `created 0, updated ${ROWS / 10}, unchanged ${ROWS - ROWS / 10}, rejected 0`,
    );
  }, 60_000);

  it('pages, filters and streams the inventory quickly', async () => {
    const first = await timed('first page (50, by asset tag) + total', () =>
      listDevices(vdb, cliActor, {}, { pageSize: 50 }),
    );
    expect(first.total).toBe(ROWS);
    const deep = await timed('page 150 by manufacturer desc', () =>
      listDevices(vdb, cliActor, { sort: 'manufacturer', order: 'desc' }, { page: 150, pageSize: 50 }),
    );
    expect(deep.items).toHaveLength(50);
    const filtered = await timed('filter class + q', () =>
      listDevices(vdb, cliActor, { deviceClass: 'infusion-pump', q: '10.0.' }),
    );
    expect(filtered.total).toBeGreaterThan(0);
    let n = 0;
    await timed(`stream all ${ROWS}`, async () => {
      for await (const _ of streamDevices(vdb, cliActor, { sort: 'lastSeen' })) n++;
    });
    expect(n).toBe(ROWS);
  }, 60_000);
});
