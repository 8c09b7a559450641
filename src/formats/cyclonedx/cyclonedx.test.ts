import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCycloneDx, readCycloneDxJson, readCycloneDxXml, validateCycloneDxJson } from './index.js';
import { fixtureJson, fixtureText, mutatedDocument } from './sbom-vex-test-support.js';

const read = (name: string) => readCycloneDx(fixtureText('cyclonedx', name), name);

describe('readCycloneDx — SBOMs', () => {
  it('refuses bytes that are not UTF-8 at their offset, JSON and XML, instead of reading U+FFFD into a name', () => {
    for (const name of ['cern-lhc-vdm-editor.bom.json', 'cern-lhc-vdm-editor.bom.xml']) {
      const bytes = Buffer.from(fixtureText('cyclonedx', name));
      expect(readCycloneDx(new Uint8Array(bytes), name).issues).toEqual([]);
      // The first letter of the first component name, as a Windows-1252 é.
      const at = bytes.indexOf('lhc-vdm-editor');
      bytes[at] = 0xe9;
      expect(readCycloneDx(new Uint8Array(bytes), name)).toEqual({
        sbom: null,
        vex: null,
        issues: [
          { file: name, where: `offset ${at}`, message: `not UTF-8 text (byte 0xE9 at offset ${at})` },
        ],
      });
    }
  });

  it('reads the real medical-device SBOM (CycloneDX 1.4)', () => {
    const r = read('medical-device-narrow.sbom.json');
    expect(r.issues).toEqual([]);
    expect(r.vex).toBeNull();
    const sbom = r.sbom!;
    expect(sbom.format).toBe('cyclonedx');
    expect(sbom.specVersion).toBe('1.4');
    expect(sbom.serialNumber).toBe('urn:uuid:02826796-d30c-4aa6-b0a8-44207a01cb6c');
    expect(sbom.created).toBe('2025-07-23T20:52:41.344402+00:00');
    expect(sbom.subject).toEqual({ name: 'REDACTED', version: null, supplier: null });
    expect(sbom.components).toHaveLength(55);
    const wolf = sbom.components.find((c) => c.name === 'WolfSSL');
    expect(wolf).toMatchObject({
      ref: 'BomRef.6730320963532548.7863229239413411',
      version: '4.8.1',
      purl: 'pkg:github/wolfssl/wolfssl',
      cpes: ['cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*'],
    });
    // The Qualcomm SoC is written with "version": "" — read as no version.
    expect(sbom.components[0]).toMatchObject({
      name: 'Qualcomm Atheros QCA9563',
      type: 'device',
      version: null,
    });
  });

  it('reads JSON and XML of the same BOM (spec 1.2) to the same components', () => {
    const j = read('cern-lhc-vdm-editor.bom.json');
    const x = read('cern-lhc-vdm-editor.bom.xml');
    expect(j.issues).toEqual([]);
    expect(x.issues).toEqual([]);
    expect(x.sbom?.components).toHaveLength(43);
    expect(x.sbom?.subject).toEqual({ name: 'lhc-vdm-editor', version: '0.0.1', supplier: null });
    expect(x.sbom?.serialNumber).toBe('urn:uuid:591eb851-2646-4d52-aa40-ac8b35a2b2d7');
    expect(x.sbom?.created).toBe('2020-08-03T01:28:47.678Z');
    expect(x.sbom?.specVersion).toBe('1.2');
    expect(x.sbom?.components[0]).toMatchObject({
      ref: 'pkg:npm/puppeteer@1.19.0',
      name: 'puppeteer',
      version: '1.19.0',
      purl: 'pkg:npm/puppeteer@1.19.0',
    });
    expect(x.sbom?.components).toEqual(j.sbom?.components);
  });

  it('reads a 1.6 BOM with dependencies', () => {
    const r = read('cbom-1.6-with-dependencies.bom.json');
    expect(r.issues).toEqual([]);
    expect(r.sbom?.specVersion).toBe('1.6');
    expect(r.sbom?.components.map((c) => c.ref)).toEqual(['aes128gcm', 'crypto-library', 'some-library']);
    expect(r.sbom?.components.find((c) => c.ref === 'crypto-library')?.dependsOn).toEqual(['some-library']);
    expect(r.sbom?.subject).toEqual({ name: 'Acme Application', version: '1.0', supplier: null });
  });

  it('reads supplier names from the HBOM', () => {
    const r = read('hbom-pcie-sata.bom.json');
    expect(r.sbom?.components[0]).toMatchObject({
      name: 'PCIE-098-02-F-D-EMS2',
      supplier: 'Samtec',
      type: 'device',
    });
  });

  it('reads a 1.5 document with nested components; a bad component is an issue and the rest come through', () => {
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      metadata: {
        component: { type: 'device', name: 'Infusion pump', version: '3.1', supplier: { name: 'MedCo' } },
      },
      components: [
        {
          'bom-ref': 'fw',
          type: 'firmware',
          name: 'pump-fw',
          version: '3.1.0',
          components: [
            {
              'bom-ref': 'ssl',
              type: 'library',
              name: 'openssl',
              version: '1.0.2k',
              purl: 'pkg:generic/openssl@1.0.2k',
            },
          ],
        },
        { 'bom-ref': 'broken', version: '1' },
        { 'bom-ref': 'badpurl', name: 'x', purl: 'not a purl', cpe: 'cpe:nonsense' },
      ],
      dependencies: [{ ref: 'fw', dependsOn: ['ssl'] }],
    };
    const r = readCycloneDxJson(doc, 'pump.json');
    expect(r.sbom?.subject).toEqual({ name: 'Infusion pump', version: '3.1', supplier: 'MedCo' });
    expect(r.sbom?.components.map((c) => c.ref)).toEqual(['fw', 'ssl', 'badpurl']);
    expect(r.sbom?.components[0]?.dependsOn).toEqual(['ssl']);
    expect(r.sbom?.components[2]).toMatchObject({ purl: null, cpes: [] });
    expect(r.issues).toEqual([
      {
        file: 'pump.json',
        where: '$.components[1].name',
        message: expect.stringContaining('component skipped'),
      },
      { file: 'pump.json', where: '$.components[2].purl', message: expect.stringContaining('invalid purl') },
      { file: 'pump.json', where: '$.components[2].cpe', message: expect.stringContaining('invalid CPE') },
    ]);
  });

  it('caps component nesting', () => {
    let c: Record<string, unknown> = { name: 'leaf' };
    for (let i = 0; i < 100; i++) c = { name: `n${i}`, components: [c] };
    const r = readCycloneDxJson({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [c] }, 'deep.json');
    expect(r.sbom?.components).toHaveLength(32);
    expect(r.issues[0]?.message).toContain('nested deeper');
  });

  it('returns null and an issue for something that is not CycloneDX', () => {
    expect(readCycloneDxJson({ spdxVersion: 'SPDX-2.3' }, 'a.json')).toEqual({
      sbom: null,
      vex: null,
      issues: [{ file: 'a.json', where: '$', message: expect.stringContaining('not a CycloneDX') }],
    });
    expect(readCycloneDx('{not json', 'b.json').issues[0]?.message).toContain('neither JSON nor XML');
    expect(readCycloneDx('<html><body/></html>', 'c.xml').sbom).toBeNull();
  });
});

