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
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const f = sbomVexFormat(v);
        expect(f === null || ['cyclonedx', 'spdx', 'openvex', 'csaf'].includes(f)).toBe(true);
      }),
    );
  });
});
