import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VexStatement } from '../../advisories/records.js';
import { fixtureJson, mutatedDocument } from '../cyclonedx/sbom-vex-test-support.js';
import { readCsafVex, writeCsafVex } from './index.js';

const read = (name: string) => readCsafVex(fixtureJson('csaf-vex', name), name);

type DocumentTest = (doc: unknown) => unknown;
interface LibResult {
  isValid: boolean;
  tests: { name: string; isValid: boolean; errors: { message: string; instancePath: string }[] }[];
}
let runValidator: (doc: unknown) => Promise<LibResult>;

/** The library ships JS without declarations: loaded by a non-literal specifier and narrowed here. */
async function load(specifier: string): Promise<Record<string, unknown>> {
  const mod: unknown = await import(specifier);
  if (typeof mod !== 'object' || mod === null) throw new Error(`${specifier} did not load`);
  return mod as Record<string, unknown>;
}

beforeAll(async () => {
  const lib = '@secvisogram/csaf-validator-lib';
  const validate = (await load(`${lib}/validateStrict.js`)).default;
  const schema = (await load(`${lib}/schemaTests.js`)).csaf_2_0_strict;
  const mandatory = Object.values(await load(`${lib}/mandatoryTests.js`));
  // Schema test plus all mandatory tests (§6.1); never the informative ones, which fetch URLs.
  const tests = [schema, ...mandatory].filter((t): t is DocumentTest => typeof t === 'function');
  if (typeof validate !== 'function' || tests.length < 40) throw new Error('csaf-validator-lib did not load');
  runValidator = async (doc) => (await validate(tests, doc)) as LibResult;
}, 60_000);

const failures = (r: LibResult) =>
  r.tests.filter((t) => !t.isValid).map((t) => ({ test: t.name, errors: t.errors }));

describe('readCsafVex', () => {
  it.each([
    ['2022-evd-uc-01-na-001.json', 'not_affected', 'Example Company ABC 4.2', '4.2'],
    ['2022-evd-uc-01-a-001.json', 'affected', 'Example Company DEF 1.0', '1.0'],
    ['2022-evd-uc-01-f-001.json', 'fixed', 'Example Company DEF 1.1', '1.1'],
    ['2022-evd-uc-01-ui-001.json', 'under_investigation', 'Example Company GHI 17.4', '17.4'],
  ])('reads the OASIS use case %s as %s', (file, status, name, version) => {
    const r = read(file);
    expect(r.issues).toEqual([]);
    expect(r.vex).toMatchObject({
      format: 'csaf',
      author: 'Example Company ProductCERT',
      timestamp: '2022-03-03T11:00:00.000Z',
      version: '1',
    });
    expect(r.vex?.statements).toHaveLength(1);
    expect(r.vex?.statements[0]).toMatchObject({
      vulnerability: 'CVE-2021-44228',
      status,
      products: [{ name, version, ref: 'CSAFPID-0001', purl: null, cpe: null }],
    });
  });

  it('reads the impact threat as the impact statement and the remediation as the action statement', () => {
    expect(read('2022-evd-uc-01-na-001.json').vex?.statements[0]).toMatchObject({
      impactStatement: 'Class with vulnerable code was removed before shipping.',
      justification: null,
      path: '$.vulnerabilities[0].product_status.known_not_affected',
    });
    expect(read('2022-evd-uc-01-a-001.json').vex?.statements[0]?.actionStatement).toBe(
      'Customers should update to version 1.1 of product DEF which fixes the issue.',
    );
  });

  it('reads flags as justifications (sec-vex-2022-0001)', () => {
    const r = read('sec-vex-2022-0001.json');
    expect(r.issues).toEqual([]);
    expect(r.vex?.id).toBe('SEC-VEX-2022-0001');
    expect(r.vex?.statements[0]).toMatchObject({
      vulnerability: 'CVE-2021-44228',
      status: 'not_affected',
      justification: 'component_not_present',
      impactStatement: 'Secvisogram is written in JavaScript. No Java is included.',
      timestamp: '2022-05-27T10:00:00.000Z',
      // product_version_range branches give no version; the range stays in the full product name.
      products: [{ name: 'Secvisogram <=1.14.0', version: null, ref: 'CSAFPID-0001' }],
    });
  });

  it('reads go-vex test data: purl helpers, relationships, an undefined product_id and an invalid purl', () => {
    const r = read('go-vex-csaf.json');
    const first = r.vex?.statements[0];
    expect(first).toMatchObject({ vulnerability: 'CVE-2009-4487', status: 'not_affected' });
    // `pkg:maven/@1.3.4` has no name: kept as null with an issue.
    expect(first?.products[0]).toMatchObject({
      ref: 'CSAFPID-0001',
      name: 'Example Company ABC 4.2',
      purl: null,
    });
    expect(r.vex?.statements[1]).toMatchObject({
      status: 'affected',
      products: [{ ref: 'ABC:CSAFPID-0002', name: null }],
    });
    expect(r.issues.some((i) => i.message.includes('invalid purl'))).toBe(true);
    expect(r.issues.some((i) => i.message.includes('ABC:CSAFPID-0002'))).toBe(true);
  });

  it('keeps good vulnerabilities when one is malformed', () => {
    const doc = fixtureJson('csaf-vex', 'sec-vex-2022-0001.json') as {
      vulnerabilities: Record<string, unknown>[];
    };
    doc.vulnerabilities[1]!.product_status = { known_not_affected: 'CSAFPID-0001' };
    const r = readCsafVex(doc, 'x.json');
    expect(r.vex?.statements.map((s) => s.vulnerability)).toEqual(['CVE-2021-44228', 'CVE-2021-45105']);
    expect(r.issues[0]?.where).toBe('$.vulnerabilities[1].product_status.known_not_affected');
  });

  it('returns null with an issue for a non-CSAF document', () => {
    expect(readCsafVex({ bomFormat: 'CycloneDX' }, 'a.json')).toEqual({
      vex: null,
      issues: [{ file: 'a.json', where: '$.document', message: expect.stringContaining('not a CSAF') }],
    });
  });

  it('never throws on arbitrary JSON or mutated real documents', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => void readCsafVex(v, 'f')));
    fc.assert(
      fc.property(
        mutatedDocument(fixtureJson('csaf-vex', 'go-vex-csaf.json')),
        (d) => void readCsafVex(d, 'f'),
      ),
      {
        numRuns: 300,
      },
    );
  });
});

