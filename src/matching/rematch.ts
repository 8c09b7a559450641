/**
 * @module What the inventory calls after it changes devices: a new or changed device is matched
 * against all knowledge at once, so `vigil vulns list` is never stale with respect to the inventory.
 * The device change itself is audited; the automatic re-match is not a separate audit entry.
 */
import type { Actor } from '../accounts/actor.js';
import type { DbHandle } from '../store/transaction.js';
import { type MatchRunReport, runMatch } from './matcher.js';

export async function rematchDevices(
  vdb: DbHandle,
  actor: Actor,
  deviceIds: readonly string[],
): Promise<MatchRunReport | null> {
  const ids = [...new Set(deviceIds)];
  if (ids.length === 0) return null;
  return runMatch(vdb, actor, { deviceIds: ids }, { audit: false });
}
