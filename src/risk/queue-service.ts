/**
 * @module The prioritized work queue: every (device, vulnerability) match that is affected or needs
 * review, and every open finding, with an SSVC deployer decision, a due date, a sort score and the
 * evidence behind each input. Items of the same manufacturer, model, version and advisory share a
 * group key, because one firmware update fixes the whole group.
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../accounts/actor.js';
import type { Config } from '../config/config.js';
import type { SsvcDecision } from '../formats/csaf/csaf-advisory.js';
import { CRITICALITIES, type Criticality } from '../inventory/device.js';
import { parseInput } from '../inventory/device-input.js';
import { deviceLabel } from '../inventory/device-label.js';
import { unnamed } from '../inventory/device-name.js';
import { allVulnMatches, type VulnerabilityMatch } from '../matching/vulns-service.js';
import {
  advisorySsvc,
  allSegments,
  deviceControls,
  internetContacts,
  listOverrides,
  modelNames,
  modelPrevalence,
  openFindings,
  type QueueDeviceRow,
  queueDevices,
  type RiskDeviceRow,
  rubricsFor,
  vulnerabilityEvidence,
} from '../store/risk-store.js';
import { type AcceptanceRow, activeAcceptances } from '../store/tasks-store.js';
import type { DbHandle } from '../store/transaction.js';
import { acceptanceCovering } from '../tasks/acceptance-cover.js';
import { automatableEvidence, technicalImpactEvidence } from './automatable.js';
import { environmentalCvss } from './environmental.js';
import { type Evidence, evidence } from './evidence.js';
import { exploitationEvidence } from './exploitation.js';
import { type CompensatingControl, exposureEvidence, isPublicIp, type SegmentInfo } from './exposure.js';
import { humanImpactEvidence } from './human-impact.js';
import { toOverride } from './overrides-service.js';
import {
  DECISIONS,
  DEFAULT_SLA,
  type DeployerDecision,
  dueOf,
  prioritize,
  type SlaPolicy,
} from './priority.js';
import type { RubricAnswers } from './rubric/questions.js';
import type { ModelRubric } from './rubric/rubric.js';

export const QueueQuerySchema = z.strictObject({
  overdue: z.boolean().optional(),
  /** One device's items (the dashboard's device page); ranks stay those of the whole queue. */
  deviceId: z.string().min(1).max(64).optional(),
  /** Only items with one of these decisions (the dashboard's overview tiles link here); ranks stay global. */
  decision: z.array(z.enum(DECISIONS)).min(1).optional(),
  /** true: only items under a risk acceptance in force; false: leave them out. */
  accepted: z.boolean().optional(),
  limit: z.number().int().positive().max(100_000).optional(),
  offset: z.number().int().min(0).optional(),
});
export type QueueQuery = z.input<typeof QueueQuerySchema>;

export interface QueueOptions {
  now?: Date;
  sla?: SlaPolicy;
  epssThreshold?: number;
  /** Patient-safety floor (default on), see priority.ts. */
  safetyFloor?: boolean;
  /** Active devices of one model from which it counts as widespread (Mission Prevalence). */
  prevalenceUnits?: number;
  /**
   * Items to leave out before paging and counting, without building them (a report that counts the
   * overdue items no task covers names only a few). `key` is the vulnerability or the finding id.
   */
  leaveOut?: (item: { kind: QueueItem['kind']; deviceId: string; key: string }) => boolean;
}

/** The hospital's risk settings from its configuration (SLAs, EPSS threshold, safety floor, prevalence). */
export function queueOptionsFrom(config: Partial<Config>): QueueOptions {
  return {
    sla: {
      immediateHours: config.slaImmediateHours ?? DEFAULT_SLA.immediateHours,
      outOfCycleDays: config.slaOutOfCycleDays ?? DEFAULT_SLA.outOfCycleDays,
      scheduledDays: config.slaScheduledDays ?? DEFAULT_SLA.scheduledDays,
      deferDays: config.slaDeferDays ?? DEFAULT_SLA.deferDays,
    },
    ...(config.epssThreshold !== undefined ? { epssThreshold: config.epssThreshold } : {}),
    ...(config.safetyFloor !== undefined ? { safetyFloor: config.safetyFloor } : {}),
    ...(config.prevalenceUnits !== undefined ? { prevalenceUnits: config.prevalenceUnits } : {}),
  };
}

