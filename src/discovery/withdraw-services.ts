/**
 * @module Withdraws, inside a source run's transaction, the services a live sensor's earlier slices stored
 * only from a client's half of the traffic (receiving-only.ts) and that the server has since refused: the
 * service row goes, and the `insecure-protocol` finding that stood only on it is resolved with the refusal
 * as its last evidence, so the device's port is no longer claimed open and the finding's history stays.
 * A service or finding that stands on more (a SYN-ACK, a server's answer, a scan) is left as it is. The
 * device's protocol row of that listener goes too when nothing else holds it up: no other service of that
 * protocol, no details learned (AE titles, HL7 applications), no stored conversation of the device as a
 * client of it, and not spoken by the device in this run's own slice (`spoken`).
 */

import { clientProtocols } from '../store/communication-store.js';
import { findDeviceIdsByRef } from '../store/device-store.js';
import {
  deleteProfileRows,
  findingsByKey,
  protocolsOf,
  servicesOf,
  updateFinding,
} from '../store/discovery-store.js';
import { nowIso } from '../store/ids.js';
import type { DbHandle } from '../store/transaction.js';
import { findingKey } from './finding-severity.js';
import { storedEvidence, type WithdrawnService } from './host-observation.js';
import { isReceivingOnlyEvidence } from './receiving-only.js';

/** What was withdrawn, for the run's audit entry: device, port, protocol and the refusal's summary. */
export interface WithdrawnEntry {
  deviceId: string;
  port: number;
  transport: string;
  protocol: string;
  refusal: string;
  findingResolved: boolean;
  /** The device's protocol row went with it (nothing else held it up). */
  protocolWithdrawn?: boolean;
}

const receivingOnly = (json: string): boolean => {
  const e = JSON.parse(json) as { summary?: unknown };
  return typeof e.summary === 'string' && isReceivingOnlyEvidence({ summary: e.summary });
};

export async function withdrawServices(
  tx: DbHandle,
  withdrawn: readonly WithdrawnService[],
  deviceOf: ReadonlyMap<string, string>,
  spoken: ReadonlySet<string> = new Set(),
): Promise<WithdrawnEntry[]> {
  const out: WithdrawnEntry[] = [];
  // The address may name more devices than this run's (a device first known by its address alone, the
  // run's host by its MAC too): the claim went to whichever holds it, and only a receiving-only row goes.
  const wanted: { w: WithdrawnService; deviceId: string }[] = [];
  for (const w of withdrawn) {
    const ids = new Set(await findDeviceIdsByRef(tx, { ip: w.host.ip }));
    const own = deviceOf.get(w.host.ip);
    if (own) ids.add(own);
    for (const deviceId of ids) wanted.push({ w, deviceId });
  }
  if (wanted.length === 0) return out;
  const rows = await servicesOf(tx, [...new Set(wanted.map((x) => x.deviceId))]);
  const findings = await findingsByKey(
    tx,
    wanted.map(({ w, deviceId }) => findingKey('insecure-protocol', deviceId, `${w.protocol}:${w.port}`)),
  );
  const deviceIds = [...new Set(wanted.map((x) => x.deviceId))];
  const protocols = new Map(
    (await protocolsOf(tx, deviceIds)).map((p) => [`${p.device_id}|${p.protocol}`, p]),
  );
  const asClient = await clientProtocols(tx, deviceIds);
  const gone = new Set<string>();
  const now = nowIso();
  for (const { w, deviceId } of wanted) {
    const row = rows.find(
      (r) => r.device_id === deviceId && Number(r.port) === w.port && r.transport === w.transport,
    );
    // Stored since from something that saw the server itself (a scan, another capture): it stands.
    if (!row || !receivingOnly(row.evidence)) continue;
    await deleteProfileRows(tx, 'device_services', [row.id]);
    gone.add(row.id);
    const key = `${deviceId}|${w.protocol}`;
    const proto = protocols.get(key);
    const heldUp =
      spoken.has(key) ||
      asClient.has(key) ||
      (proto !== undefined && proto.details !== '{}') ||
      rows.some((r) => r.device_id === deviceId && r.protocol === w.protocol && !gone.has(r.id));
    if (proto && !heldUp) {
      await deleteProfileRows(tx, 'device_protocols', [proto.id]);
      protocols.delete(key);
    }
    const f = findings.get(findingKey('insecure-protocol', deviceId, `${w.protocol}:${w.port}`));
    const resolve =
      f !== undefined &&
      (f.state === 'open' || f.state === 'acknowledged') &&
      receivingOnly(f.evidence) &&
      receivingOnly(f.last_evidence);
    if (resolve)
      await updateFinding(tx, f.id, {
        state: 'resolved',
        last_evidence: storedEvidence(w.evidence),
        updated_at: now,
      });
    out.push({
      deviceId,
      port: w.port,
      transport: w.transport,
      protocol: w.protocol,
      refusal: w.evidence.summary,
      findingResolved: resolve,
      ...(proto && !heldUp ? { protocolWithdrawn: true } : {}),
    });
  }
  return out;
}
