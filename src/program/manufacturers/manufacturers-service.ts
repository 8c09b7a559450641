/**
 * @module Manufacturer relations: contacts (PSIRT, account, support portal), the CSAF feed subscriptions
 * that follow each manufacturer and their state, support dates per model, documents on file per model
 * with the date each kind was last requested, and the warnings that matter (no MDS2, no SBOM, documents
 * older than N months). Every change is audited. The Manufacturer JSON shapes are contracts
 * (docs/manufacturers.md). Device and open request counts are of the actor's sites; the manufacturers,
 * their contacts, feeds and documents are the organization's and every reader sees them. Requests are of
 * the sites of their models' devices (requests-service.ts).
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { conflict, type InputIssue, invalidInput, notFound } from '../../errors.js';
import { parseInput } from '../../inventory/device-input.js';
import { nameKey } from '../../inventory/identity.js';
import { resolveManufacturer as resolveCompany } from '../../matching/names/names.js';
import { newId, nowIso } from '../../store/ids.js';
import {
  activeDevicesByManufacturer,
  allDocuments,
  deleteFeedLink,
  documentByFile,
  documentsOf,
  feedSourceByRef,
  insertDocument,
  insertFeedLink,
  type LinkedFeedRow,
  lastRequestedOf,
  linkedFeeds,
  type ManufacturerWithProfile,
  type ModelDocumentRow,
  type ModelOfManufacturerRow,
  manufacturerById,
  manufacturerByKey,
  manufacturerRows,
  modelSupportRow,
  modelsOf,
  modelsWithImportedSbom,
  namedManufacturers,
  profileOf,
  requestRows,
  type SiteScope,
  setEndOfSupport,
  upsertModelSupport,
  upsertProfile,
} from '../../store/manufacturer-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';

export const DOCUMENT_KINDS = ['mds2', 'sbom', 'security-white-paper', 'patch-validation', 'other'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];
/** Documents older than this many months get a warning unless the caller says otherwise. */
export const DEFAULT_STALE_MONTHS = 24;

export interface FeedLink {
  feedSourceId: string;
  name: string;
  kind: string;
  url: string | null;
  enabled: boolean;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  /** explicit: linked with `link-feed`; by-name: the subscription was made for this manufacturer. */
  link: 'explicit' | 'by-name';
}

/** The Manufacturer JSON contract (docs/manufacturers.md). */
export interface Manufacturer {
  id: string;
  name: string;
  psirt: { email: string | null; url: string | null; phone: string | null };
  account: { name: string | null; email: string | null; phone: string | null };
  supportPortal: string | null;
  notes: string | null;
  subscribed: boolean;
  feeds: FeedLink[];
  modelCount: number;
  activeDevices: number;
  openRequests: number;
  createdAt: string;
  updatedAt: string;
}

export interface DocumentOnFile {
  id: string;
  modelId: string;
  kind: DocumentKind;
  title: string;
  documentDate: string | null;
  receivedDate: string | null;
  fileName: string | null;
  sha256: string | null;
  size: number | null;
  notes: string | null;
  createdBy: string;
  createdAt: string;
}

export interface DocumentWarning {
  /** no-mds2 | no-sbom | stale-document */
  code: 'no-mds2' | 'no-sbom' | 'stale-document';
  modelId: string;
  model: string;
  documentId: string | null;
  message: string;
}

export interface ManufacturerModel {
  id: string;
  name: string;
  modelNumber: string | null;
  activeDevices: number;
  endOfSale: string | null;
  endOfSupport: string | null;
  endOfLife: string | null;
  documents: DocumentOnFile[];
  /** Per document kind, the date it was last requested (YYYY-MM-DD). */
  lastRequested: Partial<Record<DocumentKind, string>>;
  warnings: DocumentWarning[];
}

export interface ManufacturerDetail extends Manufacturer {
  models: ManufacturerModel[];
  warnings: DocumentWarning[];
}

const isoDate = z.iso.date();
const optionalText = (max: number) => z.string().trim().max(max).nullable().optional();

export const ManufacturerUpdateSchema = z.strictObject({
  psirtEmail: z.email().max(320).nullable().optional(),
  psirtUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .nullable()
    .optional(),
  psirtPhone: optionalText(60),
  accountName: optionalText(200),
  accountEmail: z.email().max(320).nullable().optional(),
  accountPhone: optionalText(60),
  supportPortal: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .nullable()
    .optional(),
  notes: optionalText(4000),
});

