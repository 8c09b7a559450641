/**
 * @module Evidence `manufacturer-relations`: manufacturers of devices in use followed for advisories,
 * with a PSIRT contact, MDS2 forms on file and requests answered, from the security program's
 * `manufacturerCoverage`, limited to the manufacturers of devices at the report's sites (a site's report
 * must not count, or name as gaps, makers whose devices run only elsewhere).
 */
import { plural } from '../../format-count.js';
import { manufacturerCoverage } from '../../program/manufacturers/coverage.js';
import { evidence, newest } from './evidence.js';
import type { ProgramCollector } from './program.js';

/** Manufacturers of devices in use: advisories followed, PSIRT contact, MDS2/SBOM on file, requests answered. */
export const collectManufacturerRelations: ProgramCollector = async (ctx, tables) => {
  const all = await manufacturerCoverage(ctx.h, ctx.now, ctx.siteIds);
  const inUse = all.filter((m) => m.activeDevices > 0);
  tables.manufacturers = all.map((m) => ({
    name: m.name,
    activeDevices: m.activeDevices,
    subscribed: m.subscribed,
    lastSyncAt: m.lastSyncAt,
    lastSyncError: m.lastSyncError,
    psirtContact: m.psirtContact,
    modelsWithoutMds2: m.modelsWithoutMds2,
    modelsWithoutSbom: m.modelsWithoutSbom,
    openRequests: m.openRequests,
    overdueRequests: m.overdueRequests,
  }));
  // Followed = a subscription that has brought advisories at least once: one that never synced (a wrong
  // URL, a provider unreachable since the day it was added) follows nothing, whatever its state says.
  const unsubscribed = inUse.filter((m) => !m.subscribed || m.lastSyncAt === null);
  const gaps: string[] = [];
  for (const m of inUse) {
    if (!m.subscribed)
      gaps.push(`${m.name}: no advisory subscription (${plural(m.activeDevices, 'device')})`);
    else if (m.lastSyncAt === null)
      gaps.push(
        `${m.name}: advisory subscription never synced successfully (${plural(m.activeDevices, 'device')})`,
      );
    if (m.lastSyncError) gaps.push(`${m.name}: last advisory sync failed: ${m.lastSyncError}`);
    if (!m.psirtContact) gaps.push(`${m.name}: no PSIRT contact on file`);
    if (m.modelsWithoutMds2)
      gaps.push(`${m.name}: ${plural(m.modelsWithoutMds2, 'model')} without an MDS2 form`);
    if (m.overdueRequests) gaps.push(`${m.name}: ${plural(m.overdueRequests, 'request')} overdue`);
  }
  const base = {
    kind: 'manufacturer-relations' as const,
    title: 'Manufacturer relations',
    figures: {
      manufacturersInUse: inUse.length,
      subscribed: inUse.filter((m) => m.subscribed).length,
      followed: inUse.length - unsubscribed.length,
      withPsirtContact: inUse.filter((m) => m.psirtContact).length,
      modelsWithoutMds2: inUse.reduce((n, m) => n + m.modelsWithoutMds2, 0),
      modelsWithoutSbom: inUse.reduce((n, m) => n + m.modelsWithoutSbom, 0),
      overdueRequests: inUse.reduce((n, m) => n + m.overdueRequests, 0),
    },
    asOf: newest(...inUse.map((m) => m.lastSyncAt)),
    gaps,
  };
  if (!inUse.length)
    return evidence(ctx, {
      ...base,
      status: 'no-evidence',
      reason: `no device in service${ctx.siteIds ? " at the report's sites" : ''} has a known manufacturer`,
    });
  if (unsubscribed.length === inUse.length)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: `none of ${plural(inUse.length, 'manufacturer')} in use is followed for advisories`,
    });
  if (gaps.length)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `${unsubscribed.length} of ${plural(inUse.length, 'manufacturer')} not followed; ${plural(gaps.length, 'gap')} in total`,
    });
  return evidence(ctx, {
    ...base,
    status: 'met',
    reason: `every manufacturer in use followed (${plural(inUse.length, 'manufacturer')}), with contacts and MDS2 forms`,
  });
};
