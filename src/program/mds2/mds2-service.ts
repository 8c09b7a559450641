/**
 * @module MDS2 forms in the store: import a filled workbook for the model(s) it describes (or the one
 * given), keep its answers and derived capabilities, file it as a document of kind `mds2`, and serve the
 * declared services to the unnecessary-service check and the policy proposal (`loadMds2Services`).
 * Re-importing the same file changes nothing; a newer form (by DOC-7 release date, else import order)
 * becomes the model's current one and the older stays as history. All or nothing: a bad workbook stores
 * nothing.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { type Actor, assertAllSites, assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { conflict, invalidInput, notFound, VigilError } from '../../errors.js';
import { formatBytes } from '../../format-bytes.js';
import { nameKey } from '../../inventory/identity.js';
import type { DeclaredService, Mds2ServiceProvider } from '../../policy/unnecessary-services.js';
import { newId, nowIso } from '../../store/ids.js';
import {
  currentMds2Forms,
  documentByFile,
  insertDocument,
  insertMds2Form,
  type Mds2FormRow,
  manufacturerByKey,
  mds2Answers,
  mds2FormByFile,
  mds2FormsOf,
  supersedeMds2Forms,
} from '../../store/manufacturer-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import { resolveModel } from '../manufacturers/manufacturers-service.js';
import { type Mds2Capabilities, mds2Capabilities } from './mds2-capabilities.js';
import type { Mds2AnswerValue, Mds2Form } from './mds2-form.js';
import { readMds2Workbook } from './mds2-workbook.js';

export interface Mds2ImportResult {
  file: string;
  sha256: string;
  sheet: string;
  manufacturer: string | null;
  model: string | null;
  formId: string | null;
  releaseDate: string | null;
  answers: number;
  forms: {
    id: string;
    modelId: string;
    model: string;
    /** false: this file was already imported for the model (nothing changed). */
    created: boolean;
    current: boolean;
    /** Older forms this one replaced as current. */
    replaced: number;
    services: DeclaredService[];
  }[];
}

export interface Mds2FormView {
  id: string;
  formId: string | null;
  manufacturerName: string | null;
  modelName: string | null;
  releaseDate: string | null;
  fileName: string;
  sha256: string;
  sheet: string;
  current: boolean;
  importedAt: string;
  importedBy: string;
  supersededAt: string | null;
  capabilities: Mds2Capabilities;
  answers: {
    questionId: string;
    section: string;
    question: string | null;
    answer: Mds2AnswerValue;
    value: string | null;
    note: string | null;
    row: number;
  }[];
}

export interface Mds2ModelView {
  modelId: string;
  model: string;
  current: Mds2FormView | null;
  history: Omit<Mds2FormView, 'answers' | 'capabilities'>[];
}

/** The models a form describes: DOC-3 as a whole, or each name in a list ("MVR435, MVR436"). */
async function modelsOfForm(h: DbHandle, form: Mds2Form, file: string) {
  if (!form.model)
    throw invalidInput(`${file}: DOC-3 (Device Model) is empty; give the model with --model`, [
      { file, field: 'DOC-3', reason: 'no device model on the form' },
    ]);
  const makerKey = nameKey(form.manufacturer);
  const maker = makerKey ? await manufacturerByKey(h, makerKey) : undefined;
  const names = [form.model, ...form.model.split(/[,;/\n]|\band\b/)]
    .map((s) => nameKey(s))
    .filter((k): k is string => Boolean(k));
  let q = h.db
    .selectFrom('device_models')
    .selectAll()
    .where('name_key', 'in', [...new Set(names)]);
  if (maker) q = q.where('manufacturer_id', '=', maker.id);
  const rows = await q.execute();
  // Without the manufacturer to narrow it, one model name of two manufacturers is a guess: ask.
  if (!maker && new Set(rows.map((r) => r.manufacturer_id)).size > 1)
    throw conflict(
      `DOC-3 '${form.model}' (${file}) matches models of ${new Set(rows.map((r) => r.manufacturer_id)).size} manufacturers and DOC-1 names none of the inventory; give the model with --model`,
    );
  if (!rows.length)
    throw notFound(
      `No model of the inventory matches DOC-3 '${form.model}'${form.manufacturer ? ` of '${form.manufacturer}'` : ''} (${file}); give the model with --model`,
    );
  return rows;
}

/** Real forms are well under 1 MB; a workbook this large is not one (and would cost memory to unpack). */
export const MAX_MDS2_BYTES = 50_000_000;