export const ModelSupportSchema = z.strictObject({
  endOfSale: isoDate.nullable().optional(),
  endOfSupport: isoDate.nullable().optional(),
  endOfLife: isoDate.nullable().optional(),
});

export const DocumentAddSchema = z.strictObject({
  model: z.string().trim().min(1).max(200),
  kind: z.enum(DOCUMENT_KINDS),
  title: z.string().trim().min(1).max(300),
  documentDate: isoDate.nullable().optional(),
  receivedDate: isoDate.nullable().optional(),
  fileName: z.string().trim().min(1).max(300).nullable().optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'a SHA-256 as 64 hex digits')
    .nullable()
    .optional(),
  size: z.number().int().nonnegative().nullable().optional(),
  notes: optionalText(4000),
});

const today = (now: Date) => now.toISOString().slice(0, 10);

/** Finds a manufacturer by id or by name (any spelling with the same name key). */
export async function resolveManufacturer(h: DbHandle, ref: string) {
  const byId = await manufacturerById(h, ref);
  if (byId && byId.name !== '') return byId;
  const key = nameKey(ref);
  const byName = key ? await manufacturerByKey(h, key) : undefined;
  if (byName && byName.name !== '') return byName;
  const byAlias = await manufacturerByAlias(h, ref);
  if (!byAlias) throw notFound(`Manufacturer ${ref}`);
  return byAlias;
}

/**
 * The one inventory manufacturer the matcher's name table resolves to the same company as `ref`
 * ("BD" for the CMMS's "Becton, Dickinson and Company (BD)"), as `mds2 import` already reads DOC-1.
 * None, or several (the hospital keeps two spellings apart), is no answer.
 */
async function manufacturerByAlias(h: DbHandle, ref: string) {
  const want = resolveCompany(ref);
  if (!want.known) return undefined;
  const hits = (await namedManufacturers(h)).filter((m) => {
    const c = resolveCompany(m.name);
    return c.known && c.key === want.key;
  });
  return hits.length === 1 ? hits[0] : undefined;
}

/** Finds a model by id, or by name when exactly one model has it. */
export async function resolveModel(h: DbHandle, ref: string) {
  const byId = await h.db.selectFrom('device_models').selectAll().where('id', '=', ref).executeTakeFirst();
  if (byId) return byId;
  const key = nameKey(ref);
  const rows = key
    ? await h.db.selectFrom('device_models').selectAll().where('name_key', '=', key).execute()
    : [];
  if (rows.length === 0) throw notFound(`Model ${ref}`);
  if (rows.length > 1) throw conflict(`${rows.length} models are named ${ref}; use the model id`);
  return rows[0]!;
}

/** A model by id or name, preferring the models of one manufacturer (a name two makers share is fine there). */
export async function resolveModelOf(h: DbHandle, manufacturerId: string, ref: string) {
  const key = nameKey(ref);
  const own = key
    ? await h.db
        .selectFrom('device_models')
        .selectAll()
        .where('manufacturer_id', '=', manufacturerId)
        .where('name_key', '=', key)
        .executeTakeFirst()
    : undefined;
  return own ?? resolveModel(h, ref);
}

function toFeedLink(f: LinkedFeedRow): FeedLink {
  return {
    feedSourceId: f.id,
    name: f.name,
    kind: f.kind,
    url: f.url,
    enabled: Number(f.enabled) === 1,
    lastAttemptAt: f.last_attempt_at,
    lastSuccessAt: f.last_success_at,
    lastError: f.last_error,
    link: f.link,
  };
}

