/**
 * @module What the flow rules (new-peer, internet-connection, lateral-medical, new-listening-service,
 * dicom-unknown-ae, hl7-unknown-receiver, port-scan) know beyond the source run: inventory facts and the
 * active communication baselines, as plain data (loaded by `monitor/baseline/rule-context.ts`), and the
 * helpers they share. Pure.
 */
import { type FlowSummary, isFtpData } from '../../discovery/host-observation.js';
import type { AlertEvidence } from '../alert-candidate.js';
import { FTP_DATA_SERVICE } from '../baseline/learn.js';
import type { DeviceFacts } from '../baseline/peer-role.js';

export interface BaselineFacts {
  id: string;
  scope: 'device' | 'model';
  state: 'learning' | 'active';
  /** `kind|value` of entries that are allowed (learned or added by hand) … */
  allow: ReadonlySet<string>;
  /** … and of entries denied by hand (deny wins over allow). */
  deny: ReadonlySet<string>;
  /** Upper bound of the learned daily volume, bytes. */
  volumeHigh: number | null;
  /** Learned bytes per day the subject sent in conversations it opened, by `<peer role>|<port>/<transport>`. */
  volumeOut?: ReadonlyMap<string, number>;
  /** Latest communication of the subject when the baseline was learned or last refreshed. */
  lastSeen: string | null;
}

export interface FlowRuleContext {
  /** Devices by id: both ends of the run's flows, when the inventory knows them. */
  devices: ReadonlyMap<string, DeviceFacts>;
  /** Address → device id (the run's own hosts first, then stored identifiers). */
  deviceByIp: ReadonlyMap<string, string>;
  deviceBaselines: ReadonlyMap<string, BaselineFacts>;
  modelBaselines: ReadonlyMap<string, BaselineFacts>;
  /** Model id → `port/transport` the manufacturer declares (device_models.default_services). */
  declaredServices: ReadonlyMap<string, ReadonlySet<string>>;
}

export const emptyFlowRuleContext = (): FlowRuleContext => ({
  devices: new Map(),
  deviceByIp: new Map(),
  deviceBaselines: new Map(),
  modelBaselines: new Map(),
  declaredServices: new Map(),
});

export type Verdict = 'no-baseline' | 'allowed' | 'denied' | 'unknown';

/**
 * What the device's active baselines (its own and its model's) say about one entry: `denied` when either
 * denies it, `allowed` when either has it, `unknown` when neither does, `no-baseline` when neither is
 * active (learning baselines raise nothing).
 */
export function verdict(ctx: FlowRuleContext, device: DeviceFacts, kind: string, value: string): Verdict {
  const own = ctx.deviceBaselines.get(device.id);
  const model = device.modelId ? ctx.modelBaselines.get(device.modelId) : undefined;
  const active = [own, model].filter((b): b is BaselineFacts => b?.state === 'active');
  if (active.length === 0) return 'no-baseline';
  const key = `${kind}|${value}`;
  if (active.some((b) => b.deny.has(key))) return 'denied';
  if (active.some((b) => b.allow.has(key))) return 'allowed';
  return 'unknown';
}

export function deviceAt(ctx: FlowRuleContext, ip: string): DeviceFacts | undefined {
  const id = ctx.deviceByIp.get(ip);
  return id ? ctx.devices.get(id) : undefined;
}

export const service = (f: Pick<FlowSummary, 'port' | 'transport'>) =>
  f.transport === 'icmp' ? '0/icmp' : `${f.port}/${f.transport}`;

/** The service a flow's volume is counted under: FTP data connections all under `ftp-data/tcp`. */
export const volumeService = (f: Pick<FlowSummary, 'port' | 'transport' | 'protocol'>): string =>
  isFtpData(f) ? FTP_DATA_SERVICE : service(f);

export const flowSubject = (f: FlowSummary) => `${f.client}→${f.server}:${service(f)}`;

export function flowEvidence(f: FlowSummary, summary: string): AlertEvidence {
  return {
    time: f.evidence.time ?? f.firstSeen,
    connection: f.evidence.connection ?? `${f.client} → ${f.server}:${service(f)}`,
    file: f.evidence.file,
    ...(f.evidence.packet !== undefined ? { packet: f.evidence.packet } : {}),
    summary: `${summary} (${f.evidence.summary})`,
  };
}

/** The device on a flow end, as the rule reports it ("the CT", "10.0.0.5"). */
export function describeEnd(d: DeviceFacts | undefined, ip: string): string {
  if (!d) return ip;
  // Class "unknown" says nothing (as in the device label): "unknown (10.20.0.99)" reads as an unknown host.
  const what =
    [d.manufacturer, d.model].filter(Boolean).join(' ') || (d.deviceClass !== 'unknown' ? d.deviceClass : '');
  const name = [what, d.assetTag].filter(Boolean).join(' ');
  return name ? `${name} (${ip})` : ip;
}

/**
 * Both ends are one device (two of its addresses, often after a merge found a duplicate): it is not its
 * own peer or HL7 receiver. Learning skips such traffic, so a rule judging it against a baseline would
 * fire on every run however often the baseline is learned again. Rules about the device itself (a
 * service it answered on, an AE title it used) still raise what a person denied on it.
 */
export const ownTraffic = (a: DeviceFacts | undefined, b: DeviceFacts | undefined) =>
  a !== undefined && a.id === b?.id;

/** TCP attempts nobody answered tell of intent, not of a conversation; peer rules skip them. */
export const conversed = (f: FlowSummary) => f.transport !== 'tcp' || f.established !== false;
