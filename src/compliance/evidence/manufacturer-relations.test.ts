/**
 * Evidence `manufacturer-relations`: a manufacturer counts as followed only once its advisory
 * subscription has synced; one subscribed to a provider that never answered follows nothing, and the
 * gap says so. Devices from the real CMMS export (test/fixtures/cmms/hospital-export.csv), subscriptions
 * through the feeds service, their sync outcome set as a sync would leave it. The export has two sites:
 * St. Vigil Medical Center (BD, GE, Baxter, Philips …) and North Clinic (two Welch Allyn monitors only).
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { addSubscription } from '../../advisories/feeds-service.js';
import { importCmmsCsv } from '../../inventory/cmms-import.js';
import type { VigilDatabase } from '../../store/database.js';
import { findSite } from '../../store/site-store.js';
import { complianceReport } from '../compliance-service.js';
import { collectManufacturerRelations } from './manufacturer-relations.js';
import { emptyProgramTables } from './program.js';

const NOW = new Date('2026-12-15T00:00:00Z');
const fixture = new URL('../../../test/fixtures/cmms/hospital-export.csv', import.meta.url);

describe.each(DIALECTS)('manufacturer relations evidence on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await importCmmsCsv(vdb, cliActor, {
      file: 'hospital-export.csv',
      input: await readFile(fixture, 'utf8'),
    });
    for (const [name, manufacturer] of [
      ['Philips CSAF', 'Philips'],
      ['GE HealthCare CSAF', 'GE Healthcare'],
    ] as const)
      await addSubscription(vdb, cliActor, {
        kind: 'csaf-provider',
        name,
        url: `https://csaf.example/${name.split(' ')[0]!.toLowerCase()}/provider-metadata.json`,
        manufacturer,
      });
  });
  afterAll(async () => vdb?.close());

  const collect = () =>
    collectManufacturerRelations({ h: vdb, now: NOW, siteIds: undefined }, emptyProgramTables());
  const siteId = async (name: string) => (await findSite(vdb, name))!.id;

  it('a subscription that never synced follows nothing: not counted, and named as a gap', async () => {
    // Philips' provider answered once; GE's has refused every attempt since it was added.
    await vdb.db
      .updateTable('feed_sources')
      .set({ last_attempt_at: '2026-12-14T02:00:00.000Z', last_success_at: '2026-12-14T02:00:00.000Z' })
      .where('name', '=', 'Philips CSAF')
      .execute();
    await vdb.db
      .updateTable('feed_sources')
      .set({ last_attempt_at: '2026-12-14T03:00:00.000Z', last_error: 'getaddrinfo ENOTFOUND csaf.example' })
      .where('name', '=', 'GE HealthCare CSAF')
      .execute();
    const e = await collect();
    expect(e.figures).toMatchObject({ subscribed: 2, followed: 1 });
    expect(e.gaps).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^GE Healthcare: advisory subscription never synced successfully \(\d+ devices?\)$/,
        ),
        'GE Healthcare: last advisory sync failed: getaddrinfo ENOTFOUND csaf.example',
      ]),
    );
    expect(e.gaps.filter((g) => g.startsWith('Philips: advisory subscription'))).toEqual([]);
    expect(e.reason).toMatch(/^\d+ of \d+ manufacturers not followed/);
    const inUse = e.figures['manufacturersInUse'] as number;
    expect(e.reason.startsWith(`${inUse - 1} of ${inUse} manufacturers`)).toBe(true);
  });

  it("a site's report counts only the manufacturers of devices at its sites", async () => {
    const org = await collect();
    const north = emptyProgramTables();
    const e = await collectManufacturerRelations(
      { h: vdb, now: NOW, siteIds: [await siteId('North Clinic')] },
      north,
    );
    expect(north.manufacturers.map((m) => [m.name, m.activeDevices])).toEqual([['Welch Allyn', 2]]);
    // Philips' and GE's subscriptions are the organization's, but none of their devices is at the clinic.
    expect(e.figures).toMatchObject({ manufacturersInUse: 1, subscribed: 0, followed: 0 });
    expect(e.gaps.length).toBeGreaterThan(0);
    expect(e.gaps.filter((g) => !g.startsWith('Welch Allyn: '))).toEqual([]);
    expect(e).toMatchObject({
      status: 'not-met',
      reason: 'none of 1 manufacturer in use is followed for advisories',
    });

    const main = emptyProgramTables();
    const m = await collectManufacturerRelations(
      { h: vdb, now: NOW, siteIds: [await siteId('St. Vigil Medical Center')] },
      main,
    );
    expect(m.figures).toMatchObject({
      manufacturersInUse: (org.figures['manufacturersInUse'] as number) - 1,
      subscribed: 2,
    });
    expect(main.manufacturers.map((x) => x.name)).not.toContain('Welch Allyn');
    expect(m.gaps.join('\n')).not.toContain('Welch Allyn');
  });

  it('the compliance report of a site, or for a user limited to one, has that scope', async () => {
    const relations = (r: Awaited<ReturnType<typeof complianceReport>>) =>
      r.evidence.find((e) => e.kind === 'manufacturer-relations')!;
    const bySite = await complianceReport(vdb, cliActor, { site: 'North Clinic' }, NOW);
    expect(relations(bySite).figures).toMatchObject({ manufacturersInUse: 1, subscribed: 0 });
    expect(bySite.tables.manufacturers.map((m) => m.name)).toEqual(['Welch Allyn']);
    const limited = { ...cliActor, siteIds: [await siteId('North Clinic')] };
    const mine = await complianceReport(vdb, limited, {}, NOW);
    expect(relations(mine).figures).toMatchObject({ manufacturersInUse: 1, subscribed: 0 });
    expect(mine.tables.manufacturers.map((m) => m.name)).toEqual(['Welch Allyn']);
  });
});
