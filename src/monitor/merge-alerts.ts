/**
 * @module What a device merge does to the record's alerts once the duplicate's have moved to it
 * (`moveDeviceAlerts`): they are put at the record's site, and open alerts the merge itself has made
 * moot are resolved: ones about the two records talking to each other (now the device's own traffic,
 * which the rules never judge again) and a `device-not-seen` the other record's sightings answer. Runs
 * inside the merge's transaction; every resolution is an `alert.state` event and audit entry, and is
 * published as `alert-state-changed` on the bus once the merge commits.
 */
import type { Actor } from '../accounts/actor.js';
import { type AlertRow, alertsOfDevice, resiteDeviceAlerts } from '../store/alert-store.js';
import { deviceIdsByIp, findBaseline, lastCommunicationOf } from '../store/communication-store.js';
import { getDevices } from '../store/device-store.js';
import type { DbHandle } from '../store/transaction.js';
import { resolveAlertsFor } from './alerts-service.js';
import type { EventBus } from './event-bus.js';
import { DEVICE_NOT_SEEN_DEFAULT_HOURS, DEVICE_NOT_SEEN_RULE } from './rules/device-not-seen.js';
import { DICOM_UNKNOWN_AE_RULE } from './rules/dicom-unknown-ae.js';
import { HL7_UNKNOWN_RECEIVER_RULE } from './rules/hl7-unknown-receiver.js';
import { LATERAL_MEDICAL_RULE } from './rules/lateral-medical.js';
import { NEW_PEER_RULE } from './rules/new-peer.js';
import { VOLUME_ANOMALY_RULE } from './rules/volume-anomaly.js';

export interface MergeAlertCounts {
  /** Alerts of the record (its own and the moved ones) put at its site. */
  alertsResited: number;
  /** Open alerts about the two records talking to each other, resolved. */
  ownTrafficAlertsResolved: number;
  /** An open `device-not-seen` alert the merged record's sightings answer, resolved. */
  notSeenAlertsResolved: number;
}

/**
 * Rules about a device and a peer whose alert a merge can make the device's own traffic. They skip own
 * traffic (flow-rule-context.ts `ownTraffic`), so such an alert can never recur. `internet-connection`
 * is not among them (a wrongly attributed public address must not silence it), nor an AE title a person
 * denied (dicom-unknown-ae raises that on own associations too).
 */
const PEER_RULES = new Set([
  NEW_PEER_RULE,
  LATERAL_MEDICAL_RULE,
  HL7_UNKNOWN_RECEIVER_RULE,
  VOLUME_ANOMALY_RULE,
  DICOM_UNKNOWN_AE_RULE,
]);

export async function settleMergedAlerts(
  tx: DbHandle,
  actor: Actor,
  merge: { source: string; into: string },
  now: string,
  /** Where the resolutions are published after the commit (the process's bus unless given). */
  bus?: EventBus,
): Promise<MergeAlertCounts> {
  const devices = new Map((await getDevices(tx, [merge.into, merge.source])).map((d) => [d.id, d]));
  const record = devices.get(merge.into);
  const duplicate = devices.get(merge.source);
  // The duplicate's alerts kept its site; site-limited readers at the record's site would not see them.
  const alertsResited = await resiteDeviceAlerts(tx, merge.into, record?.siteId ?? null);
  const open = (await alertsOfDevice(tx, merge.into)).filter(
    (a) => a.state === 'new' || a.state === 'acknowledged',
  );
  const context = { merge };

  const own = await ownTrafficAlerts(tx, open, merge);
  const ownTrafficAlertsResolved = (
    await resolveAlertsFor(
      tx,
      actor,
      own,
      `device merge: ${merge.source} was merged into ${merge.into}, so this is the device's own traffic`,
      now,
      context,
      bus,
    )
  ).length;

  // Seen as availability.ts judges it: the device's, its communications' and its baseline's latest.
  const baseline = await findBaseline(tx, merge.into);
  const seen = [
    record?.lastSeen,
    duplicate?.lastSeen,
    (await lastCommunicationOf(tx, [merge.into])).get(merge.into),
    baseline?.last_seen,
  ]
    .filter((t): t is string => Boolean(t))
    .sort()
    .at(-1);
  const answered = seen ? open.filter((a) => a.rule === DEVICE_NOT_SEEN_RULE && seenInTime(a, seen)) : [];
  const notSeenAlertsResolved = (
    await resolveAlertsFor(
      tx,
      actor,
      answered,
      `device merge: with ${merge.source} merged into ${merge.into}, the device was seen ${seen}`,
      now,
      context,
      bus,
    )
  ).length;
  return { alertsResited, ownTrafficAlertsResolved, notSeenAlertsResolved };
}

