import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixtureJson } from './cyclonedx/sbom-vex-test-support.js';
import { sbomVexFormat } from './sbom-vex-format.js';

describe('sbomVexFormat', () => {
  it('knows every real SBOM and VEX fixture by its marker, damaged copies included', () => {
    const cases = [
      ['openvex', 'go-vex-v0.2.0.json', 'openvex'],
      ['openvex', 'go-vex-v0.0.1.json', 'openvex'],
      ['openvex', 'vexctl-images.vex.json', 'openvex'],
      ['openvex', 'bad-statements-object.vex.json', 'openvex'],
      ['openvex', 'bad-context-list.vex.json', 'openvex'],
      ['csaf-vex', '2022-evd-uc-01-na-001.json', 'csaf'],
      ['csaf-vex', 'go-vex-csaf.json', 'csaf'],
      ['csaf-vex', 'bad-publisher-string.json', 'csaf'],
      ['cyclonedx', 'cisa-case4-vex.json', 'cyclonedx'],
      ['cyclonedx', 'medical-device-narrow.sbom.json', 'cyclonedx'],
      ['cyclonedx', 'bad-componets.sbom.json', 'cyclonedx'],
      ['spdx', 'example7-bin-2.2.spdx.json', 'spdx'],
      ['spdx', 'bad-spdxversion-number.spdx.json', 'spdx'],
    ] as const;
    for (const [dir, name, format] of cases)
      expect([name, sbomVexFormat(fixtureJson(dir, name))]).toEqual([name, format]);
  });

  it('finds no format in a document without a marker', () => {
    const csaf = fixtureJson('csaf-vex', '2022-evd-uc-01-na-001.json') as Record<string, unknown>;
    delete csaf.document;
    expect(sbomVexFormat(csaf)).toBeNull();
    expect(sbomVexFormat([])).toBeNull();
    expect(sbomVexFormat({ bomFormat: 'cyclonedx' })).toBeNull();
  });

  // Any JSON object without the four formats' marker keys, with one format's marker added or none.
  const MARKER_KEYS = ['@context', 'document', 'bomFormat', '$schema', 'spdxVersion', 'SPDXID'];
  const unmarked = fc
    .dictionary(fc.string(), fc.jsonValue())
    .map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => !MARKER_KEYS.includes(k))));
  const markers = {
    openvex: { '@context': 'https://openvex.dev/ns/v0.2.0' },
    csaf: { document: { category: 'csaf_vex', csaf_version: '2.0' } },
    cyclonedx: { bomFormat: 'CycloneDX' },
    spdx: { spdxVersion: 'SPDX-2.3' },
  } as const;

  it('finds no format in any JSON object without a marker key', () => {
    fc.assert(
      fc.property(unmarked, (o) => {
        expect(sbomVexFormat(o)).toBeNull();
      }),
    );
  });

  it('finds the format whose marker is added to any JSON object, whatever else it holds', () => {
    fc.assert(
      fc.property(
        unmarked,
        fc.constantFrom(...(Object.keys(markers) as (keyof typeof markers)[])),
        (o, f) => {
          expect(sbomVexFormat({ ...o, ...markers[f] })).toBe(f);
        },
      ),
    );
  });
});
