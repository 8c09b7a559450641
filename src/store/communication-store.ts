/**
 * @module SQL for communications (who talks to whom, folded per client, server, port, transport and
 * protocol), the record of which source files already added their counts, and the learned baselines with
 * their entries. Folding and learning rules live in `discovery/apply-flows.ts` and `monitor/baseline/`.
 */
import { sql } from 'kysely';
import { chunks } from './batch.js';
import type {
  BaselineEntryTable,
  BaselineTable,
  CommunicationSourceTable,
  CommunicationTable,
} from './schema.js';
import type { DbHandle } from './transaction.js';

export type CommunicationRow = CommunicationTable;
export type BaselineRow = BaselineTable;
export type BaselineEntryRow = BaselineEntryTable;

/** One communication as every consumer (peers, baseline, rules, policy) reads it. */
export interface StoredCommunication {
  id: string;
  siteId: string | null;
  clientIp: string;
  serverIp: string;
  clientDeviceId: string | null;
  serverDeviceId: string | null;
  port: number;
  transport: 'tcp' | 'udp' | 'icmp';
  protocol: string | null;
  connections: number;
  packets: number;
  bytes: number;
  /** TCP: true once the server accepted (SYN-ACK seen); false: only refused or unanswered attempts; null: unknown (UDP, ICMP, logs). */
  established: boolean | null;
  firstSeen: string;
  lastSeen: string;
}

export interface CommunicationFilter {
  siteId?: string;
  /** With `siteId`: also the communications of no site (devices passive discovery has not placed yet). */
  orUnassigned?: boolean;
  /** Either end is this device. */
  deviceId?: string;
  /** Last seen at or after this ISO-8601 time. */
  since?: string;
}

const toStored = (r: CommunicationRow): StoredCommunication => ({
  id: r.id,
  siteId: r.site_id,
  clientIp: r.client_ip,
  serverIp: r.server_ip,
  clientDeviceId: r.client_device_id,
  serverDeviceId: r.server_device_id,
  port: r.port,
  transport: r.transport as StoredCommunication['transport'],
  protocol: r.protocol,
  connections: Number(r.connections),
  packets: Number(r.packets),
  bytes: Number(r.bytes),
  established: r.established === null ? null : r.established === 1,
  firstSeen: r.first_seen,
  lastSeen: r.last_seen,
});

/**
 * Inserts communications or adds to the existing row with the same key: counts add up, first/last seen
 * widen, a known device id or protocol is never replaced by an unknown one. Rows must be unique by key
 * within one call (one statement may not upsert a row twice).
 */
export async function upsertCommunications(h: DbHandle, rows: readonly CommunicationRow[]): Promise<void> {
  for (const part of chunks(rows, 200)) {
    if (part.length === 0) continue;
    const add = (c: 'connections' | 'packets' | 'bytes') =>
      sql`communications.${sql.ref(c)} + excluded.${sql.ref(c)}` as never;
    const keep = (c: 'client_device_id' | 'server_device_id' | 'site_id') =>
      sql`coalesce(excluded.${sql.ref(c)}, communications.${sql.ref(c)})` as never;
    await h.db
      .insertInto('communications')
      .values(part)
      .onConflict((oc) =>
        oc.columns(['client_ip', 'server_ip', 'port', 'transport', 'protocol_key']).doUpdateSet({
          connections: add('connections'),
          packets: add('packets'),
          bytes: add('bytes'),
          client_device_id: keep('client_device_id'),
          server_device_id: keep('server_device_id'),
          site_id: keep('site_id'),
          established: sql`case when excluded.established = 1 or communications.established = 1 then 1 else coalesce(excluded.established, communications.established) end`,
          evidence: sql`case when excluded.last_seen >= communications.last_seen then excluded.evidence else communications.evidence end`,
          first_seen: sql`case when excluded.first_seen < communications.first_seen then excluded.first_seen else communications.first_seen end`,
          last_seen: sql`case when excluded.last_seen > communications.last_seen then excluded.last_seen else communications.last_seen end`,
        }),
      )
      .execute();
  }
}

