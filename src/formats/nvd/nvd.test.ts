import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutatedJson } from './json-mutation.js';
import { readNvd } from './nvd.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/feeds/nvd/${name}`, import.meta.url), 'utf8');
const single: unknown = JSON.parse(fixture('api-2.0-single-entry.json'));
const page: unknown = JSON.parse(fixture('api-2.0-full-page-slice.json'));
const items11: unknown[] = fixture('nvd-1.1-items.jsonl')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));

describe('readNvd, API 2.0', () => {
  it('keeps the references NVD tags as exploits (CVE-2022-1576: the WPScan entry)', () => {
    const doc = JSON.parse(
      readFileSync(
        new URL('../../../test/fixtures/feeds/nvd/api-2.0-single-entry.json', import.meta.url),
        'utf8',
      ),
    );
    const { records } = readNvd(doc, 'single.json');
    expect(records[0]!.exploitReferences).toEqual([
      'https://wpscan.com/vulnerability/68deab46-1c16-46ae-a912-a104958ca4cf',
    ]);
  });

  it('reads the single-entry response (CVE-2022-1576)', () => {
    const { records, issues } = readNvd(single, 'single.json');
    expect(issues).toEqual([]);
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect(r.id).toBe('CVE-2022-1576');
    expect(r.source).toBe('nvd');
    expect(r.status).toBe('Modified');
    expect(r.published).toBe('2022-07-11T13:15:08.503');
    expect(r.description).toMatch(/^The WP Maintenance Mode & Coming Soon WordPress plugin before 2\.4\.5/);
    expect(r.cwes).toEqual(['CWE-352']);
    expect(r.cvss).toContainEqual({
      version: '3.1',
      vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N',
      baseScore: 6.5,
      baseSeverity: 'MEDIUM',
      source: 'nvd@nist.gov',
      type: 'Primary',
    });
    // v2 keeps baseSeverity beside cvssData, not inside it.
    expect(r.cvss.find((m) => m.version === '2.0')).toMatchObject({ baseScore: 4.3, baseSeverity: 'MEDIUM' });
    expect(r.configurations).toEqual([
      {
        nodes: [
          {
            operator: 'OR',
            negate: false,
            cpeMatch: [
              {
                vulnerable: true,
                criteria: 'cpe:2.3:a:themeisle:wp_maintenance_mode_\\&_coming_soon:*:*:*:*:*:wordpress:*:*',
                versionEndExcluding: '2.4.5',
                matchCriteriaId: '696C1A2A-E47E-4E47-AB2D-F551F136B5D1',
              },
            ],
          },
        ],
      },
    ]);
    // The same URL appears twice (two sources); kept once.
    expect(r.references).toEqual(['https://wpscan.com/vulnerability/68deab46-1c16-46ae-a912-a104958ca4cf']);
    expect(r.path).toBe('$.vulnerabilities[0].cve');
  });

  it('reads a feed page: several CVEs, AND configurations, records without metrics', () => {
    const { records, issues } = readNvd(page, 'page.json');
    expect(issues).toEqual([]);
    expect(records.map((r) => r.id)).toEqual(['CVE-2023-27314', 'CVE-2022-22377', 'CVE-2023-43250']);
    const [netapp, ibm, nconvert] = records as [
      (typeof records)[0],
      (typeof records)[0],
      (typeof records)[0],
    ];
    expect(netapp.configurations[0]!.nodes[0]!.cpeMatch).toHaveLength(9);
    expect(netapp.cvss.map((m) => [m.source, m.type, m.baseScore])).toEqual([
      ['nvd@nist.gov', 'Primary', 7.5],
      ['security-alert@netapp.com', 'Secondary', 7.5],
    ]);
    // NVD-CWE-noinfo is not a CWE id.
    expect(netapp.cwes).toEqual(['CWE-400']);
    expect(ibm.configurations[0]!.operator).toBe('AND');
    expect(ibm.configurations[0]!.nodes.map((n) => n.cpeMatch.map((m) => m.vulnerable))).toEqual([
      [true],
      [false, false],
    ]);
    expect(nconvert.status).toBe('Awaiting Analysis');
    expect(nconvert.cvss).toEqual([]);
    expect(nconvert.configurations).toEqual([]);
    expect(nconvert.references).toHaveLength(4);
  });

  it('accepts a single {"cve": …} item and a bare cve object', () => {
    const item = (page as { vulnerabilities: unknown[] }).vulnerabilities[1] as { cve: unknown };
    expect(readNvd(item, 'x').records[0]?.id).toBe('CVE-2022-22377');
    expect(readNvd(item.cve, 'x').records[0]?.path).toBe('$');
  });

  it('keeps good records when one is bad, naming the JSON path', () => {
    const doc = structuredClone(page) as { vulnerabilities: { cve: Record<string, unknown> }[] };
    doc.vulnerabilities[1]!.cve.id = 'CVE-22-1';
    doc.vulnerabilities[2]!.cve.metrics = { cvssMetricV31: [{ cvssData: { version: '3.1' } }] };
    const { records, issues } = readNvd(doc, 'bad.json');
    expect(records.map((r) => r.id)).toEqual(['CVE-2023-27314', 'CVE-2023-43250']);
    expect(issues[0]).toEqual({
      file: 'bad.json',
      where: '$.vulnerabilities[1].cve.id',
      message: expect.stringContaining('CVE-22-1'),
    });
    expect(issues.some((i) => i.where.startsWith('$.vulnerabilities[2].cve.metrics.cvssMetricV31[0]'))).toBe(
      true,
    );
  });

  it('upper-cases ids', () => {
    const doc = structuredClone(single) as { vulnerabilities: { cve: { id: string } }[] };
    doc.vulnerabilities[0]!.cve.id = 'cve-2022-1576';
    expect(readNvd(doc, 'x').records[0]?.id).toBe('CVE-2022-1576');
  });

  it('drops all configurations of a record when one is malformed (applicability unknown)', () => {
    const doc = structuredClone(page) as { vulnerabilities: { cve: { configurations: unknown[] } }[] };
    doc.vulnerabilities[0]!.cve.configurations.push({ nodes: [{ operator: 'XOR', cpeMatch: [] }] });
    const { records, issues } = readNvd(doc, 'x');
    expect(records[0]!.configurations).toEqual([]);
    expect(issues[0]!.where).toBe('$.vulnerabilities[0].cve.configurations');
  });

  it('reports a document that is not NVD', () => {
    expect(readNvd({ hello: 1 }, 'x.json')).toEqual({
      records: [],
      issues: [{ file: 'x.json', where: '$', message: expect.any(String) }],
    });
  });
});

