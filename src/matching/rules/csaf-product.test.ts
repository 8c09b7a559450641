/**
 * The csaf-product rule on its own: product identification helpers (serial numbers with wildcards, CPE,
 * purl) and the model-number-in-the-version-slot case. Identifiers are taken from real documents: the
 * serial pattern from the OASIS CSAF 2.0 validator test data (`oasis_csaf_tc-csaf_2_0-2021-6-2-16-11`),
 * the CPE from BSI's `bsi-2022-0001` example advisory, the purl from the real medical-device SBOM in
 * test/fixtures/sbom-vex/cyclonedx/medical-device-narrow.sbom.json.
 */
import { describe, expect, it } from 'vitest';
import type { MatchSubject } from '../match-types.js';
import { resolveManufacturer } from '../names/names.js';
import {
  type CsafProductFacts,
  csafEvidence,
  csafNameStage,
  csafPurlEvidence,
  serialMatches,
} from './csaf-product.js';

function product(p: Partial<CsafProductFacts>): CsafProductFacts {
  return {
    advisoryId: 'TEST-2022-0001',
    documentDate: '2022-03-17T13:03:42Z',
    productId: 'CSAFPID-0001',
    name: 'product',
    vendor: null,
    vendorKey: null,
    productName: null,
    version: null,
    versionRange: null,
    modelNumbers: [],
    serialNumbers: [],
    cpe: null,
    purl: null,
    statuses: [{ vulnKey: 'CVE-2022-27193', cve: 'CVE-2022-27193', status: 'affected', remediations: [] }],
    ...p,
  };
}

function subject(manufacturer: string, model: string, version: string | null = null): MatchSubject {
  return {
    key: `${manufacturer}/${model}/${version}`,
    manufacturer: resolveManufacturer(manufacturer),
    manufacturerName: manufacturer,
    model,
    modelNumber: null,
    firmwareVersion: null,
    softwareVersion: version,
    deviceIds: ['d1'],
    modelIds: ['m1'],
  };
}

describe('serialMatches', () => {
  const pattern = ['98765?43210-BCD*'];
  it('reads `?` as one character and `*` as any run, case-insensitively', () => {
    expect(serialMatches('98765X43210-BCD', pattern)).toBe(true);
    expect(serialMatches('98765443210-bcd-0042', pattern)).toBe(true);
    expect(serialMatches('9876543210-BCD', pattern)).toBe(false); // `?` needs exactly one character
    expect(serialMatches('98765X43210-BC', pattern)).toBe(false);
    expect(serialMatches(null, pattern)).toBe(false);
  });
  it('treats other characters literally', () => {
    expect(serialMatches('A.B', ['A.B'])).toBe(true);
    expect(serialMatches('AXB', ['A.B'])).toBe(false);
    expect(serialMatches('SN(1)', ['SN(1)'])).toBe(true);
  });
});

describe('csafNameStage with identification helpers', () => {
  // bsi-2022-0001: vendor "CSAF Tools", product "CVRF-CSAF-Converter", CPE cpe:/a:csaf-tools:cvrf-csaf-converter:1.0.0-rc1
  const cpeOnly = product({
    name: 'CSAF Tools CVRF-CSAF-Converter 1.0.0-rc1',
    vendor: 'CSAF Tools',
    vendorKey: resolveManufacturer('CSAF Tools').key,
    productName: 'Converter Suite',
    version: '1.0.0-rc1',
    cpe: 'cpe:/a:csaf-tools:cvrf-csaf-converter:1.0.0-rc1',
  });

  it("finds the model through the product's CPE when the product name does not name it", () => {
    const stage = csafNameStage(cpeOnly, subject('CSAF Tools', 'CVRF CSAF Converter', '1.0.0-rc1'));
    expect(stage?.name.confidence).toBe(1);
    expect(stage?.name.reason).toContain("the product's CPE cpe:/a:csaf-tools:cvrf-csaf-converter:1.0.0-rc1");
    const [e] = csafEvidence(cpeOnly, subject('CSAF Tools', 'CVRF CSAF Converter', '1.0.0-rc1'));
    expect(e).toMatchObject({ status: 'affected', certain: true });
  });

  it('does not take the CPE of another vendor', () => {
    expect(csafNameStage(cpeOnly, subject('Philips', 'CVRF CSAF Converter'))).toBeNull();
  });

  it('lets serial numbers stand for the model name (the matcher then checks each device)', () => {
    const bySerial = product({
      name: 'Product A',
      vendor: 'Abbott',
      vendorKey: resolveManufacturer('Abbott').key,
      productName: 'Product A',
      serialNumbers: ['98765?43210-BCD*'],
    });
    expect(csafNameStage(bySerial, subject('Abbott', 'Assurity MRI'))?.name.reason).toBe(
      'serial number listed in product_identification_helper',
    );
    expect(csafNameStage({ ...bySerial, serialNumbers: [] }, subject('Abbott', 'Assurity MRI'))).toBeNull();
  });
});

describe('csafPurlEvidence', () => {
  // The medical-device SBOM lists jQuery as pkg:nuget/jQuery@3.1.1.
  const jquery = { name: 'jQuery', version: '3.1.1', purl: 'pkg:nuget/jQuery@3.1.1' };

  it('judges the component version against the product version range', () => {
    const p = product({ name: 'jQuery before 3.5.0', purl: 'pkg:nuget/jQuery', versionRange: '< 3.5.0' });
    const [e] = csafPurlEvidence(p, jquery);
    expect(e).toMatchObject({ rule: 'csaf-purl', status: 'affected', certain: true, nameRule: 'purl' });
    expect(e?.explanation).toContain('component version 3.1.1 in "< 3.5.0"');
    expect(csafPurlEvidence({ ...p, versionRange: '>= 3.5.0' }, jquery)).toEqual([]);
  });

  it("uses the purl's own version when the product gives none", () => {
    const p = product({ name: 'jQuery 3.1.1', purl: 'pkg:nuget/jQuery@3.1.1' });
    expect(csafPurlEvidence(p, jquery)[0]?.certain).toBe(true);
    expect(csafPurlEvidence(p, { ...jquery, version: '3.6.0' })).toEqual([]);
  });

  it('keeps an unknown component version as an undecided candidate', () => {
    const p = product({ name: 'jQuery before 3.5.0', purl: 'pkg:nuget/jQuery', versionRange: '< 3.5.0' });
    const [e] = csafPurlEvidence(p, { ...jquery, version: null });
    expect(e).toMatchObject({ certain: false, confidence: 0.6, versionVerdict: 'unknown' });
  });
});
