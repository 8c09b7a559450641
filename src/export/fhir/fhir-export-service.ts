/**
 * @module `vigil export fhir` and GET /export/fhir: every device in service (staged, active; or only
 * at one site, and only the actor's sites) as a FHIR R4 Bundle. Reads the inventory page by page.
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../../accounts/actor.js';
import { notFound } from '../../errors.js';
import { parseInput } from '../../inventory/device-input.js';
import { type DeviceFilter, queryDevices } from '../../store/device-store.js';
import { findSite } from '../../store/site-store.js';
import type { DbHandle } from '../../store/transaction.js';
import { fhirBundle } from './bundle.js';
import type { FhirDeviceSource, FhirJson } from './device-resource.js';

export const FhirExportQuerySchema = z.strictObject({
  site: z.string().min(1).max(200).optional(),
  /** Retired and ignored devices too (exported as status inactive). */
  all: z.boolean().optional(),
});

const PAGE = 1000;

export async function exportFhirBundle(
  h: DbHandle,
  actor: Actor,
  input: unknown,
  now: Date = new Date(),
): Promise<FhirJson> {
  assertCan(actor, 'reports:read');
  const q = parseInput(FhirExportQuerySchema, input ?? {}, 'FHIR export query');
  const filter: DeviceFilter = {
    scopeSiteIds: actor.siteIds,
    states: q.all ? ['staged', 'active', 'retired', 'ignored'] : ['staged', 'active'],
  };
  if (q.site) {
    const site = await findSite(h, q.site);
    if (!site || (actor.siteIds && !actor.siteIds.includes(site.id))) throw notFound(`Site ${q.site}`);
    filter.site = site.id;
  }
  const devices: FhirDeviceSource[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await queryDevices(h, filter, { sort: 'assetTag', order: 'asc', limit: PAGE, after });
    devices.push(...page.items);
    if (!page.nextCursor) break;
    after = page.nextCursor;
  }
  return fhirBundle(devices, now);
}
