/**
 * @module Vulnerability matches as people work with them: the `vigil vulns list --json` contract with
 * KEV and EPSS joined at read time (so a new catalog shows at once), one vulnerability or advisory with
 * its fleet view, why a device matched, and confirming or rejecting a candidate (remembered for the
 * model and version, audited, re-matched).
 */
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { matchCovered } from '../advisories/pending-match.js';
import { appendAudit } from '../audit/audit-log.js';
import { invalidInput, notFound } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import { deviceLabels, labelIn } from '../inventory/device-label.js';
import {
  advisoriesById,
  advisoryByTrackingId,
  advisoryIdsForVulns,
  advisoryVulnerabilities,
  enrichmentFreshness,
  epssFor,
  kevFor,
  recordsOfVulns,
  vulnerabilitiesByKey,
} from '../store/advisory-store.js';
import { chunks } from '../store/batch.js';
import { newId, nowIso } from '../store/ids.js';
import {
  type AnswerView,
  answersOf,
  detailsOf,
  type MatchListFilter,
  type MatchRow,
  matchFor,
  streamMatchPages,
  upsertDecision,
} from '../store/match-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import type { CombinedMatch } from './combine.js';
import { MATCH_STATUSES, type MatchEvidence, type MatchStatus } from './match-types.js';
import { type MatchRunReport, runMatch } from './matcher.js';
import { modelKey, resolveManufacturer } from './names/names.js';

/** KEV membership: `null` = KEV never loaded (unknown), `false` = loaded and not listed. */
export type KevValue =
  | null
  | false
  | { dateAdded: string; dueDate: string | null; knownRansomwareCampaignUse: string };
/** EPSS: `null` = no score known (EPSS not loaded, or the CVE not scored). */
export type EpssValue = null | { score: number; percentile: number; date: string | null };

/** The VulnerabilityMatch JSON contract (docs/vulnerabilities.md). */
export interface VulnerabilityMatch {
  id: string;
  deviceId: string;
  assetTag: string | null;
  /** What a person calls the device (src/inventory/device-label.ts); for display, `deviceId` is the key. */
  deviceLabel: string;
  vulnerability: string;
  advisoryIds: string[];
  cve: string | null;
  status: MatchStatus;
  confidence: number;
  candidate: boolean;
  matchedBy: string[];
  explanation: string;
  fixAvailable: boolean;
  kev: KevValue;
  epss: EpssValue;
  cvss: { score: number; vector: string | null; version: string | null; severity: string | null } | null;
  firstMatched: string;
  lastMatched: string;
}

export interface MatchDetails {
  evidence: MatchEvidence[];
  decision: CombinedMatch['decision'];
  vex: CombinedMatch['vex'];
}

export const VulnQuerySchema = z.strictObject({
  status: z.array(z.enum(MATCH_STATUSES)).optional(),
  deviceId: z.string().max(64).optional(),
  vulnerability: z.string().max(128).optional(),
  candidate: z.boolean().optional(),
  limit: z.number().int().positive().optional(),
  /** Continue after this match id (matches come in id order). */
  after: z.string().max(64).optional(),
});
export type VulnQuery = z.input<typeof VulnQuerySchema>;

/** What a match shows of its device, and the site that decides who sees it. */
export interface MatchDevice {
  asset_tag: string | null;
  site_id: string | null;
  /** The device's label (inventory/device-label.ts). */
  label: string;
}

/**
 * Reads the devices of the given ids (those not returned are treated as deleted: their matches are left
 * out). A caller that reads the devices anyway (the work queue) passes its own, so each is read once.
 */
export type MatchDeviceReader = (ids: string[]) => Promise<ReadonlyMap<string, MatchDevice>>;

/** The devices an actor may see, with their labels. */
async function matchDevices(
  h: DbHandle,
  actor: Actor,
  ids: readonly string[],
): Promise<Map<string, MatchDevice>> {
  const devices = new Map<string, { asset_tag: string | null; site_id: string | null }>();
  for (const part of chunks(ids, 500)) {
    if (!part.length) continue;
    for (const d of await h.db
      .selectFrom('devices')
      .select(['id', 'asset_tag', 'site_id'])
      .where('id', 'in', part)
      .execute())
      if (!actor.siteIds || actor.siteIds.includes(d.site_id ?? '')) devices.set(d.id, d);
  }
  const labels = await deviceLabels(h, [...devices.keys()]);
  return new Map([...devices].map(([id, d]) => [id, { ...d, label: labelIn(labels, id) }]));
}

