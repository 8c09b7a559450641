/**
 * @module Rule `volume-anomaly`: a device with an active baseline moved far more in conversations it opened
 * to one peer and service than its baseline holds for that peer role and service: more than
 * max(factor × the learned bytes per day, a floor) within one source run (a capture, a log batch, a sensor
 * slice). A peer role or service with no learned volume, or the internet, has a lower floor: a PACS or a
 * modality sending a study's worth of data to a new or internet peer is the exfiltration hospitals fear,
 * and is critical. The figures are the evidence. Pure.
 */
import type { FlowSummary } from '../../discovery/host-observation.js';
import type { AlertCandidate, AlertSeverity } from '../alert-candidate.js';
import { volumeKey } from '../baseline/learn.js';
import { type DeviceFacts, peerRole } from '../baseline/peer-role.js';
import type { DetectionRule, SourceRun } from './detection-rule.js';
import {
  type BaselineFacts,
  describeEnd,
  deviceAt,
  type FlowRuleContext,
  flowEvidence,
  volumeService,
} from './flow-rule-context.js';

export const VOLUME_ANOMALY_RULE = 'volume-anomaly';

export interface VolumeThresholds {
  /** How many times the learned daily volume a run may carry before it is anomalous. */
  factor: number;
  /** Never alert below this many bytes to a peer role and service the baseline knows. */
  floorBytes: number;
  /** The floor for a peer role or service with no learned volume, and for internet peers. */
  newPeerFloorBytes: number;
}

export const VOLUME_DEFAULTS: VolumeThresholds = {
  factor: 10,
  floorBytes: 100_000_000,
  newPeerFloorBytes: 10_000_000,
};

/** Devices whose data are studies of patients: their outbound bulk is what exfiltration looks like. */
const holdsImages = (d: DeviceFacts) => d.deviceClass === 'pacs' || d.deviceClass.startsWith('imaging-');

interface Group {
  client: DeviceFacts;
  clientIp: string;
  serverIp: string;
  server: DeviceFacts | undefined;
  role: string;
  flows: FlowSummary[];
  bytes: number;
  packets: number;
  connections: number;
}

const MB = 1_000_000;
const size = (b: number) => (b >= MB ? `${(b / MB).toFixed(1)} MB` : `${b} bytes`);

function activeBaselines(ctx: FlowRuleContext, d: DeviceFacts): BaselineFacts[] {
  const own = ctx.deviceBaselines.get(d.id);
  const model = d.modelId ? ctx.modelBaselines.get(d.modelId) : undefined;
  return [own, model].filter((b): b is BaselineFacts => b?.state === 'active');
}

export function volumeAnomalies(
  ctx: FlowRuleContext,
  run: Pick<SourceRun, 'result'>,
  t: VolumeThresholds = VOLUME_DEFAULTS,
): AlertCandidate[] {
  // One sum per client device, peer address and service over the run: many small transfers add up.
  const groups = new Map<string, Group>();
  for (const f of run.result.flows ?? []) {
    const client = deviceAt(ctx, f.client);
    if (!client) continue;
    const server = deviceAt(ctx, f.server);
    if (server?.id === client.id) continue;
    const key = `${client.id}|${f.server}|${volumeService(f)}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        client,
        clientIp: f.client,
        serverIp: f.server,
        server,
        role: peerRole(server, f.server),
        flows: [],
        bytes: 0,
        packets: 0,
        connections: 0,
      };
      groups.set(key, g);
    }
    g.flows.push(f);
    g.bytes += f.bytes;
    g.packets += f.packets;
    g.connections += f.connections;
  }

  const out: AlertCandidate[] = [];
  for (const g of groups.values()) {
    const baselines = activeBaselines(ctx, g.client);
    if (!baselines.length) continue;
    const svc = volumeService(g.flows[0]!);
    const learned = Math.max(0, ...baselines.map((b) => b.volumeOut?.get(volumeKey(g.role, svc)) ?? 0));
    const internet = g.role === 'internet';
    const newPeer = learned === 0;
    const floor = newPeer || internet ? t.newPeerFloorBytes : t.floorBytes;
    const threshold = Math.max(t.factor * learned, floor);
    if (g.bytes <= threshold) continue;
    const images = holdsImages(g.client);
    const severity: AlertSeverity = internet && images ? 'critical' : internet || images ? 'high' : 'medium';
    const times = g.flows.flatMap((f) => [f.firstSeen, f.lastSeen]).sort();
    const figures = newPeer
      ? `${size(g.bytes)} where the baseline has no volume to this peer and service (threshold ${size(threshold)})`
      : `${size(g.bytes)}, ${(g.bytes / learned).toFixed(1)}× its baseline of ${size(learned)} per day (threshold ${size(threshold)})`;
    out.push({
      rule: VOLUME_ANOMALY_RULE,
      severity,
      title: `${describeEnd(g.client, g.clientIp)} sent ${size(g.bytes)} to ${describeEnd(g.server, g.serverIp)} on ${svc}, far above its baseline`,
      deviceId: g.client.id,
      siteId: g.client.siteId,
      subject: `${g.clientIp}→${g.serverIp}:${svc}`,
      evidence: g.flows.slice(0, 5).map((f) => flowEvidence(f, figures)),
      details: {
        peer: g.serverIp,
        peerRole: g.role,
        port: g.flows[0]!.port,
        transport: g.flows[0]!.transport,
        protocol: g.flows[0]!.protocol ?? 'unknown',
        bytes: g.bytes,
        packets: g.packets,
        connections: g.connections,
        baselineBytesPerDay: learned,
        thresholdBytes: threshold,
        factor: t.factor,
        newPeer,
        windowStart: times[0]!,
        windowEnd: times.at(-1)!,
      },
    });
  }
  return out;
}

export function volumeAnomalyRule(
  ctx: FlowRuleContext,
  t: VolumeThresholds = VOLUME_DEFAULTS,
): DetectionRule {
  return {
    id: VOLUME_ANOMALY_RULE,
    description:
      'A device sent far more to a peer and service than its baseline holds (exfiltration from a PACS or modality)',
    evaluate: (run) => volumeAnomalies(ctx, run, t),
  };
}
