/**
 * SBOMs and VEX end to end. What the fixtures say, read off the files:
 *
 * - `cyclonedx/medical-device-narrow.sbom.json` (a real, de-identified medical-device SBOM, CycloneDX 1.4):
 *   55 components, all with a purl; among them wolfSSL 4.8.1 (`cpe:2.3:a:wolfssl:wolfssl:4.8.1`) and jQuery
 *   3.1.1 (`cpe:2.3:a:the_jquery_foundation:jquery:3.1.1`).
 * - `advisories/nvd/wolfssl-jquery.jsonl`: CVE-2019-16748, wolfSSL `<= 4.1.0` (`wolfssl:wolfssl`), and
 *   CVE-2020-11023, jQuery `>= 1.0.3, < 3.5.0` as `jquery:jquery`. So jQuery 3.1.1 is in range but the vendor
 *   is spelled differently (a candidate), and wolfSSL 4.8.1 is outside the range.
 * - `cyclonedx/cern-lhc-vdm-editor.bom.json` / `.bom.xml`: 43 components each (spec 1.2); `spdx/example11-sbom`
 *   4 packages with purls, `spdx/example8-examplemaven` 6 packages without.
 * - `csaf-vex/2022-evd-uc-01-na-001.json`: CVE-2021-44228 known_not_affected for `Example Company` `ABC`
 *   `4.2`, impact "Class with vulnerable code was removed before shipping.", no flag (no justification).
 * - `cyclonedx/cisa-case1-vex-not_affected.json`: CVE-2021-44228 `not_affected`, justification
 *   `code_not_present`, about component ABC 4.2 (a bom-ref, no purl).
 * - `openvex/go-vex-v0.2.0.json`: 5 statements on a purl (`pkg:oci/alpine@sha256…`): CVE-2023-1255,
 *   CVE-2023-2650, CVE-2023-2975 fixed; CVE-2023-3446 and CVE-2023-3817 not_affected /
 *   vulnerable_code_not_present.
 * - `openvex/vexctl-images.vex.json`: 4 statements on CVE-1234-5678, under_investigation; the second's
 *   product is the bare name `nginx`, the third's an image reference: neither is a purl.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { VigilError } from '../errors.js';
import { validateCsaf } from '../formats/csaf/csaf-validate.js';
import { addDevice } from '../inventory/inventory-service.js';
import { explainMatch, streamVulnMatches, type VulnerabilityMatch } from '../matching/vulns-service.js';
import type { VigilDatabase } from '../store/database.js';
import { importAdvisoryPaths } from './advisory-import.js';
import { addVexStatement, exportVex, importSbom, importVex, listVex, sbomList } from './sbom-vex-service.js';

const FIX = join(import.meta.dirname, '../../test/fixtures');
const SBOM = join(FIX, 'sbom-vex/cyclonedx/medical-device-narrow.sbom.json');
const NVD = join(FIX, 'advisories/nvd/wolfssl-jquery.jsonl');
const CSAF_VEX = join(FIX, 'sbom-vex/csaf-vex/2022-evd-uc-01-na-001.json');
const CDX_VEX = join(FIX, 'sbom-vex/cyclonedx/cisa-case1-vex-not_affected.json');
const OPENVEX = join(FIX, 'sbom-vex/openvex/go-vex-v0.2.0.json');
const OPENVEX_NO_PURL = join(FIX, 'sbom-vex/openvex/vexctl-images.vex.json');
/** A real file with the byte after the first `needle` replaced by 0xE9 (é in Windows-1252), and its offset. */
function damaged(path: string, needle: string): { bytes: Buffer; at: number } {
  const bytes = readFileSync(path);
  const at = bytes.indexOf(needle) + needle.length;
  bytes[at] = 0xe9;
  return { bytes, at };
}

/** The VigilError an import threw: its message and issues. */
async function refusal(p: Promise<unknown>) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VigilError);
  return { message: (err as VigilError).message, issues: (err as VigilError).issues };
}

const ALPINE = 'pkg:oci/alpine@sha256%3A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126';

type Validate = ((doc: unknown) => boolean) & { errors?: unknown };
let validateOpenVex: Validate;

