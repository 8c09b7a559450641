/**
 * The FHIR R4 export: the validator (test/fhir-validator.ts, HL7's FHIR R4 JSON schema kept in
 * test/fixtures/fhir) accepts the official HL7 Device examples in test/fixtures/fhir (PROVENANCE.md)
 * and rejects broken resources; the Bundle exported from a real CMMS export
 * (test/fixtures/cmms/hospital-export.csv) validates and carries UDI, manufacturer, model, serial,
 * versions, location and owner; arbitrary devices always map to valid resources (fast-check).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { type FhirValidator, fhirValidator } from '../../../test/fhir-validator.js';
import type { Actor } from '../../accounts/actor.js';
import { importCmmsCsv } from '../../inventory/cmms-import.js';
import type { VigilDatabase } from '../../store/database.js';
import { fhirBundle } from './bundle.js';
import { type FhirDeviceSource, type FhirJson, fhirDevice } from './device-resource.js';
import { exportFhirBundle } from './fhir-export-service.js';
import { udiCarrierParts } from './udi.js';

const fixture = (path: string) =>
  readFileSync(new URL(`../../../test/fixtures/${path}`, import.meta.url), 'utf8');
const NOW = new Date('2026-11-29T10:00:00Z');

let v: FhirValidator;
beforeAll(() => {
  v = fhirValidator();
});

describe('the FHIR R4 schema validator', () => {
  it.each([
    'us-core-Device-infusion-pump.json',
    'us-core-Device-defib.json',
    'phd-00601900010E9234.F45EABA80832.json',
  ])('accepts the official example %s', (name) => {
    const r = v.validate(JSON.parse(fixture(`fhir/${name}`)));
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('knows the HL7 R4 resource types and not Medplum’s own', () => {
    expect(v.resourceTypes.has('Device')).toBe(true);
    expect(v.resourceTypes.has('Bundle')).toBe(true);
    expect(v.resourceTypes.has('Project')).toBe(false);
    expect(v.resourceTypes.size).toBe(146);
  });

  it('rejects broken resources, naming the path', () => {
    const pump = JSON.parse(fixture('fhir/us-core-Device-infusion-pump.json')) as FhirJson;
    expect(v.validate({ ...pump, status: 'switched-on' }).errors).toEqual([
      '/status must be equal to one of the allowed values',
    ]);
    expect(v.validate({ ...pump, udiCarrier: { deviceIdentifier: '1' } }).errors).toEqual([
      '/udiCarrier must be array',
    ]);
    expect(v.validate({ ...pump, serialNumber: '' }).ok).toBe(false);
    expect(v.validate({ ...pump, id: 'has spaces' }).ok).toBe(false);
    expect(
      v.validate({
        resourceType: 'Bundle',
        type: 'collection',
        entry: [{ resource: { resourceType: 'Gadget' } }],
      }).errors,
    ).toEqual(['/entry/0/resource unknown resourceType Gadget']);
    expect(v.validate({ resourceType: 'Bundle', type: 'pile' }).ok).toBe(false);
    expect(
      v.validate({ ...pump, contained: [{ resourceType: 'Location', status: 'closed' }] }).errors,
    ).toEqual(['/contained/0/status must be equal to one of the allowed values']);
  });
});

describe('UDI carriers', () => {
  it('reads the issuing agency and device identifier', () => {
    expect(udiCarrierParts('(01)10885403801500(21)12345678')).toEqual({
      agency: 'gs1',
      deviceIdentifier: '10885403801500',
      carrierHRF: '(01)10885403801500(21)12345678',
    });
    expect(udiCarrierParts('0100812345678901112401151').deviceIdentifier).toBe('00812345678901');
    expect(udiCarrierParts('+H123PARTNO1$$3230630LOT/S1234').agency).toBe('hibcc');
    expect(udiCarrierParts('+H123PARTNO1$$3230630LOT/S1234').deviceIdentifier).toBe(
      'H123PARTNO1$$3230630LOT',
    );
    expect(udiCarrierParts('+H123PARTNO1Q')).toMatchObject({
      agency: 'hibcc',
      deviceIdentifier: 'H123PARTNO1',
    });
    expect(udiCarrierParts('=/A9999XYZ100T0944=,000025=A99971312345600=>014032=}013032')).toMatchObject({
      agency: 'iccbba',
      deviceIdentifier: 'A9999XYZ100T0944',
    });
    expect(udiCarrierParts('not a udi')).toEqual({
      agency: null,
      deviceIdentifier: null,
      carrierHRF: 'not a udi',
    });
  });

  it('never throws and keeps the carrier as written (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const p = udiCarrierParts(s);
        expect(p.carrierHRF).toBe(s.trim());
        if (p.deviceIdentifier !== null) expect(s).toContain(p.deviceIdentifier);
      }),
    );
  });
});

// Any text, including empty and whitespace-only values a CMMS export may hold.
const text = fc.option(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', ' ', '\t\n')), {
  nil: null,
});

describe('Device resources', () => {
  it('are valid for any inventory device (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.uuid(),
          assetTag: text,
          serialNumber: text,
          udi: fc.option(
            fc.oneof(fc.string(), fc.constant('  '), fc.stringMatching(/^\(01\)\d{14}\(21\)[A-Z0-9]{1,10}$/)),
            { nil: null },
          ),
          manufacturer: text,
          model: text,
          modelNumber: text,
          deviceClass: fc.constantFrom('infusion-pump', 'patient-monitor', 'unknown'),
          firmwareVersion: text,
          softwareVersion: text,
          os: text,
          osVersion: text,
          site: text,
          building: text,
          floor: text,
          room: text,
          department: text,
          owner: text,
          state: fc.constantFrom('staged', 'active', 'retired', 'ignored'),
        }),
        (d: FhirDeviceSource) => {
          const r = v.validate(fhirDevice(d));
          expect(r.errors).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never carry a patient', () => {
    const r = fhirDevice({
      id: '0190d4e2-7a3b-7c00-8000-000000000001',
      assetTag: 'BME-1',
      serialNumber: null,
      udi: null,
      manufacturer: 'Baxter',
      model: 'Sigma Spectrum',
      modelNumber: null,
      deviceClass: 'infusion-pump',
      firmwareVersion: null,
      softwareVersion: null,
      os: null,
      osVersion: null,
      site: null,
      building: null,
      floor: null,
      room: null,
      department: null,
      owner: null,
      state: 'active',
    });
    expect(r).not.toHaveProperty('patient');
    expect(v.validate(fhirBundle([], NOW)).ok).toBe(true);
  });
});

describe.each(DIALECTS)('FHIR export of the inventory on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await importCmmsCsv(vdb, cliActor, {
      file: 'hospital-export.csv',
      input: fixture('cmms/hospital-export.csv'),
    });
  });
  afterAll(async () => vdb?.close());

  it('exports a valid Bundle with UDI, manufacturer, model, serial, versions, location and owner', async () => {
    const bundle = await exportFhirBundle(vdb, cliActor, {}, NOW);
    const result = v.validate(bundle);
    expect(result.errors).toEqual([]);
    expect(bundle).toMatchObject({
      resourceType: 'Bundle',
      type: 'collection',
      timestamp: NOW.toISOString(),
    });
    const entries = bundle['entry'] as { fullUrl: string; resource: FhirJson }[];
    expect(entries.length).toBeGreaterThan(20);
    const pump = entries.find((e) => JSON.stringify(e.resource).includes('"BME-10001"'))!;
    expect(pump.fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(pump.resource).toMatchObject({
      resourceType: 'Device',
      status: 'active',
      manufacturer: 'Becton, Dickinson and Company (BD)',
      serialNumber: '12345678',
      modelNumber: '8015',
      udiCarrier: [
        {
          deviceIdentifier: '10885403801500',
          carrierHRF: '(01)10885403801500(21)12345678',
          issuer: 'http://hl7.org/fhir/NamingSystem/gs1-di',
          jurisdiction: 'http://hl7.org/fhir/NamingSystem/fda-udi',
        },
      ],
      deviceName: [
        { name: 'Becton, Dickinson and Company (BD) Alaris PC Unit', type: 'manufacturer-name' },
        { name: 'Alaris PC Unit', type: 'model-name' },
      ],
      version: [{ type: { text: 'firmware' }, value: '12.1.2' }],
      owner: { display: 'Biomed' },
      location: { reference: '#loc', display: 'St. Vigil Medical Center, Tower A, floor 3, room 3-114' },
      contained: [{ resourceType: 'Location', id: 'loc', description: 'Department: ICU' }],
      identifier: [
        { system: 'urn:vigil:asset-tag', value: 'BME-10001' },
        { system: 'urn:vigil:device-id', value: pump.resource['id'] },
      ],
    });
  });

  it('limits to one site and needs reports:read', async () => {
    const one = await exportFhirBundle(vdb, cliActor, { site: 'St. Vigil Medical Center' }, NOW);
    const all = await exportFhirBundle(vdb, cliActor, {}, NOW);
    expect((one['entry'] as unknown[]).length).toBeGreaterThan(0);
    expect((one['entry'] as unknown[]).length).toBeLessThan((all['entry'] as unknown[]).length);
    await expect(exportFhirBundle(vdb, cliActor, { site: 'Nowhere' })).rejects.toMatchObject({
      code: 'not_found',
    });
    const reader: Actor = { ...cliActor, permissions: new Set(['devices:read']) };
    await expect(exportFhirBundle(vdb, reader, {})).rejects.toMatchObject({ code: 'forbidden' });
  });
});
