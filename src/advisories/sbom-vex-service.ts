/**
 * @module SBOMs and VEX: `vigil sbom import FILE --model … [--version …]` attaches a manufacturer's
 * CycloneDX (JSON/XML) or SPDX SBOM to a device model and software version; `vigil vex import` reads
 * CSAF VEX, OpenVEX and CycloneDX VEX; the hospital writes its own statements (`vigil vex add`) and
 * exports them as OpenVEX or CSAF VEX. Every change is audited and re-matched.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { type InputIssue as ErrorIssue, invalidInput, notFound, VigilError } from '../errors.js';
import { readCsafVex, writeCsafVex } from '../formats/csaf-vex/index.js';
import type { CycloneDxReadResult } from '../formats/cyclonedx/cyclonedx-model.js';
import { readCycloneDx, readCycloneDxJson } from '../formats/cyclonedx/read-cyclonedx.js';
import { validateCycloneDxJson } from '../formats/cyclonedx/validate-cyclonedx.js';
import { readOpenVex } from '../formats/openvex/read-openvex.js';
import { writeOpenVex } from '../formats/openvex/write-openvex.js';
import { notUtf8Issue, utf16Issue } from '../formats/read-result.js';
import { noneOf, SBOM_VEX_FORMATS, type SbomVexFormat, sbomVexFormat } from '../formats/sbom-vex-format.js';
import { readSpdx } from '../formats/spdx/read-spdx.js';
import { utf16Of } from '../formats/utf16.js';
import { parseInput } from '../inventory/device-input.js';
import { deviceLabels, labelIn } from '../inventory/device-label.js';
import { nameKey } from '../inventory/identity.js';
import { type MatchRunReport, runMatch } from '../matching/matcher.js';
import { packageKey } from '../matching/rules/affected-list.js';
import { readCappedFile } from '../read-capped-file.js';
import {
  insertSbom,
  insertVexStatements,
  listSboms,
  type SbomRow,
  sbomBySha,
  type VexRow,
  vexStatements,
} from '../store/advisory-store.js';
import { newId, nowIso } from '../store/ids.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { pointerToPath } from './advisory-import.js';
import { sha256 } from './knowledge-writer.js';
import type { InputIssue, Sbom, VexDocument, VexStatement, VexStatus } from './records.js';

const toErrorIssues = (issues: readonly InputIssue[]): ErrorIssue[] =>
  issues.slice(0, 50).map((i) => ({ file: i.file, field: i.where, reason: i.message }));

interface ModelRef {
  id: string;
  name: string;
  manufacturer: string;
}

/** Finds a catalogue model by name (and manufacturer when two share a name). */
export async function findModel(h: DbHandle, model: string, manufacturer?: string): Promise<ModelRef> {
  const key = nameKey(model);
  if (!key) throw invalidInput('--model is empty');
  let q = h.db
    .selectFrom('device_models as m')
    .innerJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
    .select(['m.id as id', 'm.name as name', 'f.name as manufacturer'])
    .where((eb) => eb.or([eb('m.name_key', '=', key), eb('m.model_number', '=', model.trim())]));
  if (manufacturer) q = q.where('f.name_key', '=', nameKey(manufacturer) ?? '');
  const rows = await q.execute();
  if (rows.length === 0) {
    throw new VigilError(
      'not_found',
      `Device model ${JSON.stringify(model)}${manufacturer ? ` of ${manufacturer}` : ''} not found: models come from the inventory, so import or add a device of that model first`,
    );
  }
  if (rows.length > 1) {
    throw invalidInput(
      `${rows.length} manufacturers have a model ${JSON.stringify(model)} (${rows.map((r) => r.manufacturer).join(', ')}): add --manufacturer`,
    );
  }
  return rows[0]!;
}

/** A device outside the actor's sites does not exist for it. */
async function assertDeviceVisible(h: DbHandle, actor: Actor, deviceId: string): Promise<void> {
  const d = await h.db
    .selectFrom('devices')
    .select(['id', 'site_id'])
    .where('id', '=', deviceId)
    .executeTakeFirst();
  if (!d || (actor.siteIds && !actor.siteIds.includes(d.site_id ?? ''))) throw notFound(`Device ${deviceId}`);
}

