import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutatedJson } from '../nvd/json-mutation.js';
import { readCve5 } from './cve5.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/feeds/cve5/${name}`, import.meta.url), 'utf8');
const lines: unknown[] = fixture('vulnrichment-records.jsonl')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const rejected: unknown = JSON.parse(fixture('rejected-hand-written.json'));

const one = (i: number) => {
  const { records, issues } = readCve5(lines[i], 'vulnrichment.jsonl');
  expect(issues).toEqual([]);
  expect(records).toHaveLength(1);
  return records[0]!;
};

describe('readCve5', () => {
  it('merges the CISA ADP container: CVSS, affected with CPEs (CVE-2013-0648)', () => {
    const r = one(0);
    expect(r.id).toBe('CVE-2013-0648');
    expect(r.source).toBe('cve5');
    expect(r.status).toBe('PUBLISHED');
    expect(r.published).toBe('2013-02-27T00:00:00');
    expect(r.modified).toBe('2024-09-20T03:55:19.883Z');
    expect(r.cvss).toEqual([
      {
        version: '3.1',
        vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H',
        baseScore: 8.8,
        baseSeverity: 'HIGH',
        source: 'CISA-ADP',
        type: null,
      },
    ]);
    // CNA problem type is "n/a": no CWE.
    expect(r.cwes).toEqual([]);
    expect(r.affected).toHaveLength(2);
    expect(r.affected[0]).toMatchObject({
      vendor: 'n/a',
      product: 'n/a',
      cpes: [],
      defaultStatus: 'unknown',
    });
    expect(r.affected[1]).toEqual({
      vendor: 'adobe',
      product: 'flash_player',
      purl: null,
      ecosystem: null,
      cpes: ['cpe:2.3:a:adobe:flash_player:*:*:*:*:*:*:*:*'],
      defaultStatus: 'unknown',
      versions: [
        {
          version: '0',
          status: 'affected',
          lessThan: '10.3.183.67',
          lessThanOrEqual: null,
          versionType: 'custom',
          changes: [],
        },
        {
          version: '11.0',
          status: 'affected',
          lessThan: '11.6.602.171',
          lessThanOrEqual: null,
          versionType: 'custom',
          changes: [],
        },
      ],
      platforms: [],
    });
    // The ADP "CVE Program Container" repeats the CNA's five references.
    expect(r.references).toHaveLength(5);
  });

  it('reads CNA CVSS 3.1 and 4.0 and cweId (CVE-2024-32006, Siemens)', () => {
    const r = one(1);
    expect(r.cvss.map((m) => [m.version, m.baseScore, m.source])).toEqual([
      ['3.1', 4.3, 'siemens'],
      ['4.0', 5.3, 'siemens'],
    ]);
    expect(r.cwes).toEqual(['CWE-613']);
    expect(r.affected[0]!.versions[0]).toMatchObject({
      version: '0',
      lessThan: 'V3.2 SP2',
      versionType: 'custom',
    });
  });

  it('keeps collectionURL as ecosystem, no purl for a non-registry URL (CVE-2023-6349)', () => {
    const r = one(2);
    expect(r.title).toBe('Heap overflow in libvpx');
    expect(r.cwes).toEqual(['CWE-122']);
    expect(r.affected[0]).toMatchObject({
      vendor: 'Chromium',
      product: 'libvpx',
      purl: null,
      ecosystem: 'https://chromium.googlesource.com/',
      defaultStatus: 'unaffected',
    });
    expect(r.affected[0]!.versions[0]).toMatchObject({
      version: '1.5.0',
      lessThan: '1.13.1',
      versionType: 'semver',
    });
  });

  it('reads version changes (CVE-2024-5800) and lessThanOrEqual (CVE-2024-40711)', () => {
    expect(one(3).affected[0]!.versions[0]!.changes).toEqual([{ at: '6.0.2', status: 'unaffected' }]);
    const veeam = one(4);
    expect(veeam.affected[0]!.versions[0]).toMatchObject({ version: '12.1.2', lessThanOrEqual: '12.1.2' });
    // CWE and CPE come only from the CISA ADP container.
    expect(veeam.cwes).toEqual(['CWE-502']);
    expect(veeam.affected[1]!.cpes).toEqual(['cpe:2.3:a:veeam:backup_\\&_replication:*:*:*:*:*:*:*:*']);
    expect(veeam.cvss).toEqual([
      expect.objectContaining({ version: '3.0', baseScore: 9.8, source: 'hackerone' }),
    ]);
  });

  it("reads CISA's SSVC decision points from the ADP container (CVE-2024-40711, CVE-2023-6349)", () => {
    const byId = (id: string) =>
      lines.map((l) => readCve5(l, 'vulnrichment.jsonl').records[0]!).find((r) => r.id === id)!;
    // In the record: options Exploitation active, Automatable no, Technical Impact total, 2024-10-18.
    expect(byId('CVE-2024-40711').ssvc).toEqual({
      raw: 'CISA ADP SSVC 2.0.3: Exploitation active, Automatable no, Technical Impact total (2024-10-18)',
      exploitation: 'active',
      automatable: false,
      technicalImpact: 'total',
      decisionPoints: { E: 'A', A: 'N', T: 'T' },
      timestamp: '2024-10-18T03:55:33.713557Z',
      origin: 'cve5-adp',
    });
    expect(byId('CVE-2023-6349').ssvc?.exploitation).toBe('none');
    expect(byId('CVE-2023-6349').ssvc?.technicalImpact).toBe('partial');
  });

  it('builds a purl from a registry collectionURL and packageName', () => {
    const rec = structuredClone(lines[2]) as { containers: { cna: { affected: Record<string, unknown>[] } } };
    Object.assign(rec.containers.cna.affected[0]!, {
      collectionURL: 'https://registry.npmjs.org',
      packageName: 'lodash',
    });
    expect(readCve5(rec, 'x').records[0]!.affected[0]!.purl).toBe('pkg:npm/lodash');
  });

  it('keeps a REJECTED record with its reason', () => {
    const { records, issues } = readCve5(rejected, 'rejected.json');
    expect(issues).toEqual([]);
    expect(records[0]).toMatchObject({
      id: 'CVE-2099-0001',
      status: 'REJECTED',
      description: expect.stringMatching(/^This candidate was withdrawn/),
      affected: [],
      modified: '2099-01-05T00:00:00.000Z',
    });
  });

  it('reads an array; a bad record or version becomes an issue with its path', () => {
    const bad = structuredClone(lines) as {
      cveMetadata: { cveId: string };
      containers: { cna: { affected: { versions: { status: string }[] }[] } };
    }[];
    bad[1]!.cveMetadata.cveId = 'CVE-2024-32';
    bad[2]!.containers.cna.affected[0]!.versions[0]!.status = 'vulnerable';
    const { records, issues } = readCve5(bad, 'x.jsonl');
    expect(records.map((r) => r.id)).toEqual([
      'CVE-2013-0648',
      'CVE-2023-6349',
      'CVE-2024-5800',
      'CVE-2024-40711',
    ]);
    expect(records[1]!.affected[0]!.versions).toEqual([]);
    expect(issues.map((i) => i.where)).toEqual([
      '$[1].cveMetadata.cveId',
      '$[2].containers.cna.affected[0].versions[0].status',
    ]);
  });

  it('rejects a non-record', () => {
    expect(readCve5('CVE-2024-1', 'x').issues).toHaveLength(1);
    expect(readCve5({ cveMetadata: {} }, 'x').records).toEqual([]);
  });
});

describe('readCve5 never throws', () => {
  const check = (input: unknown) => {
    const r = readCve5(input, 'f');
    expect(Array.isArray(r.records) && Array.isArray(r.issues)).toBe(true);
    if (!(Array.isArray(input) && input.length === 0)) {
      expect(r.records.length + r.issues.length).toBeGreaterThan(0);
    }
  };
  it('on arbitrary JSON', () => fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 300 }));
  it('on mutated real records', () => fc.assert(fc.property(mutatedJson(lines), check), { numRuns: 300 }));
  it('on a mutated rejected record', () =>
    fc.assert(fc.property(mutatedJson(rejected), check), { numRuns: 200 }));
});