export function toDocument(r: ModelDocumentRow): DocumentOnFile {
  return {
    id: r.id,
    modelId: r.model_id,
    kind: r.kind as DocumentKind,
    title: r.title,
    documentDate: r.document_date,
    receivedDate: r.received_date,
    fileName: r.file_name,
    sha256: r.file_sha256,
    size: r.file_size === null ? null : Number(r.file_size),
    notes: r.notes,
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

/** The date `months` months before `now` (YYYY-MM-DD). */
export function monthsBefore(now: Date, months: number): string {
  const d = new Date(now.getTime());
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.toISOString().slice(0, 10);
}

/**
 * Warnings for one model: no MDS2 on file, no SBOM on file (a document or an imported SBOM), and the
 * newest document of each kind older than `staleMonths` (by its document date, else the received date).
 */
export function documentWarnings(
  model: { id: string; name: string },
  docs: readonly DocumentOnFile[],
  opts: { hasImportedSbom: boolean; now: Date; staleMonths: number },
): DocumentWarning[] {
  const out: DocumentWarning[] = [];
  const ofKind = (k: DocumentKind) => docs.filter((d) => d.kind === k);
  if (!ofKind('mds2').length)
    out.push({
      code: 'no-mds2',
      modelId: model.id,
      model: model.name,
      documentId: null,
      message: `No MDS2 form on file for ${model.name}`,
    });
  if (!ofKind('sbom').length && !opts.hasImportedSbom)
    out.push({
      code: 'no-sbom',
      modelId: model.id,
      model: model.name,
      documentId: null,
      message: `No SBOM on file for ${model.name}`,
    });
  const cutoff = monthsBefore(opts.now, opts.staleMonths);
  for (const kind of DOCUMENT_KINDS) {
    const dated = ofKind(kind)
      .map((d) => ({ d, date: d.documentDate ?? d.receivedDate }))
      .filter((x): x is { d: DocumentOnFile; date: string } => x.date !== null)
      .sort((a, b) => b.date.localeCompare(a.date));
    const newest = dated[0];
    if (newest && newest.date < cutoff)
      out.push({
        code: 'stale-document',
        modelId: model.id,
        model: model.name,
        documentId: newest.d.id,
        message: `The newest ${kind} on file for ${model.name} is dated ${newest.date}, older than ${opts.staleMonths} months`,
      });
  }
  return out;
}

function toManufacturer(
  m: ManufacturerWithProfile,
  feeds: FeedLink[],
  counts: { models: number; activeDevices: number; openRequests: number },
): Manufacturer {
  const p = m.profile;
  return {
    id: m.id,
    name: m.name,
    psirt: { email: p?.psirt_email ?? null, url: p?.psirt_url ?? null, phone: p?.psirt_phone ?? null },
    account: {
      name: p?.account_name ?? null,
      email: p?.account_email ?? null,
      phone: p?.account_phone ?? null,
    },
    supportPortal: p?.support_portal ?? null,
    notes: p?.notes ?? null,
    subscribed: feeds.some((f) => f.enabled),
    feeds,
    modelCount: counts.models,
    activeDevices: counts.activeDevices,
    openRequests: counts.openRequests,
    createdAt: m.created_at,
    updatedAt: p && p.updated_at > m.updated_at ? p.updated_at : m.updated_at,
  };
}

/**
 * `siteIds`: the actor's sites, whose devices and requests alone are counted (undefined: every site), as
 * the actor lists them.
 */
async function buildManufacturers(
  h: DbHandle,
  makers: ManufacturerWithProfile[],
  siteIds: SiteScope,
): Promise<Manufacturer[]> {
  const feeds = await linkedFeeds(h, makers, nameKey);
  const models = await modelsOf(
    h,
    makers.map((m) => m.id),
  );
  const active = await activeDevicesByManufacturer(h, siteIds);
  const open = await requestRows(h, { status: ['open'], siteIds });
  return makers.map((m) =>
    toManufacturer(m, feeds.filter((f) => f.manufacturer_id === m.id).map(toFeedLink), {
      models: models.filter((x) => x.manufacturer_id === m.id).length,
      activeDevices: active.get(m.id) ?? 0,
      openRequests: open.filter((r) => r.manufacturer_id === m.id).length,
    }),
  );
}

export async function listManufacturers(
  h: DbHandle,
  actor: Actor,
  input: { withDevices?: boolean } = {},
): Promise<Manufacturer[]> {
  assertCan(actor, 'program:read');
  const all = await buildManufacturers(h, await manufacturerRows(h), actor.siteIds);
  return input.withDevices ? all.filter((m) => m.activeDevices > 0) : all;
}

async function modelsWithDocuments(
  h: DbHandle,
  rows: readonly ModelOfManufacturerRow[],
  now: Date,
  staleMonths: number,
): Promise<ManufacturerModel[]> {
  const ids = rows.map((r) => r.id);
  const docs = (await documentsOf(h, ids)).map(toDocument);
  const requested = await lastRequestedOf(h, ids);
  const sboms = await modelsWithImportedSbom(h);
  return rows.map((r) => {
    const mine = docs.filter((d) => d.modelId === r.id);
    return {
      id: r.id,
      name: r.name,
      modelNumber: r.model_number,
      activeDevices: r.active_devices,
      endOfSale: r.end_of_sale ?? null,
      endOfSupport: r.end_of_support,
      endOfLife: r.end_of_life ?? null,
      documents: mine,
      lastRequested: Object.fromEntries(
        requested.filter((q) => q.model_id === r.id).map((q) => [q.kind, q.last_requested]),
      ),
      warnings: documentWarnings(r, mine, { hasImportedSbom: sboms.has(r.id), now, staleMonths }),
    };
  });
}

export async function showManufacturer(
  h: DbHandle,
  actor: Actor,
  ref: string,
  opts: { now?: Date; staleMonths?: number } = {},
): Promise<ManufacturerDetail> {
  assertCan(actor, 'program:read');
  const m = await resolveManufacturer(h, ref);
  const profile = await profileOf(h, m.id);
  const [base] = await buildManufacturers(h, [{ ...m, profile }], actor.siteIds);
  const models = await modelsWithDocuments(
    h,
    await modelsOf(h, [m.id], actor.siteIds),
    opts.now ?? new Date(),
    opts.staleMonths ?? DEFAULT_STALE_MONTHS,
  );
  return { ...base!, models, warnings: models.flatMap((x) => x.warnings) };
}

/**
 * Manufacturers, their models' support dates, documents on file, feed links and requests are one record
 * for the whole hospital, whatever site the devices are at: a token limited to sites reads them (counted
 * for its sites) but does not change them for every other site (docs/roles.md).
 */
const MANUFACTURER_DATA = "A manufacturer's or model's record";

/** Sets the contact fields given (null clears one); the others keep their value. */
export async function updateManufacturer(
  h: DbHandle,
  actor: Actor,
  ref: string,
  input: unknown,
): Promise<Manufacturer> {
  assertCan(actor, 'program:write');
  assertAllSites(actor, MANUFACTURER_DATA);
  const v = parseInput(ManufacturerUpdateSchema, input, 'manufacturer update');
  if (Object.keys(v).length === 0) throw invalidInput('Nothing to update: give at least one field');
  return transaction(h, async (tx) => {
    const m = await resolveManufacturer(tx, ref);
    const prev = await profileOf(tx, m.id);
    const now = nowIso();
    const pick = <K extends keyof typeof v>(k: K, old: string | null | undefined) =>
      v[k] !== undefined ? (v[k] as string | null) || null : (old ?? null);
    const row = {
      manufacturer_id: m.id,
      psirt_email: pick('psirtEmail', prev?.psirt_email),
      psirt_url: pick('psirtUrl', prev?.psirt_url),
      psirt_phone: pick('psirtPhone', prev?.psirt_phone),
      account_name: pick('accountName', prev?.account_name),
      account_email: pick('accountEmail', prev?.account_email),
      account_phone: pick('accountPhone', prev?.account_phone),
      support_portal: pick('supportPortal', prev?.support_portal),
      notes: pick('notes', prev?.notes),
      created_at: prev?.created_at ?? now,
      updated_at: now,
    };
    await upsertProfile(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'manufacturer.update',
      target: { type: 'manufacturer', id: m.id },
      // Which fields changed, not their values: contact details are personal data.
      summary: { name: m.name, fields: Object.keys(v) },
    });
    const [out] = await buildManufacturers(tx, [{ ...m, profile: row }], actor.siteIds);
    return out!;
  });
}

/** Links a manufacturer to a feed subscription (by id or name); `unlink` removes the link. */
export async function linkFeed(
  h: DbHandle,
  actor: Actor,
  ref: string,
  feedRef: string,
  opts: { unlink?: boolean } = {},
): Promise<Manufacturer> {
  assertCan(actor, 'program:write');
  assertAllSites(actor, MANUFACTURER_DATA);
  return transaction(h, async (tx) => {
    const m = await resolveManufacturer(tx, ref);
    const feed = await feedSourceByRef(tx, feedRef);
    if (!feed) throw notFound(`Feed subscription ${feedRef}`);
    const now = nowIso();
    const changed = opts.unlink
      ? await deleteFeedLink(tx, m.id, feed.id)
      : await insertFeedLink(tx, {
          manufacturer_id: m.id,
          feed_source_id: feed.id,
          created_by: actor.name,
          created_at: now,
        });
    if (changed)
      await appendAudit(tx, {
        actor,
        action: opts.unlink ? 'manufacturer.unlink-feed' : 'manufacturer.link-feed',
        target: { type: 'manufacturer', id: m.id },
        summary: { name: m.name, feedSourceId: feed.id, feed: feed.name },
      });
    const [out] = await buildManufacturers(tx, [{ ...m, profile: await profileOf(tx, m.id) }], actor.siteIds);
    return out!;
  });
}

/**
 * Refuses support dates in an impossible order, checked on the dates the model will have (given ones
 * merged with those stored). A model is sold before support and life end, so end of sale comes first.
 * End of support and end of life are not ordered: IMDRF N70 puts end of life (no longer sold or
 * marketed) before end of support, while many vendors use end of life for the very last date.
 */
function assertSupportOrder(
  given: { endOfSale?: string | null; endOfSupport?: string | null; endOfLife?: string | null },
  dates: { endOfSale: string | null; endOfSupport: string | null; endOfLife: string | null },
): void {
  const sale = dates.endOfSale;
  if (!sale) return;
  const issues: InputIssue[] = [];
  for (const [field, label] of [
    ['endOfSupport', 'end of support'],
    ['endOfLife', 'end of life'],
  ] as const) {
    const later = dates[field];
    if (later && later < sale)
      issues.push({
        // Named after the date given now, so the caller sees which one to correct.
        field: given[field] !== undefined ? field : 'endOfSale',
        reason: `end of sale ${sale} is after ${label} ${later}: a model's sale ends first`,
      });
  }
  if (issues.length) throw invalidInput('Impossible model support dates', issues);
}

/** Sets a model's support dates (end of support lives on the model itself). */
export async function updateModelSupport(
  h: DbHandle,
  actor: Actor,
  modelRef: string,
  input: unknown,
): Promise<{
  modelId: string;
  endOfSale: string | null;
  endOfSupport: string | null;
  endOfLife: string | null;
}> {
  assertCan(actor, 'program:write');
  assertAllSites(actor, MANUFACTURER_DATA);
  const v = parseInput(ModelSupportSchema, input, 'model support dates');
  if (Object.keys(v).length === 0) throw invalidInput('Nothing to update: give at least one date');
  return transaction(h, async (tx) => {
    const model = await resolveModel(tx, modelRef);
    const prev = await modelSupportRow(tx, model.id);
    const now = nowIso();
    const row = {
      model_id: model.id,
      end_of_sale: v.endOfSale !== undefined ? v.endOfSale : (prev?.end_of_sale ?? null),
      end_of_life: v.endOfLife !== undefined ? v.endOfLife : (prev?.end_of_life ?? null),
      updated_at: now,
    };
    const endOfSupport = v.endOfSupport !== undefined ? v.endOfSupport : model.end_of_support;
    assertSupportOrder(v, { endOfSale: row.end_of_sale, endOfSupport, endOfLife: row.end_of_life });
    await upsertModelSupport(tx, row);
    if (v.endOfSupport !== undefined) await setEndOfSupport(tx, model.id, v.endOfSupport, now);
    await appendAudit(tx, {
      actor,
      action: 'model.support.update',
      target: { type: 'device-model', id: model.id },
      summary: { model: model.name, ...v },
    });
    return { modelId: model.id, endOfSale: row.end_of_sale, endOfSupport, endOfLife: row.end_of_life };
  });
}

/**
 * Records a document on file. The file itself is not copied: its base name, size and SHA-256 are kept,
 * which is what an auditor checks against the copy in the document store. The same file recorded twice
 * for the same model and kind returns the existing record (`created: false`).
 */
export async function addDocument(
  h: DbHandle,
  actor: Actor,
  input: unknown,
  opts: { now?: Date } = {},
): Promise<DocumentOnFile & { created: boolean }> {
  assertCan(actor, 'program:write');
  assertAllSites(actor, MANUFACTURER_DATA);
  const v = parseInput(DocumentAddSchema, input, 'document');
  // A day after today (UTC) allows for time zones; a later date is a typo and would count as current.
  const latest = today(new Date((opts.now ?? new Date()).getTime() + 86_400_000));
  const future = (['documentDate', 'receivedDate'] as const)
    .filter((f) => v[f] && v[f] > latest)
    .map((field): InputIssue => ({ field, reason: `${v[field]} is in the future` }));
  if (v.documentDate && v.receivedDate && v.documentDate > v.receivedDate)
    future.push({
      field: 'documentDate',
      reason: `${v.documentDate} is after the received date ${v.receivedDate}`,
    });
  if (future.length) throw invalidInput('Invalid document', future);
  return transaction(h, async (tx) => {
    const model = await resolveModel(tx, v.model);
    const sha = v.sha256?.toLowerCase() ?? null;
    if (sha) {
      const existing = await documentByFile(tx, model.id, v.kind, sha);
      if (existing) return { ...toDocument(existing), created: false };
    }
    const now = nowIso();
    const row: ModelDocumentRow = {
      id: newId(),
      model_id: model.id,
      kind: v.kind,
      title: v.title,
      document_date: v.documentDate ?? null,
      received_date: v.receivedDate ?? today(opts.now ?? new Date()),
      file_name: v.fileName ? basename(v.fileName) : null,
      file_sha256: sha,
      file_size: v.size ?? null,
      notes: v.notes || null,
      created_by: actor.name,
      created_at: now,
      updated_at: now,
    };
    await insertDocument(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'document.add',
      target: { type: 'model-document', id: row.id },
      summary: { modelId: model.id, model: model.name, kind: v.kind, title: v.title, sha256: sha },
    });
    return { ...toDocument(row), created: true };
  });
}