/**
 * Builds matches from their stored rows. What matches share is read and built once per call: answers (a
 * model and version's verdict), KEV, EPSS and CVSS entries, devices. The shared objects are not copied,
 * so callers must not change a match's arrays or objects in place.
 */
async function enrich(
  h: DbHandle,
  actor: Actor,
  rows: readonly MatchRow[],
  readDevices?: MatchDeviceReader,
): Promise<VulnerabilityMatch[]> {
  const answers = await answersOf(
    h,
    rows.map((r) => r.fingerprint),
  );
  const cves = [...new Set([...answers.values()].flatMap((a) => (a.cve ? [a.cve] : [])))];
  const [kev, epss, fresh, vulns] = await Promise.all([
    kevFor(h, cves),
    epssFor(h, cves),
    enrichmentFreshness(h),
    vulnerabilitiesByKey(h, [...new Set(rows.map((r) => r.vuln_key))]),
  ]);
  const devices = await (readDevices ?? ((ids) => matchDevices(h, actor, ids)))([
    ...new Set(rows.map((r) => r.device_id)),
  ]);
  const visible = (id: string) => {
    const device = devices.get(id);
    return device && (!actor.siteIds || actor.siteIds.includes(device.site_id ?? '')) ? device : undefined;
  };
  const shared = new Map<string, Pick<VulnerabilityMatch, 'advisoryIds' | 'matchedBy' | 'kev' | 'epss'>>();
  const sharedOf = (a: AnswerView) => {
    let s = shared.get(a.fingerprint);
    if (!s) {
      const k = a.cve ? kev.get(a.cve) : undefined;
      const e = a.cve ? epss.get(a.cve) : undefined;
      s = {
        advisoryIds: JSON.parse(a.advisory_ids) as string[],
        matchedBy: JSON.parse(a.matched_by) as string[],
        kev: k
          ? { dateAdded: k.date_added, dueDate: k.due_date, knownRansomwareCampaignUse: k.ransomware }
          : fresh.kev && a.cve
            ? false
            : null,
        epss: e ? { score: e.epss, percentile: e.percentile, date: e.score_date } : null,
      };
      shared.set(a.fingerprint, s);
    }
    return s;
  };
  const cvss = new Map<string, VulnerabilityMatch['cvss']>();
  for (const v of vulns)
    cvss.set(
      v.vuln_key,
      v.cvss_score !== null && v.cvss_score !== undefined
        ? { score: v.cvss_score, vector: v.cvss_vector, version: v.cvss_version, severity: v.severity }
        : null,
    );
  const out: VulnerabilityMatch[] = [];
  for (const r of rows) {
    const device = visible(r.device_id);
    const a = answers.get(r.fingerprint);
    if (!device || !a) continue;
    const s = sharedOf(a);
    out.push({
      id: r.id,
      deviceId: r.device_id,
      assetTag: device.asset_tag,
      deviceLabel: device.label,
      vulnerability: r.vuln_key,
      advisoryIds: s.advisoryIds,
      cve: a.cve,
      status: r.status as MatchStatus,
      confidence: a.confidence,
      candidate: r.candidate === 1,
      matchedBy: s.matchedBy,
      explanation: a.explanation,
      fixAvailable: a.fix_available === 1,
      kev: s.kev,
      epss: s.epss,
      cvss: cvss.get(r.vuln_key) ?? null,
      firstMatched: r.first_matched_at,
      lastMatched: r.last_matched_at,
    });
  }
  return out;
}

const filterOf = (q: z.output<typeof VulnQuerySchema>): MatchListFilter => ({
  ...(q.deviceId ? { deviceId: q.deviceId } : {}),
  ...(q.vulnerability ? { vulnKey: q.vulnerability.toUpperCase() } : {}),
  ...(q.status ? { status: q.status } : {}),
  ...(q.candidate !== undefined ? { candidate: q.candidate } : {}),
  ...(q.after ? { after: q.after } : {}),
});

