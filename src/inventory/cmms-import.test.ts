import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import type { Actor } from '../accounts/actor.js';
import { permissionsOf } from '../accounts/permissions.js';
import { listAudit, verifyAuditChain } from '../audit/audit-log.js';
import { VigilError } from '../errors.js';
import type { VigilDatabase } from '../store/database.js';
import { findSite } from '../store/site-store.js';
import { parseMappingFile } from './cmms-csv.js';
import { type CmmsImportOptions, importCmmsCsv, importSummary } from './cmms-import.js';
import { exportDevices } from './device-export.js';
import { addDevice, listDevices, showDevice, updateDevice } from './inventory-service.js';
import { observeDevice } from './observation.js';

const fixturePath = (name: string) => new URL(`../../test/fixtures/cmms/${name}`, import.meta.url);
const fixture = (name: string) => readFileSync(fixturePath(name));

const TABLES = [
  'sites',
  'segments',
  'manufacturers',
  'device_models',
  'devices',
  'device_identifiers',
  'device_facts',
  'audit_log',
] as const;

/** Every row of every inventory table (and the audit log), in a stable order: "the database". */
async function snapshot(vdb: VigilDatabase): Promise<string> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) {
    const rows = await vdb.db.selectFrom(t).selectAll().execute();
    out[t] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return JSON.stringify(out);
}

