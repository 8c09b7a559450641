import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutatedJson } from '../nvd/json-mutation.js';
import { isKevCsv, readKev, readKevCsv } from './kev.js';

const slice: unknown = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/feeds/kev/kev-slice.json', import.meta.url), 'utf8'),
);

describe('readKev', () => {
  it('reads the header and entries of the real catalog (slice of 2025.08.25)', () => {
    const { catalog, issues } = readKev(slice, 'kev.json');
    expect(catalog).not.toBeNull();
    expect(catalog!.title).toBe('CISA Catalog of Known Exploited Vulnerabilities');
    expect(catalog!.catalogVersion).toBe('2025.08.25');
    expect(catalog!.dateReleased).toBe('2025-08-25T17:04:19.9796Z');
    expect(catalog!.entries.map((e) => e.cve)).toEqual([
      'CVE-2025-48384',
      'CVE-2024-8068',
      'CVE-2024-8069',
      'CVE-2025-49704',
    ]);
    expect(catalog!.entries[0]).toMatchObject({
      vendor: 'Git',
      product: 'Git',
      name: 'Git Link Following Vulnerability',
      dateAdded: '2025-08-25',
      dueDate: '2025-09-15',
      knownRansomwareCampaignUse: 'Unknown',
      cwes: ['CWE-59', 'CWE-436'],
    });
    expect(catalog!.entries[3]).toMatchObject({ dueDate: '2025-07-23', knownRansomwareCampaignUse: 'Known' });
    // The slice keeps the full catalog's header, so count (1404) disagrees: that is reported.
    expect(issues).toEqual([
      { file: 'kev.json', where: '$.count', message: expect.stringContaining('1404') },
    ]);
  });

  it('accepts an entry with only the schema-required fields', () => {
    const minimal = {
      catalogVersion: '1',
      dateReleased: '2025-01-01T00:00:00Z',
      count: 1,
      vulnerabilities: [
        {
          cveID: 'cve-2021-44228',
          vendorProject: 'Apache',
          product: 'Log4j2',
          vulnerabilityName: 'Apache Log4j2 Remote Code Execution Vulnerability',
          dateAdded: '2021-12-10',
          shortDescription: 'x',
          requiredAction: 'y',
          dueDate: '2021-12-24',
        },
      ],
    };
    const { catalog, issues } = readKev(minimal, 'k');
    expect(issues).toEqual([]);
    expect(catalog!.title).toBe('');
    expect(catalog!.entries[0]).toEqual({
      cve: 'CVE-2021-44228',
      vendor: 'Apache',
      product: 'Log4j2',
      name: 'Apache Log4j2 Remote Code Execution Vulnerability',
      dateAdded: '2021-12-10',
      dueDate: '2021-12-24',
      shortDescription: 'x',
      requiredAction: 'y',
      knownRansomwareCampaignUse: 'Unknown',
      notes: '',
      cwes: [],
    });
  });

  it('skips a bad entry with its path and keeps the others', () => {
    const doc = structuredClone(slice) as { vulnerabilities: Record<string, unknown>[] };
    delete doc.vulnerabilities[1]!.product;
    doc.vulnerabilities[2]!.cveID = 'CVE-24-8069';
    const { catalog, issues } = readKev(doc, 'k');
    expect(catalog!.entries.map((e) => e.cve)).toEqual(['CVE-2025-48384', 'CVE-2025-49704']);
    expect(issues.map((i) => i.where)).toEqual([
      '$.vulnerabilities[1].product',
      '$.vulnerabilities[2].cveID',
      '$.count',
    ]);
  });

  it('gives no catalog when a required header field is missing', () => {
    const doc = structuredClone(slice) as Record<string, unknown>;
    delete doc.catalogVersion;
    const { catalog, issues } = readKev(doc, 'k');
    expect(catalog).toBeNull();
    expect(issues[0]!.where).toBe('$.catalogVersion');
  });
});