beforeAll(async () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  // As in src/formats/openvex/openvex.test.ts: the schema's `iri` format checked with the WHATWG URL
  // parser (ajv-formats-draft2019's rejects the unregistered `pkg:` scheme), ajv-formats for date-time.
  ajv.addFormat('iri', (s: string) => !/\s/.test(s) && URL.canParse(s));
  const fmts: string = 'ajv-formats';
  const af: unknown = await import(fmts);
  const addFormats = (af as { default?: unknown }).default;
  if (typeof addFormats !== 'function') throw new Error('ajv-formats did not load');
  addFormats(ajv, { formats: ['date-time', 'uri'] });
  const schema = JSON.parse(
    readFileSync(join(FIX, 'sbom-vex/openvex/openvex_json_schema.json'), 'utf8'),
  ) as object;
  validateOpenVex = ajv.compile(schema) as Validate;
});

async function matches(vdb: VigilDatabase, query: object = {}): Promise<VulnerabilityMatch[]> {
  const out: VulnerabilityMatch[] = [];
  for await (const m of streamVulnMatches(vdb, cliActor, query)) out.push(m);
  return out;
}

const table = (list: VulnerabilityMatch[]) =>
  list.map((m) => `${m.assetTag} ${m.vulnerability} ${m.status}`).sort();

async function audit(vdb: VigilDatabase, action: string) {
  return vdb.db.selectFrom('audit_log').select(['action', 'summary']).where('action', '=', action).execute();
}

