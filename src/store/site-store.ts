/**
 * @module SQL for sites and their network segments. Sites are found by id or by name, case-insensitively
 * (`name_key`, the same key `account-store.resolveSites` uses); segment CIDRs are stored as JSON text.
 */
import { sql } from 'kysely';
import { chunks, rowChunks } from './batch.js';
import { newId } from './ids.js';
import type { SegmentTable, SiteTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type SiteRow = SiteTable;
export type SegmentRow = SegmentTable;

/** Display form of a site name (trimmed, single spaces) and its lookup key (that, lower-cased). */
export function siteName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ');
}

export function siteNameKey(name: string): string {
  return siteName(name).toLowerCase();
}

export async function insertSites(h: DbHandle, rows: readonly SiteRow[]): Promise<void> {
  for (const part of rowChunks(rows)) await h.db.insertInto('sites').values(part).execute();
}

/**
 * Finds the sites with these names, creating the missing ones (safe against a concurrent import
 * creating the same name). Returns name key → id and the names created.
 */
/** The distinct site names among `names`, by key, each as first spelt. */
function wantedSites(names: readonly string[]): Map<string, string> {
  const wanted = new Map<string, string>();
  for (const n of names)
    if (siteName(n)) wanted.set(siteNameKey(n), wanted.get(siteNameKey(n)) ?? siteName(n));
  return wanted;
}

/** Which of `names` no site has yet: what ensureSites would create (a dry run's "new sites"). */
export async function missingSites(h: DbHandle, names: readonly string[]): Promise<string[]> {
  const wanted = wantedSites(names);
  const known = new Set((await findSitesByKeys(h, [...wanted.keys()])).map((s) => s.name_key));
  return [...wanted].filter(([key]) => !known.has(key)).map(([, name]) => name);
}

export async function ensureSites(
  h: DbHandle,
  names: readonly string[],
  now: string,
): Promise<{ ids: Map<string, string>; created: string[] }> {
  const wanted = wantedSites(names);
  const ids = new Map<string, string>();
  const load = async (keys: string[]) => {
    for (const s of await findSitesByKeys(h, keys)) ids.set(s.name_key, s.id);
  };
  await load([...wanted.keys()]);
  const rows: SiteRow[] = [...wanted]
    .filter(([key]) => !ids.has(key))
    .map(([key, name]) => ({
      id: newId(),
      name,
      name_key: key,
      description: null,
      created_at: now,
      updated_at: now,
    }));
  for (const part of rowChunks(rows)) {
    await h.db
      .insertInto('sites')
      .values(part)
      .onConflict((oc) => oc.column('name_key').doNothing())
      .execute();
  }
  await load(rows.map((r) => r.name_key));
  const made = new Set(rows.map((r) => r.id));
  return { ids, created: rows.filter((r) => made.has(ids.get(r.name_key)!)).map((r) => r.name) };
}

/** A site by id or by name (any case). */
export async function findSite(h: DbHandle, idOrName: string): Promise<SiteRow | undefined> {
  return (
    h.db
      .selectFrom('sites')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name_key', '=', siteNameKey(idOrName))]))
      // A site may be named like another's id: the id names exactly one site, so it wins.
      .orderBy(sql`case when id = ${idOrName} then 0 else 1 end`)
      .executeTakeFirst()
  );
}

export async function findSitesByKeys(h: DbHandle, keys: readonly string[]): Promise<SiteRow[]> {
  const out: SiteRow[] = [];
  for (const part of chunks([...new Set(keys)])) {
    out.push(...(await h.db.selectFrom('sites').selectAll().where('name_key', 'in', part).execute()));
  }
  return out;
}

export interface SiteSummaryRow extends SiteRow {
  device_count: number;
  segment_count: number;
}

/** Every site (or only `siteIds`) with how many devices (not merged) and segments it has. */
export async function listSites(h: DbHandle, siteIds?: readonly string[]): Promise<SiteSummaryRow[]> {
  let q = h.db
    .selectFrom('sites as s')
    .selectAll('s')
    .select([
      sql<number>`(select cast(count(*) as integer) from devices d where d.site_id = s.id and d.state <> 'merged')`.as(
        'device_count',
      ),
      sql<number>`(select cast(count(*) as integer) from segments g where g.site_id = s.id)`.as(
        'segment_count',
      ),
    ])
    .orderBy('s.name_key');
  if (siteIds) q = siteIds.length ? q.where('s.id', 'in', siteIds) : q.where(sql<boolean>`1 = 0`);
  const rows = await q.execute();
  return rows.map((r) => ({
    ...r,
    device_count: Number(r.device_count),
    segment_count: Number(r.segment_count),
  }));
}

export async function insertSegment(h: DbHandle, row: SegmentRow): Promise<void> {
  await h.db.insertInto('segments').values(row).execute();
}

export async function listSegments(h: DbHandle, siteIds: readonly string[]): Promise<SegmentRow[]> {
  if (siteIds.length === 0) return [];
  return h.db
    .selectFrom('segments')
    .selectAll()
    .where('site_id', 'in', siteIds)
    .orderBy('site_id')
    .orderBy('name')
    .execute();
}

export async function findSegmentByName(
  h: DbHandle,
  siteId: string,
  name: string,
): Promise<SegmentRow | undefined> {
  return h.db
    .selectFrom('segments')
    .selectAll()
    .where('site_id', '=', siteId)
    .where('name', '=', name)
    .executeTakeFirst();
}
