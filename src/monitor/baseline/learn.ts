/**
 * @module Learning a communication baseline from stored communications, as pure data: per device, what it
 * talks to (peers by role and direction), the services it offers, the protocols it speaks, the DICOM AE
 * titles it associates with, the HL7 receivers it sends to, and its volume band; per model, the union of
 * its devices' baselines. No I/O: `baseline-service.ts` loads the facts and stores the result.
 */
import { isFtpData } from '../../discovery/host-observation.js';
import type { StoredCommunication } from '../../store/communication-store.js';
import { type DeviceFacts, peerRole } from './peer-role.js';

export const BASELINE_ENTRY_KINDS = [
  'peer',
  'service',
  'protocol',
  'dicom-ae',
  'hl7-receiver',
  'volume',
] as const;
export type BaselineEntryKind = (typeof BASELINE_ENTRY_KINDS)[number];

export interface LearnedEntry {
  kind: BaselineEntryKind;
  /**
   * peer: `out:<role>` (the device opened the connections) or `in:<role>`; service: `104/tcp`;
   * protocol: `dicom`; dicom-ae: an AE title; hl7-receiver: `device:<id>` or `ip:<address>`;
   * volume: `bytes-per-day`.
   */
  value: string;
  details: Record<string, unknown>;
}

export interface LearnedBaseline {
  scope: 'device' | 'model';
  /** The device id or model id. */
  subject: string;
  siteId: string | null;
  /** Latest communication of the device (or of any device of the model). */
  lastSeen: string | null;
  entries: LearnedEntry[];
}

export interface LearnInput {
  communications: readonly StoredCommunication[];
  devices: ReadonlyMap<string, DeviceFacts>;
  /** DICOM AE titles each device was seen using (its own calling/called titles). */
  aeTitles: ReadonlyMap<string, readonly string[]>;
  /** Window length in days: the volume band is bytes per day over it. */
  days: number;
}

/** How far above the learned daily volume traffic may go before it is out of band. */
export const VOLUME_HEADROOM = 3;

/** The service every FTP data connection is counted under, whatever its ephemeral port. */
export const FTP_DATA_SERVICE = 'ftp-data/tcp';

/** The key of a device's outbound volume to one peer role and service: `model:<id>|104/tcp`. */
export const volumeKey = (role: string, service: string) => `${role}|${service}`;

class Accumulator {
  readonly entries = new Map<string, LearnedEntry>();
  bytes = 0;
  /** Bytes of the conversations the device opened, per peer role and service (`volumeKey`). */
  readonly out = new Map<string, number>();
  lastSeen: string | null = null;

  add(kind: BaselineEntryKind, value: string, merge?: Record<string, string>): void {
    const key = `${kind}|${value}`;
    let e = this.entries.get(key);
    if (!e) {
      e = { kind, value, details: {} };
      this.entries.set(key, e);
    }
    for (const [k, v] of Object.entries(merge ?? {})) {
      const list = (e.details[k] as string[] | undefined) ?? [];
      if (!list.includes(v)) list.push(v);
      list.sort();
      e.details[k] = list;
    }
  }

  seen(t: string): void {
    if (this.lastSeen === null || t > this.lastSeen) this.lastSeen = t;
  }

  result(scope: 'device' | 'model', subject: string, siteId: string | null, days: number): LearnedBaseline {
    const perDay = Math.round(this.bytes / Math.max(1, days));
    const entries = [...this.entries.values()];
    // Communications are folded over the window, so a daily figure is the window's average per day.
    const outPerDay = Object.fromEntries(
      [...this.out.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, Math.round(v / Math.max(1, days))]),
    );
    entries.push({
      kind: 'volume',
      value: 'bytes-per-day',
      details: { perDay, high: Math.max(perDay * VOLUME_HEADROOM, 1_000_000), days, outPerDay },
    });
    entries.sort((a, b) => a.kind.localeCompare(b.kind) || a.value.localeCompare(b.value));
    return { scope, subject, siteId, lastSeen: this.lastSeen, entries };
  }
}