describe.each(DIALECTS)('SBOMs on %s', (dialect) => {
  let vdb: VigilDatabase;
  const ids: Record<string, string> = {};

  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
    for (const [tag, softwareVersion] of [
      ['MON-1', '2.0'],
      ['MON-2', '3.0'],
    ] as const) {
      ids[tag] = (
        await addDevice(vdb, cliActor, {
          assetTag: tag,
          manufacturer: 'Acme Medical',
          model: 'Narrow Monitor',
          softwareVersion,
        })
      ).id;
    }
  });
  afterAll(async () => vdb?.close());

  it('says how to get a model it does not know, in one sentence', async () => {
    await expect(
      importSbom(vdb, cliActor, SBOM, { model: 'IntelliVue MX40', manufacturer: 'Philips' }),
    ).rejects.toThrow(
      'Device model "IntelliVue MX40" of Philips not found: models come from the inventory, so import or add a device of that model first',
    );
  });

  it('checks CycloneDX JSON against the official schema and reports problems with their path', async () => {
    const clean = await importSbom(vdb, cliActor, SBOM, { model: 'Narrow Monitor' });
    expect(clean.issues.filter((i) => i.message.startsWith('schema:'))).toEqual([]);
    // The real SBOM with one component type the schema does not allow.
    const doc = JSON.parse(readFileSync(SBOM, 'utf8')) as { components: { type: string }[] };
    doc.components[1]!.type = 'gizmo';
    const r = await importSbom(
      vdb,
      cliActor,
      'broken.sbom.json',
      { model: 'Narrow Monitor', version: '3.0' },
      Buffer.from(JSON.stringify(doc)),
    );
    expect(r.status).toBe('imported');
    expect(r.issues.some((i) => i.where === '$.components[1].type' && i.message.startsWith('schema:'))).toBe(
      true,
    );
  });

  it('a model SBOM exposes jQuery 3.1.1 as a candidate for CVE-2020-11023, and not wolfSSL 4.8.1', async () => {
    const s = await importSbom(vdb, cliActor, SBOM, { model: 'Narrow Monitor' });
    expect(s).toMatchObject({
      status: 'imported',
      format: 'cyclonedx',
      specVersion: '1.4',
      components: 55,
      withPurl: 55,
      softwareVersion: null,
      model: { name: 'Narrow Monitor', manufacturer: 'Acme Medical' },
    });
    const r = await importAdvisoryPaths(vdb, cliActor, [NVD]);
    expect(r.files[0]).toMatchObject({ status: 'imported', records: 2 });
    expect(table(await matches(vdb))).toEqual([
      'MON-1 CVE-2020-11023 needs-review',
      'MON-2 CVE-2020-11023 needs-review',
    ]);
    const [m] = await matches(vdb, { deviceId: ids['MON-1'] });
    expect(m?.candidate).toBe(true);
    expect(m?.matchedBy).toContain('sbom-cpe');
    expect(m?.explanation).toMatch(/the_jquery_foundation/);
    expect(m?.explanation).toMatch(/jquery:jquery|vendor/i);
    expect(await matches(vdb, { vulnerability: 'CVE-2019-16748' })).toEqual([]);

    const listed = await sbomList(vdb, cliActor);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      model: 'Narrow Monitor',
      manufacturer: 'Acme Medical',
      component_count: 55,
      file: 'medical-device-narrow.sbom.json',
      software_version: null,
    });
    expect(await audit(vdb, 'sbom.import')).toHaveLength(1);
  });

  it('records first, SBOM after: the SBOM import itself matches the model devices', async () => {
    await importAdvisoryPaths(vdb, cliActor, [NVD]);
    expect(await matches(vdb)).toEqual([]);
    const s = await importSbom(vdb, cliActor, SBOM, { model: 'Narrow Monitor' });
    expect(s.match).not.toBeNull();
    expect(table(await matches(vdb))).toEqual([
      'MON-1 CVE-2020-11023 needs-review',
      'MON-2 CVE-2020-11023 needs-review',
    ]);
  });

  it('an SBOM for one software version applies only to devices of that version; re-import is unchanged', async () => {
    await importAdvisoryPaths(vdb, cliActor, [NVD]);
    const s = await importSbom(vdb, cliActor, SBOM, { model: 'Narrow Monitor', version: '2.0' });
    expect(s).toMatchObject({ status: 'imported', softwareVersion: '2.0' });
    expect(table(await matches(vdb))).toEqual(['MON-1 CVE-2020-11023 needs-review']);
    const again = await importSbom(vdb, cliActor, SBOM, { model: 'Narrow Monitor', version: '2.0' });
    expect(again).toMatchObject({ status: 'unchanged', sbomId: s.sbomId, match: null });
    expect(await sbomList(vdb, cliActor)).toHaveLength(1);
    expect(await audit(vdb, 'sbom.import')).toHaveLength(1);
  });

  it('imports SPDX and CycloneDX XML with the component counts of the files', async () => {
    const cern = await importSbom(
      vdb,
      cliActor,
      join(FIX, 'sbom-vex/cyclonedx/cern-lhc-vdm-editor.bom.xml'),
      {
        model: 'Narrow Monitor',
        version: '2.0',
      },
    );
    expect(cern).toMatchObject({ format: 'cyclonedx', specVersion: '1.2', components: 43, withPurl: 43 });
    const json = await importSbom(
      vdb,
      cliActor,
      join(FIX, 'sbom-vex/cyclonedx/cern-lhc-vdm-editor.bom.json'),
      {
        model: 'Narrow Monitor',
        version: '3.0',
      },
    );
    expect(json).toMatchObject({ components: 43, withPurl: 43 });
    const spdx = await importSbom(vdb, cliActor, join(FIX, 'sbom-vex/spdx/example11-sbom.spdx.json'), {
      model: 'Narrow Monitor',
    });
    expect(spdx).toMatchObject({ format: 'spdx', specVersion: '2.3', components: 4, withPurl: 4 });
    const maven = await importSbom(
      vdb,
      cliActor,
      join(FIX, 'sbom-vex/spdx/example8-examplemaven.spdx.json'),
      {
        model: 'Narrow Monitor',
        version: '9',
      },
    );
    expect(maven).toMatchObject({ format: 'spdx', components: 6, withPurl: 0 });
    const rows = await vdb.db.selectFrom('sbom_components').select(['sbom_id', 'purl']).execute();
    expect(
      rows
        .filter((r) => r.sbom_id === spdx.sbomId)
        .map((r) => r.purl)
        .sort(),
    ).toEqual([
      'pkg:cargo/hyper@0.14',
      'pkg:cargo/pretty_env_logger@0.4.0',
      'pkg:cargo/tokio@1.19.2',
      'pkg:deb/debian/libselinux1-dev@3.1-3?arch=s390x',
    ]);
  });

  it('refuses an SPDX, CycloneDX JSON or XML SBOM with a byte that is not UTF-8, at its offset', async () => {
    // The first package name in SPDX, the first component name in CycloneDX XML and JSON: read leniently,
    // "hyper" would be stored as "\uFFFDyper" and never match its purl-less advisories by name.
    for (const [path, needle] of [
      [join(FIX, 'sbom-vex/spdx/example11-sbom.spdx.json'), '"name": "hello'],
      [join(FIX, 'sbom-vex/cyclonedx/cern-lhc-vdm-editor.bom.xml'), '<name>'],
      [join(FIX, 'sbom-vex/cyclonedx/cern-lhc-vdm-editor.bom.json'), '"name": "'],
    ] as const) {
      const { bytes, at } = damaged(path, needle);
      expect(await refusal(importSbom(vdb, cliActor, path, { model: 'Narrow Monitor' }, bytes))).toEqual({
        message: `${path}: not UTF-8 text`,
        issues: [{ file: path, field: `offset ${at}`, reason: `not UTF-8 text (byte 0xE9 at offset ${at})` }],
      });
    }
    expect(await sbomList(vdb, cliActor)).toEqual([]);
  });

  it('refuses a UTF-16 SBOM saying it is UTF-16, not that it is no SBOM', async () => {
    // hbom-pcie-sata.bom.json as a Windows editor saves it as "Unicode" (iconv-made, see PROVENANCE.md).
    const path = join(FIX, 'sbom-vex/cyclonedx/hbom-pcie-sata.utf16.bom.json');
    const reason = 'the file is UTF-16 (little-endian, with a byte order mark); save it as UTF-8';
    expect(await refusal(importSbom(vdb, cliActor, path, { model: 'Narrow Monitor' }))).toEqual({
      message: `${path}: ${reason}`,
      issues: [{ file: path, field: 'offset 0', reason }],
    });
    expect(await sbomList(vdb, cliActor)).toEqual([]);
  });

  it('refuses a CycloneDX SBOM whose components sit under a misspelt key, naming the key; stores nothing', async () => {
    const path = join(FIX, 'sbom-vex/cyclonedx/bad-componets.sbom.json');
    expect(await refusal(importSbom(vdb, cliActor, path, { model: 'Narrow Monitor' }))).toEqual({
      message: `${path}: not a readable CycloneDX document ($.componets: unknown key "componets" holds 55 component-like objects and the BOM lists no components: did you mean "components"?)`,
      issues: [expect.objectContaining({ file: path, field: '$.componets' })],
    });
    expect(await sbomList(vdb, cliActor)).toEqual([]);
  });

  it('stores an SBOM that lists no components, with a warning saying so', async () => {
    const path = join(FIX, 'sbom-vex/cyclonedx/empty-components.sbom.json');
    const r = await importSbom(vdb, cliActor, path, { model: 'Narrow Monitor' });
    expect(r).toMatchObject({ status: 'imported', components: 0 });
    expect(r.issues).toEqual([
      {
        file: path,
        where: '$.components',
        message: 'the SBOM lists no components: no vulnerability can be matched through it',
      },
    ]);
  });

  it('names an unknown top-level key by its JSON path in the schema warnings, never $[""]', async () => {
    // The real SBOM with one key CycloneDX does not have.
    const doc = JSON.parse(readFileSync(SBOM, 'utf8')) as Record<string, unknown>;
    doc.firmware = '2.0';
    const r = await importSbom(
      vdb,
      cliActor,
      'extra.sbom.json',
      { model: 'Narrow Monitor' },
      Buffer.from(JSON.stringify(doc)),
    );
    expect(r.issues).toEqual([
      {
        file: 'extra.sbom.json',
        where: '$.firmware',
        message: 'schema: unknown key "firmware" (not in the CycloneDX 1.4 schema)',
      },
    ]);
  });

  it('reports a damaged SPDX document as SPDX, and a VEX document as one for vex import', async () => {
    const spdx = join(FIX, 'sbom-vex/spdx/bad-spdxversion-number.spdx.json');
    expect(await refusal(importSbom(vdb, cliActor, spdx, { model: 'Narrow Monitor' }))).toEqual({
      message: `${spdx}: not a readable SPDX document ($.spdxVersion: spdxVersion is not a string: 2.2)`,
      issues: [{ file: spdx, field: '$.spdxVersion', reason: 'spdxVersion is not a string: 2.2' }],
    });
    expect((await refusal(importSbom(vdb, cliActor, OPENVEX, { model: 'Narrow Monitor' }))).message).toBe(
      `${OPENVEX}: an OpenVEX document, not an SBOM: import it with \`vigil vex import\``,
    );
    expect(await sbomList(vdb, cliActor)).toEqual([]);
  });

  it('refuses an unknown model and a file that is no SBOM', async () => {
    await expect(importSbom(vdb, cliActor, SBOM, { model: 'No Such Model' })).rejects.toThrow(
      /No Such Model/,
    );
    await expect(importSbom(vdb, cliActor, NVD, { model: 'Narrow Monitor' })).rejects.toThrow(
      /not a CycloneDX or SPDX/,
    );
    expect(await sbomList(vdb, cliActor)).toEqual([]);
  });
});

