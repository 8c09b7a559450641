/**
 * @module SQL for manufacturer relations (issue 7): manufacturer profiles (contacts), links to feed
 * subscriptions, model support dates, documents on file and when each kind was last requested, requests
 * to manufacturers with their models and events, and imported MDS2 forms with their answers.
 */
import { rowChunks, selectInChunks } from './batch.js';
import type {
  FeedSourceTable,
  ManufacturerProfileTable,
  ManufacturerRequestEventTable,
  ManufacturerRequestTable,
  ManufacturerTable,
  Mds2AnswerTable,
  Mds2FormTable,
  ModelDocumentTable,
  ModelSupportTable,
} from './schema.js';
import type { DbHandle } from './transaction.js';

export type ManufacturerProfileRow = ManufacturerProfileTable;
export type ModelDocumentRow = ModelDocumentTable;
export type ManufacturerRequestRow = ManufacturerRequestTable;
export type ManufacturerRequestEventRow = ManufacturerRequestEventTable;
export type Mds2FormRow = Mds2FormTable;
export type Mds2AnswerRow = Mds2AnswerTable;
export type ModelSupportRow = ModelSupportTable;

export interface ManufacturerWithProfile extends ManufacturerTable {
  profile: ManufacturerProfileRow | undefined;
}

/** Every named manufacturer (not the empty-name placeholder of models without one), with its profile. */
export async function manufacturerRows(h: DbHandle): Promise<ManufacturerWithProfile[]> {
  const makers = await h.db
    .selectFrom('manufacturers')
    .selectAll()
    .where('name', '!=', '')
    .orderBy('name')
    .execute();
  const profiles = await h.db.selectFrom('manufacturer_profiles').selectAll().execute();
  const byId = new Map(profiles.map((p) => [p.manufacturer_id, p]));
  return makers.map((m) => ({ ...m, profile: byId.get(m.id) }));
}

export async function manufacturerById(h: DbHandle, id: string): Promise<ManufacturerTable | undefined> {
  return h.db.selectFrom('manufacturers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every manufacturer with a name (the unnamed placeholder row is no company). */
export async function namedManufacturers(h: DbHandle): Promise<ManufacturerTable[]> {
  return h.db.selectFrom('manufacturers').selectAll().where('name', '!=', '').execute();
}

export async function manufacturerByKey(h: DbHandle, key: string): Promise<ManufacturerTable | undefined> {
  return h.db.selectFrom('manufacturers').selectAll().where('name_key', '=', key).executeTakeFirst();
}

export async function profileOf(
  h: DbHandle,
  manufacturerId: string,
): Promise<ManufacturerProfileRow | undefined> {
  return h.db
    .selectFrom('manufacturer_profiles')
    .selectAll()
    .where('manufacturer_id', '=', manufacturerId)
    .executeTakeFirst();
}

export async function upsertProfile(h: DbHandle, row: ManufacturerProfileRow): Promise<void> {
  const { manufacturer_id: _id, created_at: _c, ...patch } = row;
  await h.db
    .insertInto('manufacturer_profiles')
    .values(row)
    .onConflict((oc) => oc.column('manufacturer_id').doUpdateSet(patch))
    .execute();
}

export interface LinkedFeedRow extends FeedSourceTable {
  manufacturer_id: string;
  /** explicit: linked by a person; by-name: the subscription's manufacturer field names it. */
  link: 'explicit' | 'by-name';
}

/**
 * Feed subscriptions per manufacturer: the ones linked by hand, and the ones whose `manufacturer` field
 * names the manufacturer (what `vigil advisories subscribe --manufacturer` records).
 */
export async function linkedFeeds(
  h: DbHandle,
  makers: readonly { id: string; name_key: string }[],
  nameKey: (s: string | null) => string | null,
): Promise<LinkedFeedRow[]> {
  if (!makers.length) return [];
  const explicit = await selectInChunks(
    makers.map((m) => m.id),
    (part) =>
      h.db
        .selectFrom('manufacturer_feeds as l')
        .innerJoin('feed_sources as f', 'f.id', 'l.feed_source_id')
        .selectAll('f')
        .select('l.manufacturer_id')
        .where('l.manufacturer_id', 'in', part)
        .execute(),
  );
  const out: LinkedFeedRow[] = explicit.map((r) => ({ ...r, link: 'explicit' as const }));
  const have = new Set(out.map((r) => `${r.manufacturer_id}|${r.id}`));
  const byKey = new Map(makers.map((m) => [m.name_key, m.id]));
  const named = await h.db
    .selectFrom('feed_sources')
    .selectAll()
    .where('manufacturer', 'is not', null)
    .execute();
  for (const f of named) {
    const id = byKey.get(nameKey(f.manufacturer) ?? '');
    if (!id || have.has(`${id}|${f.id}`)) continue;
    out.push({ ...f, manufacturer_id: id, link: 'by-name' });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export async function feedSourceByRef(h: DbHandle, ref: string): Promise<FeedSourceTable | undefined> {
  return h.db
    .selectFrom('feed_sources')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)]))
    .executeTakeFirst();
}