export interface QueueItem {
  kind: 'vulnerability' | 'finding';
  /** 1 = most urgent. */
  rank: number;
  score: number;
  deviceId: string;
  /**
   * What a person calls the device (inventory/device-label.ts): the asset tag, else make and model (or
   * class) with its newest host name, IP or MAC, else the address. For display only; `deviceId` is the key.
   */
  deviceLabel: string;
  assetTag: string | null;
  vulnerability: string | null;
  cve: string | null;
  findingId: string | null;
  title: string | null;
  advisoryIds: string[];
  status: string;
  decision: DeployerDecision;
  cisa: string | null;
  due: string | null;
  dueBecause: string;
  overdue: boolean;
  evidence: Evidence[];
  cvss: {
    base: number | null;
    environmental: number | null;
    vector: string | null;
    baseVector: string | null;
  };
  kev: VulnerabilityMatch['kev'];
  epss: VulnerabilityMatch['epss'];
  fixAvailable: boolean;
  overrides: string[];
  /**
   * The risk acceptance in force that covers the item (of the device, its model or the fleet), or null.
   * An accepted item is never overdue and ranks after every item not accepted; its decision and due date
   * still say how urgent it would be (a task made from it keeps that SLA for when the acceptance ends).
   */
  acceptance: QueueAcceptance | null;
  group: {
    key: string;
    manufacturer: string | null;
    model: string | null;
    version: string | null;
    fix: string | null;
  };
}

export interface QueueAcceptance {
  id: string;
  scope: string;
  /** accept | reduce | avoid | transfer */
  decision: string;
  approver: string;
  expiresAt: string;
}

/**
 * Open findings have no SSVC inputs of their own; their severity (already raised for life-sustaining
 * and ePHI devices, see discovery/finding-severity.ts) maps to a decision.
 */
export const FINDING_DECISIONS: Record<string, DeployerDecision> = {
  critical: 'out-of-cycle',
  high: 'out-of-cycle',
  medium: 'scheduled',
  low: 'defer',
  info: 'defer',
};
const SEVERITY_ORDER = ['info', 'low', 'medium', 'high', 'critical'];

function criticalityOf(d: RiskDeviceRow): Criticality | null {
  const c = d.criticality ?? d.model_criticality;
  return c && (CRITICALITIES as readonly string[]).includes(c) ? (c as Criticality) : null;
}

function ephiOf(d: RiskDeviceRow): boolean | null {
  if (d.ephi !== null) return d.ephi === 1;
  if (d.ephi_stores === 1 || d.ephi_transmits === 1) return true;
  if (d.ephi_stores === 0 && d.ephi_transmits === 0) return false;
  return null;
}

function addHours(iso: string, hours: number): string {
  return new Date(new Date(iso).getTime() + hours * 3600_000).toISOString();
}

function findingDue(since: string, decision: DeployerDecision, sla: SlaPolicy): string | null {
  switch (decision) {
    case 'immediate':
      return addHours(since, sla.immediateHours);
    case 'out-of-cycle':
      return addHours(since, sla.outOfCycleDays * 24);
    case 'scheduled':
      return addHours(since, sla.scheduledDays * 24);
    default:
      return sla.deferDays === null ? null : addHours(since, sla.deferDays * 24);
  }
}

export interface QueuePage {
  items: QueueItem[];
  /** Items in the whole queue (after `overdue`), for paging. */
  total: number;
  offset: number;
}

export async function listQueue(
  h: DbHandle,
  actor: Actor,
  query: unknown = {},
  opts: QueueOptions = {},
): Promise<QueueItem[]> {
  return (await listQueuePage(h, actor, query, opts)).items;
}