async function devicesOfModel(h: DbHandle, modelId: string): Promise<string[]> {
  const rows = await h.db.selectFrom('devices').select('id').where('model_id', '=', modelId).execute();
  return rows.map((r) => r.id);
}

export interface SbomImportResult {
  sbomId: string;
  status: 'imported' | 'unchanged';
  format: Sbom['format'];
  specVersion: string;
  model: ModelRef;
  softwareVersion: string | null;
  components: number;
  withPurl: number;
  issues: InputIssue[];
  match: MatchRunReport | null;
}

/**
 * The document's text, or the issue refusing it when its bytes are not UTF-8 (decoded leniently, such a
 * byte would be stored as U+FFFD in a package name or a VEX justification) with the refusal's headline:
 * a UTF-16 file (saved by a Windows editor as "Unicode") is named as such, as the advisory importer does.
 */
function documentText(
  bytes: Uint8Array,
  file: string,
): { text: string } | { issue: InputIssue; headline: string } {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = raw.toString('utf8');
  const issue = notUtf8Issue(raw, text, file);
  if (!issue) return { text: text.replace(/^\uFEFF/, '') };
  const utf16 = utf16Of(raw);
  return { issue, headline: utf16 ? utf16Issue(utf16, file).message : 'not UTF-8 text' };
}

/** What a document that is not the kind asked for is, and where it goes instead. */
const ELSEWHERE: Record<SbomVexFormat, string> = {
  openvex: 'an OpenVEX document, not an SBOM: import it with `vigil vex import`',
  csaf: 'a CSAF document, not an SBOM: import it with `vigil vex import` (VEX) or `vigil advisories import`',
  cyclonedx:
    'a CycloneDX BOM without vulnerabilities[], so it holds no VEX statements: an SBOM is imported with `vigil sbom import`',
  spdx: 'an SPDX SBOM, not VEX: import it with `vigil sbom import`',
};

export function readSbomBytes(
  bytes: Uint8Array,
  file: string,
): { format: SbomVexFormat | null; sbom: Sbom | null; issues: InputIssue[]; headline?: string } {
  const doc = documentText(bytes, file);
  if ('issue' in doc) return { format: null, sbom: null, issues: [doc.issue], headline: doc.headline };
  const { text } = doc;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('<')) {
    const r = readCycloneDx(text, file);
    return { format: 'cyclonedx', sbom: r.sbom, issues: r.issues };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return {
      format: null,
      sbom: null,
      issues: [{ file, where: '$', message: `not valid JSON or XML: ${(err as Error).message}` }],
    };
  }
  // The format is decided by its marker first, so a damaged SPDX document is reported by the SPDX reader.
  const format = sbomVexFormat(json);
  if (format === 'spdx') return { format, ...readSpdx(json, file) };
  if (format === 'cyclonedx') {
    const r = readCycloneDxJson(json, file);
    return { format, sbom: r.sbom, issues: r.issues };
  }
  const message = format ? ELSEWHERE[format] : noneOf(['cyclonedx', 'spdx']);
  return { format, sbom: null, issues: [{ file, where: '$', message }] };
}

/**
 * The headline of a refused document: one that is not UTF-8 text (or is UTF-16) says so, decided from its
 * bytes (`headline`); otherwise the format its marker says it is, with the first problem (the issues list
 * the rest); a document of the other kind says where it goes.
 */
function refusal(
  {
    format,
    issues,
    headline,
  }: { format: SbomVexFormat | null; issues: readonly InputIssue[]; headline?: string },
  otherwise: string,
): string {
  if (headline) return headline;
  const first = issues[0];
  if (!first || format === null) return otherwise;
  if (Object.values(ELSEWHERE).includes(first.message)) return first.message;
  // The readers' issues already open with "not a readable <format> …": the headline says it once.
  const why = first.message.replace(/^not a readable [^:]+: /, '');
  return `not a readable ${SBOM_VEX_FORMATS[format].name} document (${first.where}: ${why})`;
}

/** CycloneDX SBOMs of large systems (imaging consoles, PACS) run to tens of MB; 256 MB leaves room for the biggest. */
export const MAX_SBOM_BYTES = 256_000_000;
/** A CycloneDX VEX can carry its whole BOM beside the statements: the SBOM's limit. */
export const MAX_VEX_BYTES = MAX_SBOM_BYTES;

