/**
 * @module The matcher: reads the inventory slice and the knowledge that can concern it, runs every rule
 * per subject (devices of one manufacturer, model and version), combines evidence per (device,
 * vulnerability), applies people's decisions and VEX, and writes only what changed.
 *
 * Incremental by scope: a new advisory or CVE re-matches its vulnerabilities against the whole
 * inventory (`vulnKeys`); a new or changed device is matched against all knowledge (`deviceIds`).
 */
import type { Actor } from '../accounts/actor.js';
import type { VulnerabilityRecord } from '../advisories/records.js';
import { appendAudit } from '../audit/audit-log.js';
import {
  type AdvisoryProductRow,
  advisoriesById,
  advisoryIdsForVendors,
  advisoryIdsForVulns,
  advisoryProducts,
  advisoryStatuses,
  advisoryVulnerabilities,
  listSboms,
  recordsForKeys,
  recordsOfVulns,
  sbomComponents,
  type VexRow,
  vexStatements,
} from '../store/advisory-store.js';
import { newId, nowIso } from '../store/ids.js';
import {
  type DecisionRow,
  type DeviceForMatching,
  deleteMatches,
  devicesForMatching,
  insertMatches,
  listDecisions,
  type MatchRow,
  matchesInScope,
  serviceCpes,
  touchMatches,
  updateMatches,
} from '../store/match-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { applyDecision, applyVex, type CombinedMatch, combineEvidence, type VexApplied } from './combine.js';
import type { MatchEvidence, MatchSubject, SourceStatus } from './match-types.js';
import { modelKey, resolveManufacturer } from './names/names.js';
import { cnaEvidence, packageEvidence, packageKey } from './rules/affected-list.js';
import { type CsafProductFacts, csafEvidence } from './rules/csaf-product.js';
import { cpeNameParts, nvdDeviceEvidence, sbomCpeEvidence, serviceCpeEvidence } from './rules/nvd-cpe.js';

export interface MatchRunScope {
  /** Re-match these vulnerabilities (and every source that speaks of them) against all devices. */
  vulnKeys?: readonly string[];
  /** Re-match these devices against all knowledge. */
  deviceIds?: readonly string[];
}

export interface MatchRunReport {
  devices: number;
  subjects: number;
  vulnerabilitiesConsidered: number;
  matches: number;
  added: number;
  changed: number;
  removed: number;
  byStatus: Record<string, number>;
  ms: number;
}

/** Appends to a list in a map (lists grow in place: a model can have 100,000 devices). */
function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

interface SbomUse {
  deviceIds: string[];
  components: { name: string; version: string | null; purl: string | null; cpes: string[] }[];
}

const CSAF_STATUS: Record<string, SourceStatus | undefined> = {
  affected: 'affected',
  not_affected: 'not-affected',
  fixed: 'fixed',
  under_investigation: 'under-investigation',
};

function versionOf(d: { firmwareVersion: string | null; softwareVersion: string | null }): string {
  return d.firmwareVersion ?? d.softwareVersion ?? '';
}

/** Groups devices that every rule would treat the same. */
export function groupSubjects(devices: readonly DeviceForMatching[]): MatchSubject[] {
  const byKey = new Map<string, MatchSubject>();
  const manufacturers = new Map<string, ReturnType<typeof resolveManufacturer>>();
  for (const d of devices) {
    const key = [d.manufacturer, d.model, d.modelNumber, d.firmwareVersion, d.softwareVersion].join('\u0000');
    let s = byKey.get(key);
    if (!s) {
      let manufacturer = null;
      if (d.manufacturer) {
        manufacturer = manufacturers.get(d.manufacturer) ?? resolveManufacturer(d.manufacturer);
        manufacturers.set(d.manufacturer, manufacturer);
      }
      s = {
        key,
        manufacturer,
        manufacturerName: d.manufacturer,
        model: d.model,
        modelNumber: d.modelNumber,
        firmwareVersion: d.firmwareVersion,
        softwareVersion: d.softwareVersion,
        deviceIds: [],
        modelIds: [],
      };
      byKey.set(key, s);
    }
    s.deviceIds.push(d.id);
    if (d.modelId && !s.modelIds.includes(d.modelId)) s.modelIds.push(d.modelId);
  }
  return [...byKey.values()];
}