export async function listQueuePage(
  h: DbHandle,
  actor: Actor,
  query: unknown = {},
  opts: QueueOptions = {},
): Promise<QueuePage> {
  assertCan(actor, 'risk:read');
  const q = parseInput(QueueQuerySchema, query ?? {}, 'queue query');
  const entries = await queueEntries(h, actor, opts);
  // A fleet's queue sorts ~800,000 entries: the texts are put in collation order once each and compared
  // by that position, and due dates (all ISO times) as numbers, instead of asking a collator each time.
  const label = collationRanks(entries.map((e) => e.deviceLabel));
  const order = collationRanks(entries.map((e) => e.order));
  const keyed = entries.map((e) => ({
    e,
    due: e.dueTime,
    label: label.get(e.deviceLabel)!,
    order: order.get(e.order)!,
    rank: 0,
  }));
  // Accepted items come after every item still owed work: the queue is worked from the top.
  keyed.sort(
    (a, b) =>
      a.e.accepted - b.e.accepted ||
      b.e.score - a.e.score ||
      a.due - b.due ||
      a.label - b.label ||
      a.order - b.order,
  );
  keyed.forEach((k, i) => {
    k.rank = i + 1;
  });
  const all =
    q.overdue || q.deviceId || q.decision || q.accepted !== undefined || opts.leaveOut
      ? keyed.filter(
          ({ e }) =>
            (!q.overdue || e.overdue) &&
            !opts.leaveOut?.({ kind: e.kind, deviceId: e.deviceId, key: e.order }) &&
            (q.accepted === undefined || q.accepted === (e.accepted === 1)) &&
            (!q.deviceId || e.deviceId === q.deviceId) &&
            (!q.decision || q.decision.includes(e.decision)),
        )
      : keyed;
  const offset = q.offset ?? 0;
  return {
    items: all
      .slice(offset, q.limit ? offset + q.limit : undefined)
      .map(({ e, rank }) => ({ ...e.build(), rank })),
    total: all.length,
    offset,
  };
}

/** Each distinct text's place in collation order; texts the collator deems equal share one place. */
function collationRanks(texts: readonly string[]): Map<string, number> {
  const compare = new Intl.Collator().compare;
  const distinct = [...new Set(texts)].sort(compare);
  const out = new Map<string, number>();
  let place = 0;
  distinct.forEach((t, i) => {
    if (i > 0 && compare(distinct[i - 1]!, t) !== 0) place++;
    out.set(t, place);
  });
  return out;
}

/**
 * One device's queue item for a vulnerability or a finding, as the queue would show it but without its
 * rank (0), which needs the whole queue; undefined when the queue holds no such item. Reads only that
 * device's matches and findings: a task takes its due date from here.
 */
export async function queueItemOf(
  h: DbHandle,
  actor: Actor,
  item: { deviceId: string; vulnerability?: string; findingId?: string },
  opts: QueueOptions = {},
): Promise<QueueItem | undefined> {
  assertCan(actor, 'risk:read');
  const entries = await queueEntries(h, actor, opts, item.deviceId);
  const key = item.vulnerability ?? item.findingId;
  return entries.find((e) => e.deviceId === item.deviceId && e.order === key)?.build();
}