export function learnBaselines(input: LearnInput): LearnedBaseline[] {
  const perDevice = new Map<string, Accumulator>();
  const acc = (id: string) => {
    let a = perDevice.get(id);
    if (!a) {
      a = new Accumulator();
      perDevice.set(id, a);
    }
    return a;
  };
  for (const c of input.communications) {
    // Attempts the server only refused or left unanswered (a scanner's probes of closed ports) are not
    // how the device works: learning them would make the scanner a normal peer and a closed port a service.
    if (c.transport === 'tcp' && c.established === false) continue;
    // An FTP data connection's port changes with every transfer: its volume counts under `ftp-data/tcp`
    // (as volume-anomaly counts it), and it is no service of the server (the FTP session's 21/tcp is).
    const ftpData = isFtpData(c);
    const port = ftpData ? FTP_DATA_SERVICE : `${c.port}/${c.transport}`;
    const sides: [string | null, 'out' | 'in', string | null, string][] = [
      [c.clientDeviceId, 'out', c.serverDeviceId, c.serverIp],
      [c.serverDeviceId, 'in', c.clientDeviceId, c.clientIp],
    ];
    for (const [self, dir, peerId, peerIp] of sides) {
      if (!self || self === peerId) continue;
      const a = acc(self);
      const peer = peerId ? input.devices.get(peerId) : undefined;
      a.add('peer', `${dir}:${peerRole(peer, peerIp)}`, {
        ports: port,
        ...(c.protocol ? { protocols: c.protocol } : {}),
      });
      if (dir === 'in' && !ftpData) a.add('service', port, c.protocol ? { protocols: c.protocol } : {});
      if (c.protocol) a.add('protocol', c.protocol);
      if (c.protocol === 'dicom') {
        for (const ae of input.aeTitles.get(self) ?? []) a.add('dicom-ae', ae);
        for (const ae of (peerId && input.aeTitles.get(peerId)) || []) a.add('dicom-ae', ae);
      }
      if (c.protocol === 'hl7' && dir === 'out')
        a.add('hl7-receiver', peerId ? `device:${peerId}` : `ip:${peerIp}`);
      a.bytes += c.bytes;
      if (dir === 'out') {
        const k = volumeKey(peerRole(peer, peerIp), port);
        a.out.set(k, (a.out.get(k) ?? 0) + c.bytes);
      }
      a.seen(c.lastSeen);
    }
  }
  const out: LearnedBaseline[] = [];
  const perModel = new Map<string, { a: Accumulator; siteIds: Set<string | null> }>();
  for (const [id, a] of [...perDevice].sort(([x], [y]) => x.localeCompare(y))) {
    const d = input.devices.get(id);
    out.push(a.result('device', id, d?.siteId ?? null, input.days));
    if (!d?.modelId) continue;
    let m = perModel.get(d.modelId);
    if (!m) {
      m = { a: new Accumulator(), siteIds: new Set() };
      perModel.set(d.modelId, m);
    }
    m.siteIds.add(d.siteId);
    for (const e of a.entries.values()) {
      m.a.add(e.kind, e.value);
      const target = m.a.entries.get(`${e.kind}|${e.value}`)!;
      for (const [k, v] of Object.entries(e.details)) {
        const list = new Set([...((target.details[k] as string[] | undefined) ?? []), ...(v as string[])]);
        target.details[k] = [...list].sort();
      }
    }
    // A model's band is its busiest device's, not the sum of its fleet.
    m.a.bytes = Math.max(m.a.bytes, a.bytes);
    for (const [k, v] of a.out) m.a.out.set(k, Math.max(m.a.out.get(k) ?? 0, v));
    if (a.lastSeen) m.a.seen(a.lastSeen);
  }
  for (const [modelId, m] of [...perModel].sort(([x], [y]) => x.localeCompare(y))) {
    const site = m.siteIds.size === 1 ? [...m.siteIds][0]! : null;
    out.push(m.a.result('model', modelId, site, input.days));
  }
  return out;
}
