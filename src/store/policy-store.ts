/**
 * @module SQL for segmentation policies (versions, drafts, the approved one per scope) and the inventory
 * facts the policy and the unnecessary-service check read in bulk: devices with their addresses, class,
 * site and model, the model's declared services, segments, and observed services.
 */
import { sql } from 'kysely';
import type { PolicyTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type PolicyRow = PolicyTable;

/** The scope key of a site id (null: every site). */
export const policyScope = (siteId: string | null) => siteId ?? '-';

export async function insertPolicy(h: DbHandle, row: PolicyRow): Promise<void> {
  await h.db.insertInto('policies').values(row).execute();
}

export async function nextPolicyVersion(h: DbHandle, scope: string): Promise<number> {
  const r = await h.db
    .selectFrom('policies')
    .select(sql<number>`coalesce(max(version), 0)`.as('v'))
    .where('scope', '=', scope)
    .executeTakeFirst();
  return Number(r?.v ?? 0) + 1;
}

export async function policyById(h: DbHandle, id: string): Promise<PolicyRow | undefined> {
  return h.db.selectFrom('policies').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function approvedPolicy(h: DbHandle, scope: string): Promise<PolicyRow | undefined> {
  return h.db
    .selectFrom('policies')
    .selectAll()
    .where('scope', '=', scope)
    .where('state', '=', 'approved')
    .orderBy('version', 'desc')
    .executeTakeFirst();
}

export async function listPolicies(h: DbHandle, scopes?: readonly string[]): Promise<PolicyRow[]> {
  let q = h.db.selectFrom('policies').selectAll();
  if (scopes) q = scopes.length ? q.where('scope', 'in', [...scopes]) : q.where(sql<boolean>`1 = 0`);
  return q.orderBy('scope').orderBy('version', 'desc').execute();
}

export async function updatePolicy(h: DbHandle, id: string, patch: Partial<PolicyRow>): Promise<void> {
  await h.db.updateTable('policies').set(patch).where('id', '=', id).execute();
}

export interface PolicyDeviceRow {
  id: string;
  asset_tag: string | null;
  device_class: string;
  site_id: string | null;
  department: string | null;
  model_id: string | null;
  model: string | null;
  manufacturer: string | null;
  default_services: string | null;
  criticality: string | null;
  ephi: number | null;
}

/** Devices that are part of the network (not merged, retired or ignored), optionally at some sites. */
export async function policyDevices(h: DbHandle, siteIds?: readonly string[]): Promise<PolicyDeviceRow[]> {
  let q = h.db
    .selectFrom('devices as d')
    .leftJoin('device_models as m', 'm.id', 'd.model_id')
    .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
    .select([
      'd.id',
      'd.asset_tag',
      'd.device_class',
      'd.site_id',
      'd.department',
      'd.model_id',
      'm.name as model',
      'f.name as manufacturer',
      'm.default_services',
      'd.criticality',
      'd.ephi',
    ])
    .where('d.state', 'in', ['active', 'staged']);
  if (siteIds) q = siteIds.length ? q.where('d.site_id', 'in', [...siteIds]) : q.where(sql<boolean>`1 = 0`);
  return q.orderBy('d.id').execute();
}

/** Each device's identifiers of one kind (its addresses, or its host names), in value order. */
export async function identifiersByDevice(
  h: DbHandle,
  kind: 'ip' | 'hostname',
): Promise<Map<string, string[]>> {
  const rows = await h.db
    .selectFrom('device_identifiers')
    .select(['device_id', 'value'])
    .where('kind', '=', kind)
    .orderBy('device_id')
    .orderBy('value')
    .execute();
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const list = out.get(r.device_id);
    if (list) list.push(r.value);
    else out.set(r.device_id, [r.value]);
  }
  return out;
}

export async function allSegmentRows(
  h: DbHandle,
): Promise<{ site_id: string; name: string; cidrs: string; zone: string | null }[]> {
  return h.db
    .selectFrom('segments')
    .select(['site_id', 'name', 'cidrs', 'zone'])
    .orderBy('site_id')
    .orderBy('name')
    .execute();
}