export const SbomImportSchema = z.strictObject({
  model: z.string().trim().min(1).max(200),
  manufacturer: z.string().trim().min(1).max(200).optional(),
  version: z.string().trim().min(1).max(100).optional(),
});

export async function importSbom(
  vdb: DbHandle,
  actor: Actor,
  file: string,
  options: unknown,
  bytes?: Uint8Array,
): Promise<SbomImportResult> {
  assertCan(actor, 'advisories:write');
  assertAllSites(actor, 'An SBOM (attached to a device model)');
  const o = parseInput(SbomImportSchema, options, 'SBOM import options');
  const data = bytes ?? (await readCappedFile(file, { what: 'an SBOM', maxBytes: MAX_SBOM_BYTES }));
  const read = readSbomBytes(data, file);
  const { sbom, issues } = read;
  if (!sbom)
    throw invalidInput(`${file}: ${refusal(read, 'not a CycloneDX or SPDX SBOM')}`, toErrorIssues(issues));
  // CycloneDX JSON is also checked against the official schema: problems are reported (so the hospital
  // can ask the manufacturer for a conformant SBOM), not fatal, since every component was read on its own.
  const xml = Buffer.from(data).toString('utf8').trimStart().startsWith('<');
  // An SBOM that lists nothing hides every vulnerability of the device model: stored (a manufacturer may
  // really publish one), but said.
  if (sbom.components.length === 0)
    issues.push({
      file,
      where: xml ? 'line 1:1' : sbom.format === 'spdx' ? '$.packages' : '$.components',
      message: 'the SBOM lists no components: no vulnerability can be matched through it',
    });
  if (sbom.format === 'cyclonedx' && !xml) {
    for (const e of await validateCycloneDxJson(Buffer.from(data).toString('utf8'), sbom.specVersion))
      issues.push({ file, where: pointerToPath(e.pointer), message: `schema: ${e.message}` });
  }
  const digest = sha256(data);
  const model = await findModel(vdb, o.model, o.manufacturer);
  const version = o.version ?? null;
  const existing = await sbomBySha(vdb, model.id, version, digest);
  const base = {
    format: sbom.format,
    specVersion: sbom.specVersion,
    model,
    softwareVersion: version,
    components: sbom.components.length,
    withPurl: sbom.components.filter((c) => c.purl).length,
    issues,
  };
  if (existing) return { ...base, sbomId: existing.id, status: 'unchanged', match: null };
  const at = nowIso();
  const row: SbomRow = {
    id: newId(),
    model_id: model.id,
    software_version: version,
    format: sbom.format,
    spec_version: sbom.specVersion,
    serial_number: sbom.serialNumber,
    subject: sbom.subject ? JSON.stringify(sbom.subject) : null,
    file: basename(file),
    sha256: digest,
    component_count: sbom.components.length,
    imported_by: actor.name,
    imported_at: at,
  };
  await transaction(vdb, async (h) => {
    await insertSbom(
      h,
      row,
      sbom.components.map((c) => ({
        id: newId(),
        sbom_id: row.id,
        ref: c.ref,
        name: c.name,
        version: c.version,
        supplier: c.supplier,
        purl: c.purl,
        package_key: c.purl ? packageKey(c.purl) : null,
        cpes: JSON.stringify(c.cpes),
      })),
    );
    await appendAudit(h, {
      actor,
      action: 'sbom.import',
      target: { type: 'sbom', id: row.id },
      summary: {
        file: row.file,
        model: model.name,
        version,
        components: row.component_count,
        sha256: digest,
      },
    });
  });
  const deviceIds = await devicesOfModel(vdb, model.id);
  const match = deviceIds.length ? await runMatch(vdb, actor, { deviceIds }, { audit: false }) : null;
  return { ...base, sbomId: row.id, status: 'imported', match };
}

