/**
 * @module What a person calls a device in a list, a report or a notification. Passively discovered
 * devices have no asset tag until someone enters one, and their id (a UUID) means nothing to a clinical
 * engineer; "GE Medical Systems RHAPSODE (10.20.0.31)" does. The rules themselves are in device-name.ts
 * (no database access), which the dashboard uses too.
 */
import { deviceLabelRows, recordedNames, type StoredDevice } from '../store/device-store.js';
import type { DbHandle } from '../store/transaction.js';
import { type DeviceNameFacts, deviceLabel, labelOfDevice, unnamed } from './device-name.js';

export { deviceLabel } from './device-name.js';

/** The label of a device already read whole (its identifiers newest first, as the store gives them). */
export function storedDeviceLabel(d: StoredDevice): string {
  return labelOfDevice(d);
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

/**
 * Every label these devices could have had, from what is recorded of them now: each asset tag; make and
 * model, make or model alone, or the class, with each host name, IP or MAC any source saw, or alone; each
 * address alone; "device" and the start of the id. Text written when one of them was current (a task's
 * title) still names the device after it got an asset tag, an address or a model. An asset tag since
 * replaced by the same source, or a model since corrected, is no longer known.
 */
export async function possibleDeviceLabels(h: DbHandle, ids: readonly string[]): Promise<string[]> {
  const { assetTags, addresses } = await recordedNames(h, ids);
  const out = new Set(assetTags);
  for (const r of await deviceLabelRows(h, ids)) {
    const names: DeviceNameFacts[] = [
      r,
      { ...r, model_name: null },
      { ...r, manufacturer_name: null },
      { ...r, manufacturer_name: null, model_name: null },
      { ...r, manufacturer_name: null, model_name: null, device_class: 'unknown' },
    ];
    for (const n of names)
      for (const where of [null, ...addresses])
        out.add(deviceLabel({ ...n, asset_tag: null, hostname: where, ips: [], mac: null }));
  }
  return [...out];
}