async function loadCsafFacts(h: DbHandle, advisoryIds: readonly string[]): Promise<CsafProductFacts[]> {
  if (advisoryIds.length === 0) return [];
  const [advisories, products, vulns, statuses] = await Promise.all([
    advisoriesById(h, advisoryIds),
    advisoryProducts(h, advisoryIds),
    advisoryVulnerabilities(h, advisoryIds),
    advisoryStatuses(h, advisoryIds),
  ]);
  const advisory = new Map(advisories.map((a) => [a.id, a]));
  const cveOf = new Map(vulns.map((v) => [`${v.advisory_id}\u0000${v.vuln_key}`, v.cve]));
  // A vulnerability that some product of the advisory lists as fixed has a fix (a newer version).
  const fixedVulns = new Set(
    statuses.filter((s) => s.status === 'fixed').map((s) => `${s.advisory_id}\u0000${s.vuln_key}`),
  );
  const statusesOf = new Map<string, typeof statuses>();
  for (const s of statuses) {
    const k = `${s.advisory_id}\u0000${s.product_id}`;
    pushTo(statusesOf, k, s);
  }
  const out: CsafProductFacts[] = [];
  for (const p of products as AdvisoryProductRow[]) {
    const a = advisory.get(p.advisory_id);
    if (!a) continue;
    const helpers = p.helpers ? (JSON.parse(p.helpers) as Record<string, unknown>) : {};
    const list = (k: string) => (Array.isArray(helpers[k]) ? (helpers[k] as unknown[]).map(String) : []);
    const facts: CsafProductFacts = {
      advisoryId: a.tracking_id,
      documentDate: a.current_release,
      productId: p.product_id,
      name: p.name,
      vendor: p.vendor,
      vendorKey: p.vendor_key,
      productName: p.product_name,
      version: p.version,
      versionRange: p.version_range,
      modelNumbers: [...list('model_numbers'), ...list('skus')],
      statuses: [],
    };
    for (const s of statusesOf.get(`${p.advisory_id}\u0000${p.product_id}`) ?? []) {
      const status = CSAF_STATUS[s.status];
      if (!status) continue;
      const remediations = JSON.parse(s.remediations) as CsafProductFacts['statuses'][number]['remediations'];
      facts.statuses.push({
        vulnKey: s.vuln_key,
        cve: cveOf.get(`${s.advisory_id}\u0000${s.vuln_key}`) ?? null,
        status,
        remediations: fixedVulns.has(`${s.advisory_id}\u0000${s.vuln_key}`)
          ? [
              ...remediations,
              { category: 'fixed_version_exists', details: 'the advisory lists fixed versions', url: null },
            ]
          : remediations,
      });
    }
    if (facts.statuses.length) out.push(facts);
  }
  return out;
}

function statusFixable(e: MatchEvidence): MatchEvidence {
  return e.remediations.some((r) => r.category === 'fixed_version_exists') ? { ...e, fixAvailable: true } : e;
}

