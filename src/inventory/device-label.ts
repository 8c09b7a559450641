/**
 * @module What a person calls a device in a list, a report or a notification. Passively discovered
 * devices have no asset tag until someone enters one, and their id (a UUID) means nothing to a clinical
 * engineer; "GE Medical Systems RHAPSODE (10.20.0.31)" does.
 */
import { type DeviceLabelRow, deviceLabelRows } from '../store/device-store.js';
import type { DbHandle } from '../store/transaction.js';

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
  const where = d.hostname ?? d.ip ?? d.mac;
  if (name && where) return `${name} (${where})`;
  return name || where || `device ${d.id.slice(0, 8)}`;
}

/** Labels of many devices, by id; an id that names no device (a deleted one) gets none. */
export async function deviceLabels(h: DbHandle, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (ids.length === 0) return out;
  for (const r of await deviceLabelRows(h, ids)) out.set(r.id, deviceLabel(r));
  return out;
}

/** The items with `deviceLabel` added beside their `deviceId` (null when the item names no device). */
export async function withDeviceLabels<T extends { deviceId: string | null }>(
  h: DbHandle,
  items: readonly T[],
): Promise<(T & { deviceLabel: string | null })[]> {
  const labels = await deviceLabels(
    h,
    items.flatMap((i) => (i.deviceId ? [i.deviceId] : [])),
  );
  return items.map((i) => ({ ...i, deviceLabel: i.deviceId ? (labels.get(i.deviceId) ?? null) : null }));
}