describe('readCycloneDx — XML details', () => {
  const xml15 = `<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" serialNumber="urn:uuid:11111111-2222-3333-4444-555555555555" version="2">
  <metadata>
    <timestamp>2024-01-01T00:00:00Z</timestamp>
    <component type="device" bom-ref="pump"><supplier><name>MedCo</name></supplier><name>Pump</name><version>3.1</version></component>
  </metadata>
  <components>
    <component type="firmware" bom-ref="fw">
      <name>pump-fw</name><version>3.1.0</version><cpe>cpe:2.3:o:medco:pump_fw:3.1.0:*:*:*:*:*:*:*</cpe>
      <components>
        <component type="library" bom-ref="ssl"><name>openssl</name><version>1.0.2k</version><purl>pkg:generic/openssl@1.0.2k</purl></component>
      </components>
    </component>
    <component type="library" bom-ref="bad"><version>1</version></component>
    <x:ext xmlns:x="urn:other"><component><name>ignored</name></component></x:ext>
  </components>
  <dependencies><dependency ref="fw"><dependency ref="ssl"/></dependency></dependencies>
  <vulnerabilities>
    <vulnerability bom-ref="v1">
      <id>CVE-2016-2107</id>
      <references><reference><id>GHSA-xxxx</id><source><name>GitHub</name></source></reference></references>
      <analysis><state>not_affected</state><justification>code_not_reachable</justification>
        <responses><response>will_not_fix</response></responses><detail>AES-NI path not used</detail></analysis>
      <affects><target><ref>ssl</ref></target></affects>
    </vulnerability>
  </vulnerabilities>
</bom>`;

  it('reads components, nesting, dependencies and a VEX statement from 1.5 XML', () => {
    const r = readCycloneDxXml(xml15, 'pump.xml');
    expect(r.sbom?.specVersion).toBe('1.5');
    expect(r.sbom?.subject).toEqual({ name: 'Pump', version: '3.1', supplier: 'MedCo' });
    expect(r.sbom?.components.map((c) => c.name)).toEqual(['pump-fw', 'openssl']);
    expect(r.sbom?.components[0]).toMatchObject({
      cpes: ['cpe:2.3:o:medco:pump_fw:3.1.0:*:*:*:*:*:*:*'],
      dependsOn: ['ssl'],
    });
    // The component without a name is reported at its element's position.
    expect(r.issues).toEqual([
      {
        file: 'pump.xml',
        where: expect.stringMatching(/^line 14:\d+$/),
        message: expect.stringContaining('component skipped'),
      },
    ]);
    expect(r.vex).toEqual({
      format: 'cyclonedx',
      id: 'urn:uuid:11111111-2222-3333-4444-555555555555',
      author: null,
      timestamp: '2024-01-01T00:00:00Z',
      version: '2',
      statements: [
        {
          vulnerability: 'CVE-2016-2107',
          aliases: ['GHSA-xxxx'],
          products: [
            { name: 'openssl', version: '1.0.2k', purl: 'pkg:generic/openssl@1.0.2k', cpe: null, ref: 'ssl' },
          ],
          status: 'not_affected',
          justification: 'code_not_reachable',
          impactStatement: 'AES-NI path not used',
          actionStatement: null,
          timestamp: null,
          path: expect.stringMatching(/^line \d+:\d+$/),
        },
      ],
    });
  });

  it('reports malformed XML with line:column', () => {
    const r = readCycloneDxXml(
      '<bom xmlns="http://cyclonedx.org/schema/bom/1.6">\n  <components>\n</bom>',
      'bad.xml',
    );
    expect(r.sbom).toBeNull();
    expect(r.issues[0]).toMatchObject({ file: 'bad.xml', where: expect.stringMatching(/^line 3:\d+$/) });
  });

  it('does not expand entities (no XXE / billion laughs)', () => {
    const evil = `<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components><component><name>&x;</name></component></components></bom>`;
    const r = readCycloneDxXml(evil, 'evil.xml');
    expect(JSON.stringify(r)).not.toContain('root:');
  });

  it('caps element depth', () => {
    const deep = `<bom xmlns="http://cyclonedx.org/schema/bom/1.6">${'<a>'.repeat(500)}${'</a>'.repeat(500)}</bom>`;
    const r = readCycloneDxXml(deep, 'deep.xml');
    expect(r.sbom).toBeNull();
    expect(r.issues.some((i) => i.message.includes('deeper'))).toBe(true);
  });
});

