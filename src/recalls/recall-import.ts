/**
 * @module `vigil recalls import`: openFDA device recall, enforcement, product classification and UDI
 * download files (plain or zipped) streamed into the store. Each record is validated on its own; a
 * bad one is counted and reported (file, record index, byte offset, field, reason) and the rest are
 * stored. Records are upserted on their natural key in batches, each batch its own transaction, so
 * an interrupted import leaves whole batches and a re-run converges. The kind is detected from the
 * first record (or the file name) unless given.
 */
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { type InputIssue, invalidInput } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import { newId, nowIso } from '../store/ids.js';
import {
  type GudidIdentifierRow,
  type GudidRow,
  type ProductCodeRow,
  type RecallRow,
  upsertGudid,
  upsertProductCodes,
  upsertRecalls,
} from '../store/recall-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { codeKey } from './code-info.js';
import { cyberTerms } from './cyber.js';
import { downloadParts } from './download-file.js';
import { type GudidDevice, GudidDeviceSchema, toGudidDevice } from './gudid.js';
import { OpenFdaEnforcementSchema, toEnforcementRecord } from './openfda-enforcement.js';
import { parseRecord } from './openfda-fields.js';
import { type FdaRecallRecord, OpenFdaRecallSchema, toRecallRecord } from './openfda-recall.js';
import {
  type ProductClassification,
  ProductClassificationSchema,
  toProductClassification,
} from './product-classification.js';
import { readResults } from './results-stream.js';

export const IMPORT_KINDS = ['recall', 'enforcement', 'classification', 'udi'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export const RecallImportSchema = z.strictObject({
  files: z.array(z.string().min(1).max(4096)).min(1).max(1000),
  kind: z.enum(IMPORT_KINDS).optional(),
  /** Records per transaction. */
  batchSize: z.number().int().min(1).max(20_000).default(2000),
});

/** Issues reported per file at most (the count of bad records is always exact). */
const MAX_ISSUES = 100;

export interface RecallImportFileResult {
  file: string;
  kind: ImportKind | null;
  records: number;
  stored: number;
  bad: number;
  issues: InputIssue[];
  /** Set when the file's structure broke off (truncated download): what was read before stays stored. */
  error: string | null;
}

export interface RecallImportResult {
  files: RecallImportFileResult[];
  records: number;
  stored: number;
  bad: number;
}

/** The kind of a record from its fields. */
export function kindOfRecord(v: unknown): ImportKind | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if ('public_device_record_key' in o || 'identifiers' in o) return 'udi';
  if ('res_event_number' in o || 'product_res_number' in o) return 'recall';
  if ('recall_number' in o) return 'enforcement';
  if ('product_code' in o && ('device_name' in o || 'regulation_number' in o || 'medical_specialty' in o))
    return 'classification';
  return null;
}

/** The kind from openFDA's file names (device-recall-…, device-enforcement-…, device-classification-…, device-udi-…). */
export function kindOfFileName(name: string): ImportKind | null {
  const n = name.toLowerCase();
  if (/device-udi|udi-/.test(n)) return 'udi';
  if (/enforcement/.test(n)) return 'enforcement';
  if (/classification/.test(n)) return 'classification';
  if (/recall/.test(n)) return 'recall';
  return null;
}

type Parsed =
  | { kind: 'recall'; record: FdaRecallRecord }
  | { kind: 'classification'; record: ProductClassification }
  | { kind: 'udi'; record: GudidDevice };

