/**
 * @module What a person calls a device in a list, a report or a notification. Passively discovered
 * devices have no asset tag until someone enters one, and their id (a UUID) means nothing to a clinical
 * engineer; "GE Medical Systems RHAPSODE (10.20.0.31)" does.
 */
import { type DeviceLabelRow, deviceLabelRows, type StoredDevice } from '../store/device-store.js';
import type { DbHandle } from '../store/transaction.js';

/** The label of a device with nothing to name it by, or one deleted since it was listed. */
const unnamed = (id: string) => `device ${id.slice(0, 8)}`;

/**
 * The address a person would use, of those newest first: IPv4 before IPv6, a link-local fe80:: address
 * (which every IPv6 host derives from its MAC) only when there is nothing else.
 */
function preferredIp(ips: readonly string[]): string | undefined {
  return ips.find((ip) => !ip.includes(':')) ?? ips.find((ip) => !/^fe[89ab]/i.test(ip)) ?? ips[0];
}

/**
 * The asset tag when there is one (the hospital's own name for the unit); otherwise make and model (or
 * the class, when known) with the device's newest host name, IP (IPv4 first, link-local IPv6 last) or MAC
 * in brackets; otherwise only the address; a device with none of these is "device" and the start of its id.
 */
export function deviceLabel(d: DeviceLabelRow): string {
  if (d.asset_tag) return d.asset_tag;
  const name =
    [d.manufacturer_name, d.model_name].filter(Boolean).join(' ') ||
    (d.device_class && d.device_class !== 'unknown' ? d.device_class : '');
  const where = d.hostname ?? preferredIp(d.ips) ?? d.mac;
  if (name && where) return `${name} (${where})`;
  return name || where || unnamed(d.id);
}

/** The label of a device already read whole (its identifiers newest first, as the store gives them). */
export function storedDeviceLabel(d: StoredDevice): string {
  return deviceLabel({
    id: d.id,
    asset_tag: d.assetTag,
    device_class: d.deviceClass,
    manufacturer_name: d.manufacturer,
    model_name: d.model,
    hostname: d.hostnames[0] ?? null,
    ips: d.ips,
    mac: d.macs[0] ?? null,
  });
}

/** Labels of many devices, by id; an id that names no device (a deleted one) gets none. */
export async function deviceLabels(h: DbHandle, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (ids.length === 0) return out;
  for (const r of await deviceLabelRows(h, ids)) out.set(r.id, deviceLabel(r));
  return out;
}

/** The label of device `id` in `labels` (from deviceLabels), or "device" and the start of its id. */
export const labelIn = (labels: ReadonlyMap<string, string>, id: string): string =>
  labels.get(id) ?? unnamed(id);
