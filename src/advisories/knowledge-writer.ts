/**
 * @module Writes what the readers produced into the knowledge base, one transaction per document (CSAF)
 * or per batch (records, KEV, EPSS), and returns the vulnerability keys it touched so the matcher can
 * re-match just those. Re-running an import is safe: advisories are replaced by tracking id (an older
 * revision never replaces a newer one), records by (id, source), KEV/EPSS by CVE.
 */
import { createHash } from 'node:crypto';
import type { Actor } from '../accounts/actor.js';
import type { CsafAdvisory } from '../formats/csaf/index.js';
import { resolveManufacturer } from '../matching/names/names.js';
import { affectedIndexKeys } from '../matching/rules/affected-list.js';
import { cpeIndexKeys } from '../matching/rules/nvd-cpe.js';
import {
  advisoryByTrackingId,
  advisoryVulnerabilities,
  type EpssRow,
  type FeedSourceRow,
  feedSourceByKey,
  insertFeedSource,
  type KevRow,
  type RecordWrite,
  replaceAdvisory,
  replaceVulnerabilityRecords,
  updateFeedSource,
  upsertEpss,
  upsertKev,
  upsertVulnerabilities,
  type VulnerabilityRow,
} from '../store/advisory-store.js';
import { newId, nowIso } from '../store/ids.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import type { CvssMetric, EpssSnapshot, KevCatalog, VulnerabilityRecord } from './records.js';

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Expected sync interval per feed kind, in hours: a source not refreshed within it shows as stale. */
export const DEFAULT_INTERVAL_HOURS: Record<string, number> = {
  'csaf-provider': 24,
  'csaf-files': 24 * 30,
  kev: 24,
  epss: 24,
  nvd: 24,
  cve5: 24,
  osv: 24,
};

/** The feed source a manual import is recorded under (`kev`, `epss`, `nvd` …), created on first use. */
export async function ensureFeedSource(h: DbHandle, kind: string, name = kind): Promise<FeedSourceRow> {
  const key = name.trim().toLowerCase();
  const existing = await feedSourceByKey(h, key);
  if (existing) return existing;
  const at = nowIso();
  const row: FeedSourceRow = {
    id: newId(),
    kind,
    name,
    name_key: key,
    url: null,
    manufacturer: null,
    enabled: 1,
    require_signature: 0,
    expected_interval_hours: DEFAULT_INTERVAL_HOURS[kind] ?? 24,
    state: '{}',
    last_attempt_at: null,
    last_success_at: null,
    last_error: null,
    created_at: at,
    updated_at: at,
  };
  await insertFeedSource(h, row);
  return row;
}

export async function markSourceSynced(h: DbHandle, id: string, at = nowIso()): Promise<void> {
  await updateFeedSource(h, id, {
    last_attempt_at: at,
    last_success_at: at,
    last_error: null,
    updated_at: at,
  });
}

/** The CVSS metric people act on: the newest version, the primary source first. */
export function preferredCvss(metrics: readonly CvssMetric[]): CvssMetric | null {
  const order = ['4.0', '3.1', '3.0', '2.0'];
  return (
    [...metrics].sort(
      (a, b) =>
        order.indexOf(a.version) - order.indexOf(b.version) ||
        (a.type === 'Primary' ? -1 : 0) - (b.type === 'Primary' ? -1 : 0),
    )[0] ?? null
  );
}

/** The key a vulnerability is stored and matched under: its CVE, or `<tracking id>/<n>` without one. */
export function vulnKeyOf(advisoryId: string, index: number, cve: string | null): string {
  return cve ?? `${advisoryId}/${index + 1}`;
}

/**
 * `a` strictly before `b`, as instants: CSAF dates differ in precision and offset (`…00.000000Z`,
 * `…00.000Z`, `…+02:00`), so comparing the strings can rank an older revision as newer.
 */
function isBefore(a: string, b: string): boolean {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return Number.isNaN(ta) || Number.isNaN(tb) ? a < b : ta < tb;
}

export interface CsafWriteOutcome {
  status: 'imported' | 'updated' | 'unchanged' | 'older';
  advisoryId: string;
  version: string;
  /** Vulnerability keys of this and the replaced revision: what must be re-matched. */
  vulnKeys: string[];
  products: number;
  vulnerabilities: number;
}

