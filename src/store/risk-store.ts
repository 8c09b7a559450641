/**
 * @module SQL for risk: SSVC overrides (per device or model), and the context the work queue reads in
 * bulk for a page of matches: device facts (model, manufacturer, versions, criticality, ePHI, site, IP
 * addresses), segments, CISA SSVC notes of advisories, and open findings.
 */
import { chunks, selectInChunks } from './batch.js';
import { type NamingIdentifiers, namingIdentifiers } from './device-store.js';
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

/**
 * Overrides not revoked (with `includeRevoked`, those too: the record of who decided what); with
 * `activeAt`, only those not yet expired at that time.
 */
export async function listOverrides(
  h: DbHandle,
  opts: {
    activeAt?: string;
    includeRevoked?: boolean;
    deviceIds?: readonly string[];
    modelIds?: readonly string[];
  } = {},
): Promise<RiskOverrideRow[]> {
  let q = h.db.selectFrom('risk_overrides').selectAll();
  if (!opts.includeRevoked) q = q.where('revoked_at', 'is', null);
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

/**
 * A device as the work queue reads it, once for everything it needs: its risk context, its site (who
 * may see its items) and what names it (device labels).
 */
export interface QueueDeviceRow extends RiskDeviceRow, NamingIdentifiers {}

/**
 * The devices' details (model, manufacturer, versions, criticality, ePHI, site), and their host names,
 * IP and MAC addresses (as deviceLabelRows reads them), in one pass over the ids: two queries per chunk
 * of 500, where the queue used to read the devices three times over.
 */
export async function queueDevices(h: DbHandle, ids: readonly string[]): Promise<QueueDeviceRow[]> {
  const out: QueueDeviceRow[] = [];
  for (const part of chunks([...new Set(ids)], 500)) {
    if (!part.length) continue;
    const rows = await h.db
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
      .execute();
    const named = await namingIdentifiers(h, part);
    for (const r of rows) out.push({ ...r, ...(named.get(r.id) ?? { hostname: null, ips: [], mac: null }) });
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

export interface ModelRubricRow {
  model_id: string;
  answers: string;
  notes: string | null;
  answered_by: string;
  answered_at: string;
}

export async function rubricOf(h: DbHandle, modelId: string): Promise<ModelRubricRow | undefined> {
  return h.db.selectFrom('model_rubrics').selectAll().where('model_id', '=', modelId).executeTakeFirst();
}

export async function rubricsFor(h: DbHandle, modelIds: readonly string[]): Promise<ModelRubricRow[]> {
  return selectInChunks([...new Set(modelIds)], (part) =>
    h.db.selectFrom('model_rubrics').selectAll().where('model_id', 'in', part).execute(),
  );
}

export async function listRubrics(
  h: DbHandle,
): Promise<(ModelRubricRow & { model: string; manufacturer: string | null })[]> {
  return h.db
    .selectFrom('model_rubrics as r')
    .innerJoin('device_models as m', 'm.id', 'r.model_id')
    .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
    .selectAll('r')
    .select(['m.name as model', 'f.name as manufacturer'])
    .orderBy('f.name')
    .orderBy('m.name')
    .execute();
}

export async function saveRubric(h: DbHandle, row: ModelRubricRow): Promise<void> {
  await h.db
    .insertInto('model_rubrics')
    .values(row)
    .onConflict((oc) =>
      oc.column('model_id').doUpdateSet({
        answers: row.answers,
        notes: row.notes,
        answered_by: row.answered_by,
        answered_at: row.answered_at,
      }),
    )
    .execute();
}

/** Model id → name and manufacturer, for explanations. */
export async function modelNames(
  h: DbHandle,
  modelIds: readonly string[],
): Promise<Map<string, { model: string; manufacturer: string | null }>> {
  const rows = await selectInChunks([...new Set(modelIds)], (part) =>
    h.db
      .selectFrom('device_models as m')
      .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
      .select(['m.id', 'm.name as model', 'f.name as manufacturer'])
      .where('m.id', 'in', part)
      .execute(),
  );
  return new Map(rows.map((r) => [r.id, { model: r.model, manufacturer: r.manufacturer }]));
}

/** Active devices per model (Mission Prevalence), and the size of the whole active fleet. */
export async function modelPrevalence(h: DbHandle): Promise<{ byModel: Map<string, number>; fleet: number }> {
  const rows = await h.db
    .selectFrom('devices')
    .select(['model_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('state', 'in', ['active', 'staged'])
    .groupBy('model_id')
    .execute();
  const byModel = new Map<string, number>();
  let fleet = 0;
  for (const r of rows) {
    const n = Number(r.n);
    fleet += n;
    if (r.model_id) byModel.set(r.model_id, n);
  }
  return { byModel, fleet };
}

/**
 * Compensating controls recorded on remediation tasks that are still in force (every state but closed
 * and verified), per device, with the task that recorded them.
 */
export async function deviceControls(
  h: DbHandle,
  deviceIds: readonly string[],
): Promise<Map<string, { control: string; taskId: string; title: string }[]>> {
  const rows = await selectInChunks([...new Set(deviceIds)], (part) =>
    h.db
      .selectFrom('remediation_tasks')
      .select(['id', 'device_id', 'title', 'controls'])
      .where('device_id', 'in', part)
      .where('state', 'not in', ['closed', 'verified'])
      .where('controls', '!=', '[]')
      .execute(),
  );
  const out = new Map<string, { control: string; taskId: string; title: string }[]>();
  for (const r of rows)
    for (const c of JSON.parse(r.controls) as { control: string }[])
      out.set(r.device_id, [
        ...(out.get(r.device_id) ?? []),
        { control: c.control, taskId: r.id, title: r.title },
      ]);
  return out;
}

/** CISA ADP SSVC decision points and exploit references per vulnerability key (CVE 5 / NVD records). */
export async function vulnerabilityEvidence(
  h: DbHandle,
  vulnKeys: readonly string[],
): Promise<Map<string, { ssvc: string | null; exploitRefs: string | null }>> {
  const rows = await selectInChunks([...new Set(vulnKeys)], (part) =>
    h.db
      .selectFrom('vulnerabilities')
      .select(['vuln_key', 'ssvc', 'exploit_refs'])
      .where('vuln_key', 'in', part)
      .where((eb) => eb.or([eb('ssvc', 'is not', null), eb('exploit_refs', 'is not', null)]))
      .execute(),
  );
  return new Map(
    rows.map((r) => [r.vuln_key, { ssvc: r.ssvc ?? null, exploitRefs: r.exploit_refs ?? null }]),
  );
}

export interface InternetContact {
  /** The public address on the other side. */
  peer: string;
  port: number;
  transport: string;
  /** true: the internet host opened the connection to the device (the device is reachable from it). */
  inbound: boolean;
  established: boolean | null;
  lastSeen: string;
}

/**
 * Stored conversations between the given devices and public internet addresses, one per device:
 * an established inbound one when there is one (the device is reachable from the internet), else the
 * latest outbound one.
 */
export async function internetContacts(
  h: DbHandle,
  deviceIds: readonly string[],
  isPublic: (ip: string) => boolean,
): Promise<Map<string, InternetContact>> {
  const out = new Map<string, InternetContact>();
  const better = (a: InternetContact, b: InternetContact | undefined) =>
    !b ||
    (a.inbound && a.established !== false && !(b.inbound && b.established !== false)) ||
    (a.inbound === b.inbound && a.lastSeen > b.lastSeen);
  for (const part of chunks([...new Set(deviceIds)], 400)) {
    if (!part.length) continue;
    const rows = await h.db
      .selectFrom('communications')
      .select([
        'client_device_id',
        'server_device_id',
        'client_ip',
        'server_ip',
        'port',
        'transport',
        'established',
        'last_seen',
      ])
      .where((eb) => eb.or([eb('client_device_id', 'in', part), eb('server_device_id', 'in', part)]))
      .execute();
    const wanted = new Set(part);
    for (const r of rows) {
      const est = r.established === null ? null : Boolean(r.established);
      if (r.server_device_id && wanted.has(r.server_device_id) && isPublic(r.client_ip)) {
        const c = {
          peer: r.client_ip,
          port: r.port,
          transport: r.transport,
          inbound: true,
          established: est,
          lastSeen: r.last_seen,
        };
        if (better(c, out.get(r.server_device_id))) out.set(r.server_device_id, c);
      }
      if (r.client_device_id && wanted.has(r.client_device_id) && isPublic(r.server_ip)) {
        const c = {
          peer: r.server_ip,
          port: r.port,
          transport: r.transport,
          inbound: false,
          established: est,
          lastSeen: r.last_seen,
        };
        if (better(c, out.get(r.client_device_id))) out.set(r.client_device_id, c);
      }
    }
  }
  return out;
}
