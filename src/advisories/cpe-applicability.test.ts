import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ApplicabilityTarget,
  evaluateConfigurations,
  type NvdConfiguration,
} from './cpe-applicability.js';

const sut = evaluateConfigurations;

// Real NVD configurations; see test/fixtures/advisories/cpe/PROVENANCE.md.
const dir = new URL('../../test/fixtures/advisories/cpe/', import.meta.url);
type Fixture = Record<string, { configurations: NvdConfiguration[] }>;
const api20 = JSON.parse(readFileSync(new URL('nvd-api-2.0-configurations.json', dir), 'utf8')) as Fixture;
const converted = JSON.parse(
  readFileSync(new URL('nvd-1.1-converted-configurations.json', dir), 'utf8'),
) as Fixture;
const config = (id: string): NvdConfiguration[] => {
  const c = api20[id] ?? converted[id];
  if (!c) throw new Error(`no fixture ${id}`);
  return c.configurations;
};
const applies = (id: string, target: ApplicabilityTarget) => sut(config(id), target).applies;

describe('CVE-2023-27314 NetApp ONTAP: range 9.0 <= v < 9.8 plus exact releases with update', () => {
  const ontap = 'cpe:2.3:a:netapp:clustered_data_ontap:*:*:*:*:*:*:*:*';
  it.each([
    ['9.0', true],
    ['9.5', true],
    ['9.7.9', true],
    ['8.3', false],
  ])('version %s -> %s', (version, expected) => {
    expect(applies('CVE-2023-27314', { cpes: [ontap], version })).toBe(expected);
  });

  it('9.8 with the update level not recorded is unknown (9.8:- and 9.8:p7 are listed)', () => {
    const r = sut(config('CVE-2023-27314'), { cpes: [ontap], version: '9.8' });
    expect(r.applies).toBe('unknown');
    expect(r.matched.map((m) => m.criteria)).toEqual([
      'cpe:2.3:a:netapp:clustered_data_ontap:9.8:-:*:*:*:*:*:*',
      'cpe:2.3:a:netapp:clustered_data_ontap:9.8:p7:*:*:*:*:*:*',
    ]);
    expect(r.matched[0]?.reason).toContain('update - required');
  });

  it('9.8 with no update (9.8:-) and 9.9.1p3 are listed exactly; 9.8p14 and 9.14.0 are not', () => {
    const cpe = (v: string, u: string) => `cpe:2.3:a:netapp:clustered_data_ontap:${v}:${u}:*:*:*:*:*:*`;
    expect(applies('CVE-2023-27314', { cpes: [cpe('9.8', '-')] })).toBe(true);
    expect(applies('CVE-2023-27314', { cpes: [cpe('9.9.1', 'p3')] })).toBe(true);
    expect(applies('CVE-2023-27314', { cpes: [cpe('9.8', 'p14')] })).toBe(false);
    expect(applies('CVE-2023-27314', { cpes: [cpe('9.14.0', '-')] })).toBe(false);
  });

  it('a different product never applies', () => {
    expect(
      applies('CVE-2023-27314', { cpes: ['cpe:2.3:a:netapp:snapcenter:*:*:*:*:*:*:*:*'], version: '9.5' }),
    ).toBe(false);
  });
});

