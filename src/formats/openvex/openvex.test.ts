import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VexStatement } from '../../advisories/records.js';
import { fixtureJson, mutatedDocument } from '../cyclonedx/sbom-vex-test-support.js';
import { readOpenVex, writeOpenVex } from './index.js';

const read = (name: string) => readOpenVex(fixtureJson('openvex', name), name);

type Validate = ((doc: unknown) => boolean) & { errors?: unknown };
let validateSchema: Validate;

beforeAll(async () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  // The schema's `iri` format: ajv-formats-draft2019's version also demands an IANA-registered scheme,
  // which rejects every purl (`pkg:` is not registered) and so the spec's own examples. Checked here with
  // the WHATWG URL parser instead (absolute, any scheme), plus ajv-formats for date-time.
  ajv.addFormat('iri', (s: string) => !/\s/.test(s) && URL.canParse(s));
  const fmts: string = 'ajv-formats';
  const af: unknown = await import(fmts);
  const addFormats = (af as { default?: unknown }).default;
  if (typeof addFormats !== 'function') throw new Error('ajv-formats did not load');
  addFormats(ajv, { formats: ['date-time', 'uri'] });
  validateSchema = ajv.compile(fixtureJson('openvex', 'openvex_json_schema.json') as object) as Validate;
});

describe('readOpenVex', () => {
  it('reads the 0.2.0 example: vulnerability objects, products with subcomponents', () => {
    const r = read('go-vex-v0.2.0.json');
    expect(r.issues).toEqual([]);
    const vex = r.vex!;
    expect(vex).toMatchObject({
      format: 'openvex',
      id: 'https://openvex.dev/docs/public/vex-d4e9020b6d0d26f131d535e055902dd6ccf3e2088bce3079a8cd3588a4b14c78',
      author: 'The OpenVEX Project <openvex@openssf.org>',
      timestamp: '2023-07-17T18:28:47.696004345-06:00',
      version: '1',
    });
    expect(vex.statements.map((s) => [s.vulnerability, s.status])).toEqual([
      ['CVE-2023-1255', 'fixed'],
      ['CVE-2023-2650', 'fixed'],
      ['CVE-2023-2975', 'fixed'],
      ['CVE-2023-3446', 'not_affected'],
      ['CVE-2023-3817', 'not_affected'],
    ]);
    expect(vex.statements[3]).toMatchObject({
      justification: 'vulnerable_code_not_present',
      impactStatement: 'affected functions were removed before packaging',
      path: '$.statements[3]',
    });
    expect(vex.statements[0]?.products).toEqual([
      {
        ref: 'pkg:oci/alpine@sha256%3A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126',
        purl: 'pkg:oci/alpine@sha256%3A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126',
        name: 'alpine',
        version: 'sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126',
        cpe: null,
      },
    ]);
  });

  it('reads the 0.0.1 forms (string vulnerability, string products)', () => {
    const r = read('go-vex-v0.0.1.json');
    expect(r.issues).toEqual([]);
    expect(r.vex?.version).toBe('1');
    expect(r.vex?.statements[0]).toMatchObject({
      vulnerability: 'CVE-2023-12345',
      aliases: [],
      status: 'fixed',
      products: [
        { ref: 'pkg:apk/wolfi/git@2.39.0-r1?arch=armv7', name: 'git', version: '2.39.0-r1' },
        { ref: 'pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64' },
      ],
    });
  });

  it('reads the bare https://openvex.dev/ns context and statement timestamps', () => {
    const r = read('go-vex-v001-1.vex.json');
    expect(r.vex?.statements[0]).toMatchObject({
      vulnerability: 'CVE-1234-5678',
      status: 'under_investigation',
      timestamp: '2022-12-22T16:36:43-05:00',
      products: [{ purl: 'pkg:apk/wolfi/bash@1.0.0' }],
    });
  });

  it('keeps non-purl product IRIs as refs', () => {
    const r = read('vexctl-images.vex.json');
    expect(r.issues).toEqual([]);
    expect(r.vex?.statements).toHaveLength(4);
    expect(r.vex?.statements[1]?.products).toEqual([
      { ref: 'nginx', purl: null, cpe: null, name: null, version: null },
    ]);
  });

  it('reads identifiers, reports invalid purls and bad statements, keeps the rest', () => {
    const r = readOpenVex(
      {
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'urn:x',
        statements: [
          {
            vulnerability: { name: 'CVE-2024-1', aliases: ['GHSA-aaaa'] },
            products: [
              { '@id': 'urn:device:pump', identifiers: { cpe23: 'cpe:2.3:h:medco:pump:3.1:*:*:*:*:*:*:*' } },
              'pkg:',
            ],
            status: 'affected',
            action_statement: 'Update to 3.2',
          },
          { vulnerability: 'CVE-2024-2', products: ['x'], status: 'maybe' },
        ],
      },
      'doc.json',
    );
    expect(r.vex?.statements).toHaveLength(1);
    expect(r.vex?.statements[0]).toMatchObject({
      aliases: ['GHSA-aaaa'],
      actionStatement: 'Update to 3.2',
      products: [
        { ref: 'urn:device:pump', cpe: 'cpe:2.3:h:medco:pump:3.1:*:*:*:*:*:*:*' },
        { ref: 'pkg:', purl: null },
      ],
    });
    expect(r.issues.map((i) => i.where)).toEqual(['$.statements[0].products[1]', '$.statements[1].status']);
  });

  it('reads a list of contexts naming OpenVEX as OpenVEX, and says the context must be one string', () => {
    expect(read('bad-context-list.vex.json')).toEqual({
      vex: null,
      issues: [
        {
          file: 'bad-context-list.vex.json',
          where: '$["@context"]',
          message: 'not a readable OpenVEX document: Invalid input: expected string, received array',
        },
      ],
    });
  });

  it('returns null with an issue for a non-OpenVEX document', () => {
    expect(readOpenVex({ bomFormat: 'CycloneDX' }, 'a.json')).toEqual({
      vex: null,
      issues: [
        { file: 'a.json', where: '$["@context"]', message: expect.stringContaining('not an OpenVEX') },
      ],
    });
  });

  it('never throws on arbitrary JSON or mutated real documents', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        readOpenVex(v, 'f');
        readOpenVex(
          {
            '@context': 'https://openvex.dev/ns/v0.2.0',
            statements: [v, { vulnerability: v, products: [v], status: 'fixed' }],
          },
          'f',
        );
      }),
    );
    fc.assert(
      fc.property(
        mutatedDocument(fixtureJson('openvex', 'go-vex-v0.2.0.json')),
        (d) => void readOpenVex(d, 'f'),
      ),
      {
        numRuns: 300,
      },
    );
  });
});

