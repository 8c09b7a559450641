/**
 * @module Communication baselines as people work them: learn (per device and per model, over a window of
 * stored communications), show, edit by hand (allow or deny an entry, or remove a hand-made one, always
 * with a reason), approve (learning → active: only active baselines raise alerts). Every change is audited
 * with its actor in the same transaction.
 */
import { z } from 'zod';
import { type Actor, assertCan, reachesSite } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { invalidInput, notFound } from '../../errors.js';
import { parseInput } from '../../inventory/device-input.js';
import { resolveDevice } from '../../inventory/inventory-service.js';
import {
  type BaselineEntryRow,
  type BaselineRow,
  deleteEntry,
  entriesOf,
  findBaseline,
  findEntry,
  insertBaseline,
  insertEntry,
  listBaselines,
  listCommunications,
  replaceLearnedEntries,
  updateBaseline,
  updateEntry,
} from '../../store/communication-store.js';
import { getDevices, siteIdsOfModels } from '../../store/device-store.js';
import { protocolsOf } from '../../store/discovery-store.js';
import { newId, nowIso } from '../../store/ids.js';
import { findSite } from '../../store/site-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import { resolveModel } from '../../tasks/campaigns-service.js';
import { BASELINE_ENTRY_KINDS, learnBaselines } from './learn.js';
import { deviceFacts } from './peers.js';

export const BASELINE_STATES = ['learning', 'active'] as const;

export interface BaselineEntry {
  id: string;
  kind: string;
  value: string;
  effect: 'allow' | 'deny';
  origin: 'learned' | 'manual';
  details: Record<string, unknown>;
  reason: string | null;
  createdBy: string;
  createdAt: string;
}

export interface Baseline {
  id: string;
  scope: 'device' | 'model';
  deviceId: string | null;
  modelId: string | null;
  siteId: string | null;
  state: (typeof BASELINE_STATES)[number];
  windowDays: number;
  windowStart: string;
  windowEnd: string;
  learnedAt: string;
  learnedBy: string;
  approvedBy: string | null;
  approvedAt: string | null;
  lastSeen: string | null;
  entries: BaselineEntry[];
}

const DAY_MS = 86_400_000;

export const LearnSchema = z
  .object({
    siteId: z.string().min(1).max(200).optional(),
    days: z.number().int().min(1).max(365).default(7),
    /** For tests and replays: the end of the window (default now). */
    now: z.string().datetime().optional(),
  })
  .strict();