/** Every rule over the loaded knowledge; evidence keyed by device then vulnerability. */
function evaluate(
  subjects: readonly MatchSubject[],
  csaf: readonly CsafProductFacts[],
  records: readonly VulnerabilityRecord[],
  cpesOfDevice: Map<string, string[]>,
  sbomUse: SbomUse[],
): Map<string, Map<string, MatchEvidence[]>> {
  const perDevice = new Map<string, Map<string, MatchEvidence[]>>();
  const add = (deviceIds: readonly string[], e: MatchEvidence) => {
    for (const id of deviceIds) {
      let m = perDevice.get(id);
      if (!m) {
        m = new Map();
        perDevice.set(id, m);
      }
      const list = m.get(e.vulnKey);
      if (list) list.push(e);
      else m.set(e.vulnKey, [e]);
    }
  };
  const subjectsByVendor = new Map<string, MatchSubject[]>();
  for (const s of subjects) {
    if (!s.manufacturer) continue;
    const list = subjectsByVendor.get(s.manufacturer.key);
    if (list) list.push(s);
    else subjectsByVendor.set(s.manufacturer.key, [s]);
  }
  for (const p of csaf) {
    if (!p.vendorKey) continue;
    for (const s of subjectsByVendor.get(p.vendorKey) ?? [])
      for (const e of csafEvidence(p, s)) add(s.deviceIds, statusFixable(e));
  }
  // Records: device rules per vendor, service CPEs per distinct CPE, packages per SBOM component.
  const devicesByCpe = new Map<string, string[]>();
  for (const [device, cpes] of cpesOfDevice) for (const c of cpes) pushTo(devicesByCpe, c, device);
  const packages = new Map<
    string,
    { component: SbomUse['components'][number] & { purl: string }; deviceIds: string[] }[]
  >();
  // Component CPEs by product: the exact and the other-vendor rule both start from the product name.
  const cpeProducts = new Map<
    string,
    { component: SbomUse['components'][number]; cpe: string; deviceIds: string[] }[]
  >();
  for (const use of sbomUse)
    for (const c of use.components) {
      const key = c.purl ? packageKey(c.purl) : null;
      if (key && c.purl)
        pushTo(packages, key, { component: { ...c, purl: c.purl }, deviceIds: use.deviceIds });
      for (const cpe of c.cpes) {
        const n = cpeNameParts(cpe);
        if (n) pushTo(cpeProducts, n.product, { component: c, cpe, deviceIds: use.deviceIds });
      }
    }
  for (const r of records) {
    // A rejected CVE or withdrawn OSV record no longer claims anything; its old matches go away.
    if (r.status && /^(rejected|withdrawn)$/i.test(r.status)) continue;
    const vendorKeys = new Set<string>();
    for (const a of r.affected) if (a.vendor) vendorKeys.add(resolveManufacturer(a.vendor).key);
    for (const c of r.configurations)
      for (const n of c.nodes)
        for (const m of n.cpeMatch) {
          const vendor = m.criteria.split(':')[3];
          if (vendor) vendorKeys.add(resolveManufacturer(vendor.replace(/_/g, ' ')).key);
        }
    for (const key of vendorKeys)
      for (const s of subjectsByVendor.get(key) ?? []) {
        const nvd = r.source === 'nvd' ? nvdDeviceEvidence(r, s) : null;
        if (nvd) add(s.deviceIds, nvd);
        const cna = r.source !== 'nvd' || r.affected.length ? cnaEvidence(r, s) : null;
        if (cna) add(s.deviceIds, cna);
      }
    if (r.configurations.length && devicesByCpe.size) {
      for (const [cpe, deviceIds] of devicesByCpe) {
        const e = serviceCpeEvidence(r, cpe, deviceIds);
        if (e) add(deviceIds, e);
      }
    }
    if (r.configurations.length && cpeProducts.size) {
      const products = new Set<string>();
      for (const c of r.configurations)
        for (const n of c.nodes)
          for (const m of n.cpeMatch) {
            const parts = cpeNameParts(m.criteria);
            if (parts) products.add(parts.product);
          }
      for (const product of products)
        for (const use of cpeProducts.get(product) ?? []) {
          const e = sbomCpeEvidence(
            r,
            { name: use.component.name, version: use.component.version, cpe: use.cpe },
            use.deviceIds,
          );
          if (e) add(use.deviceIds, e);
        }
    }
    for (const a of r.affected) {
      const key = a.purl ? packageKey(a.purl) : null;
      for (const use of key ? (packages.get(key) ?? []) : []) {
        const e = packageEvidence(r, use.component, use.deviceIds);
        if (e) add(use.deviceIds, e);
      }
    }
  }
  return perDevice;
}

const vexRank = (v: VexRow): number => (v.device_id ? 3 : v.model_id ? 2 : 1);

function vexFor(
  rows: readonly VexRow[],
  device: DeviceForMatching,
  evidence: readonly MatchEvidence[],
): VexApplied | undefined {
  let chosen: VexRow | undefined;
  const version = versionOf(device);
  const purls = new Set(evidence.filter((e) => e.rule === 'sbom-package').map((e) => packageKey(e.product)));
  for (const v of rows) {
    const applies =
      v.device_id === device.id ||
      (v.device_id === null &&
        v.model_id !== null &&
        v.model_id === device.modelId &&
        (v.software_version === null || v.software_version === version)) ||
      (v.device_id === null && v.model_id === null && v.purl !== null && purls.has(packageKey(v.purl)));
    // The most specific statement wins (device, then model, then package), then the latest.
    const better =
      !chosen ||
      vexRank(v) > vexRank(chosen) ||
      (vexRank(v) === vexRank(chosen) && v.created_at >= chosen.created_at);
    if (applies && better) chosen = v;
  }
  if (!chosen) return undefined;
  return {
    status: chosen.status as SourceStatus,
    justification: chosen.justification,
    impactStatement: chosen.impact_statement,
    origin: chosen.origin,
    author: chosen.author,
    statementId: chosen.id,
    product: chosen.product,
  };
}

