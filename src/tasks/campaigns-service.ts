/**
 * @module Campaigns: one update or recall action across every device of a model (and version), the unit
 * clinical engineering works in. With a vulnerability, the campaign takes every device of the model and
 * version whose match is still open (affected, needs-review, under-investigation), adopting live tasks
 * that already exist; without one, it is a plain update or recall action on every live device. Progress
 * is counted per site and department (tasks per state).
 */
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { conflict, invalidInput, notFound, VigilError } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import { deviceLabels, labelIn } from '../inventory/device-label.js';
import { nameKey } from '../inventory/identity.js';
import { resolveManufacturer } from '../matching/names/names.js';
import { newId } from '../store/ids.js';
import { matchFor } from '../store/match-store.js';
import {
  activeAcceptances,
  type CampaignRow,
  campaignCounts,
  devicesMatching,
  devicesOfModel,
  getCampaign,
  insertCampaign,
  listCampaignRows,
  listTaskViews,
  liveTasksFor,
  type ModelRef,
  modelRef,
  modelsRefs,
  updateTaskRow,
} from '../store/tasks-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { queueTaskEvents } from './task-events.js';
import type { TaskState } from './task-states.js';
import { fixOfMatch, insertNewTask, recordTaskChange } from './tasks-service.js';

export const CAMPAIGN_ACTIONS = ['update', 'recall'] as const;
const OPEN_MATCH = ['affected', 'needs-review', 'under-investigation'] as const;

export const CampaignCreateSchema = z.strictObject({
  /** Model id, or name (with manufacturer when the name is ambiguous). */
  model: z.string().trim().min(1).max(200),
  manufacturer: z.string().trim().min(1).max(200).optional(),
  /** Firmware or software version; every version when absent. */
  version: z.string().trim().min(1).max(100).optional(),
  vulnerability: z.string().trim().min(1).max(128).optional(),
  /** Only these devices of the model (a recall that names lots or serials); every device when absent. */
  devices: z.array(z.string().trim().min(1).max(64)).min(1).max(100_000).optional(),
  action: z.enum(CAMPAIGN_ACTIONS).default('update'),
  title: z.string().trim().min(1).max(500).optional(),
  fix: z.string().trim().min(1).max(4000).optional(),
  due: z
    .string()
    .trim()
    .max(40)
    .refine((v) => !Number.isNaN(Date.parse(v)), 'not an ISO-8601 date')
    .transform((v) => new Date(v).toISOString())
    .optional(),
});

export interface CampaignProgressRow {
  siteId: string | null;
  site: string | null;
  department: string | null;
  total: number;
  done: number;
  byState: Partial<Record<TaskState, number>>;
}

/** The Campaign JSON contract (docs/tasks.md). */
export interface Campaign {
  id: string;
  title: string;
  action: (typeof CAMPAIGN_ACTIONS)[number];
  modelId: string;
  model: string | null;
  manufacturer: string | null;
  version: string | null;
  vulnerability: string | null;
  fix: string | null;
  due: string | null;
  createdBy: string;
  createdAt: string;
  progress: {
    total: number;
    /** verified + closed */
    done: number;
    percentDone: number;
    byState: Partial<Record<TaskState, number>>;
    bySite: CampaignProgressRow[];
  };
}

/** Two spellings the name table resolves to one known manufacturer (aliases, acquisitions). */
function sameManufacturer(a: string, b: string): boolean {
  const x = resolveManufacturer(a);
  const y = resolveManufacturer(b);
  return x.known && y.known && x.key === y.key;
}

/** A model by id, or by name (and manufacturer), as the catalogue knows it. */
export async function resolveModel(h: DbHandle, ref: string, manufacturer?: string): Promise<ModelRef> {
  const byId = await modelRef(h, ref.trim());
  if (byId) return byId;
  const key = nameKey(ref);
  const makerKey = manufacturer ? nameKey(manufacturer) : null;
  const all = await modelsRefs(h);
  const lower = ref.trim().toLowerCase();
  const named = all.filter((m) => m.name_key === key || m.name.toLowerCase() === lower);
  let hits = named;
  if (manufacturer) {
    hits = named.filter(
      (m) =>
        m.manufacturer_key === makerKey || m.manufacturer.toLowerCase() === manufacturer.trim().toLowerCase(),
    );
    // People say "BD" for the CMMS's "Becton, Dickinson and Company (BD)": the matcher's name table
    // knows both, so a spelling it resolves to the same manufacturer finds the model too.
    if (hits.length === 0) hits = named.filter((m) => sameManufacturer(m.manufacturer, manufacturer));
  }
  if (hits.length === 0) {
    const makers = [...new Set(named.map((m) => m.manufacturer))];
    const known = makers.length ? ` (the model is known for: ${makers.join('; ')})` : '';
    throw new VigilError(
      'not_found',
      `Device model "${ref}"${manufacturer ? ` of ${manufacturer}` : ''} not found${known}`,
    );
  }
  if (hits.length > 1)
    throw conflict(
      `"${ref}" names ${hits.length} models (${hits.map((m) => `${m.manufacturer} ${m.name}`).join('; ')}); give the manufacturer or the model id`,
    );
  return hits[0]!;
}

