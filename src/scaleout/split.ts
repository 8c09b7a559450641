/**
 * @module One flush's SourceResult → bounded messages. Hosts go in `hosts` messages, each with the
 * findings about its own hosts (the centre ties a finding to a device through the hosts of the same
 * apply); conversations go in their own `flows` messages, which are what a full spool drops first. Each
 * message stays under `maxBytes` of JSON unless one item alone is larger.
 */
import type {
  FindingObservation,
  FlowSummary,
  HostObservation,
  SourceResult,
} from '../discovery/host-observation.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

export type Part =
  | { kind: 'hosts'; hosts: HostObservation[]; findings: FindingObservation[] }
  | { kind: 'flows'; flows: FlowSummary[] };

const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8') + 1;

export function splitResult(result: SourceResult, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): Part[] {
  const budget = Math.max(1024, maxBytes - 1024);
  const parts: Part[] = [];
  // Findings follow their host: index them by every MAC and IP they name.
  const findingsOf = new Map<string, FindingObservation[]>();
  const unplaced = new Set(result.findings);
  for (const f of result.findings)
    for (const k of [f.host.mac, f.host.ip]) if (k) findingsOf.set(k, [...(findingsOf.get(k) ?? []), f]);
  let hosts: HostObservation[] = [];
  let findings: FindingObservation[] = [];
  let used = 0;
  const close = () => {
    if (hosts.length || findings.length) parts.push({ kind: 'hosts', hosts, findings });
    hosts = [];
    findings = [];
    used = 0;
  };
  for (const h of result.hosts) {
    const mine: FindingObservation[] = [];
    for (const k of [...h.macs, ...h.ips])
      for (const f of findingsOf.get(k) ?? []) if (unplaced.delete(f)) mine.push(f);
    const cost = size(h) + mine.reduce((n, f) => n + size(f), 0);
    if (used && used + cost > budget) close();
    hosts.push(h);
    findings.push(...mine);
    used += cost;
  }
  // Findings about a host not in this flush (kept for the next attempt by the analyzer) still go out.
  for (const f of unplaced) {
    const cost = size(f);
    if (used && used + cost > budget) close();
    findings.push(f);
    used += cost;
  }
  close();
  let flows: FlowSummary[] = [];
  used = 0;
  for (const f of result.flows ?? []) {
    const cost = size(f);
    if (used && used + cost > budget) {
      parts.push({ kind: 'flows', flows });
      flows = [];
      used = 0;
    }
    flows.push(f);
    used += cost;
  }
  if (flows.length) parts.push({ kind: 'flows', flows });
  return parts;
}
