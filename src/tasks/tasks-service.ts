/**
 * @module Remediation tasks as people work them: create one for a (device, vulnerability) match or a
 * finding, list and show them (with their history and an overdue flag computed against `now`), move
 * them through the state machine (tasks/task-states.ts), change their fields and compensating
 * controls. Every change writes a task event and an audit entry in the same transaction.
 * Verification lives in tasks/verification.ts, risk acceptances in tasks/acceptance-service.ts,
 * campaigns in tasks/campaigns-service.ts.
 */
import { z } from 'zod';
import { type Actor, assertCan, can } from '../accounts/actor.js';
import { ALL_PERMISSIONS } from '../accounts/permissions.js';
import { appendAudit } from '../audit/audit-log.js';
import { conflict, invalidInput, notFound } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import { deviceLabels, labelIn } from '../inventory/device-label.js';
import { resolveDevice } from '../inventory/inventory-service.js';
import { type QueueOptions, queueItemOf } from '../risk/queue-service.js';
import { kevFor } from '../store/advisory-store.js';
import { newId } from '../store/ids.js';
import { detailsOf, matchFor } from '../store/match-store.js';
import {
  type AcceptanceRow,
  activeAcceptances,
  deviceStates,
  findingForTask,
  getTaskView,
  insertTask,
  insertTaskEvent,
  listTaskViews,
  liveTasksFor,
  type TaskEventRow,
  type TaskRow,
  type TaskView,
  taskEvents,
  updateTaskRow,
} from '../store/tasks-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { acceptanceCovering } from './acceptance-cover.js';
import { CONTROLS, type ControlKind } from './compensating-controls.js';
import { restartedSla, slaDetails } from './sla-restart.js';
import { queueTaskEvents, taskEventTypes } from './task-events.js';
import { type Remediation, taskFixText } from './task-fix.js';
import {
  ACTIVE_STATES,
  checkTransition,
  nextStates,
  TASK_STATES,
  type TaskState,
  type TransitionInput,
  type TransitionVia,
} from './task-states.js';

