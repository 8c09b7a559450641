import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixtureJson, mutatedDocument } from '../cyclonedx/sbom-vex-test-support.js';
import { readSpdx } from './index.js';

const read = (name: string) => readSpdx(fixtureJson('spdx', name), name);

describe('readSpdx', () => {
  it('says which field of a damaged SPDX head is wrong, and how', () => {
    expect(read('bad-spdxversion-number.spdx.json').issues).toEqual([
      {
        file: 'bad-spdxversion-number.spdx.json',
        where: '$.spdxVersion',
        message: 'spdxVersion is not a string: 2.2',
      },
    ]);
    // The real document with its packages list turned into an object: the version is fine, packages is not.
    const doc = fixtureJson('spdx', 'example7-bin-2.2.spdx.json') as Record<string, unknown>;
    doc.packages = {};
    expect(readSpdx(doc, 'f')).toEqual({
      sbom: null,
      issues: [
        {
          file: 'f',
          where: '$.packages',
          message: 'not a readable SPDX document: Invalid input: expected array, received object',
        },
      ],
    });
  });

  it('reads SPDX 2.3 packages with purls and DEPENDS_ON relationships (example11)', () => {
    const r = read('example11-sbom.spdx.json');
    expect(r.issues).toEqual([]);
    const sbom = r.sbom!;
    expect(sbom.format).toBe('spdx');
    expect(sbom.specVersion).toBe('2.3');
    expect(sbom.serialNumber).toBe(
      'https://spdx.org/spdxdocs/k8s-releng-bom-7c6a33ab-bd76-4b06-b291-a850e0815b07',
    );
    expect(sbom.created).toBe('2022-11-03T07:10:10Z');
    expect(sbom.components).toHaveLength(4);
    expect(sbom.subject).toEqual({ name: 'hello-server-src', version: '0.1.0', supplier: null });
    const tokio = sbom.components.find((c) => c.name === 'tokio');
    expect(tokio).toMatchObject({
      ref: 'SPDXRef-Package-SPDXRef-Package-cargo-tokio-1',
      version: '1.19.2',
      purl: 'pkg:cargo/tokio@1.19.2',
    });
    expect(sbom.components[0]?.dependsOn).toEqual([
      'SPDXRef-Package-SPDXRef-Package-cargo-pretty-env-logger-0.4.0',
      'SPDXRef-Package-SPDXRef-Package-cargo-tokio-1',
      'SPDXRef-Package-SPDXRef-Package-cargo-hyper-0.14',
    ]);
  });

  it('reads the supplier "Organization: SPDX" and DYNAMIC_LINK dependencies (example8)', () => {
    const r = read('example8-examplemaven.spdx.json');
    expect(r.issues).toEqual([]);
    expect(r.sbom?.components).toHaveLength(6);
    expect(r.sbom?.subject).toEqual({ name: 'examplemaven', version: '0.0.1', supplier: 'SPDX' });
    const app = r.sbom?.components.find((c) => c.ref === 'SPDXRef-example');
    expect(app?.dependsOn).toEqual([
      'SPDXRef-log4jslf4jbinding',
      'SPDXRef-log4jslf4jApi',
      'SPDXRef-log4jApi',
      'SPDXRef-log4jImpl',
    ]);
    // TEST_DEPENDENCY_OF is not a shipped dependency.
    expect(app?.dependsOn).not.toContain('SPDXRef-junit');
  });

  it('accepts SPDX 2.2 (example7) and a package without a version', () => {
    const r = read('example7-bin-2.2.spdx.json');
    expect(r.issues).toEqual([]);
    expect(r.sbom?.specVersion).toBe('2.2');
    expect(r.sbom?.components).toEqual([
      {
        ref: 'SPDXRef-go-bin-hello',
        type: null,
        name: 'hello',
        version: null,
        supplier: null,
        purl: null,
        cpes: [],
        dependsOn: [],
      },
    ]);
    expect(r.sbom?.subject?.name).toBe('hello');
  });

  it('reads example10 (one package described)', () => {
    const r = read('example10-hello-source.spdx.json');
    expect(r.sbom?.components.map((c) => c.name)).toEqual(['hello']);
  });

  it('reads CPE external refs, DESCRIBES relationships and reports a bad purl with its path', () => {
    const r = readSpdx(
      {
        spdxVersion: 'SPDX-2.3',
        SPDXID: 'SPDXRef-DOCUMENT',
        packages: [
          {
            SPDXID: 'SPDXRef-pump',
            name: 'Pump firmware',
            versionInfo: '3.1',
            supplier: 'Organization: MedCo (psirt@medco.example)',
            primaryPackagePurpose: 'FIRMWARE',
            externalRefs: [
              {
                referenceCategory: 'SECURITY',
                referenceType: 'cpe23Type',
                referenceLocator: 'cpe:2.3:o:medco:pump:3.1:*:*:*:*:*:*:*',
              },
              { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:' },
            ],
          },
          { SPDXID: 'SPDXRef-broken' },
          { SPDXID: 'SPDXRef-zlib', name: 'zlib', versionInfo: 'NOASSERTION' },
        ],
        relationships: [
          {
            spdxElementId: 'SPDXRef-DOCUMENT',
            relationshipType: 'DESCRIBES',
            relatedSpdxElement: 'SPDXRef-pump',
          },
          { spdxElementId: 'SPDXRef-pump', relationshipType: 'CONTAINS', relatedSpdxElement: 'SPDXRef-zlib' },
        ],
      },
      'pump.spdx.json',
    );
    expect(r.sbom?.subject).toEqual({ name: 'Pump firmware', version: '3.1', supplier: 'MedCo' });
    expect(r.sbom?.components[0]).toMatchObject({
      type: 'firmware',
      cpes: ['cpe:2.3:o:medco:pump:3.1:*:*:*:*:*:*:*'],
      purl: null,
      dependsOn: ['SPDXRef-zlib'],
    });
    expect(r.sbom?.components[1]).toMatchObject({ name: 'zlib', version: null });
    expect(r.issues).toEqual([
      {
        file: 'pump.spdx.json',
        where: '$.packages[0].externalRefs[1].referenceLocator',
        message: expect.stringContaining('invalid purl'),
      },
      {
        file: 'pump.spdx.json',
        where: '$.packages[1].name',
        message: expect.stringContaining('package skipped'),
      },
    ]);
  });

  it('returns null with an issue for SPDX 3 and for non-SPDX input', () => {
    expect(
      readSpdx({ '@context': 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld', '@graph': [] }, 'a.json'),
    ).toEqual({
      sbom: null,
      issues: [{ file: 'a.json', where: '$', message: expect.stringContaining('SPDX 3') }],
    });
    expect(readSpdx({ bomFormat: 'CycloneDX' }, 'b.json').sbom).toBeNull();
    expect(readSpdx('SPDXVersion: SPDX-2.3', 'c.spdx').issues).toHaveLength(1);
  });

  it('never throws on arbitrary JSON or mutated real documents', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        readSpdx(v, 'f');
        readSpdx({ spdxVersion: 'SPDX-2.3', packages: [v], relationships: [v] }, 'f');
      }),
    );
    fc.assert(
      fc.property(
        mutatedDocument(fixtureJson('spdx', 'example8-examplemaven.spdx.json')),
        (d) => void readSpdx(d, 'f'),
      ),
      {
        numRuns: 300,
      },
    );
  });
});