const sha256Of = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export async function importMds2(
  h: DbHandle,
  actor: Actor,
  input: { data: Uint8Array; fileName: string; model?: string | null },
): Promise<Mds2ImportResult> {
  assertCan(actor, 'program:write');
  // A model's MDS2 answers feed every site's policy proposals and unnecessary-services findings.
  assertAllSites(actor, "A model's MDS2 form");
  const file = basename(input.fileName) || 'mds2.xlsx';
  if (input.data.byteLength > MAX_MDS2_BYTES)
    throw new VigilError(
      'too_large',
      `${file} is larger than ${formatBytes(MAX_MDS2_BYTES)}: not an MDS2 form`,
    );
  const form = await readMds2Workbook(input.data, file);
  const sha256 = sha256Of(input.data);
  const capabilities = mds2Capabilities(form.items);
  return transaction(h, async (tx) => {
    const models = input.model ? [await resolveModel(tx, input.model)] : await modelsOfForm(tx, form, file);
    const now = nowIso();
    const result: Mds2ImportResult = {
      file,
      sha256,
      sheet: form.sheet,
      manufacturer: form.manufacturer,
      model: form.model,
      formId: form.formId,
      releaseDate: form.releaseDate,
      answers: form.items.length,
      forms: [],
    };
    for (const model of models) {
      const existing = await mds2FormByFile(tx, model.id, sha256);
      if (existing) {
        result.forms.push({
          id: existing.id,
          modelId: model.id,
          model: model.name,
          created: false,
          current: Number(existing.current) === 1,
          replaced: 0,
          services: (JSON.parse(existing.capabilities) as Mds2Capabilities).services,
        });
        continue;
      }
      const current = (await mds2FormsOf(tx, model.id)).find((f) => Number(f.current) === 1);
      // Older than the form in force (both dated): kept as history only.
      const isCurrent =
        !current?.release_date || !form.releaseDate || form.releaseDate >= current.release_date;
      let doc = await documentByFile(tx, model.id, 'mds2', sha256);
      if (!doc) {
        doc = {
          id: newId(),
          model_id: model.id,
          kind: 'mds2',
          title: `MDS2${form.formId ? ` ${form.formId}` : ''}${form.releaseDate ? ` (${form.releaseDate})` : ''}`,
          document_date: form.releaseDate,
          received_date: now.slice(0, 10),
          file_name: file,
          file_sha256: sha256,
          file_size: input.data.byteLength,
          notes: null,
          created_by: actor.name,
          created_at: now,
          updated_at: now,
        };
        await insertDocument(tx, doc);
      }
      const row: Mds2FormRow = {
        id: newId(),
        model_id: model.id,
        document_id: doc.id,
        manufacturer_name: form.manufacturer,
        model_name: form.model,
        form_id: form.formId,
        release_date: form.releaseDate,
        file_name: file,
        file_sha256: sha256,
        sheet: form.sheet,
        answer_count: form.items.length,
        capabilities: JSON.stringify(capabilities),
        current: isCurrent ? 1 : 0,
        imported_by: actor.name,
        imported_at: now,
        superseded_at: isCurrent ? null : now,
      };
      await insertMds2Form(
        tx,
        row,
        form.items.map((i) => ({
          form_id: row.id,
          question_id: i.questionId,
          section: i.section,
          question: i.question,
          answer: i.answer,
          value: i.value,
          note: i.note,
          row: i.row,
        })),
      );
      const replaced = isCurrent ? await supersedeMds2Forms(tx, model.id, row.id, now) : 0;
      await appendAudit(tx, {
        actor,
        action: 'mds2.import',
        target: { type: 'device-model', id: model.id },
        summary: {
          model: model.name,
          file,
          sha256,
          formId: form.formId,
          releaseDate: form.releaseDate,
          answers: form.items.length,
          services: capabilities.services.length,
          current: isCurrent,
          replaced,
        },
      });
      result.forms.push({
        id: row.id,
        modelId: model.id,
        model: model.name,
        created: true,
        current: isCurrent,
        replaced,
        services: capabilities.services,
      });
    }
    return result;
  });
}

function formView(f: Mds2FormRow): Omit<Mds2FormView, 'answers' | 'capabilities'> {
  return {
    id: f.id,
    formId: f.form_id,
    manufacturerName: f.manufacturer_name,
    modelName: f.model_name,
    releaseDate: f.release_date,
    fileName: f.file_name,
    sha256: f.file_sha256,
    sheet: f.sheet,
    current: Number(f.current) === 1,
    importedAt: f.imported_at,
    importedBy: f.imported_by,
    supersededAt: f.superseded_at,
  };
}

export async function showMds2(h: DbHandle, actor: Actor, modelRef: string): Promise<Mds2ModelView> {
  assertCan(actor, 'program:read');
  const model = await resolveModel(h, modelRef);
  const forms = await mds2FormsOf(h, model.id);
  const cur = forms.find((f) => Number(f.current) === 1);
  let current: Mds2FormView | null = null;
  if (cur) {
    const answers = await mds2Answers(h, cur.id);
    current = {
      ...formView(cur),
      capabilities: JSON.parse(cur.capabilities) as Mds2Capabilities,
      answers: answers.map((a) => ({
        questionId: a.question_id,
        section: a.section,
        question: a.question,
        answer: a.answer as Mds2AnswerValue,
        value: a.value,
        note: a.note,
        row: Number(a.row),
      })),
    };
  }
  return {
    modelId: model.id,
    model: model.name,
    current,
    history: forms.filter((f) => f !== cur).map(formView),
  };
}

/** The current MDS2 forms' declared services, per model, for the unnecessary-service check and policy. */
export async function loadMds2Services(h: DbHandle): Promise<Mds2ServiceProvider> {
  const byModel = new Map<string, DeclaredService[]>();
  for (const f of await currentMds2Forms(h)) {
    const services = (JSON.parse(f.capabilities) as Mds2Capabilities).services;
    if (services.length) byModel.set(f.model_id, services);
  }
  return { servicesOf: (modelId) => byModel.get(modelId) };
}

/** The current MDS2 forms' capabilities per model (encryption, authentication …), for reports and risk. */
export async function loadMds2Capabilities(h: DbHandle): Promise<Map<string, Mds2Capabilities>> {
  return new Map(
    (await currentMds2Forms(h)).map((f) => [f.model_id, JSON.parse(f.capabilities) as Mds2Capabilities]),
  );
}
