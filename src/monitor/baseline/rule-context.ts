/**
 * @module Loads what the flow rules need beyond a source run (`FlowRuleContext`): the devices at both ends
 * of its flows, their own and their models' baselines (with entries), and the services each model
 * declares. The rules themselves stay pure.
 */
import type { SourceRun } from '../../monitor/rules/detection-rule.js';
import {
  type BaselineEntryRow,
  type BaselineRow,
  baselinesBySubjects,
  declaredServicesOf,
  deviceIdsByIp,
  entriesOf,
} from '../../store/communication-store.js';
import { getDevices } from '../../store/device-store.js';
import type { DbHandle } from '../../store/transaction.js';
import type { BaselineFacts, FlowRuleContext } from '../rules/flow-rule-context.js';
import type { DeviceFacts } from './peer-role.js';
import { deviceFacts } from './peers.js';

export function baselineFacts(row: BaselineRow, entries: readonly BaselineEntryRow[]): BaselineFacts {
  const allow = new Set<string>();
  const deny = new Set<string>();
  let volumeHigh: number | null = null;
  const volumeOut = new Map<string, number>();
  for (const e of entries) {
    (e.effect === 'deny' ? deny : allow).add(`${e.kind}|${e.value}`);
    if (e.kind !== 'volume') continue;
    const d = JSON.parse(e.details) as { high?: number; outPerDay?: Record<string, unknown> };
    volumeHigh = Number(d.high ?? null);
    for (const [k, v] of Object.entries(d.outPerDay ?? {}))
      if (typeof v === 'number' && Number.isFinite(v)) volumeOut.set(k, v);
  }
  return {
    id: row.id,
    scope: row.scope as BaselineFacts['scope'],
    state: row.state as BaselineFacts['state'],
    allow,
    deny,
    volumeHigh,
    volumeOut,
    lastSeen: row.last_seen,
  };
}

function declaredOf(json: string): Set<string> {
  const out = new Set<string>();
  try {
    const list = JSON.parse(json) as { port?: unknown; protocol?: unknown; transport?: unknown }[];
    for (const o of Array.isArray(list) ? list : []) {
      const port = Number(o.port);
      if (!Number.isInteger(port)) continue;
      const p = String(o.transport ?? o.protocol ?? 'tcp').toLowerCase();
      out.add(`${port}/${p === 'udp' ? 'udp' : 'tcp'}`);
    }
  } catch {
    // A malformed declaration declares nothing; the inventory reports it elsewhere.
  }
  return out;
}

export async function loadFlowRuleContext(
  h: DbHandle,
  run: Pick<SourceRun, 'result' | 'devices'>,
): Promise<FlowRuleContext> {
  const flows = run.result.flows ?? [];
  const ips = [...new Set(flows.flatMap((f) => [f.client, f.server]))];
  const deviceByIp = new Map<string, string>();
  const missing: string[] = [];
  for (const ip of ips) {
    const d = run.devices.get(ip);
    if (d) deviceByIp.set(ip, d.id);
    else missing.push(ip);
  }
  for (const [ip, d] of await deviceIdsByIp(h, missing)) deviceByIp.set(ip, d.deviceId);
  const devices = new Map<string, DeviceFacts>(
    (await getDevices(h, [...new Set(deviceByIp.values())])).map((d) => [d.id, deviceFacts(d)]),
  );
  const modelIds = [
    ...new Set([...devices.values()].map((d) => d.modelId).filter((m): m is string => m !== null)),
  ];
  const rows = await baselinesBySubjects(h, [...devices.keys(), ...modelIds]);
  const entries = await entriesOf(
    h,
    rows.map((r) => r.id),
  );
  const deviceBaselines = new Map<string, BaselineFacts>();
  const modelBaselines = new Map<string, BaselineFacts>();
  for (const r of rows) {
    const facts = baselineFacts(r, entries.get(r.id) ?? []);
    if (r.scope === 'device') deviceBaselines.set(r.subject_key, facts);
    else modelBaselines.set(r.subject_key, facts);
  }
  const declaredServices = new Map<string, ReadonlySet<string>>();
  for (const m of await declaredServicesOf(h, modelIds))
    declaredServices.set(m.id, declaredOf(m.default_services));
  return { devices, deviceByIp, deviceBaselines, modelBaselines, declaredServices };
}