describe('readCycloneDx — VEX', () => {
  it('reads the CycloneDX VEX example with a BOM-Link to another BOM', () => {
    const r = read('vex.json');
    expect(r.issues).toEqual([]);
    expect(r.sbom).toBeNull();
    expect(r.vex?.statements).toHaveLength(1);
    expect(r.vex?.statements[0]).toMatchObject({
      vulnerability: 'CVE-2020-25649',
      aliases: ['SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302'],
      status: 'not_affected',
      justification: 'code_not_reachable',
      impactStatement:
        'Automated dataflow analysis and manual code review indicates that the vulnerable code is not reachable, either directly or indirectly.',
      timestamp: '2021-10-26T00:00:00.000Z',
      path: '$.vulnerabilities[0]',
      products: [
        {
          ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar',
          purl: 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar',
          name: 'jackson-databind',
          version: '2.10.0',
          cpe: null,
        },
      ],
    });
  });

  it.each([
    ['cisa-case1-vex-not_affected.json', 'not_affected', 'code_not_present', 'ABC', '4.2'],
    ['cisa-case1-vex-affected.json', 'affected', null, 'DEF', '1.0'],
    ['cisa-case1-vex-fixed.json', 'fixed', null, 'DEF', '1.1'],
    ['cisa-case1-vex-under_investigation.json', 'under_investigation', null, 'GHI', '17.4'],
  ])('maps the CISA use case %s to %s', (file, status, justification, name, version) => {
    const r = read(file);
    expect(r.issues).toEqual([]);
    const s = r.vex?.statements[0];
    expect(s?.vulnerability).toBe('CVE-2021-44228');
    expect(s?.status).toBe(status);
    expect(s?.justification).toBe(justification);
    expect(s?.products[0]).toMatchObject({ name, version });
    expect(r.vex?.timestamp).toBe('2022-03-03T00:00:00Z');
  });

  it('puts the detail of an exploitable analysis in the action statement', () => {
    const s = read('cisa-case4-vex.json').vex?.statements[0];
    expect(s?.status).toBe('affected');
    expect(s?.actionStatement).toBe(
      'Versions of Product ABC are affected by the vulnerability. Customers are advised to upgrade to the latest release.',
    );
  });

  it('maps false_positive to not_affected with justification false_positive, and skips VDR entries', () => {
    const r = readCycloneDxJson(
      {
        bomFormat: 'CycloneDX',
        specVersion: '1.5',
        vulnerabilities: [
          { id: 'CVE-2024-1', analysis: { state: 'false_positive' }, affects: [{ ref: 'x' }] },
          { id: 'CVE-2024-2', affects: [{ ref: 'x' }] },
          { id: 'CVE-2024-3', analysis: { state: 'bogus' }, affects: [{ ref: 'x' }] },
        ],
      },
      'v.json',
    );
    expect(r.vex?.statements).toHaveLength(1);
    expect(r.vex?.statements[0]).toMatchObject({ status: 'not_affected', justification: 'false_positive' });
    expect(r.issues.map((i) => i.where)).toEqual([
      '$.vulnerabilities[1].analysis',
      '$.vulnerabilities[2].analysis.state',
    ]);
  });
});

