/**
 * @module The matcher: reads the inventory slice and the knowledge that can concern it, runs every rule
 * per subject (devices of one manufacturer, model and version), combines evidence per (device,
 * vulnerability), applies people's decisions and VEX, and writes only what changed.
 *
 * Incremental by scope: a new advisory or CVE re-matches its vulnerabilities against the whole
 * inventory (`vulnKeys`); a new or changed device is matched against all knowledge (`deviceIds`).
 */
import { createHash } from 'node:crypto';
import type { Actor } from '../accounts/actor.js';
import type { VulnerabilityRecord } from '../advisories/records.js';
import { appendAudit } from '../audit/audit-log.js';
import {
  type AdvisoryProductRow,
  type AdvisoryRow,
  type AdvisoryStatusRow,
  type AdvisoryVulnerabilityRow,
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
  type AnswerRow,
  type DecisionRow,
  type DeviceForMatching,
  deleteMatches,
  deviceIdsOfManufacturers,
  deviceIdsOfModels,
  devicesForMatching,
  firstMatchedOf,
  insertAnswers,
  insertMatches,
  listDecisions,
  type MatchRow,
  manufacturerNames,
  matchesInScope,
  pruneAnswers,
  type StoredMatchKey,
  serviceCpes,
  updateMatches,
} from '../store/match-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { verifyTasks, verifyTasksForDevices } from '../tasks/verification.js';
import { applyDecision, applyVex, type CombinedMatch, combineEvidence, type VexApplied } from './combine.js';
import type { MatchEvidence, MatchSubject, SourceStatus } from './match-types.js';
import { modelKey, resolveManufacturer } from './names/names.js';
import { cnaEvidence, cnaNamedEntries, packageEvidence, packageKey } from './rules/affected-list.js';
import {
  type CsafProductFacts,
  csafEvidence,
  csafNameStage,
  csafPurlEvidence,
  serialMatches,
} from './rules/csaf-product.js';
import {
  cpeNameParts,
  criteriaOf,
  nvdDeviceEvidence,
  nvdNamedCriteria,
  sbomCpeEvidence,
  serviceCpeEvidence,
} from './rules/nvd-cpe.js';

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

interface SbomComponentUse {
  name: string;
  version: string | null;
  purl: string | null;
  cpes: string[];
}

interface SbomUse {
  deviceIds: string[];
  components: SbomComponentUse[];
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
  return csafFacts({ advisories, products, vulns, statuses });
}