describe.each(DIALECTS)('CMMS import on %s', (dialect) => {
  let vdb: VigilDatabase;
  const run = (opts: Partial<CmmsImportOptions> & { name?: string }, actor: Actor = cliActor) =>
    importCmmsCsv(vdb, actor, {
      file: opts.name ?? 'hospital-export.csv',
      input: fixture(opts.name ?? 'hospital-export.csv'),
      ...opts,
    });

  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await vdb.close();
  });

  it('imports an export: devices, sites, catalogue, facts with file:line, states from lifecycle words', async () => {
    const r = await run({});
    expect(importSummary(r)).toBe('created 27, updated 0, unchanged 0, rejected 0');
    expect(r).toMatchObject({
      rows: 27,
      sitesCreated: ['St. Vigil Medical Center', 'North Clinic'],
      manufacturersCreated: 9,
      ignoredColumns: ['Notes'],
    });
    const list = await listDevices(vdb, cliActor, {}, { pageSize: 500 });
    expect(list.total).toBe(27);
    const mr = await showDevice(vdb, cliActor, 'BME-30001');
    expect(mr).toMatchObject({
      manufacturer: 'GE Healthcare',
      model: 'Optima MR360',
      deviceClass: 'imaging-mr',
      os: 'Windows 7',
      site: 'St. Vigil Medical Center',
      room: 'MR-1',
      state: 'active',
      lifecycleStatus: 'Active',
    });
    expect(mr.facts.find((f) => f.field === 'firmwareVersion')).toMatchObject({
      value: 'SV23.0',
      source: 'cmms',
      sourceRef: 'hospital-export.csv:15',
    });
    expect(mr.identifiers).toEqual([
      expect.objectContaining({ kind: 'hostname', value: 'mr360-rad', source: 'cmms' }),
      expect.objectContaining({ kind: 'ip', value: '10.20.50.71', source: 'cmms' }),
      expect.objectContaining({ kind: 'mac', value: '00:1b:5a:30:00:01', source: 'cmms' }),
    ]);
    expect(await showDevice(vdb, cliActor, 'BME-09001')).toMatchObject({
      state: 'retired',
      lifecycleStatus: 'Disposed',
    });
    expect(await showDevice(vdb, cliActor, 'BME-09002')).toMatchObject({
      state: 'retired',
      lifecycleStatus: 'Decommissioned',
    });
    expect(await showDevice(vdb, cliActor, 'BME-11002')).toMatchObject({
      state: 'active',
      lifecycleStatus: 'Spare',
    });
    expect((await showDevice(vdb, cliActor, '001b.5a10.0011')).assetTag).toBe('BME-10010');
    expect((await listDevices(vdb, cliActor, { site: 'North Clinic' })).total).toBe(2);
    // The five BD Alaris PC units share one catalogue model.
    const alaris = await listDevices(vdb, cliActor, { model: 'alaris pc' });
    expect(alaris.total).toBe(4);
    expect(new Set(alaris.items.map((d) => `${d.manufacturer}|${d.model}|${d.modelNumber}`))).toEqual(
      new Set(['Becton, Dickinson and Company (BD)|Alaris PC Unit|8015']),
    );

    const audit = await listAudit(vdb, { action: 'devices.import' });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.summary).toEqual({
      file: 'hospital-export.csv',
      rows: 27,
      created: 27,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      skipBadRows: false,
      sitesCreated: 2,
      manufacturersCreated: 9,
      modelsCreated: 22,
    });
  });

  it('re-importing the same file changes nothing (updated_at untouched), and the audit says so', async () => {
    await run({});
    const before = await snapshot(vdb);
    const r = await run({});
    expect(importSummary(r)).toBe('created 0, updated 0, unchanged 27, rejected 0');
    const after = await snapshot(vdb);
    // Only the audit log grew, by exactly one entry.
    const strip = (s: string) => {
      const o = JSON.parse(s) as Record<string, unknown[]>;
      delete o['audit_log'];
      return o;
    };
    expect(strip(after)).toEqual(strip(before));
    const audit = await listAudit(vdb, { action: 'devices.import' });
    expect(audit.map((a) => [a.summary['created'], a.summary['unchanged']])).toEqual([
      [0, 27],
      [27, 0],
    ]);
    expect(await verifyAuditChain(vdb)).toMatchObject({ ok: true, entries: 2 });
  });

  it('serialises concurrent imports of the same file: one creates, the other finds them unchanged', async () => {
    const [a, b] = await Promise.all([run({}), run({})]);
    expect([a.created, b.created].sort((x, y) => x - y)).toEqual([0, 27]);
    expect([a.unchanged, b.unchanged].sort((x, y) => x - y)).toEqual([0, 27]);
    expect((await listDevices(vdb, cliActor, {})).total).toBe(27);
  });

  it('a changed export updates only the changed rows; a manual correction survives re-import', async () => {
    await run({});
    const pump = await showDevice(vdb, cliActor, 'BME-10002');
    await updateDevice(vdb, cliActor, 'BME-20001', { department: 'CCU' });
    const text = fixture('hospital-export.csv')
      .toString('utf8')
      .replace('ALARIS-10002,12.1.2', 'ALARIS-10002,12.1.3')
      .replace('10.20.40.52', '10.20.40.99');
    const r = await importCmmsCsv(vdb, cliActor, { file: 'hospital-export-2.csv', input: text });
    expect(importSummary(r)).toBe('created 0, updated 2, unchanged 25, rejected 0');
    expect(r.devices.filter((d) => d.outcome === 'updated').map((d) => [d.line, d.changed])).toEqual([
      [3, ['firmwareVersion']],
      [11, ['ips']],
    ]);
    const updated = await showDevice(vdb, cliActor, 'BME-10002');
    expect(updated.firmwareVersion).toBe('12.1.3');
    expect(updated.updatedAt > pump.updatedAt).toBe(true);
    expect(updated.facts.find((f) => f.field === 'firmwareVersion')).toMatchObject({
      sourceRef: 'hospital-export-2.csv:3',
      firstSeen: pump.createdAt,
    });
    // IP history is kept: the old address stays, the new one is first.
    expect((await showDevice(vdb, cliActor, 'BME-20002')).ips).toEqual(['10.20.40.99', '10.20.40.52']);
    // The CMMS still says ICU, as it did before: the person's CCU stands.
    expect((await showDevice(vdb, cliActor, 'BME-20001')).department).toBe('CCU');
  });

  it('all-or-nothing: a file with bad rows is refused with every issue, and the database is unchanged', async () => {
    await run({});
    const before = await snapshot(vdb);
    const err = await run({ name: 'bad-rows.csv' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    const e = err as VigilError;
    expect(e.code).toBe('invalid_input');
    expect(e.message).toBe(
      'bad-rows.csv: 7 of 9 rows rejected; nothing was imported (fix them, or use --skip-bad-rows to import the good rows)',
    );
    expect(e.issues.map((i) => [i.line, i.field ?? null])).toEqual([
      [3, 'mac'],
      [4, 'ip'],
      [5, 'device_class'],
      [6, 'criticality'],
      [6, 'ephi'],
      [7, null],
      [8, 'asset_tag'],
      [9, null],
    ]);
    expect(e.issues.every((i) => i.file === 'bad-rows.csv')).toBe(true);
    expect(await snapshot(vdb)).toBe(before);
  });

  it('--skip-bad-rows stores the good rows and reports the bad ones', async () => {
    const r = await run({ name: 'bad-rows.csv', skipBadRows: true });
    expect(importSummary(r)).toBe('created 2, updated 0, unchanged 0, rejected 7');
    expect(r.issues).toHaveLength(8);
    expect((await listDevices(vdb, cliActor, {})).items.map((d) => d.assetTag)).toEqual(['BME-1', 'BME-9']);
    expect((await listAudit(vdb, { action: 'devices.import' }))[0]!.summary).toMatchObject({
      created: 2,
      rejected: 7,
      skipBadRows: true,
    });
  });

  it('--dry-run reports what would happen and writes nothing', async () => {
    const empty = await snapshot(vdb);
    const r = await run({ dryRun: true });
    expect(importSummary(r)).toBe('created 27, updated 0, unchanged 0, rejected 0');
    expect(r.dryRun).toBe(true);
    expect(await snapshot(vdb)).toBe(empty);
    const bad = await run({ name: 'bad-rows.csv', dryRun: true });
    expect(importSummary(bad)).toBe('created 2, updated 0, unchanged 0, rejected 7');
    expect(await snapshot(vdb)).toBe(empty);
    // The sites the real run would create are named (a misspelt site shows before it exists) …
    expect(r.sitesCreated).toContain('St. Vigil Medical Center');
    const real = await run({});
    expect(real.sitesCreated).toEqual(r.sitesCreated);
    // … and none once they exist.
    expect((await run({ dryRun: true })).sitesCreated).toEqual([]);
  });

  it('refuses a file it cannot read at all, and a malformed quote, with the line', async () => {
    await expect(
      importCmmsCsv(vdb, cliActor, { file: 'x.csv', input: 'Manufacturer,Model\nBaxter,Sigma\n' }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [expect.objectContaining({ line: 1, reason: expect.stringMatching(/no column gives/) })],
    });
    await expect(run({ name: 'unclosed-quote.csv' })).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [expect.objectContaining({ file: 'unclosed-quote.csv', line: 3 })],
    });
    expect((await listDevices(vdb, cliActor, {})).total).toBe(0);
  });

  it('refuses a UDI holding a NUL character rather than store it as U+FFFD', async () => {
    // Found by fuzzing CMMS rows: the NUL reached the store as U+FFFD (PostgreSQL's text cannot hold it),
    // a value the CMMS never had. The row is refused by its line and column, and nothing is imported.
    const csv = 'Asset Tag,UDI,Manufacturer,Model\nBME-1,(01)0088\u0000A,Baxter,Sigma\n';
    await expect(importCmmsCsv(vdb, cliActor, { file: 'a.csv', input: csv })).rejects.toThrow(
      /1 of 1 row rejected; nothing was imported/,
    );
    expect((await listDevices(vdb, cliActor, {})).items).toEqual([]);
  });

  it('applies the identity rules against the inventory', async () => {
    // A device known only by its MAC (as a capture would stage it) is completed by the CMMS row.
    const staged = await addDevice(vdb, cliActor, { macs: ['00:1b:5a:20:00:01'] });
    // Two records that a row would join: refused, not guessed.
    await addDevice(vdb, cliActor, { assetTag: 'BME-21001' });
    await addDevice(vdb, cliActor, { macs: ['00:1b:5a:21:00:01'] });
    // An IP alone does not make a row the same device.
    await addDevice(vdb, cliActor, { assetTag: 'OLD-1', ips: ['10.20.41.62'] });
    const r = await run({ skipBadRows: true });
    expect(importSummary(r)).toBe('created 25, updated 1, unchanged 0, rejected 1');
    expect(r.issues).toEqual([
      {
        file: 'hospital-export.csv',
        line: 12,
        reason: expect.stringMatching(/^conflicts with the inventory: the keys point at 2 different devices/),
      },
    ]);
    expect(r.warnings).toContainEqual({
      file: 'hospital-export.csv',
      line: 13,
      reason: expect.stringMatching(/shares ip with device/),
    });
    const completed = await showDevice(vdb, cliActor, staged.id);
    expect(completed).toMatchObject({ assetTag: 'BME-20001', model: 'IntelliVue MX40 Patient Worn Monitor' });
  });

  it('warns about each row that confirms a staged device, as importing an export back does', async () => {
    await run({});
    const seen = await observeDevice(vdb, cliActor, {
      source: 'capture',
      sourceRef: 'ward3.pcapng',
      seenAt: '2026-11-28T23:55:00.000Z',
      macs: ['02:00:5e:30:00:42'],
      ips: ['10.30.0.42'],
      facts: { manufacturer: 'Philips Medical Systems' },
    });
    if (seen.outcome !== 'staged') throw new Error(seen.outcome);
    let csv = '';
    for await (const chunk of exportDevices(vdb, cliActor, {}, 'csv')) csv += chunk;
    const line = csv.split('\n').findIndex((l) => l.includes('02:00:5e:30:00:42')) + 1;
    const dry = await importCmmsCsv(vdb, cliActor, { file: 'export.csv', input: csv, dryRun: true });
    const confirming = dry.warnings.filter((w) => /not yet reviewed \(staged\)/.test(w.reason));
    expect(confirming).toEqual([
      {
        file: 'export.csv',
        line,
        reason: `confirms device ${seen.deviceId}, which was discovered on the network and not yet reviewed (staged)`,
      },
    ]);
    expect((await showDevice(vdb, cliActor, seen.deviceId)).state).toBe('staged');
  });

  it('imports through a header mapping', async () => {
    const { mapping } = parseMappingFile(fixture('biomed-equipment-list.map').toString('utf8'), 'map');
    const r = await run({ name: 'biomed-equipment-list.csv', mapping });
    expect(importSummary(r)).toBe('created 3, updated 0, unchanged 0, rejected 0');
    expect(await showDevice(vdb, cliActor, 'E-0003')).toMatchObject({
      deviceClass: 'imaging-us',
      site: 'North Clinic',
      criticality: 'diagnostic',
    });
  });

  it('keeps a site-limited importer to its sites', async () => {
    await run({
      name: 'biomed-equipment-list.csv',
      mapping: parseMappingFile(fixture('biomed-equipment-list.map').toString('utf8'), 'm').mapping,
    });
    const north = (await findSite(vdb, 'North Clinic'))!;
    const limited: Actor = {
      kind: 'token',
      id: 't',
      name: 'token:t',
      permissions: permissionsOf('clinical-engineer'),
      siteIds: [north.id],
    };
    const r = await run({ skipBadRows: true }, limited);
    expect(r.created).toBe(2);
    expect(r.rejected).toBe(25);
    expect(r.issues[0]).toMatchObject({
      field: 'site',
      reason: 'site "St. Vigil Medical Center" is not one of your sites',
    });
    const auditor: Actor = { kind: 'user', id: 'a', name: 'auditor', permissions: permissionsOf('auditor') };
    await expect(run({}, auditor)).rejects.toMatchObject({ code: 'forbidden' });
  });
});