export async function writeCsafAdvisory(
  vdb: DbHandle,
  advisory: CsafAdvisory,
  provenance: { origin: string; sha256: string; sourceId: string | null; fetchedAt?: string },
): Promise<CsafWriteOutcome> {
  return transaction(vdb, async (h) => {
    const existing = await advisoryByTrackingId(h, advisory.advisoryId);
    const base = {
      advisoryId: advisory.advisoryId,
      version: advisory.tracking.version,
      products: advisory.products.length,
      vulnerabilities: advisory.vulnerabilities.length,
    };
    if (existing?.sha256 === provenance.sha256) return { ...base, status: 'unchanged', vulnKeys: [] };
    if (existing && isBefore(advisory.tracking.currentReleaseDate, existing.current_release)) {
      return { ...base, status: 'older', vulnKeys: [] };
    }
    const oldKeys = existing ? (await advisoryVulnerabilities(h, [existing.id])).map((v) => v.vuln_key) : [];
    const at = nowIso();
    const id = newId();
    const byId = new Map(advisory.products.map((p) => [p.productId, p]));
    const vulnRows = advisory.vulnerabilities.map((v, i) => ({
      id: newId(),
      advisory_id: id,
      vuln_key: vulnKeyOf(advisory.advisoryId, i, v.cve),
      cve: v.cve,
      title: v.title,
      cwe: v.cwe ? JSON.stringify(v.cwe) : null,
      ssvc: v.ssvc ? JSON.stringify(v.ssvc) : null,
      scores: JSON.stringify(v.products.flatMap((p) => p.scores).slice(0, 4)),
      path: v.path,
    }));
    // A document may list one CVE twice (CISA splits by product); keep one row per key.
    const seen = new Set<string>();
    const uniqueVulnRows = vulnRows.filter((r) => !seen.has(r.vuln_key) && seen.add(r.vuln_key));
    const statusSeen = new Set<string>();
    const statuses = advisory.vulnerabilities.flatMap((v, i) =>
      v.products
        .filter((p) => p.status !== 'recommended')
        .map((p) => ({
          id: newId(),
          advisory_id: id,
          vuln_key: vulnKeyOf(advisory.advisoryId, i, v.cve),
          product_id: p.productId,
          status: p.status,
          remediations: JSON.stringify(
            p.remediations.map((r) => ({ category: r.category, details: r.details, url: r.url })),
          ),
        }))
        .filter((r) => {
          const k = `${r.vuln_key}\u0000${r.product_id}`;
          return !statusSeen.has(k) && statusSeen.add(k);
        }),
    );
    await replaceAdvisory(h, {
      advisory: {
        id,
        tracking_id: advisory.advisoryId,
        title: advisory.title,
        publisher: advisory.publisher.name,
        category: advisory.category,
        version: advisory.tracking.version,
        status: advisory.tracking.status,
        initial_release: advisory.tracking.initialReleaseDate,
        current_release: advisory.tracking.currentReleaseDate,
        source_id: provenance.sourceId,
        origin: provenance.origin,
        sha256: provenance.sha256,
        fetched_at: provenance.fetchedAt ?? at,
        refs: JSON.stringify(advisory.references),
        created_at: existing?.created_at ?? at,
        updated_at: at,
      },
      products: advisory.products.map((p) => {
        // A relationship product (`component installed_on platform`) is found on the platform: the device.
        const platform = p.relationship ? byId.get(p.relationship.platform) : undefined;
        const t = !p.trimmed.vendor && platform ? platform.trimmed : p.trimmed;
        const v = !p.trimmed.vendor && platform ? platform : p;
        return {
          id: newId(),
          advisory_id: id,
          product_id: p.productId,
          name: p.name,
          vendor: t.vendor,
          vendor_key: t.vendor ? resolveManufacturer(t.vendor).key : null,
          family: t.productFamily,
          product_name: t.productName,
          version: v.version,
          version_range: v.versionRange,
          helpers: p.helpers ? JSON.stringify(p.helpers) : null,
          relationship: p.relationship ? JSON.stringify(p.relationship) : null,
          path: p.path,
        };
      }),
      vulnerabilities: uniqueVulnRows,
      statuses,
    });
    const summaries: VulnerabilityRow[] = advisory.vulnerabilities.map((v, i) => {
      const best = [...v.products.flatMap((p) => p.scores)].sort((a, b) =>
        (b.cvssVersion ?? '').localeCompare(a.cvssVersion ?? ''),
      )[0];
      return {
        vuln_key: vulnKeyOf(advisory.advisoryId, i, v.cve),
        cve: v.cve,
        title: v.title,
        description: null,
        cvss_score: best?.baseScore ?? null,
        cvss_vector: best?.vectorString ?? null,
        cvss_version: best?.cvssVersion ?? null,
        severity: best?.baseSeverity?.toLowerCase() ?? null,
        cwes: JSON.stringify(v.cwe ? [v.cwe.id] : []),
        published: advisory.tracking.initialReleaseDate,
        modified: null,
        created_at: at,
        updated_at: at,
      };
    });
    const summarySeen = new Set<string>();
    await upsertVulnerabilities(
      h,
      summaries.filter((r) => !summarySeen.has(r.vuln_key) && summarySeen.add(r.vuln_key)),
    );
    return {
      ...base,
      status: existing ? 'updated' : 'imported',
      vulnKeys: [...new Set([...oldKeys, ...uniqueVulnRows.map((r) => r.vuln_key)])],
    };
  });
}