export interface DocumentList {
  documents: (DocumentOnFile & { model: string; manufacturer: string })[];
  warnings: DocumentWarning[];
}

/**
 * Documents on file (of one manufacturer or model, or all) and the warnings for models in use: models
 * with active devices, or every model of the manufacturer or the model asked about.
 */
export async function listDocuments(
  h: DbHandle,
  actor: Actor,
  input: { manufacturer?: string; model?: string; kind?: DocumentKind; staleMonths?: number } = {},
  opts: { now?: Date } = {},
): Promise<DocumentList> {
  assertCan(actor, 'program:read');
  const staleMonths = input.staleMonths ?? DEFAULT_STALE_MONTHS;
  if (!Number.isInteger(staleMonths) || staleMonths < 1 || staleMonths > 600)
    throw invalidInput('--older-than must be a whole number of months between 1 and 600');
  // The CLI passes --kind as typed: a misspelt kind listed nothing, which read as "nothing on file".
  if (input.kind !== undefined && !(DOCUMENT_KINDS as readonly string[]).includes(input.kind))
    throw invalidInput(
      `Unknown document kind ${JSON.stringify(input.kind)}; one of ${DOCUMENT_KINDS.join(', ')}`,
    );
  let models: ModelOfManufacturerRow[];
  if (input.model) {
    const m = await resolveModel(h, input.model);
    models = (await modelsOf(h, [m.manufacturer_id], actor.siteIds)).filter((x) => x.id === m.id);
  } else if (input.manufacturer) {
    models = await modelsOf(h, [(await resolveManufacturer(h, input.manufacturer)).id], actor.siteIds);
  } else {
    const withDocs = new Set((await allDocuments(h)).map((d) => d.model_id));
    models = (await modelsOf(h, undefined, actor.siteIds)).filter(
      (m) => m.active_devices > 0 || withDocs.has(m.id),
    );
  }
  const makers = new Map((await manufacturerRows(h)).map((m) => [m.id, m.name]));
  const full = await modelsWithDocuments(h, models, opts.now ?? new Date(), staleMonths);
  const documents = full.flatMap((m) =>
    m.documents
      .filter((d) => !input.kind || d.kind === input.kind)
      .map((d) => ({
        ...d,
        model: m.name,
        manufacturer: makers.get(models.find((x) => x.id === m.id)!.manufacturer_id) ?? '',
      })),
  );
  const explicit = Boolean(input.model || input.manufacturer);
  const warnings = full.filter((m) => explicit || m.activeDevices > 0).flatMap((m) => m.warnings);
  return { documents, warnings };
}
