import { describe, expect, it } from 'vitest';
import { parseCmmsCsv } from './cmms-csv.js';
import type { Device } from './device.js';
import { csvCell, deviceCsvHeader, deviceCsvLine } from './device-export.js';

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
      serialNumber: `'=HYPERLINK("http://evil")`,
      manufacturer: 'Becton, Dickinson and Company (BD)',
      model: 'Alaris "PC" Unit',
      modelNumber: '8015',
      deviceClass: 'infusion-pump',
      macs: ['00:1b:5a:10:00:01', '00:1b:5a:10:00:02'],
      ips: ['10.0.0.1'],
      firmwareVersion: '-12',
      softwareVersion: "'@cmd",
      osEndOfSupport: '2020-01-14',
      criticality: 'life-sustaining',
      ephi: false,
      site: 'Main',
      department: 'ICU',
      lifecycleStatus: 'Active',
    });
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
