/**
 * @module Which risk acceptance covers a device: one of the device itself, of its model (and version), or
 * of the whole fleet. Shared by the tasks (which move to risk-accepted) and the work queue (which marks
 * the items and stops counting them overdue).
 */
import type { AcceptanceRow } from '../store/tasks-store.js';

/** The acceptance (if any) among these that covers a device. */
export function acceptanceCovering(
  acceptances: readonly AcceptanceRow[],
  device: {
    id: string;
    model_id: string | null;
    firmware_version: string | null;
    software_version: string | null;
  },
): AcceptanceRow | undefined {
  return acceptances.find((a) => {
    if (a.scope === 'fleet') return true;
    if (a.scope === 'device') return a.device_id === device.id;
    if (a.scope !== 'model' || a.model_id !== device.model_id) return false;
    return (
      a.version === null || a.version === device.firmware_version || a.version === device.software_version
    );
  });
}
