/**
 * @module SQL for matching: the slice of the inventory the matcher needs (one narrow row per device),
 * the stored matches per (device, vulnerability), and the decisions people made on candidates.
 */
import { sql } from 'kysely';
import { bulkInsert, chunks } from './batch.js';
import type { MatchAnswerTable, MatchDecisionTable, VulnerabilityMatchTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type MatchRow = VulnerabilityMatchTable;
export type AnswerRow = MatchAnswerTable;
export type DecisionRow = MatchDecisionTable;
/** A match with what its answer says (without the evidence JSON), as readers need it. */
export type MatchView = MatchRow & Omit<AnswerRow, 'fingerprint' | 'status' | 'candidate' | 'details'>;

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
  serialNumber: string | null;
}

/** Manufacturers as the catalogue names them, for resolving to the matcher's manufacturer keys. */
export async function manufacturerNames(h: DbHandle): Promise<{ id: string; name: string }[]> {
  return h.db.selectFrom('manufacturers').select(['id', 'name']).execute();
}

/** Ids of matchable devices of these manufacturers. */
export async function deviceIdsOfManufacturers(
  h: DbHandle,
  manufacturerIds: readonly string[],
): Promise<string[]> {
  const out: string[] = [];
  for (const part of chunks(manufacturerIds, 500)) {
    if (!part.length) continue;
    const rows = await h.db
      .selectFrom('devices as d')
      .innerJoin('device_models as m', 'm.id', 'd.model_id')
      .select('d.id')
      .where('m.manufacturer_id', 'in', part)
      .where('d.state', 'in', ['staged', 'active'])
      .execute();
    for (const r of rows) out.push(r.id);
  }
  return out;
}

/** Ids of matchable devices of these models. */
export async function deviceIdsOfModels(h: DbHandle, modelIds: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const part of chunks(modelIds, 500)) {
    if (!part.length) continue;
    const rows = await h.db
      .selectFrom('devices')
      .select('id')
      .where('model_id', 'in', part)
      .where('state', 'in', ['staged', 'active'])
      .execute();
    for (const r of rows) out.push(r.id);
  }
  return out;
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
        'd.serial_number as serialNumber',
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

/** What a re-match needs of the stored rows: identity and fingerprint, not the (large) details. */
export type StoredMatchKey = Pick<MatchRow, 'id' | 'device_id' | 'vuln_key' | 'fingerprint'>;

export async function matchesInScope(h: DbHandle, scope: MatchScope): Promise<StoredMatchKey[]> {
  const base = () =>
    h.db.selectFrom('vulnerability_matches').select(['id', 'device_id', 'vuln_key', 'fingerprint']);
  if (!scope.deviceIds && !scope.vulnKeys) return base().execute();
  const out: StoredMatchKey[] = [];
  const [column, values] = scope.deviceIds
    ? (['device_id', scope.deviceIds] as const)
    : (['vuln_key', scope.vulnKeys ?? []] as const);
  for (const part of chunks(values, 500)) {
    if (!part.length) continue;
    let q = base().where(column, 'in', part);
    if (scope.deviceIds && scope.vulnKeys) q = q.where('vuln_key', 'in', [...scope.vulnKeys]);
    out.push(...(await q.execute()));
  }
  return out;
}

export async function insertMatches(h: DbHandle, rows: readonly MatchRow[]): Promise<void> {
  await bulkInsert(h, 'vulnerability_matches', rows);
}

/** Stores answers not stored yet (an answer is immutable: its fingerprint hashes every column). */
export async function insertAnswers(h: DbHandle, answers: ReadonlyMap<string, AnswerRow>): Promise<void> {
  for (const part of chunks([...answers.values()], 200)) {
    if (part.length)
      await h.db
        .insertInto('match_answers')
        .values(part)
        .onConflict((oc) => oc.column('fingerprint').doNothing())
        .execute();
  }
}

/** Drops answers among these that no match refers to any more. */
export async function pruneAnswers(h: DbHandle, fingerprints: Iterable<string>): Promise<void> {
  for (const part of chunks([...new Set(fingerprints)], 500)) {
    if (!part.length) continue;
    await h.db
      .deleteFrom('match_answers')
      .where('fingerprint', 'in', part)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('vulnerability_matches')
              .select('id')
              .whereRef('vulnerability_matches.fingerprint', '=', 'match_answers.fingerprint'),
          ),
        ),
      )
      .execute();
  }
}