describe('writeCsafVex', () => {
  const meta = {
    trackingId: 'VIGIL-VEX-2026-0001',
    title: 'Vigil VEX for infusion pumps',
    publisher: { name: 'Example Hospital Biomed', namespace: 'https://hospital.example' },
    releaseDate: '2026-01-02T03:04:05.000Z',
  };
  const strip = (s: VexStatement[]) =>
    s.map(({ path: _p, ...rest }) => rest).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

  it.each([
    '2022-evd-uc-01-na-001.json',
    '2022-evd-uc-01-a-001.json',
    '2022-evd-uc-01-f-001.json',
    '2022-evd-uc-01-ui-001.json',
    'sec-vex-2022-0001.json',
  ])(
    'writes %s back as a CSAF VEX document that passes the schema and mandatory tests and reads back the same',
    async (name) => {
      const first = read(name).vex!;
      const written = writeCsafVex({ ...meta, statements: first.statements });
      const result = await runValidator(written);
      expect(failures(result)).toEqual([]);
      const again = readCsafVex(JSON.parse(JSON.stringify(written)), 'out.json');
      expect(again.issues).toEqual([]);
      expect(strip(again.vex!.statements)).toEqual(strip(first.statements));
      expect(again.vex).toMatchObject({
        format: 'csaf',
        id: meta.trackingId,
        author: meta.publisher.name,
        version: '1',
      });
    },
  );

  it('writes mixed statements (purl/CPE helpers, non-CVE ids, aliases, CycloneDX justifications) validly', async () => {
    const pump = {
      name: 'MedCo Pump 3.1',
      version: '3.1',
      purl: 'pkg:generic/medco/pump@3.1',
      cpe: 'cpe:2.3:h:medco:pump:3.1:*:*:*:*:*:*:*',
      ref: null,
    };
    const lib = { name: 'zlib', version: null, purl: 'pkg:generic/zlib@1.2.11', cpe: null, ref: null };
    const base = {
      aliases: [],
      justification: null,
      impactStatement: null,
      actionStatement: null,
      timestamp: null,
      path: '',
    };
    const statements: VexStatement[] = [
      {
        ...base,
        vulnerability: 'CVE-2022-37434',
        aliases: ['GHSA-cfmr-vrgj-vqwv'],
        products: [pump],
        status: 'not_affected',
        justification: 'code_not_reachable',
        timestamp: '2026-01-01T00:00:00.000Z',
      },
      {
        ...base,
        vulnerability: 'CVE-2022-37434',
        products: [lib],
        status: 'affected',
        actionStatement: 'Update zlib to 1.2.12',
      },
      { ...base, vulnerability: 'ICSMA-24-001-01', products: [pump], status: 'under_investigation' },
      {
        ...base,
        vulnerability: 'CVE-2024-0001',
        products: [pump, lib],
        status: 'fixed',
        actionStatement: 'Fixed in 3.2',
      },
    ];
    const written = writeCsafVex({ ...meta, statements });
    expect(failures(await runValidator(written))).toEqual([]);
    // The validator does catch a broken VEX document (no product status: §6.1.27.7, VEX Product Status).
    const broken = {
      ...written,
      vulnerabilities: [{ cve: 'CVE-2022-37434', notes: [{ category: 'description', text: 'x' }] }],
    };
    expect(failures(await runValidator(broken)).map((f) => f.test)).toContain('mandatoryTest_6_1_27_7');
    const back = readCsafVex(written, 'out.json');
    expect(back.issues).toEqual([]);
    expect(back.vex?.statements[0]).toMatchObject({
      vulnerability: 'CVE-2022-37434',
      aliases: ['GHSA-cfmr-vrgj-vqwv'],
      justification: 'vulnerable_code_not_in_execute_path',
      products: [{ name: 'MedCo Pump 3.1', version: '3.1', purl: pump.purl, cpe: pump.cpe }],
    });
    expect(back.vex?.statements.find((s) => s.vulnerability === 'ICSMA-24-001-01')?.status).toBe(
      'under_investigation',
    );
  });

  it('refuses statements CSAF VEX cannot express', () => {
    const p = { name: 'x', version: null, purl: null, cpe: null, ref: 'P1' };
    const s = {
      vulnerability: 'CVE-2024-1',
      aliases: [],
      products: [p],
      justification: null,
      impactStatement: null,
      actionStatement: null,
      timestamp: null,
      path: '',
    };
    expect(() => writeCsafVex({ ...meta, statements: [] })).toThrow(TypeError);
    expect(() => writeCsafVex({ ...meta, statements: [{ ...s, status: 'not_affected' }] })).toThrow(
      /6\.1\.27\.9/,
    );
    expect(() => writeCsafVex({ ...meta, statements: [{ ...s, status: 'affected' }] })).toThrow(
      /6\.1\.27\.10/,
    );
    expect(() =>
      writeCsafVex({
        ...meta,
        statements: [
          { ...s, status: 'fixed' },
          { ...s, status: 'under_investigation' },
        ],
      }),
    ).toThrow(/6\.1\.6/);
  });
});