/** The communications a filter selects, in the order of their unique key (the consumers' order). */
function selectCommunications(h: DbHandle, filter: CommunicationFilter) {
  let q = h.db.selectFrom('communications').selectAll();
  const site = filter.siteId;
  if (site && filter.orUnassigned)
    q = q.where((eb) => eb.or([eb('site_id', '=', site), eb('site_id', 'is', null)]));
  else if (site) q = q.where('site_id', '=', site);
  if (filter.since) q = q.where('last_seen', '>=', filter.since);
  const id = filter.deviceId;
  if (id) q = q.where((eb) => eb.or([eb('client_device_id', '=', id), eb('server_device_id', '=', id)]));
  return q
    .orderBy('client_ip')
    .orderBy('server_ip')
    .orderBy('port')
    .orderBy('transport')
    .orderBy('protocol_key');
}

export async function listCommunications(
  h: DbHandle,
  filter: CommunicationFilter = {},
): Promise<StoredCommunication[]> {
  return (await selectCommunications(h, filter).execute()).map(toStored);
}

/**
 * The same communications as `listCommunications`, in the same order, a batch at a time (keyset paging
 * on the unique client, server, port, transport, protocol): a reader that folds them (the communication
 * map) holds one batch in memory, not a hospital's every conversation.
 */
export async function* communicationBatches(
  h: DbHandle,
  filter: CommunicationFilter = {},
  batchSize = 5000,
): AsyncGenerator<StoredCommunication[], void, undefined> {
  let after: CommunicationRow | undefined;
  for (;;) {
    let q = selectCommunications(h, filter);
    const last = after;
    if (last)
      q = q.where((eb) =>
        eb(
          eb.refTuple('client_ip', 'server_ip', 'port', 'transport', 'protocol_key'),
          '>',
          eb.tuple(last.client_ip, last.server_ip, last.port, last.transport, last.protocol_key),
        ),
      );
    const rows = await q.limit(batchSize).execute();
    if (rows.length > 0) yield rows.map(toStored);
    if (rows.length < batchSize) return;
    after = rows.at(-1);
  }
}

export async function communicationSourceApplied(h: DbHandle, sourceKey: string): Promise<boolean> {
  const row = await h.db
    .selectFrom('communication_sources')
    .select('source_key')
    .where('source_key', '=', sourceKey)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertCommunicationSource(h: DbHandle, row: CommunicationSourceTable): Promise<void> {
  await h.db.insertInto('communication_sources').values(row).execute();
}

/**
 * Current devices by IP address (merged-away devices excluded). An address two devices claim resolves to
 * neither: a communication is better left unattributed than pinned on the wrong device.
 */
export async function deviceIdsByIp(
  h: DbHandle,
  ips: readonly string[],
): Promise<Map<string, { deviceId: string; siteId: string | null }>> {
  const seen = new Map<string, { deviceId: string; siteId: string | null } | null>();
  for (const part of chunks([...new Set(ips)])) {
    if (part.length === 0) continue;
    const rows = await h.db
      .selectFrom('device_identifiers as i')
      .innerJoin('devices as d', 'd.id', 'i.device_id')
      .select(['i.value', 'd.id', 'd.site_id'])
      .where('i.kind', '=', 'ip')
      .where('i.value', 'in', part)
      .where('d.merged_into', 'is', null)
      .execute();
    for (const r of rows) {
      const prev = seen.get(r.value);
      if (prev === undefined) seen.set(r.value, { deviceId: r.id, siteId: r.site_id });
      else if (prev !== null && prev.deviceId !== r.id) seen.set(r.value, null);
    }
  }
  const out = new Map<string, { deviceId: string; siteId: string | null }>();
  for (const [ip, v] of seen) if (v) out.set(ip, v);
  return out;
}

/** `deviceId|protocol` for each protocol these devices were stored speaking as a client. */
export async function clientProtocols(h: DbHandle, deviceIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunks([...new Set(deviceIds)])) {
    if (part.length === 0) continue;
    const rows = await h.db
      .selectFrom('communications')
      .select(['client_device_id', 'protocol'])
      .distinct()
      .where('client_device_id', 'in', part)
      .where('protocol', 'is not', null)
      .execute();
    for (const r of rows) out.add(`${r.client_device_id}|${r.protocol}`);
  }
  return out;
}

// ---- baselines ----

export async function findBaseline(h: DbHandle, subjectKey: string): Promise<BaselineRow | undefined> {
  return h.db.selectFrom('baselines').selectAll().where('subject_key', '=', subjectKey).executeTakeFirst();
}