function toRow(deviceId: string, m: CombinedMatch, at: string, existing: MatchRow | undefined): MatchRow {
  return {
    id: existing?.id ?? newId(),
    device_id: deviceId,
    vuln_key: m.vulnKey,
    cve: m.cve,
    advisory_ids: JSON.stringify(m.advisoryIds),
    status: m.status,
    confidence: m.confidence,
    candidate: m.candidate ? 1 : 0,
    matched_by: JSON.stringify(m.matchedBy),
    explanation: m.explanation,
    details: JSON.stringify({ evidence: m.evidence, decision: m.decision, vex: m.vex }),
    fix_available: m.fixAvailable ? 1 : 0,
    first_matched_at: existing?.first_matched_at ?? at,
    last_matched_at: at,
  };
}

const SAME_FIELDS = [
  'cve',
  'advisory_ids',
  'status',
  'confidence',
  'candidate',
  'matched_by',
  'explanation',
  'details',
  'fix_available',
] as const;

/** Runs the matcher over a scope inside one transaction; the audit log records the run. */
export async function runMatch(
  vdb: DbHandle,
  actor: Actor,
  scope: MatchRunScope = {},
  opts: { audit?: boolean } = {},
): Promise<MatchRunReport> {
  const started = performance.now();
  return transaction(vdb, async (h) => {
    const devices = await devicesForMatching(h, scope.deviceIds);
    const subjects = groupSubjects(devices);
    const vendorKeys = [...new Set(subjects.flatMap((s) => (s.manufacturer ? [s.manufacturer.key] : [])))];
    const cpesOfDevice = await serviceCpes(h, scope.deviceIds);

    // SBOMs roll up to every device of their model (and version, when the SBOM names one).
    const sboms = await listSboms(h);
    const components = await sbomComponents(
      h,
      sboms.map((s) => s.id),
    );
    const componentsBySbom = new Map<string, typeof components>();
    for (const c of components) pushTo(componentsBySbom, c.sbom_id, c);
    const devicesByModel = new Map<string, DeviceForMatching[]>();
    for (const d of devices) if (d.modelId) pushTo(devicesByModel, d.modelId, d);
    const sbomUse = sboms.map((s) => ({
      deviceIds: (devicesByModel.get(s.model_id) ?? [])
        .filter(
          (d) =>
            s.software_version === null ||
            versionOf(d) === s.software_version ||
            d.softwareVersion === s.software_version,
        )
        .map((d) => d.id),
      components: (componentsBySbom.get(s.id) ?? []).map((c) => ({
        name: c.name,
        version: c.version,
        purl: c.purl,
        cpes: JSON.parse(c.cpes) as string[],
      })),
    }));

    let csafIds: string[];
    let recordRows: Awaited<ReturnType<typeof recordsOfVulns>>;
    if (scope.vulnKeys) {
      csafIds = await advisoryIdsForVulns(h, scope.vulnKeys);
      recordRows = await recordsOfVulns(h, scope.vulnKeys);
    } else {
      csafIds = await advisoryIdsForVendors(h, vendorKeys);
      const keys = [
        ...vendorKeys.map((k) => `m:${k}`),
        ...[...new Set([...cpesOfDevice.values()].flat())].flatMap((c) => {
          const parts = c.startsWith('cpe:2.3:')
            ? c.split(':').slice(3, 5)
            : c
                .replace(/^cpe:\/[aho]:/, '')
                .split(':')
                .slice(0, 2);
          return parts.length === 2 ? [`c:${parts[0]}:${parts[1]}`] : [];
        }),
        ...sbomUse.flatMap((u) =>
          u.components.flatMap((c) => [
            ...(c.purl ? [`p:${packageKey(c.purl)}`] : []),
            ...c.cpes.flatMap((cpe) => {
              const n = cpeNameParts(cpe);
              return n ? [`cp:${n.product}`] : [];
            }),
          ]),
        ),
      ];
      recordRows = await recordsForKeys(h, keys);
    }
    let csaf = await loadCsafFacts(h, csafIds);
    let records = recordRows.map((r) => JSON.parse(r.record) as VulnerabilityRecord);
    if (scope.vulnKeys) {
      const wanted = new Set(scope.vulnKeys);
      csaf = csaf
        .map((p) => ({ ...p, statuses: p.statuses.filter((s) => wanted.has(s.vulnKey)) }))
        .filter((p) => p.statuses.length);
      records = records.filter((r) => wanted.has(r.id));
    }

    const evidence = evaluate(subjects, csaf, records, cpesOfDevice, sbomUse);
    const vulnKeysSeen = new Set<string>();
    for (const m of evidence.values()) for (const k of m.keys()) vulnKeysSeen.add(k);
    const vex = await vexStatements(h, [...vulnKeysSeen]);
    const vexByVuln = new Map<string, VexRow[]>();
    for (const v of vex) pushTo(vexByVuln, v.vuln_key, v);
    const decisions = new Map<string, DecisionRow>();
    for (const d of await listDecisions(h))
      decisions.set([d.manufacturer_key, d.model_key, d.version, d.vuln_key].join('\u0000'), d);

    const existing = await matchesInScope(h, scope);
    const existingByKey = new Map(existing.map((r) => [`${r.device_id}\u0000${r.vuln_key}`, r]));
    const at = nowIso();
    const deviceById = new Map(devices.map((d) => [d.id, d]));
    const subjectOf = new Map<string, MatchSubject>();
    for (const s of subjects) for (const id of s.deviceIds) subjectOf.set(id, s);

    const inserts: MatchRow[] = [];
    const updates: MatchRow[] = [];
    const untouched: string[] = [];
    const keep = new Set<string>();
    const byStatus: Record<string, number> = {};
    for (const [deviceId, perVuln] of evidence) {
      const device = deviceById.get(deviceId);
      const subject = subjectOf.get(deviceId);
      if (!device || !subject) continue;
      for (const [vulnKey, list] of perVuln) {
        let m = combineEvidence(list);
        if (!m) continue;
        if (m.candidate && subject.manufacturer) {
          const mk = subject.manufacturer.key;
          const model = modelKey(subject.model ?? subject.modelNumber ?? '');
          m = applyDecision(
            m,
            decisions.get([mk, model, versionOf(device), vulnKey].join('\u0000')) ??
              decisions.get([mk, model, '', vulnKey].join('\u0000')),
          );
        }
        m = applyVex(m, vexFor(vexByVuln.get(vulnKey) ?? [], device, list));
        const key = `${deviceId}\u0000${vulnKey}`;
        keep.add(key);
        byStatus[m.status] = (byStatus[m.status] ?? 0) + 1;
        const old = existingByKey.get(key);
        const row = toRow(deviceId, m, at, old);
        if (!old) inserts.push(row);
        else if (SAME_FIELDS.some((f) => row[f] !== old[f])) updates.push(row);
        else untouched.push(old.id);
      }
    }
    const removed = existing.filter((r) => !keep.has(`${r.device_id}\u0000${r.vuln_key}`)).map((r) => r.id);
    await insertMatches(h, inserts);
    await updateMatches(h, updates);
    await touchMatches(h, untouched, at);
    await deleteMatches(h, removed);
    const report: MatchRunReport = {
      devices: devices.length,
      subjects: subjects.length,
      vulnerabilitiesConsidered: new Set([
        ...csaf.flatMap((p) => p.statuses.map((s) => s.vulnKey)),
        ...records.map((r) => r.id),
      ]).size,
      matches: keep.size,
      added: inserts.length,
      changed: updates.length,
      removed: removed.length,
      byStatus,
      ms: Math.round(performance.now() - started),
    };
    if (opts.audit !== false) {
      await appendAudit(h, {
        actor,
        action: 'vulns.match',
        target: { type: 'vulnerability_matches' },
        summary: {
          scope: scope.vulnKeys
            ? { vulnerabilities: scope.vulnKeys.length }
            : scope.deviceIds
              ? { devices: scope.deviceIds.length }
              : 'all',
          added: report.added,
          changed: report.changed,
          removed: report.removed,
        },
      });
    }
    return report;
  });
}
