/**
 * @module What a communication peer *is*, for baselines and rules: a known device's model or class, an
 * internet address, or, for a peer nothing classifies, that peer itself. Baselines compare roles, not
 * addresses, so a replacement PACS of the same model, or a monitor that got a new DHCP lease, is not a new
 * peer; an unclassified peer has no kind to share, so one such host is never "like" another.
 */
import { isPublicIp } from '../../risk/exposure.js';

/** What the inventory knows about a device, as plain data for roles and rules. */
export interface DeviceFacts {
  id: string;
  siteId: string | null;
  modelId: string | null;
  model: string | null;
  manufacturer: string | null;
  deviceClass: string;
  assetTag: string | null;
}

/** Device classes that are not medical devices (everything else in `DEVICE_CLASSES` is). */
const NON_MEDICAL = new Set(['it', 'iot', 'unknown']);

export const isMedical = (d: Pick<DeviceFacts, 'deviceClass'>) => !NON_MEDICAL.has(d.deviceClass);

/**
 * `model:<model id>` when the peer's model is known, else `class:<device class>` for a known device of a
 * known class, `internet` for a public address, `device:<device id>` for an inventoried device without a
 * class, `host:<address>` for an address the inventory does not know. The last two name the peer itself:
 * a shared "unknown host" role made every new unclassified host normal once any other one had been seen.
 */
export function peerRole(peer: DeviceFacts | null | undefined, ip: string): string {
  if (peer?.modelId) return `model:${peer.modelId}`;
  if (peer && peer.deviceClass !== 'unknown') return `class:${peer.deviceClass}`;
  if (isPublicIp(ip)) return 'internet';
  if (peer) return `device:${peer.id}`;
  return `host:${ip}`;
}

/** A person-readable name for a role, with the peer's details when there is a device. */
export function roleLabel(peer: DeviceFacts | null | undefined, role: string): string {
  if (!peer) return role;
  const name = [peer.manufacturer, peer.model].filter(Boolean).join(' ');
  return name ? `${peer.deviceClass} (${name})` : peer.deviceClass;
}
