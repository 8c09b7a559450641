import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import type { Actor } from '../accounts/actor.js';
import { permissionsOf } from '../accounts/permissions.js';
import { listAudit } from '../audit/audit-log.js';
import type { VigilDatabase } from '../store/database.js';
import { addDevice } from './inventory-service.js';
import { addSegment, createSite, getSite, listSites } from './site-service.js';

describe.each(DIALECTS)('sites on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await vdb.close();
  });

  it('creates sites and segments, audited, and counts devices', async () => {
    const site = await createSite(vdb, cliActor, {
      name: '  St. Vigil   Medical Center ',
      description: 'Main campus',
    });
    expect(site).toMatchObject({
      name: 'St. Vigil Medical Center',
      description: 'Main campus',
      deviceCount: 0,
      segmentCount: 0,
      segments: [],
    });
    await expect(createSite(vdb, cliActor, { name: 'st. vigil medical center' })).rejects.toMatchObject({
      code: 'conflict',
    });
    const seg = await addSegment(vdb, cliActor, 'ST. VIGIL MEDICAL CENTER', {
      name: 'Infusion pumps',
      cidrs: ['10.20.31.0/24', '2001:DB8:31::/64', '10.20.31.0/24'],
      vlan: 31,
      zone: 'clinical',
    });
    expect(seg).toMatchObject({
      siteId: site.id,
      cidrs: ['10.20.31.0/24', '2001:db8:31::/64'],
      vlan: 31,
      zone: 'clinical',
    });
    await addDevice(vdb, cliActor, { assetTag: 'A-1', site: site.name });
    expect(await getSite(vdb, cliActor, site.id)).toMatchObject({
      deviceCount: 1,
      segmentCount: 1,
      segments: [expect.objectContaining({ name: 'Infusion pumps' })],
    });
    expect((await listSites(vdb, cliActor)).map((s) => [s.name, s.deviceCount])).toEqual([
      ['St. Vigil Medical Center', 1],
    ]);
    expect((await listAudit(vdb, {})).map((a) => a.action).reverse()).toEqual([
      'site.create',
      'segment.create',
      'device.create',
    ]);
  });

  it('tells a site by id from a site named like that id', async () => {
    // Found by fuzzing the API: a second site named like the first's id got 500 (UNIQUE constraint)
    // instead of 409, because the duplicate check looked the name up as an id first.
    const a = await createSite(vdb, cliActor, { name: 'Main campus' });
    const b = await createSite(vdb, cliActor, { name: a.id });
    await expect(createSite(vdb, cliActor, { name: a.id })).rejects.toMatchObject({
      code: 'conflict',
      message: `A site named "${a.id}" already exists (${b.id})`,
    });
    expect((await getSite(vdb, cliActor, a.id)).name).toBe('Main campus');
  });

  it('validates segments', async () => {
    await createSite(vdb, cliActor, { name: 'North Clinic' });
    const bad = await addSegment(vdb, cliActor, 'North Clinic', {
      name: '',
      cidrs: ['10.0.0.1/24'],
      vlan: 5000,
    }).catch((e: unknown) => e);
    expect(bad).toMatchObject({
      code: 'invalid_input',
      issues: expect.arrayContaining([
        { field: 'name', reason: 'a segment needs a name' },
        { field: 'cidrs.0', reason: '"10.0.0.1/24" has host bits set; did you mean 10.0.0.0/24?' },
        { field: 'vlan', reason: 'VLAN ids are 1–4094' },
      ]),
    });
    await addSegment(vdb, cliActor, 'North Clinic', { name: 'Imaging', cidrs: ['10.0.0.0/24'] });
    await expect(
      addSegment(vdb, cliActor, 'North Clinic', { name: 'Imaging', cidrs: ['10.0.1.0/24'] }),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(
      addSegment(vdb, cliActor, 'Nowhere', { name: 'x', cidrs: ['10.0.1.0/24'] }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('keeps site-limited actors to their sites', async () => {
    const a = await createSite(vdb, cliActor, { name: 'A' });
    await createSite(vdb, cliActor, { name: 'B' });
    const limited: Actor = {
      kind: 'token',
      id: 't',
      name: 't',
      permissions: permissionsOf('security-officer'),
      siteIds: [a.id],
    };
    expect((await listSites(vdb, limited)).map((s) => s.name)).toEqual(['A']);
    await expect(getSite(vdb, limited, 'B')).rejects.toMatchObject({ code: 'not_found' });
    await expect(createSite(vdb, limited, { name: 'C' })).rejects.toMatchObject({ code: 'forbidden' });
    const engineer: Actor = {
      kind: 'user',
      id: 'e',
      name: 'e',
      permissions: permissionsOf('clinical-engineer'),
    };
    await expect(createSite(vdb, engineer, { name: 'C' })).rejects.toMatchObject({ code: 'forbidden' });
    expect(await listSites(vdb, engineer)).toHaveLength(2);
  });
});