describe('readCycloneDx — components under a misspelt key', () => {
  it('refuses a BOM with no components whose component-like list sits under an unknown key', () => {
    const r = readCycloneDxJson(fixtureJson('cyclonedx', 'bad-componets.sbom.json'), 'f.json');
    expect(r.sbom).toBeNull();
    expect(r.issues).toEqual([
      {
        file: 'f.json',
        where: '$.componets',
        message:
          'unknown key "componets" holds 55 component-like objects and the BOM lists no components: did you mean "components"?',
        dropped: true,
      },
    ]);
  });

  it('still reads a BOM that really lists no components', () => {
    const r = readCycloneDxJson(fixtureJson('cyclonedx', 'empty-components.sbom.json'), 'f.json');
    expect(r.sbom?.components).toEqual([]);
    expect(r.issues).toEqual([]);
  });
});

describe('validateCycloneDxJson', () => {
  it('accepts the real examples against their schema versions', async () => {
    expect(await validateCycloneDxJson(fixtureText('cyclonedx', 'vex.json'), '1.4')).toEqual([]);
    expect(
      await validateCycloneDxJson(fixtureJson('cyclonedx', 'cbom-1.6-with-dependencies.bom.json'), '1.6'),
    ).toEqual([]);
    expect(
      await validateCycloneDxJson(fixtureJson('cyclonedx', 'medical-device-narrow.sbom.json'), '1.4'),
    ).toEqual([]);
  });

  it('points at an unknown key itself and names it, not at its parent', async () => {
    expect(await validateCycloneDxJson(fixtureText('cyclonedx', 'bad-componets.sbom.json'), '1.4')).toEqual([
      { pointer: '/componets', message: 'unknown key "componets" (not in the CycloneDX 1.4 schema)' },
    ]);
    // Keys with `/` and `~` are escaped as RFC 6901 says, so the pointer names the key exactly.
    const doc = fixtureJson('cyclonedx', 'medical-device-narrow.sbom.json') as Record<string, unknown>;
    doc['a/b~c'] = 1;
    expect(await validateCycloneDxJson(doc, '1.4')).toEqual([
      { pointer: '/a~1b~0c', message: 'unknown key "a/b~c" (not in the CycloneDX 1.4 schema)' },
    ]);
  });

  it('returns schema errors with their instance path', async () => {
    const doc = fixtureJson('cyclonedx', 'vex.json') as {
      vulnerabilities: { analysis: { state: string } }[];
    };
    doc.vulnerabilities[0]!.analysis.state = 'maybe';
    const errors = await validateCycloneDxJson(doc, '1.4');
    expect(errors.some((e) => e.pointer === '/vulnerabilities/0/analysis/state')).toBe(true);
    expect(await validateCycloneDxJson('{}', '9.9')).toEqual([
      { pointer: '', message: expect.stringContaining('unsupported') },
    ]);
  });
});

