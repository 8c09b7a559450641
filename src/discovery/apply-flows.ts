/**
 * @module Stores a source run's conversations (`SourceResult.flows`) as communications, inside the
 * transaction that applies the run, with both ends resolved to devices by their addresses at that moment.
 *
 * Counts are additive across source runs (a live sensor reports each stretch of traffic once). A source
 * file is applied once: its sha256 is recorded, and re-importing the same bytes adds nothing, so counts
 * never double. Input without a hash (standard input) cannot be recognised and always adds.
 */
import {
  type CommunicationRow,
  communicationSourceApplied,
  deviceIdsByIp,
  insertCommunicationSource,
  upsertCommunications,
} from '../store/communication-store.js';
import { newId, nowIso } from '../store/ids.js';
import type { DbHandle } from '../store/transaction.js';
import { type FlowSummary, storedEvidence } from './host-observation.js';

export interface ApplyFlowsOptions {
  /** Base name of the source, for the record. */
  file: string;
  /** The source file's sha256 (hex), when known: the key that makes re-imports idempotent. */
  sha256?: string | null | undefined;
  /** Devices this run resolved its hosts to (any MAC or IP → device id); wins over the address lookup. */
  deviceOf?: ReadonlyMap<string, string>;
}

export interface ApplyFlowsReport {
  /** Conversations in the source. */
  flows: number;
  /** Communication rows inserted or added to. */
  stored: number;
  /** The same file (by sha256) was applied before: nothing added. */
  alreadyApplied: boolean;
}

const keyOf = (f: FlowSummary) => `${f.client}|${f.server}|${f.port}|${f.transport}|${f.protocol ?? ''}`;

export async function applyFlows(
  tx: DbHandle,
  flows: readonly FlowSummary[] | undefined,
  opts: ApplyFlowsOptions,
): Promise<ApplyFlowsReport> {
  const report: ApplyFlowsReport = { flows: flows?.length ?? 0, stored: 0, alreadyApplied: false };
  if (!flows || flows.length === 0) return report;
  const sourceKey = opts.sha256 ? `sha256:${opts.sha256}` : null;
  if (sourceKey && (await communicationSourceApplied(tx, sourceKey))) {
    report.alreadyApplied = true;
    return report;
  }
  const byIp = await deviceIdsByIp(
    tx,
    flows.flatMap((f) => [f.client, f.server]),
  );
  const deviceOf = (ip: string) => opts.deviceOf?.get(ip) ?? byIp.get(ip)?.deviceId ?? null;
  const rows = new Map<string, CommunicationRow>();
  for (const f of flows) {
    const key = keyOf(f);
    const prev = rows.get(key);
    if (prev) {
      prev.connections += f.connections;
      prev.packets += f.packets;
      prev.bytes += f.bytes;
      if (f.firstSeen < prev.first_seen) prev.first_seen = f.firstSeen;
      if (f.lastSeen > prev.last_seen) prev.last_seen = f.lastSeen;
      if (f.established) prev.established = 1;
      continue;
    }
    rows.set(key, {
      id: newId(),
      site_id: byIp.get(f.client)?.siteId ?? byIp.get(f.server)?.siteId ?? null,
      client_ip: f.client,
      server_ip: f.server,
      client_device_id: deviceOf(f.client),
      server_device_id: deviceOf(f.server),
      port: f.port,
      transport: f.transport,
      protocol: f.protocol,
      protocol_key: f.protocol ?? '',
      connections: f.connections,
      packets: f.packets,
      bytes: f.bytes,
      established: f.established === undefined ? null : f.established ? 1 : 0,
      evidence: storedEvidence(f.evidence),
      first_seen: f.firstSeen,
      last_seen: f.lastSeen,
    });
  }
  await upsertCommunications(tx, [...rows.values()]);
  report.stored = rows.size;
  if (sourceKey) {
    await insertCommunicationSource(tx, {
      source_key: sourceKey,
      file: opts.file,
      flows: flows.length,
      applied_at: nowIso(),
    });
  }
  return report;
}