export async function* streamVulnMatches(
  h: DbHandle,
  actor: Actor,
  query: unknown,
): AsyncGenerator<VulnerabilityMatch> {
  assertCan(actor, 'vulns:read');
  const q = parseInput(VulnQuerySchema, query, 'vulnerability query');
  let left = q.limit ?? Number.POSITIVE_INFINITY;
  for await (const page of streamMatchPages(h, filterOf(q))) {
    for (const m of await enrich(h, actor, page)) {
      if (left-- <= 0) return;
      yield m;
    }
  }
}

/**
 * The matches `streamVulnMatches` yields, in the same order, read at once: for readers of the whole fleet
 * (the work queue), which then read each shared answer, KEV, EPSS and CVSS entry once instead of once
 * per page of a thousand.
 */
export async function allVulnMatches(
  h: DbHandle,
  actor: Actor,
  query: unknown,
  readDevices?: MatchDeviceReader,
): Promise<VulnerabilityMatch[]> {
  assertCan(actor, 'vulns:read');
  const q = parseInput(VulnQuerySchema, query, 'vulnerability query');
  const rows: MatchRow[] = [];
  for await (const page of streamMatchPages(h, filterOf(q), 10_000)) for (const r of page) rows.push(r);
  const out = await enrich(h, actor, rows, readDevices);
  return q.limit !== undefined ? out.slice(0, q.limit) : out;
}

export interface MatchExplanation extends VulnerabilityMatch {
  details: MatchDetails;
}

/**
 * "No match" names the device as the person knows it (`BME-10001`), not by its internal id; an id that
 * names no device is quoted whole, as the caller sent it.
 */
async function noMatch(h: DbHandle, deviceId: string, vulnerability: string) {
  const label = (await deviceLabels(h, [deviceId])).get(deviceId) ?? `device ${deviceId}`;
  return notFound(`A match of ${vulnerability.toUpperCase()} on ${label}`);
}

/** `vigil vulns why DEVICE CVE`: the match with every rule's evidence. */
export async function explainMatch(
  h: DbHandle,
  actor: Actor,
  deviceId: string,
  vulnerability: string,
): Promise<MatchExplanation> {
  assertCan(actor, 'vulns:read');
  const row = await matchFor(h, deviceId, vulnerability.toUpperCase());
  const [m] = row ? await enrich(h, actor, [row]) : [];
  if (!row || !m) throw await noMatch(h, deviceId, vulnerability);
  return {
    ...m,
    details: JSON.parse((await detailsOf(h, row.fingerprint)) ?? '{"evidence":[]}') as MatchDetails,
  };
}

export interface FleetRow {
  manufacturer: string | null;
  model: string | null;
  version: string | null;
  site: string | null;
  status: string;
  devices: number;
  fixAvailable: boolean;
}

export interface VulnerabilityView {
  vulnerability: string;
  cve: string | null;
  title: string | null;
  description: string | null;
  cvss: VulnerabilityMatch['cvss'];
  cwes: string[];
  published: string | null;
  advisories: {
    advisoryId: string;
    title: string;
    version: string;
    currentRelease: string;
    origin: string;
  }[];
  sources: { source: string; origin: string; fetchedAt: string; modified: string | null }[];
  kev: KevValue;
  epss: EpssValue;
  fleet: FleetRow[];
  counts: Record<string, number>;
}

