/**
 * @module The prioritized work queue: every (device, vulnerability) match that is affected or needs
 * review, and every open finding, with an SSVC deployer decision, a due date, a sort score and the
 * evidence behind each input. Items of the same manufacturer, model, version and advisory share a
 * group key, because one firmware update fixes the whole group.
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../accounts/actor.js';
import type { SsvcDecision } from '../formats/csaf/csaf-advisory.js';
import { CRITICALITIES, type Criticality } from '../inventory/device.js';
import { parseInput } from '../inventory/device-input.js';
import { streamVulnMatches, type VulnerabilityMatch } from '../matching/vulns-service.js';
import {
  advisorySsvc,
  allSegments,
  deviceIps,
  listOverrides,
  openFindings,
  type RiskDeviceRow,
  riskDevices,
} from '../store/risk-store.js';
import type { DbHandle } from '../store/transaction.js';
import { automatableEvidence, technicalImpactEvidence } from './automatable.js';
import { environmentalCvss } from './environmental.js';
import { type Evidence, evidence } from './evidence.js';
import { exploitationEvidence } from './exploitation.js';
import { type CompensatingControl, exposureEvidence, type SegmentInfo } from './exposure.js';
import { humanImpactEvidence } from './human-impact.js';
import { toOverride } from './overrides-service.js';
import { DECISIONS, DEFAULT_SLA, type DeployerDecision, prioritize, type SlaPolicy } from './priority.js';

export const QueueQuerySchema = z.strictObject({
  overdue: z.boolean().optional(),
  limit: z.number().int().positive().max(100_000).optional(),
});
export type QueueQuery = z.input<typeof QueueQuerySchema>;

export interface QueueOptions {
  now?: Date;
  sla?: SlaPolicy;
  epssThreshold?: number;
  /** Compensating controls per device (from remediation tasks, when they record them). */
  controlsFor?: (deviceId: string) => readonly CompensatingControl[];
}

