/**
 * @module SQL for FDA recalls and device identity: idempotent upserts of recall/enforcement records,
 * product codes and GUDID devices (with every DI they carry), recall listings, the devices the
 * matcher reads, recall matches and their decisions, and the campaign opened per recall and model.
 */
import { sql } from 'kysely';
import { bulkInsert, chunks, selectInChunks } from './batch.js';
import type {
  FdaProductCodeTable,
  FdaRecallTable,
  GudidDeviceTable,
  GudidIdentifierTable,
  RecallCampaignTable,
  RecallMatchTable,
} from './schema.js';
import type { DbHandle } from './transaction.js';

export type RecallRow = FdaRecallTable;
export type ProductCodeRow = FdaProductCodeTable;
export type GudidRow = GudidDeviceTable;
export type GudidIdentifierRow = GudidIdentifierTable;
export type RecallMatchRow = RecallMatchTable;
export type RecallCampaignRow = RecallCampaignTable;

const RECALL_UPDATE = [
  'source',
  'event_number',
  'recall_number',
  'product_code',
  'k_numbers',
  'pma_numbers',
  'product_description',
  'code_info',
  'recalling_firm',
  'reason',
  'root_cause',
  'action',
  'classification',
  'status',
  'initiated',
  'posted',
  'terminated',
  'product_quantity',
  'device_name',
  'medical_specialty',
  'device_class',
  'regulation_number',
  'cyber',
  'cyber_terms',
  'source_file',
  'updated_at',
] as const;

/** Inserts new records and refreshes known ones (by natural key); ids and created_at stay. */
export async function upsertRecalls(h: DbHandle, rows: readonly RecallRow[]): Promise<void> {
  const unique = [...new Map(rows.map((r) => [r.natural_key, r])).values()];
  await bulkInsert(h, 'fda_recalls', unique, { conflict: ['natural_key'], update: RECALL_UPDATE });
}

export async function upsertProductCodes(h: DbHandle, rows: readonly ProductCodeRow[]): Promise<void> {
  const unique = [...new Map(rows.map((r) => [r.product_code, r])).values()];
  const update = Object.keys(unique[0] ?? {}).filter((c) => c !== 'product_code');
  await bulkInsert(h, 'fda_product_codes', unique, { conflict: ['product_code'], update });
}

export async function upsertGudid(
  h: DbHandle,
  rows: readonly GudidRow[],
  identifiers: readonly GudidIdentifierRow[],
): Promise<void> {
  const unique = [...new Map(rows.map((r) => [r.record_key, r])).values()];
  const update = Object.keys(unique[0] ?? {}).filter((c) => c !== 'record_key');
  await bulkInsert(h, 'gudid_devices', unique, { conflict: ['record_key'], update });
  const ids = [...new Map(identifiers.map((r) => [r.di, r])).values()];
  await bulkInsert(h, 'gudid_identifiers', ids, {
    conflict: ['di'],
    update: ['record_key', 'type', 'issuing_agency'],
  });
}

export async function countRecallTables(h: DbHandle): Promise<Record<string, number>> {
  const count = async (t: 'fda_recalls' | 'fda_product_codes' | 'gudid_devices') =>
    Number(
      (
        await h.db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .executeTakeFirst()
      )?.n ?? 0,
    );
  return {
    recalls: await count('fda_recalls'),
    productCodes: await count('fda_product_codes'),
    gudidDevices: await count('gudid_devices'),
  };
}

export interface RecallFilter {
  cyber?: boolean;
  source?: string;
  productCode?: string;
  firm?: string;
  /** Only recalls with a match in one of these states. */
  matchStates?: readonly string[];
}

function recallQuery(h: DbHandle, f: RecallFilter) {
  let q = h.db.selectFrom('fda_recalls as r');
  if (f.cyber !== undefined) q = q.where('r.cyber', '=', f.cyber ? 1 : 0);
  if (f.source) q = q.where('r.source', '=', f.source);
  if (f.productCode) q = q.where('r.product_code', '=', f.productCode.toUpperCase());
  // lower() on both sides: LIKE is case-insensitive on SQLite but not on PostgreSQL.
  if (f.firm)
    q = q.where(sql`lower(r.recalling_firm)`, 'like', `%${f.firm.toLowerCase().replace(/[%_\\]/g, '')}%`);
  if (f.matchStates?.length) {
    const states = [...f.matchStates];
    q = q.where('r.id', 'in', (eb) =>
      eb.selectFrom('recall_matches').select('recall_id').where('state', 'in', states),
    );
  }
  return q;
}

