/**
 * @module A device's peers: every address it talked with (either direction), folded from the stored
 * communications, with the peer's role (device class, model, asset tag when the inventory knows it),
 * ports, protocols, volume and first/last seen.
 */
import { type Actor, assertCan } from '../../accounts/actor.js';
import { storedDeviceLabel } from '../../inventory/device-label.js';
import { resolveDevice } from '../../inventory/inventory-service.js';
import { listCommunications } from '../../store/communication-store.js';
import { getDevices, type StoredDevice } from '../../store/device-store.js';
import type { DbHandle } from '../../store/transaction.js';
import { type DeviceFacts, peerRole } from './peer-role.js';

export interface Peer {
  ip: string;
  deviceId: string | null;
  /** `model:<id>` | `class:<device class>` | `internet` | `device:<id>` | `host:<address>` (docs/baseline.md). */
  role: string;
  deviceClass: string | null;
  manufacturer: string | null;
  model: string | null;
  assetTag: string | null;
  /**
   * What a person calls the peer device (src/inventory/device-label.ts), null when the address is no
   * inventory device; for display, `deviceId` is the key.
   */
  deviceLabel: string | null;
  /** `outbound`: the device opened the connections; `inbound`: the peer did; `both`. */
  direction: 'outbound' | 'inbound' | 'both';
  /** Server ports as `104/tcp`, `53/udp`, `0/icmp`. */
  ports: string[];
  protocols: string[];
  connections: number;
  packets: number;
  bytes: number;
  firstSeen: string;
  lastSeen: string;
}

export interface DevicePeers {
  deviceId: string;
  peers: Peer[];
}

export function deviceFacts(d: StoredDevice): DeviceFacts {
  return {
    id: d.id,
    siteId: d.siteId,
    modelId: d.modelId,
    model: d.model,
    manufacturer: d.manufacturer,
    deviceClass: d.deviceClass,
    assetTag: d.assetTag,
  };
}

export async function devicePeers(
  h: DbHandle,
  actor: Actor,
  ref: string,
  opts: { since?: string } = {},
): Promise<DevicePeers> {
  assertCan(actor, 'monitor:read');
  const device = await resolveDevice(h, actor, ref);
  const comms = await listCommunications(h, {
    deviceId: device.id,
    ...(opts.since ? { since: opts.since } : {}),
  });
  const peerIds = [
    ...new Set(
      comms
        .map((c) => (c.clientDeviceId === device.id ? c.serverDeviceId : c.clientDeviceId))
        .filter((x): x is string => x !== null && x !== device.id),
    ),
  ];
  const stored = await getDevices(h, peerIds);
  const devices = new Map(stored.map((d) => [d.id, deviceFacts(d)]));
  const labels = new Map(stored.map((d) => [d.id, storedDeviceLabel(d)]));
  const byPeer = new Map<string, Peer>();
  for (const c of comms) {
    const outbound = c.clientDeviceId === device.id;
    const ip = outbound ? c.serverIp : c.clientIp;
    const peerId = outbound ? c.serverDeviceId : c.clientDeviceId;
    // A device talking to itself (two of its addresses) is no peer.
    if (peerId === device.id) continue;
    const facts = peerId ? devices.get(peerId) : undefined;
    const key = peerId ?? `ip:${ip}`;
    let p = byPeer.get(key);
    if (!p) {
      p = {
        ip,
        deviceId: peerId,
        role: peerRole(facts, ip),
        deviceClass: facts?.deviceClass ?? null,
        manufacturer: facts?.manufacturer ?? null,
        model: facts?.model ?? null,
        assetTag: facts?.assetTag ?? null,
        deviceLabel: peerId ? (labels.get(peerId) ?? null) : null,
        direction: outbound ? 'outbound' : 'inbound',
        ports: [],
        protocols: [],
        connections: 0,
        packets: 0,
        bytes: 0,
        firstSeen: c.firstSeen,
        lastSeen: c.lastSeen,
      };
      byPeer.set(key, p);
    } else if (p.direction !== (outbound ? 'outbound' : 'inbound')) p.direction = 'both';
    const port = `${c.port}/${c.transport}`;
    if (!p.ports.includes(port)) p.ports.push(port);
    if (c.protocol && !p.protocols.includes(c.protocol)) p.protocols.push(c.protocol);
    p.connections += c.connections;
    p.packets += c.packets;
    p.bytes += c.bytes;
    if (c.firstSeen < p.firstSeen) p.firstSeen = c.firstSeen;
    if (c.lastSeen > p.lastSeen) p.lastSeen = c.lastSeen;
  }
  const peers = [...byPeer.values()].sort((a, b) => b.bytes - a.bytes || a.ip.localeCompare(b.ip));
  for (const p of peers) {
    p.ports.sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || a.localeCompare(b));
    p.protocols.sort();
  }
  return { deviceId: device.id, peers };
}