describe('CVE-2023-22068 Oracle MySQL: 8.0 <= v <= 8.0.34, and 8.1.0', () => {
  const mysql = 'cpe:2.3:a:oracle:mysql:*:*:*:*:*:*:*:*';
  it.each([
    ['8.0.0', true],
    ['8.0.34', true],
    ['8.0.35', false],
    ['5.7.44', false],
    ['8.1.0', true],
    // "8.1" names the same release as the listed "8.1.0".
    ['8.1', true],
    ['8.2.0', false],
  ])('version %s -> %s', (version, expected) => {
    expect(applies('CVE-2023-22068', { cpes: [mysql], version })).toBe(expected);
  });

  it('without a version the answer is unknown, with the reason', () => {
    const r = sut(config('CVE-2023-22068'), { cpes: [mysql] });
    expect(r.applies).toBe('unknown');
    expect(r.matched[0]?.reason).toContain("product's version is not recorded");
  });

  it('takes the version from the product CPE itself and explains the match', () => {
    const r = sut(config('CVE-2023-22068'), { cpes: ['cpe:2.3:a:oracle:mysql:8.0.20:*:*:*:*:*:*:*'] });
    expect(r.applies).toBe(true);
    expect(r.matched).toEqual([
      {
        criteria: 'cpe:2.3:a:oracle:mysql:*:*:*:*:*:*:*:*',
        vulnerable: true,
        result: true,
        reason: 'cpe:2.3:a:oracle:mysql:8.0.20:*:*:*:*:*:*:*: matches, version 8.0.20 in >= 8.0, <= 8.0.34',
      },
    ]);
  });
});

describe('CVE-2022-1576 (escaped "&" in the product) and CVE-2023-45109: WordPress plugins', () => {
  const plugin = 'cpe:2.3:a:themeisle:wp_maintenance_mode_\\&_coming_soon:*:*:*:*:*:wordpress:*:*';
  it('applies below 2.4.5 only', () => {
    expect(applies('CVE-2022-1576', { cpes: [plugin], version: '2.4.4' })).toBe(true);
    expect(applies('CVE-2022-1576', { cpes: [plugin], version: '2.4.5' })).toBe(false);
  });

  it('is unknown when the product CPE does not say it is the WordPress edition', () => {
    const generic = 'cpe:2.3:a:themeisle:wp_maintenance_mode_\\&_coming_soon:*:*:*:*:*:*:*:*';
    expect(applies('CVE-2022-1576', { cpes: [generic], version: '2.4.4' })).toBe('unknown');
  });

  it('vendor with a dot, bound inclusive at 1.1.5', () => {
    const whitepage = 'cpe:2.3:a:myback.link:whitepage:*:*:*:*:*:wordpress:*:*';
    expect(applies('CVE-2023-45109', { cpes: [whitepage], version: '1.1.5' })).toBe(true);
    expect(applies('CVE-2023-45109', { cpes: [whitepage], version: '1.1.6' })).toBe(false);
  });

  it('exact version criteria (CVE-2023-45901 Dreamer CMS 4.1.3)', () => {
    const cms = 'cpe:2.3:a:dreamer_cms_project:dreamer_cms:*:*:*:*:*:*:*:*';
    expect(applies('CVE-2023-45901', { cpes: [cms], version: '4.1.3' })).toBe(true);
    expect(applies('CVE-2023-45901', { cpes: [cms], version: '4.1.4' })).toBe(false);
  });
});

describe('CVE-2022-22377 IBM Security Verify Privilege < 11.5 running on macOS or Windows', () => {
  const ibm = 'cpe:2.3:a:ibm:security_verify_privilege_on-premises:*:*:*:*:*:*:*:*';
  const windows = 'cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*';
  it('applies when the platform is listed', () => {
    const r = sut(config('CVE-2022-22377'), { cpes: [ibm], version: '11.4', platforms: [windows] });
    expect(r.applies).toBe(true);
    expect(r.matched.map((m) => [m.criteria, m.vulnerable, m.result])).toEqual([
      [ibm, true, true],
      [windows, false, true],
    ]);
  });

  it('is unknown when the platform is not recorded, false when the recorded platform differs', () => {
    expect(applies('CVE-2022-22377', { cpes: [ibm], version: '11.4' })).toBe('unknown');
    expect(
      applies('CVE-2022-22377', {
        cpes: [ibm],
        version: '11.4',
        platforms: ['cpe:2.3:o:linux:linux_kernel:5.10:*:*:*:*:*:*:*'],
      }),
    ).toBe(false);
  });

  it('does not apply at 11.5 whatever the platform', () => {
    expect(applies('CVE-2022-22377', { cpes: [ibm], version: '11.5', platforms: [windows] })).toBe(false);
    expect(applies('CVE-2022-22377', { cpes: [ibm], version: '11.5' })).toBe(false);
  });

  it('a non-vulnerable platform alone never makes the product vulnerable', () => {
    expect(applies('CVE-2022-22377', { cpes: [], platforms: [windows] })).toBe(false);
  });

  it('a vulnerable platform does (the device runs the affected software), and says so', () => {
    const r = sut(config('CVE-2023-22068'), {
      cpes: ['cpe:2.3:h:acme:pacs_server:*:*:*:*:*:*:*:*'],
      platforms: ['cpe:2.3:a:oracle:mysql:8.0.30:*:*:*:*:*:*:*'],
    });
    expect(r.applies).toBe(true);
    expect(r.matched[0]?.reason).toBe(
      'platform cpe:2.3:a:oracle:mysql:8.0.30:*:*:*:*:*:*:*: matches, version 8.0.30 in >= 8.0, <= 8.0.34',
    );
  });
});

