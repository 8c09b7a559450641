import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectAdvisoryFormat } from './detect.js';

const read = (path: string) =>
  new Uint8Array(readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url)));
const text = (s: string) => new TextEncoder().encode(s);

const samples: [string, Uint8Array, ReturnType<typeof detectAdvisoryFormat>][] = [
  ['icsma-23-061-01.json', read('advisories/csaf/icsma-23-061-01.json'), 'csaf'],
  ['nvd-page.json', read('feeds/nvd/api-2.0-full-page-slice.json'), 'nvd'],
  ['nvd-single.json', read('feeds/nvd/api-2.0-single-entry.json'), 'nvd'],
  ['nvd-1.1.jsonl', read('feeds/nvd/nvd-1.1-items.jsonl'), 'nvd'],
  ['cve.jsonl', read('feeds/cve5/vulnrichment-records.jsonl'), 'cve5'],
  ['rejected.json', read('feeds/cve5/rejected-hand-written.json'), 'cve5'],
  ['ghsa.json', read('feeds/osv/ghsa-npm.json'), 'osv'],
  ['pypi.json', read('feeds/osv/pypi-ecosystem-git.json'), 'osv'],
  ['kev.json', read('feeds/kev/kev-slice.json'), 'kev'],
  ['scores.csv', read('feeds/epss/epss_scores-sample.csv'), 'epss'],
  ['scores.csv.gz', read('feeds/epss/epss_scores-sample.csv.gz'), 'epss'],
  [
    'sbom.json',
    text('{\n  "bomFormat": "CycloneDX",\n  "specVersion": "1.5",\n  "components": ['),
    'cyclonedx',
  ],
  [
    'sbom.xml',
    text(
      '<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">',
    ),
    'cyclonedx',
  ],
  ['doc.json', text('{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "packages": [{"name":'), 'spdx'],
  ['doc.spdx', text('SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n'), 'spdx'],
  [
    'vex.json',
    text('{\n  "@context": "https://openvex.dev/ns/v0.2.0",\n  "@id": "https://x/1",\n  "statements": ['),
    'openvex',
  ],
  // Key-sorted CycloneDX: a long `components` comes before `bomFormat` (seen in shared data 06).
  [
    'sorted.json',
    text('{\n  "components": [\n    {\n      "bom-ref": "BomRef.1",\n      "name": "x"'),
    'cyclonedx',
  ],
  [
    'doc.spdx3.json',
    text('{\n  "@context" : "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",\n  "@graph" : ['),
    'spdx',
  ],
  ['headerless-epss.csv', text('cve,epss,percentile\nCVE-2024-0001,0.1,0.2\n'), 'epss'],
];

describe('detectAdvisoryFormat', () => {
  it.each(samples)('recognises %s', (name, bytes, expected) => {
    expect(detectAdvisoryFormat(bytes, name)).toBe(expected);
  });

  const notGzip = samples.filter(([, b]) => !(b[0] === 0x1f && b[1] === 0x8b));
  it.each(notGzip)('recognises %s gzipped under a neutral name', (_name, bytes, expected) => {
    expect(detectAdvisoryFormat(new Uint8Array(gzipSync(bytes)), 'upload.bin')).toBe(expected);
  });

  it('works on a truncated prefix (cut mid-JSON) and a truncated gzip', () => {
    const page = read('feeds/nvd/api-2.0-full-page-slice.json');
    expect(detectAdvisoryFormat(page.subarray(0, 200), 'x')).toBe('nvd');
    const big = read('feeds/cve5/vulnrichment-records.jsonl');
    const gz = new Uint8Array(gzipSync(big));
    expect(detectAdvisoryFormat(gz.subarray(0, Math.floor(gz.length / 2)), 'x')).toBe('cve5');
  });

  it('falls back to the file name only when the content says nothing', () => {
    expect(detectAdvisoryFormat(text(''), 'device.cdx.json')).toBe('cyclonedx');
    expect(detectAdvisoryFormat(text(''), 'epss_scores-2025-08-25.csv.gz')).toBe('epss');
    expect(detectAdvisoryFormat(text('{"foo": 1}'), 'notes.json')).toBeNull();
    // Content wins over a misleading name.
    expect(detectAdvisoryFormat(read('feeds/kev/kev-slice.json'), 'bom.json')).toBe('kev');
  });

  it('does not take a CSAF vulnerabilities[].cve string for NVD', () => {
    const csafLike = '{"vulnerabilities": [{"cve": "CVE-2021-1234", "notes": []}]}';
    expect(detectAdvisoryFormat(text(csafLike), 'x.json')).toBeNull();
  });

  it('never throws on arbitrary bytes, gzip-looking or not', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), fc.string(), (bytes, magic, name) => {
        const input = magic ? new Uint8Array([0x1f, 0x8b, ...bytes]) : bytes;
        const r = detectAdvisoryFormat(input, name);
        expect(r === null || typeof r === 'string').toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