/** Every item of the queue (or of one device), unranked: what ranking reads, and how to build the rest. */
async function queueEntries(
  h: DbHandle,
  actor: Actor,
  opts: QueueOptions,
  onlyDevice?: string,
): Promise<QueueEntry[]> {
  const now = opts.now ?? new Date();
  const sla = opts.sla ?? DEFAULT_SLA;
  const findings = (await openFindings(h)).filter(
    (f) => f.device_id && (!onlyDevice || f.device_id === onlyDevice),
  );
  // Each device is read once, with the matches' devices: its risk context, its site (who may see its
  // items) and its label, for the matches and the findings alike.
  const deviceById = new Map<string, QueueDeviceRow>();
  const labelById = new Map<string, string>();
  let devicesRead = false;
  const readDevices = async (ids: readonly string[]) => {
    devicesRead = true;
    for (const d of await queueDevices(h, [...ids, ...findings.map((f) => f.device_id)])) {
      deviceById.set(d.id, d);
      labelById.set(
        d.id,
        deviceLabel({
          id: d.id,
          asset_tag: d.asset_tag,
          device_class: d.device_class,
          manufacturer_name: d.manufacturer || null,
          model_name: d.model || null,
          hostname: d.hostname,
          ips: d.ips,
          mac: d.mac,
        }),
      );
    }
    return new Map([...deviceById.values()].map((d) => [d.id, { ...d, label: labelById.get(d.id)! }]));
  };
  const matches = await allVulnMatches(
    h,
    actor,
    { status: ['affected', 'needs-review'], ...(onlyDevice ? { deviceId: onlyDevice } : {}) },
    readDevices,
  );
  if (!devicesRead) await readDevices([]);
  const deviceIdList = [...new Set([...matches.map((m) => m.deviceId), ...findings.map((f) => f.device_id)])];
  const [segments, ssvcRows, overrideRows, controls, prevalence, vulnEvidence, internet, acceptances] =
    await Promise.all([
      allSegments(h),
      advisorySsvc(
        h,
        matches.map((m) => m.vulnerability),
      ),
      listOverrides(h, { activeAt: now.toISOString() }),
      deviceControls(h, deviceIdList),
      modelPrevalence(h),
      vulnerabilityEvidence(
        h,
        matches.map((m) => m.vulnerability),
      ),
      internetContacts(h, deviceIdList, isPublicIp),
      activeAcceptances(h, now.toISOString()),
    ]);
  const acceptancesByVuln = new Map<string, AcceptanceRow[]>();
  for (const a of acceptances)
    acceptancesByVuln.set(a.vuln_key, [...(acceptancesByVuln.get(a.vuln_key) ?? []), a]);
  const acceptanceOf = (m: VulnerabilityMatch, d: QueueDeviceRow): QueueAcceptance | null => {
    const list = acceptancesByVuln.get(m.vulnerability);
    const a = list && acceptanceCovering(list, d);
    return a
      ? { id: a.id, scope: a.scope, decision: a.decision, approver: a.approver, expiresAt: a.expires_at }
      : null;
  };
  const modelIds = [...new Set(deviceIdList.flatMap((id) => deviceById.get(id)?.model_id ?? []))];
  const [rubricRows, names] = await Promise.all([rubricsFor(h, modelIds), modelNames(h, modelIds)]);
  const labelOf = (d: QueueDeviceRow) => labelById.get(d.id) ?? unnamed(d.id);
  const rubricByModel = new Map<string, ModelRubric>(
    rubricRows.map((r) => {
      const n = names.get(r.model_id);
      return [
        r.model_id,
        {
          modelId: r.model_id,
          modelName: n ? [n.manufacturer, n.model].filter(Boolean).join(' ') : null,
          answers: JSON.parse(r.answers) as RubricAnswers,
          notes: r.notes,
          answeredBy: r.answered_by,
          answeredAt: r.answered_at,
        },
      ];
    }),
  );
  const segsBySite = new Map<string, SegmentInfo[]>();
  for (const s of segments)
    segsBySite.set(s.site_id, [
      ...(segsBySite.get(s.site_id) ?? []),
      { name: s.name, cidrs: JSON.parse(s.cidrs) as string[], zone: s.zone },
    ]);
  const allSegs = [...segsBySite.values()].flat();
  // Indexed once: a fleet's queue asks for the same few thousand vulnerabilities hundreds of thousands of times.
  const ssvcByVuln = new Map<string, typeof ssvcRows>();
  for (const r of ssvcRows) ssvcByVuln.set(r.vuln_key, [...(ssvcByVuln.get(r.vuln_key) ?? []), r]);
  const ssvcOf = (m: VulnerabilityMatch): SsvcDecision | null => {
    const row = ssvcByVuln.get(m.vulnerability)?.find((r) => m.advisoryIds.includes(r.tracking_id));
    if (row) return JSON.parse(row.ssvc) as SsvcDecision;
    // No advisory note: CISA's ADP assessment in the CVE record, when imported.
    const adp = vulnEvidence.get(m.vulnerability)?.ssvc;
    return adp ? (JSON.parse(adp) as SsvcDecision) : null;
  };
  const overrides = overrideRows.map(toOverride);
  const visible = (deviceId: string) => {
    const d = deviceById.get(deviceId);
    return !!d && (!actor.siteIds || actor.siteIds.includes(d.site_id ?? ''));
  };
  const contexts = new Map<string, ReturnType<typeof deviceContext>>();
  const contextOf = (d: QueueDeviceRow) => {
    let ctx = contexts.get(d.id);
    if (!ctx) {
      ctx = deviceContext(d);
      contexts.set(d.id, ctx);
    }
    return ctx;
  };
  // Devices whose context decides ranking alike share a number (see rankOf).
  const rankIds = new Map<string, number>();
  const deviceContext = (d: QueueDeviceRow) => {
    const segs = d.site_id ? (segsBySite.get(d.site_id) ?? []) : allSegs;
    const ctx = {
      criticality: criticalityOf(d),
      ephi: ephiOf(d),
      exposure: exposureEvidence({
        // In text order, as the addresses were read for exposure before labels and context were read together.
        ips: [...d.ips].sort(),
        segments: segs,
        controls: (controls.get(d.id) ?? []).map((c) => ({
          control: c.control as CompensatingControl,
          where: `task "${c.title}"`,
        })),
        internet: internet.get(d.id) ?? null,
      }),
      human: humanImpactEvidence({
        criticality: criticalityOf(d),
        ephi: ephiOf(d),
        deviceClass: d.device_class,
        prevalence: {
          units: d.model_id ? (prevalence.byModel.get(d.model_id) ?? 1) : 1,
          ...(opts.prevalenceUnits !== undefined ? { widespreadUnits: opts.prevalenceUnits } : {}),
        },
      }),
      rubric: d.model_id ? (rubricByModel.get(d.model_id) ?? null) : null,
      overrides: overrides.filter(
        (o) =>
          (o.scope === 'device' && o.deviceId === d.id) || (o.scope === 'model' && o.modelId === d.model_id),
      ),
      rankId: 0,
    };
    // What of the device ranking reads: the environmental score's inputs (criticality, ePHI, exposure,
    // rubric), safety and mission impact, and its overrides.
    const rankKey = `${ctx.criticality}|${ctx.ephi}|${ctx.exposure.value}|${ctx.rubric ? d.model_id : ''}|${ctx.human.safety.value}|${ctx.human.mission.value}|${ctx.overrides.map((o) => o.id).join(',')}`;
    let id = rankIds.get(rankKey);
    if (id === undefined) {
      id = rankIds.size;
      rankIds.set(rankKey, id);
    }
    ctx.rankId = id;
    return ctx;
  };

  // What a vulnerability's evidence is (exploitation, automatable, technical impact) depends on the
  // vulnerability and its advisories alone, and the environmental score on the vector and the device's
  // context: a fleet shares them across thousands of units, so each is worked out once.
  interface VulnInputs {
    key: string;
    ssvc: SsvcDecision | null;
    exploitation: ReturnType<typeof exploitationEvidence>;
    automatable: ReturnType<typeof automatableEvidence>;
    technicalImpact: ReturnType<typeof technicalImpactEvidence>;
    /** Decision and score per device context (rankId), see rankOf. */
    decided: Map<number, { decision: DeployerDecision; score: number }>;
  }
  const perVuln = new Map<string, VulnInputs>();
  // Matches of one answer share its advisory list, KEV and EPSS objects, and those of one vulnerability
  // its CVSS object (vulns-service.ts enrich): looked up by those first, the key below is built once per
  // answer rather than once per match. Objects that are the same hold the same values.
  const bySharedObjects = new WeakMap<
    readonly string[],
    { vulnerability: string; cvss: unknown; kev: unknown; epss: unknown; v: VulnInputs }[]
  >();
  const vulnInputs = (m: VulnerabilityMatch): VulnInputs => {
    const seen = bySharedObjects.get(m.advisoryIds);
    const hit = seen?.find(
      (x) => x.vulnerability === m.vulnerability && x.cvss === m.cvss && x.kev === m.kev && x.epss === m.epss,
    );
    if (hit) return hit.v;
    const v = vulnInputsByKey(m);
    const entry = { vulnerability: m.vulnerability, cvss: m.cvss, kev: m.kev, epss: m.epss, v };
    if (!seen) bySharedObjects.set(m.advisoryIds, [entry]);
    else if (seen.length < 16) seen.push(entry);
    return v;
  };
  const vulnInputsByKey = (m: VulnerabilityMatch): VulnInputs => {
    const vector = m.cvss?.vector ?? null;
    // The base score is not an input of these, but of the environmental score ranking reads beside them.
    const key = `${m.vulnerability}|${m.advisoryIds.join(',')}|${vector}|${m.cvss?.score ?? ''}|${m.kev ? m.kev.dateAdded : String(m.kev)}|${m.epss?.score ?? ''}`;
    let v = perVuln.get(key);
    if (!v) {
      const ssvc = ssvcOf(m);
      v = {
        key,
        ssvc,
        exploitation: exploitationEvidence({
          cve: m.cve,
          kev: m.kev,
          epss: m.epss,
          ssvc,
          exploitRefs: JSON.parse(vulnEvidence.get(m.vulnerability)?.exploitRefs ?? '[]') as string[],
          ...(opts.epssThreshold !== undefined ? { epssThreshold: opts.epssThreshold } : {}),
        }),
        automatable: automatableEvidence({ vector, ssvc }),
        technicalImpact: technicalImpactEvidence({ vector, ssvc }),
        decided: new Map(),
      };
      perVuln.set(key, v);
    }
    return v;
  };
  const envs = new Map<string, ReturnType<typeof environmentalCvss>>();
  const envOf = (m: VulnerabilityMatch, d: QueueDeviceRow, ctx: ReturnType<typeof contextOf>) => {
    const input = {
      vector: m.cvss?.vector ?? null,
      baseScore: m.cvss?.score ?? null,
      criticality: ctx.criticality,
      ephi: ctx.ephi,
      exposure: ctx.exposure.value as 'small' | 'controlled' | 'open',
      rubric: ctx.rubric,
    };
    const key = `${input.vector}|${input.baseScore}|${input.criticality}|${input.ephi}|${input.exposure}|${ctx.rubric ? d.model_id : ''}`;
    let env = envs.get(key);
    if (!env) {
      env = environmentalCvss(input);
      envs.set(key, env);
    }
    return env;
  };
  const priorityOf = (m: VulnerabilityMatch, d: QueueDeviceRow) => {
    const ctx = contextOf(d);
    const v = vulnInputs(m);
    const env = envOf(m, d, ctx);
    const p = prioritize({
      exploitation: v.exploitation,
      exposure: ctx.exposure,
      automatable: v.automatable,
      human: ctx.human,
      technicalImpact: v.technicalImpact,
      overrides: ctx.overrides,
      environmentalScore: env.environmental ?? m.cvss?.score ?? null,
      epss: m.epss?.score ?? null,
      since: m.firstMatched,
      now,
      sla,
      ...(opts.safetyFloor !== undefined ? { policy: { safetyFloor: opts.safetyFloor } } : {}),
    });
    return { p, env };
  };
  const vulnerabilityItem = (m: VulnerabilityMatch, d: QueueDeviceRow): QueueItem => {
    const { p, env } = priorityOf(m, d);
    const ev = [...p.evidence];
    const accepted = acceptanceOf(m, d);
    if (accepted)
      ev.unshift(
        evidence(
          'acceptance',
          accepted.decision,
          'acceptance',
          `risk ${accepted.decision} (${accepted.scope}-wide) by ${accepted.approver} until ${accepted.expiresAt.slice(0, 10)}: not overdue, ranked after the items still owed work`,
        ),
      );
    if (m.status === 'needs-review')
      ev.unshift(
        evidence('match', 'needs-review', 'default', `the match is a candidate to confirm: ${m.explanation}`),
      );
    if (env.environmental !== null)
      ev.push(
        evidence(
          'cvss',
          String(env.environmental),
          'cvss',
          `environmental ${env.environmental} from base ${env.base} with ${env.evidence.map((e) => `${e.point}:${e.value}`).join(' ')} (${env.evidence.map((e) => e.because).join('; ')})`,
        ),
      );
    else if (env.error)
      ev.push(evidence('cvss', 'invalid', 'cvss', `published vector refused: ${env.error}`));
    const version = d.firmware_version ?? d.software_version;
    const key = m.advisoryIds[0] ?? m.vulnerability;
    return {
      kind: 'vulnerability',
      rank: 0,
      // Within one decision, confirmed matches come before candidates still to be reviewed.
      score: p.score + (m.status === 'affected' ? 5_000 : 0),
      deviceId: d.id,
      deviceLabel: labelOf(d),
      assetTag: d.asset_tag,
      vulnerability: m.vulnerability,
      cve: m.cve,
      findingId: null,
      title: null,
      advisoryIds: m.advisoryIds,
      status: m.status,
      decision: p.decision,
      cisa: p.cisa,
      due: p.due,
      dueBecause: accepted
        ? `risk accepted (${accepted.decision}) until ${accepted.expiresAt.slice(0, 10)}, not overdue meanwhile; ${p.dueBecause}`
        : p.dueBecause,
      overdue: accepted ? false : p.overdue,
      evidence: ev,
      cvss: {
        base: env.base,
        environmental: env.environmental,
        vector: env.vector,
        baseVector: env.baseVector,
      },
      kev: m.kev,
      epss: m.epss,
      fixAvailable: m.fixAvailable,
      overrides: p.overridesApplied,
      acceptance: accepted,
      group: {
        key: [d.manufacturer ?? '?', d.model ?? '?', version ?? '?', key].join(' | '),
        manufacturer: d.manufacturer,
        model: d.model,
        version,
        fix: m.fixAvailable ? `vendor fix (${m.advisoryIds.join(', ') || m.vulnerability})` : null,
      },
    };
  };

  // Every item is ranked, but only the page asked for is built whole (evidence, explanations): a
  // 100,000-device fleet's queue holds ~800,000 items, and keeping each one's evidence was most of its
  // time and memory. An entry keeps what ranking and filtering read, and how to build the rest.
  // Ranking reads a match's decision and score, which depend on the vulnerability's inputs (VulnInputs,
  // the base score included) and on what of the device its rankId stands for, not on the device itself;
  // and its due date, which adds the match's own date. Each combination is decided once (a fleet of
  // 100,000 devices has ~800,000 matches and a few thousand combinations), looked up by number.
  const rankOf = (m: VulnerabilityMatch, d: QueueDeviceRow) => {
    const ctx = contextOf(d);
    const v = vulnInputs(m);
    let r = v.decided.get(ctx.rankId);
    if (!r) {
      const { p } = priorityOf(m, d);
      r = { decision: p.decision, score: p.score };
      v.decided.set(ctx.rankId, r);
    }
    const { due } = dueOf(m.firstMatched, r.decision, sla, v.exploitation.kevDueDate);
    return {
      score: r.score,
      decision: r.decision,
      dueTime: due ? due.getTime() : Number.POSITIVE_INFINITY,
      overdue: due ? due < now : false,
    };
  };
  const entries: QueueEntry[] = [];
  for (const m of matches) {
    const d = deviceById.get(m.deviceId);
    if (!d || !visible(d.id)) continue;
    const p = rankOf(m, d);
    const accepted = acceptanceOf(m, d);
    entries.push({
      kind: 'vulnerability',
      score: p.score + (m.status === 'affected' ? 5_000 : 0),
      decision: p.decision,
      dueTime: p.dueTime,
      overdue: accepted ? false : p.overdue,
      accepted: accepted ? 1 : 0,
      deviceId: d.id,
      deviceLabel: labelOf(d),
      order: m.vulnerability,
      build: () => vulnerabilityItem(m, d),
    });
  }
  for (const f of findings) {
    const d = deviceById.get(f.device_id);
    if (!d || !visible(d.id)) continue;
    const decision = FINDING_DECISIONS[f.severity] ?? 'scheduled';
    const due = findingDue(f.first_seen, decision, sla);
    const item: QueueItem = {
      kind: 'finding',
      rank: 0,
      score: DECISIONS.indexOf(decision) * 10_000 + SEVERITY_ORDER.indexOf(f.severity) * 100,
      deviceId: d.id,
      deviceLabel: labelOf(d),
      assetTag: d.asset_tag,
      vulnerability: null,
      cve: null,
      findingId: f.id,
      title: f.title,
      advisoryIds: [],
      status: 'open',
      decision,
      cisa: null,
      due,
      dueBecause: due ? `${decision} SLA from ${f.first_seen.slice(0, 10)}` : `${decision}: no deadline`,
      overdue: due ? new Date(due).getTime() < now.getTime() : false,
      evidence: [
        evidence('finding', f.type, 'finding', `${f.title}: ${f.subject}`),
        evidence('decision', decision, 'policy', `finding severity ${f.severity} maps to ${decision}`),
      ],
      cvss: { base: null, environmental: null, vector: null, baseVector: null },
      kev: null,
      epss: null,
      fixAvailable: false,
      overrides: [],
      acceptance: null,
      group: {
        key: [
          d.manufacturer ?? '?',
          d.model ?? '?',
          d.firmware_version ?? d.software_version ?? '?',
          f.type,
        ].join(' | '),
        manufacturer: d.manufacturer,
        model: d.model,
        version: d.firmware_version ?? d.software_version,
        fix: null,
      },
    };
    entries.push({
      kind: 'finding',
      score: item.score,
      decision,
      dueTime: due === null ? Number.POSITIVE_INFINITY : Date.parse(due),
      overdue: item.overdue,
      accepted: 0,
      deviceId: d.id,
      deviceLabel: item.deviceLabel,
      order: f.id,
      build: () => item,
    });
  }
  return entries;
}