describe('firmware running on hardware (NVD 1.1 records converted to the 2.0 shape)', () => {
  const fw = 'cpe:2.3:o:zte:e8820v3_firmware:*:*:*:*:*:*:*:*';
  const hw = 'cpe:2.3:h:zte:e8820v3:*:*:*:*:*:*:*:*';
  it('CVE-2020-6863: firmware < 3.1.0.1000.5 on the E8820V3 (hardware criteria version "-")', () => {
    expect(applies('CVE-2020-6863', { cpes: [fw, hw], version: '3.1.0.1000.4' })).toBe(true);
    expect(applies('CVE-2020-6863', { cpes: [fw, hw], version: '3.1.0.1000.5' })).toBe(false);
    expect(applies('CVE-2020-6863', { cpes: [fw, hw], version: '3.1.0.999' })).toBe(true);
  });

  it('unknown hardware is unknown; declared platforms without it are false', () => {
    expect(applies('CVE-2020-6863', { cpes: [fw], version: '3.1.0.1000.4' })).toBe('unknown');
    expect(applies('CVE-2020-6863', { cpes: [fw], version: '3.1.0.1000.4', platforms: [] })).toBe(false);
    expect(applies('CVE-2020-6863', { cpes: [fw], version: '3.1.0.1000.4', platforms: [hw] })).toBe(true);
  });

  it('CVE-2018-14705: Drobo 5N2 firmware 4.0.5; any hardware revision matches the unversioned hardware', () => {
    const dfw = 'cpe:2.3:o:drobo:5n2_firmware:*:*:*:*:*:*:*:*';
    expect(
      applies('CVE-2018-14705', { cpes: [dfw, 'cpe:2.3:h:drobo:5n2:-:*:*:*:*:*:*:*'], version: '4.0.5' }),
    ).toBe(true);
    expect(
      applies('CVE-2018-14705', { cpes: [dfw, 'cpe:2.3:h:drobo:5n2:rev2:*:*:*:*:*:*:*'], version: '4.0.5' }),
    ).toBe(true);
    expect(
      applies('CVE-2018-14705', { cpes: [dfw, 'cpe:2.3:h:drobo:5n2:*:*:*:*:*:*:*:*'], version: '4.0.6' }),
    ).toBe(false);
  });
});