export async function getBaseline(h: DbHandle, id: string): Promise<BaselineRow | undefined> {
  return h.db.selectFrom('baselines').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listBaselines(
  h: DbHandle,
  filter: { siteId?: string; state?: string; scope?: string } = {},
): Promise<BaselineRow[]> {
  let q = h.db.selectFrom('baselines').selectAll();
  if (filter.siteId) q = q.where('site_id', '=', filter.siteId);
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.scope) q = q.where('scope', '=', filter.scope);
  return q.orderBy('scope').orderBy('subject_key').execute();
}

export async function insertBaseline(h: DbHandle, row: BaselineRow): Promise<void> {
  await h.db.insertInto('baselines').values(row).execute();
}

/**
 * Puts a device's own baseline at `siteId` (its device's new site), so the site's people see and approve
 * it from now on rather than after the next learning. A model's baseline is the next learning's to place.
 */
export async function resiteDeviceBaseline(
  h: DbHandle,
  deviceId: string,
  siteId: string | null,
): Promise<void> {
  await h.db
    .updateTable('baselines')
    .set({ site_id: siteId })
    .where('scope', '=', 'device')
    .where('device_id', '=', deviceId)
    .execute();
}

export async function updateBaseline(h: DbHandle, id: string, patch: Partial<BaselineRow>): Promise<void> {
  await h.db.updateTable('baselines').set(patch).where('id', '=', id).execute();
}

export async function entriesOf(
  h: DbHandle,
  baselineIds: readonly string[],
): Promise<Map<string, BaselineEntryRow[]>> {
  const out = new Map<string, BaselineEntryRow[]>();
  for (const part of chunks([...new Set(baselineIds)])) {
    if (part.length === 0) continue;
    const rows = await h.db
      .selectFrom('baseline_entries')
      .selectAll()
      .where('baseline_id', 'in', part)
      .orderBy('baseline_id')
      .orderBy('kind')
      .orderBy('value')
      .execute();
    for (const r of rows) {
      const list = out.get(r.baseline_id) ?? [];
      list.push(r);
      out.set(r.baseline_id, list);
    }
  }
  return out;
}

/** Replaces the learned entries of a baseline; entries added or denied by hand stay. */
export async function replaceLearnedEntries(
  h: DbHandle,
  baselineId: string,
  rows: readonly BaselineEntryRow[],
): Promise<void> {
  const manual = await h.db
    .selectFrom('baseline_entries')
    .select(['kind', 'value'])
    .where('baseline_id', '=', baselineId)
    .where('origin', '=', 'manual')
    .execute();
  const keep = new Set(manual.map((m) => `${m.kind}|${m.value}`));
  await h.db
    .deleteFrom('baseline_entries')
    .where('baseline_id', '=', baselineId)
    .where('origin', '=', 'learned')
    .execute();
  const fresh = rows.filter((r) => !keep.has(`${r.kind}|${r.value}`));
  for (const part of chunks(fresh, 200))
    if (part.length) await h.db.insertInto('baseline_entries').values(part).execute();
}

export async function findEntry(
  h: DbHandle,
  baselineId: string,
  kind: string,
  value: string,
): Promise<BaselineEntryRow | undefined> {
  return h.db
    .selectFrom('baseline_entries')
    .selectAll()
    .where('baseline_id', '=', baselineId)
    .where('kind', '=', kind)
    .where('value', '=', value)
    .executeTakeFirst();
}

export async function insertEntry(h: DbHandle, row: BaselineEntryRow): Promise<void> {
  await h.db.insertInto('baseline_entries').values(row).execute();
}

export async function updateEntry(h: DbHandle, id: string, patch: Partial<BaselineEntryRow>): Promise<void> {
  await h.db.updateTable('baseline_entries').set(patch).where('id', '=', id).execute();
}

export async function deleteEntry(h: DbHandle, id: string): Promise<void> {
  await h.db.deleteFrom('baseline_entries').where('id', '=', id).execute();
}

export async function baselinesBySubjects(
  h: DbHandle,
  subjectKeys: readonly string[],
): Promise<BaselineRow[]> {
  const out: BaselineRow[] = [];
  for (const part of chunks([...new Set(subjectKeys)])) {
    if (part.length === 0) continue;
    out.push(...(await h.db.selectFrom('baselines').selectAll().where('subject_key', 'in', part).execute()));
  }
  return out;
}