async function fleetOf(h: DbHandle, actor: Actor, vulnKey: string): Promise<FleetRow[]> {
  let q = h.db
    .selectFrom('vulnerability_matches as v')
    .innerJoin('match_answers as a', 'a.fingerprint', 'v.fingerprint')
    .innerJoin('devices as d', 'd.id', 'v.device_id')
    .leftJoin('device_models as m', 'm.id', 'd.model_id')
    .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
    .leftJoin('sites as s', 's.id', 'd.site_id')
    .select([
      'f.name as manufacturer',
      'm.name as model',
      'd.firmware_version as firmware',
      'd.software_version as software',
      's.name as site',
      'v.status as status',
      'a.fix_available as fix',
      (eb) => eb.fn.countAll<number>().as('n'),
    ])
    .where('v.vuln_key', '=', vulnKey);
  if (actor.siteIds) q = q.where('d.site_id', 'in', actor.siteIds.length ? [...actor.siteIds] : ['\u0000']);
  const rows = await q
    .groupBy([
      'f.name',
      'm.name',
      'd.firmware_version',
      'd.software_version',
      's.name',
      'v.status',
      'a.fix_available',
    ])
    .execute();
  return rows
    .map((r) => ({
      manufacturer: r.manufacturer,
      model: r.model,
      version: r.firmware ?? r.software,
      site: r.site,
      status: r.status,
      devices: Number(r.n),
      fixAvailable: r.fix === 1,
    }))
    .sort((a, b) => b.devices - a.devices);
}

async function vulnerabilityView(
  h: DbHandle,
  actor: Actor,
  vulnKey: string,
): Promise<VulnerabilityView | null> {
  const [v] = await vulnerabilitiesByKey(h, [vulnKey]);
  if (!v) return null;
  const advisoryIds = await advisoryIdsForVulns(h, [vulnKey]);
  const advisories = await advisoriesById(h, advisoryIds);
  const records = await recordsOfVulns(h, [vulnKey]);
  const cve = v.cve;
  const [kev, epss, fresh] = await Promise.all([
    kevFor(h, cve ? [cve] : []),
    epssFor(h, cve ? [cve] : []),
    enrichmentFreshness(h),
  ]);
  const k = cve ? kev.get(cve) : undefined;
  const e = cve ? epss.get(cve) : undefined;
  const fleet = await fleetOf(h, actor, vulnKey);
  const counts: Record<string, number> = {};
  for (const f of fleet) counts[f.status] = (counts[f.status] ?? 0) + f.devices;
  return {
    vulnerability: vulnKey,
    cve,
    title: v.title,
    description: v.description,
    cvss:
      v.cvss_score !== null
        ? { score: v.cvss_score, vector: v.cvss_vector, version: v.cvss_version, severity: v.severity }
        : null,
    cwes: JSON.parse(v.cwes) as string[],
    published: v.published,
    advisories: advisories.map((a) => ({
      advisoryId: a.tracking_id,
      title: a.title,
      version: a.version,
      currentRelease: a.current_release,
      origin: a.origin,
    })),
    sources: records.map((r) => ({
      source: r.source,
      origin: r.origin,
      fetchedAt: r.fetched_at,
      modified: r.modified,
    })),
    kev: k
      ? { dateAdded: k.date_added, dueDate: k.due_date, knownRansomwareCampaignUse: k.ransomware }
      : fresh.kev && cve
        ? false
        : null,
    epss: e ? { score: e.epss, percentile: e.percentile, date: e.score_date } : null,
    fleet,
    counts,
  };
}

export interface AdvisoryView {
  advisoryId: string;
  title: string;
  publisher: string;
  version: string;
  status: string;
  initialRelease: string;
  currentRelease: string;
  origin: string;
  fetchedAt: string;
  references: { category: string | null; summary: string; url: string }[];
  vulnerabilities: VulnerabilityView[];
}

/** `vigil vulns show CVE|ADVISORY`: a CVE (or advisory-local key), or an advisory with each of its vulnerabilities. */
export async function showVulnerability(
  h: DbHandle,
  actor: Actor,
  id: string,
): Promise<{ kind: 'vulnerability'; view: VulnerabilityView } | { kind: 'advisory'; view: AdvisoryView }> {
  assertCan(actor, 'vulns:read');
  const key = id.trim().toUpperCase();
  const advisory = await advisoryByTrackingId(h, key);
  if (advisory) {
    const vulns = await advisoryVulnerabilities(h, [advisory.id]);
    const views: VulnerabilityView[] = [];
    for (const v of vulns) {
      const view = await vulnerabilityView(h, actor, v.vuln_key);
      if (view) views.push(view);
    }
    return {
      kind: 'advisory',
      view: {
        advisoryId: advisory.tracking_id,
        title: advisory.title,
        publisher: advisory.publisher,
        version: advisory.version,
        status: advisory.status,
        initialRelease: advisory.initial_release,
        currentRelease: advisory.current_release,
        origin: advisory.origin,
        fetchedAt: advisory.fetched_at,
        references: JSON.parse(advisory.refs) as AdvisoryView['references'],
        vulnerabilities: views,
      },
    };
  }
  const view = await vulnerabilityView(h, actor, key);
  if (!view) throw notFound(`Vulnerability or advisory ${id}`);
  return { kind: 'vulnerability', view };
}