describe.each(DIALECTS)('VEX on %s', (dialect) => {
  let vdb: VigilDatabase;
  const ids: Record<string, string> = {};

  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
    for (const [tag, manufacturer, model, softwareVersion] of [
      ['ABC-1', 'Example Company', 'ABC', '4.2'],
      ['ABC-2', 'Example Company', 'ABC', '4.1'],
      ['MON-1', 'Acme Medical', 'Narrow Monitor', '2.0'],
      ['MON-2', 'Acme Medical', 'Narrow Monitor', '2.0'],
    ] as const) {
      ids[tag] = (await addDevice(vdb, cliActor, { assetTag: tag, manufacturer, model, softwareVersion })).id;
    }
  });
  afterAll(async () => vdb?.close());

  it('imports a real CSAF VEX scoped to a model, with status and impact statement; re-import replaces', async () => {
    const r = await importVex(vdb, cliActor, CSAF_VEX, { model: 'ABC' });
    expect(r).toMatchObject({ format: 'csaf', statements: 1, stored: 1, skipped: [] });
    const rows = await listVex(vdb, cliActor, 'cve-2021-44228');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      vuln_key: 'CVE-2021-44228',
      status: 'not-affected',
      justification: null,
      impact_statement: 'Class with vulnerable code was removed before shipping.',
      origin: 'document',
      device_id: null,
      software_version: '4.2',
      author: 'Example Company ProductCERT',
    });
    expect(rows[0]?.product).toContain('ABC');
    await importVex(vdb, cliActor, CSAF_VEX, { model: 'ABC' });
    expect(await listVex(vdb, cliActor)).toHaveLength(1);
    expect(await audit(vdb, 'vex.import')).toHaveLength(2);
  });

  it("a new revision of a VEX document replaces the earlier revision's statements", async () => {
    await importVex(vdb, cliActor, CSAF_VEX, { model: 'ABC' });
    const doc = JSON.parse(readFileSync(CSAF_VEX, 'utf8')) as {
      document: { tracking: Record<string, unknown> };
      vulnerabilities: { threats: { details: string }[] }[];
    };
    doc.vulnerabilities[0]!.threats[0]!.details = 'Revised: the JNDI lookup class is not shipped.';
    doc.document.tracking.version = '2';
    doc.document.tracking.current_release_date = '2022-04-01T00:00:00.000Z';
    const bytes = new TextEncoder().encode(JSON.stringify(doc));
    await importVex(vdb, cliActor, CSAF_VEX, { model: 'ABC' }, bytes);
    const rows = await listVex(vdb, cliActor);
    expect(rows.map((x) => x.impact_statement)).toEqual(['Revised: the JNDI lookup class is not shipped.']);
  });

  it('imports CycloneDX VEX (justification kept) and OpenVEX on purls without a scope', async () => {
    const cdx = await importVex(vdb, cliActor, CDX_VEX, { model: 'ABC', version: '4.2' });
    expect(cdx).toMatchObject({ format: 'cyclonedx', statements: 1, stored: 1, skipped: [] });
    const [c] = await listVex(vdb, cliActor, 'CVE-2021-44228');
    expect(c).toMatchObject({
      status: 'not-affected',
      justification: 'code_not_present',
      software_version: '4.2',
      impact_statement:
        'This version of Product ABC is not affected by the vulnerability. Class with vulnerable code was removed before shipping.',
    });

    const ov = await importVex(vdb, cliActor, OPENVEX, {});
    expect(ov).toMatchObject({ format: 'openvex', statements: 5, stored: 5, skipped: [] });
    const rows = (await listVex(vdb, cliActor)).filter((x) => x.vuln_key !== 'CVE-2021-44228');
    expect(rows.map((x) => [x.vuln_key, x.status, x.justification, x.purl]).sort()).toEqual([
      ['CVE-2023-1255', 'fixed', null, ALPINE],
      ['CVE-2023-2650', 'fixed', null, ALPINE],
      ['CVE-2023-2975', 'fixed', null, ALPINE],
      ['CVE-2023-3446', 'not-affected', 'vulnerable_code_not_present', ALPINE],
      ['CVE-2023-3817', 'not-affected', 'vulnerable_code_not_present', ALPINE],
    ]);
    expect(rows.every((x) => x.model_id === null && x.device_id === null)).toBe(true);
    await importVex(vdb, cliActor, OPENVEX, {});
    expect(await listVex(vdb, cliActor)).toHaveLength(6);
  });

  it('refuses an OpenVEX, CycloneDX VEX or CSAF VEX document with a byte that is not UTF-8, at its offset', async () => {
    // An impact statement or detail text, stored and shown to clinical engineers: never with U+FFFD.
    for (const [path, needle, scope] of [
      [OPENVEX, '"impact_statement": "', {}],
      [CDX_VEX, '"detail": "', { model: 'ABC', version: '4.2' }],
      [CSAF_VEX, '"text": "', { model: 'ABC' }],
    ] as const) {
      const { bytes, at } = damaged(path, needle);
      expect(bytes.indexOf(needle)).toBeGreaterThan(0);
      expect(await refusal(importVex(vdb, cliActor, path, scope, bytes))).toEqual({
        message: `${path}: not UTF-8 text`,
        issues: [{ file: path, field: `offset ${at}`, reason: `not UTF-8 text (byte 0xE9 at offset ${at})` }],
      });
    }
    expect(await listVex(vdb, cliActor)).toEqual([]);
  });

  it('refuses a UTF-16 VEX document saying it is UTF-16, not that it is no VEX document', async () => {
    // go-vex-v0.2.0.json as a Windows editor saves it as "Unicode" (iconv-made, see PROVENANCE.md).
    const path = join(FIX, 'sbom-vex/openvex/go-vex-v0.2.0.utf16.json');
    const reason = 'the file is UTF-16 (little-endian, with a byte order mark); save it as UTF-8';
    expect(await refusal(importVex(vdb, cliActor, path, {}))).toEqual({
      message: `${path}: ${reason}`,
      issues: [{ file: path, field: 'offset 0', reason }],
    });
    expect(await listVex(vdb, cliActor)).toEqual([]);
  });

  it('reports a damaged OpenVEX or CSAF VEX document as that format, with the JSON path of the damage', async () => {
    const cases = [
      [
        'openvex/bad-statements-object.vex.json',
        'OpenVEX',
        '$.statements',
        'Invalid input: expected array, received object',
      ],
      [
        'openvex/bad-context-list.vex.json',
        'OpenVEX',
        '$["@context"]',
        'Invalid input: expected string, received array',
      ],
      [
        'csaf-vex/bad-publisher-string.json',
        'CSAF VEX',
        '$.document.publisher',
        'Invalid input: expected object, received string',
      ],
    ] as const;
    for (const [name, format, where, why] of cases) {
      const path = join(FIX, 'sbom-vex', name);
      const r = await refusal(importVex(vdb, cliActor, path, { model: 'ABC' }));
      expect(r.message).toBe(`${path}: not a readable ${format} document (${where}: ${why})`);
      expect(r.issues?.[0]).toMatchObject({ file: path, field: where });
      expect(JSON.stringify(r)).not.toContain('CycloneDX');
    }
    expect(await listVex(vdb, cliActor)).toEqual([]);
  });

  it('says which markers it looked for when a document is none of the VEX formats, and sends an SBOM to sbom import', async () => {
    // The real CSAF VEX with its document object gone: no marker of any format is left.
    const csaf = JSON.parse(readFileSync(CSAF_VEX, 'utf8')) as Record<string, unknown>;
    delete csaf.document;
    const r = await refusal(
      importVex(vdb, cliActor, 'no-marker.json', {}, new TextEncoder().encode(JSON.stringify(csaf))),
    );
    expect(r).toEqual({
      message: 'no-marker.json: not an OpenVEX, CSAF VEX or CycloneDX VEX document',
      issues: [
        {
          file: 'no-marker.json',
          field: '$',
          reason:
            'no format marker: the document is none of OpenVEX (@context https://openvex.dev/ns…), CSAF VEX (document.category "csaf_vex") or CycloneDX (bomFormat "CycloneDX")',
        },
      ],
    });
    expect((await refusal(importVex(vdb, cliActor, SBOM, {}))).message).toBe(
      `${SBOM}: a CycloneDX BOM without vulnerabilities[], so it holds no VEX statements: an SBOM is imported with \`vigil sbom import\``,
    );
  });

  it('refuses a revision with a statement it cannot read, and the earlier revision stays in force', async () => {
    await importVex(vdb, cliActor, OPENVEX, {});
    const before = await listVex(vdb, cliActor);
    expect(before).toHaveLength(5);
    // The same document, revised, with one statement damaged (a status OpenVEX does not have): imported,
    // the revision would replace all five earlier statements with the four it could read.
    const doc = JSON.parse(readFileSync(OPENVEX, 'utf8')) as {
      version: number;
      statements: { status: string }[];
    };
    doc.version = 2;
    doc.statements[1]!.status = 'patched';
    const err = (await importVex(
      vdb,
      cliActor,
      OPENVEX,
      {},
      new TextEncoder().encode(JSON.stringify(doc)),
    ).catch((e: unknown) => e)) as VigilError;
    expect(err).toBeInstanceOf(VigilError);
    expect(err.message).toMatch(
      /one part of the VEX document could not be read \(\$\.statements\[1\]\.status: statement skipped/,
    );
    expect(err.message).toContain('nothing was imported');
    expect(err.issues).toEqual([expect.objectContaining({ file: OPENVEX, field: '$.statements[1].status' })]);
    expect(await listVex(vdb, cliActor)).toEqual(before);

    // CSAF VEX: a vulnerability that does not parse is a part left out as well.
    await importVex(vdb, cliActor, CSAF_VEX, { model: 'ABC' });
    const csaf = JSON.parse(readFileSync(CSAF_VEX, 'utf8')) as { vulnerabilities: { cve: unknown }[] };
    csaf.vulnerabilities[0]!.cve = 44228;
    await expect(
      importVex(vdb, cliActor, CSAF_VEX, { model: 'ABC' }, new TextEncoder().encode(JSON.stringify(csaf))),
    ).rejects.toThrow(/\$\.vulnerabilities\[0\]\.cve: vulnerability skipped/);
    expect(await listVex(vdb, cliActor, 'CVE-2021-44228')).toHaveLength(1);
  });

  it('a statement about a product without purl and without scope is skipped with its JSON path', async () => {
    const r = await importVex(vdb, cliActor, OPENVEX_NO_PURL, {});
    expect(r.statements).toBe(4);
    // `nginx` and `registry.k8s.io/kube-apiserver:v1.26.0` are no purls; the other two are.
    expect(r.skipped.map((x) => [x.file, x.where])).toEqual([
      [OPENVEX_NO_PURL, '$.statements[1]'],
      [OPENVEX_NO_PURL, '$.statements[2]'],
    ]);
    expect(r.skipped[0]?.message).toContain('nginx');
    expect(r.stored).toBe(2);
    const rows = await listVex(vdb, cliActor, 'CVE-1234-5678');
    expect(rows.every((x) => x.status === 'under-investigation' && x.purl?.startsWith('pkg:'))).toBe(true);
  });

  it('refuses a scope that names no device or model', async () => {
    await expect(importVex(vdb, cliActor, CSAF_VEX, { model: 'Nope' })).rejects.toThrow(/Nope/);
    await expect(importVex(vdb, cliActor, CSAF_VEX, { device: 'no-such-device' })).rejects.toThrow(
      /no-such-device/,
    );
    expect(await listVex(vdb, cliActor)).toEqual([]);
  });

  describe('hospital statements on matched CVEs', () => {
    beforeEach(async () => {
      await importSbom(vdb, cliActor, SBOM, { model: 'Narrow Monitor' });
      await importAdvisoryPaths(vdb, cliActor, [NVD]);
      expect(table(await matches(vdb))).toEqual([
        'MON-1 CVE-2020-11023 needs-review',
        'MON-2 CVE-2020-11023 needs-review',
      ]);
    });

    it('an OpenVEX statement on the SBOM package applies though the match came through its CPE', async () => {
      // The real OpenVEX document, its statements replaced by one on the SBOM's exact jQuery purl.
      const doc = JSON.parse(readFileSync(OPENVEX, 'utf8')) as { statements: object[] };
      doc.statements = [
        {
          vulnerability: { name: 'CVE-2020-11023' },
          products: [{ '@id': 'pkg:nuget/jQuery@3.1.1' }],
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
        },
      ];
      await importVex(vdb, cliActor, 'jquery.openvex.json', {}, Buffer.from(JSON.stringify(doc)));
      expect(table(await matches(vdb))).toEqual([
        'MON-1 CVE-2020-11023 not-affected',
        'MON-2 CVE-2020-11023 not-affected',
      ]);
      const why = await explainMatch(vdb, cliActor, ids['MON-1']!, 'CVE-2020-11023');
      expect(why.details.vex?.justification).toBe('vulnerable_code_not_in_execute_path');
    });

    it('--device scope flips only that device to not-affected', async () => {
      const row = await addVexStatement(vdb, cliActor, {
        vulnerability: 'CVE-2020-11023',
        status: 'not-affected',
        justification: 'vulnerable_code_not_in_execute_path',
        statement: 'The service UI that bundles jQuery is disabled on this unit',
        device: ids['MON-1'],
      });
      expect(row).toMatchObject({
        device_id: ids['MON-1'],
        model_id: null,
        origin: 'hospital',
        status: 'not-affected',
      });
      expect(table(await matches(vdb))).toEqual([
        'MON-1 CVE-2020-11023 not-affected',
        'MON-2 CVE-2020-11023 needs-review',
      ]);
      const why = await explainMatch(vdb, cliActor, ids['MON-1']!, 'CVE-2020-11023');
      expect(why.details.vex?.justification).toBe('vulnerable_code_not_in_execute_path');
      expect(why.explanation).toContain('VEX: not-affected');
      const a = await audit(vdb, 'vex.add');
      expect(a).toHaveLength(1);
      expect(JSON.parse(a[0]!.summary)).toMatchObject({
        vulnerability: 'CVE-2020-11023',
        status: 'not-affected',
      });
    });

    it('a fixed statement for the model marks every device of it fixed', async () => {
      await addVexStatement(vdb, cliActor, {
        vulnerability: 'CVE-2020-11023',
        status: 'fixed',
        statement: 'jQuery upgraded to 3.5.1 in the 2.0 service pack',
        model: 'Narrow Monitor',
        version: '2.0',
      });
      expect(table(await matches(vdb))).toEqual(['MON-1 CVE-2020-11023 fixed', 'MON-2 CVE-2020-11023 fixed']);
    });

    it('a statement about the device itself stays in force over a later one about its model', async () => {
      await addVexStatement(vdb, cliActor, {
        vulnerability: 'CVE-2020-11023',
        status: 'not-affected',
        justification: 'vulnerable_code_not_in_execute_path',
        device: ids['MON-1'],
      });
      await addVexStatement(vdb, cliActor, {
        vulnerability: 'CVE-2020-11023',
        status: 'under-investigation',
        model: 'Narrow Monitor',
      });
      expect(table(await matches(vdb))).toEqual([
        'MON-1 CVE-2020-11023 not-affected',
        'MON-2 CVE-2020-11023 under-investigation',
      ]);
    });

    it('refuses statements VEX does not allow', async () => {
      await expect(
        addVexStatement(vdb, cliActor, {
          vulnerability: 'CVE-2020-11023',
          status: 'not-affected',
          device: ids['MON-1'],
        }),
      ).rejects.toThrow();
      await expect(
        addVexStatement(vdb, cliActor, {
          vulnerability: 'CVE-2020-11023',
          status: 'affected',
          device: ids['MON-1'],
        }),
      ).rejects.toThrow();
      await expect(
        addVexStatement(vdb, cliActor, { vulnerability: 'CVE-2020-11023', status: 'fixed' }),
      ).rejects.toThrow();
      expect(await listVex(vdb, cliActor)).toEqual([]);
    });

    it('exports the hospital statements as schema-valid OpenVEX and valid CSAF VEX', async () => {
      await expect(exportVex(vdb, cliActor, { format: 'openvex' })).rejects.toThrow(/No VEX statements/);
      await addVexStatement(vdb, cliActor, {
        vulnerability: 'CVE-2020-11023',
        status: 'not-affected',
        justification: 'vulnerable_code_cannot_be_controlled_by_adversary',
        statement: 'Monitor web UI reachable only from the biomed VLAN',
        model: 'Narrow Monitor',
      });
      await addVexStatement(vdb, cliActor, {
        vulnerability: 'CVE-2020-11023',
        status: 'affected',
        action: 'Apply the manufacturer patch at the next maintenance window',
        device: ids['MON-2'],
      });
      await importVex(vdb, cliActor, OPENVEX, {});

      const ov = await exportVex(vdb, cliActor, { format: 'openvex', author: 'Example Hospital Biomed' });
      const ok = validateOpenVex(ov);
      expect(validateOpenVex.errors ?? null).toBeNull();
      expect(ok).toBe(true);
      const statements = ov.statements as { vulnerability: { name: string }; status: string }[];
      expect(statements.map((s) => [s.vulnerability.name, s.status]).sort()).toEqual([
        ['CVE-2020-11023', 'affected'],
        ['CVE-2020-11023', 'not_affected'],
      ]);

      const all = await exportVex(vdb, cliActor, { format: 'openvex', all: true });
      expect(validateOpenVex(all)).toBe(true);
      expect((all.statements as unknown[]).length).toBe(7);

      const csaf = await exportVex(vdb, cliActor, { format: 'csaf', namespace: 'https://hospital.example' });
      const v = await validateCsaf(csaf);
      expect(v.errors).toEqual([]);
      expect(v.ok).toBe(true);
      expect((csaf.document as { category: string }).category).toBe('csaf_vex');
      const csafAll = await exportVex(vdb, cliActor, { format: 'csaf', all: true });
      const vAll = await validateCsaf(csafAll);
      expect(vAll.errors).toEqual([]);
      expect(await audit(vdb, 'vex.export')).toHaveLength(4);
    });
  });
});