export async function sbomList(
  h: DbHandle,
  actor: Actor,
): Promise<(SbomRow & { model: string; manufacturer: string })[]> {
  assertCan(actor, 'advisories:read');
  const sboms = await listSboms(h);
  const models = await h.db
    .selectFrom('device_models as m')
    .innerJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
    .select(['m.id', 'm.name', 'f.name as manufacturer'])
    .execute();
  const byId = new Map(models.map((m) => [m.id, m]));
  return sboms.map((s) => ({
    ...s,
    model: byId.get(s.model_id)?.name ?? '',
    manufacturer: byId.get(s.model_id)?.manufacturer ?? '',
  }));
}

/** The SBOM JSON contract (`vigil sbom list --json`, `GET /sboms`; docs/advisories.md). */
export interface SbomView {
  id: string;
  manufacturer: string;
  model: string;
  modelId: string;
  /** null: the SBOM speaks for every version of the model. */
  softwareVersion: string | null;
  format: string;
  specVersion: string;
  serialNumber: string | null;
  /** What the document says it describes (name, version, supplier), as it says it. */
  subject: unknown;
  file: string;
  sha256: string;
  components: number;
  importedBy: string;
  importedAt: string;
}

const parsed = (text: string | null): unknown => {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

export function sbomView(s: SbomRow & { model: string; manufacturer: string }): SbomView {
  return {
    id: s.id,
    manufacturer: s.manufacturer,
    model: s.model,
    modelId: s.model_id,
    softwareVersion: s.software_version,
    format: s.format,
    specVersion: s.spec_version,
    serialNumber: s.serial_number,
    subject: parsed(s.subject),
    file: s.file,
    sha256: s.sha256,
    components: Number(s.component_count),
    importedBy: s.imported_by,
    importedAt: s.imported_at,
  };
}

// ---- VEX ---------------------------------------------------------------------------------------

/** The status words of the vulns contract. */
const VEX_TO_MATCH: Record<VexStatus, string> = {
  not_affected: 'not-affected',
  affected: 'affected',
  fixed: 'fixed',
  under_investigation: 'under-investigation',
};
const MATCH_TO_VEX: Record<string, VexStatus> = Object.fromEntries(
  Object.entries(VEX_TO_MATCH).map(([k, v]) => [v, k as VexStatus]),
);

export function readVexBytes(
  bytes: Uint8Array,
  file: string,
): { format: SbomVexFormat | null; vex: VexDocument | null; issues: InputIssue[]; headline?: string } {
  const doc = documentText(bytes, file);
  if ('issue' in doc) return { format: null, vex: null, issues: [doc.issue], headline: doc.headline };
  const { text } = doc;
  if (text.trimStart().startsWith('<')) {
    const r = readCycloneDx(text, file);
    return { format: 'cyclonedx', ...vexOfBom(r, file) };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return {
      format: null,
      vex: null,
      issues: [{ file, where: '$', message: `not valid JSON: ${(err as Error).message}` }],
    };
  }
  // The format is decided by its marker first: a damaged OpenVEX or CSAF document is reported by its own
  // reader, with the JSON path of what is wrong, not as "not a CycloneDX BOM" by the last reader tried.
  const format = sbomVexFormat(json);
  if (format === 'openvex') return { format, ...readOpenVex(json, file) };
  if (format === 'csaf') return { format, ...readCsafVex(json, file) };
  if (format === 'cyclonedx') return { format, ...vexOfBom(readCycloneDxJson(json, file), file) };
  const message = format ? ELSEWHERE[format] : noneOf(['openvex', 'csaf', 'cyclonedx']);
  return { format, vex: null, issues: [{ file, where: '$', message }] };
}

/** A readable BOM without vulnerabilities is an SBOM: said as such, not as an unreadable document. */
function vexOfBom(r: CycloneDxReadResult, file: string): { vex: VexDocument | null; issues: InputIssue[] } {
  if (r.vex || !r.sbom || r.issues.some((i) => i.dropped)) return { vex: r.vex, issues: r.issues };
  return { vex: null, issues: [{ file, where: '$', message: ELSEWHERE.cyclonedx }, ...r.issues] };
}

export const VexScopeSchema = z.strictObject({
  model: z.string().trim().min(1).max(200).optional(),
  manufacturer: z.string().trim().min(1).max(200).optional(),
  version: z.string().trim().min(1).max(100).optional(),
  device: z.string().trim().min(1).max(64).optional(),
});

function vulnKeyOfStatement(s: VexStatement): string {
  const cve = [s.vulnerability, ...s.aliases].find((x) => /^CVE-\d{4}-\d{4,}$/i.test(x.trim()));
  return (cve ?? s.vulnerability).trim().toUpperCase();
}

export interface VexImportResult {
  format: VexDocument['format'];
  statements: number;
  stored: number;
  skipped: InputIssue[];
  issues: InputIssue[];
  match: MatchRunReport | null;
}

/**
 * Imports a VEX document. Statements about packages (purl) apply wherever an SBOM contains the package;
 * statements about a product without a purl need `--model` (and `--version`) or `--device` to say which
 * of the hospital's devices they speak for. Re-importing a document replaces its earlier statements.
 */
export async function importVex(
  vdb: DbHandle,
  actor: Actor,
  file: string,
  options: unknown,
  bytes?: Uint8Array,
): Promise<VexImportResult> {
  assertCan(actor, 'advisories:write');
  const o = parseInput(VexScopeSchema, options, 'VEX scope');
  if (!o.device) assertAllSites(actor, 'A VEX document for a model or a package');
  const data = bytes ?? (await readCappedFile(file, { what: 'a VEX document', maxBytes: MAX_VEX_BYTES }));
  const read = readVexBytes(data, file);
  const { vex, issues } = read;
  if (!vex)
    throw invalidInput(
      `${file}: ${refusal(read, 'not an OpenVEX, CSAF VEX or CycloneDX VEX document')}`,
      toErrorIssues(issues),
    );
  // Importing replaces what this document said before. With parts left unread, that would delete what an
  // earlier revision said about them: the document is refused whole, as a malformed advisory is.
  const dropped = issues.filter((i) => i.dropped);
  if (dropped.length)
    throw invalidInput(
      `${file}: ${dropped.length === 1 ? 'one part' : `${dropped.length} parts`} of the VEX document could not be read (${dropped[0]!.where}: ${dropped[0]!.message}); nothing was imported, and what earlier revisions said stays in force`,
      toErrorIssues(dropped),
    );
  const model = o.model ? await findModel(vdb, o.model, o.manufacturer) : null;
  if (o.device) await assertDeviceVisible(vdb, actor, o.device);
  const document = JSON.stringify({
    format: vex.format,
    id: vex.id,
    file: basename(file),
    sha256: sha256(data),
  });
  const at = nowIso();
  const rows: VexRow[] = [];
  const skipped: InputIssue[] = [];
  for (const s of vex.statements) {
    const products = s.products.length
      ? s.products
      : [{ name: null, version: null, purl: null, cpe: null, ref: null }];
    for (const p of products) {
      const label = p.name ?? p.purl ?? p.cpe ?? p.ref ?? '(no product)';
      const scoped = o.device || model;
      if (!scoped && !p.purl) {
        skipped.push({
          file,
          where: s.path,
          message: `product ${JSON.stringify(label)} has no purl: pass --model (and --version) or --device to say which devices it speaks for`,
        });
        continue;
      }
      rows.push({
        id: newId(),
        vuln_key: vulnKeyOfStatement(s),
        status: VEX_TO_MATCH[s.status],
        justification: s.justification,
        impact_statement: s.impactStatement,
        action_statement: s.actionStatement,
        device_id: o.device ?? null,
        model_id: o.device ? null : (model?.id ?? null),
        software_version: o.device ? null : (o.version ?? (model ? p.version : null) ?? null),
        purl: scoped ? null : p.purl,
        product: label,
        origin: 'document',
        document,
        author: vex.author,
        statement_time: s.timestamp ?? vex.timestamp,
        created_by: actor.name,
        created_at: at,
      });
    }
  }
  await transaction(vdb, async (h) => {
    // Replace what this document said before: the same bytes, or an earlier revision (same format and
    // document id; same file name when the document has no id). Keying on the hash alone would leave a
    // superseded revision's statements in force next to the new ones.
    const earlier = (
      await h.db
        .selectFrom('vex_statements')
        .select(['id', 'document'])
        .where('origin', '=', 'document')
        .where('document', 'is not', null)
        .execute()
    ).filter((r) => {
      if (r.document === document) return true;
      const d = JSON.parse(r.document ?? '{}') as { format?: string; id?: string | null; file?: string };
      return d.format === vex.format && (vex.id ? d.id === vex.id : !d.id && d.file === basename(file));
    });
    for (let i = 0; i < earlier.length; i += 500) {
      const part = earlier.slice(i, i + 500).map((r) => r.id);
      await h.db.deleteFrom('vex_statements').where('id', 'in', part).execute();
    }
    await insertVexStatements(h, rows);
    await appendAudit(h, {
      actor,
      action: 'vex.import',
      target: { type: 'vex_document', id: vex.id ?? basename(file) },
      summary: { file: basename(file), format: vex.format, statements: rows.length, skipped: skipped.length },
    });
  });
  const keys = [...new Set(rows.map((r) => r.vuln_key))];
  const match = keys.length ? await runMatch(vdb, actor, { vulnKeys: keys }, { audit: false }) : null;
  return {
    format: vex.format,
    statements: vex.statements.length,
    stored: rows.length,
    skipped,
    issues,
    match,
  };
}

export const VexAddSchema = z
  .strictObject({
    vulnerability: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][\w.:/#-]{2,127}$/, 'a CVE id or advisory key'),
    status: z.enum(['not-affected', 'affected', 'fixed', 'under-investigation']),
    justification: z
      .enum([
        'component_not_present',
        'vulnerable_code_not_present',
        'vulnerable_code_not_in_execute_path',
        'vulnerable_code_cannot_be_controlled_by_adversary',
        'inline_mitigations_already_exist',
      ])
      .optional(),
    statement: z.string().trim().min(1).max(4000).optional(),
    action: z.string().trim().min(1).max(4000).optional(),
    model: z.string().trim().min(1).max(200).optional(),
    manufacturer: z.string().trim().min(1).max(200).optional(),
    version: z.string().trim().min(1).max(100).optional(),
    device: z.string().trim().min(1).max(64).optional(),
  })
  .refine((v) => v.model || v.device, { message: 'say which devices: --model (and --version) or --device' })
  .refine((v) => v.status !== 'not-affected' || v.justification || v.statement, {
    message: 'not-affected needs a --justification or an impact --statement (VEX requires one)',
  })
  .refine((v) => v.status !== 'affected' || v.action, {
    message: 'affected needs an --action statement saying what to do',
  });

/** The hospital's own statement, e.g. not affected because segmentation blocks the vulnerable service. */
export async function addVexStatement(vdb: DbHandle, actor: Actor, input: unknown): Promise<VexRow> {
  assertCan(actor, 'vulns:write');
  const v = parseInput(VexAddSchema, input, 'VEX statement');
  if (!v.device) assertAllSites(actor, 'A VEX statement for a model');
  const model = v.model ? await findModel(vdb, v.model, v.manufacturer) : null;
  if (v.device) await assertDeviceVisible(vdb, actor, v.device);
  // The product is read in `vex list` and the statement line: name the device as people know it.
  const deviceLabel = v.device ? labelIn(await deviceLabels(vdb, [v.device]), v.device) : null;
  const row: VexRow = {
    id: newId(),
    vuln_key: v.vulnerability.toUpperCase(),
    status: v.status,
    justification: v.justification ?? null,
    impact_statement: v.statement ?? null,
    action_statement: v.action ?? null,
    device_id: v.device ?? null,
    model_id: v.device ? null : (model?.id ?? null),
    software_version: v.device ? null : (v.version ?? null),
    purl: null,
    product: deviceLabel
      ? `device ${deviceLabel}`
      : `${model?.manufacturer} ${model?.name}${v.version ? ` ${v.version}` : ' (all versions)'}`,
    origin: 'hospital',
    document: null,
    author: actor.name,
    statement_time: nowIso(),
    created_by: actor.name,
    created_at: nowIso(),
  };
  await transaction(vdb, async (h) => {
    await insertVexStatements(h, [row]);
    await appendAudit(h, {
      actor,
      action: 'vex.add',
      target: { type: 'vex_statement', id: row.id },
      summary: {
        vulnerability: row.vuln_key,
        status: row.status,
        product: row.product,
        justification: row.justification,
      },
    });
  });
  await runMatch(vdb, actor, { vulnKeys: [row.vuln_key] }, { audit: false });
  return row;
}

export async function listVex(h: DbHandle, actor: Actor, vulnerability?: string): Promise<VexRow[]> {
  assertCan(actor, 'advisories:read');
  return vexStatements(h, vulnerability ? [vulnerability.toUpperCase()] : undefined);
}

/** The VEX statement JSON contract (`vigil vex list --json`, `GET /vex`; docs/advisories.md). */
export interface VexView {
  id: string;
  vulnerability: string;
  status: string;
  justification: string | null;
  impactStatement: string | null;
  actionStatement: string | null;
  /** The product as the statement names it. */
  product: string;
  deviceId: string | null;
  modelId: string | null;
  softwareVersion: string | null;
  purl: string | null;
  /** `document` (imported) or `hospital` (written in Vigil). */
  origin: string;
  /** The imported document: format, id and file. */
  document: unknown;
  author: string | null;
  statementTime: string | null;
  createdBy: string;
  createdAt: string;
}

export function vexView(r: VexRow): VexView {
  return {
    id: r.id,
    vulnerability: r.vuln_key,
    status: r.status,
    justification: r.justification,
    impactStatement: r.impact_statement,
    actionStatement: r.action_statement,
    product: r.product,
    deviceId: r.device_id,
    modelId: r.model_id,
    softwareVersion: r.software_version,
    purl: r.purl,
    origin: r.origin,
    document: parsed(r.document),
    author: r.author,
    statementTime: r.statement_time,
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

function toStatement(r: VexRow): VexStatement {
  const ref = r.device_id
    ? `urn:vigil:device:${r.device_id}`
    : r.model_id
      ? `urn:vigil:model:${r.model_id}${r.software_version ? `:${encodeURIComponent(r.software_version)}` : ''}`
      : (r.purl ?? `urn:vigil:vex:${r.id}`);
  return {
    vulnerability: r.vuln_key,
    aliases: [],
    products: [{ name: r.product, version: r.software_version, purl: r.purl, cpe: null, ref }],
    status: MATCH_TO_VEX[r.status] ?? 'under_investigation',
    justification: r.justification,
    impactStatement: r.impact_statement,
    actionStatement: r.action_statement,
    timestamp: r.statement_time ?? r.created_at,
    path: '',
  };
}

export const VexExportSchema = z.strictObject({
  format: z.enum(['openvex', 'csaf']),
  /** Include imported statements too (default: the hospital's own). */
  all: z.boolean().optional(),
  author: z.string().trim().min(1).max(200).optional(),
  namespace: z.string().url().optional(),
});

/** The hospital's statements as an OpenVEX or CSAF VEX document (to share with a manufacturer or auditor). */
export async function exportVex(
  vdb: DbHandle,
  actor: Actor,
  options: unknown,
): Promise<Record<string, unknown>> {
  assertCan(actor, 'advisories:read');
  const o = parseInput(VexExportSchema, options, 'VEX export options');
  const rows = (await vexStatements(vdb)).filter((r) => o.all || r.origin === 'hospital');
  if (rows.length === 0) throw invalidInput('No VEX statements to export (write one with vigil vex add)');
  const statements = rows.map(toStatement);
  const at = nowIso();
  const author = o.author ?? 'Vigil';
  let doc: Record<string, unknown>;
  try {
    doc =
      o.format === 'openvex'
        ? writeOpenVex({
            id: `urn:vigil:vex:${sha256(JSON.stringify(statements)).slice(0, 16)}`,
            author,
            timestamp: at,
            statements,
          })
        : writeCsafVex({
            trackingId: `VIGIL-VEX-${at.slice(0, 10)}-${sha256(JSON.stringify(statements)).slice(0, 8).toUpperCase()}`,
            title: `VEX statements of ${author}`,
            publisher: { name: author, namespace: o.namespace ?? 'https://vigil.invalid', category: 'user' },
            releaseDate: at,
            statements,
          });
  } catch (err) {
    throw invalidInput(`Cannot write ${o.format}: ${(err as Error).message}`);
  }
  await transaction(vdb, (h) =>
    appendAudit(h, {
      actor,
      action: 'vex.export',
      target: { type: 'vex' },
      summary: { format: o.format, statements: rows.length },
    }),
  );
  return doc;
}