export const SubjectSchema = z
  .object({
    device: z.string().min(1).max(200).optional(),
    model: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((s) => Boolean(s.device) !== Boolean(s.model), 'give exactly one of device or model');

export const EntryEditSchema = z
  .object({
    device: z.string().min(1).max(200).optional(),
    model: z.string().min(1).max(200).optional(),
    kind: z.enum(BASELINE_ENTRY_KINDS),
    value: z.string().min(1).max(300),
    reason: z.string().trim().min(3).max(1000),
  })
  .strict()
  .refine((s) => Boolean(s.device) !== Boolean(s.model), 'give exactly one of device or model');

export const ApproveSchema = z
  .object({
    device: z.string().min(1).max(200).optional(),
    model: z.string().min(1).max(200).optional(),
    /** Approve every learning baseline (of the site when given). */
    all: z.boolean().optional(),
    siteId: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine(
    (s) => [s.device, s.model, s.all].filter(Boolean).length === 1,
    'give exactly one of device, model or all',
  );

function toBaseline(r: BaselineRow, entries: BaselineEntryRow[]): Baseline {
  return {
    id: r.id,
    scope: r.scope as Baseline['scope'],
    deviceId: r.device_id,
    modelId: r.model_id,
    siteId: r.site_id,
    state: r.state as Baseline['state'],
    windowDays: r.window_days,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    learnedAt: r.learned_at,
    learnedBy: r.learned_by,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
    lastSeen: r.last_seen,
    entries: entries.map((e) => ({
      id: e.id,
      kind: e.kind,
      value: e.value,
      effect: e.effect as BaselineEntry['effect'],
      origin: e.origin as BaselineEntry['origin'],
      details: JSON.parse(e.details) as Record<string, unknown>,
      reason: e.reason,
      createdBy: e.created_by,
      createdAt: e.created_at,
    })),
  };
}

export interface LearnReport {
  devices: number;
  models: number;
  created: number;
  updated: number;
  windowStart: string;
  windowEnd: string;
}

/**
 * A `siteId` filter by id or name (what `--site` is given elsewhere). An unknown one is refused: matched
 * as it was, a site's name learned, approved or listed nothing, and said so only as "0 baselines".
 */
async function siteIdOf(h: DbHandle, actor: Actor, ref: string | undefined): Promise<string | undefined> {
  if (ref === undefined) return undefined;
  const row = await findSite(h, ref);
  // Another site does not exist for a token limited to sites, as on reads.
  if (!row || !reachesSite(actor, row.id)) throw notFound(`Site ${ref}`);
  return row.id;
}

/**
 * Learns (or re-learns) baselines from the communications last seen inside the window. Learned entries
 * are replaced; entries made by hand stay, and so does an approved baseline's state.
 */
export async function learnBaselinesFromTraffic(
  h: DbHandle,
  actor: Actor,
  input: unknown,
): Promise<LearnReport> {
  assertCan(actor, 'monitor:write');
  const q = parseInput(LearnSchema, input, 'baseline learning request');
  q.siteId = await siteIdOf(h, actor, q.siteId);
  const end = q.now ?? nowIso();
  const start = new Date(Date.parse(end) - q.days * DAY_MS).toISOString();
  return transaction(h, async (tx) => {
    // Every site's traffic, even for one site: a device's conversations with other sites' devices are
    // recorded under the client's site, and a model's baseline takes every device of the model. Learned
    // from one site's rows only, the site's servers would lose their other sites' clients and a model
    // spanning sites would be rewritten as that site's. `--site` chooses what is written, below.
    const comms = (await listCommunications(tx, { since: start })).filter((c) => c.firstSeen <= end);
    const ids = [...new Set(comms.flatMap((c) => [c.clientDeviceId, c.serverDeviceId]))].filter(
      (x): x is string => x !== null,
    );
    const devices = new Map((await getDevices(tx, ids)).map((d) => [d.id, deviceFacts(d)]));
    const aeTitles = new Map<string, string[]>();
    for (const p of await protocolsOf(tx, ids)) {
      if (p.protocol !== 'dicom') continue;
      const d = JSON.parse(p.details) as { aeTitles?: string[] };
      aeTitles.set(p.device_id, d.aeTitles ?? []);
    }
    const learned = learnBaselines({ communications: comms, devices, aeTitles, days: q.days });
    const report: LearnReport = {
      devices: 0,
      models: 0,
      created: 0,
      updated: 0,
      windowStart: start,
      windowEnd: end,
    };
    const now = nowIso();
    const reaches = await baselineReach(
      tx,
      actor,
      learned.filter((b) => b.scope === 'model').map((b) => b.subject),
    );
    for (const b of learned) {
      let row = await findBaseline(tx, b.subject);
      // A token limited to sites learns its own sites' baselines only: a model's baseline across sites
      // (no site) or another site's would otherwise be re-learned from traffic it chose.
      if (!reachesSite(actor, b.siteId) || (row && !reaches(row))) continue;
      // With `--site`, that site's baselines only: a model's across sites (no site) is left as it is.
      if (q.siteId && (b.siteId !== q.siteId || (row && row.site_id !== q.siteId))) continue;
      if (b.scope === 'device') report.devices++;
      else report.models++;
      if (row) {
        report.updated++;
        await updateBaseline(tx, row.id, {
          window_days: q.days,
          window_start: start,
          window_end: end,
          learned_at: now,
          learned_by: actor.name,
          last_seen: b.lastSeen,
          site_id: b.siteId,
          updated_at: now,
        });
      } else {
        report.created++;
        row = {
          id: newId(),
          scope: b.scope,
          device_id: b.scope === 'device' ? b.subject : null,
          model_id: b.scope === 'model' ? b.subject : null,
          subject_key: b.subject,
          site_id: b.siteId,
          state: 'learning',
          window_days: q.days,
          window_start: start,
          window_end: end,
          learned_at: now,
          learned_by: actor.name,
          approved_by: null,
          approved_at: null,
          last_seen: b.lastSeen,
          created_at: now,
          updated_at: now,
        };
        await insertBaseline(tx, row);
      }
      const baselineId = row.id;
      await replaceLearnedEntries(
        tx,
        baselineId,
        b.entries.map((e) => ({
          id: newId(),
          baseline_id: baselineId,
          kind: e.kind,
          value: e.value,
          effect: 'allow',
          origin: 'learned',
          details: JSON.stringify(e.details),
          reason: null,
          created_by: actor.name,
          created_at: now,
        })),
      );
    }
    await appendAudit(tx, {
      actor,
      action: 'baseline.learn',
      target: { type: 'baseline' },
      summary: { siteId: q.siteId ?? null, days: q.days, ...report },
    });
    return report;
  });
}

async function subjectKey(
  h: DbHandle,
  actor: Actor,
  s: { device?: string | undefined; model?: string | undefined },
) {
  if (s.device) return (await resolveDevice(h, actor, s.device)).id;
  return (await resolveModel(h, s.model!)).id;
}

/**
 * Which baselines an actor reaches: all, unless limited to sites. Then a device's at one of its sites, and a
 * model's only while every device of the model is at its sites now: a model baseline's recorded site is
 * where its devices were when it was learned, and an allow on it counts for a device of the model that has
 * since moved to (or been found at) another site.
 */
const modelIdsOf = (rows: readonly BaselineRow[]) =>
  rows.flatMap((r) => (r.scope === 'model' && r.model_id ? [r.model_id] : []));

async function baselineReach(
  h: DbHandle,
  actor: Actor,
  modelIds: readonly string[],
): Promise<(row: Pick<BaselineRow, 'scope' | 'model_id' | 'site_id'>) => boolean> {
  if (!actor.siteIds) return () => true;
  const sitesOf = await siteIdsOfModels(h, modelIds);
  return (row) =>
    reachesSite(actor, row.site_id) &&
    (row.scope !== 'model' ||
      [...(sitesOf.get(row.model_id ?? '') ?? [])].every((s) => reachesSite(actor, s)));
}

async function baselineOf(
  h: DbHandle,
  actor: Actor,
  s: { device?: string | undefined; model?: string | undefined },
) {
  const key = await subjectKey(h, actor, s);
  const row = await findBaseline(h, key);
  // A model's baseline spans sites unless all its devices are at one: beyond a site-limited token.
  const reaches = row ? await baselineReach(h, actor, row.model_id ? [row.model_id] : []) : undefined;
  if (!row || !reaches?.(row))
    throw notFound(
      `Baseline of ${s.device ? `device "${s.device}"` : `model "${s.model}"`} (run \`vigil baseline learn\`)`,
    );
  return row;
}

export async function showBaseline(h: DbHandle, actor: Actor, input: unknown): Promise<Baseline> {
  assertCan(actor, 'monitor:read');
  const s = parseInput(SubjectSchema, input, 'baseline subject');
  const row = await baselineOf(h, actor, s);
  return toBaseline(row, (await entriesOf(h, [row.id])).get(row.id) ?? []);
}

/** A misspelt state or scope (`--state approved`) is refused: as a filter it matched nothing, silently. */
const ListFilterSchema = z.strictObject({
  siteId: z.string().min(1).max(200).optional(),
  state: z.enum(BASELINE_STATES).optional(),
  scope: z.enum(['device', 'model']).optional(),
});

export async function listBaselineViews(
  h: DbHandle,
  actor: Actor,
  filter: { siteId?: string; state?: string; scope?: string } = {},
): Promise<Baseline[]> {
  assertCan(actor, 'monitor:read');
  const f = parseInput(ListFilterSchema, filter, 'baseline list filter');
  const siteId = await siteIdOf(h, actor, f.siteId);
  const all = await listBaselines(h, { ...f, ...(siteId ? { siteId } : {}) });
  const reaches = await baselineReach(h, actor, modelIdsOf(all));
  const rows = all.filter(reaches);
  const entries = await entriesOf(
    h,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toBaseline(r, entries.get(r.id) ?? []));
}

/**
 * Adds an entry by hand (`allow`), marks one as not allowed (`deny`: alerts fire even if it was learned),
 * or removes a hand-made entry (`remove`). The reason is kept on the entry and in the audit log.
 */
export async function editBaselineEntry(
  h: DbHandle,
  actor: Actor,
  effect: 'allow' | 'deny' | 'remove',
  input: unknown,
): Promise<Baseline> {
  assertCan(actor, 'monitor:write');
  const q = parseInput(EntryEditSchema, input, 'baseline entry');
  return transaction(h, async (tx) => {
    const row = await baselineOf(tx, actor, q);
    const prev = await findEntry(tx, row.id, q.kind, q.value);
    const now = nowIso();
    if (effect === 'remove') {
      if (!prev) throw notFound(`Entry ${q.kind} "${q.value}"`);
      if (prev.origin !== 'manual')
        throw invalidInput(`Entry ${q.kind} "${q.value}" was learned; deny it instead of removing it`);
      await deleteEntry(tx, prev.id);
    } else if (prev) {
      await updateEntry(tx, prev.id, {
        effect,
        origin: 'manual',
        reason: q.reason,
        created_by: actor.name,
        created_at: now,
      });
    } else {
      await insertEntry(tx, {
        id: newId(),
        baseline_id: row.id,
        kind: q.kind,
        value: q.value,
        effect,
        origin: 'manual',
        details: '{}',
        reason: q.reason,
        created_by: actor.name,
        created_at: now,
      });
    }
    await updateBaseline(tx, row.id, { updated_at: now });
    await appendAudit(tx, {
      actor,
      action: `baseline.${effect}`,
      target: { type: 'baseline', id: row.id },
      summary: {
        subject: row.subject_key,
        scope: row.scope,
        kind: q.kind,
        value: q.value,
        reason: q.reason,
        before: prev?.effect ?? null,
      },
    });
    return toBaseline(row, (await entriesOf(tx, [row.id])).get(row.id) ?? []);
  });
}

/** learning → active: from now on traffic outside the baseline raises alerts. */
export async function approveBaselines(
  h: DbHandle,
  actor: Actor,
  input: unknown,
): Promise<{ approved: string[] }> {
  assertCan(actor, 'monitor:write');
  const q = parseInput(ApproveSchema, input, 'baseline approval');
  q.siteId = await siteIdOf(h, actor, q.siteId);
  return transaction(h, async (tx) => {
    const learning = q.all
      ? await listBaselines(tx, { state: 'learning', ...(q.siteId ? { siteId: q.siteId } : {}) })
      : [];
    const reaches = await baselineReach(tx, actor, modelIdsOf(learning));
    const rows = q.all ? learning.filter(reaches) : [await baselineOf(tx, actor, q)];
    const now = nowIso();
    const approved: string[] = [];
    for (const r of rows) {
      if (r.state === 'active') continue;
      await updateBaseline(tx, r.id, {
        state: 'active',
        approved_by: actor.name,
        approved_at: now,
        updated_at: now,
      });
      approved.push(r.id);
    }
    await appendAudit(tx, {
      actor,
      action: 'baseline.approve',
      target: { type: 'baseline', ...(approved.length === 1 ? { id: approved[0] } : {}) },
      summary: { approved: approved.length, ids: approved.slice(0, 100), all: q.all ?? false },
    });
    return { approved };
  });
}
