/**
 * @module `vigil sensor --site NAME`: a sensor watches one site's network, so devices it finds that have
 * no site yet are placed in that site (a site-scoped engineer then sees them). A site someone chose is
 * never changed.
 */
import { type Actor, assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { invalidInput } from '../../errors.js';
import { resolveSites } from '../../store/account-store.js';
import { resiteDeviceAlerts } from '../../store/alert-store.js';
import { resiteDeviceBaseline } from '../../store/communication-store.js';
import { getDevices, updateDevice } from '../../store/device-store.js';
import { nowIso } from '../../store/ids.js';
import { type DbHandle, transaction } from '../../store/transaction.js';

/** The site's id, or a clear error naming the unknown site. */
export async function resolveSensorSite(h: DbHandle, nameOrId: string): Promise<string> {
  const { ids, missing } = await resolveSites(h, [nameOrId]);
  if (missing.length || !ids[0])
    throw invalidInput(`Unknown site ${JSON.stringify(nameOrId)} (see \`vigil sites list\`)`);
  return ids[0];
}

/** Puts the devices without a site into `siteId`; returns the ids changed. One transaction, audited. */
export async function placeUnsitedDevices(
  h: DbHandle,
  actor: Actor,
  siteId: string,
  deviceIds: readonly string[],
  sensor: string,
): Promise<string[]> {
  if (deviceIds.length === 0) return [];
  assertCan(actor, 'devices:import');
  return transaction(h, async (tx) => {
    const unsited = (await getDevices(tx, [...new Set(deviceIds)])).filter(
      (d) => d.siteId === null && d.state !== 'merged',
    );
    if (unsited.length === 0) return [];
    const now = nowIso();
    for (const d of unsited) {
      await updateDevice(tx, d.id, { site_id: siteId, updated_at: now });
      // Alerts raised while it had no site go with it, or the site's engineers would never see them.
      await resiteDeviceAlerts(tx, d.id, siteId);
      await resiteDeviceBaseline(tx, d.id, siteId);
    }
    await appendAudit(tx, {
      actor,
      action: 'sensor.devices-sited',
      target: { type: 'site', id: siteId },
      summary: { sensor, devices: unsited.map((d) => d.id) },
    });
    return unsited.map((d) => d.id);
  });
}