describe('readNvd, JSON 1.1', () => {
  it('reads a CVE_Items feed', () => {
    const { records, issues } = readNvd({ CVE_data_type: 'CVE', CVE_Items: items11 }, 'nvdcve-1.1.json');
    expect(issues).toEqual([]);
    expect(records.map((r) => r.id)).toEqual(['CVE-2011-2487', 'CVE-2016-11016']);
    const cxf = records[0]!;
    expect(cxf.path).toBe('$.CVE_Items[0]');
    expect(cxf.cwes).toEqual(['CWE-327']);
    expect(cxf.references).toHaveLength(16);
    expect(cxf.cvss[0]).toMatchObject({ baseScore: 5.9, source: 'nvd@nist.gov', type: 'Primary' });
    // Two top-level OR nodes → two configurations of one node each; 3 and 9 criteria.
    expect(cxf.configurations.map((c) => c.nodes[0]!.cpeMatch.length)).toEqual([3, 9]);
    expect(cxf.configurations[0]!.nodes[0]!.cpeMatch[0]).toEqual({
      vulnerable: true,
      criteria: 'cpe:2.3:a:apache:cxf:*:*:*:*:*:*:*:*',
      versionStartIncluding: '2.4.0',
      versionEndIncluding: '2.4.6',
    });
  });

  it('turns an AND node with children into one AND configuration', () => {
    const { records } = readNvd(items11[1], 'x');
    const r = records[0]!;
    expect(r.description).toBe('NETGEAR JNR1010 devices before 1.0.0.32 allow webproc?getpage= XSS.');
    expect(r.published).toBe('2019-10-16T11:15Z');
    expect(r.cvss.map((m) => [m.version, m.baseScore, m.baseSeverity])).toEqual([
      ['3.1', 6.1, 'MEDIUM'],
      ['2.0', 4.3, 'MEDIUM'],
    ]);
    expect(r.configurations).toEqual([
      {
        operator: 'AND',
        nodes: [
          {
            operator: 'OR',
            cpeMatch: [
              {
                vulnerable: true,
                criteria: 'cpe:2.3:o:netgear:jnr1010_firmware:*:*:*:*:*:*:*:*',
                versionEndExcluding: '1.0.0.32',
              },
            ],
          },
          {
            operator: 'OR',
            cpeMatch: [{ vulnerable: false, criteria: 'cpe:2.3:h:netgear:jnr1010:-:*:*:*:*:*:*:*' }],
          },
        ],
      },
    ]);
  });
});

describe('readNvd never throws', () => {
  const check = (input: unknown) => {
    const r = readNvd(input, 'f');
    expect(Array.isArray(r.records) && Array.isArray(r.issues)).toBe(true);
    for (const rec of r.records) expect(rec.id).toMatch(/^CVE-\d{4}-\d{4,}$/);
  };
  it('on arbitrary JSON', () => fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 300 }));
  it('on mutated API 2.0 pages', () => fc.assert(fc.property(mutatedJson(page), check), { numRuns: 300 }));
  it('on mutated 1.1 items', () =>
    fc.assert(fc.property(mutatedJson({ CVE_Items: items11 }), check), { numRuns: 300 }));
  it('returns records or issues unless the input is an empty list', () =>
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mutatedJson(page)), (v) => {
        const r = readNvd(v, 'f');
        const list = Array.isArray(v) ? v : (v as { vulnerabilities?: unknown })?.vulnerabilities;
        if (!(Array.isArray(list) && list.length === 0)) {
          expect(r.records.length + r.issues.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    ));
});
