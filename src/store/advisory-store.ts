/**
 * @module SQL for vulnerability knowledge: feed sources, CSAF advisories (products, vulnerabilities,
 * per-product status), vulnerability records with their lookup keys, KEV and EPSS, SBOMs and VEX
 * statements. Reading formats and deciding matches live in `formats/`, `advisories/` and `matching/`.
 */
import { sql } from 'kysely';
import { bulkInsert, chunks, selectInChunks } from './batch.js';
import type {
  AdvisoryProductTable,
  AdvisoryStatusTable,
  AdvisoryTable,
  AdvisoryVulnerabilityTable,
  EpssScoreTable,
  FeedSourceTable,
  KevEntryTable,
  SbomComponentTable,
  SbomTable,
  VexStatementTable,
  VulnerabilityRecordTable,
  VulnerabilityTable,
} from './schema.js';
import type { DbHandle } from './transaction.js';

export type FeedSourceRow = FeedSourceTable;
export type AdvisoryRow = AdvisoryTable;
export type AdvisoryProductRow = AdvisoryProductTable;
export type AdvisoryVulnerabilityRow = AdvisoryVulnerabilityTable;
export type AdvisoryStatusRow = AdvisoryStatusTable;
export type VulnerabilityRow = VulnerabilityTable;
export type VulnerabilityRecordRow = VulnerabilityRecordTable;
export type KevRow = KevEntryTable;
export type EpssRow = EpssScoreTable;
export type SbomRow = SbomTable;
export type SbomComponentRow = SbomComponentTable;
export type VexRow = VexStatementTable;

// ---- feed sources -------------------------------------------------------------------------------

export async function insertFeedSource(h: DbHandle, row: FeedSourceRow): Promise<void> {
  await h.db.insertInto('feed_sources').values(row).execute();
}

export async function updateFeedSource(
  h: DbHandle,
  id: string,
  patch: Partial<Omit<FeedSourceRow, 'id' | 'created_at'>>,
): Promise<void> {
  await h.db.updateTable('feed_sources').set(patch).where('id', '=', id).execute();
}

export async function feedSourceByKey(h: DbHandle, nameKey: string): Promise<FeedSourceRow | undefined> {
  return h.db.selectFrom('feed_sources').selectAll().where('name_key', '=', nameKey).executeTakeFirst();
}

export async function feedSourceById(h: DbHandle, id: string): Promise<FeedSourceRow | undefined> {
  return h.db.selectFrom('feed_sources').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listFeedSources(h: DbHandle): Promise<FeedSourceRow[]> {
  return h.db.selectFrom('feed_sources').selectAll().orderBy('kind').orderBy('name').execute();
}

export async function deleteFeedSource(h: DbHandle, id: string): Promise<void> {
  // Knowledge already imported stays; it only loses the link to the source it came from.
  for (const table of ['advisories', 'vulnerability_records', 'kev_entries', 'epss_scores'] as const) {
    await h.db.updateTable(table).set({ source_id: null }).where('source_id', '=', id).execute();
  }
  await h.db.deleteFrom('feed_sources').where('id', '=', id).execute();
}

// ---- CSAF advisories ----------------------------------------------------------------------------

export interface AdvisoryWrite {
  advisory: AdvisoryRow;
  products: AdvisoryProductRow[];
  vulnerabilities: AdvisoryVulnerabilityRow[];
  statuses: AdvisoryStatusRow[];
}

export async function advisoryByTrackingId(
  h: DbHandle,
  trackingId: string,
): Promise<AdvisoryRow | undefined> {
  return h.db.selectFrom('advisories').selectAll().where('tracking_id', '=', trackingId).executeTakeFirst();
}

/** Replaces the whole advisory (a new revision supersedes every product and status of the old one). */
export async function replaceAdvisory(h: DbHandle, w: AdvisoryWrite): Promise<void> {
  await h.db.deleteFrom('advisories').where('tracking_id', '=', w.advisory.tracking_id).execute();
  await h.db.insertInto('advisories').values(w.advisory).execute();
  await bulkInsert(h, 'advisory_products', w.products);
  await bulkInsert(h, 'advisory_vulnerabilities', w.vulnerabilities);
  await bulkInsert(h, 'advisory_statuses', w.statuses);
}

export async function listAdvisories(h: DbHandle): Promise<AdvisoryRow[]> {
  return h.db.selectFrom('advisories').selectAll().orderBy('current_release', 'desc').execute();
}

export async function advisoriesById(h: DbHandle, ids: readonly string[]): Promise<AdvisoryRow[]> {
  return selectInChunks(ids, (part) =>
    h.db.selectFrom('advisories').selectAll().where('id', 'in', part).execute(),
  );
}

/** Products of the given advisories (all advisories when ids is undefined). */
export async function advisoryProducts(
  h: DbHandle,
  advisoryIds?: readonly string[],
): Promise<AdvisoryProductRow[]> {
  if (!advisoryIds) return h.db.selectFrom('advisory_products').selectAll().execute();
  return selectInChunks(advisoryIds, (part) =>
    h.db.selectFrom('advisory_products').selectAll().where('advisory_id', 'in', part).execute(),
  );
}

export async function advisoryVulnerabilities(
  h: DbHandle,
  advisoryIds?: readonly string[],
): Promise<AdvisoryVulnerabilityRow[]> {
  if (!advisoryIds) return h.db.selectFrom('advisory_vulnerabilities').selectAll().execute();
  return selectInChunks(advisoryIds, (part) =>
    h.db.selectFrom('advisory_vulnerabilities').selectAll().where('advisory_id', 'in', part).execute(),
  );
}

export async function advisoryStatuses(
  h: DbHandle,
  advisoryIds?: readonly string[],
): Promise<AdvisoryStatusRow[]> {
  if (!advisoryIds) return h.db.selectFrom('advisory_statuses').selectAll().execute();
  return selectInChunks(advisoryIds, (part) =>
    h.db.selectFrom('advisory_statuses').selectAll().where('advisory_id', 'in', part).execute(),
  );
}

/** Advisory ids whose products name one of these vendor keys. */
export async function advisoryIdsForVendors(h: DbHandle, vendorKeys: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const part of chunks(vendorKeys, 500)) {
    if (!part.length) continue;
    const rows = await h.db
      .selectFrom('advisory_products')
      .select('advisory_id')
      .distinct()
      .where('vendor_key', 'in', part)
      .execute();
    for (const r of rows) out.add(r.advisory_id);
  }
  return [...out];
}

