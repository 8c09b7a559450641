/**
 * @module SQL for risk: SSVC overrides (per device or model), and the context the work queue reads in
 * bulk for a page of matches: device facts (model, manufacturer, versions, criticality, ePHI, site, IP
 * addresses), segments, CISA SSVC notes of advisories, and open findings.
 */
import { chunks, selectInChunks } from './batch.js';
import type { RiskOverrideTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type RiskOverrideRow = RiskOverrideTable;

export async function insertOverride(h: DbHandle, row: RiskOverrideRow): Promise<void> {
  await h.db.insertInto('risk_overrides').values(row).execute();
}

export async function overrideById(h: DbHandle, id: string): Promise<RiskOverrideRow | undefined> {
  return h.db.selectFrom('risk_overrides').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function markOverrideRevoked(h: DbHandle, id: string, at: string): Promise<void> {
  await h.db.updateTable('risk_overrides').set({ revoked_at: at }).where('id', '=', id).execute();
}

/** Overrides not revoked; with `activeAt`, only those not yet expired at that time. */
export async function listOverrides(
  h: DbHandle,
  opts: { activeAt?: string; deviceIds?: readonly string[]; modelIds?: readonly string[] } = {},
): Promise<RiskOverrideRow[]> {
  let q = h.db.selectFrom('risk_overrides').selectAll().where('revoked_at', 'is', null);
  if (opts.activeAt) q = q.where('expires_at', '>', opts.activeAt);
  if (opts.deviceIds || opts.modelIds) {
    const d = [...(opts.deviceIds ?? [])];
    const m = [...(opts.modelIds ?? [])];
    if (d.length === 0 && m.length === 0) return [];
    q = q.where((eb) =>
      eb.or([
        ...(d.length ? [eb('device_id', 'in', d)] : []),
        ...(m.length ? [eb('model_id', 'in', m)] : []),
      ]),
    );
  }
  return q.orderBy('created_at').orderBy('id').execute();
}

export interface RiskDeviceRow {
  id: string;
  asset_tag: string | null;
  model_id: string | null;
  model: string | null;
  manufacturer: string | null;
  device_class: string;
  firmware_version: string | null;
  software_version: string | null;
  criticality: string | null;
  model_criticality: string | null;
  ephi: number | null;
  ephi_stores: number | null;
  ephi_transmits: number | null;
  site_id: string | null;
}

export async function riskDevices(h: DbHandle, ids: readonly string[]): Promise<RiskDeviceRow[]> {
  return selectInChunks([...new Set(ids)], (part) =>
    h.db
      .selectFrom('devices as d')
      .leftJoin('device_models as m', 'm.id', 'd.model_id')
      .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
      .select([
        'd.id',
        'd.asset_tag',
        'd.model_id',
        'm.name as model',
        'f.name as manufacturer',
        'd.device_class',
        'd.firmware_version',
        'd.software_version',
        'd.criticality',
        'm.criticality as model_criticality',
        'd.ephi',
        'm.ephi_stores',
        'm.ephi_transmits',
        'd.site_id',
      ])
      .where('d.id', 'in', part)
      .execute(),
  );
}

export async function deviceIps(h: DbHandle, ids: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const part of chunks([...new Set(ids)], 500)) {
    if (!part.length) continue;
    for (const r of await h.db
      .selectFrom('device_identifiers')
      .select(['device_id', 'value'])
      .where('kind', '=', 'ip')
      .where('device_id', 'in', part)
      .execute())
      out.set(r.device_id, [...(out.get(r.device_id) ?? []), r.value]);
  }
  return out;
}

export async function allSegments(
  h: DbHandle,
): Promise<{ site_id: string; name: string; cidrs: string; zone: string | null }[]> {
  return h.db.selectFrom('segments').select(['site_id', 'name', 'cidrs', 'zone']).execute();
}

/** The SSVC note JSON per (advisory tracking id, vulnerability key). */
export async function advisorySsvc(
  h: DbHandle,
  vulnKeys: readonly string[],
): Promise<{ tracking_id: string; vuln_key: string; ssvc: string }[]> {
  const out: { tracking_id: string; vuln_key: string; ssvc: string }[] = [];
  for (const part of chunks([...new Set(vulnKeys)], 500)) {
    if (!part.length) continue;
    for (const r of await h.db
      .selectFrom('advisory_vulnerabilities as v')
      .innerJoin('advisories as a', 'a.id', 'v.advisory_id')
      .select(['a.tracking_id', 'v.vuln_key', 'v.ssvc'])
      .where('v.vuln_key', 'in', part)
      .where('v.ssvc', 'is not', null)
      .execute())
      if (r.ssvc) out.push({ tracking_id: r.tracking_id, vuln_key: r.vuln_key, ssvc: r.ssvc });
  }
  return out;
}

export async function openFindings(h: DbHandle): Promise<
  {
    id: string;
    type: string;
    severity: string;
    device_id: string;
    title: string;
    subject: string;
    first_seen: string;
  }[]
> {
  return h.db
    .selectFrom('findings')
    .select(['id', 'type', 'severity', 'device_id', 'title', 'subject', 'first_seen'])
    .where('state', 'in', ['open', 'acknowledged'])
    .orderBy('id')
    .execute();
}

/** Model id of a device, and a model by id (for override scoping). */
export async function deviceModelOf(
  h: DbHandle,
  deviceId: string,
): Promise<{ id: string; model_id: string | null; site_id: string | null } | undefined> {
  return h.db
    .selectFrom('devices')
    .select(['id', 'model_id', 'site_id'])
    .where('id', '=', deviceId)
    .executeTakeFirst();
}

export async function modelExists(h: DbHandle, modelId: string): Promise<boolean> {
  return !!(await h.db.selectFrom('device_models').select('id').where('id', '=', modelId).executeTakeFirst());
}

export async function deviceIdsAtSites(h: DbHandle, siteIds: readonly string[]): Promise<string[]> {
  if (siteIds.length === 0) return [];
  return (
    await h.db
      .selectFrom('devices')
      .select('id')
      .where('site_id', 'in', [...siteIds])
      .execute()
  ).map((d) => d.id);
}