function parseOne(
  kind: ImportKind,
  value: unknown,
  where: { file: string; index: number; offset: number },
): Parsed | { issues: InputIssue[] } {
  switch (kind) {
    case 'recall': {
      const r = parseRecord(OpenFdaRecallSchema, value, where);
      return r.ok ? { kind: 'recall', record: toRecallRecord(r.value) } : { issues: r.issues };
    }
    case 'enforcement': {
      const r = parseRecord(OpenFdaEnforcementSchema, value, where);
      return r.ok ? { kind: 'recall', record: toEnforcementRecord(r.value) } : { issues: r.issues };
    }
    case 'classification': {
      const r = parseRecord(ProductClassificationSchema, value, where);
      return r.ok
        ? { kind: 'classification', record: toProductClassification(r.value) }
        : { issues: r.issues };
    }
    case 'udi': {
      const r = parseRecord(GudidDeviceSchema, value, where);
      return r.ok ? { kind: 'udi', record: toGudidDevice(r.value) } : { issues: r.issues };
    }
  }
}

const json = (v: unknown) => JSON.stringify(v);

export function recallRow(r: FdaRecallRecord, file: string, at: string): RecallRow {
  const terms = cyberTerms(r.reason, r.rootCause, r.action);
  return {
    id: newId(),
    natural_key: r.naturalKey,
    source: r.source,
    event_number: r.eventNumber,
    recall_number: r.recallNumber.toUpperCase(),
    product_code: r.productCode,
    k_numbers: json(r.kNumbers),
    pma_numbers: json(r.pmaNumbers),
    product_description: r.productDescription,
    code_info: r.codeInfo,
    recalling_firm: r.recallingFirm,
    reason: r.reason,
    root_cause: r.rootCause,
    action: r.action,
    classification: r.classification,
    status: r.status,
    initiated: r.initiated,
    posted: r.posted,
    terminated: r.terminated,
    product_quantity: r.productQuantity,
    device_name: r.deviceName,
    medical_specialty: r.medicalSpecialty,
    device_class: r.deviceClass,
    regulation_number: r.regulationNumber,
    cyber: terms.length ? 1 : 0,
    cyber_terms: json(terms),
    source_file: file,
    created_at: at,
    updated_at: at,
  };
}

function productCodeRowOf(r: ProductClassification, file: string, at: string): ProductCodeRow {
  const b = (v: boolean | null) => (v === null ? null : v ? 1 : 0);
  return {
    product_code: r.productCode,
    device_name: r.deviceName,
    device_class: r.deviceClass,
    medical_specialty: r.medicalSpecialty,
    medical_specialty_description: r.medicalSpecialtyDescription,
    regulation_number: r.regulationNumber,
    definition: r.definition,
    implant: b(r.implant),
    life_sustaining: b(r.lifeSustaining),
    source_file: file,
    updated_at: at,
  };
}

function gudidRowOf(r: GudidDevice, file: string, at: string): GudidRow {
  return {
    record_key: r.recordKey,
    primary_di: r.primaryDi,
    issuing_agency: r.issuingAgency,
    brand_name: r.brandName,
    model_number: r.modelNumber,
    model_key: r.modelNumber ? codeKey(r.modelNumber) || null : null,
    catalog_number: r.catalogNumber,
    catalog_key: r.catalogNumber ? codeKey(r.catalogNumber) || null : null,
    company_name: r.companyName,
    description: r.description,
    distribution_status: r.distributionStatus,
    product_codes: json(r.productCodes),
    submissions: json(r.submissions),
    identifiers: json(r.identifiers),
    source_file: file,
    updated_at: at,
  };
}

class Batch {
  recalls: RecallRow[] = [];
  codes: ProductCodeRow[] = [];
  gudid: GudidRow[] = [];
  ids: GudidIdentifierRow[] = [];
  get size() {
    return this.recalls.length + this.codes.length + this.gudid.length;
  }
  add(p: Parsed, file: string, at: string) {
    if (p.kind === 'recall') this.recalls.push(recallRow(p.record, file, at));
    else if (p.kind === 'classification') this.codes.push(productCodeRowOf(p.record, file, at));
    else {
      this.gudid.push(gudidRowOf(p.record, file, at));
      for (const i of p.record.identifiers)
        this.ids.push({
          di: i.di,
          record_key: p.record.recordKey,
          type: i.type,
          issuing_agency: i.issuingAgency,
        });
    }
  }
  async write(tx: DbHandle) {
    if (this.recalls.length) await upsertRecalls(tx, this.recalls);
    if (this.codes.length) await upsertProductCodes(tx, this.codes);
    if (this.gudid.length) await upsertGudid(tx, this.gudid, this.ids);
  }
}