/** Advisory ids that mention a vulnerability key. */
export async function advisoryIdsForVulns(h: DbHandle, vulnKeys: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const part of chunks(vulnKeys, 500)) {
    if (!part.length) continue;
    const rows = await h.db
      .selectFrom('advisory_vulnerabilities')
      .select('advisory_id')
      .where('vuln_key', 'in', part)
      .execute();
    for (const r of rows) out.add(r.advisory_id);
  }
  return [...out];
}

// ---- vulnerabilities ----------------------------------------------------------------------------

/** Upserts summaries: a later source fills what an earlier one left empty; newer modification wins. */
export async function upsertVulnerabilities(h: DbHandle, rows: readonly VulnerabilityRow[]): Promise<void> {
  for (const part of chunks(rows, 200)) {
    if (!part.length) continue;
    const fill = (c: keyof VulnerabilityRow) =>
      sql`coalesce(excluded.${sql.ref(c)}, vulnerabilities.${sql.ref(c)})` as never;
    await h.db
      .insertInto('vulnerabilities')
      .values(part)
      .onConflict((oc) =>
        oc.column('vuln_key').doUpdateSet({
          cve: fill('cve'),
          title: fill('title'),
          description: fill('description'),
          cvss_score: fill('cvss_score'),
          cvss_vector: fill('cvss_vector'),
          cvss_version: fill('cvss_version'),
          severity: fill('severity'),
          cwes: sql`case when excluded.cwes = '[]' then vulnerabilities.cwes else excluded.cwes end`,
          published: fill('published'),
          modified: fill('modified'),
          ssvc: fill('ssvc'),
          exploit_refs: fill('exploit_refs'),
          updated_at: sql`excluded.updated_at`,
        }),
      )
      .execute();
  }
}

export async function vulnerabilitiesByKey(
  h: DbHandle,
  keys: readonly string[],
): Promise<VulnerabilityRow[]> {
  return selectInChunks(keys, (part) =>
    h.db.selectFrom('vulnerabilities').selectAll().where('vuln_key', 'in', part).execute(),
  );
}

export interface RecordWrite {
  row: VulnerabilityRecordRow;
  keys: string[];
}

/** Replaces records of the same (vuln_key, source) together with their lookup keys. */
export async function replaceVulnerabilityRecords(
  h: DbHandle,
  writes: readonly RecordWrite[],
): Promise<void> {
  for (const part of chunks(writes, 300)) {
    if (!part.length) continue;
    for (const source of new Set(part.map((w) => w.row.source))) {
      const keys = part.filter((w) => w.row.source === source).map((w) => w.row.vuln_key);
      await h.db
        .deleteFrom('vulnerability_records')
        .where('source', '=', source)
        .where('vuln_key', 'in', keys)
        .execute();
    }
    await bulkInsert(
      h,
      'vulnerability_records',
      part.map((w) => w.row),
    );
    await bulkInsert(
      h,
      'vulnerability_index',
      part.flatMap((w) => [...new Set(w.keys)].map((key) => ({ record_id: w.row.id, key }))),
    );
  }
}

/** Records reachable from any of the lookup keys (all when keys is undefined). */
export async function recordsForKeys(
  h: DbHandle,
  keys?: readonly string[],
): Promise<VulnerabilityRecordRow[]> {
  if (!keys) return h.db.selectFrom('vulnerability_records').selectAll().execute();
  const ids = new Set<string>();
  for (const part of chunks(keys, 500)) {
    if (!part.length) continue;
    const rows = await h.db
      .selectFrom('vulnerability_index')
      .select('record_id')
      .where('key', 'in', part)
      .execute();
    for (const r of rows) ids.add(r.record_id);
  }
  return selectInChunks([...ids], (part) =>
    h.db.selectFrom('vulnerability_records').selectAll().where('id', 'in', part).execute(),
  );
}