describe('writeOpenVex', () => {
  const meta = { id: 'https://vigil.example/vex/1', author: 'Vigil', timestamp: '2026-01-01T00:00:00Z' };

  it.each(['go-vex-v0.2.0.json', 'go-vex-v0.0.1.json', 'go-vex-v020-1.vex.json'])(
    'writes a schema-valid 0.2.0 document from %s that reads back to the same statements',
    (name) => {
      const first = read(name).vex!;
      const written = writeOpenVex({ ...meta, statements: first.statements });
      expect(validateSchema(written), JSON.stringify(validateSchema.errors)).toBe(true);
      const again = readOpenVex(JSON.parse(JSON.stringify(written)), 'out.json');
      expect(again.issues).toEqual([]);
      const strip = (s: VexStatement[]) => s.map(({ path: _path, ...rest }) => rest);
      expect(strip(again.vex!.statements)).toEqual(strip(first.statements));
      expect(again.vex).toMatchObject({
        id: meta.id,
        author: 'Vigil',
        timestamp: meta.timestamp,
        version: '1',
      });
    },
  );

  const stmt = (over: Partial<VexStatement>): VexStatement => ({
    vulnerability: 'CVE-2024-1',
    aliases: [],
    products: [
      {
        name: 'pump',
        version: '3.1',
        purl: 'pkg:generic/medco/pump@3.1',
        cpe: 'cpe:2.3:h:medco:pump:3.1:*:*:*:*:*:*:*',
        ref: null,
      },
    ],
    status: 'not_affected',
    justification: 'code_not_reachable',
    impactStatement: null,
    actionStatement: null,
    timestamp: null,
    path: '',
    ...over,
  });

  it('translates CycloneDX justifications and writes identifiers; the output is schema-valid', () => {
    const doc = writeOpenVex({ ...meta, statements: [stmt({}), stmt({ justification: 'false_positive' })] });
    expect(validateSchema(doc), JSON.stringify(validateSchema.errors)).toBe(true);
    const statements = doc.statements as Record<string, unknown>[];
    expect(statements[0]).toMatchObject({
      justification: 'vulnerable_code_not_in_execute_path',
      products: [
        {
          '@id': 'pkg:generic/medco/pump@3.1',
          identifiers: { cpe23: 'cpe:2.3:h:medco:pump:3.1:*:*:*:*:*:*:*' },
        },
      ],
    });
    expect(statements[1]).toMatchObject({ impact_statement: 'justification: false_positive' });
    expect(statements[1]).not.toHaveProperty('justification');
  });

  it('writes a non-IRI ref only through its purl, and refuses a product with no IRI at all', () => {
    const images = read('vexctl-images.vex.json').vex!;
    // `nginx` and `registry.k8s.io/kube-apiserver:v1.26.0` are not IRIs (the vexctl test data is lax).
    expect(() => writeOpenVex({ ...meta, statements: images.statements })).toThrow(
      /statements\[1\]\.products\[0\]/,
    );
    const doc = writeOpenVex({
      ...meta,
      statements: [
        stmt({
          products: [{ name: 'p', version: null, purl: 'pkg:npm/p@1', cpe: null, ref: 'CSAFPID-0001' }],
        }),
      ],
    });
    expect((doc.statements as { products: unknown[] }[])[0]?.products).toEqual([{ '@id': 'pkg:npm/p@1' }]);
  });

  it('refuses statements OpenVEX cannot express', () => {
    expect(() => writeOpenVex({ ...meta, statements: [] })).toThrow(TypeError);
    expect(() => writeOpenVex({ ...meta, statements: [stmt({ justification: null })] })).toThrow(
      /justification or an impact/,
    );
    expect(() =>
      writeOpenVex({ ...meta, statements: [stmt({ status: 'affected', justification: null })] }),
    ).toThrow(/action statement/);
  });
});