/** A queue item as far as ranking and filtering need it, and how to build the whole item. */
interface QueueEntry {
  kind: QueueItem['kind'];
  score: number;
  decision: DeployerDecision;
  /** The due date as a time, for sorting (none: infinitely far). */
  dueTime: number;
  overdue: boolean;
  /** 1 under a risk acceptance in force (sorts after 0). */
  accepted: 0 | 1;
  deviceId: string;
  deviceLabel: string;
  /** The vulnerability or the finding id: the last tie-break. */
  order: string;
  build: () => QueueItem;
}

/** One line of work: the items one update (or one finding fix) closes, across every device it touches. */
export interface QueueGroup {
  key: string;
  manufacturer: string | null;
  model: string | null;
  version: string | null;
  fix: string | null;
  /** The most urgent decision in the group and its best (lowest) rank. */
  decision: DeployerDecision;
  topRank: number;
  items: number;
  /** The group's items per decision: a group's items need not all share its (most urgent) decision. */
  byDecision: Record<DeployerDecision, number>;
  devices: number;
  overdue: number;
  earliestDue: string | null;
  vulnerabilities: string[];
}

/** Groups queue items by manufacturer, model, version and advisory (or finding type), most urgent first. */
export function groupQueue(items: readonly QueueItem[]): QueueGroup[] {
  const groups = new Map<string, QueueGroup & { deviceSet: Set<string> }>();
  for (const it of items) {
    let g = groups.get(it.group.key);
    if (!g) {
      g = {
        key: it.group.key,
        manufacturer: it.group.manufacturer,
        model: it.group.model,
        version: it.group.version,
        fix: it.group.fix,
        decision: it.decision,
        topRank: it.rank,
        items: 0,
        byDecision: { immediate: 0, 'out-of-cycle': 0, scheduled: 0, defer: 0 },
        devices: 0,
        overdue: 0,
        earliestDue: null,
        vulnerabilities: [],
        deviceSet: new Set(),
      };
      groups.set(it.group.key, g);
    }
    g.items++;
    g.byDecision[it.decision]++;
    g.deviceSet.add(it.deviceId);
    if (it.overdue) g.overdue++;
    if (it.due && (!g.earliestDue || it.due < g.earliestDue)) g.earliestDue = it.due;
    if (DECISIONS.indexOf(it.decision) > DECISIONS.indexOf(g.decision)) g.decision = it.decision;
    if (it.rank < g.topRank) g.topRank = it.rank;
    const v = it.vulnerability ?? it.title;
    if (v && !g.vulnerabilities.includes(v) && g.vulnerabilities.length < 20) g.vulnerabilities.push(v);
  }
  return [...groups.values()]
    .map(({ deviceSet, ...g }) => ({ ...g, devices: deviceSet.size }))
    .sort((a, b) => a.topRank - b.topRank);
}