export async function recordsOfVulns(
  h: DbHandle,
  vulnKeys: readonly string[],
): Promise<VulnerabilityRecordRow[]> {
  return selectInChunks(vulnKeys, (part) =>
    h.db.selectFrom('vulnerability_records').selectAll().where('vuln_key', 'in', part).execute(),
  );
}

export async function countRows(
  h: DbHandle,
  table: 'advisories' | 'vulnerability_records' | 'kev_entries' | 'epss_scores' | 'vulnerabilities',
): Promise<number> {
  const r = await h.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

// ---- KEV and EPSS -------------------------------------------------------------------------------

export async function upsertKev(h: DbHandle, rows: readonly KevRow[]): Promise<void> {
  const columns = Object.keys(rows[0] ?? {}).filter((c) => c !== 'cve');
  await bulkInsert(h, 'kev_entries', rows, { conflict: ['cve'], update: columns });
}

export async function upsertEpss(h: DbHandle, rows: readonly EpssRow[]): Promise<void> {
  const columns = Object.keys(rows[0] ?? {}).filter((c) => c !== 'cve');
  await bulkInsert(h, 'epss_scores', rows, { conflict: ['cve'], update: columns });
}

export async function kevFor(h: DbHandle, cves: readonly string[]): Promise<Map<string, KevRow>> {
  const out = new Map<string, KevRow>();
  for (const part of chunks(cves, 500)) {
    if (!part.length) continue;
    for (const r of await h.db.selectFrom('kev_entries').selectAll().where('cve', 'in', part).execute())
      out.set(r.cve, r);
  }
  return out;
}

export async function epssFor(h: DbHandle, cves: readonly string[]): Promise<Map<string, EpssRow>> {
  const out = new Map<string, EpssRow>();
  for (const part of chunks(cves, 500)) {
    if (!part.length) continue;
    for (const r of await h.db.selectFrom('epss_scores').selectAll().where('cve', 'in', part).execute())
      out.set(r.cve, r);
  }
  return out;
}

/** The newest fetch of each enrichment, to tell "not listed" from "never loaded". */
export async function enrichmentFreshness(h: DbHandle): Promise<{ kev: string | null; epss: string | null }> {
  const kev = await h.db
    .selectFrom('kev_entries')
    .select((eb) => eb.fn.max('fetched_at').as('t'))
    .executeTakeFirst();
  const epss = await h.db
    .selectFrom('epss_scores')
    .select((eb) => eb.fn.max('fetched_at').as('t'))
    .executeTakeFirst();
  return { kev: (kev?.t as string | null) ?? null, epss: (epss?.t as string | null) ?? null };
}

// ---- SBOMs and VEX ------------------------------------------------------------------------------

export async function insertSbom(
  h: DbHandle,
  sbom: SbomRow,
  components: readonly SbomComponentRow[],
): Promise<void> {
  await h.db.insertInto('sboms').values(sbom).execute();
  await bulkInsert(h, 'sbom_components', components);
}

export async function sbomBySha(
  h: DbHandle,
  modelId: string,
  version: string | null,
  sha256: string,
): Promise<SbomRow | undefined> {
  let q = h.db.selectFrom('sboms').selectAll().where('model_id', '=', modelId).where('sha256', '=', sha256);
  q = version === null ? q.where('software_version', 'is', null) : q.where('software_version', '=', version);
  return q.executeTakeFirst();
}

export async function listSboms(h: DbHandle, modelId?: string): Promise<SbomRow[]> {
  let q = h.db.selectFrom('sboms').selectAll();
  if (modelId) q = q.where('model_id', '=', modelId);
  return q.orderBy('imported_at', 'desc').execute();
}

export async function sbomComponents(h: DbHandle, sbomIds?: readonly string[]): Promise<SbomComponentRow[]> {
  if (!sbomIds) return h.db.selectFrom('sbom_components').selectAll().execute();
  return selectInChunks(sbomIds, (part) =>
    h.db.selectFrom('sbom_components').selectAll().where('sbom_id', 'in', part).execute(),
  );
}

export async function insertVexStatements(h: DbHandle, rows: readonly VexRow[]): Promise<void> {
  await bulkInsert(h, 'vex_statements', rows);
}

export async function vexStatements(h: DbHandle, vulnKeys?: readonly string[]): Promise<VexRow[]> {
  if (!vulnKeys) return h.db.selectFrom('vex_statements').selectAll().orderBy('created_at').execute();
  return selectInChunks(vulnKeys, (part) =>
    h.db
      .selectFrom('vex_statements')
      .selectAll()
      .where('vuln_key', 'in', part)
      .orderBy('created_at')
      .execute(),
  );
}
