import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell } from '../formats/csv-cell.js';
import { parseCmmsCsv } from './cmms-csv.js';
import type { Device, DeviceAttributes } from './device.js';
import { deviceCsvHeader, deviceCsvLine } from './device-export.js';
import { cleanText } from './identity.js';

const device: Device = {
  id: '01900000-0000-7000-8000-000000000001',
  assetTag: 'BME-1',
  serialNumber: '=HYPERLINK("http://evil")',
  udi: null,
  manufacturer: 'Becton, Dickinson and Company (BD)',
  model: 'Alaris "PC" Unit',
  modelNumber: '8015',
  deviceClass: 'infusion-pump',
  macs: ['00:1b:5a:10:00:01', '00:1b:5a:10:00:02'],
  ips: ['10.0.0.1'],
  hostnames: [],
  firmwareVersion: '-12',
  softwareVersion: '@cmd',
  os: null,
  osVersion: null,
  osEndOfSupport: '2020-01-14',
  criticality: 'life-sustaining',
  ephi: false,
  site: 'Main',
  building: null,
  floor: null,
  room: null,
  department: 'ICU',
  owner: null,
  state: 'active',
  lifecycleStatus: 'Active',
  firstSeen: null,
  lastSeen: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  services: [],
  protocols: [],
  dicom: null,
  hl7: null,
};

describe('device CSV export', () => {
  it('quotes per RFC 4180 and defuses spreadsheet formulas, but not numbers', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(' padded')).toBe('" padded"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-12')).toBe('-12');
    expect(csvCell('+4.5')).toBe('+4.5');
    expect(csvCell('-cmd')).toBe("'-cmd");
  });

  it('writes rows the CMMS import reads back', async () => {
    const text = deviceCsvHeader() + deviceCsvLine(device);
    const r = await parseCmmsCsv(text, { file: 'export.csv' });
    expect(r.issues).toEqual([]);
    expect(r.ignoredColumns).toEqual(['id', 'state', 'first_seen', 'last_seen', 'created_at', 'updated_at']);
    expect(r.rows[0]!.attrs).toEqual({
      assetTag: 'BME-1',
      serialNumber: '=HYPERLINK("http://evil")',
      manufacturer: 'Becton, Dickinson and Company (BD)',
      model: 'Alaris "PC" Unit',
      modelNumber: '8015',
      deviceClass: 'infusion-pump',
      macs: ['00:1b:5a:10:00:01', '00:1b:5a:10:00:02'],
      ips: ['10.0.0.1'],
      firmwareVersion: '-12',
      softwareVersion: '@cmd',
      osEndOfSupport: '2020-01-14',
      criticality: 'life-sustaining',
      ephi: false,
      site: 'Main',
      department: 'ICU',
      lifecycleStatus: 'Active',
    });
  });

  it('imports an apostrophe the export did not add as part of the value', async () => {
    // A real value that starts with an apostrophe keeps it; one before a formula lead gets a second.
    expect(csvCell("'s-Hertogenbosch")).toBe("'s-Hertogenbosch");
    expect(csvCell("'-12")).toBe("'-12");
    expect(csvCell("'=A1")).toBe("''=A1");
    const r = await parseCmmsCsv(
      "asset_tag,department,room,owner\nBME-1,'s-Hertogenbosch,'-12,''=A1\nBME-2,'-ICU,'-,'+\n",
      { file: 'cmms.csv' },
    );
    expect(r.issues).toEqual([]);
    expect(r.rows.map((x) => x.attrs)).toEqual([
      { assetTag: 'BME-1', department: "'s-Hertogenbosch", room: "'-12", owner: "'=A1" },
      { assetTag: 'BME-2', department: '-ICU', room: '-', owner: '+' },
    ]);
  });

  it('round-trips any text through export and import (formula guard undone)', async () => {
    // What the store can hold: clean text (identity.ts), without U+FFFD (the import reports it as bad
    // UTF-8) and not a spreadsheet placeholder (the import reads those as empty).
    const lead = fc.string({
      unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', '1', '.', 'a', ' ', '"', ',', ';', '\n'),
      maxLength: 12,
    });
    const text = fc
      .oneof(
        lead,
        fc.string({ maxLength: 40 }),
        fc.tuple(lead, fc.string()).map(([a, b]) => a + b),
      )
      .map((s) => cleanText(s))
      .filter(
        (s): s is string =>
          s !== null &&
          s.length <= 100 &&
          !s.includes('\uFFFD') &&
          !['-', 'n/a', 'na', '#n/a', 'null'].includes(s.toLowerCase()),
      );
    await fc.assert(
      fc.asyncProperty(text, text, text, async (assetTag, department, model) => {
        const d = asDevice({ assetTag, department, model });
        const r = await parseCmmsCsv(deviceCsvHeader() + deviceCsvLine(d), { file: 'export.csv' });
        expect(r.issues).toEqual([]);
        expect(r.rows[0]!.attrs).toEqual({ assetTag, department, model });
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips a CMMS fixture row, also with a department and asset tag a spreadsheet would run', async () => {
    // hospital-export.csv line 2 (test/fixtures/cmms/README.md).
    const file = readFileSync(new URL('../../test/fixtures/cmms/hospital-export.csv', import.meta.url));
    const imported = await parseCmmsCsv(file, { file: 'hospital-export.csv' });
    const row = imported.rows.find((x) => x.line === 2)!.attrs;
    expect(row.assetTag).toBe('BME-10001');
    for (const attrs of [row, { ...row, assetTag: '=A1', department: '-ICU' }]) {
      const text = deviceCsvHeader() + deviceCsvLine(asDevice(attrs));
      const again = await parseCmmsCsv(text, { file: 'export.csv' });
      expect(again.issues).toEqual([]);
      expect(again.rows[0]!.attrs).toEqual(attrs);
      // And a second round trip: nothing accumulates.
      const twice = await parseCmmsCsv(deviceCsvHeader() + deviceCsvLine(asDevice(again.rows[0]!.attrs)), {
        file: 'export.csv',
      });
      expect(twice.rows[0]!.attrs).toEqual(attrs);
    }
  });

  it('writes no class for a device of unknown class, and the import reads "unknown" as no class', async () => {
    const unclassified: Device = { ...device, deviceClass: 'unknown' };
    const line = deviceCsvLine(unclassified);
    expect(line).not.toContain('unknown');
    const exported = await parseCmmsCsv(deviceCsvHeader() + line, { file: 'export.csv' });
    expect(exported.rows[0]!.attrs).not.toHaveProperty('deviceClass');
    // An older export, or a CMMS that writes the word: still no declaration of a class.
    const written = await parseCmmsCsv('asset_tag,device_class\nBME-2,Unknown\nBME-3,ventilator\n', {
      file: 'cmms.csv',
    });
    expect(written.issues).toEqual([]);
    expect(written.rows[0]!.attrs).toEqual({ assetTag: 'BME-2' });
    expect(written.rows[1]!.attrs).toEqual({ assetTag: 'BME-3', deviceClass: 'ventilator' });
  });
});

/** A stored device with exactly these attributes (every other one empty). */
function asDevice(attrs: DeviceAttributes): Device {
  return {
    ...device,
    assetTag: null,
    serialNumber: null,
    manufacturer: null,
    model: null,
    modelNumber: null,
    deviceClass: 'unknown',
    macs: [],
    ips: [],
    firmwareVersion: null,
    softwareVersion: null,
    osEndOfSupport: null,
    criticality: null,
    ephi: null,
    site: null,
    department: null,
    lifecycleStatus: null,
    ...attrs,
  } as Device;
}