describe('readKev never throws', () => {
  const check = (input: unknown) => {
    const r = readKev(input, 'f');
    expect(r.catalog !== null || r.issues.length > 0).toBe(true);
  };
  it('on arbitrary JSON', () => fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 300 }));
  it('on a mutated catalog', () => fc.assert(fc.property(mutatedJson(slice), check), { numRuns: 300 }));
});

const csvSlice = readFileSync(
  new URL('../../../test/fixtures/feeds/kev/kev-slice.csv', import.meta.url),
  'utf8',
);

describe('readKevCsv', () => {
  it("reads CISA's CSV into the same entries as the JSON of the same catalog", () => {
    const csv = readKevCsv(csvSlice, 'kev.csv');
    const json = readKev(slice, 'kev.json');
    expect(csv.issues).toEqual([]);
    expect(csv.catalog!.entries).toEqual(json.catalog!.entries);
    // No header fields in a CSV: the newest dateAdded stands for the version and the release date.
    expect(csv.catalog).toMatchObject({ catalogVersion: '2025.08.25', dateReleased: '2025-08-25' });
    expect(isKevCsv(csvSlice)).toBe(true);
    expect(isKevCsv(JSON.stringify(slice))).toBe(false);
  });

  it('refuses a line of more than 1 MiB by its number without reading it again line by line', () => {
    const lines = csvSlice.split('\n');
    lines[2] = lines[2]!.replace(',2025-08-25,', `,2025-08-25${' '.repeat(2 * 1024 * 1024)},`);
    const { catalog, issues } = readKevCsv(lines.join('\n'), 'kev.csv');
    expect(catalog).toBeNull();
    expect(issues).toEqual([
      {
        file: 'kev.csv',
        where: 'line 3',
        message: expect.stringMatching(/^longer than 1 MiB: /),
      },
    ]);
  });

  it('skips a bad row, naming its line and column, and keeps the others', () => {
    const lines = csvSlice.split('\n');
    lines[2] = lines[2]!.replace(',2025-08-25,', ',25 August 2025,');
    const { catalog, issues } = readKevCsv(lines.join('\n'), 'kev.csv');
    expect(catalog!.entries.map((e) => e.cve)).toEqual(['CVE-2025-48384', 'CVE-2024-8069', 'CVE-2025-49704']);
    expect(issues).toEqual([
      { file: 'kev.csv', where: 'line 3, column dateAdded', message: 'expected a YYYY-MM-DD date' },
    ]);
  });

  it('skips a truncated row by its own line number and keeps the rows after it', () => {
    const lines = csvSlice.split('\n');
    // Cut line 4 inside its quoted description: its quote never closes.
    lines[3] = lines[3]!.slice(0, lines[3]!.indexOf('"', lines[3]!.indexOf(',2025-')) + 20);
    const { catalog, issues, rejected } = readKevCsv(lines.join('\n'), 'kev.csv');
    expect(rejected).toBe(1);
    expect(catalog!.entries.map((e) => e.cve)).toEqual(['CVE-2025-48384', 'CVE-2024-8068', 'CVE-2025-49704']);
    expect(issues).toEqual([
      { file: 'kev.csv', where: 'line 4', message: expect.stringContaining('not readable as CSV') },
    ]);
  });

  it('refuses a CSV that is not the catalog, naming the missing columns', () => {
    const { catalog, issues } = readKevCsv('cveID,vendorProject,product\nCVE-2024-1,a,b\n', 'x.csv');
    expect(catalog).toBeNull();
    expect(issues[0]).toMatchObject({
      where: 'line 1',
      message: expect.stringContaining('vulnerabilityName'),
    });
  });

  const never = (text: string) => {
    expect(() => readKevCsv(text, 'f.csv')).not.toThrow();
  };
  it('on arbitrary text', () => fc.assert(fc.property(fc.string(), never), { numRuns: 300 }));
  it('on the real CSV cut and spliced', () =>
    fc.assert(
      fc.property(fc.nat(csvSlice.length), fc.nat(csvSlice.length), fc.string(), (a, b, s) =>
        never(csvSlice.slice(0, Math.min(a, b)) + s + csvSlice.slice(Math.max(a, b))),
      ),
      { numRuns: 300 },
    ));
});