async function importPart(
  vdb: DbHandle,
  actor: Actor,
  part: { name: string; hint: string; chunks: () => AsyncIterable<Uint8Array> },
  given: ImportKind | undefined,
  batchSize: number,
): Promise<RecallImportFileResult> {
  const res: RecallImportFileResult = {
    file: part.name,
    kind: given ?? null,
    records: 0,
    stored: 0,
    bad: 0,
    issues: [],
    error: null,
  };
  const fromName = kindOfFileName(part.hint);
  let batch = new Batch();
  const at = nowIso();
  let started = false;
  const flush = async () => {
    if (!batch.size) return;
    const b = batch;
    batch = new Batch();
    await transaction(vdb, async (tx) => {
      if (!started) {
        // Whole batches commit before the file ends: the log says an import began even if it breaks off.
        await appendAudit(tx, {
          actor,
          action: 'recalls.import-start',
          target: { type: 'file', id: part.name },
          summary: { kind: res.kind },
        });
        started = true;
      }
      await b.write(tx);
    });
    res.stored += b.size;
  };
  const report = (issues: InputIssue[]) => {
    for (const i of issues) if (res.issues.length < MAX_ISSUES) res.issues.push(i);
  };
  try {
    for await (const ev of readResults(part.chunks(), part.name)) {
      if (ev.kind === 'meta') continue;
      res.records++;
      if (ev.kind === 'bad') {
        res.bad++;
        report([
          {
            file: part.name,
            offset: ev.offset,
            field: `results[${ev.index}]`,
            reason: `malformed JSON: ${ev.reason}`,
          },
        ]);
        continue;
      }
      if (!res.kind) {
        res.kind = kindOfRecord(ev.value) ?? fromName;
        if (!res.kind)
          throw invalidInput(`${part.name}: cannot tell which openFDA file this is; give --kind`, [
            { file: part.name, offset: ev.offset, reason: 'unknown record kind' },
          ]);
      }
      const p = parseOne(res.kind, ev.value, { file: part.name, index: ev.index, offset: ev.offset });
      if ('issues' in p) {
        res.bad++;
        report(p.issues);
        continue;
      }
      batch.add(p, part.name, at);
      if (batch.size >= batchSize) await flush();
    }
  } catch (e) {
    // A broken outer structure ends the file; what came before is kept.
    if (!(e instanceof Error) || !('code' in e) || (e as { code: string }).code !== 'invalid_input') throw e;
    await flush();
    res.error = e.message;
    const issues = (e as { issues?: InputIssue[] }).issues ?? [];
    report(issues.length ? issues : [{ file: part.name, reason: e.message }]);
  }
  await flush();
  await transaction(vdb, (tx) =>
    appendAudit(tx, {
      actor,
      action: 'recalls.import',
      outcome: res.error ? 'failure' : 'success',
      target: { type: 'file', id: part.name },
      summary: { kind: res.kind, records: res.records, stored: res.stored, bad: res.bad, error: res.error },
    }),
  );
  return res;
}

export async function importRecallFiles(
  vdb: DbHandle,
  actor: Actor,
  input: unknown,
): Promise<RecallImportResult> {
  assertCan(actor, 'recalls:write');
  assertAllSites(actor, 'FDA recall and device data');
  const q = parseInput(RecallImportSchema, input, 'recall import');
  const out: RecallImportResult = { files: [], records: 0, stored: 0, bad: 0 };
  for (const file of q.files) {
    for await (const part of downloadParts(file)) {
      const r = await importPart(vdb, actor, part, q.kind, q.batchSize);
      out.files.push(r);
      out.records += r.records;
      out.stored += r.stored;
      out.bad += r.bad;
    }
  }
  return out;
}
