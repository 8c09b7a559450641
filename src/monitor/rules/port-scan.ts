/**
 * @module Rule `port-scan`: one source touching many ports of one host (a scan) or one port on many hosts
 * (a sweep) within a short window, answered or not. Needs no baseline. Thresholds (`PORT_SCAN_DEFAULTS`):
 * at least 10 distinct ports of one host, or 10 distinct hosts on one port, whose first contact lies
 * within 60 seconds. The time of a port is the first connection to it in the run's folded flows.
 */
import { type FlowSummary, isFtpData } from '../../discovery/host-observation.js';
import type { AlertCandidate } from '../alert-candidate.js';
import type { DetectionRule, SourceRun } from './detection-rule.js';
import { describeEnd, deviceAt, type FlowRuleContext, flowEvidence, service } from './flow-rule-context.js';

export const PORT_SCAN_RULE = 'port-scan';

export interface PortScanThresholds {
  /** Distinct ports of one host (vertical scan). */
  ports: number;
  /** Distinct hosts on one port (horizontal sweep). */
  hosts: number;
  windowSeconds: number;
}

export const PORT_SCAN_DEFAULTS: PortScanThresholds = { ports: 10, hosts: 10, windowSeconds: 60 };

/** The largest set of flows (distinct by `key`) whose first contact fits in the window, oldest first. */
function densest(flows: FlowSummary[], key: (f: FlowSummary) => string, windowMs: number): FlowSummary[] {
  const firsts = new Map<string, FlowSummary>();
  for (const f of flows) {
    const k = key(f);
    const prev = firsts.get(k);
    if (!prev || f.firstSeen < prev.firstSeen) firsts.set(k, f);
  }
  const sorted = [...firsts.values()].sort((a, b) => a.firstSeen.localeCompare(b.firstSeen));
  let best: FlowSummary[] = [];
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    const t = Date.parse(sorted[hi]!.firstSeen);
    while (t - Date.parse(sorted[lo]!.firstSeen) > windowMs) lo++;
    if (hi - lo + 1 > best.length) best = sorted.slice(lo, hi + 1);
  }
  return best;
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}

export function portScans(
  ctx: FlowRuleContext,
  run: Pick<SourceRun, 'result'>,
  t: PortScanThresholds = PORT_SCAN_DEFAULTS,
): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  const windowMs = t.windowSeconds * 1000;
  const flows = (run.result.flows ?? []).filter((f) => f.transport !== 'icmp' && !isFtpData(f));
  for (const [client, own] of groupBy(flows, (f) => f.client)) {
    const scanner = deviceAt(ctx, client);
    for (const [server, toHost] of groupBy(own, (f) => f.server)) {
      const hit = densest(toHost, service, windowMs);
      if (hit.length < t.ports) continue;
      const answered = hit.filter((f) => f.established !== false).length;
      out.push({
        rule: PORT_SCAN_RULE,
        severity: 'high',
        title: `Port scan: ${describeEnd(scanner, client)} probed ${hit.length} ports of ${describeEnd(deviceAt(ctx, server), server)} within ${t.windowSeconds} s`,
        deviceId: scanner?.id ?? deviceAt(ctx, server)?.id ?? null,
        siteId: scanner?.siteId ?? deviceAt(ctx, server)?.siteId ?? null,
        subject: `scan:${client}→${server}`,
        evidence: [
          flowEvidence(hit[0]!, `first probe of the scan`),
          flowEvidence(hit.at(-1)!, `${hit.length}th port probed`),
        ],
        details: {
          kind: 'scan',
          scanner: client,
          target: server,
          ports: hit.length,
          answered,
          sample: hit.slice(0, 20).map(service),
          threshold: t.ports,
          windowSeconds: t.windowSeconds,
        },
      });
    }
    for (const [svc, onPort] of groupBy(own, service)) {
      const hit = densest(onPort, (f) => f.server, windowMs);
      if (hit.length < t.hosts) continue;
      out.push({
        rule: PORT_SCAN_RULE,
        severity: 'high',
        title: `Sweep: ${describeEnd(scanner, client)} probed ${svc} on ${hit.length} hosts within ${t.windowSeconds} s`,
        deviceId: scanner?.id ?? null,
        siteId: scanner?.siteId ?? null,
        subject: `sweep:${client}:${svc}`,
        evidence: [
          flowEvidence(hit[0]!, 'first host of the sweep'),
          flowEvidence(hit.at(-1)!, `${hit.length}th host`),
        ],
        details: {
          kind: 'sweep',
          scanner: client,
          service: svc,
          hosts: hit.length,
          sample: hit.slice(0, 20).map((f) => f.server),
          threshold: t.hosts,
          windowSeconds: t.windowSeconds,
        },
      });
    }
  }
  return out;
}

export function portScanRule(
  ctx: FlowRuleContext,
  t: PortScanThresholds = PORT_SCAN_DEFAULTS,
): DetectionRule {
  return {
    id: PORT_SCAN_RULE,
    description: `One source probing ≥${t.ports} ports of a host or one port on ≥${t.hosts} hosts within ${t.windowSeconds} s`,
    evaluate: (run) => portScans(ctx, run, t),
  };
}
