/**
 * @module One flush's SourceResult → bounded messages. Hosts go in `hosts` messages, each with the
 * findings about its own hosts (the centre ties a finding to a device through the hosts of the same
 * apply); conversations go in their own `flows` messages, which are what a full spool drops first. Each
 * message stays under `maxBytes` of JSON unless one item alone is larger, and always within the
 * schema's list caps (OBSERVATION_LIMITS: 10,000 hosts, 100,000 findings or conversations per message):
 * a flush larger than that goes as more messages instead of being refused. A host whose own lists exceed
 * the caps (a router seen with thousands of addresses) goes as several host observations with the same
 * MACs, which the centre merges into one device.
 */
import type {
  FindingObservation,
  FlowSummary,
  HostObservation,
  SourceResult,
} from '../discovery/host-observation.js';
import { OBSERVATION_LIMITS } from './observation-schema.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

export type Part =
  | { kind: 'hosts'; hosts: HostObservation[]; findings: FindingObservation[] }
  | { kind: 'flows'; flows: FlowSummary[] };

const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8') + 1;

const HOST_LISTS = ['macs', 'ips', 'hostnames', 'services', 'protocols', 'hints'] as const;

/** Caps per message and per host (OBSERVATION_LIMITS by default). */
export interface SplitLimits {
  hostsPerMessage: number;
  findingsPerMessage: number;
  flowsPerMessage: number;
  host: Record<(typeof HOST_LISTS)[number], number>;
}

/** A host within the per-host caps as is; otherwise pieces, each within them, sharing its MACs. */
export function splitHost(
  h: HostObservation,
  caps: SplitLimits['host'] = OBSERVATION_LIMITS.host,
): HostObservation[] {
  const pieces = Math.max(...HOST_LISTS.map((k) => Math.ceil(h[k].length / caps[k])));
  if (pieces <= 1) return [h];
  // The MACs identify the device: every piece carries them (when they fit), so each lands on it.
  const macsFit = h.macs.length <= caps.macs;
  return Array.from({ length: pieces }, (_, i) => {
    const slice = <K extends (typeof HOST_LISTS)[number]>(k: K) =>
      h[k].slice(i * caps[k], (i + 1) * caps[k]) as HostObservation[K];
    return {
      ...h,
      macs: macsFit ? h.macs : slice('macs'),
      ips: slice('ips'),
      hostnames: slice('hostnames'),
      services: slice('services'),
      protocols: slice('protocols'),
      hints: slice('hints'),
      // Identity and protocol details once (the first piece); the others only add addresses and lists.
      ...(i === 0 ? {} : { identity: {}, dicom: undefined, hl7: undefined }),
    };
  }).map((p) => {
    const out = { ...p };
    if (out.dicom === undefined) delete out.dicom;
    if (out.hl7 === undefined) delete out.hl7;
    return out;
  });
}

export function splitResult(
  result: SourceResult,
  maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
  limits: SplitLimits = OBSERVATION_LIMITS,
): Part[] {
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
  for (const h of result.hosts.flatMap((x) => splitHost(x, limits.host))) {
    const mine: FindingObservation[] = [];
    for (const k of [...h.macs, ...h.ips])
      for (const f of findingsOf.get(k) ?? []) if (unplaced.delete(f)) mine.push(f);
    const cost = size(h) + mine.reduce((n, f) => n + size(f), 0);
    if (
      (used && used + cost > budget) ||
      hosts.length + 1 > limits.hostsPerMessage ||
      findings.length + mine.length > limits.findingsPerMessage
    )
      close();
    hosts.push(h);
    // (A host with more findings than a message holds: the rest follow on their own.)
    const fit = mine.splice(0, limits.findingsPerMessage - findings.length);
    findings.push(...fit);
    for (const f of mine) unplaced.add(f);
    used += cost;
  }
  // Findings about a host not in this flush (kept for the next attempt by the analyzer) still go out.
  for (const f of unplaced) {
    const cost = size(f);
    if ((used && used + cost > budget) || findings.length + 1 > limits.findingsPerMessage) close();
    findings.push(f);
    used += cost;
  }
  close();
  let flows: FlowSummary[] = [];
  used = 0;
  for (const f of result.flows ?? []) {
    const cost = size(f);
    if ((used && used + cost > budget) || flows.length + 1 > limits.flowsPerMessage) {
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
