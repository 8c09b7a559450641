import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import type { Actor } from '../../accounts/actor.js';
import { VigilError } from '../../errors.js';
import { createSite } from '../../inventory/site-service.js';
import type { VigilDatabase } from '../../store/database.js';
import { addPerson, deactivatePerson } from '../organization/people-service.js';
import { officerCoverage } from './coverage.js';
import { designateOfficer, endOfficerTerm, getCoverage, listOfficers } from './officers-service.js';

async function failure(p: Promise<unknown>): Promise<VigilError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VigilError) return e;
    throw e;
  }
  throw new Error('expected a VigilError');
}

const NOW = new Date('2026-11-29T10:00:00Z');

describe.each(DIALECTS)('security officers on %s', (dialect) => {
  let vdb: VigilDatabase;
  const site: Record<string, string> = {};
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    site['north'] = (await createSite(vdb, cliActor, { name: 'North Campus' })).id;
    site['south'] = (await createSite(vdb, cliActor, { name: 'South Clinic' })).id;
    for (const [name, email, s] of [
      ['Grace Okafor', 'grace@hospital.example', 'North Campus'],
      ['Tomas Reyes', 'tomas@hospital.example', 'North Campus'],
      ['Priya Raman', 'priya@hospital.example', 'South Clinic'],
      ['Lars Nilsson', 'lars@hospital.example', 'South Clinic'],
    ] as const)
      await addPerson(vdb, cliActor, { name, email, site: s, phone: '+1 555 0100' });
  });
  afterAll(async () => vdb?.close());

  it('warns about the organization and every site without an officer', async () => {
    const c = await officerCoverage(vdb, NOW);
    expect(c.organization).toEqual({ primary: null, deputies: [] });
    expect(c.sites.map((s) => [s.siteName, s.primary])).toEqual([
      ['North Campus', null],
      ['South Clinic', null],
    ]);
    expect(c.warnings.map((w) => [w.code, w.siteId])).toEqual([
      ['no-officer-organization', null],
      ['no-officer-site', site['north']],
      ['no-officer-site', site['south']],
    ]);
  });

  it('designates officers and deputies with terms, contact details from the person, audited', async () => {
    const grace = await designateOfficer(
      vdb,
      cliActor,
      { person: 'grace@hospital.example', from: '2026-01-01' },
      { now: NOW },
    );
    expect(grace).toMatchObject({
      name: 'Grace Okafor',
      email: 'grace@hospital.example',
      phone: '+1 555 0100',
      siteId: null,
      role: 'primary',
      termStart: '2026-01-01',
      termEnd: null,
      inTerm: true,
    });
    await designateOfficer(
      vdb,
      cliActor,
      { person: 'tomas@hospital.example', from: '2026-01-01', deputy: true },
      { now: NOW },
    );
    // Priya's term ends in 20 days with no successor: a warning.
    await designateOfficer(
      vdb,
      cliActor,
      { person: 'priya@hospital.example', site: 'south clinic', from: '2025-12-01', to: '2026-12-19' },
      { now: NOW },
    );
    const c = await officerCoverage(vdb, NOW);
    expect(c.organization.primary).toMatchObject({
      name: 'Grace Okafor',
      email: 'grace@hospital.example',
      termStart: '2026-01-01',
    });
    expect(c.organization.deputies.map((d) => d.name)).toEqual(['Tomas Reyes']);
    expect(c.sites.find((s) => s.siteName === 'South Clinic')!.primary!.name).toBe('Priya Raman');
    expect(c.warnings.map((w) => w.code)).toEqual(['no-officer-site', 'term-ending']);
    expect(c.warnings[1]!.message).toMatch(/Priya Raman.*South Clinic ends on 2026-12-19/);

    // A successor from the day after closes the gap; an overlapping primary is refused.
    const clash = await failure(
      designateOfficer(vdb, cliActor, {
        person: 'lars@hospital.example',
        site: 'South Clinic',
        from: '2026-12-01',
      }),
    );
    expect(clash.code).toBe('conflict');
    expect(clash.message).toMatch(/Priya Raman is the security officer of site South Clinic/);
    await designateOfficer(
      vdb,
      cliActor,
      { person: 'lars@hospital.example', site: 'South Clinic', from: '2026-12-20' },
      { now: NOW },
    );
    expect((await officerCoverage(vdb, NOW)).warnings.map((w) => w.code)).toEqual(['no-officer-site']);

    const audit = await vdb.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'officer.%')
      .execute();
    expect(audit).toHaveLength(4);
  });

  it('refuses bad designations', async () => {
    expect(
      (await failure(designateOfficer(vdb, cliActor, { person: 'nobody@x.example', from: '2026-01-01' })))
        .code,
    ).toBe('not_found');
    expect(
      (
        await failure(
          designateOfficer(vdb, cliActor, {
            person: 'lars@hospital.example',
            from: '2026-02-01',
            to: '2026-01-01',
          }),
        )
      ).issues[0],
    ).toMatchObject({ field: 'to' });
    // A day that does not exist is refused, not rolled over (2026-02-30 is no 2 March).
    for (const from of ['2026-02-30', '2026-04-31', 'next monday'])
      expect(
        (await failure(designateOfficer(vdb, cliActor, { person: 'lars@hospital.example', from }))).issues[0],
      ).toMatchObject({ field: 'from', reason: 'not an ISO-8601 date (YYYY-MM-DD)' });
    expect(
      (
        await failure(
          designateOfficer(vdb, cliActor, {
            person: 'grace@hospital.example',
            from: '2026-06-01',
            deputy: true,
          }),
        )
      ).code,
    ).toBe('conflict');
    const limited: Actor = { ...cliActor, siteIds: [site['south']!] };
    expect(
      (await failure(designateOfficer(vdb, limited, { person: 'lars@hospital.example', from: '2026-01-01' })))
        .code,
    ).toBe('forbidden');
  });

  it('ends a term, and a person who left is no officer', async () => {
    const { officers } = await listOfficers(vdb, cliActor, { now: NOW });
    const tomas = officers.find((o) => o.name === 'Tomas Reyes')!;
    const ended = await endOfficerTerm(vdb, cliActor, tomas.id, {}, { now: NOW });
    expect(ended).toMatchObject({ termEnd: '2026-11-29', inTerm: true, endedBy: 'cli:test' });
    expect(
      (await failure(endOfficerTerm(vdb, cliActor, tomas.id, { on: '2026-12-31' }, { now: NOW }))).code,
    ).toBe('conflict');
    const tomorrow = new Date('2026-11-30T10:00:00Z');
    expect((await officerCoverage(vdb, tomorrow)).organization.deputies).toEqual([]);

    await deactivatePerson(vdb, cliActor, 'grace@hospital.example', { leftOn: '2026-11-29' });
    const c = await getCoverage(vdb, cliActor, NOW);
    expect(c.organization.primary).toBeNull();
    expect(c.warnings[0]!.code).toBe('no-officer-organization');
    // The list agrees with the coverage: her term has not ended, but she holds no office.
    const listed = (await listOfficers(vdb, cliActor, { now: NOW })).officers;
    expect(listed.find((o) => o.name === 'Grace Okafor')).toMatchObject({ termEnd: null, inTerm: false });
    expect(listed.find((o) => o.name === 'Priya Raman')).toMatchObject({ inTerm: true });
    // An actor limited to a site sees that site's coverage only.
    const limited: Actor = { ...cliActor, siteIds: [site['south']!] };
    const mine = await getCoverage(vdb, limited, NOW);
    expect(mine.sites.map((s) => s.siteName)).toEqual(['South Clinic']);
    expect(mine.warnings.every((w) => w.siteId === site['south'])).toBe(true);
  });
});
