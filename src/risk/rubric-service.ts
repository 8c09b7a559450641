/**
 * @module The MITRE-rubric questionnaire per device model: read the questions, answer them (all at once
 * or a few at a time: answers merge; `null` clears one), read a model's answers with what they make of a
 * given CVSS vector. A model's answers change the environmental score of every device of the model, at
 * every site, so answering needs `risk:write` over all sites; every change is audited with before and
 * after.
 */
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { invalidInput, notFound } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import { resolveDevice } from '../inventory/inventory-service.js';
import { nowIso } from '../store/ids.js';
import { listRubrics, type ModelRubricRow, modelNames, rubricOf, saveRubric } from '../store/risk-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { parseCvssVector } from './cvss/index.js';
import { environmentalCvss } from './environmental.js';
import { RUBRIC_QUESTIONS, type RubricAnswers, type RubricQuestion } from './rubric/questions.js';
import { checkRubricAnswers, type ModelRubric } from './rubric/rubric.js';

export const RubricInputSchema = z
  .strictObject({
    /** The model's id, or give `device` (id, asset tag, serial …) to mean that device's model. */
    modelId: z.string().min(1).max(64).optional(),
    device: z.string().min(1).max(200).optional(),
    /** Question id → answer; `null` removes an earlier answer. Merged into the stored answers. */
    answers: z.record(z.string().max(16), z.string().max(32).nullable()),
    /** Replace all stored answers instead of merging. */
    replace: z.boolean().optional(),
    notes: z.string().trim().max(4000).optional(),
  })
  .refine((v) => !!v.modelId !== !!v.device, { message: 'give modelId or device (one of them)' });
export type RubricInput = z.input<typeof RubricInputSchema>;

export interface RubricView extends ModelRubric {
  manufacturer: string | null;
  model: string | null;
  /** Questions not answered yet, by id. */
  unanswered: string[];
}

function toView(
  row: ModelRubricRow,
  names: { model: string; manufacturer: string | null } | undefined,
): RubricView {
  const answers = JSON.parse(row.answers) as RubricAnswers;
  return {
    modelId: row.model_id,
    modelName: names ? [names.manufacturer, names.model].filter(Boolean).join(' ') : null,
    manufacturer: names?.manufacturer ?? null,
    model: names?.model ?? null,
    answers,
    notes: row.notes,
    answeredBy: row.answered_by,
    answeredAt: row.answered_at,
    unanswered: RUBRIC_QUESTIONS.filter((q) => answers[q.id] === undefined).map((q) => q.id),
  };
}

export function rubricQuestions(actor: Actor): readonly RubricQuestion[] {
  assertCan(actor, 'risk:read');
  return RUBRIC_QUESTIONS;
}

async function modelIdFor(
  h: DbHandle,
  actor: Actor,
  ref: { modelId?: string; device?: string },
): Promise<string> {
  if (ref.modelId) {
    const names = await modelNames(h, [ref.modelId]);
    if (!names.has(ref.modelId)) throw notFound(`Model ${ref.modelId}`);
    return ref.modelId;
  }
  const d = await resolveDevice(h, actor, ref.device!);
  if (!d.modelId)
    throw invalidInput('The device has no model', [
      { field: 'device', reason: 'the device has no model yet' },
    ]);
  return d.modelId;
}

export async function answerRubric(h: DbHandle, actor: Actor, input: unknown): Promise<RubricView> {
  assertCan(actor, 'risk:write');
  assertAllSites(actor, "A model's rubric answers");
  const q = parseInput(RubricInputSchema, input, 'rubric answers');
  const given = Object.fromEntries(Object.entries(q.answers).filter(([, v]) => v !== null)) as RubricAnswers;
  const issues = checkRubricAnswers(given);
  for (const [id] of Object.entries(q.answers).filter(([, v]) => v === null))
    if (!RUBRIC_QUESTIONS.some((x) => x.id === id)) issues.push({ question: id, reason: 'unknown question' });
  if (issues.length > 0)
    throw invalidInput(
      'Invalid rubric answers',
      issues.map((i) => ({ field: `answers.${i.question}`, reason: i.reason })),
    );
  return transaction(h, async (tx) => {
    const modelId = await modelIdFor(tx, actor, q);
    const before = await rubricOf(tx, modelId);
    const old = before && !q.replace ? (JSON.parse(before.answers) as RubricAnswers) : {};
    const answers: RubricAnswers = { ...old };
    for (const [id, v] of Object.entries(q.answers)) {
      if (v === null) delete answers[id];
      else answers[id] = v;
    }
    // Stored in questionnaire order, so the JSON reads like the questionnaire.
    const ordered = Object.fromEntries(
      RUBRIC_QUESTIONS.filter((x) => answers[x.id] !== undefined).map((x) => [x.id, answers[x.id]!]),
    );
    const row: ModelRubricRow = {
      model_id: modelId,
      answers: JSON.stringify(ordered),
      notes: q.notes ?? before?.notes ?? null,
      answered_by: actor.name,
      answered_at: nowIso(),
    };
    await saveRubric(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'risk.rubric',
      target: { type: 'model', id: modelId },
      summary: {
        ...(before ? { before: { answers: JSON.parse(before.answers) } } : {}),
        after: { answers: ordered },
      },
    });
    return toView(row, (await modelNames(tx, [modelId])).get(modelId));
  });
}

export interface RubricShow {
  rubric: RubricView | null;
  /** What the answers make of `vector`, when one was given. */
  vector?: {
    base: string;
    environmental: string | null;
    baseScore: number | null;
    environmentalScore: number | null;
    justification: { metric: string; value: string; because: string }[];
    error?: string;
  };
}

export async function showRubric(
  h: DbHandle,
  actor: Actor,
  ref: { modelId?: string; device?: string },
  vector?: string,
): Promise<RubricShow> {
  assertCan(actor, 'risk:read');
  const modelId = await modelIdFor(h, actor, ref);
  const row = await rubricOf(h, modelId);
  const rubric = row ? toView(row, (await modelNames(h, [modelId])).get(modelId)) : null;
  if (vector === undefined) return { rubric };
  const parsed = parseCvssVector(vector);
  if (!parsed.ok) throw invalidInput('Invalid CVSS vector', [{ field: 'vector', reason: parsed.message }]);
  // The questionnaire alone: no inventory context, exposure as published.
  const env = environmentalCvss({
    vector: parsed.vector,
    baseScore: null,
    criticality: null,
    ephi: null,
    exposure: 'controlled',
    rubric,
  });
  return {
    rubric,
    vector: {
      base: parsed.vector,
      environmental: env.vector,
      baseScore: env.base,
      environmentalScore: env.environmental,
      justification: env.evidence
        .filter((e) => e.source === 'rubric')
        .map((e) => ({ metric: e.point, value: e.value, because: e.because })),
      ...(env.error ? { error: env.error } : {}),
    },
  };
}

export async function listModelRubrics(h: DbHandle, actor: Actor): Promise<RubricView[]> {
  assertCan(actor, 'risk:read');
  return (await listRubrics(h)).map((r) => toView(r, { model: r.model, manufacturer: r.manufacturer }));
}