/**
 * The availability check that last raised the alert (its `lastSeen`) would not have raised it had it
 * known the merged record's latest sighting: that is within the alert's threshold of the check, or later.
 */
function seenInTime(a: AlertRow, seen: string): boolean {
  const details = JSON.parse(a.details) as { thresholdHours?: unknown };
  const hours =
    typeof details.thresholdHours === 'number' ? details.thresholdHours : DEVICE_NOT_SEEN_DEFAULT_HOURS;
  return Date.parse(seen) >= Date.parse(a.last_seen) - hours * 3_600_000;
}

/**
 * Open peer alerts whose other end is one of the two records. What the rule recorded decides: a device id
 * (`lateral-medical`'s two ends, an unclassified peer's role `device:<id>`, an HL7 receiver
 * `device:<id>`) when it has one; otherwise the peer's address, if it now names the record and no other
 * device (an address two devices claim names neither, as for stored communications).
 */
async function ownTrafficAlerts(
  tx: DbHandle,
  open: readonly AlertRow[],
  merge: { source: string; into: string },
): Promise<AlertRow[]> {
  const pair = new Set([merge.source, merge.into]);
  const ends = open
    .filter((a) => PEER_RULES.has(a.rule))
    .map((a) => ({ alert: a, ...peerOf(a) }))
    .filter((e) => !e.skip);
  const byIp = await deviceIdsByIp(
    tx,
    ends.flatMap((e) => (e.peerIds.length === 0 && e.peerIp ? [e.peerIp] : [])),
  );
  return ends
    .filter((e) =>
      e.peerIds.length
        ? e.peerIds.every((id) => pair.has(id))
        : e.peerIp !== undefined && byIp.get(e.peerIp)?.deviceId === merge.into,
    )
    .map((e) => e.alert);
}

function peerOf(a: AlertRow): { peerIds: string[]; peerIp?: string; skip?: boolean } {
  const d = JSON.parse(a.details) as Record<string, unknown>;
  const text = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
  const deviceIn = (v: string | undefined) =>
    v?.startsWith('device:') ? v.slice('device:'.length) : undefined;
  switch (a.rule) {
    case LATERAL_MEDICAL_RULE: {
      const ids = [text('clientDevice'), text('serverDevice')];
      return ids.every(Boolean) ? { peerIds: ids as string[] } : { peerIds: [], skip: true };
    }
    case HL7_UNKNOWN_RECEIVER_RULE: {
      const receiver = text('receiver');
      const id = deviceIn(receiver);
      if (id) return { peerIds: [id] };
      const ip = receiver?.startsWith('ip:') ? receiver.slice('ip:'.length) : undefined;
      return ip ? { peerIds: [], peerIp: ip } : { peerIds: [], skip: true };
    }
    case DICOM_UNKNOWN_AE_RULE:
      // A title a person denied is raised on the device's own associations too: it can recur.
      if (text('verdict') === 'denied') return { peerIds: [], skip: true };
      return peerByRoleOrIp(text('peerRole'), text('peer'));
    default:
      return peerByRoleOrIp(text('peerRole'), text('peer'));
  }

  function peerByRoleOrIp(role: string | undefined, ip: string | undefined) {
    const id = deviceIn(role?.replace(/^(in|out):/, ''));
    if (id) return { peerIds: [id] };
    return ip ? { peerIds: [], peerIp: ip } : { peerIds: [], skip: true };
  }
}
