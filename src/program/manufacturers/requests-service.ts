/**
 * @module Requests to manufacturers ("is patch X validated for model Y?", "send the current SBOM"): who
 * asked what of whom and when, for which models, by when, the answer, follow-ups, open → answered →
 * closed, and the overdue list. Requesting an SBOM, MDS2 or patch-validation statement records the date
 * that kind of document was last requested for each model. Every change is audited. A request is of the
 * sites where devices of its models are; an actor limited to sites reads only its sites' requests and
 * those of no site (docs/roles.md).
 */
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { conflict, invalidInput, notFound } from '../../errors.js';
import { parseInput } from '../../inventory/device-input.js';
import { newId, nowIso } from '../../store/ids.js';
import {
  insertRequest,
  insertRequestEvent,
  type ManufacturerRequestRow,
  manufacturerRows,
  markRequested,
  requestById,
  requestEvents,
  requestModels,
  requestRows,
  updateRequest,
} from '../../store/manufacturer-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import { resolveManufacturer, resolveModelOf } from './manufacturers-service.js';

export const REQUEST_KINDS = ['patch-validation', 'sbom', 'mds2', 'vulnerability-question', 'other'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
export const REQUEST_STATUSES = ['open', 'answered', 'closed'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Request kinds that ask for a kind of document, and so update its "last requested" date. */
const DOCUMENT_REQUESTS: Partial<Record<RequestKind, string>> = {
  sbom: 'sbom',
  mds2: 'mds2',
  'patch-validation': 'patch-validation',
};

/** The ManufacturerRequest JSON contract (docs/manufacturers.md). */
export interface ManufacturerRequest {
  id: string;
  manufacturerId: string;
  manufacturer: string;
  kind: RequestKind;
  subject: string;
  models: { id: string; name: string }[];
  requestedDate: string;
  requestedBy: string;
  dueDate: string | null;
  answeredDate: string | null;
  answer: string | null;
  status: RequestStatus;
  overdue: boolean;
  events: { at: string; actor: string; action: string; note: string | null }[];
  createdAt: string;
  updatedAt: string;
}

const isoDate = z.iso.date();

export const RequestAddSchema = z
  .strictObject({
    manufacturer: z.string().trim().min(1).max(200),
    kind: z.enum(REQUEST_KINDS),
    subject: z.string().trim().min(1).max(1000),
    models: z.array(z.string().trim().min(1).max(200)).max(200).optional(),
    requestedDate: isoDate.optional(),
    dueDate: isoDate.nullable().optional(),
    note: z.string().trim().max(4000).optional(),
  })
  .refine((v) => !v.dueDate || !v.requestedDate || v.dueDate >= v.requestedDate, {
    message: 'the due date is before the requested date',
    path: ['dueDate'],
  });

export const RequestAnswerSchema = z.strictObject({
  answer: z.string().trim().min(1).max(8000),
  answeredDate: isoDate.optional(),
});

export const RequestNoteSchema = z.strictObject({
  note: z.string().trim().min(1).max(4000).optional(),
  dueDate: isoDate.nullable().optional(),
});

export const RequestQuerySchema = z.strictObject({
  manufacturer: z.string().trim().min(1).max(200).optional(),
  status: z.array(z.enum(REQUEST_STATUSES)).optional(),
  overdue: z.boolean().optional(),
});

const today = (now: Date) => now.toISOString().slice(0, 10);

/** Open, with a due date before today. */
export const isOverdue = (r: Pick<ManufacturerRequestRow, 'status' | 'due_date'>, now: Date) =>
  r.status === 'open' && r.due_date !== null && r.due_date < today(now);

async function present(
  h: DbHandle,
  rows: readonly ManufacturerRequestRow[],
  now: Date,
): Promise<ManufacturerRequest[]> {
  const ids = rows.map((r) => r.id);
  const models = await requestModels(h, ids);
  const events = await requestEvents(h, ids);
  const names = new Map((await manufacturerRows(h)).map((m) => [m.id, m.name]));
  return rows.map((r) => ({
    id: r.id,
    manufacturerId: r.manufacturer_id,
    manufacturer: names.get(r.manufacturer_id) ?? '',
    kind: r.kind as RequestKind,
    subject: r.subject,
    models: models.filter((m) => m.request_id === r.id).map((m) => ({ id: m.model_id, name: m.name })),
    requestedDate: r.requested_date,
    requestedBy: r.requested_by,
    dueDate: r.due_date,
    answeredDate: r.answered_date,
    answer: r.answer,
    status: r.status as RequestStatus,
    overdue: isOverdue(r, now),
    events: events
      .filter((e) => e.request_id === r.id)
      .map((e) => ({ at: e.at, actor: e.actor, action: e.action, note: e.note })),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

export async function addRequest(
  h: DbHandle,
  actor: Actor,
  input: unknown,
  opts: { now?: Date } = {},
): Promise<ManufacturerRequest> {
  assertCan(actor, 'program:write');
  assertAllSites(actor, 'A request to a manufacturer');
  const v = parseInput(RequestAddSchema, input, 'manufacturer request');
  const nowDate = opts.now ?? new Date();
  const requestedDate = v.requestedDate ?? today(nowDate);
  if (v.dueDate && v.dueDate < requestedDate)
    throw invalidInput('Invalid manufacturer request: the due date is before the requested date');
  return transaction(h, async (tx) => {
    const maker = await resolveManufacturer(tx, v.manufacturer);
    const modelIds: string[] = [];
    for (const ref of v.models ?? []) {
      const model = await resolveModelOf(tx, maker.id, ref);
      if (model.manufacturer_id !== maker.id)
        throw invalidInput(
          `Invalid manufacturer request: model ${model.name} is not a model of ${maker.name}`,
          [{ field: 'models', reason: `model ${ref} belongs to another manufacturer` }],
        );
      if (!modelIds.includes(model.id)) modelIds.push(model.id);
    }
    const now = nowIso();
    const row: ManufacturerRequestRow = {
      id: newId(),
      manufacturer_id: maker.id,
      kind: v.kind,
      subject: v.subject,
      requested_date: requestedDate,
      requested_by: actor.name,
      due_date: v.dueDate ?? null,
      answered_date: null,
      answer: null,
      status: 'open',
      created_at: now,
      updated_at: now,
    };
    await insertRequest(tx, row, modelIds);
    await insertRequestEvent(tx, {
      id: newId(),
      request_id: row.id,
      at: now,
      actor: actor.name,
      action: 'created',
      note: v.note ?? null,
    });
    const docKind = DOCUMENT_REQUESTS[v.kind];
    if (docKind) for (const id of modelIds) await markRequested(tx, id, docKind, requestedDate, row.id);
    await appendAudit(tx, {
      actor,
      action: 'manufacturer-request.add',
      target: { type: 'manufacturer-request', id: row.id },
      summary: { manufacturer: maker.name, kind: v.kind, models: modelIds.length, dueDate: row.due_date },
    });
    return (await present(tx, [row], nowDate))[0]!;
  });
}

export async function listRequests(
  h: DbHandle,
  actor: Actor,
  input: unknown = {},
  opts: { now?: Date } = {},
): Promise<ManufacturerRequest[]> {
  assertCan(actor, 'program:read');
  const q = parseInput(RequestQuerySchema, input, 'request query');
  const now = opts.now ?? new Date();
  const manufacturerId = q.manufacturer ? (await resolveManufacturer(h, q.manufacturer)).id : undefined;
  const rows = await requestRows(h, {
    siteIds: actor.siteIds,
    ...(manufacturerId ? { manufacturerId } : {}),
    ...(q.overdue ? { status: ['open'], dueBefore: today(now) } : q.status ? { status: q.status } : {}),
  });
  return present(h, rows, now);
}

export async function getRequest(
  h: DbHandle,
  actor: Actor,
  id: string,
  opts: { now?: Date } = {},
): Promise<ManufacturerRequest> {
  assertCan(actor, 'program:read');
  // Another site's request is answered as if it did not exist, as its devices are.
  const [row] = await requestRows(h, { id, siteIds: actor.siteIds });
  if (!row) throw notFound(`Request ${id}`);
  return (await present(h, [row], opts.now ?? new Date()))[0]!;
}

type Change = 'answer' | 'close' | 'follow-up' | 'reopen';

async function change(
  h: DbHandle,
  actor: Actor,
  id: string,
  what: Change,
  input: unknown,
  now: Date,
): Promise<ManufacturerRequest> {
  assertCan(actor, 'program:write');
  assertAllSites(actor, 'A request to a manufacturer');
  const answer = what === 'answer' ? parseInput(RequestAnswerSchema, input, 'answer') : undefined;
  const note = what !== 'answer' ? parseInput(RequestNoteSchema, input ?? {}, 'request note') : undefined;
  return transaction(h, async (tx) => {
    const row = await requestById(tx, id);
    if (!row) throw notFound(`Request ${id}`);
    const at = nowIso();
    let patch: Partial<ManufacturerRequestRow> = { updated_at: at };
    if (what === 'answer') {
      if (row.status === 'closed') throw conflict(`Request ${id} is closed; reopen it first`);
      const answeredDate = answer!.answeredDate ?? today(now);
      if (answeredDate < row.requested_date)
        throw invalidInput('Invalid answer: answered before it was requested');
      patch = { ...patch, status: 'answered', answer: answer!.answer, answered_date: answeredDate };
    } else if (what === 'close') {
      if (row.status === 'closed') throw conflict(`Request ${id} is already closed`);
      patch = { ...patch, status: 'closed' };
    } else if (what === 'reopen') {
      if (row.status === 'open') throw conflict(`Request ${id} is already open`);
      patch = { ...patch, status: 'open' };
    } else {
      if (row.status === 'closed') throw conflict(`Request ${id} is closed; reopen it first`);
      if (!note?.note && note?.dueDate === undefined)
        throw invalidInput('A follow-up needs a note or a new due date');
      if (note?.dueDate !== undefined) patch = { ...patch, due_date: note.dueDate };
    }
    await updateRequest(tx, id, patch);
    const action =
      what === 'answer'
        ? 'answered'
        : what === 'close'
          ? 'closed'
          : what === 'reopen'
            ? 'reopened'
            : 'follow-up';
    await insertRequestEvent(tx, {
      id: newId(),
      request_id: id,
      at,
      actor: actor.name,
      action,
      note: what === 'answer' ? null : (note?.note ?? null),
    });
    await appendAudit(tx, {
      actor,
      action: `manufacturer-request.${what}`,
      target: { type: 'manufacturer-request', id },
      summary: {
        from: row.status,
        to: patch.status ?? row.status,
        ...(patch.due_date !== undefined ? { dueDate: patch.due_date } : {}),
      },
    });
    return (await present(tx, [{ ...row, ...patch }], now))[0]!;
  });
}

export const answerRequest = (
  h: DbHandle,
  actor: Actor,
  id: string,
  input: unknown,
  opts: { now?: Date } = {},
) => change(h, actor, id, 'answer', input, opts.now ?? new Date());
export const closeRequest = (
  h: DbHandle,
  actor: Actor,
  id: string,
  input: unknown = {},
  opts: { now?: Date } = {},
) => change(h, actor, id, 'close', input, opts.now ?? new Date());
export const reopenRequest = (
  h: DbHandle,
  actor: Actor,
  id: string,
  input: unknown = {},
  opts: { now?: Date } = {},
) => change(h, actor, id, 'reopen', input, opts.now ?? new Date());
export const followUpRequest = (
  h: DbHandle,
  actor: Actor,
  id: string,
  input: unknown,
  opts: { now?: Date } = {},
) => change(h, actor, id, 'follow-up', input, opts.now ?? new Date());
