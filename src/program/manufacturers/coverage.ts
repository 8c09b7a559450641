/**
 * @module Manufacturer coverage, the evidence for the "manufacturer subscriptions" control: per
 * manufacturer whose devices run here (or that has a subscription), whether its CSAF feed is followed and
 * healthy, whether a PSIRT contact is on file, how many models in use lack an MDS2 or an SBOM, and how
 * many requests are open or overdue, organization-wide or for some sites. Reads only; no permission
 * check (the compliance report and the route that call it check their own).
 */
import { nameKey } from '../../inventory/identity.js';
import {
  activeDevicesByManufacturer,
  allDocuments,
  linkedFeeds,
  manufacturerRows,
  modelsOf,
  modelsWithImportedSbom,
  requestRows,
  type SiteScope,
} from '../../store/manufacturer-store.js';
import type { DbHandle } from '../../store/transaction.js';
import { isOverdue } from './requests-service.js';

export type ManufacturerCoverage = {
  manufacturerId: string;
  name: string;
  activeDevices: number;
  subscribed: boolean;
  feedSourceIds: string[];
  lastSyncAt: string | null;
  lastSyncError: string | null;
  psirtContact: boolean;
  modelsWithoutMds2: number;
  modelsWithoutSbom: number;
  openRequests: number;
  overdueRequests: number;
};

const later = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a > b ? a : b);

/**
 * Coverage of every manufacturer with devices in service or a subscription; with `siteIds`, only of the
 * manufacturers with devices in service at those sites, their devices and models in use counted there
 * (subscriptions, contacts and documents are the organization's, shared by every site; requests counted
 * are those of those sites or of no site, as requests-service.ts lists them).
 */
export async function manufacturerCoverage(
  h: DbHandle,
  now: Date,
  siteIds?: SiteScope,
): Promise<ManufacturerCoverage[]> {
  const makers = await manufacturerRows(h);
  const feeds = await linkedFeeds(h, makers, nameKey);
  const active = await activeDevicesByManufacturer(h, siteIds);
  const models = (await modelsOf(h, undefined, siteIds)).filter((m) => m.active_devices > 0);
  const docs = await allDocuments(h);
  const mds2 = new Set(docs.filter((d) => d.kind === 'mds2').map((d) => d.model_id));
  const sbom = new Set([
    ...docs.filter((d) => d.kind === 'sbom').map((d) => d.model_id),
    ...(await modelsWithImportedSbom(h)),
  ]);
  const open = await requestRows(h, { status: ['open'], siteIds });
  const out: ManufacturerCoverage[] = [];
  for (const m of makers) {
    const mine = feeds.filter((f) => f.manufacturer_id === m.id);
    const devices = active.get(m.id) ?? 0;
    // A subscription alone brings a manufacturer in only organization-wide: a site has none of its own.
    if (devices === 0 && (siteIds || mine.length === 0)) continue;
    const enabled = mine.filter((f) => Number(f.enabled) === 1);
    // The newest attempt says whether the subscription works now; an old error after a success is history.
    let lastSyncAt: string | null = null;
    let lastAttempt: { at: string; error: string | null } | null = null;
    for (const f of enabled) {
      lastSyncAt = later(lastSyncAt, f.last_success_at);
      const at = f.last_attempt_at ?? f.last_success_at;
      if (at && (!lastAttempt || at > lastAttempt.at)) lastAttempt = { at, error: f.last_error };
    }
    const inUse = models.filter((x) => x.manufacturer_id === m.id);
    const requests = open.filter((r) => r.manufacturer_id === m.id);
    const p = m.profile;
    out.push({
      manufacturerId: m.id,
      name: m.name,
      activeDevices: devices,
      subscribed: enabled.length > 0,
      feedSourceIds: mine.map((f) => f.id),
      lastSyncAt,
      lastSyncError: lastAttempt?.error ?? null,
      psirtContact: Boolean(p?.psirt_email || p?.psirt_url || p?.psirt_phone),
      modelsWithoutMds2: inUse.filter((x) => !mds2.has(x.id)).length,
      modelsWithoutSbom: inUse.filter((x) => !sbom.has(x.id)).length,
      openRequests: requests.length,
      overdueRequests: requests.filter((r) => isOverdue(r, now)).length,
    });
  }
  return out;
}
