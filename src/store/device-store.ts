/**
 * @module SQL for devices, their identifiers (MAC, IP, hostname, each with source and first/last seen;
 * old IPs are kept as history) and their facts (one per device, field and source). Lists filter, sort
 * and page in SQL and then fetch the identifiers of the whole page in one query, so a page costs two
 * queries (three with the total) at any inventory size. Keyset paging uses row-value comparison,
 * which SQLite (3.15+) and PostgreSQL both support.
 */
import { type Expression, type RawBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import type {
  Criticality,
  Device,
  DeviceClass,
  DeviceFact,
  DeviceIdentifier,
  DeviceState,
  IdentifierKind,
} from '../inventory/device.js';
import type { KnownDevice } from '../inventory/identity.js';
import { bulkInsert, chunks } from './batch.js';
import { takeLock } from './locks.js';
import type { Database, DeviceFactTable, DeviceIdentifierTable, DeviceTable } from './schema.js';
import { siteNameKey } from './site-store.js';
import type { DbHandle } from './transaction.js';

export type DeviceRow = DeviceTable;
export type IdentifierRow = DeviceIdentifierTable;
export type FactRow = DeviceFactTable;

/** A device as stored: the Device contract plus the ids and keys the inventory service works with. */
export interface StoredDevice extends Omit<Device, 'services' | 'protocols' | 'dicom' | 'hl7'> {
  modelId: string | null;
  siteId: string | null;
  mergedInto: string | null;
  known: KnownDevice;
  identifiers: DeviceIdentifier[];
}

// ---------------------------------------------------------------------------------------------------
// Reading devices

type Joined = SelectQueryBuilder<
  Database & {
    d: DeviceTable;
    m: Database['device_models'];
    f: Database['manufacturers'];
    s: Database['sites'];
  },
  'd' | 'm' | 'f' | 's',
  object
>;

function joined(h: DbHandle): Joined {
  return h.db
    .selectFrom('devices as d')
    .leftJoin('device_models as m', 'm.id', 'd.model_id')
    .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
    .leftJoin('sites as s', 's.id', 'd.site_id') as unknown as Joined;
}

const deviceColumns = (q: Joined) =>
  q
    .selectAll('d')
    .select([
      'm.name as model_name',
      'm.model_number as model_number',
      'f.name as manufacturer_name',
      'f.name_key as manufacturer_key',
      's.name as site_name',
    ]);

type JoinedRow = DeviceRow & {
  model_name: string | null;
  model_number: string | null;
  manufacturer_name: string | null;
  manufacturer_key: string | null;
  site_name: string | null;
};

const orNull = (s: string | null | undefined) => (s ? s : null);

function toStored(r: JoinedRow, identifiers: IdentifierRow[]): StoredDevice {
  const idents: DeviceIdentifier[] = identifiers.map((i) => ({
    kind: i.kind as IdentifierKind,
    value: i.value,
    source: i.source,
    firstSeen: i.first_seen,
    lastSeen: i.last_seen,
  }));
  const of = (kind: IdentifierKind) => idents.filter((i) => i.kind === kind).map((i) => i.value);
  const manufacturerKey = orNull(r.manufacturer_key);
  return {
    id: r.id,
    assetTag: r.asset_tag,
    serialNumber: r.serial_number,
    udi: r.udi,
    manufacturer: orNull(r.manufacturer_name),
    model: orNull(r.model_name),
    modelNumber: r.model_number,
    deviceClass: r.device_class as DeviceClass,
    macs: of('mac'),
    ips: of('ip'),
    hostnames: of('hostname'),
    firmwareVersion: r.firmware_version,
    softwareVersion: r.software_version,
    os: r.os,
    osVersion: r.os_version,
    osEndOfSupport: r.os_end_of_support,
    criticality: r.criticality as Criticality | null,
    ephi: r.ephi === null ? null : r.ephi === 1,
    site: r.site_name,
    building: r.building,
    floor: r.floor,
    room: r.room,
    department: r.department,
    owner: r.owner,
    state: r.state as DeviceState,
    lifecycleStatus: r.lifecycle_status,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    modelId: r.model_id,
    siteId: r.site_id,
    mergedInto: r.merged_into,
    known: {
      id: r.id,
      assetTagKey: r.asset_tag_key,
      udiKey: r.udi_key,
      serialKey: r.serial_key,
      manufacturerKey: manufacturerKey === 'unknown' ? null : manufacturerKey,
    },
    identifiers: idents,
  };
}

/** Identifiers of many devices in one query; IPs newest first, so `ips[0]` is the current address. */
export async function identifiersOf(
  h: DbHandle,
  deviceIds: readonly string[],
): Promise<Map<string, IdentifierRow[]>> {
  const out = new Map<string, IdentifierRow[]>();
  for (const part of chunks([...new Set(deviceIds)])) {
    const rows = await h.db
      .selectFrom('device_identifiers')
      .selectAll()
      .where('device_id', 'in', part)
      .orderBy('device_id')
      .orderBy('kind')
      .orderBy('last_seen', 'desc')
      .orderBy('value')
      .execute();
    for (const r of rows) {
      const list = out.get(r.device_id) ?? [];
      list.push(r);
      out.set(r.device_id, list);
    }
  }
  return out;
}

async function withIdentifiers(h: DbHandle, rows: JoinedRow[]): Promise<StoredDevice[]> {
  const idents = await identifiersOf(
    h,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toStored(r, idents.get(r.id) ?? []));
}

export async function getDevices(h: DbHandle, ids: readonly string[]): Promise<StoredDevice[]> {
  const rows: JoinedRow[] = [];
  for (const part of chunks([...new Set(ids)])) {
    rows.push(...((await deviceColumns(joined(h)).where('d.id', 'in', part).execute()) as JoinedRow[]));
  }
  return withIdentifiers(h, rows);
}

export async function getDevice(h: DbHandle, id: string): Promise<StoredDevice | undefined> {
  return (await getDevices(h, [id]))[0];
}

/** Devices (not merged) whose asset tag key, serial key or one identifier equals the given values. */
export async function findDeviceIdsByRef(
  h: DbHandle,
  ref: {
    id?: string;
    key?: string | null;
    mac?: string | null;
    ip?: string | null;
    hostname?: string | null;
  },
): Promise<string[]> {
  const ids = new Set<string>();
  if (ref.id) {
    const r = await h.db.selectFrom('devices').select('id').where('id', '=', ref.id).executeTakeFirst();
    if (r) return [r.id];
  }
  if (ref.key) {
    const rows = await h.db
      .selectFrom('devices')
      .select('id')
      .where((eb) =>
        eb.or([
          eb('asset_tag_key', '=', ref.key!),
          eb('serial_key', '=', ref.key!),
          eb('udi_key', '=', ref.key!),
        ]),
      )
      .where('state', '<>', 'merged')
      .execute();
    for (const r of rows) ids.add(r.id);
  }
  for (const [kind, value] of [
    ['mac', ref.mac],
    ['ip', ref.ip],
    ['hostname', ref.hostname],
  ] as const) {
    if (!value) continue;
    const rows = await h.db
      .selectFrom('device_identifiers as i')
      .innerJoin('devices as d', 'd.id', 'i.device_id')
      .select('d.id')
      .where('i.kind', '=', kind)
      .where('i.value', '=', value)
      .where('d.state', '<>', 'merged')
      .execute();
    for (const r of rows) ids.add(r.id);
  }
  return [...ids].sort();
}

/**
 * Merged duplicates whose own asset tag, serial number or UDI has this key. A merge clears the
 * duplicate's key columns (the target may take them), so this compares the kept text, lower-cased by
 * the database (ASCII on SQLite: enough for a hint). Only for the "not found" a person gets instead.
 */
export async function findMergedIdsByKey(h: DbHandle, key: string): Promise<string[]> {
  const rows = await h.db
    .selectFrom('devices')
    .select('id')
    .where((eb) =>
      eb.or((['asset_tag', 'serial_number', 'udi'] as const).map((c) => eb(eb.fn('lower', [c]), '=', key))),
    )
    .where('state', '=', 'merged')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------------------------------------------
// Identity lookups

export interface IdentityKeySets {
  assetTagKeys: readonly string[];
  udiKeys: readonly string[];
  serialKeys: readonly string[];
  macs: readonly string[];
  ips: readonly string[];
  hostnames: readonly string[];
}

export interface IdentityCandidates {
  devices: KnownDevice[];
  /** Identifier rows of those devices that equal one of the requested MACs, IPs or hostnames. */
  identifiers: { deviceId: string; kind: IdentifierKind; value: string }[];
}

/**
 * Every record (not merged) that any of the keys reaches, with one query per key kind and chunk, so an
 * import resolves all its rows from memory afterwards.
 */
export async function findIdentityCandidates(
  h: DbHandle,
  keys: IdentityKeySets,
): Promise<IdentityCandidates> {
  const known = new Map<string, KnownDevice>();
  const identifiers: IdentityCandidates['identifiers'] = [];
  const knownQuery = () =>
    h.db
      .selectFrom('devices as d')
      .leftJoin('device_models as m', 'm.id', 'd.model_id')
      .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
      .select(['d.id', 'd.asset_tag_key', 'd.udi_key', 'd.serial_key', 'f.name_key as manufacturer_key'])
      .where('d.state', '<>', 'merged');
  const keep = (
    rows: {
      id: string;
      asset_tag_key: string | null;
      udi_key: string | null;
      serial_key: string | null;
      manufacturer_key: string | null;
    }[],
  ) => {
    for (const r of rows) {
      const mk = orNull(r.manufacturer_key);
      known.set(r.id, {
        id: r.id,
        assetTagKey: r.asset_tag_key,
        udiKey: r.udi_key,
        serialKey: r.serial_key,
        manufacturerKey: mk === 'unknown' ? null : mk,
      });
    }
  };
  const columns = [
    ['d.asset_tag_key', keys.assetTagKeys],
    ['d.udi_key', keys.udiKeys],
    ['d.serial_key', keys.serialKeys],
  ] as const;
  for (const [column, values] of columns) {
    for (const part of chunks([...new Set(values)]))
      keep(await knownQuery().where(column, 'in', part).execute());
  }
  const kinds = [
    ['mac', keys.macs],
    ['ip', keys.ips],
    ['hostname', keys.hostnames],
  ] as const;
  const viaIdentifier = new Set<string>();
  for (const [kind, values] of kinds) {
    for (const part of chunks([...new Set(values)])) {
      const rows = await h.db
        .selectFrom('device_identifiers as i')
        .innerJoin('devices as d', 'd.id', 'i.device_id')
        .select(['i.device_id', 'i.value'])
        .where('i.kind', '=', kind)
        .where('i.value', 'in', part)
        .where('d.state', '<>', 'merged')
        .execute();
      for (const r of rows) {
        identifiers.push({ deviceId: r.device_id, kind, value: r.value });
        if (!known.has(r.device_id)) viaIdentifier.add(r.device_id);
      }
    }
  }
  for (const part of chunks([...viaIdentifier])) keep(await knownQuery().where('d.id', 'in', part).execute());
  return { devices: [...known.values()], identifiers };
}

// ---------------------------------------------------------------------------------------------------
// Writing devices, identifiers and facts

/**
 * Serialises whole-inventory writers (CMMS import, merges, manual edits) with every other inventory
 * writer for the rest of the transaction: identity resolution reads, then writes, and two writers naming
 * the same new device at once must not both decide it is new. Observations lock only their identity keys
 * (`lockIdentityKeys` in locks.ts, under the shared mode of this lock). SQLite runs one write
 * transaction at a time already.
 */
export async function lockInventory(h: DbHandle): Promise<void> {
  await takeLock(h, 'inventory');
}

export async function insertDevices(h: DbHandle, rows: readonly DeviceRow[]): Promise<void> {
  await bulkInsert(h, 'devices', rows);
}

export async function updateDevice(h: DbHandle, id: string, patch: Partial<DeviceRow>): Promise<void> {
  if (Object.keys(patch).length === 0) return;
  await h.db.updateTable('devices').set(patch).where('id', '=', id).execute();
}

export async function insertIdentifiers(h: DbHandle, rows: readonly IdentifierRow[]): Promise<void> {
  await bulkInsert(h, 'device_identifiers', rows);
}

export async function listIdentifierRows(h: DbHandle, deviceId: string): Promise<IdentifierRow[]> {
  return h.db.selectFrom('device_identifiers').selectAll().where('device_id', '=', deviceId).execute();
}

export async function updateIdentifier(
  h: DbHandle,
  id: string,
  patch: Partial<IdentifierRow>,
): Promise<void> {
  await h.db.updateTable('device_identifiers').set(patch).where('id', '=', id).execute();
}

export async function deleteIdentifiers(h: DbHandle, ids: readonly string[]): Promise<void> {
  for (const part of chunks(ids))
    await h.db.deleteFrom('device_identifiers').where('id', 'in', part).execute();
}

export async function deleteIdentifierValues(
  h: DbHandle,
  deviceId: string,
  values: readonly { kind: string; value: string }[],
): Promise<void> {
  for (const v of values) {
    await h.db
      .deleteFrom('device_identifiers')
      .where('device_id', '=', deviceId)
      .where('kind', '=', v.kind)
      .where('value', '=', v.value)
      .execute();
  }
}

/** Moves last-seen of a device's identifiers forward (never back) to `seenAt`. */
export async function touchIdentifiers(
  h: DbHandle,
  deviceId: string,
  values: readonly { kind: string; value: string }[],
  firstSeen: string,
  lastSeen: string,
): Promise<void> {
  for (const kind of new Set(values.map((v) => v.kind))) {
    const list = values.filter((v) => v.kind === kind).map((v) => v.value);
    const only = (q: ReturnType<typeof h.db.updateTable<'device_identifiers'>>) =>
      q.where('device_id', '=', deviceId).where('kind', '=', kind).where('value', 'in', list);
    // Times only widen: an older capture imported late moves first-seen back, never last-seen.
    await only(h.db.updateTable('device_identifiers').set({ last_seen: lastSeen }))
      .where('last_seen', '<', lastSeen)
      .execute();
    await only(h.db.updateTable('device_identifiers').set({ first_seen: firstSeen }))
      .where('first_seen', '>', firstSeen)
      .execute();
  }
}

/**
 * Inserts facts, or replaces value, reference, confidence and last-seen of the (device, field, source) already there;
 * with `times: 'both'` first-seen too (the caller worked out both from the fact it replaces).
 */
export async function upsertFacts(
  h: DbHandle,
  rows: readonly FactRow[],
  opts: { times?: 'last' | 'both' } = {},
): Promise<void> {
  await bulkInsert(h, 'device_facts', rows, {
    conflict: ['device_id', 'field', 'source'],
    update:
      opts.times === 'both'
        ? ['value', 'source_ref', 'first_seen', 'last_seen', 'confidence']
        : ['value', 'source_ref', 'last_seen', 'confidence'],
  });
}

export async function factRowsOf(
  h: DbHandle,
  deviceIds: readonly string[],
  source?: string,
): Promise<FactRow[]> {
  const out: FactRow[] = [];
  for (const part of chunks([...new Set(deviceIds)])) {
    let q = h.db.selectFrom('device_facts').selectAll().where('device_id', 'in', part);
    if (source) q = q.where('source', '=', source);
    out.push(...(await q.orderBy('device_id').orderBy('field').orderBy('source').execute()));
  }
  return out;
}

/** One source's facts of many devices as device → field → value (for comparing an import). */
export async function factValuesOf(
  h: DbHandle,
  deviceIds: readonly string[],
  source: string,
): Promise<Map<string, Map<string, string | null>>> {
  const out = new Map<string, Map<string, string | null>>();
  for (const part of chunks([...new Set(deviceIds)], 1000)) {
    const rows = await h.db
      .selectFrom('device_facts')
      .select(['device_id', 'field', 'value'])
      .where('device_id', 'in', part)
      .where('source', '=', source)
      .execute();
    for (const r of rows) {
      const m = out.get(r.device_id) ?? new Map<string, string | null>();
      m.set(r.field, r.value);
      out.set(r.device_id, m);
    }
  }
  return out;
}

export async function deleteFacts(h: DbHandle, ids: readonly string[]): Promise<void> {
  for (const part of chunks([...ids])) {
    if (part.length) await h.db.deleteFrom('device_facts').where('id', 'in', part).execute();
  }
}

export async function updateFact(h: DbHandle, id: string, patch: Partial<FactRow>): Promise<void> {
  await h.db.updateTable('device_facts').set(patch).where('id', '=', id).execute();
}

export function toFact(r: FactRow): DeviceFact {
  return {
    field: r.field,
    value: r.value,
    source: r.source,
    sourceRef: r.source_ref,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    confidence: r.confidence,
  };
}

/** Records that were merged into `from` now point straight at `to`, so chains never form. */
export async function repointMerged(h: DbHandle, from: string, to: string): Promise<void> {
  await h.db.updateTable('devices').set({ merged_into: to }).where('merged_into', '=', from).execute();
}

// ---------------------------------------------------------------------------------------------------
// Listing

export const DEVICE_SORTS = [
  'assetTag',
  'serialNumber',
  'manufacturer',
  'model',
  'deviceClass',
  'criticality',
  'site',
  'department',
  'state',
  'lastSeen',
  'firstSeen',
  'createdAt',
  'updatedAt',
] as const;
export type DeviceSort = (typeof DEVICE_SORTS)[number];

export interface DeviceFilter {
  /** Only these sites (an actor limited to sites); devices without a site are then out of scope. */
  scopeSiteIds?: readonly string[] | undefined;
  /** A site id or name. */
  site?: string | undefined;
  deviceClass?: string | undefined;
  /** Substring of the manufacturer's name key (`identity.nameKey` of what the user typed). */
  manufacturerKey?: string | undefined;
  /** Substring of the model's name key or model number. */
  modelKey?: string | undefined;
  criticality?: string | undefined;
  ephi?: boolean | undefined;
  /** ISO-8601; last seen at or after. */
  seenSince?: string | undefined;
  /** Default: every state but `merged`. */
  states?: readonly string[] | undefined;
  /** Substring (lower case) of asset tag, serial, UDI or any MAC, IP or hostname. */
  q?: string | undefined;
  /** YYYY-MM-DD: the operating system's end of support is known and on or before this day. */
  osEndOfSupportBefore?: string | undefined;
  /** true: has an affected or needs-review vulnerability match; false: has none. */
  vulnerable?: boolean | undefined;
}

export interface DevicePageRequest {
  sort: DeviceSort;
  order: 'asc' | 'desc';
  limit: number;
  offset?: number | undefined;
  /** Keyset paging: the `nextCursor` of the previous page. */
  after?: string | undefined;
}

export interface DevicePage {
  items: StoredDevice[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

const CRITICALITY_RANK = sql<number>`case d.criticality when 'life-sustaining' then 1 when 'life-supporting' then 2 when 'diagnostic' then 3 when 'therapeutic-non-critical' then 4 when 'non-clinical' then 5 else 9 end`;

const SORT_EXPRESSIONS: Record<
  DeviceSort,
  { expr: RawBuilder<unknown>; nullable: boolean; numeric?: boolean }
> = {
  assetTag: { expr: sql`d.asset_tag_key`, nullable: true },
  serialNumber: { expr: sql`d.serial_key`, nullable: true },
  manufacturer: { expr: sql`nullif(f.name_key, '')`, nullable: true },
  model: { expr: sql`nullif(m.name_key, '')`, nullable: true },
  deviceClass: { expr: sql`d.device_class`, nullable: false },
  criticality: { expr: CRITICALITY_RANK, nullable: false, numeric: true },
  site: { expr: sql`s.name_key`, nullable: true },
  department: { expr: sql`lower(d.department)`, nullable: true },
  state: { expr: sql`d.state`, nullable: false },
  lastSeen: { expr: sql`d.last_seen`, nullable: true },
  firstSeen: { expr: sql`d.first_seen`, nullable: true },
  createdAt: { expr: sql`d.created_at`, nullable: false },
  updatedAt: { expr: sql`d.updated_at`, nullable: false },
};

/**
 * The sort key as a tuple of non-null parts ending in the id, so that (key) > (cursor) is a total
 * order. A nullable field contributes a flag first that puts unknown values last in either direction.
 */
function sortKey(
  sort: DeviceSort,
  order: 'asc' | 'desc',
  dialect: DbHandle['dialect'],
): { parts: RawBuilder<unknown>[]; numeric: boolean[] } {
  const s = SORT_EXPRESSIONS[sort];
  const parts: RawBuilder<unknown>[] = [];
  const numeric: boolean[] = [];
  // Byte order on both dialects: the same order everywhere, and PostgreSQL sorts far faster than
  // with a locale collation. (SQLite compares bytes already.)
  const text = (e: RawBuilder<unknown>) => (dialect === 'postgres' ? sql`${e} collate "C"` : e);
  if (s.nullable) {
    parts.push(
      order === 'asc'
        ? sql`case when ${s.expr} is null then 1 else 0 end`
        : sql`case when ${s.expr} is null then 0 else 1 end`,
    );
    numeric.push(true);
    parts.push(text(sql`coalesce(${s.expr}, '')`));
    numeric.push(false);
  } else {
    parts.push(s.numeric ? s.expr : text(s.expr));
    numeric.push(Boolean(s.numeric));
  }
  parts.push(text(sql`d.id`));
  numeric.push(false);
  return { parts, numeric };
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const like = (column: RawBuilder<unknown> | Expression<unknown>, pattern: string) =>
  sql<SqlBool>`${column} like ${pattern} escape '\\'`;

function applyFilter<Q extends Joined>(q: Q, f: DeviceFilter): Q {
  let out = q as Joined;
  if (f.scopeSiteIds)
    out = f.scopeSiteIds.length
      ? out.where('d.site_id', 'in', f.scopeSiteIds)
      : out.where(sql<SqlBool>`1 = 0`);
  if (f.states?.length) out = out.where('d.state', 'in', f.states);
  else out = out.where('d.state', '<>', 'merged');
  if (f.site) {
    const site = f.site;
    out = out.where(
      sql<SqlBool>`d.site_id in (select id from sites where id = ${site} or name_key = ${siteNameKey(site)})`,
    );
  }
  if (f.deviceClass) out = out.where('d.device_class', '=', f.deviceClass);
  if (f.criticality === 'none') out = out.where('d.criticality', 'is', null);
  else if (f.criticality) out = out.where('d.criticality', '=', f.criticality);
  if (f.ephi !== undefined) out = out.where('d.ephi', '=', f.ephi ? 1 : 0);
  if (f.seenSince) out = out.where('d.last_seen', '>=', f.seenSince);
  if (f.osEndOfSupportBefore) out = out.where('d.os_end_of_support', '<=', f.osEndOfSupportBefore);
  if (f.vulnerable !== undefined) {
    // The (device_id, vuln_key) unique index answers this per device.
    const open = sql<SqlBool>`exists (select 1 from vulnerability_matches vm where vm.device_id = d.id and vm.status in ('affected', 'needs-review'))`;
    out = out.where(f.vulnerable ? open : sql<SqlBool>`not ${open}`);
  }
  if (f.manufacturerKey !== undefined) {
    const p = `%${escapeLike(f.manufacturerKey)}%`;
    out = out.where(
      sql<SqlBool>`d.model_id in (select dm.id from device_models dm join manufacturers mf on mf.id = dm.manufacturer_id where ${like(sql`mf.name_key`, p)})`,
    );
  }
  if (f.modelKey !== undefined) {
    const p = `%${escapeLike(f.modelKey)}%`;
    out = out.where(
      sql<SqlBool>`d.model_id in (select dm.id from device_models dm where ${like(sql`dm.name_key`, p)} or ${like(sql`lower(dm.model_number)`, p)})`,
    );
  }
  if (f.q) {
    const p = `%${escapeLike(f.q.toLowerCase())}%`;
    out = out.where(
      sql<SqlBool>`(${like(sql`d.asset_tag_key`, p)} or ${like(sql`d.serial_key`, p)} or ${like(sql`d.udi_key`, p)} or d.id in (select di.device_id from device_identifiers di where ${like(sql`di.value`, p)}))`,
    );
  }
  return out as Q;
}

function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

function decodeCursor(cursor: string, numeric: boolean[]): (string | number)[] | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(v) || v.length !== numeric.length) return undefined;
    if (!v.every((x, i) => (numeric[i] ? typeof x === 'number' : typeof x === 'string'))) return undefined;
    return v as (string | number)[];
  } catch {
    return undefined;
  }
}

export class InvalidCursorError extends Error {}

/** Sorts that need a joined table; the others sort on `devices` alone. */
const SORT_JOINS: Partial<Record<DeviceSort, 'model' | 'manufacturer' | 'site'>> = {
  manufacturer: 'manufacturer',
  model: 'model',
  site: 'site',
};

/**
 * Two steps: the page's ids (and sort keys) from `devices` with only the join the sort needs, so the
 * database sorts narrow rows; then the full rows of just those ids.
 */
export async function queryDevices(
  h: DbHandle,
  filter: DeviceFilter,
  page: DevicePageRequest,
): Promise<DevicePage> {
  const { parts, numeric } = sortKey(page.sort, page.order, h.dialect);
  const join = SORT_JOINS[page.sort];
  let base = h.db.selectFrom('devices as d') as unknown as Joined;
  if (join === 'model' || join === 'manufacturer')
    base = base.leftJoin('device_models as m', 'm.id', 'd.model_id') as unknown as Joined;
  if (join === 'manufacturer')
    base = base.leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id') as unknown as Joined;
  if (join === 'site') base = base.leftJoin('sites as s', 's.id', 'd.site_id') as unknown as Joined;
  // The sort key parts ride along as k0, k1… so the last row of a page yields the next cursor.
  let q = applyFilter(base, filter).select([
    'd.id',
    ...parts.map((p, i) => p.as(`k${i}`)),
  ]) as unknown as Joined;
  if (page.after) {
    const values = decodeCursor(page.after, numeric);
    if (!values) throw new InvalidCursorError('invalid cursor');
    const tuple = sql.join(parts);
    const given = sql.join(values.map((v, i) => (numeric[i] ? sql`cast(${v} as integer)` : sql`${v}`)));
    q = q.where(
      page.order === 'asc' ? sql<SqlBool>`(${tuple}) > (${given})` : sql<SqlBool>`(${tuple}) < (${given})`,
    );
  }
  for (const p of parts) q = q.orderBy(p, page.order);
  q = q.limit(page.limit + 1);
  if (page.offset) q = q.offset(page.offset);
  const keys = (await q.execute()) as ({ id: string } & Record<string, unknown>)[];
  const more = keys.length > page.limit;
  const pageKeys = more ? keys.slice(0, page.limit) : keys;
  const last = pageKeys.at(-1);
  const nextCursor =
    more && last
      ? encodeCursor(parts.map((_, i) => (numeric[i] ? Number(last[`k${i}`]) : String(last[`k${i}`]))))
      : null;
  const byId = new Map(
    (
      await getDevices(
        h,
        pageKeys.map((k) => k.id),
      )
    ).map((d) => [d.id, d]),
  );
  return { items: pageKeys.map((k) => byId.get(k.id)!), nextCursor };
}

/** Matching devices per value of one column, in one grouped query (the dashboard's overview). */
export async function countDevicesBy(
  h: DbHandle,
  filter: DeviceFilter,
  column: 'device_class' | 'criticality',
): Promise<{ value: string | null; count: number }[]> {
  const ref = sql.ref(`d.${column}`);
  const rows = await applyFilter(h.db.selectFrom('devices as d') as unknown as Joined, filter)
    .select([sql<string | null>`${ref}`.as('value'), sql<number>`cast(count(*) as integer)`.as('n')])
    .groupBy(ref as never)
    .execute();
  return (rows as { value: string | null; n: number }[]).map((r) => ({ value: r.value, count: Number(r.n) }));
}

export async function countDevices(h: DbHandle, filter: DeviceFilter): Promise<number> {
  const r = await applyFilter(h.db.selectFrom('devices as d') as unknown as Joined, filter)
    .select(sql<number>`cast(count(*) as integer)`.as('n'))
    .executeTakeFirstOrThrow();
  return Number((r as { n: number }).n);
}

/** What a device is called in lists: its asset tag, make and model, class, and newest name and addresses. */
export interface DeviceLabelRow {
  id: string;
  asset_tag: string | null;
  device_class: string;
  manufacturer_name: string | null;
  model_name: string | null;
  hostname: string | null;
  /** Every IP address, newest first. */
  ips: string[];
  mac: string | null;
}

/** The naming facts of many devices in two queries (devices, then their host names, IPs and MACs). */
/** What names a device in a label: its newest host name and MAC, and its IPs newest first (then in text order). */
export interface NamingIdentifiers {
  hostname: string | null;
  ips: string[];
  mac: string | null;
}

const NO_NAMES: Readonly<NamingIdentifiers> = Object.freeze({ hostname: null, ips: [], mac: null });

/** The naming identifiers of at most one chunk of devices (500 ids), by device id. */
export async function namingIdentifiers(
  h: DbHandle,
  ids: readonly string[],
): Promise<Map<string, NamingIdentifiers>> {
  const named = new Map<string, NamingIdentifiers>();
  if (ids.length === 0) return named;
  const idents = await h.db
    .selectFrom('device_identifiers')
    .select(['device_id', 'kind', 'value'])
    .where('device_id', 'in', [...ids])
    .where('kind', 'in', ['hostname', 'ip', 'mac'])
    .orderBy('device_id')
    .orderBy('kind')
    .orderBy('last_seen', 'desc')
    .orderBy('value')
    .execute();
  for (const i of idents) {
    let n = named.get(i.device_id);
    if (!n) {
      n = { hostname: null, ips: [], mac: null };
      named.set(i.device_id, n);
    }
    if (i.kind === 'ip') n.ips.push(i.value);
    else if (i.kind === 'hostname') n.hostname ??= i.value;
    else n.mac ??= i.value;
  }
  return named;
}

/**
 * Every asset tag and every host name, IP address and MAC any source recorded for these devices (the
 * naming identifiers above are only the newest): what a person may have known them by.
 */
export async function recordedNames(
  h: DbHandle,
  ids: readonly string[],
): Promise<{ assetTags: string[]; addresses: string[] }> {
  const assetTags = new Set<string>();
  const addresses = new Set<string>();
  for (const part of chunks([...new Set(ids)])) {
    const tagged = await h.db.selectFrom('devices').select('asset_tag').where('id', 'in', part).execute();
    const facts = await h.db
      .selectFrom('device_facts')
      .select('value')
      .where('device_id', 'in', part)
      .where('field', '=', 'assetTag')
      .execute();
    for (const t of [...tagged.map((r) => r.asset_tag), ...facts.map((r) => r.value)])
      if (t) assetTags.add(t);
    const idents = await h.db
      .selectFrom('device_identifiers')
      .select('value')
      .where('device_id', 'in', part)
      .where('kind', 'in', ['hostname', 'ip', 'mac'])
      .execute();
    for (const i of idents) addresses.add(i.value);
  }
  return { assetTags: [...assetTags], addresses: [...addresses] };
}

/** The sites (null: none) of the devices of each model, merged records left out. */
export async function siteIdsOfModels(
  h: DbHandle,
  modelIds: readonly string[],
): Promise<Map<string, Set<string | null>>> {
  const out = new Map<string, Set<string | null>>();
  if (!modelIds.length) return out;
  const rows = await h.db
    .selectFrom('devices')
    .select(['model_id', 'site_id'])
    .distinct()
    .where('model_id', 'in', [...new Set(modelIds)])
    .where('state', '!=', 'merged')
    .execute();
  for (const r of rows) {
    const sites = out.get(r.model_id!) ?? new Set<string | null>();
    sites.add(r.site_id);
    out.set(r.model_id!, sites);
  }
  return out;
}

export async function deviceLabelRows(h: DbHandle, ids: readonly string[]): Promise<DeviceLabelRow[]> {
  const out: DeviceLabelRow[] = [];
  for (const part of chunks([...new Set(ids)])) {
    const rows = await h.db
      .selectFrom('devices as d')
      .leftJoin('device_models as m', 'm.id', 'd.model_id')
      .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
      .select([
        'd.id',
        'd.asset_tag',
        'd.device_class',
        'm.name as model_name',
        'f.name as manufacturer_name',
      ])
      .where('d.id', 'in', part)
      .execute();
    const named = await namingIdentifiers(h, part);
    for (const r of rows) {
      out.push({
        id: r.id,
        asset_tag: r.asset_tag,
        device_class: r.device_class,
        manufacturer_name: orNull(r.manufacturer_name),
        model_name: orNull(r.model_name),
        ...(named.get(r.id) ?? NO_NAMES),
      });
    }
  }
  return out;
}
