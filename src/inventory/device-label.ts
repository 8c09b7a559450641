/**
 * @module What a person calls a device in a list, a report or a notification. Passively discovered
 * devices have no asset tag until someone enters one, and their id (a UUID) means nothing to a clinical
 * engineer; "GE Medical Systems RHAPSODE (10.20.0.31)" does. The rules themselves are in device-name.ts
 * (no database access), which the dashboard uses too.
 */
import { deviceLabelRows, type StoredDevice } from '../store/device-store.js';
import type { DbHandle } from '../store/transaction.js';
import { deviceLabel, labelOfDevice, unnamed } from './device-name.js';

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