export const DecisionSchema = z.strictObject({
  decision: z.enum(['confirmed', 'rejected']),
  reason: z.string().trim().min(1, 'say why (it is kept with the decision)').max(2000),
  /** Remember for every version of the model, not only the device's. */
  allVersions: z.boolean().optional(),
});

/**
 * Confirms or rejects a candidate match. The decision is kept for the device's manufacturer, model
 * and version (or every version), so every device of that kind gets it, now and on later matches.
 */
export async function decideCandidate(
  vdb: DbHandle,
  actor: Actor,
  deviceId: string,
  vulnerability: string,
  input: unknown,
): Promise<{ decision: string; devicesAffected: number }> {
  assertCan(actor, 'vulns:write');
  assertAllSites(actor, 'A decision on a candidate (kept for the model and version)');
  const d = parseInput(DecisionSchema, input, 'decision');
  const vulnKey = vulnerability.toUpperCase();
  const row = await matchFor(vdb, deviceId, vulnKey);
  if (!row) throw await noMatch(vdb, deviceId, vulnerability);
  const details = JSON.parse((await detailsOf(vdb, row.fingerprint)) ?? '{}') as Partial<MatchDetails>;
  if (row.candidate !== 1 && !details.decision) {
    throw invalidInput(
      `The match of ${vulnKey} on ${deviceId} is ${row.status}, not a candidate awaiting review`,
    );
  }
  const device = await vdb.db
    .selectFrom('devices as d')
    .leftJoin('device_models as m', 'm.id', 'd.model_id')
    .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
    .select([
      'f.name as manufacturer',
      'm.name as model',
      'm.model_number as modelNumber',
      'd.firmware_version',
      'd.software_version',
    ])
    .where('d.id', '=', deviceId)
    .executeTakeFirst();
  if (!device?.manufacturer)
    throw invalidInput(`Device ${deviceId} has no manufacturer; decisions are kept per model`);
  const version = d.allVersions ? '' : (device.firmware_version ?? device.software_version ?? '');
  const at = nowIso();
  await transaction(vdb, async (h) => {
    await upsertDecision(h, {
      id: newId(),
      manufacturer_key: resolveManufacturer(device.manufacturer as string).key,
      model_key: modelKey(device.model ?? device.modelNumber ?? ''),
      version,
      vuln_key: vulnKey,
      decision: d.decision,
      reason: d.reason,
      decided_by: actor.name,
      decided_at: at,
    });
    await appendAudit(h, {
      actor,
      action: `vulns.${d.decision === 'confirmed' ? 'confirm' : 'reject'}`,
      target: { type: 'vulnerability_match', id: row.id },
      summary: {
        vulnerability: vulnKey,
        manufacturer: device.manufacturer,
        model: device.model,
        version: version || 'all versions',
        reason: d.reason,
      },
    });
  });
  const report = await runMatch(vdb, actor, { vulnKeys: [vulnKey] }, { audit: false });
  return { decision: d.decision, devicesAffected: report.changed };
}

/**
 * `vigil match` and `POST /match`: every device against all knowledge. It is a job over every site and
 * its report counts every site's devices and matches, so an actor limited to sites is refused; the
 * imports and device changes it may make re-match what they touch on their own.
 */
export async function matchEveryDevice(vdb: DbHandle, actor: Actor): Promise<MatchRunReport> {
  assertCan(actor, 'vulns:write');
  assertAllSites(actor, 'Matching every device');
  const start = nowIso();
  const report = await runMatch(vdb, actor);
  // It covers advisory writes an interrupted import left unmatched (advisories/pending-match.ts).
  await matchCovered(vdb, start);
  return report;
}
