/**
 * @module SQL for device sanitization records (0019-device-sanitizations): insert, a device's records,
 * and, for the compliance report, every retired device in scope with whether it held ePHI and its
 * newest record. A record on a duplicate later merged into a device counts for that device.
 */
import { sql } from 'kysely';
import type { DeviceSanitizationTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type SanitizationRow = DeviceSanitizationTable;

export async function insertSanitization(h: DbHandle, row: SanitizationRow): Promise<void> {
  await h.db.insertInto('device_sanitizations').values(row).execute();
}

/** A device's records (and those of duplicates merged into it), newest first. */
export async function sanitizationsOf(h: DbHandle, deviceId: string): Promise<SanitizationRow[]> {
  return h.db
    .selectFrom('device_sanitizations as s')
    .innerJoin('devices as d', 'd.id', 's.device_id')
    .selectAll('s')
    .where((eb) => eb.or([eb('d.id', '=', deviceId), eb('d.merged_into', '=', deviceId)]))
    .orderBy('s.performed_on', 'desc')
    .orderBy('s.created_at', 'desc')
    .execute();
}

export interface RetiredDeviceDisposal {
  deviceId: string;
  /**
   * Whether it held ePHI: the device's own flag (stores or transmits), else its model's "stores ePHI";
   * null when neither is known.
   */
  ephi: boolean | null;
  records: number;
  /** YYYY-MM-DD of its newest record. */
  lastPerformedOn: string | null;
}

const NONE = ['\u0000'];

/** Every retired device (of these sites) with its ePHI handling and sanitization records. */
export async function retiredDeviceDisposals(
  h: DbHandle,
  siteIds: readonly string[] | undefined,
): Promise<RetiredDeviceDisposal[]> {
  // Records keyed by the device they describe now: a merged duplicate's records belong to its target.
  const records = h.db
    .selectFrom('device_sanitizations as s')
    .innerJoin('devices as r', 'r.id', 's.device_id')
    .select([
      sql<string>`coalesce(r.merged_into, r.id)`.as('device_id'),
      sql<number>`cast(count(*) as integer)`.as('n'),
      sql<string | null>`max(s.performed_on)`.as('last'),
    ])
    .groupBy(sql`coalesce(r.merged_into, r.id)`);
  let q = h.db
    .selectFrom('devices as d')
    .leftJoin('device_models as m', 'm.id', 'd.model_id')
    .leftJoin(records.as('x'), 'x.device_id', 'd.id')
    .select(['d.id', 'd.ephi', 'm.ephi_stores', 'x.n', 'x.last'])
    .where('d.state', '=', 'retired')
    .orderBy('d.id');
  if (siteIds) q = q.where('d.site_id', 'in', siteIds.length ? [...siteIds] : NONE);
  return (await q.execute()).map((r) => ({
    deviceId: r.id,
    ephi:
      r.ephi !== null
        ? Number(r.ephi) === 1
        : r.ephi_stores !== null && r.ephi_stores !== undefined
          ? Number(r.ephi_stores) === 1
          : null,
    records: Number(r.n ?? 0),
    lastPerformedOn: r.last ?? null,
  }));
}

/** The newest sanitization performed on a device of these sites (retired or re-used), and how many. */
export async function sanitizationFigures(
  h: DbHandle,
  siteIds: readonly string[] | undefined,
): Promise<{ records: number; lastPerformedOn: string | null }> {
  let q = h.db
    .selectFrom('device_sanitizations as s')
    .innerJoin('devices as r', 'r.id', 's.device_id')
    // Scope by the site of the device the record now belongs to (a merged duplicate's target).
    .innerJoin('devices as d', (j) => j.on(sql<boolean>`d.id = coalesce(r.merged_into, r.id)`))
    .select([
      sql<number>`cast(count(*) as integer)`.as('n'),
      sql<string | null>`max(s.performed_on)`.as('last'),
    ]);
  if (siteIds) q = q.where('d.site_id', 'in', siteIds.length ? [...siteIds] : NONE);
  const r = await q.executeTakeFirst();
  return { records: Number(r?.n ?? 0), lastPerformedOn: r?.last ?? null };
}