export async function insertFeedLink(
  h: DbHandle,
  row: { manufacturer_id: string; feed_source_id: string; created_by: string; created_at: string },
): Promise<boolean> {
  const r = await h.db
    .insertInto('manufacturer_feeds')
    .values(row)
    .onConflict((oc) => oc.columns(['manufacturer_id', 'feed_source_id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function deleteFeedLink(
  h: DbHandle,
  manufacturerId: string,
  feedSourceId: string,
): Promise<boolean> {
  const r = await h.db
    .deleteFrom('manufacturer_feeds')
    .where('manufacturer_id', '=', manufacturerId)
    .where('feed_source_id', '=', feedSourceId)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export interface ModelOfManufacturerRow {
  id: string;
  manufacturer_id: string;
  name: string;
  model_number: string | null;
  end_of_support: string | null;
  end_of_sale: string | null;
  end_of_life: string | null;
  active_devices: number;
}

/** Devices of these sites only; undefined means every site, an empty list none. */
export type SiteScope = readonly string[] | undefined;
const NO_SITE = ['\u0000'];
const inSites = (s: readonly string[]) => (s.length ? [...s] : NO_SITE);

/**
 * Models (of some manufacturers, or all) with support dates and how many active devices run them (at
 * the sites given, else anywhere).
 */
export async function modelsOf(
  h: DbHandle,
  manufacturerIds?: readonly string[],
  siteIds?: SiteScope,
): Promise<ModelOfManufacturerRow[]> {
  let q = h.db
    .selectFrom('device_models as m')
    .leftJoin('model_support as s', 's.model_id', 'm.id')
    .select([
      'm.id',
      'm.manufacturer_id',
      'm.name',
      'm.model_number',
      'm.end_of_support',
      's.end_of_sale',
      's.end_of_life',
      (eb) => {
        let n = eb
          .selectFrom('devices as d')
          .select((e) => e.fn.countAll<string | number>().as('n'))
          .whereRef('d.model_id', '=', 'm.id')
          .where('d.state', '=', 'active');
        if (siteIds) n = n.where('d.site_id', 'in', inSites(siteIds));
        return n.as('active_devices');
      },
    ])
    .where('m.name', '!=', '')
    .orderBy('m.name');
  if (manufacturerIds) {
    if (!manufacturerIds.length) return [];
    q = q.where('m.manufacturer_id', 'in', [...manufacturerIds]);
  }
  const rows = await q.execute();
  return rows.map((r) => ({ ...r, active_devices: Number(r.active_devices ?? 0) }));
}

/** Active devices per manufacturer (also those of models with the empty name), at the sites given. */
export async function activeDevicesByManufacturer(
  h: DbHandle,
  siteIds?: SiteScope,
): Promise<Map<string, number>> {
  let q = h.db
    .selectFrom('devices as d')
    .innerJoin('device_models as m', 'm.id', 'd.model_id')
    .select(['m.manufacturer_id', (eb) => eb.fn.countAll<string | number>().as('n')])
    .where('d.state', '=', 'active');
  if (siteIds) q = q.where('d.site_id', 'in', inSites(siteIds));
  const rows = await q.groupBy('m.manufacturer_id').execute();
  return new Map(rows.map((r) => [r.manufacturer_id, Number(r.n)]));
}

export async function upsertModelSupport(h: DbHandle, row: ModelSupportRow): Promise<void> {
  const { model_id: _id, ...patch } = row;
  await h.db
    .insertInto('model_support')
    .values(row)
    .onConflict((oc) => oc.column('model_id').doUpdateSet(patch))
    .execute();
}

export async function setEndOfSupport(
  h: DbHandle,
  modelId: string,
  date: string | null,
  now: string,
): Promise<void> {
  await h.db
    .updateTable('device_models')
    .set({ end_of_support: date, updated_at: now })
    .where('id', '=', modelId)
    .execute();
}

export async function modelSupportRow(h: DbHandle, modelId: string): Promise<ModelSupportRow | undefined> {
  return h.db.selectFrom('model_support').selectAll().where('model_id', '=', modelId).executeTakeFirst();
}

export async function documentsOf(h: DbHandle, modelIds: readonly string[]): Promise<ModelDocumentRow[]> {
  const rows = await selectInChunks([...modelIds], (part) =>
    h.db.selectFrom('model_documents').selectAll().where('model_id', 'in', part).execute(),
  );
  return rows.sort(
    (a, b) => (b.document_date ?? '').localeCompare(a.document_date ?? '') || b.id.localeCompare(a.id),
  );
}

export async function allDocuments(h: DbHandle): Promise<ModelDocumentRow[]> {
  return h.db.selectFrom('model_documents').selectAll().orderBy('id').execute();
}

export async function documentByFile(
  h: DbHandle,
  modelId: string,
  kind: string,
  sha256: string,
): Promise<ModelDocumentRow | undefined> {
  return h.db
    .selectFrom('model_documents')
    .selectAll()
    .where('model_id', '=', modelId)
    .where('kind', '=', kind)
    .where('file_sha256', '=', sha256)
    .executeTakeFirst();
}

export async function insertDocument(h: DbHandle, row: ModelDocumentRow): Promise<void> {
  await h.db.insertInto('model_documents').values(row).execute();
}

/** Model ids that have an SBOM imported through `vigil sbom import`. */
export async function modelsWithImportedSbom(h: DbHandle): Promise<Set<string>> {
  const rows = await h.db.selectFrom('sboms').select('model_id').distinct().execute();
  return new Set(rows.map((r) => r.model_id));
}

export async function lastRequestedOf(
  h: DbHandle,
  modelIds: readonly string[],
): Promise<{ model_id: string; kind: string; last_requested: string }[]> {
  return selectInChunks([...modelIds], (part) =>
    h.db
      .selectFrom('model_document_requests')
      .select(['model_id', 'kind', 'last_requested'])
      .where('model_id', 'in', part)
      .execute(),
  );
}

/** Records a request for a kind of document; an earlier date never replaces a later one. */
export async function markRequested(
  h: DbHandle,
  modelId: string,
  kind: string,
  date: string,
  requestId: string,
): Promise<void> {
  await h.db
    .insertInto('model_document_requests')
    .values({ model_id: modelId, kind, last_requested: date, request_id: requestId })
    .onConflict((oc) =>
      oc
        .columns(['model_id', 'kind'])
        .doUpdateSet({ last_requested: date, request_id: requestId })
        // The stored date, qualified so both dialects read the existing row.
        .where('model_document_requests.last_requested', '<', date),
    )
    .execute();
}

export async function insertRequest(
  h: DbHandle,
  row: ManufacturerRequestRow,
  modelIds: readonly string[],
): Promise<void> {
  await h.db.insertInto('manufacturer_requests').values(row).execute();
  for (const part of rowChunks(modelIds.map((model_id) => ({ request_id: row.id, model_id }))))
    await h.db.insertInto('manufacturer_request_models').values(part).execute();
}

export async function updateRequest(
  h: DbHandle,
  id: string,
  patch: Partial<ManufacturerRequestRow>,
): Promise<void> {
  await h.db.updateTable('manufacturer_requests').set(patch).where('id', '=', id).execute();
}

export async function requestById(h: DbHandle, id: string): Promise<ManufacturerRequestRow | undefined> {
  return h.db.selectFrom('manufacturer_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Requests, newest first. With `siteIds`, only the requests of those sites: a request is of the sites
 * where devices of its models are (in any state, so a site keeps its questions about a model it retired);
 * a request with no such device (no models, or models with no device at any site) is of no site and
 * belongs to the whole hospital, so it is kept.
 */
export async function requestRows(
  h: DbHandle,
  f: {
    id?: string;
    manufacturerId?: string;
    status?: readonly string[];
    dueBefore?: string;
    siteIds?: SiteScope;
  } = {},
): Promise<ManufacturerRequestRow[]> {
  let q = h.db.selectFrom('manufacturer_requests as q').selectAll('q');
  if (f.id) q = q.where('q.id', '=', f.id);
  if (f.manufacturerId) q = q.where('manufacturer_id', '=', f.manufacturerId);
  if (f.status?.length) q = q.where('status', 'in', [...f.status]);
  if (f.dueBefore) q = q.where('due_date', 'is not', null).where('due_date', '<', f.dueBefore);
  const siteIds = f.siteIds;
  if (siteIds) {
    q = q.where((eb) => {
      const devicesOfModels = () =>
        eb
          .selectFrom('manufacturer_request_models as r')
          .innerJoin('devices as d', 'd.model_id', 'r.model_id')
          .select('d.id')
          .whereRef('r.request_id', '=', 'q.id')
          .where('d.site_id', 'is not', null);
      return eb.or([
        eb.not(eb.exists(devicesOfModels())),
        eb.exists(devicesOfModels().where('d.site_id', 'in', inSites(siteIds))),
      ]);
    });
  }
  return q.orderBy('q.requested_date', 'desc').orderBy('q.id', 'desc').execute();
}

export async function requestModels(
  h: DbHandle,
  requestIds: readonly string[],
): Promise<{ request_id: string; model_id: string; name: string }[]> {
  return selectInChunks([...requestIds], (part) =>
    h.db
      .selectFrom('manufacturer_request_models as r')
      .innerJoin('device_models as m', 'm.id', 'r.model_id')
      .select(['r.request_id', 'r.model_id', 'm.name'])
      .where('r.request_id', 'in', part)
      .orderBy('m.name')
      .execute(),
  );
}

export async function insertRequestEvent(h: DbHandle, row: ManufacturerRequestEventRow): Promise<void> {
  await h.db.insertInto('manufacturer_request_events').values(row).execute();
}

export async function requestEvents(
  h: DbHandle,
  requestIds: readonly string[],
): Promise<ManufacturerRequestEventRow[]> {
  const rows = await selectInChunks([...requestIds], (part) =>
    h.db.selectFrom('manufacturer_request_events').selectAll().where('request_id', 'in', part).execute(),
  );
  return rows.sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
}

export async function mds2FormByFile(
  h: DbHandle,
  modelId: string,
  sha256: string,
): Promise<Mds2FormRow | undefined> {
  return h.db
    .selectFrom('mds2_forms')
    .selectAll()
    .where('model_id', '=', modelId)
    .where('file_sha256', '=', sha256)
    .executeTakeFirst();
}

export async function mds2FormsOf(h: DbHandle, modelId: string): Promise<Mds2FormRow[]> {
  return h.db
    .selectFrom('mds2_forms')
    .selectAll()
    .where('model_id', '=', modelId)
    .orderBy('current', 'desc')
    .orderBy('imported_at', 'desc')
    .execute();
}

export async function currentMds2Forms(h: DbHandle): Promise<Mds2FormRow[]> {
  return h.db.selectFrom('mds2_forms').selectAll().where('current', '=', 1).execute();
}

export async function insertMds2Form(
  h: DbHandle,
  row: Mds2FormRow,
  answers: readonly Mds2AnswerRow[],
): Promise<void> {
  await h.db.insertInto('mds2_forms').values(row).execute();
  for (const part of rowChunks([...answers])) await h.db.insertInto('mds2_answers').values(part).execute();
}

export async function supersedeMds2Forms(
  h: DbHandle,
  modelId: string,
  exceptId: string,
  now: string,
): Promise<number> {
  const r = await h.db
    .updateTable('mds2_forms')
    .set({ current: 0, superseded_at: now })
    .where('model_id', '=', modelId)
    .where('current', '=', 1)
    .where('id', '!=', exceptId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function mds2Answers(h: DbHandle, formId: string): Promise<Mds2AnswerRow[]> {
  return h.db.selectFrom('mds2_answers').selectAll().where('form_id', '=', formId).orderBy('row').execute();
}