export interface QueueItem {
  kind: 'vulnerability' | 'finding';
  /** 1 = most urgent. */
  rank: number;
  score: number;
  deviceId: string;
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
  group: {
    key: string;
    manufacturer: string | null;
    model: string | null;
    version: string | null;
    fix: string | null;
  };
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

export async function listQueue(
  h: DbHandle,
  actor: Actor,
  query: unknown = {},
  opts: QueueOptions = {},
): Promise<QueueItem[]> {
  assertCan(actor, 'risk:read');
  const q = parseInput(QueueQuerySchema, query ?? {}, 'queue query');
  const now = opts.now ?? new Date();
  const sla = opts.sla ?? DEFAULT_SLA;
  const matches: VulnerabilityMatch[] = [];
  for await (const m of streamVulnMatches(h, actor, { status: ['affected', 'needs-review'] }))
    matches.push(m);
  const findings = (await openFindings(h)).filter((f) => f.device_id);
  const deviceIdList = [...new Set([...matches.map((m) => m.deviceId), ...findings.map((f) => f.device_id)])];
  const [devices, ips, segments, ssvcRows, overrideRows] = await Promise.all([
    riskDevices(h, deviceIdList),
    deviceIps(h, deviceIdList),
    allSegments(h),
    advisorySsvc(
      h,
      matches.map((m) => m.vulnerability),
    ),
    listOverrides(h, { activeAt: now.toISOString() }),
  ]);
  const deviceById = new Map(devices.map((d) => [d.id, d]));
  const segsBySite = new Map<string, SegmentInfo[]>();
  for (const s of segments)
    segsBySite.set(s.site_id, [
      ...(segsBySite.get(s.site_id) ?? []),
      { name: s.name, cidrs: JSON.parse(s.cidrs) as string[], zone: s.zone },
    ]);
  const allSegs = [...segsBySite.values()].flat();
  const ssvcOf = (m: VulnerabilityMatch): SsvcDecision | null => {
    const row = ssvcRows.find((r) => r.vuln_key === m.vulnerability && m.advisoryIds.includes(r.tracking_id));
    return row ? (JSON.parse(row.ssvc) as SsvcDecision) : null;
  };
  const overrides = overrideRows.map(toOverride);
  const visible = (deviceId: string) => {
    const d = deviceById.get(deviceId);
    return !!d && (!actor.siteIds || actor.siteIds.includes(d.site_id ?? ''));
  };
  const contextOf = (d: RiskDeviceRow) => {
    const segs = d.site_id ? (segsBySite.get(d.site_id) ?? []) : allSegs;
    return {
      criticality: criticalityOf(d),
      ephi: ephiOf(d),
      exposure: exposureEvidence({
        ips: ips.get(d.id) ?? [],
        segments: segs,
        controls: opts.controlsFor?.(d.id) ?? [],
      }),
      human: humanImpactEvidence({
        criticality: criticalityOf(d),
        ephi: ephiOf(d),
        deviceClass: d.device_class,
      }),
    };
  };

  const items: QueueItem[] = [];
  for (const m of matches) {
    const d = deviceById.get(m.deviceId);
    if (!d || !visible(d.id)) continue;
    const ctx = contextOf(d);
    const ssvc = ssvcOf(m);
    const vector = m.cvss?.vector ?? null;
    const exploitation = exploitationEvidence({
      cve: m.cve,
      kev: m.kev,
      epss: m.epss,
      ssvc,
      ...(opts.epssThreshold !== undefined ? { epssThreshold: opts.epssThreshold } : {}),
    });
    const env = environmentalCvss({
      vector,
      baseScore: m.cvss?.score ?? null,
      criticality: ctx.criticality,
      ephi: ctx.ephi,
      exposure: ctx.exposure.value as 'small' | 'controlled' | 'open',
    });
    const p = prioritize({
      exploitation,
      exposure: ctx.exposure,
      automatable: automatableEvidence({ vector, ssvc }),
      human: ctx.human,
      technicalImpact: technicalImpactEvidence({ vector, ssvc }),
      overrides: overrides.filter(
        (o) =>
          (o.scope === 'device' && o.deviceId === d.id) || (o.scope === 'model' && o.modelId === d.model_id),
      ),
      environmentalScore: env.environmental ?? m.cvss?.score ?? null,
      epss: m.epss?.score ?? null,
      since: m.firstMatched,
      now,
      sla,
    });
    const ev = [...p.evidence];
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
    items.push({
      kind: 'vulnerability',
      rank: 0,
      // Within one decision, confirmed matches come before candidates still to be reviewed.
      score: p.score + (m.status === 'affected' ? 5_000 : 0),
      deviceId: d.id,
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
      dueBecause: p.dueBecause,
      overdue: p.overdue,
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
      group: {
        key: [d.manufacturer ?? '?', d.model ?? '?', version ?? '?', key].join(' | '),
        manufacturer: d.manufacturer,
        model: d.model,
        version,
        fix: m.fixAvailable ? `vendor fix (${m.advisoryIds.join(', ') || m.vulnerability})` : null,
      },
    });
  }
  for (const f of findings) {
    const d = deviceById.get(f.device_id);
    if (!d || !visible(d.id)) continue;
    const decision = FINDING_DECISIONS[f.severity] ?? 'scheduled';
    const due = findingDue(f.first_seen, decision, sla);
    items.push({
      kind: 'finding',
      rank: 0,
      score: DECISIONS.indexOf(decision) * 10_000 + SEVERITY_ORDER.indexOf(f.severity) * 100,
      deviceId: d.id,
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
    });
  }
  items.sort(
    (a, b) =>
      b.score - a.score ||
      (a.due ?? '9999').localeCompare(b.due ?? '9999') ||
      (a.assetTag ?? '').localeCompare(b.assetTag ?? '') ||
      (a.vulnerability ?? a.findingId ?? '').localeCompare(b.vulnerability ?? b.findingId ?? ''),
  );
  items.forEach((it, i) => {
    it.rank = i + 1;
  });
  let out = q.overdue ? items.filter((i) => i.overdue) : items;
  if (q.limit) out = out.slice(0, q.limit);
  return out;
}
