/**
 * @module SQL for alerts: the alerts themselves (by id, by de-duplication key, filtered pages with a
 * total), their event history, delivery destinations (the secret column is read by one function only)
 * and delivery records, which double as the dead-letter record.
 */
import { sql } from 'kysely';
import { selectInChunks } from './batch.js';
import { takeLock } from './locks.js';
import type { AlertDeliveryTable, AlertDestinationTable, AlertEventTable, AlertTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type AlertRow = AlertTable;
export type AlertEventRow = AlertEventTable;
export type AlertDeliveryRow = AlertDeliveryTable;
/** A destination as listings see it: everything but the secret, and whether one is set. */
export type AlertDestinationRow = Omit<AlertDestinationTable, 'secret' | 'url_query'> & {
  has_secret: boolean;
};

/**
 * Serialises concurrent raisers on PostgreSQL so two of them never both insert one de-duplication key
 * or both pass one rate limit. SQLite already runs one writer at a time.
 */
export async function lockAlerts(tx: DbHandle): Promise<void> {
  await takeLock(tx, 'alerts');
}

export async function alertsByKey(h: DbHandle, keys: readonly string[]): Promise<Map<string, AlertRow>> {
  const rows = await selectInChunks([...new Set(keys)], (part) =>
    h.db.selectFrom('alerts').selectAll().where('dedupe_key', 'in', part).execute(),
  );
  return new Map(rows.map((r) => [r.dedupe_key, r]));
}

export async function getAlertRow(h: DbHandle, id: string): Promise<AlertRow | undefined> {
  return h.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertAlert(h: DbHandle, row: AlertRow): Promise<void> {
  await h.db.insertInto('alerts').values(row).execute();
}

export async function updateAlert(h: DbHandle, id: string, patch: Partial<AlertRow>): Promise<void> {
  await h.db.updateTable('alerts').set(patch).where('id', '=', id).execute();
}

/** Every alert of one device, whatever its state. */
export async function alertsOfDevice(h: DbHandle, deviceId: string): Promise<AlertRow[]> {
  return h.db.selectFrom('alerts').selectAll().where('device_id', '=', deviceId).execute();
}

/**
 * Puts every alert of one device at `siteId` (its device's site); returns how many changed. Alerts about
 * a device follow it: a repeat lands on the device's one alert, which the site's readers must see.
 */
export async function resiteDeviceAlerts(
  h: DbHandle,
  deviceId: string,
  siteId: string | null,
): Promise<number> {
  const q = h.db.updateTable('alerts').set({ site_id: siteId }).where('device_id', '=', deviceId);
  const r = await (siteId === null
    ? q.where('site_id', 'is not', null)
    : q.where((eb) => eb.or([eb('site_id', 'is', null), eb('site_id', '!=', siteId)]))
  ).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Moves one alert's history to another alert and deletes the first: its events, and its deliveries to
 * destinations the other has no delivery for (one delivery per alert and destination; the other's stands).
 */
export async function foldAlertInto(h: DbHandle, fromAlertId: string, toAlertId: string): Promise<void> {
  await h.db
    .updateTable('alert_events')
    .set({ alert_id: toAlertId })
    .where('alert_id', '=', fromAlertId)
    .execute();
  await h.db
    .deleteFrom('alert_deliveries')
    .where('alert_id', '=', fromAlertId)
    .where('destination_id', 'in', (eb) =>
      eb.selectFrom('alert_deliveries').select('destination_id').where('alert_id', '=', toAlertId),
    )
    .execute();
  await h.db
    .updateTable('alert_deliveries')
    .set({ alert_id: toAlertId })
    .where('alert_id', '=', fromAlertId)
    .execute();
  await h.db.deleteFrom('alerts').where('id', '=', fromAlertId).execute();
}

/** Alerts a rule created for one scope since an instant (the rate limit's window). */
export async function countCreatedSince(
  h: DbHandle,
  rule: string,
  scope: string,
  since: string,
  excludeKey: string,
): Promise<number> {
  const r = await h.db
    .selectFrom('alerts')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('rule', '=', rule)
    .where('scope', '=', scope)
    .where('created_at', '>=', since)
    .where('dedupe_key', '!=', excludeKey)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export interface AlertFilter {
  states?: readonly string[];
  rules?: readonly string[];
  severities?: readonly string[];
  deviceId?: string;
  siteId?: string;
  /** Last seen at or after this instant. */
  since?: string;
  /** Only alerts of these sites (an actor limited to sites); alerts of no site are then hidden. */
  siteIds?: readonly string[];
}

function filtered(h: DbHandle, f: AlertFilter) {
  let q = h.db.selectFrom('alerts');
  if (f.states?.length) q = q.where('state', 'in', [...f.states]);
  if (f.rules?.length) q = q.where('rule', 'in', [...f.rules]);
  if (f.severities?.length) q = q.where('severity', 'in', [...f.severities]);
  if (f.deviceId) q = q.where('device_id', '=', f.deviceId);
  if (f.siteId) q = q.where('site_id', '=', f.siteId);
  if (f.since) q = q.where('last_seen', '>=', f.since);
  if (f.siteIds) q = q.where('site_id', 'in', f.siteIds.length ? [...f.siteIds] : ['\u0000']);
  return q;
}

/**
 * The parsed `details` of every alert of one rule in the given states: of one site and of no site, or of
 * every site when `siteId` is null.
 */
export async function alertDetailsOf(
  h: DbHandle,
  rule: string,
  states: readonly string[],
  siteId: string | null,
): Promise<Record<string, unknown>[]> {
  let q = h.db
    .selectFrom('alerts')
    .select('details')
    .where('rule', '=', rule)
    .where('state', 'in', [...states]);
  if (siteId) q = q.where((eb) => eb.or([eb('site_id', '=', siteId), eb('site_id', 'is', null)]));
  return (await q.execute()).map((r) => {
    try {
      const d: unknown = JSON.parse(r.details);
      return d && typeof d === 'object' ? (d as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  });
}

/** One page of alerts, most recently seen first, and how many match in all. */
export async function listAlertRows(
  h: DbHandle,
  f: AlertFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: AlertRow[]; total: number }> {
  const rows = await filtered(h, f)
    .selectAll()
    .orderBy('last_seen', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const t = await filtered(h, f)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirst();
  return { rows, total: Number(t?.n ?? 0) };
}

export async function insertAlertEvent(h: DbHandle, row: AlertEventRow): Promise<void> {
  await h.db.insertInto('alert_events').values(row).execute();
}

export async function alertEvents(h: DbHandle, alertId: string): Promise<AlertEventRow[]> {
  return h.db.selectFrom('alert_events').selectAll().where('alert_id', '=', alertId).orderBy('id').execute();
}

// ---- destinations ----

const DESTINATION_COLUMNS = [
  'id',
  'name',
  'kind',
  'config',
  'enabled',
  'created_by',
  'created_at',
] as const satisfies readonly (keyof AlertDestinationTable)[];

function destinationQuery(h: DbHandle) {
  return h.db
    .selectFrom('alert_destinations')
    .select(DESTINATION_COLUMNS)
    .select(sql<number>`case when secret is null then 0 else 1 end`.as('has_secret'));
}

const withFlag = (r: Omit<AlertDestinationRow, 'has_secret'> & { has_secret: number | boolean }) => ({
  ...r,
  enabled: Number(r.enabled) as 0 | 1,
  has_secret: Boolean(Number(r.has_secret)),
});

export async function listDestinationRows(
  h: DbHandle,
  opts: { enabledOnly?: boolean } = {},
): Promise<AlertDestinationRow[]> {
  let q = destinationQuery(h);
  if (opts.enabledOnly) q = q.where('enabled', '=', 1);
  return (await q.orderBy('name').execute()).map(withFlag);
}

export async function getDestinationRow(
  h: DbHandle,
  idOrName: string,
): Promise<AlertDestinationRow | undefined> {
  const r = await destinationQuery(h)
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .executeTakeFirst();
  return r ? withFlag(r) : undefined;
}

/** The signing secret, for the dispatcher's sender only: no listing or API answer carries it. */
export async function destinationSecret(h: DbHandle, id: string): Promise<string | null> {
  const r = await h.db
    .selectFrom('alert_destinations')
    .select('secret')
    .where('id', '=', id)
    .executeTakeFirst();
  return r?.secret ?? null;
}

/**
 * Replaces a destination's stored secret only if it still holds `expected` (re-sealing must not undo a
 * change made meanwhile); true when it did.
 */
export async function replaceDestinationSecret(
  h: DbHandle,
  id: string,
  expected: string,
  secret: string,
): Promise<boolean> {
  const r = await h.db
    .updateTable('alert_destinations')
    .set({ secret })
    .where('id', '=', id)
    .where('secret', '=', expected)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The sealed query of a webhook's URL, for its sender only: no listing or API answer carries it. */
export async function destinationUrlQuery(h: DbHandle, id: string): Promise<string | null> {
  const r = await h.db
    .selectFrom('alert_destinations')
    .select('url_query')
    .where('id', '=', id)
    .executeTakeFirst();
  return r?.url_query ?? null;
}

/** Replaces a sealed URL query only if it still holds `expected` (as replaceDestinationSecret). */
export async function replaceDestinationUrlQuery(
  h: DbHandle,
  id: string,
  expected: string,
  urlQuery: string,
): Promise<boolean> {
  const r = await h.db
    .updateTable('alert_destinations')
    .set({ url_query: urlQuery })
    .where('id', '=', id)
    .where('url_query', '=', expected)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function insertDestination(h: DbHandle, row: AlertDestinationTable): Promise<void> {
  await h.db.insertInto('alert_destinations').values(row).execute();
}

export async function deleteDestination(h: DbHandle, id: string): Promise<void> {
  await h.db.deleteFrom('alert_destinations').where('id', '=', id).execute();
}

// ---- deliveries ----

export async function getDelivery(
  h: DbHandle,
  alertId: string,
  destinationId: string,
): Promise<AlertDeliveryRow | undefined> {
  return h.db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('alert_id', '=', alertId)
    .where('destination_id', '=', destinationId)
    .executeTakeFirst();
}

export async function getDeliveryById(h: DbHandle, id: string): Promise<AlertDeliveryRow | undefined> {
  return h.db.selectFrom('alert_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertDelivery(h: DbHandle, row: AlertDeliveryRow): Promise<void> {
  await h.db.insertInto('alert_deliveries').values(row).execute();
}

export async function updateDelivery(
  h: DbHandle,
  id: string,
  patch: Partial<AlertDeliveryRow>,
): Promise<void> {
  await h.db.updateTable('alert_deliveries').set(patch).where('id', '=', id).execute();
}

export type DeliveryView = AlertDeliveryRow & { destination_name: string; destination_kind: string };

function deliveryQuery(h: DbHandle) {
  return h.db
    .selectFrom('alert_deliveries as x')
    .innerJoin('alert_destinations as d', 'd.id', 'x.destination_id')
    .innerJoin('alerts as a', 'a.id', 'x.alert_id')
    .selectAll('x')
    .select(['d.name as destination_name', 'd.kind as destination_kind']);
}

export async function deliveriesOf(h: DbHandle, alertId: string): Promise<DeliveryView[]> {
  return deliveryQuery(h).where('x.alert_id', '=', alertId).orderBy('x.id').execute();
}

/** Dead letters, oldest first, limited to alerts of these sites when given. */
export async function deadDeliveries(
  h: DbHandle,
  opts: { siteIds?: readonly string[]; limit: number; offset: number },
): Promise<DeliveryView[]> {
  let q = deliveryQuery(h).where('x.state', '=', 'dead');
  if (opts.siteIds) q = q.where('a.site_id', 'in', opts.siteIds.length ? [...opts.siteIds] : ['\u0000']);
  return q.orderBy('x.updated_at').orderBy('x.id').limit(opts.limit).offset(opts.offset).execute();
}

/** Deliveries still waiting (a process stopped before they were sent), with their alert, oldest first. */
export async function pendingDeliveries(h: DbHandle, limit: number): Promise<AlertDeliveryRow[]> {
  return h.db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('state', '=', 'pending')
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function assetTagOf(h: DbHandle, deviceId: string | null): Promise<string | null> {
  if (!deviceId) return null;
  const r = await h.db
    .selectFrom('devices')
    .select('asset_tag')
    .where('id', '=', deviceId)
    .executeTakeFirst();
  return r?.asset_tag ?? null;
}