describe('readCycloneDx — robustness', () => {
  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        readCycloneDxJson(v, 'f.json');
        readCycloneDxJson(
          { bomFormat: 'CycloneDX', specVersion: '1.6', components: [v], vulnerabilities: [v], metadata: v },
          'f.json',
        );
      }),
    );
  });

  it.each(['medical-device-narrow.sbom.json', 'vex.json', 'cbom-1.6-with-dependencies.bom.json'])(
    'never throws on mutations of %s',
    (name) => {
      fc.assert(
        fc.property(mutatedDocument(fixtureJson('cyclonedx', name)), (doc) => {
          const r = readCycloneDxJson(doc, name);
          expect(Array.isArray(r.issues)).toBe(true);
        }),
        { numRuns: 200 },
      );
    },
  );

  it('never throws on arbitrary strings, as text or as XML', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        readCycloneDx(s, 'f');
        readCycloneDx(`<bom xmlns="http://cyclonedx.org/schema/bom/1.6">${s}</bom>`, 'f.xml');
      }),
    );
  });

  it('never throws on mutated real XML', () => {
    const xml = fixtureText('cyclonedx', 'cern-lhc-vdm-editor.bom.xml').slice(0, 4000);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: xml.length }),
        fc.integer({ min: 0, max: 50 }),
        fc.string(),
        (at, cut, ins) => {
          readCycloneDx(xml.slice(0, at) + ins + xml.slice(at + cut), 'f.xml');
        },
      ),
      { numRuns: 300 },
    );
  });
});