export async function listRecallRows(
  h: DbHandle,
  f: RecallFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: RecallRow[]; total: number }> {
  const rows = await recallQuery(h, f)
    .selectAll('r')
    // Undated records last on both dialects (SQLite and PostgreSQL place NULLs differently).
    .orderBy(sql`case when r.initiated is null then 1 else 0 end`)
    .orderBy('r.initiated', 'desc')
    .orderBy('r.id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const t = await recallQuery(h, f)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirst();
  return { rows, total: Number(t?.n ?? 0) };
}

/** By id, or by recall number (Z-0418-05; the recall source first). */
export async function findRecall(h: DbHandle, ref: string): Promise<RecallRow | undefined> {
  const byId = await h.db.selectFrom('fda_recalls').selectAll().where('id', '=', ref).executeTakeFirst();
  if (byId) return byId;
  const rows = await h.db
    .selectFrom('fda_recalls')
    .selectAll()
    .where('recall_number', '=', ref.trim().toUpperCase())
    .execute();
  return rows.find((r) => r.source === 'recall') ?? rows[0];
}

export async function recallsByNumber(h: DbHandle, numbers: readonly string[]): Promise<RecallRow[]> {
  return selectInChunks([...new Set(numbers)], (part) =>
    h.db.selectFrom('fda_recalls').selectAll().where('recall_number', 'in', part).execute(),
  );
}

export async function recallsByIds(h: DbHandle, ids: readonly string[]): Promise<RecallRow[]> {
  return selectInChunks([...new Set(ids)], (part) =>
    h.db.selectFrom('fda_recalls').selectAll().where('id', 'in', part).execute(),
  );
}

/** Recalls in id order after a cursor, a page at a time (the matcher walks all of them). */
export async function recallPage(h: DbHandle, after: string, limit: number): Promise<RecallRow[]> {
  return h.db
    .selectFrom('fda_recalls')
    .selectAll()
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function productCodeRow(h: DbHandle, code: string): Promise<ProductCodeRow | undefined> {
  return h.db.selectFrom('fda_product_codes').selectAll().where('product_code', '=', code).executeTakeFirst();
}

/** GUDID records carrying any of these DIs (primary or package). */
export async function gudidByDis(
  h: DbHandle,
  dis: readonly string[],
): Promise<(GudidRow & { matched_di: string })[]> {
  return selectInChunks([...new Set(dis)], (part) =>
    h.db
      .selectFrom('gudid_identifiers as i')
      .innerJoin('gudid_devices as g', 'g.record_key', 'i.record_key')
      .selectAll('g')
      .select('i.di as matched_di')
      .where('i.di', 'in', part)
      .execute(),
  );
}

/** GUDID records whose model or catalog number key is one of these. */
export async function gudidByModelKeys(h: DbHandle, keys: readonly string[]): Promise<GudidRow[]> {
  const a = await selectInChunks([...new Set(keys)], (part) =>
    h.db.selectFrom('gudid_devices').selectAll().where('model_key', 'in', part).execute(),
  );
  const b = await selectInChunks([...new Set(keys)], (part) =>
    h.db.selectFrom('gudid_devices').selectAll().where('catalog_key', 'in', part).execute(),
  );
  return [...new Map([...a, ...b].map((r) => [r.record_key, r])).values()];
}

/** A live device as the matcher sees it, with its model and manufacturer. */
export interface MatchDevice {
  id: string;
  asset_tag: string | null;
  serial_number: string | null;
  udi: string | null;
  model_id: string | null;
  model: string | null;
  model_number: string | null;
  product_code: string | null;
  manufacturer: string | null;
  site_id: string | null;
}

export async function liveDevicesForMatching(h: DbHandle): Promise<MatchDevice[]> {
  return h.db
    .selectFrom('devices as d')
    .leftJoin('device_models as m', 'm.id', 'd.model_id')
    .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
    .select([
      'd.id as id',
      'd.asset_tag as asset_tag',
      'd.serial_number as serial_number',
      'd.udi as udi',
      'd.model_id as model_id',
      'm.name as model',
      'm.model_number as model_number',
      'm.fda_product_code as product_code',
      'f.name as manufacturer',
      'd.site_id as site_id',
    ])
    .where('d.state', 'in', ['staged', 'active'])
    .orderBy('d.id')
    .execute();
}

// ---- matches ----

export async function matchesOfRecalls(h: DbHandle, recallIds: readonly string[]): Promise<RecallMatchRow[]> {
  return selectInChunks([...new Set(recallIds)], (part) =>
    h.db.selectFrom('recall_matches').selectAll().where('recall_id', 'in', part).execute(),
  );
}

export async function insertMatch(h: DbHandle, row: RecallMatchRow): Promise<void> {
  await h.db.insertInto('recall_matches').values(row).execute();
}

export async function updateMatch(h: DbHandle, id: string, patch: Partial<RecallMatchRow>): Promise<void> {
  await h.db.updateTable('recall_matches').set(patch).where('id', '=', id).execute();
}

export async function deleteMatches(h: DbHandle, ids: readonly string[]): Promise<void> {
  for (const part of chunks([...new Set(ids)]))
    await h.db.deleteFrom('recall_matches').where('id', 'in', part).execute();
}

export async function getMatchRow(h: DbHandle, id: string): Promise<RecallMatchRow | undefined> {
  return h.db.selectFrom('recall_matches').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A match with what listings show beside it. */
export type RecallMatchView = RecallMatchRow & {
  recall_number: string;
  recall_source: string;
  product_code: string | null;
  recalling_firm: string | null;
  cyber: number;
  asset_tag: string | null;
  serial_number: string | null;
  site_id: string | null;
  model: string | null;
};

export interface MatchFilter {
  states?: readonly string[];
  recallId?: string;
  deviceId?: string;
  cyber?: boolean;
  siteIds?: readonly string[];
}

export async function listMatchViews(h: DbHandle, f: MatchFilter = {}): Promise<RecallMatchView[]> {
  let q = h.db
    .selectFrom('recall_matches as x')
    .innerJoin('fda_recalls as r', 'r.id', 'x.recall_id')
    .innerJoin('devices as d', 'd.id', 'x.device_id')
    .leftJoin('device_models as m', 'm.id', 'x.model_id')
    .selectAll('x')
    .select([
      'r.recall_number as recall_number',
      'r.source as recall_source',
      'r.product_code as product_code',
      'r.recalling_firm as recalling_firm',
      'r.cyber as cyber',
      'd.asset_tag as asset_tag',
      'd.serial_number as serial_number',
      'd.site_id as site_id',
      'm.name as model',
    ]);
  if (f.states?.length) q = q.where('x.state', 'in', [...f.states]);
  if (f.recallId) q = q.where('x.recall_id', '=', f.recallId);
  if (f.deviceId) q = q.where('x.device_id', '=', f.deviceId);
  if (f.cyber !== undefined) q = q.where('r.cyber', '=', f.cyber ? 1 : 0);
  if (f.siteIds) q = q.where('d.site_id', 'in', f.siteIds.length ? [...f.siteIds] : ['\u0000']);
  return q.orderBy('x.recall_id').orderBy('x.id').execute();
}

// ---- campaigns per recall and model ----

export async function recallCampaign(
  h: DbHandle,
  recallId: string,
  modelId: string,
): Promise<RecallCampaignRow | undefined> {
  return h.db
    .selectFrom('recall_campaigns')
    .selectAll()
    .where('recall_id', '=', recallId)
    .where('model_id', '=', modelId)
    .executeTakeFirst();
}

export async function recallCampaignsOf(h: DbHandle, recallId: string): Promise<RecallCampaignRow[]> {
  return h.db.selectFrom('recall_campaigns').selectAll().where('recall_id', '=', recallId).execute();
}

export async function insertRecallCampaign(h: DbHandle, row: RecallCampaignRow): Promise<void> {
  await h.db.insertInto('recall_campaigns').values(row).execute();
}