describe('logic and edge cases (synthetic configurations)', () => {
  const device = 'cpe:2.3:h:acme:infusion_pump:*:*:*:*:*:*:*:*';
  it('no configurations is unknown, never "not affected"', () => {
    expect(sut(undefined, { cpes: [device] })).toEqual({ applies: 'unknown', matched: [], problems: [] });
    expect(sut([], { cpes: [device] }).applies).toBe('unknown');
  });

  it('a versionless hardware criterion matches any version, including none recorded', () => {
    const c: NvdConfiguration[] = [
      {
        nodes: [
          {
            operator: 'OR',
            cpeMatch: [{ vulnerable: true, criteria: 'cpe:2.3:h:acme:infusion_pump:*:*:*:*:*:*:*:*' }],
          },
        ],
      },
    ];
    expect(sut(c, { cpes: [device] }).applies).toBe(true);
    expect(sut(c, { cpes: ['cpe:2.3:h:acme:infusion_pump:2.0:*:*:*:*:*:*:*'] }).applies).toBe(true);
    expect(sut(c, { cpes: ['cpe:2.3:h:acme:ventilator:*:*:*:*:*:*:*:*'] }).applies).toBe(false);
  });

  it('negate inverts a node; AND of nodes; unparseable criteria are unknown', () => {
    const app = 'cpe:2.3:a:acme:pump_server:*:*:*:*:*:*:*:*';
    const c = (negate: boolean): NvdConfiguration[] => [
      {
        operator: 'AND',
        nodes: [
          { operator: 'OR', cpeMatch: [{ vulnerable: true, criteria: app, versionEndExcluding: '2.0' }] },
          {
            operator: 'OR',
            negate,
            cpeMatch: [{ vulnerable: false, criteria: 'cpe:2.3:o:microsoft:windows_7:-:*:*:*:*:*:*:*' }],
          },
        ],
      },
    ];
    const win7 = ['cpe:2.3:o:microsoft:windows_7:-:*:*:*:*:*:*:*'];
    expect(sut(c(false), { cpes: [app], version: '1.0', platforms: win7 }).applies).toBe(true);
    expect(sut(c(true), { cpes: [app], version: '1.0', platforms: win7 }).applies).toBe(false);
    expect(sut(c(true), { cpes: [app], version: '1.0', platforms: [] }).applies).toBe(true);
    const broken: NvdConfiguration[] = [
      { nodes: [{ operator: 'OR', cpeMatch: [{ vulnerable: true, criteria: 'cpe:2.3:a:acme' }] }] },
    ];
    expect(sut(broken, { cpes: [app] }).matched[0]?.reason).toContain('not parseable');
  });

  it('a malformed product CPE is reported and leaves the answer unknown', () => {
    const r = sut(config('CVE-2023-22068'), { cpes: ['cpe:2.3:a:oracle:mysql:8.0.1'], version: '8.0.1' });
    expect(r.applies).toBe('unknown');
    expect(r.problems).toEqual([
      'cpe:2.3:a:oracle:mysql:8.0.1: expected 11 components after "cpe:2.3:", found 4 at 28',
    ]);
  });

  it('several configurations are alternatives', () => {
    const c: NvdConfiguration[] = [
      {
        nodes: [
          { operator: 'OR', cpeMatch: [{ vulnerable: true, criteria: 'cpe:2.3:a:x:y:1.0:*:*:*:*:*:*:*' }] },
        ],
      },
      {
        nodes: [
          { operator: 'OR', cpeMatch: [{ vulnerable: true, criteria: 'cpe:2.3:a:x:z:*:*:*:*:*:*:*:*' }] },
        ],
      },
    ];
    expect(sut(c, { cpes: ['cpe:2.3:a:x:z:3:*:*:*:*:*:*:*'] }).applies).toBe(true);
    expect(sut(c, { cpes: ['cpe:2.3:a:x:y:2.0:*:*:*:*:*:*:*'] }).applies).toBe(false);
  });
});

describe('version bounds use the shared comparator (version.ts)', () => {
  const app = 'cpe:2.3:a:acme:pump_server:*:*:*:*:*:*:*:*';
  const c: NvdConfiguration[] = [
    {
      nodes: [
        {
          operator: 'OR',
          cpeMatch: [
            { vulnerable: true, criteria: app, versionStartIncluding: '9.0', versionEndExcluding: '9.8' },
          ],
        },
      ],
    },
  ];
  it.each([
    ['9.0.0', true],
    ['v9.7', true],
    ['9.8', false],
    ['9.7P7', true],
    ['9.8rc1', true],
    ['9.x', 'unknown'],
    ['not a version at all', 'unknown'],
  ] as const)('%s -> %s', (version, expected) => {
    expect(sut(c, { cpes: [app], version }).applies).toBe(expected);
  });
});