export async function declaredServicesOf(
  h: DbHandle,
  modelIds: readonly string[],
): Promise<{ id: string; default_services: string }[]> {
  const out: { id: string; default_services: string }[] = [];
  for (const part of chunks([...new Set(modelIds)])) {
    if (part.length === 0) continue;
    out.push(
      ...(await h.db
        .selectFrom('device_models')
        .select(['id', 'default_services'])
        .where('id', 'in', part)
        .execute()),
    );
  }
  return out;
}

/** Latest time each device was an end of a stored communication. */
export async function lastCommunicationOf(
  h: DbHandle,
  deviceIds: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const later = (id: string | null, t: string | null) => {
    if (id && t && (out.get(id) ?? '') < t) out.set(id, t);
  };
  for (const part of chunks([...new Set(deviceIds)])) {
    if (part.length === 0) continue;
    for (const r of await h.db
      .selectFrom('communications')
      .select(['client_device_id as id', (eb) => eb.fn.max('last_seen').as('t')])
      .where('client_device_id', 'in', part)
      .groupBy('client_device_id')
      .execute())
      later(r.id, r.t);
    for (const r of await h.db
      .selectFrom('communications')
      .select(['server_device_id as id', (eb) => eb.fn.max('last_seen').as('t')])
      .where('server_device_id', 'in', part)
      .groupBy('server_device_id')
      .execute())
      later(r.id, r.t);
  }
  return out;
}

// ---- a device merge (monitor/merge-traffic.ts) ----

/**
 * Points the duplicate's ends of stored communications at the record it was merged into. The unique key
 * is the addresses, not the devices, so no two rows can become one; a conversation between the two
 * records is deleted first (it would be the device's own). Returns the rows repointed and deleted.
 */
export async function repointCommunications(
  h: DbHandle,
  fromDeviceId: string,
  toDeviceId: string,
): Promise<{ moved: number; dropped: number }> {
  const between = await h.db
    .deleteFrom('communications')
    .where((eb) =>
      eb.or([
        eb.and([eb('client_device_id', '=', fromDeviceId), eb('server_device_id', '=', toDeviceId)]),
        eb.and([eb('client_device_id', '=', toDeviceId), eb('server_device_id', '=', fromDeviceId)]),
      ]),
    )
    .executeTakeFirst();
  const touched = await h.db
    .selectFrom('communications')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where((eb) =>
      eb.or([eb('client_device_id', '=', fromDeviceId), eb('server_device_id', '=', fromDeviceId)]),
    )
    .executeTakeFirstOrThrow();
  await h.db
    .updateTable('communications')
    .set({ client_device_id: toDeviceId })
    .where('client_device_id', '=', fromDeviceId)
    .execute();
  await h.db
    .updateTable('communications')
    .set({ server_device_id: toDeviceId })
    .where('server_device_id', '=', fromDeviceId)
    .execute();
  return { moved: Number(touched.n), dropped: Number(between.numDeletedRows) };
}

/** Entries of any baseline with this kind and value (an HL7 receiver named by its device id). */
export async function entriesWithValue(
  h: DbHandle,
  kind: string,
  value: string,
): Promise<BaselineEntryRow[]> {
  return h.db
    .selectFrom('baseline_entries')
    .selectAll()
    .where('kind', '=', kind)
    .where('value', '=', value)
    .orderBy('id')
    .execute();
}

/**
 * Volume entries of any baseline whose details may mention this text (a peer role in `outPerDay`'s keys);
 * LIKE's wildcards in it only widen the match, so callers check the details themselves.
 */
export async function volumeEntriesMentioning(h: DbHandle, text: string): Promise<BaselineEntryRow[]> {
  return h.db
    .selectFrom('baseline_entries')
    .selectAll()
    .where('kind', '=', 'volume')
    .where('details', 'like', `%${text}%`)
    .orderBy('id')
    .execute();
}

/** Deletes a baseline with its entries. */
export async function deleteBaseline(h: DbHandle, id: string): Promise<void> {
  await h.db.deleteFrom('baseline_entries').where('baseline_id', '=', id).execute();
  await h.db.deleteFrom('baselines').where('id', '=', id).execute();
}
