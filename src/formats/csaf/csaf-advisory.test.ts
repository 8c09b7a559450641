/**
 * Real CISA advisories (test/fixtures/advisories/csaf, see its PROVENANCE.md). Every expected value below
 * was read from the JSON documents by hand, not taken from this module's output.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CsafAdvisory, parseSsvcVector, readCsafAdvisory } from './csaf-advisory.js';

const FIXTURES = new URL('../../../test/fixtures/advisories/csaf/', import.meta.url);

function load(name: string): CsafAdvisory {
  const json: unknown = JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
  const r = readCsafAdvisory(json, name);
  if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.issues)}`);
  return r.advisory;
}

describe('ICSMA-17-241-01 Abbott (St. Jude) pacemakers', () => {
  const sut = load('icsma-17-241-01.json');

  it('reads the document metadata', () => {
    expect(sut.advisoryId).toBe('ICSMA-17-241-01');
    expect(sut.category).toBe('csaf_security_advisory');
    expect(sut.publisher.name).toBe('CISA');
    expect(sut.tracking).toMatchObject({
      version: '1',
      status: 'final',
      initialReleaseDate: '2017-08-29T00:00:00.000000Z',
      currentReleaseDate: '2017-08-29T00:00:00.000000Z',
    });
    expect(sut.tracking.revisionHistory).toHaveLength(1);
  });

  it('has four products, each a manufacture-date range under vendor Abbott Laboratories', () => {
    expect(
      sut.products.map((p) => [p.productId, p.vendor, p.productName, p.version, p.versionRange, p.name]),
    ).toEqual([
      [
        'CSAFPID-0001',
        'Abbott Laboratories',
        'Accent MRI',
        null,
        '< august 28',
        'Accent MRI: manufactured prior to August 28',
      ],
      [
        'CSAFPID-0002',
        'Abbott Laboratories',
        'Assurity/Allure',
        null,
        '< august 28',
        'Assurity/Allure: manufactured prior to August 28',
      ],
      [
        'CSAFPID-0003',
        'Abbott Laboratories',
        'Assurity MRI',
        null,
        '< august 28',
        'Assurity MRI: manufactured prior to August 28',
      ],
      [
        'CSAFPID-0004',
        'Abbott Laboratories',
        'Accent/Anthem',
        null,
        '< august 28',
        'Accent/Anthem: manufactured prior to August 28',
      ],
    ]);
    expect(sut.products[0]?.via).toEqual(['Abbott Laboratories', 'Accent MRI', '< august 28']);
    expect(sut.products[0]?.path).toBe('$.product_tree.branches[0].branches[0].branches[0].product');
    expect(sut.products.every((p) => p.relationship === null && p.helpers === null)).toBe(true);
  });

  it('lists three CVEs, all four products known_affected, with one firmware mitigation each', () => {
    expect(sut.vulnerabilities.map((v) => [v.cve, v.cwe?.id])).toEqual([
      ['CVE-2017-12712', 'CWE-287'],
      ['CVE-2017-12716', 'CWE-311'],
      ['CVE-2017-12714', 'CWE-920'],
    ]);
    const expectedScores = [
      [7.5, 'CVSS:3.0/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H'],
      [3.1, 'CVSS:3.0/AV:A/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N'],
      [5.3, 'CVSS:3.0/AV:A/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H'],
    ];
    sut.vulnerabilities.forEach((v, i) => {
      expect(v.products.map((p) => p.productId)).toEqual([
        'CSAFPID-0001',
        'CSAFPID-0002',
        'CSAFPID-0003',
        'CSAFPID-0004',
      ]);
      for (const p of v.products) {
        expect(p.status).toBe('affected');
        expect(p.statusKeys).toEqual(['known_affected']);
        expect(p.remediations).toHaveLength(1);
        expect(p.remediations[0]?.category).toBe('mitigation');
        expect(p.remediations[0]?.details).toMatch(
          /^The pacemaker firmware update will implement RF wake-up protections/,
        );
        expect(p.scores.map((s) => [s.baseScore, s.vectorString])).toEqual([expectedScores[i]]);
      }
      expect(v.ssvc).toBeNull();
    });
  });
});

describe('ICSMA-21-308-01 Philips Tasy EMR', () => {
  const sut = load('icsma-21-308-01.json');

  it('has one product with a "3.06.1803 and prior" range', () => {
    expect(sut.advisoryId).toBe('ICSMA-21-308-01');
    expect(sut.products).toHaveLength(1);
    expect(sut.products[0]).toMatchObject({
      productId: 'CSAFPID-0001',
      vendor: 'Philips',
      productName: 'Tasy EMR HTML5',
      version: null,
      versionRange: '<= 3.06.1803',
      name: 'Tasy EMR HTML5: 3.06.1803 and prior',
    });
  });

  it('gives both SQL-injection CVEs the same four vendor_fix remediations', () => {
    expect(sut.vulnerabilities.map((v) => v.cve)).toEqual(['CVE-2021-39375', 'CVE-2021-39376']);
    for (const v of sut.vulnerabilities) {
      expect(v.cwe?.id).toBe('CWE-89');
      const [p] = v.products;
      expect(v.products).toHaveLength(1);
      expect(p?.status).toBe('affected');
      expect(p?.remediations.map((r) => [r.category, r.url])).toEqual([
        ['vendor_fix', null],
        ['vendor_fix', 'https://www.philips.com.br/healthcare/resources/landing/solucao-tasy#_form'],
        ['vendor_fix', 'http://www.philips.com/productsecurity'],
        ['vendor_fix', 'https://www.philips.com/productsecurity'],
      ]);
      expect(p?.remediations[0]?.details).toContain('update Tasy EMR HTML5 to Version 3.06.1804 or later');
      expect(p?.scores).toEqual([
        {
          cvssVersion: '3.0',
          vectorString: 'CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H',
          baseScore: 8.8,
          baseSeverity: 'HIGH',
        },
      ]);
    }
  });
});

describe('ICSMA-23-061-01 Medtronic InterStim apps', () => {
  const sut = load('icsma-23-061-01.json');

  it('keeps the vendor "Medtronic " verbatim and offers a trimmed form', () => {
    expect(
      sut.products.map((p) => [p.productId, p.vendor, p.trimmed.vendor, p.productName, p.version]),
    ).toEqual([
      ['CSAFPID-0001', 'Medtronic ', 'Medtronic', 'Micro Clinician', 'A51200'],
      ['CSAFPID-0002', 'Medtronic ', 'Medtronic', 'InterStim X Clinician', 'A51300'],
    ]);
  });

  it('marks both apps affected by CVE-2023-25931 with three vendor_fix entries', () => {
    const [v] = sut.vulnerabilities;
    expect(sut.vulnerabilities).toHaveLength(1);
    expect(v?.cve).toBe('CVE-2023-25931');
    expect(v?.cwe).toEqual({ id: 'CWE-620', name: 'Unverified Password Change' });
    for (const p of v?.products ?? []) {
      expect(p.status).toBe('affected');
      expect(p.remediations.map((r) => r.category)).toEqual(['vendor_fix', 'vendor_fix', 'vendor_fix']);
      expect(p.remediations[1]?.details).toBe(
        'An app update is available as of February 23, 2023 that will fix the vulnerability.',
      );
      expect(p.remediations[2]?.url).toBe(
        'https://global.medtronic.com/xg-en/product-security/security-bulletins/pelvic-health-interstim-micro.html',
      );
      expect(p.scores[0]?.baseScore).toBe(6.4);
    }
  });
});

describe('ICSMA-24-151-01 Baxter Welch Allyn Product Configuration Tool', () => {
  const sut = load('icsma-24-151-01.json');

  it('reads the product and the mixed mitigation / vendor_fix list in document order', () => {
    expect(sut.products[0]).toMatchObject({
      productId: 'CSAFPID-0001',
      vendor: 'Baxter',
      productName: 'Welch Allyn Product Configuration Tool',
      versionRange: '<=1.9.4.1',
    });
    const [v] = sut.vulnerabilities;
    expect(v?.cve).toBe('CVE-2024-5176');
    const p = v?.products[0];
    expect(p?.status).toBe('affected');
    expect(p?.remediations.map((r) => r.category)).toEqual([
      'mitigation',
      'vendor_fix',
      'mitigation',
      'mitigation',
      'mitigation',
      'mitigation',
    ]);
    expect(p?.remediations[1]?.details).toBe(
      'Welch Allyn Product Configuration Tool versions 1.9.4.2: Available Q3 2024',
    );
    expect(p?.remediations[1]?.path).toBe('$.vulnerabilities[0].remediations[1]');
    expect(p?.scores).toEqual([
      {
        cvssVersion: '3.1',
        vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:L',
        baseScore: 9.6,
        baseSeverity: 'CRITICAL',
      },
    ]);
  });
});

describe('VA-24-201-01 (relationships, fixed, none_available, SSVC)', () => {
  const sut = load('va-24-201-01.json');

  it('defines the relationship product from its component and records the platform', () => {
    const rel = sut.products.find((p) => p.productId === 'CSAFPID-0005');
    expect(rel).toMatchObject({
      name: 'Adminer contained in AdminerEvo',
      vendor: 'Adminer',
      relationship: {
        category: 'external_component_of',
        component: 'CSAFPID-0013',
        platform: 'CSAFPID-0004',
      },
      path: '$.product_tree.relationships[0].full_product_name',
    });
    expect(sut.products).toHaveLength(8);
  });

  it('maps known_affected and fixed per product with the remediations that name them', () => {
    const v = sut.vulnerabilities[0];
    expect(v?.cve).toBe('CVE-2023-45195');
    const byId = new Map(v?.products.map((p) => [p.productId, p]));
    expect(byId.get('CSAFPID-0009')?.status).toBe('fixed');
    expect(byId.get('CSAFPID-0009')?.remediations).toEqual([]);
    expect(byId.get('CSAFPID-0006')?.status).toBe('affected');
    expect(byId.get('CSAFPID-0006')?.remediations.map((r) => r.category)).toEqual(['none_available']);
    expect(byId.get('CSAFPID-0007')?.remediations.map((r) => [r.category, r.url])).toEqual([
      ['vendor_fix', 'https://github.com/adminerevo/adminerevo/releases/tag/v4.8.4'],
    ]);
    // Third CVE: 4.8.3 is already fixed, so only 4.8.2 gets the vendor_fix.
    const third = new Map(sut.vulnerabilities[2]?.products.map((p) => [p.productId, p]));
    expect(third.get('CSAFPID-0007')?.status).toBe('fixed');
    expect(third.get('CSAFPID-0077')?.status).toBe('affected');
  });

  it('parses each SSVC note, including one with a trailing space', () => {
    expect(
      sut.vulnerabilities.map(
        (v) => v.ssvc && [v.ssvc.exploitation, v.ssvc.automatable, v.ssvc.technicalImpact],
      ),
    ).toEqual([
      ['none', true, 'partial'],
      ['none', true, 'partial'],
      ['none', true, 'total'],
    ]);
    expect(sut.vulnerabilities[2]?.ssvc?.timestamp).toBe('2024-07-12T16:11:44Z');
  });
});

describe('VA-24-262-01 SSVC note', () => {
  it('reads E:P/A:N/T:P', () => {
    const sut = load('va-24-262-01.json');
    expect(sut.vulnerabilities[0]?.ssvc).toEqual({
      raw: 'SSVCv2/E:P/A:N/T:P/2024-09-18T19:25:28.300313+00:00/',
      exploitation: 'public_poc',
      automatable: false,
      technicalImpact: 'partial',
      decisionPoints: { E: 'P', A: 'N', T: 'P' },
      timestamp: '2024-09-18T19:25:28.300313+00:00',
    });
  });
});

describe('parseSsvcVector', () => {
  it('keeps decision points it does not interpret', () => {
    expect(parseSsvcVector('SSVCv2/E:A/A:N/T:T/P:M/B:A/M:M/D:A/2021-09-29T15:29:44Z/')).toMatchObject({
      exploitation: 'active',
      automatable: false,
      technicalImpact: 'total',
      decisionPoints: { E: 'A', A: 'N', T: 'T', P: 'M', B: 'A', M: 'M', D: 'A' },
      timestamp: '2021-09-29T15:29:44Z',
    });
  });

  it('rejects text that is not a vector and nulls unknown values', () => {
    expect(parseSsvcVector('CISA recommends users take defensive measures')).toBeNull();
    expect(parseSsvcVector('SSVCv2/E:P/some words/')).toBeNull();
    expect(parseSsvcVector('SSVCv2/E:Q/A:X/')).toMatchObject({
      exploitation: null,
      automatable: null,
      technicalImpact: null,
    });
  });
});
