/**
 * @module What people call the subject of a record that names a device or a model by id (a baseline, a
 * risk override): the device's label (asset tag, else make and model with an address, else the
 * address), or the model as "Maker Model". For tables; the ids stay in the JSON.
 */
import { deviceLabels, labelIn } from '../inventory/device-label.js';
import type { DbHandle } from '../store/transaction.js';
import { resolveModel } from '../tasks/campaigns-service.js';

export interface DeviceOrModelSubject {
  id: string;
  deviceId: string | null;
  modelId: string | null;
}

/** The subject's name by record id. */
export async function subjectNames(
  h: DbHandle,
  list: readonly DeviceOrModelSubject[],
): Promise<Map<string, string>> {
  const labels = await deviceLabels(
    h,
    list.flatMap((b) => (b.deviceId ? [b.deviceId] : [])),
  );
  const models = new Map<string, string>();
  const out = new Map<string, string>();
  for (const b of list) {
    if (b.deviceId) out.set(b.id, labelIn(labels, b.deviceId));
    else if (b.modelId) {
      if (!models.has(b.modelId)) {
        const m = await resolveModel(h, b.modelId).catch(() => undefined);
        models.set(b.modelId, m ? `${m.manufacturer} ${m.name}`.trim() : b.modelId);
      }
      out.set(b.id, models.get(b.modelId)!);
    }
  }
  return out;
}