async function toCampaign(h: DbHandle, c: CampaignRow, actor: Actor): Promise<Campaign> {
  const m = await modelRef(h, c.model_id);
  const rows = await campaignCounts(h, c.id, actor.siteIds);
  const bySite = new Map<string, CampaignProgressRow>();
  const byState: Partial<Record<TaskState, number>> = {};
  let total = 0;
  let done = 0;
  for (const r of rows) {
    const k = `${r.site_id ?? ''}\u0000${r.department ?? ''}`;
    const row = bySite.get(k) ?? {
      siteId: r.site_id,
      site: r.site,
      department: r.department,
      total: 0,
      done: 0,
      byState: {},
    };
    const s = r.state as TaskState;
    row.byState[s] = (row.byState[s] ?? 0) + r.n;
    row.total += r.n;
    byState[s] = (byState[s] ?? 0) + r.n;
    total += r.n;
    if (s === 'verified' || s === 'closed') {
      row.done += r.n;
      done += r.n;
    }
    bySite.set(k, row);
  }
  return {
    id: c.id,
    title: c.title,
    action: c.action as Campaign['action'],
    modelId: c.model_id,
    model: m?.name ?? null,
    manufacturer: m?.manufacturer ?? null,
    version: c.version,
    vulnerability: c.vuln_key,
    fix: c.fix,
    due: c.due_at,
    createdBy: c.created_by,
    createdAt: c.created_at,
    progress: {
      total,
      done,
      percentDone: total ? Math.round((done / total) * 1000) / 10 : 0,
      byState,
      bySite: [...bySite.values()].sort(
        (a, b) =>
          (a.site ?? '').localeCompare(b.site ?? '') ||
          (a.department ?? '').localeCompare(b.department ?? ''),
      ),
    },
  };
}

/**
 * `vigil tasks campaign create`: a campaign and one task per device in scope (existing live tasks for
 * the same vulnerability join the campaign instead of being duplicated).
 */
