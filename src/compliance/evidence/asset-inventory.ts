/**
 * @module Evidence `asset-inventory`: devices in service, the share without a known model, and when the
 * inventory last changed (CMMS import, capture, scan or edit).
 */

import { listAudit } from '../../audit/audit-log.js';
import { plural, pluralWord } from '../../format-count.js';
import { inventoryFigures, latestImportOf } from '../../store/compliance-store.js';
import { ageInDays, type EvidenceCollector, evidence, newest } from './evidence.js';

/** Older than this and the inventory no longer describes the network. */
export const INVENTORY_STALE_DAYS = 90;
/** More devices than this share without a model, and vulnerability matching is blind for them. */
export const UNKNOWN_MODEL_MAX = 0.2;

export const collectAssetInventory: EvidenceCollector = async (ctx) => {
  const f = await inventoryFigures(ctx.h, ctx.siteIds);
  const source = await latestImportOf(ctx.h, ['capture', 'nmap', 'zeek', 'eve']);
  const cmms = (await listAudit(ctx.h, { action: 'devices.import', limit: 1 }))[0];
  const asOf = newest(f.lastChange, source?.finishedAt, cmms?.at);
  const share = f.devices ? f.unknownModel / f.devices : 0;
  const figures = {
    devices: f.devices,
    unknownModel: f.unknownModel,
    unknownModelShare: Math.round(share * 1000) / 1000,
    lastChange: f.lastChange,
    lastSourceImport: source?.finishedAt ?? null,
    lastCmmsImport: cmms?.at ?? null,
  };
  const base = { kind: 'asset-inventory' as const, title: 'Device inventory', figures, asOf };
  if (f.devices === 0)
    return evidence(ctx, { ...base, status: 'not-met', reason: 'the inventory holds no device in service' });
  const age = ageInDays(asOf, ctx.now) ?? 0;
  if (age > INVENTORY_STALE_DAYS)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `inventory last updated ${plural(age, 'day')} ago > ${INVENTORY_STALE_DAYS}`,
    });
  if (share > UNKNOWN_MODEL_MAX)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `${f.unknownModel} of ${plural(f.devices, 'device')} (${Math.round(share * 100)}%) ${pluralWord(f.unknownModel, 'has', 'have')} no known model > ${UNKNOWN_MODEL_MAX * 100}%`,
    });
  return evidence(ctx, {
    ...base,
    status: 'met',
    reason: `${plural(f.devices, 'device')}, ${Math.round(share * 100)}% without a known model, updated ${plural(age, 'day')} ago`,
  });
};