/** Stores vulnerability records with their lookup keys; returns the keys written. */
export async function writeVulnerabilityRecords(
  vdb: DbHandle,
  records: readonly VulnerabilityRecord[],
  provenance: { origin: string; sourceId: string | null },
): Promise<string[]> {
  const at = nowIso();
  const written: string[] = [];
  for (let i = 0; i < records.length; i += 2000) {
    const part = records.slice(i, i + 2000);
    await transaction(vdb, async (h) => {
      const byKey = new Map<string, VulnerabilityRecord>();
      for (const r of part) byKey.set(`${r.id}\u0000${r.source}`, r);
      const writes: RecordWrite[] = [...byKey.values()].map((r) => ({
        row: {
          id: newId(),
          vuln_key: r.id,
          source: r.source,
          record: JSON.stringify(r),
          modified: r.modified,
          source_id: provenance.sourceId,
          origin: provenance.origin,
          fetched_at: at,
        },
        keys: [...cpeIndexKeys(r.configurations), ...affectedIndexKeys(r)],
      }));
      await replaceVulnerabilityRecords(h, writes);
      const summaries = new Map<string, VulnerabilityRow>();
      for (const r of byKey.values()) {
        const cvss = preferredCvss(r.cvss);
        summaries.set(r.id, {
          vuln_key: r.id,
          cve: r.id.startsWith('CVE-') ? r.id : (r.aliases.find((a) => a.startsWith('CVE-')) ?? null),
          title: r.title,
          description: r.description,
          cvss_score: cvss?.baseScore ?? null,
          cvss_vector: cvss?.vectorString ?? null,
          cvss_version: cvss?.version ?? null,
          severity: cvss?.baseSeverity?.toLowerCase() ?? null,
          cwes: JSON.stringify(r.cwes),
          published: r.published,
          modified: r.modified,
          created_at: at,
          updated_at: at,
          ssvc: r.ssvc ? JSON.stringify(r.ssvc) : null,
          exploit_refs: r.exploitReferences?.length ? JSON.stringify(r.exploitReferences.slice(0, 20)) : null,
        });
      }
      await upsertVulnerabilities(h, [...summaries.values()]);
      written.push(...summaries.keys());
    });
  }
  return written;
}

export async function writeKev(vdb: DbHandle, catalog: KevCatalog, sourceId: string | null): Promise<number> {
  const at = nowIso();
  const rows: KevRow[] = catalog.entries.map((e) => ({
    cve: e.cve,
    vendor: e.vendor,
    product: e.product,
    name: e.name,
    date_added: e.dateAdded,
    due_date: e.dueDate,
    ransomware: e.knownRansomwareCampaignUse,
    required_action: e.requiredAction,
    notes: e.notes,
    catalog_version: catalog.catalogVersion,
    source_id: sourceId,
    fetched_at: at,
  }));
  await transaction(vdb, async (h) => {
    await upsertKev(h, rows);
    if (sourceId) await markSourceSynced(h, sourceId, at);
  });
  return rows.length;
}

export async function writeEpss(
  vdb: DbHandle,
  snapshot: EpssSnapshot,
  sourceId: string | null,
): Promise<number> {
  const at = nowIso();
  await transaction(vdb, async (h) => {
    for (let i = 0; i < snapshot.scores.length; i += 5000) {
      const rows: EpssRow[] = snapshot.scores.slice(i, i + 5000).map((s) => ({
        cve: s.cve,
        epss: s.epss,
        percentile: s.percentile,
        score_date: snapshot.scoreDate,
        model_version: snapshot.modelVersion,
        source_id: sourceId,
        fetched_at: at,
      }));
      await upsertEpss(h, rows);
    }
    if (sourceId) await markSourceSynced(h, sourceId, at);
  });
  return snapshot.scores.length;
}

export type { Actor };