export async function createCampaign(
  vdb: DbHandle,
  actor: Actor,
  input: unknown,
  now: Date = new Date(),
): Promise<Campaign & { tasksCreated: number; tasksAdopted: number }> {
  assertCan(actor, 'tasks:write');
  assertAllSites(actor, 'A campaign (one action across a model)');
  const q = parseInput(CampaignCreateSchema, input, 'campaign');
  return transaction(vdb, async (tx) => {
    const model = await resolveModel(tx, q.model, q.manufacturer);
    const vulnKey = q.vulnerability?.toUpperCase() ?? null;
    let devices = (await devicesOfModel(tx, model.id)).filter(
      (d) => !q.version || d.firmware_version === q.version || d.software_version === q.version,
    );
    if (vulnKey) {
      const open = new Set(await devicesMatching(tx, vulnKey, OPEN_MATCH));
      devices = devices.filter((d) => open.has(d.id));
    }
    if (q.devices) {
      const only = new Set(q.devices);
      devices = devices.filter((d) => only.has(d.id));
    }
    if (!devices.length)
      throw invalidInput(
        `No live device of ${model.manufacturer} ${model.name}${q.version ? ` ${q.version}` : ''}${vulnKey ? ` has an open match of ${vulnKey}` : ''}`,
      );
    const at = now.toISOString();
    const row: CampaignRow = {
      id: newId(),
      title:
        q.title ??
        `${q.action === 'recall' ? 'Recall' : 'Update'} ${model.manufacturer} ${model.name}${q.version ? ` ${q.version}` : ''}${vulnKey ? ` for ${vulnKey}` : ''}`,
      action: q.action,
      model_id: model.id,
      version: q.version ?? null,
      vuln_key: vulnKey,
      fix: q.fix ?? null,
      due_at: q.due ?? null,
      created_by: actor.name,
      created_at: at,
      updated_at: at,
    };
    await insertCampaign(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'tasks.campaign-create',
      target: { type: 'campaign', id: row.id },
      summary: {
        title: row.title,
        action: row.action,
        modelId: model.id,
        model: `${model.manufacturer} ${model.name}`,
        version: row.version,
        vulnerability: vulnKey,
        devices: devices.length,
      },
    });
    await queueTaskEvents(tx, [{ type: 'vigil.campaign.created', subjectId: row.id, occurredAt: at }]);
    const existing = vulnKey
      ? new Map(
          (await liveTasksFor(tx, { deviceIds: devices.map((d) => d.id), vulnKey })).map((t) => [
            t.device_id,
            t,
          ]),
        )
      : new Map();
    const acceptances = vulnKey ? await activeAcceptances(tx, at, vulnKey) : [];
    const labels = await deviceLabels(
      tx,
      devices.filter((d) => !existing.has(d.id)).map((d) => d.id),
    );
    let created = 0;
    let adopted = 0;
    for (const d of devices) {
      const t = existing.get(d.id);
      if (t) {
        if (t.campaign_id !== row.id) {
          await updateTaskRow(tx, t.id, { campaign_id: row.id, updated_at: at });
          await recordTaskChange(tx, actor, t, {
            action: 'update',
            from: t.state,
            to: t.state,
            at,
            details: { before: { campaignId: t.campaign_id }, after: { campaignId: row.id } },
          });
          adopted++;
        }
        continue;
      }
      let fix = row.fix;
      if (!fix && vulnKey) {
        const m = await matchFor(tx, d.id, vulnKey);
        if (m) fix = await fixOfMatch(tx, m.fingerprint);
      }
      await insertNewTask(
        tx,
        actor,
        {
          kind: vulnKey ? 'vulnerability' : 'action',
          device: d,
          vulnKey,
          findingId: null,
          campaignId: row.id,
          title: `${row.title}: ${labelIn(labels, d.id)}`,
          due: row.due_at,
          dueSource: row.due_at ? 'campaign' : null,
          fix,
          controls: [],
        },
        now,
        acceptances,
      );
      created++;
    }
    return { ...(await toCampaign(tx, row, actor)), tasksCreated: created, tasksAdopted: adopted };
  });
}

/**
 * Adds a task to an existing campaign for each of these live devices of its model that has none in it
 * yet: a recall campaign must also cover a unit a person confirmed after the campaign was opened, or
 * the record would not show that every affected device got the action. Returns how many were added.
 */
export async function addCampaignDevices(
  tx: DbHandle,
  actor: Actor,
  campaignId: string,
  deviceIds: readonly string[],
  now: Date = new Date(),
): Promise<number> {
  assertCan(actor, 'tasks:write');
  assertAllSites(actor, 'A campaign (one action across a model)');
  const row = await getCampaign(tx, campaignId);
  if (!row) throw notFound(`Campaign ${campaignId}`);
  const have = new Set((await listTaskViews(tx, { campaignId })).map((t) => t.device_id));
  const wanted = new Set(deviceIds);
  const devices = (await devicesOfModel(tx, row.model_id)).filter((d) => wanted.has(d.id) && !have.has(d.id));
  const labels = await deviceLabels(
    tx,
    devices.map((d) => d.id),
  );
  const acceptances = row.vuln_key ? await activeAcceptances(tx, now.toISOString(), row.vuln_key) : [];
  for (const d of devices) {
    await insertNewTask(
      tx,
      actor,
      {
        kind: row.vuln_key ? 'vulnerability' : 'action',
        device: d,
        vulnKey: row.vuln_key,
        findingId: null,
        campaignId: row.id,
        title: `${row.title}: ${labelIn(labels, d.id)}`,
        due: row.due_at,
        dueSource: row.due_at ? 'campaign' : null,
        fix: row.fix,
        controls: [],
      },
      now,
      acceptances,
    );
  }
  return devices.length;
}

export async function getCampaignView(h: DbHandle, actor: Actor, id: string): Promise<Campaign> {
  assertCan(actor, 'tasks:read');
  const c = await getCampaign(h, id);
  if (!c) throw notFound(`Campaign ${id}`);
  return toCampaign(h, c, actor);
}

export async function listCampaigns(h: DbHandle, actor: Actor): Promise<Campaign[]> {
  assertCan(actor, 'tasks:read');
  const out: Campaign[] = [];
  for (const c of await listCampaignRows(h)) {
    const view = await toCampaign(h, c, actor);
    // A site-limited reader sees the campaigns that have devices at its sites.
    if (actor.siteIds && view.progress.total === 0) continue;
    out.push(view);
  }
  return out;
}
