/**
 * @module SQL for matching: the slice of the inventory the matcher needs (one narrow row per device),
 * the stored matches per (device, vulnerability), and the decisions people made on candidates.
 */
import { sql } from 'kysely';
import { bulkInsert, chunks } from './batch.js';
import type { MatchDecisionTable, VulnerabilityMatchTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type MatchRow = VulnerabilityMatchTable;
export type DecisionRow = MatchDecisionTable;

export interface DeviceForMatching {
  id: string;
  modelId: string | null;
  model: string | null;
  modelNumber: string | null;
  manufacturer: string | null;
  firmwareVersion: string | null;
  softwareVersion: string | null;
  siteId: string | null;
  department: string | null;
}

/** Devices that can be affected: staged (observed, not yet reviewed) and active ones. */
export async function devicesForMatching(h: DbHandle, ids?: readonly string[]): Promise<DeviceForMatching[]> {
  const base = () =>
    h.db
      .selectFrom('devices as d')
      .leftJoin('device_models as m', 'm.id', 'd.model_id')
      .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
      .select([
        'd.id as id',
        'd.model_id as modelId',
        'm.name as model',
        'm.model_number as modelNumber',
        'f.name as manufacturer',
        'd.firmware_version as firmwareVersion',
        'd.software_version as softwareVersion',
        'd.site_id as siteId',
        'd.department as department',
      ])
      .where('d.state', 'in', ['staged', 'active']);
  if (!ids) return base().execute();
  const out: DeviceForMatching[] = [];
  for (const part of chunks(ids, 500))
    if (part.length) out.push(...(await base().where('d.id', 'in', part).execute()));
  return out;
}

/** CPEs that scanners reported for devices' services (`cpe:/a:openbsd:openssh:7.4`). */
export async function serviceCpes(
  h: DbHandle,
  deviceIds?: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const add = (rows: { device_id: string; cpes: string }[]) => {
    for (const r of rows) {
      const list = JSON.parse(r.cpes) as string[];
      if (!list.length) continue;
      const known = out.get(r.device_id);
      if (known) known.push(...list);
      else out.set(r.device_id, list);
    }
  };
  const q = () => h.db.selectFrom('device_services').select(['device_id', 'cpes']).where('cpes', '!=', '[]');
  if (!deviceIds) add(await q().execute());
  else
    for (const part of chunks(deviceIds, 500))
      if (part.length) add(await q().where('device_id', 'in', part).execute());
  return out;
}

export interface MatchScope {
  deviceIds?: readonly string[];
  vulnKeys?: readonly string[];
}

export async function matchesInScope(h: DbHandle, scope: MatchScope): Promise<MatchRow[]> {
  if (!scope.deviceIds && !scope.vulnKeys)
    return h.db.selectFrom('vulnerability_matches').selectAll().execute();
  const out: MatchRow[] = [];
  const [column, values] = scope.deviceIds
    ? (['device_id', scope.deviceIds] as const)
    : (['vuln_key', scope.vulnKeys ?? []] as const);
  for (const part of chunks(values, 500)) {
    if (!part.length) continue;
    let q = h.db.selectFrom('vulnerability_matches').selectAll().where(column, 'in', part);
    if (scope.deviceIds && scope.vulnKeys) q = q.where('vuln_key', 'in', [...scope.vulnKeys]);
    out.push(...(await q.execute()));
  }
  return out;
}

export async function insertMatches(h: DbHandle, rows: readonly MatchRow[]): Promise<void> {
  await bulkInsert(h, 'vulnerability_matches', rows);
}

/**
 * Rewrites changed matches. Rows keep their id and first-matched time; deleting and bulk-inserting them is
 * far cheaper than one UPDATE per row when an advisory revision changes thousands of matches.
 */
export async function updateMatches(h: DbHandle, rows: readonly MatchRow[]): Promise<void> {
  await deleteMatches(
    h,
    rows.map((r) => r.id),
  );
  await insertMatches(h, rows);
}

export async function touchMatches(h: DbHandle, ids: readonly string[], at: string): Promise<void> {
  for (const part of chunks(ids, 500)) {
    if (part.length)
      await h.db
        .updateTable('vulnerability_matches')
        .set({ last_matched_at: at })
        .where('id', 'in', part)
        .execute();
  }
}

export async function deleteMatches(h: DbHandle, ids: readonly string[]): Promise<void> {
  for (const part of chunks(ids, 500)) {
    if (part.length) await h.db.deleteFrom('vulnerability_matches').where('id', 'in', part).execute();
  }
}

export interface MatchListFilter {
  deviceId?: string;
  vulnKey?: string;
  status?: readonly string[];
  candidate?: boolean;
  limit?: number;
  after?: string;
}

/** Matches with their device's asset tag, most severe first is the caller's concern; stable order here. */
export async function* streamMatches(h: DbHandle, f: MatchListFilter): AsyncGenerator<MatchRow> {
  const page = 1000;
  let after = f.after ?? '';
  let left = f.limit ?? Number.POSITIVE_INFINITY;
  while (left > 0) {
    let q = h.db.selectFrom('vulnerability_matches').selectAll().where('id', '>', after);
    if (f.deviceId) q = q.where('device_id', '=', f.deviceId);
    if (f.vulnKey) q = q.where('vuln_key', '=', f.vulnKey);
    if (f.status?.length) q = q.where('status', 'in', [...f.status]);
    if (f.candidate !== undefined) q = q.where('candidate', '=', f.candidate ? 1 : 0);
    const rows = await q.orderBy('id').limit(Math.min(page, left)).execute();
    for (const r of rows) yield r;
    if (rows.length < page) return;
    left -= rows.length;
    after = rows.at(-1)?.id ?? after;
  }
}

export async function matchFor(
  h: DbHandle,
  deviceId: string,
  vulnKey: string,
): Promise<MatchRow | undefined> {
  return h.db
    .selectFrom('vulnerability_matches')
    .selectAll()
    .where('device_id', '=', deviceId)
    .where('vuln_key', '=', vulnKey)
    .executeTakeFirst();
}

export async function listDecisions(h: DbHandle): Promise<DecisionRow[]> {
  return h.db.selectFrom('match_decisions').selectAll().execute();
}

export async function upsertDecision(h: DbHandle, row: DecisionRow): Promise<void> {
  await h.db
    .insertInto('match_decisions')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['manufacturer_key', 'model_key', 'version', 'vuln_key']).doUpdateSet({
        decision: sql`excluded.decision`,
        reason: sql`excluded.reason`,
        decided_by: sql`excluded.decided_by`,
        decided_at: sql`excluded.decided_at`,
      }),
    )
    .execute();
}

/** Counts per status, for summaries. */
export async function matchStatusCounts(h: DbHandle): Promise<Record<string, number>> {
  const rows = await h.db
    .selectFrom('vulnerability_matches')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
