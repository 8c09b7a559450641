/**
 * @module SQL for what sources observe beyond a device's identity: its services, the application
 * protocols it speaks (with merged DICOM/HL7 details), findings, and the record of imported source
 * files. Merging rules live in `discovery/`; this file only moves rows.
 */
import { sql } from 'kysely';
import { bulkInsert, chunks } from './batch.js';
import type { DeviceProtocolTable, DeviceServiceTable, FindingTable, SourceImportTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type ServiceRow = DeviceServiceTable;
export type ProtocolRow = DeviceProtocolTable;
export type FindingRow = FindingTable;
export type SourceImportRow = SourceImportTable;

/**
 * Inserts services or updates the existing row of the same device, port and transport: known values are
 * never replaced by unknown ones, first/last seen only widen.
 */
export async function upsertServices(h: DbHandle, rows: readonly ServiceRow[]): Promise<void> {
  for (const part of chunks(rows, 200)) {
    if (part.length === 0) continue;
    // Typed as never: Kysely cannot type raw expressions that name `excluded`, and the columns are checked above.
    const keep = (c: 'protocol' | 'product' | 'encrypted') =>
      sql`coalesce(excluded.${sql.ref(c)}, device_services.${sql.ref(c)})` as never;
    await h.db
      .insertInto('device_services')
      .values(part)
      .onConflict((oc) =>
        oc.columns(['device_id', 'port', 'transport']).doUpdateSet({
          protocol: keep('protocol'),
          product: keep('product'),
          // A version belongs to its product: another product brings its own version (or none), and a
          // version without a product (a TLS handshake's) does not join another source's product. "Another"
          // as device merges judge it (inventory/merge-evidence.ts `sameThing`): `Apache` and `Apache
          // httpd`, one a prefix of the other ignoring case, are the same product said more precisely.
          version: sql`case
            when excluded.product is not null
              and (device_services.product is null
                or (lower(substr(excluded.product, 1, length(device_services.product))) <> lower(device_services.product)
                  and lower(substr(device_services.product, 1, length(excluded.product))) <> lower(excluded.product)))
              then excluded.version
            when excluded.product is null and device_services.product is not null
              then device_services.version
            else coalesce(excluded.version, device_services.version) end` as never,
          encrypted: keep('encrypted'),
          cpes: sql`case when excluded.cpes = '[]' then device_services.cpes else excluded.cpes end`,
          source: sql`excluded.source`,
          evidence: sql`case when excluded.last_seen >= device_services.last_seen then excluded.evidence else device_services.evidence end`,
          first_seen: sql`case when excluded.first_seen < device_services.first_seen then excluded.first_seen else device_services.first_seen end`,
          last_seen: sql`case when excluded.last_seen > device_services.last_seen then excluded.last_seen else device_services.last_seen end`,
        }),
      )
      .execute();
  }
}

export async function servicesOf(h: DbHandle, deviceIds: readonly string[]): Promise<ServiceRow[]> {
  const out: ServiceRow[] = [];
  for (const part of chunks(deviceIds, 500)) {
    if (part.length === 0) continue;
    out.push(
      ...(await h.db
        .selectFrom('device_services')
        .selectAll()
        .where('device_id', 'in', part)
        .orderBy('device_id')
        .orderBy('transport')
        .orderBy('port')
        .execute()),
    );
  }
  return out;
}

export async function protocolsOf(h: DbHandle, deviceIds: readonly string[]): Promise<ProtocolRow[]> {
  const out: ProtocolRow[] = [];
  for (const part of chunks(deviceIds, 500)) {
    if (part.length === 0) continue;
    out.push(
      ...(await h.db
        .selectFrom('device_protocols')
        .selectAll()
        .where('device_id', 'in', part)
        .orderBy('device_id')
        .orderBy('protocol')
        .execute()),
    );
  }
  return out;
}

/** Writes protocol rows whose details the caller has already merged with the stored ones. */
export async function upsertProtocols(h: DbHandle, rows: readonly ProtocolRow[]): Promise<void> {
  await bulkInsert(h, 'device_protocols', rows, {
    conflict: ['device_id', 'protocol'],
    update: ['details', 'source', 'first_seen', 'last_seen'],
  });
}

/** Moves services or protocol rows (by id) to another device; the caller folds those it already has. */
export async function moveProfileRows(
  h: DbHandle,
  table: 'device_services' | 'device_protocols',
  ids: readonly string[],
  toDeviceId: string,
): Promise<void> {
  for (const part of chunks(ids, 500)) {
    if (part.length === 0) continue;
    await h.db.updateTable(table).set({ device_id: toDeviceId }).where('id', 'in', part).execute();
  }
}

export async function updateService(h: DbHandle, id: string, patch: Partial<ServiceRow>): Promise<void> {
  await h.db.updateTable('device_services').set(patch).where('id', '=', id).execute();
}

export async function updateProtocol(h: DbHandle, id: string, patch: Partial<ProtocolRow>): Promise<void> {
  await h.db.updateTable('device_protocols').set(patch).where('id', '=', id).execute();
}

export async function deleteProfileRows(
  h: DbHandle,
  table: 'device_services' | 'device_protocols',
  ids: readonly string[],
): Promise<void> {
  for (const part of chunks(ids, 500)) {
    if (part.length === 0) continue;
    await h.db.deleteFrom(table).where('id', 'in', part).execute();
  }
}

export async function findingsByKey(h: DbHandle, keys: readonly string[]): Promise<Map<string, FindingRow>> {
  const out = new Map<string, FindingRow>();
  for (const part of chunks(keys, 500)) {
    if (part.length === 0) continue;
    for (const r of await h.db.selectFrom('findings').selectAll().where('dedup_key', 'in', part).execute()) {
      out.set(r.dedup_key, r);
    }
  }
  return out;
}

export async function insertFindings(h: DbHandle, rows: readonly FindingRow[]): Promise<void> {
  await bulkInsert(h, 'findings', rows);
}

/** Every finding of these devices, whatever its state. */
export async function findingsOfDevices(h: DbHandle, deviceIds: readonly string[]): Promise<FindingRow[]> {
  const out: FindingRow[] = [];
  for (const part of chunks([...new Set(deviceIds)], 500)) {
    if (part.length === 0) continue;
    out.push(...(await h.db.selectFrom('findings').selectAll().where('device_id', 'in', part).execute()));
  }
  return out;
}

export async function updateFinding(h: DbHandle, id: string, patch: Partial<FindingRow>): Promise<void> {
  await h.db.updateTable('findings').set(patch).where('id', '=', id).execute();
}

export async function deleteFinding(h: DbHandle, id: string): Promise<void> {
  await h.db.deleteFrom('findings').where('id', '=', id).execute();
}

export interface FindingFilter {
  type?: string | undefined;
  severity?: readonly string[] | undefined;
  state?: readonly string[] | undefined;
  deviceId?: string | undefined;
  siteIds?: readonly string[] | undefined;
}

/** Findings newest first (by last seen), with the device's asset tag and site for people. */
export async function listFindings(
  h: DbHandle,
  f: FindingFilter,
  page: { limit: number; offset: number },
): Promise<(FindingRow & { asset_tag: string | null; site_id: string | null })[]> {
  let q = h.db
    .selectFrom('findings as x')
    .innerJoin('devices as d', 'd.id', 'x.device_id')
    .selectAll('x')
    .select(['d.asset_tag', 'd.site_id']);
  if (f.type) q = q.where('x.type', '=', f.type);
  if (f.severity?.length) q = q.where('x.severity', 'in', [...f.severity]);
  if (f.state?.length) q = q.where('x.state', 'in', [...f.state]);
  if (f.deviceId) q = q.where('x.device_id', '=', f.deviceId);
  if (f.siteIds) q = q.where('d.site_id', 'in', f.siteIds.length ? [...f.siteIds] : ['-']);
  return q.orderBy('x.last_seen', 'desc').orderBy('x.id').limit(page.limit).offset(page.offset).execute();
}

export async function insertSourceImport(h: DbHandle, row: SourceImportRow): Promise<void> {
  await h.db.insertInto('source_imports').values(row).execute();
}

export async function updateSourceImport(
  h: DbHandle,
  id: string,
  patch: Partial<SourceImportRow>,
): Promise<void> {
  await h.db.updateTable('source_imports').set(patch).where('id', '=', id).execute();
}