export const TASK_KINDS = ['vulnerability', 'finding', 'action'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export interface CompensatingControl {
  control: ControlKind;
  note: string | null;
  at: string;
  by: string;
  /** Set when the control came with a risk acceptance. */
  acceptanceId?: string;
}

/** The Task JSON contract (docs/tasks.md). */
export interface Task {
  id: string;
  kind: TaskKind;
  deviceId: string;
  /**
   * What a person calls the device (inventory/device-label.ts): the asset tag, else make and model (or
   * class) with its newest host name, IP or MAC, else the address. For display only; `deviceId` is the key.
   */
  deviceLabel: string;
  assetTag: string | null;
  siteId: string | null;
  site: string | null;
  department: string | null;
  vulnerability: string | null;
  findingId: string | null;
  campaignId: string | null;
  acceptanceId: string | null;
  title: string;
  state: TaskState;
  due: string | null;
  overdue: boolean;
  /**
   * The time to act the task got with its due date (`due − now` then, at least 0), or the decision's SLA
   * it restarted with after a risk acceptance when none was left (sla-restart.ts); null without a due date.
   */
  slaSeconds: number | null;
  assignee: string | null;
  departmentContacted: string | null;
  maintenanceWindow: { start: string; end: string } | null;
  applied: { by: string; at: string } | null;
  fix: string | null;
  controls: CompensatingControl[];
  verifiedAt: string | null;
  verification: Record<string, unknown> | null;
  closeReason: string | null;
  nextStates: TaskState[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface TaskEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  from: TaskState | null;
  to: TaskState;
  details: Record<string, unknown>;
}

export interface TaskDetail extends Task {
  events: TaskEvent[];
}

/** Vigil itself, for verification and expiry run by the matcher, the scheduler or `vigil tasks verify`. */
export const SYSTEM_ACTOR: Actor = {
  kind: 'system',
  id: 'vigil',
  name: 'vigil',
  permissions: new Set(ALL_PERMISSIONS),
};

const iso = z
  .string()
  .trim()
  .max(40)
  .refine((v) => !Number.isNaN(Date.parse(v)), 'not an ISO-8601 date')
  .transform((v) => new Date(v).toISOString());
const shortText = (max: number) => z.string().trim().min(1).max(max);

export const ControlInputSchema = z.strictObject({
  control: z.enum(CONTROLS),
  note: z.string().trim().max(2000).optional(),
});

export const TaskCreateSchema = z
  .strictObject({
    device: shortText(200).optional(),
    vulnerability: shortText(128).optional(),
    finding: shortText(64).optional(),
    title: shortText(500).optional(),
    due: iso.optional(),
    assignee: shortText(200).optional(),
    departmentContacted: shortText(200).optional(),
    fix: shortText(4000).optional(),
    controls: z.array(ControlInputSchema).max(10).optional(),
  })
  .refine((v) => (v.finding ? !v.device && !v.vulnerability : Boolean(v.device && v.vulnerability)), {
    message: 'give device and vulnerability, or finding',
    path: ['device'],
  });

export const TaskUpdateSchema = z.strictObject({
  title: shortText(500).optional(),
  due: iso.nullable().optional(),
  assignee: shortText(200).nullable().optional(),
  departmentContacted: shortText(200).nullable().optional(),
  fix: shortText(4000).nullable().optional(),
  controls: z.array(ControlInputSchema).max(10).optional(),
});

export const TaskMoveSchema = z.strictObject({
  state: z.enum(TASK_STATES),
  assignee: shortText(200).optional(),
  departmentContacted: shortText(200).optional(),
  windowStart: iso.optional(),
  windowEnd: iso.optional(),
  appliedBy: shortText(200).optional(),
  appliedAt: iso.optional(),
  reason: shortText(2000).optional(),
});

export const TaskQuerySchema = z.strictObject({
  state: z.array(z.enum(TASK_STATES)).optional(),
  overdue: z.boolean().optional(),
  deviceId: z.string().max(64).optional(),
  vulnerability: z.string().max(128).optional(),
  findingId: z.string().max(64).optional(),
  campaignId: z.string().max(64).optional(),
  acceptanceId: z.string().max(64).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
  offset: z.number().int().min(0).optional(),
});
export type TaskQuery = z.input<typeof TaskQuerySchema>;

export function isOverdue(row: Pick<TaskRow, 'due_at' | 'state'>, now: Date): boolean {
  return Boolean(
    row.due_at && (ACTIVE_STATES as readonly string[]).includes(row.state) && row.due_at < now.toISOString(),
  );
}

/** The task of a stored row, its device named from `labels` (deviceLabels). */
function toTask(r: TaskView, now: Date, labels: ReadonlyMap<string, string>): Task {
  const state = r.state as TaskState;
  return {
    id: r.id,
    kind: r.kind as TaskKind,
    deviceId: r.device_id,
    deviceLabel: labelIn(labels, r.device_id),
    assetTag: r.asset_tag,
    siteId: r.site_id,
    site: r.site_name,
    department: r.department,
    vulnerability: r.vuln_key,
    findingId: r.finding_id,
    campaignId: r.campaign_id,
    acceptanceId: r.acceptance_id,
    title: r.title,
    state,
    due: r.due_at,
    overdue: isOverdue(r, now),
    slaSeconds: r.sla_seconds === null ? null : Number(r.sla_seconds),
    assignee: r.assignee,
    departmentContacted: r.department_contacted,
    maintenanceWindow: r.window_start && r.window_end ? { start: r.window_start, end: r.window_end } : null,
    applied: r.applied_by && r.applied_at ? { by: r.applied_by, at: r.applied_at } : null,
    fix: r.fix,
    controls: JSON.parse(r.controls) as CompensatingControl[],
    verifiedAt: r.verified_at,
    verification: r.verification ? (JSON.parse(r.verification) as Record<string, unknown>) : null,
    closeReason: r.close_reason,
    nextStates: nextStates(state, 'user'),
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Tasks with their devices' labels, read once for the whole batch. */
export async function toTasks(
  h: DbHandle,
  rows: readonly TaskView[],
  now: Date = new Date(),
): Promise<Task[]> {
  const labels = await deviceLabels(
    h,
    rows.map((r) => r.device_id),
  );
  return rows.map((r) => toTask(r, now, labels));
}

/** One task by id, as the caller's transaction sees it after a change. */
async function readTask(h: DbHandle, id: string, now: Date): Promise<Task> {
  const [task] = await toTasks(h, [(await getTaskView(h, id))!], now);
  return task!;
}

function toEvent(e: TaskEventRow): TaskEvent {
  return {
    id: e.id,
    at: e.at,
    actor: e.actor,
    action: e.action,
    from: e.from_state as TaskState | null,
    to: e.to_state as TaskState,
    details: JSON.parse(e.details) as Record<string, unknown>,
  };
}

/**
 * Runs `fn` in a transaction, or in the caller's when `h` already is one (so the matcher can call
 * verification inside its own match-run transaction).
 */
export async function withinTransaction<T>(h: DbHandle, fn: (tx: DbHandle) => Promise<T>): Promise<T> {
  return h.db.isTransaction ? fn(h) : transaction(h, fn);
}

export function inActorScope(actor: Actor, siteId: string | null): boolean {
  return !actor.siteIds || (siteId !== null && actor.siteIds.includes(siteId));
}

/** A task the actor may see, or not_found. */
export async function taskInScope(h: DbHandle, actor: Actor, id: string): Promise<TaskView> {
  const row = await getTaskView(h, id);
  if (!row || !inActorScope(actor, row.site_id)) throw notFound(`Task ${id}`);
  return row;
}

export async function listTasks(
  h: DbHandle,
  actor: Actor,
  query: unknown = {},
  now: Date = new Date(),
): Promise<Task[]> {
  assertCan(actor, 'tasks:read');
  const q = parseInput(TaskQuerySchema, query ?? {}, 'task query');
  let states = q.state;
  if (q.overdue) states = (states ?? [...ACTIVE_STATES]).filter((s) => ACTIVE_STATES.includes(s));
  const rows = await listTaskViews(h, {
    ...(states ? { states } : {}),
    ...(q.deviceId ? { deviceId: q.deviceId } : {}),
    ...(q.vulnerability ? { vulnKey: q.vulnerability.toUpperCase() } : {}),
    ...(q.findingId ? { findingId: q.findingId } : {}),
    ...(q.campaignId ? { campaignId: q.campaignId } : {}),
    ...(q.acceptanceId ? { acceptanceId: q.acceptanceId } : {}),
    ...(q.overdue ? { dueBefore: now.toISOString() } : {}),
    ...(actor.siteIds ? { siteIds: actor.siteIds } : {}),
    limit: q.limit ?? 1000,
    offset: q.offset ?? 0,
  });
  return toTasks(h, rows, now);
}

export async function getTask(
  h: DbHandle,
  actor: Actor,
  id: string,
  now: Date = new Date(),
): Promise<TaskDetail> {
  assertCan(actor, 'tasks:read');
  const row = await taskInScope(h, actor, id);
  const [task] = await toTasks(h, [row], now);
  return { ...task!, events: (await taskEvents(h, id)).map(toEvent) };
}

// ---- writing ----

/**
 * Writes a task event and its audit entry (one per change, in the caller's transaction), and queues what
 * ticketing systems are sent about it.
 */
export async function recordTaskChange(
  tx: DbHandle,
  actor: Actor,
  task: Pick<TaskRow, 'id' | 'device_id' | 'vuln_key' | 'finding_id'>,
  change: { action: string; from: string | null; to: string; details: Record<string, unknown>; at?: string },
): Promise<void> {
  const at = change.at ?? new Date().toISOString();
  const eventId = newId();
  await insertTaskEvent(tx, {
    id: eventId,
    task_id: task.id,
    at,
    actor: actor.name,
    action: change.action,
    from_state: change.from,
    to_state: change.to,
    details: JSON.stringify(change.details),
  });
  await appendAudit(tx, {
    actor,
    action: `tasks.${change.action}`,
    target: { type: 'task', id: task.id },
    summary: {
      deviceId: task.device_id,
      vulnerability: task.vuln_key,
      findingId: task.finding_id,
      before: { state: change.from },
      after: { state: change.to },
      ...change.details,
    },
  });
  // Ticketing systems hear of it once this transaction commits (task-events.ts).
  await queueTaskEvents(
    tx,
    taskEventTypes(change).map((type) => ({
      type,
      subjectId: task.id,
      taskEventId: eventId,
      occurredAt: at,
    })),
  );
}

interface MatchDetailsJson {
  evidence?: { remediations?: Remediation[] }[];
}

/** What fixes a match: every remediation its advisories give, the vendor fix first (task-fix.ts). */
export async function fixOfMatch(h: DbHandle, fingerprint: string): Promise<string | null> {
  const raw = await detailsOf(h, fingerprint);
  if (!raw) return null;
  return taskFixText(
    ((JSON.parse(raw) as MatchDetailsJson).evidence ?? []).flatMap((e) => e.remediations ?? []),
  );
}

export interface NewTaskSpec {
  kind: TaskKind;
  device: {
    id: string;
    asset_tag: string | null;
    model_id: string | null;
    firmware_version: string | null;
    software_version: string | null;
  };
  vulnKey: string | null;
  findingId: string | null;
  campaignId: string | null;
  title: string;
  due: string | null;
  assignee?: string | null;
  departmentContacted?: string | null;
  fix: string | null;
  controls: { control: ControlKind; note?: string | undefined }[];
  /** Where the due date came from, for the event. */
  dueSource: string | null;
}

/** Inserts a task (risk-accepted when an active acceptance covers it), its event and audit entry. */
export async function insertNewTask(
  tx: DbHandle,
  actor: Actor,
  spec: NewTaskSpec,
  now: Date,
  acceptances: readonly AcceptanceRow[] = [],
): Promise<TaskRow> {
  const at = now.toISOString();
  const acceptance = spec.vulnKey ? acceptanceCovering(acceptances, spec.device) : undefined;
  const controls: CompensatingControl[] = spec.controls.map((c) => ({
    control: c.control,
    note: c.note ?? null,
    at,
    by: actor.name,
  }));
  if (acceptance) controls.push(...acceptanceControls(acceptance));
  const row: TaskRow = {
    id: newId(),
    kind: spec.kind,
    device_id: spec.device.id,
    vuln_key: spec.vulnKey,
    finding_id: spec.findingId,
    campaign_id: spec.campaignId,
    acceptance_id: acceptance?.id ?? null,
    title: spec.title,
    state: acceptance ? 'risk-accepted' : 'open',
    due_at: spec.due,
    sla_seconds: spec.due ? Math.max(0, Math.round((Date.parse(spec.due) - now.getTime()) / 1000)) : null,
    assignee: spec.assignee ?? null,
    department_contacted: spec.departmentContacted ?? null,
    window_start: null,
    window_end: null,
    applied_by: null,
    applied_at: null,
    fix: spec.fix,
    controls: JSON.stringify(controls),
    verified_at: null,
    verification: null,
    close_reason: null,
    created_by: actor.name,
    created_at: at,
    updated_at: at,
  };
  await insertTask(tx, row);
  await recordTaskChange(tx, actor, row, {
    action: 'create',
    from: null,
    to: row.state,
    at,
    details: {
      title: row.title,
      due: row.due_at,
      dueSource: spec.dueSource,
      campaignId: row.campaign_id,
      // The version the task starts from: verification needs it to tell a fix from a vanished match.
      deviceVersion: { firmware: spec.device.firmware_version, software: spec.device.software_version },
      ...(acceptance ? { acceptanceId: acceptance.id } : {}),
    },
  });
  return row;
}

export function acceptanceControls(a: AcceptanceRow): CompensatingControl[] {
  return (JSON.parse(a.controls) as { control: ControlKind; note?: string | null }[]).map((c) => ({
    control: c.control,
    note: c.note ?? null,
    at: a.created_at,
    by: a.approver,
    acceptanceId: a.id,
  }));
}

/**
 * A new task's due date: the one given, else the work queue's for its item (what `vigil queue` shows
 * in DUE), so a task made from the queue keeps the deadline that ranked it. Null when the queue sets none
 * (a deferred item) or the account may not read the queue.
 */
async function dueOf(
  tx: DbHandle,
  actor: Actor,
  given: string | undefined,
  item: Parameters<typeof queueItemOf>[2],
  queue: QueueOptions,
): Promise<{ due: string | null; dueSource: string | null }> {
  if (given) return { due: given, dueSource: 'given' };
  if (!can(actor, 'risk:read') || !can(actor, 'vulns:read')) return { due: null, dueSource: null };
  const it = await queueItemOf(tx, actor, item, queue);
  return it?.due ? { due: it.due, dueSource: 'queue' } : { due: null, dueSource: null };
}

/**
 * `vigil tasks create`: a task for one (device, vulnerability) match or one finding. The due date is the
 * caller's, else the work queue's for that item (its decision's SLA from `queue`, or KEV's date when
 * sooner), else KEV's due date for the CVE, else none. The fix comes from the advisory's remediation
 * unless given.
 */
export async function createTask(
  vdb: DbHandle,
  actor: Actor,
  input: unknown,
  now: Date = new Date(),
  queue: QueueOptions = {},
): Promise<Task> {
  assertCan(actor, 'tasks:write');
  const q = parseInput(TaskCreateSchema, input, 'task');
  return transaction(vdb, async (tx) => {
    let spec: NewTaskSpec;
    if (q.finding) {
      const f = await findingForTask(tx, q.finding);
      if (!f || !inActorScope(actor, f.site_id)) throw notFound(`Finding ${q.finding}`);
      if (f.state === 'resolved' || f.state === 'false-positive')
        throw invalidInput(`Finding ${f.id} is ${f.state}: there is nothing to remediate`);
      const [existing] = await liveTasksFor(tx, { deviceIds: [f.device_id], findingId: f.id });
      if (existing)
        throw conflict(
          `${f.title} on ${labelIn(await deviceLabels(tx, [f.device_id]), f.device_id)} ${already(existing)}`,
        );
      const d = await resolveDevice(tx, actor, f.device_id);
      spec = {
        kind: 'finding',
        device: deviceShape(d),
        vulnKey: null,
        findingId: f.id,
        campaignId: null,
        title: q.title ?? f.title,
        ...(await dueOf(tx, actor, q.due, { deviceId: f.device_id, findingId: f.id }, { ...queue, now })),
        fix: q.fix ?? null,
        controls: q.controls ?? [],
        assignee: q.assignee ?? null,
        departmentContacted: q.departmentContacted ?? null,
      };
    } else {
      const d = await resolveDevice(tx, actor, q.device!);
      const vulnKey = q.vulnerability!.toUpperCase();
      const label = labelIn(await deviceLabels(tx, [d.id]), d.id);
      const m = await matchFor(tx, d.id, vulnKey);
      if (!m) throw notFound(`A match of ${vulnKey} on device ${q.device}`);
      if (m.status === 'fixed' || m.status === 'not-affected')
        throw invalidInput(`${vulnKey} on ${q.device} is ${m.status}: there is nothing to remediate`);
      const [existing] = await liveTasksFor(tx, { deviceIds: [d.id], vulnKey });
      if (existing) throw conflict(`${vulnKey} on ${label} ${already(existing)}`);
      let { due, dueSource } = await dueOf(
        tx,
        actor,
        q.due,
        { deviceId: d.id, vulnerability: vulnKey },
        {
          ...queue,
          now,
        },
      );
      if (!due && m.cve) {
        const kev = (await kevFor(tx, [m.cve])).get(m.cve);
        if (kev?.due_date) {
          due = new Date(`${kev.due_date.slice(0, 10)}T23:59:59Z`).toISOString();
          dueSource = 'kev';
        }
      }
      spec = {
        kind: 'vulnerability',
        device: deviceShape(d),
        vulnKey,
        findingId: null,
        campaignId: null,
        title: q.title ?? `${vulnKey} on ${label}`,
        due,
        dueSource,
        fix: q.fix ?? (await fixOfMatch(tx, m.fingerprint)),
        controls: q.controls ?? [],
        assignee: q.assignee ?? null,
        departmentContacted: q.departmentContacted ?? null,
      };
    }
    const acceptances = spec.vulnKey ? await activeAcceptances(tx, now.toISOString(), spec.vulnKey) : [];
    const row = await insertNewTask(tx, actor, spec, now, acceptances);
    return readTask(tx, row.id, now);
  });
}

/**
 * The end of the refusal to open a second live task for one item: the existing task by title and state
 * (its title names the item and device, which a person recognises; the id follows for the CLI).
 */
const already = (t: { id: string; title: string; state: string }) =>
  `already has task "${t.title}" (${t.state}; id ${t.id})`;

export function deviceShape(d: {
  id: string;
  assetTag: string | null;
  modelId?: string | null;
  firmwareVersion: string | null;
  softwareVersion: string | null;
}): NewTaskSpec['device'] {
  return {
    id: d.id,
    asset_tag: d.assetTag,
    model_id: d.modelId ?? null,
    firmware_version: d.firmwareVersion,
    software_version: d.softwareVersion,
  };
}

/**
 * Moves a task (in the caller's transaction) after checking the state machine; writes the fields the
 * move carries, the event and the audit entry. Used by `moveTask`, verification and acceptances.
 */
export async function applyTransition(
  tx: DbHandle,
  actor: Actor,
  task: TaskRow,
  to: TaskState,
  input: TransitionInput & { departmentContacted?: string | undefined },
  via: TransitionVia,
  extra: {
    patch?: Partial<TaskRow>;
    details?: Record<string, unknown>;
    now?: Date;
    /** The event's name when the move is part of something else (a merge's `supersede`). */
    action?: string;
  } = {},
): Promise<void> {
  const from = task.state as TaskState;
  checkTransition(from, to, input, via);
  const at = (extra.now ?? new Date()).toISOString();
  const patch: Partial<TaskRow> = { state: to, updated_at: at, ...extra.patch };
  if (to === 'scheduled') {
    patch.assignee = input.assignee ?? task.assignee;
    patch.window_start = input.windowStart ?? null;
    patch.window_end = input.windowEnd ?? null;
  }
  if (input.departmentContacted) patch.department_contacted = input.departmentContacted;
  if (to === 'applied') {
    patch.applied_by = input.appliedBy ?? null;
    patch.applied_at = input.appliedAt ?? null;
  }
  if (to === 'verified') patch.verified_at ??= at;
  if (to === 'closed') patch.close_reason = input.reason ?? (from === 'verified' ? null : task.close_reason);
  if (to === 'open') {
    // Re-opened work starts clean: no window, not applied, not verified, no acceptance.
    Object.assign(patch, {
      window_start: null,
      window_end: null,
      applied_by: null,
      applied_at: null,
      verified_at: null,
      verification: null,
      close_reason: null,
      acceptance_id: null,
    });
  }
  if (to !== 'risk-accepted' && from === 'risk-accepted' && patch.acceptance_id === undefined)
    patch.acceptance_id = null;
  await updateTaskRow(tx, task.id, patch);
  const fields = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== null));
  const action =
    extra.action ??
    (via === 'verification'
      ? 'verify'
      : via === 'acceptance'
        ? 'accept'
        : via === 'acceptance-end'
          ? String(extra.details?.['ended'] ?? 'expire')
          : 'move');
  // Re-opened work starts from the device's version now: a later verification compares against it.
  const reopened =
    to === 'open' && from !== 'open' && task.vuln_key
      ? (await deviceStates(tx, [task.device_id]))[0]
      : undefined;
  await recordTaskChange(tx, actor, task, {
    action,
    from,
    to,
    at,
    details: {
      ...fields,
      ...extra.details,
      ...(reopened
        ? { deviceVersion: { firmware: reopened.firmware_version, software: reopened.software_version } }
        : {}),
    },
  });
  Object.assign(task, patch);
}

/**
 * `vigil tasks move ID STATE`: one transition by a person, checked against the state machine. `queue`
 * carries the SLA policy a task leaving a risk acceptance may restart from (sla-restart.ts).
 */
export async function moveTask(
  vdb: DbHandle,
  actor: Actor,
  id: string,
  input: unknown,
  now: Date = new Date(),
  queue: QueueOptions = {},
): Promise<Task> {
  assertCan(actor, 'tasks:write');
  const q = parseInput(TaskMoveSchema, input, 'task move');
  return transaction(vdb, async (tx) => {
    const view = await taskInScope(tx, actor, id);
    const fields: TransitionInput & { departmentContacted?: string } = { ...q };
    // Scheduled needs someone to do it: the task's assignee, unless another is given.
    if (q.state === 'scheduled' && !q.assignee && view.assignee) fields.assignee = view.assignee;
    // Applied needs who and when: the caller, now, unless given.
    if (q.state === 'applied') {
      fields.appliedBy = q.appliedBy ?? actor.name;
      fields.appliedAt = q.appliedAt ?? now.toISOString();
    }
    const patch: Partial<TaskRow> = {};
    if (q.state === 'verified')
      patch.verification = JSON.stringify({ by: actor.name, method: 'manual', reason: q.reason });
    const extra: { patch: Partial<TaskRow>; now: Date; details?: Record<string, unknown> } = { patch, now };
    if (q.state === 'open' && view.state === 'risk-accepted') {
      // Leaving an acceptance by hand restarts the SLA like an expiry does.
      const sla = await restartedSla(tx, SYSTEM_ACTOR, view, now, queue);
      if (sla.due !== null) {
        patch.due_at = sla.due;
        patch.sla_seconds = sla.slaSeconds;
        extra.details = { slaRestarted: true, ...slaDetails(sla) };
      }
    }
    await applyTransition(tx, actor, stripView(view), q.state, fields, 'user', extra);
    return readTask(tx, id, now);
  });
}

export function stripView(v: TaskView): TaskRow {
  const { asset_tag: _a, site_id: _s, site_name: _n, department: _d, ...row } = v;
  return row;
}

/** `vigil tasks update ID`: title, due date, assignee, department contacted, fix, compensating controls. */
export async function updateTask(
  vdb: DbHandle,
  actor: Actor,
  id: string,
  input: unknown,
  now: Date = new Date(),
): Promise<Task> {
  assertCan(actor, 'tasks:write');
  const q = parseInput(TaskUpdateSchema, input, 'task update');
  return transaction(vdb, async (tx) => {
    const view = await taskInScope(tx, actor, id);
    const at = now.toISOString();
    const patch: Partial<TaskRow> = {};
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    const set = <K extends keyof TaskRow>(col: K, name: string, value: TaskRow[K] | undefined) => {
      if (value === undefined || value === view[col]) return;
      patch[col] = value;
      before[name] = view[col];
      after[name] = value;
    };
    set('title', 'title', q.title);
    set('due_at', 'due', q.due);
    if (q.due !== undefined && q.due !== view.due_at)
      patch.sla_seconds = q.due ? Math.max(0, Math.round((Date.parse(q.due) - now.getTime()) / 1000)) : null;
    set('assignee', 'assignee', q.assignee);
    set('department_contacted', 'departmentContacted', q.departmentContacted);
    set('fix', 'fix', q.fix);
    if (q.controls) {
      const old = JSON.parse(view.controls) as CompensatingControl[];
      const kept = old.filter((c) => c.acceptanceId);
      const next: CompensatingControl[] = [
        ...kept,
        ...q.controls.map((c) => {
          const same = old.find(
            (o) => !o.acceptanceId && o.control === c.control && o.note === (c.note ?? null),
          );
          return same ?? { control: c.control, note: c.note ?? null, at, by: actor.name };
        }),
      ];
      const json = JSON.stringify(next);
      if (json !== view.controls) {
        patch.controls = json;
        before['controls'] = old.map((c) => c.control);
        after['controls'] = next.map((c) => c.control);
      }
    }
    if (Object.keys(patch).length) {
      patch.updated_at = at;
      await updateTaskRow(tx, id, patch);
      await recordTaskChange(tx, actor, view, {
        action: q.controls && patch.controls ? 'controls' : 'update',
        from: view.state,
        to: view.state,
        at,
        details: { before, after },
      });
    }
    return readTask(tx, id, now);
  });
}

/**
 * Compensating controls per device, from its live tasks (including those an acceptance brought):
 * the risk work reads these as evidence for Exposure (a segmented or isolated device is less exposed).
 */
export async function compensatingControls(
  h: DbHandle,
  deviceIds: readonly string[],
): Promise<Map<string, (CompensatingControl & { taskId: string; vulnerability: string | null })[]>> {
  const out = new Map<string, (CompensatingControl & { taskId: string; vulnerability: string | null })[]>();
  for (const t of await liveTasksFor(h, { deviceIds })) {
    const list = JSON.parse(t.controls) as CompensatingControl[];
    if (!list.length) continue;
    const known = out.get(t.device_id) ?? [];
    known.push(...list.map((c) => ({ ...c, taskId: t.id, vulnerability: t.vuln_key })));
    out.set(t.device_id, known);
  }
  return out;
}