export async function detailsOf(h: DbHandle, fingerprint: string): Promise<string | null> {
  const r = await h.db
    .selectFrom('match_answers')
    .select('details')
    .where('fingerprint', '=', fingerprint)
    .executeTakeFirst();
  return r?.details ?? null;
}

/** First-matched times of these matches (kept when a changed match is rewritten). */
export async function firstMatchedOf(h: DbHandle, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const part of chunks(ids, 500)) {
    if (!part.length) continue;
    const rows = await h.db
      .selectFrom('vulnerability_matches')
      .select(['id', 'first_matched_at'])
      .where('id', 'in', part)
      .execute();
    for (const r of rows) out.set(r.id, r.first_matched_at);
  }
  return out;
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

function viewQuery(h: DbHandle) {
  return h.db
    .selectFrom('vulnerability_matches as v')
    .innerJoin('match_answers as a', 'a.fingerprint', 'v.fingerprint')
    .selectAll('v')
    .select(['a.cve', 'a.advisory_ids', 'a.confidence', 'a.matched_by', 'a.explanation', 'a.fix_available']);
}

/** A match's answer without its details (which only `vigil vulns why` reads). */
export type AnswerView = Omit<AnswerRow, 'details'>;

/**
 * Matches in id order, a page at a time, without their answers: a fleet's matches share a few thousand
 * answers (a model and version's verdict on a vulnerability), which `answersOf` reads once each.
 */
export async function* streamMatchPages(
  h: DbHandle,
  f: MatchListFilter,
  pageSize = 1000,
): AsyncGenerator<MatchRow[]> {
  let after = f.after ?? '';
  let left = f.limit ?? Number.POSITIVE_INFINITY;
  while (left > 0) {
    let q = h.db.selectFrom('vulnerability_matches as v').selectAll('v').where('v.id', '>', after);
    if (f.deviceId) q = q.where('v.device_id', '=', f.deviceId);
    if (f.vulnKey) q = q.where('v.vuln_key', '=', f.vulnKey);
    if (f.status?.length) q = q.where('v.status', 'in', [...f.status]);
    if (f.candidate !== undefined) q = q.where('v.candidate', '=', f.candidate ? 1 : 0);
    const rows = await q.orderBy('v.id').limit(Math.min(pageSize, left)).execute();
    if (rows.length) yield rows;
    if (rows.length < pageSize) return;
    left -= rows.length;
    after = rows.at(-1)?.id ?? after;
  }
}

/** The answers with these fingerprints, by fingerprint. */
export async function answersOf(
  h: DbHandle,
  fingerprints: Iterable<string>,
): Promise<Map<string, AnswerView>> {
  const out = new Map<string, AnswerView>();
  for (const part of chunks([...new Set(fingerprints)], 500)) {
    if (!part.length) continue;
    const rows = await h.db
      .selectFrom('match_answers')
      .select([
        'fingerprint',
        'cve',
        'advisory_ids',
        'confidence',
        'matched_by',
        'explanation',
        'fix_available',
        'status',
        'candidate',
      ])
      .where('fingerprint', 'in', part)
      .execute();
    for (const r of rows) out.set(r.fingerprint, r);
  }
  return out;
}

/** Matches in id order (a stable order for paging); ranking is the caller's concern. */
export async function* streamMatches(h: DbHandle, f: MatchListFilter): AsyncGenerator<MatchView> {
  const page = 1000;
  let after = f.after ?? '';
  let left = f.limit ?? Number.POSITIVE_INFINITY;
  while (left > 0) {
    let q = viewQuery(h).where('v.id', '>', after);
    if (f.deviceId) q = q.where('v.device_id', '=', f.deviceId);
    if (f.vulnKey) q = q.where('v.vuln_key', '=', f.vulnKey);
    if (f.status?.length) q = q.where('v.status', 'in', [...f.status]);
    if (f.candidate !== undefined) q = q.where('v.candidate', '=', f.candidate ? 1 : 0);
    const rows = await q.orderBy('v.id').limit(Math.min(page, left)).execute();
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
): Promise<MatchView | undefined> {
  return viewQuery(h)
    .where('v.device_id', '=', deviceId)
    .where('v.vuln_key', '=', vulnKey)
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