/** Stored advisory rows → the facts the csaf rules read, one per product that has a status. */
export function csafFacts(rows: {
  advisories: readonly AdvisoryRow[];
  products: readonly AdvisoryProductRow[];
  vulns: readonly AdvisoryVulnerabilityRow[];
  statuses: readonly AdvisoryStatusRow[];
}): CsafProductFacts[] {
  const { advisories, products, vulns, statuses } = rows;
  const advisory = new Map(advisories.map((a) => [a.id, a]));
  const cveOf = new Map(vulns.map((v) => [`${v.advisory_id}\u0000${v.vuln_key}`, v.cve]));
  // A vulnerability that some product of the advisory lists as fixed has a fix (a newer version).
  const fixedVulns = new Set(
    statuses.filter((s) => s.status === 'fixed').map((s) => `${s.advisory_id}\u0000${s.vuln_key}`),
  );
  const statusesOf = new Map<string, AdvisoryStatusRow[]>();
  for (const s of statuses) {
    const k = `${s.advisory_id}\u0000${s.product_id}`;
    pushTo(statusesOf, k, s);
  }
  const out: CsafProductFacts[] = [];
  for (const p of products) {
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
      serialNumbers: list('serial_numbers'),
      cpe: typeof helpers['cpe'] === 'string' ? helpers['cpe'] : null,
      purl: typeof helpers['purl'] === 'string' ? helpers['purl'] : null,
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

/** Evidence per subject (shared by all its devices) and per device (service CPEs, SBOMs). */
interface Evaluation {
  bySubject: Map<MatchSubject, Map<string, MatchEvidence[]>>;
  byDevice: Map<string, Map<string, MatchEvidence[]>>;
}

/** Subjects of one manufacturer, model and model number: name rules are asked once per model. */
interface ModelGroup {
  representative: MatchSubject;
  subjects: MatchSubject[];
}

function addTo(map: Map<string, Map<string, MatchEvidence[]>>, key: string, e: MatchEvidence): void;
function addTo(
  map: Map<MatchSubject, Map<string, MatchEvidence[]>>,
  key: MatchSubject,
  e: MatchEvidence,
): void;
function addTo<K>(map: Map<K, Map<string, MatchEvidence[]>>, key: K, e: MatchEvidence): void {
  let m = map.get(key);
  if (!m) {
    m = new Map();
    map.set(key, m);
  }
  pushTo(m, e.vulnKey, e);
}

/** Every rule over the loaded knowledge. */
function evaluate(
  subjects: readonly MatchSubject[],
  csaf: readonly CsafProductFacts[],
  records: readonly VulnerabilityRecord[],
  cpesOfDevice: Map<string, string[]>,
  sbomUse: SbomUse[],
  serialOf: ReadonlyMap<string, string | null>,
): Evaluation {
  const out: Evaluation = { bySubject: new Map(), byDevice: new Map() };
  const addDevices = (deviceIds: readonly string[], e: MatchEvidence) => {
    for (const id of deviceIds) addTo(out.byDevice, id, e);
  };
  const groupsByVendor = new Map<string, ModelGroup[]>();
  {
    const byModel = new Map<string, ModelGroup>();
    for (const s of subjects) {
      if (!s.manufacturer) continue;
      const key = [s.manufacturerName, s.model, s.modelNumber].join('\u0000');
      const g = byModel.get(key);
      if (g) g.subjects.push(s);
      else {
        const created = { representative: s, subjects: [s] };
        byModel.set(key, created);
        pushTo(groupsByVendor, s.manufacturer.key, created);
      }
    }
  }
  const packages = new Map<
    string,
    { component: SbomComponentUse & { purl: string }; deviceIds: string[] }[]
  >();
  // Component CPEs by product: the exact and the other-vendor rule both start from the product name.
  const cpeProducts = new Map<string, { component: SbomComponentUse; cpe: string; deviceIds: string[] }[]>();
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
  for (const p of csaf) {
    for (const g of p.vendorKey ? (groupsByVendor.get(p.vendorKey) ?? []) : []) {
      const stage = csafNameStage(p, g.representative);
      if (!stage) continue;
      for (const s of g.subjects) {
        const found = csafEvidence(p, s, stage).map(statusFixable);
        if (p.serialNumbers.length === 0) {
          for (const e of found) addTo(out.bySubject, s, e);
          continue;
        }
        // A product listed by serial number concerns exactly the devices with those serial numbers.
        for (const id of s.deviceIds) {
          const serial = serialOf.get(id) ?? null;
          if (!serialMatches(serial, p.serialNumbers)) continue;
          for (const e of found)
            addDevices([id], { ...e, explanation: `${e.explanation}; serial number ${serial} listed` });
        }
      }
    }
    // A product named by purl concerns every device whose SBOM contains that package.
    const key = p.purl ? packageKey(p.purl) : null;
    for (const use of key ? (packages.get(key) ?? []) : []) {
      const e = csafPurlEvidence(p, use.component);
      for (const x of e) addDevices(use.deviceIds, { ...statusFixable(x), purl: use.component.purl });
    }
  }
  // Service CPEs by `vendor:product`, so a record only meets the CPEs it names.
  const serviceCpesByName = new Map<string, Map<string, string[]>>();
  for (const [device, cpes] of cpesOfDevice)
    for (const c of cpes) {
      const n = cpeNameParts(c);
      if (!n) continue;
      const key = `${n.vendor}:${n.product}`;
      let byCpe = serviceCpesByName.get(key);
      if (!byCpe) {
        byCpe = new Map();
        serviceCpesByName.set(key, byCpe);
      }
      pushTo(byCpe, c, device);
    }
  for (const r of records) {
    // A rejected CVE or withdrawn OSV record no longer claims anything; its old matches go away.
    if (r.status && /^(rejected|withdrawn)$/i.test(r.status)) continue;
    const criteria = criteriaOf(r);
    const vendorKeys = new Set<string>(criteria.map((c) => c.vendorKey));
    for (const a of r.affected) if (a.vendor) vendorKeys.add(resolveManufacturer(a.vendor).key);
    for (const key of vendorKeys)
      for (const g of groupsByVendor.get(key) ?? []) {
        const named = r.source === 'nvd' ? nvdNamedCriteria(r, g.representative) : [];
        const cnaNamed = r.affected.length ? cnaNamedEntries(r, g.representative) : [];
        if (named.length === 0 && cnaNamed.length === 0) continue;
        for (const s of g.subjects) {
          const nvd = named.length ? nvdDeviceEvidence(r, s, named) : null;
          if (nvd) addTo(out.bySubject, s, nvd);
          const cna = cnaNamed.length ? cnaEvidence(r, s, cnaNamed) : null;
          if (cna) addTo(out.bySubject, s, cna);
        }
      }
    if (criteria.length && serviceCpesByName.size) {
      for (const key of new Set(criteria.map((c) => `${c.vendor}:${c.product}`)))
        for (const [cpe, deviceIds] of serviceCpesByName.get(key) ?? []) {
          const e = serviceCpeEvidence(r, cpe, deviceIds);
          if (e) addDevices(deviceIds, e);
        }
    }
    if (criteria.length && cpeProducts.size) {
      for (const product of new Set(criteria.map((c) => c.product)))
        for (const use of cpeProducts.get(product) ?? []) {
          const e = sbomCpeEvidence(
            r,
            { name: use.component.name, version: use.component.version, cpe: use.cpe },
            use.deviceIds,
          );
          if (e) addDevices(use.deviceIds, use.component.purl ? { ...e, purl: use.component.purl } : e);
        }
    }
    for (const a of r.affected) {
      const key = a.purl ? packageKey(a.purl) : null;
      for (const use of key ? (packages.get(key) ?? []) : []) {
        const e = packageEvidence(r, use.component, use.deviceIds);
        if (e) addDevices(use.deviceIds, e);
      }
    }
  }
  return out;
}

const vexRank = (v: VexRow): number => (v.device_id ? 3 : v.model_id ? 2 : 1);

function vexFor(
  rows: readonly VexRow[],
  device: DeviceForMatching,
  evidence: readonly MatchEvidence[],
): VexApplied | undefined {
  let chosen: VexRow | undefined;
  const version = versionOf(device);
  // Every SBOM package the match came through, whichever rule matched it (purl, CPE or CSAF purl).
  const purls = new Set(
    evidence.flatMap((e) => {
      const purl = e.purl ?? (e.rule === 'sbom-package' ? e.product : undefined);
      return purl ? [packageKey(purl)] : [];
    }),
  );
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

/** A combined match as stored: serialised once and shared by every device with the same answer. */
/** A combined match as stored: one answer row, serialised once and shared by every device that has it. */
function serialize(m: CombinedMatch): AnswerRow {
  const a = {
    cve: m.cve,
    advisory_ids: JSON.stringify(m.advisoryIds),
    status: m.status,
    confidence: m.confidence,
    candidate: m.candidate ? (1 as const) : (0 as const),
    matched_by: JSON.stringify(m.matchedBy),
    explanation: m.explanation,
    fix_available: m.fixAvailable ? (1 as const) : (0 as const),
    details: JSON.stringify({ evidence: m.evidence, decision: m.decision, vex: m.vex }),
  };
  // One hash over everything the answer says: equal answers are stored once, and a re-run compares this.
  const fingerprint = createHash('sha1')
    .update(
      [
        a.cve,
        a.advisory_ids,
        a.status,
        a.confidence,
        a.candidate,
        a.matched_by,
        a.explanation,
        a.details,
        a.fix_available,
      ].join('\u0001'),
    )
    .digest('base64');
  return { fingerprint, ...a };
}

async function devicesConcernedBy(h: DbHandle, vulnKeys: readonly string[]): Promise<string[]> {
  const advisoryIds = await advisoryIdsForVulns(h, vulnKeys);
  const keys = new Set<string>();
  for (const p of await advisoryProducts(h, advisoryIds)) if (p.vendor_key) keys.add(p.vendor_key);
  let configurations = false;
  let packages = false;
  for (const row of await recordsOfVulns(h, vulnKeys)) {
    const r = JSON.parse(row.record) as VulnerabilityRecord;
    for (const c of criteriaOf(r)) keys.add(c.vendorKey);
    for (const a of r.affected) {
      if (a.vendor) keys.add(resolveManufacturer(a.vendor).key);
      if (a.purl) packages = true;
    }
    if (r.configurations.length) configurations = true;
  }
  const manufacturerIds = (await manufacturerNames(h))
    .filter((m) => keys.has(resolveManufacturer(m.name).key))
    .map((m) => m.id);
  const ids = new Set(await deviceIdsOfManufacturers(h, manufacturerIds));
  if (configurations) for (const id of (await serviceCpes(h)).keys()) ids.add(id);
  if (configurations || packages) {
    const models = [...new Set((await listSboms(h)).map((s) => s.model_id))];
    for (const id of await deviceIdsOfModels(h, models)) ids.add(id);
  }
  return [...ids];
}

/** `VIGIL_MATCH_PROFILE=1` prints where a match run spends its time (stderr), as VIGIL_SQL_PROFILE does for SQL. */
function phaseTimer(): (label: string) => void {
  if (!process.env['VIGIL_MATCH_PROFILE']) return () => {};
  let last = performance.now();
  return (label) => {
    const now = performance.now();
    process.stderr.write(`[match] ${label}: ${Math.round(now - last)} ms\n`);
    last = now;
  };
}

/** Runs the matcher over a scope inside one transaction; the audit log records the run. */
export async function runMatch(
  vdb: DbHandle,
  actor: Actor,
  scope: MatchRunScope = {},
  opts: { audit?: boolean } = {},
): Promise<MatchRunReport> {
  const started = performance.now();
  const phase = phaseTimer();
  return transaction(vdb, async (h) => {
    // A vulnerability-scoped run only needs the devices its knowledge can name: devices of the vendors
    // it mentions, devices with scanner CPEs, and devices of models with an SBOM.
    const deviceScope =
      scope.vulnKeys && !scope.deviceIds ? await devicesConcernedBy(h, scope.vulnKeys) : scope.deviceIds;
    const devices = await devicesForMatching(h, deviceScope);
    phase('devices');
    const subjects = groupSubjects(devices);
    const vendorKeys = [...new Set(subjects.flatMap((s) => (s.manufacturer ? [s.manufacturer.key] : [])))];
    const cpesOfDevice = await serviceCpes(h, deviceScope);

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
    phase('sboms, service CPEs, record rows');
    let csaf = await loadCsafFacts(h, csafIds);
    let records = recordRows.map((r) => JSON.parse(r.record) as VulnerabilityRecord);
    if (scope.vulnKeys) {
      const wanted = new Set(scope.vulnKeys);
      csaf = csaf
        .map((p) => ({ ...p, statuses: p.statuses.filter((s) => wanted.has(s.vulnKey)) }))
        .filter((p) => p.statuses.length);
      records = records.filter((r) => wanted.has(r.id));
    }

    phase('CSAF facts, records parsed');
    const evidence = evaluate(
      subjects,
      csaf,
      records,
      cpesOfDevice,
      sbomUse,
      new Map(devices.map((d) => [d.id, d.serialNumber])),
    );
    phase('rules');
    const vulnKeysSeen = new Set<string>();
    for (const m of evidence.bySubject.values()) for (const k of m.keys()) vulnKeysSeen.add(k);
    for (const m of evidence.byDevice.values()) for (const k of m.keys()) vulnKeysSeen.add(k);
    const vex = await vexStatements(h, [...vulnKeysSeen]);
    const vexByVuln = new Map<string, VexRow[]>();
    for (const v of vex) pushTo(vexByVuln, v.vuln_key, v);
    const decisions = new Map<string, DecisionRow>();
    for (const d of await listDecisions(h))
      decisions.set([d.manufacturer_key, d.model_key, d.version, d.vuln_key].join('\u0000'), d);
    const decide = (subject: MatchSubject, m: CombinedMatch): CombinedMatch => {
      if (!m.candidate || !subject.manufacturer) return m;
      const mk = subject.manufacturer.key;
      const model = modelKey(subject.model ?? subject.modelNumber ?? '');
      return applyDecision(
        m,
        decisions.get([mk, model, versionOf(subject), m.vulnKey].join('\u0000')) ??
          decisions.get([mk, model, '', m.vulnKey].join('\u0000')),
      );
    };

    phase('VEX, decisions');
    const existing = await matchesInScope(h, scope);
    phase('stored matches');
    // Stored rows by device, then vulnerability; a row the run produces again is marked seen.
    const existingByDevice = new Map<string, Map<string, StoredMatchKey & { seen?: true }>>();
    for (const r of existing) {
      let m = existingByDevice.get(r.device_id);
      if (!m) {
        m = new Map();
        existingByDevice.set(r.device_id, m);
      }
      m.set(r.vuln_key, r);
    }
    const at = nowIso();
    const deviceById = new Map(devices.map((d) => [d.id, d]));

    const inserts: MatchRow[] = [];
    const changed: MatchRow[] = [];
    const replacedAnswers: string[] = [];
    const newAnswers = new Map<string, AnswerRow>();
    let matches = 0;
    const byStatus: Record<string, number> = {};
    const write = (deviceId: string, vulnKey: string, a: AnswerRow) => {
      matches++;
      byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
      const old = existingByDevice.get(deviceId)?.get(vulnKey);
      if (old) old.seen = true;
      if (old && old.fingerprint === a.fingerprint) return;
      const row: MatchRow = {
        id: old?.id ?? newId(),
        device_id: deviceId,
        vuln_key: vulnKey,
        status: a.status,
        candidate: a.candidate,
        fingerprint: a.fingerprint,
        first_matched_at: at,
        last_matched_at: at,
      };
      if (old) {
        changed.push(row);
        replacedAnswers.push(old.fingerprint);
      } else inserts.push(row);
      newAnswers.set(a.fingerprint, a);
    };
    /** Device-specific evidence, VEX or decisions make a device's answer its own; otherwise it shares the subject's. */
    const perDevice = (
      subject: MatchSubject,
      device: DeviceForMatching,
      vulnKey: string,
      list: MatchEvidence[],
    ) => {
      let m = combineEvidence(list);
      if (!m) return;
      m = decide(subject, m);
      m = applyVex(m, vexFor(vexByVuln.get(vulnKey) ?? [], device, list));
      write(device.id, vulnKey, serialize(m));
    };
    for (const subject of subjects) {
      const shared = evidence.bySubject.get(subject);
      const devicesOf = subject.deviceIds.map((id) => deviceById.get(id)).filter((d) => d !== undefined);
      for (const [vulnKey, list] of shared ?? []) {
        let common: AnswerRow | null | undefined;
        for (const device of devicesOf) {
          const extra = evidence.byDevice.get(device.id)?.get(vulnKey);
          if (extra || vexByVuln.has(vulnKey)) {
            perDevice(subject, device, vulnKey, extra ? [...list, ...extra] : list);
            continue;
          }
          if (common === undefined) {
            const m = combineEvidence(list);
            common = m ? serialize(decide(subject, m)) : null;
          }
          if (common) write(device.id, vulnKey, common);
        }
      }
      // Vulnerabilities only device-specific evidence speaks of.
      for (const device of devicesOf)
        for (const [vulnKey, extra] of evidence.byDevice.get(device.id) ?? [])
          if (!shared?.has(vulnKey)) perDevice(subject, device, vulnKey, extra);
    }
    phase('combine, serialise');
    const gone = existing.filter((r) => !(r as { seen?: true }).seen);
    if (changed.length) {
      const first = await firstMatchedOf(
        h,
        changed.map((r) => r.id),
      );
      for (const r of changed) r.first_matched_at = first.get(r.id) ?? r.first_matched_at;
    }
    await insertAnswers(h, newAnswers);
    await deleteMatches(
      h,
      gone.map((r) => r.id),
    );
    await updateMatches(h, changed);
    await insertMatches(h, inserts);
    await pruneAnswers(h, [...replacedAnswers, ...gone.map((r) => r.fingerprint)]);
    phase('write');
    const report: MatchRunReport = {
      devices: devices.length,
      subjects: subjects.length,
      vulnerabilitiesConsidered: new Set([
        ...csaf.flatMap((p) => p.statuses.map((s) => s.vulnKey)),
        ...records.map((r) => r.id),
      ]).size,
      matches,
      added: inserts.length,
      changed: changed.length,
      removed: gone.length,
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
    // Remediation tasks whose match went away or became fixed are verified by this run (same transaction).
    if (scope.deviceIds) await verifyTasksForDevices(h, scope.deviceIds);
    else if (report.changed || report.removed) await verifyTasks(h);
    return report;
  });
}
