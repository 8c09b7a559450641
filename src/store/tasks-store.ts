/**
 * @module SQL for the update process: remediation tasks and their events, risk acceptances, campaigns,
 * and the slices of matches, findings and device facts that verification reads.
 */
import { chunks, selectInChunks } from './batch.js';
import type { CampaignTable, RemediationTaskTable, RiskAcceptanceTable, TaskEventTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type TaskRow = RemediationTaskTable;
export type TaskEventRow = TaskEventTable;
export type AcceptanceRow = RiskAcceptanceTable;
export type CampaignRow = CampaignTable;

/** A task with what readers show beside it: the device's tag, site and department. */
export type TaskView = TaskRow & {
  asset_tag: string | null;
  site_id: string | null;
  site_name: string | null;
  department: string | null;
};

export interface TaskFilter {
  states?: readonly string[];
  deviceId?: string;
  vulnKey?: string;
  findingId?: string;
  campaignId?: string;
  acceptanceId?: string;
  /** Due strictly before this instant. */
  dueBefore?: string;
  siteIds?: readonly string[];
  limit?: number;
  offset?: number;
}

function taskQuery(h: DbHandle) {
  return h.db
    .selectFrom('remediation_tasks as t')
    .innerJoin('devices as d', 'd.id', 't.device_id')
    .leftJoin('sites as s', 's.id', 'd.site_id')
    .selectAll('t')
    .select([
      'd.asset_tag as asset_tag',
      'd.site_id as site_id',
      's.name as site_name',
      'd.department as department',
    ]);
}

export async function listTaskViews(h: DbHandle, f: TaskFilter = {}): Promise<TaskView[]> {
  let q = taskQuery(h);
  if (f.states?.length) q = q.where('t.state', 'in', [...f.states]);
  if (f.deviceId) q = q.where('t.device_id', '=', f.deviceId);
  if (f.vulnKey) q = q.where('t.vuln_key', '=', f.vulnKey);
  if (f.findingId) q = q.where('t.finding_id', '=', f.findingId);
  if (f.campaignId) q = q.where('t.campaign_id', '=', f.campaignId);
  if (f.acceptanceId) q = q.where('t.acceptance_id', '=', f.acceptanceId);
  if (f.dueBefore) q = q.where('t.due_at', 'is not', null).where('t.due_at', '<', f.dueBefore);
  if (f.siteIds) q = q.where('d.site_id', 'in', f.siteIds.length ? [...f.siteIds] : ['\u0000']);
  q = q.orderBy('t.id');
  if (f.limit !== undefined) q = q.limit(f.limit).offset(f.offset ?? 0);
  return q.execute();
}

export async function getTaskView(h: DbHandle, id: string): Promise<TaskView | undefined> {
  return taskQuery(h).where('t.id', '=', id).executeTakeFirst();
}

export async function insertTask(h: DbHandle, row: TaskRow): Promise<void> {
  await h.db.insertInto('remediation_tasks').values(row).execute();
}

export async function updateTaskRow(h: DbHandle, id: string, patch: Partial<TaskRow>): Promise<void> {
  await h.db.updateTable('remediation_tasks').set(patch).where('id', '=', id).execute();
}

/** Points every task of one finding at another; the number of tasks changed. */
export async function repointFindingTasks(
  h: DbHandle,
  fromFindingId: string,
  toFindingId: string,
): Promise<number> {
  const r = await h.db
    .updateTable('remediation_tasks')
    .set({ finding_id: toFindingId })
    .where('finding_id', '=', fromFindingId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Moves one device's tasks of one kind to another device; the number of tasks moved. */
export async function moveDeviceTasks(
  h: DbHandle,
  fromDeviceId: string,
  toDeviceId: string,
  kind: string,
  updatedAt: string,
): Promise<number> {
  const r = await h.db
    .updateTable('remediation_tasks')
    .set({ device_id: toDeviceId, updated_at: updatedAt })
    .where('device_id', '=', fromDeviceId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Live (not verified, not closed) tasks of these devices for one vulnerability or finding. */
export async function liveTasksFor(
  h: DbHandle,
  key: {
    deviceIds: readonly string[];
    vulnKey?: string;
    findingId?: string;
    kind?: string;
    campaignId?: string;
  },
): Promise<TaskRow[]> {
  const out: TaskRow[] = [];
  for (const part of chunks(key.deviceIds, 500)) {
    if (!part.length) continue;
    let q = h.db
      .selectFrom('remediation_tasks')
      .selectAll()
      .where('device_id', 'in', part)
      .where('state', 'not in', ['verified', 'closed']);
    if (key.vulnKey) q = q.where('vuln_key', '=', key.vulnKey);
    if (key.findingId) q = q.where('finding_id', '=', key.findingId);
    if (key.kind) q = q.where('kind', '=', key.kind);
    if (key.campaignId) q = q.where('campaign_id', '=', key.campaignId);
    out.push(...(await q.execute()));
  }
  return out;
}

/** Tasks in these states, optionally only of these devices (verification's working set). */
export async function tasksInStates(
  h: DbHandle,
  states: readonly string[],
  deviceIds?: readonly string[],
): Promise<TaskRow[]> {
  const q = () =>
    h.db
      .selectFrom('remediation_tasks')
      .selectAll()
      .where('state', 'in', [...states]);
  if (!deviceIds) return q().orderBy('id').execute();
  const out: TaskRow[] = [];
  for (const part of chunks(deviceIds, 500))
    if (part.length) out.push(...(await q().where('device_id', 'in', part).execute()));
  return out;
}

export async function insertTaskEvent(h: DbHandle, row: TaskEventRow): Promise<void> {
  await h.db.insertInto('task_events').values(row).execute();
}

export async function taskEvents(h: DbHandle, taskId: string): Promise<TaskEventRow[]> {
  return h.db.selectFrom('task_events').selectAll().where('task_id', '=', taskId).orderBy('id').execute();
}

// ---- what verification reads ----

export interface MatchState {
  device_id: string;
  vuln_key: string;
  status: string;
}

export async function matchStates(h: DbHandle, deviceIds: readonly string[]): Promise<MatchState[]> {
  return selectInChunks([...new Set(deviceIds)], (part) =>
    h.db
      .selectFrom('vulnerability_matches')
      .select(['device_id', 'vuln_key', 'status'])
      .where('device_id', 'in', part)
      .execute(),
  );
}

export interface DeviceState {
  id: string;
  asset_tag: string | null;
  state: string;
  firmware_version: string | null;
  software_version: string | null;
  last_seen: string | null;
  updated_at: string;
}

export async function deviceStates(h: DbHandle, ids: readonly string[]): Promise<DeviceState[]> {
  return selectInChunks([...new Set(ids)], (part) =>
    h.db
      .selectFrom('devices')
      .select(['id', 'asset_tag', 'state', 'firmware_version', 'software_version', 'last_seen', 'updated_at'])
      .where('id', 'in', part)
      .execute(),
  );
}

export interface VersionFact {
  device_id: string;
  field: string;
  value: string | null;
  source: string;
  source_ref: string | null;
  last_seen: string;
}

/** Where each device's current firmware/software version came from (facts per source). */
export async function versionFacts(h: DbHandle, ids: readonly string[]): Promise<VersionFact[]> {
  return selectInChunks([...new Set(ids)], (part) =>
    h.db
      .selectFrom('device_facts')
      .select(['device_id', 'field', 'value', 'source', 'source_ref', 'last_seen'])
      .where('device_id', 'in', part)
      .where('field', 'in', ['firmware_version', 'software_version', 'firmwareVersion', 'softwareVersion'])
      .execute(),
  );
}

export interface FindingState {
  id: string;
  state: string;
  last_seen: string;
}

export async function findingStates(h: DbHandle, ids: readonly string[]): Promise<FindingState[]> {
  return selectInChunks([...new Set(ids)], (part) =>
    h.db.selectFrom('findings').select(['id', 'state', 'last_seen']).where('id', 'in', part).execute(),
  );
}

export interface FindingForTask {
  id: string;
  device_id: string;
  title: string;
  state: string;
  site_id: string | null;
}

export async function findingForTask(h: DbHandle, id: string): Promise<FindingForTask | undefined> {
  return h.db
    .selectFrom('findings as x')
    .innerJoin('devices as d', 'd.id', 'x.device_id')
    .select([
      'x.id as id',
      'x.device_id as device_id',
      'x.title as title',
      'x.state as state',
      'd.site_id as site_id',
    ])
    .where('x.id', '=', id)
    .executeTakeFirst();
}

/** The latest finished capture or scan import, for verification evidence. */
export async function latestSourceImport(
  h: DbHandle,
): Promise<{ kind: string; file: string; finished_at: string | null } | undefined> {
  return h.db
    .selectFrom('source_imports')
    .select(['kind', 'file', 'finished_at'])
    .where('status', '=', 'done')
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

// ---- risk acceptances ----

export async function insertAcceptance(h: DbHandle, row: AcceptanceRow): Promise<void> {
  await h.db.insertInto('risk_acceptances').values(row).execute();
}

export async function getAcceptance(h: DbHandle, id: string): Promise<AcceptanceRow | undefined> {
  return h.db.selectFrom('risk_acceptances').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listAcceptances(
  h: DbHandle,
  f: { states?: readonly string[]; vulnKey?: string } = {},
): Promise<AcceptanceRow[]> {
  let q = h.db.selectFrom('risk_acceptances').selectAll();
  if (f.states?.length) q = q.where('state', 'in', [...f.states]);
  if (f.vulnKey) q = q.where('vuln_key', '=', f.vulnKey);
  return q.orderBy('id').execute();
}

/** Device-scoped acceptances of these devices, in any state. */
export async function deviceAcceptances(h: DbHandle, deviceIds: readonly string[]): Promise<AcceptanceRow[]> {
  return h.db
    .selectFrom('risk_acceptances')
    .selectAll()
    .where('scope', '=', 'device')
    .where('device_id', 'in', [...deviceIds])
    .orderBy('id')
    .execute();
}

/** Acceptances in force at `now`: of one vulnerability, or of any (the work queue marks what they cover). */
export async function activeAcceptances(
  h: DbHandle,
  now: string,
  vulnKey?: string,
): Promise<AcceptanceRow[]> {
  let q = h.db
    .selectFrom('risk_acceptances')
    .selectAll()
    .where('state', '=', 'active')
    .where('expires_at', '>', now);
  if (vulnKey !== undefined) q = q.where('vuln_key', '=', vulnKey);
  return q.orderBy('id').execute();
}

export async function dueAcceptances(h: DbHandle, now: string): Promise<AcceptanceRow[]> {
  return h.db
    .selectFrom('risk_acceptances')
    .selectAll()
    .where('state', '=', 'active')
    .where('expires_at', '<=', now)
    .orderBy('id')
    .execute();
}

/** Active acceptances that end after `after` and at or before `until`, soonest first. */
export async function acceptancesEnding(h: DbHandle, after: string, until: string): Promise<AcceptanceRow[]> {
  return h.db
    .selectFrom('risk_acceptances')
    .selectAll()
    .where('state', '=', 'active')
    .where('expires_at', '>', after)
    .where('expires_at', '<=', until)
    .orderBy('expires_at')
    .orderBy('id')
    .execute();
}

export async function updateAcceptance(
  h: DbHandle,
  id: string,
  patch: Partial<AcceptanceRow>,
): Promise<void> {
  await h.db.updateTable('risk_acceptances').set(patch).where('id', '=', id).execute();
}

// ---- devices in a scope ----

export interface ScopeDevice {
  id: string;
  asset_tag: string | null;
  model_id: string | null;
  firmware_version: string | null;
  software_version: string | null;
  site_id: string | null;
  department: string | null;
}

/** Live (staged or active) devices of a model, or of every model. */
export async function devicesOfModel(h: DbHandle, modelId: string | null): Promise<ScopeDevice[]> {
  let q = h.db
    .selectFrom('devices')
    .select(['id', 'asset_tag', 'model_id', 'firmware_version', 'software_version', 'site_id', 'department'])
    .where('state', 'in', ['staged', 'active']);
  if (modelId) q = q.where('model_id', '=', modelId);
  return q.orderBy('id').execute();
}

export async function scopeDevices(h: DbHandle, ids: readonly string[]): Promise<ScopeDevice[]> {
  return selectInChunks([...new Set(ids)], (part) =>
    h.db
      .selectFrom('devices')
      .select([
        'id',
        'asset_tag',
        'model_id',
        'firmware_version',
        'software_version',
        'site_id',
        'department',
      ])
      .where('id', 'in', part)
      .execute(),
  );
}

/** Device ids with a match of this vulnerability in one of these statuses. */
export async function devicesMatching(
  h: DbHandle,
  vulnKey: string,
  statuses: readonly string[],
): Promise<string[]> {
  const rows = await h.db
    .selectFrom('vulnerability_matches')
    .select('device_id')
    .where('vuln_key', '=', vulnKey)
    .where('status', 'in', [...statuses])
    .execute();
  return rows.map((r) => r.device_id);
}

export interface ModelRef {
  id: string;
  name: string;
  name_key: string;
  manufacturer: string;
  manufacturer_key: string;
}

export async function modelsRefs(h: DbHandle): Promise<ModelRef[]> {
  return h.db
    .selectFrom('device_models as m')
    .innerJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
    .select([
      'm.id as id',
      'm.name as name',
      'm.name_key as name_key',
      'f.name as manufacturer',
      'f.name_key as manufacturer_key',
    ])
    .execute();
}

export async function modelRef(h: DbHandle, id: string): Promise<ModelRef | undefined> {
  return h.db
    .selectFrom('device_models as m')
    .innerJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
    .select([
      'm.id as id',
      'm.name as name',
      'm.name_key as name_key',
      'f.name as manufacturer',
      'f.name_key as manufacturer_key',
    ])
    .where('m.id', '=', id)
    .executeTakeFirst();
}

// ---- campaigns ----

export async function insertCampaign(h: DbHandle, row: CampaignRow): Promise<void> {
  await h.db.insertInto('campaigns').values(row).execute();
}

export async function getCampaign(h: DbHandle, id: string): Promise<CampaignRow | undefined> {
  return h.db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listCampaignRows(h: DbHandle): Promise<CampaignRow[]> {
  return h.db.selectFrom('campaigns').selectAll().orderBy('id', 'desc').execute();
}

/** Task counts of a campaign per site, department and state. */
export async function campaignCounts(
  h: DbHandle,
  campaignId: string,
  siteIds?: readonly string[],
): Promise<
  { site_id: string | null; site: string | null; department: string | null; state: string; n: number }[]
> {
  let q = h.db
    .selectFrom('remediation_tasks as t')
    .innerJoin('devices as d', 'd.id', 't.device_id')
    .leftJoin('sites as s', 's.id', 'd.site_id')
    .select([
      'd.site_id as site_id',
      's.name as site',
      'd.department as department',
      't.state as state',
      (eb) => eb.fn.countAll<number>().as('n'),
    ])
    .where('t.campaign_id', '=', campaignId);
  if (siteIds) q = q.where('d.site_id', 'in', siteIds.length ? [...siteIds] : ['\u0000']);
  const rows = await q.groupBy(['d.site_id', 's.name', 'd.department', 't.state']).execute();
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}
