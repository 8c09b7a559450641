/**
 * @module What a ticketing system or CMMS receives for one task event: a JSON envelope (`type`, `id`,
 * `occurredAt`) with the task as a work order needs it (title, state, due date, assignee, the device by
 * label, asset tag, serial number, site and department, the vulnerability or finding, a link to the
 * dashboard) and what changed. Built by the dispatcher after the change committed, from the task's
 * history entry and the stored task. Nothing about patients and no secret: evidence payloads are never
 * included, only the verification summary Vigil itself wrote.
 */

import { type QueueOptions, queueItemOf } from '../risk/queue-service.js';
import { newId } from '../store/ids.js';
import { matchFor } from '../store/match-store.js';
import {
  findingTypeOf,
  getTaskHistoryEntry,
  serialNumberOf,
  type TaskDeliveryRow,
} from '../store/task-delivery-store.js';
import { getTaskView } from '../store/tasks-store.js';
import type { DbHandle } from '../store/transaction.js';
import { getRiskAcceptance, type RiskAcceptance } from './acceptance-service.js';
import { getCampaignView } from './campaigns-service.js';
import type { TaskEventType } from './task-events.js';
import { SYSTEM_ACTOR, type Task, toTasks } from './tasks-service.js';

/** The task as a ticket needs it (docs/tasks.md, "Sending tasks to a ticketing system or CMMS"). */
export interface TaskEventTask {
  id: string;
  kind: Task['kind'];
  title: string;
  state: Task['state'];
  dueAt: string | null;
  overdue: boolean;
  assignee: string | null;
  departmentContacted: string | null;
  maintenanceWindow: Task['maintenanceWindow'];
  fix: string | null;
  /** The work queue's decision for the item when the task was made (on `vigil.task.created` only). */
  priority: { decision: string; cisa: string | null; dueBecause: string } | null;
  device: {
    id: string;
    label: string;
    assetTag: string | null;
    serialNumber: string | null;
    site: string | null;
    department: string | null;
  };
  vulnerability: { id: string; cve: string | null; advisories: string[] } | null;
  finding: { id: string; type: string | null } | null;
  campaignId: string | null;
  acceptanceId: string | null;
  /** The task in the dashboard, when `publicUrl` is configured. */
  url: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TaskEventChange {
  /** Who made the change: an account or token name, or `vigil` for verification and expiry. */
  by: string;
  from: string | null;
  to: string;
  reason: string | null;
  /** For reassigned, due-changed and updated: the fields changed, as they were and are. */
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  /** For verified: how the fix was confirmed (Vigil's summary of the import, or the person's reason). */
  verification?: Record<string, unknown> | null;
  supersededBy?: string;
  acceptanceId?: string;
}

/** The body of one task event webhook. */
export interface TaskEventMessage {
  type: TaskEventType;
  /** Unique per event and the same for every destination and retry: the receiver's idempotency key. */
  id: string;
  occurredAt: string;
  task?: TaskEventTask;
  change?: TaskEventChange;
  riskAcceptance?: Omit<RiskAcceptance, 'tasks'> & { tasks: number };
  campaign?: {
    id: string;
    title: string;
    action: string;
    manufacturer: string | null;
    model: string | null;
    version: string | null;
    vulnerability: string | null;
    fix: string | null;
    due: string | null;
    tasks: number;
  };
}

export interface TaskEventMessageOptions {
  /** Vigil's address as people open it (`publicUrl`), for links to the dashboard. */
  publicUrl?: string | undefined;
  /** The work queue's SLA settings, for `priority`. */
  queue?: QueueOptions;
  now?: Date;
}

const link = (base: string | undefined, path: string, query: Record<string, string>) =>
  base ? `${base.replace(/\/+$/, '')}${path}?${new URLSearchParams(query)}` : null;

/** Only what the history entry's details name for this kind of event: an update's other fields belong to their own events. */
function pick(o: unknown, keys: (k: string) => boolean): Record<string, unknown> {
  if (!o || typeof o !== 'object') return {};
  return Object.fromEntries(Object.entries(o).filter(([k]) => keys(k)));
}

const FIELD_OF: Partial<Record<TaskEventType, (k: string) => boolean>> = {
  'vigil.task.reassigned': (k) => k === 'assignee',
  'vigil.task.due-changed': (k) => k === 'due',
  'vigil.task.updated': (k) => k !== 'assignee' && k !== 'due',
};

/** The message for one outbox row; null when what it is about no longer exists (the row is dead-lettered). */
export async function buildTaskEventMessage(
  h: DbHandle,
  row: Pick<TaskDeliveryRow, 'event_id' | 'type' | 'subject_id' | 'task_event_id' | 'occurred_at'>,
  opts: TaskEventMessageOptions = {},
): Promise<TaskEventMessage | null> {
  const type = row.type as TaskEventType;
  const envelope = { type, id: row.event_id, occurredAt: row.occurred_at };
  if (type.startsWith('vigil.risk-acceptance.')) {
    const a = await getRiskAcceptance(h, SYSTEM_ACTOR, row.subject_id).catch(() => null);
    return a ? { ...envelope, riskAcceptance: a } : null;
  }
  if (type === 'vigil.campaign.created') {
    const c = await getCampaignView(h, SYSTEM_ACTOR, row.subject_id).catch(() => null);
    if (!c) return null;
    return {
      ...envelope,
      campaign: {
        id: c.id,
        title: c.title,
        action: c.action,
        manufacturer: c.manufacturer,
        model: c.model,
        version: c.version,
        vulnerability: c.vulnerability,
        fix: c.fix,
        due: c.due,
        tasks: c.progress.total,
      },
    };
  }
  const view = await getTaskView(h, row.subject_id);
  const entry = row.task_event_id ? await getTaskHistoryEntry(h, row.task_event_id) : undefined;
  if (!view || !entry) return null;
  const [task] = await toTasks(h, [view], opts.now);
  const details = JSON.parse(entry.details) as Record<string, unknown>;
  const change: TaskEventChange = {
    by: entry.actor,
    from: entry.from_state,
    to: entry.to_state,
    reason: typeof details['reason'] === 'string' ? details['reason'] : null,
  };
  const fields = FIELD_OF[type];
  if (fields) {
    change.before = pick(details['before'], fields);
    change.after = pick(details['after'], fields);
  }
  if (type === 'vigil.task.verified') change.verification = task!.verification;
  if (typeof details['supersededBy'] === 'string') change.supersededBy = details['supersededBy'];
  if (typeof details['acceptanceId'] === 'string') change.acceptanceId = details['acceptanceId'];
  return { ...envelope, task: await ticketTask(h, task!, type, opts), change };
}

async function ticketTask(
  h: DbHandle,
  t: Task,
  type: TaskEventType,
  opts: TaskEventMessageOptions,
): Promise<TaskEventTask> {
  let vulnerability: TaskEventTask['vulnerability'] = null;
  if (t.vulnerability) {
    // A verified task's match may be gone: the key is still what the ticket was about.
    const m = await matchFor(h, t.deviceId, t.vulnerability);
    vulnerability = {
      id: t.vulnerability,
      cve: m?.cve ?? (t.vulnerability.startsWith('CVE-') ? t.vulnerability : null),
      advisories: m ? (JSON.parse(m.advisory_ids) as string[]) : [],
    };
  }
  let priority: TaskEventTask['priority'] = null;
  if (type === 'vigil.task.created' && (t.vulnerability || t.findingId)) {
    const item = await queueItemOf(
      h,
      SYSTEM_ACTOR,
      {
        deviceId: t.deviceId,
        ...(t.vulnerability ? { vulnerability: t.vulnerability } : { findingId: t.findingId! }),
      },
      { ...opts.queue, ...(opts.now ? { now: opts.now } : {}) },
    ).catch(() => undefined);
    if (item) priority = { decision: item.decision, cisa: item.cisa, dueBecause: item.dueBecause };
  }
  return {
    id: t.id,
    kind: t.kind,
    title: t.title,
    state: t.state,
    dueAt: t.due,
    overdue: t.overdue,
    assignee: t.assignee,
    departmentContacted: t.departmentContacted,
    maintenanceWindow: t.maintenanceWindow,
    fix: t.fix,
    priority,
    device: {
      id: t.deviceId,
      label: t.deviceLabel,
      assetTag: t.assetTag,
      serialNumber: await serialNumberOf(h, t.deviceId),
      site: t.site,
      department: t.department,
    },
    vulnerability,
    finding: t.findingId ? { id: t.findingId, type: await findingTypeOf(h, t.findingId) } : null,
    campaignId: t.campaignId,
    acceptanceId: t.acceptanceId,
    url: link(opts.publicUrl, '/tasks', { task: t.id }),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/**
 * A `vigil.task.created` about no real task, for `vigil alerts destinations test NAME --event task`:
 * every field filled the way a real one is, so a receiver's mapping can be tried end to end.
 */
export function sampleTaskEvent(at: Date, by: string): TaskEventMessage {
  const now = at.toISOString();
  const due = new Date(at.getTime() + 14 * 86_400_000).toISOString();
  return {
    type: 'vigil.task.created',
    id: newId(),
    occurredAt: now,
    task: {
      id: newId(),
      kind: 'vulnerability',
      title: 'Vigil test task event: this destination receives task events',
      state: 'open',
      dueAt: due,
      overdue: false,
      assignee: null,
      departmentContacted: null,
      maintenanceWindow: null,
      fix: 'vendor_fix: test only, nothing to install',
      priority: { decision: 'out-of-cycle', cisa: 'Attend', dueBecause: 'test' },
      device: {
        id: newId(),
        label: 'TEST-DEVICE',
        assetTag: 'TEST-DEVICE',
        serialNumber: null,
        site: null,
        department: null,
      },
      vulnerability: { id: 'CVE-0000-0000', cve: null, advisories: [] },
      finding: null,
      campaignId: null,
      acceptanceId: null,
      url: null,
      createdAt: now,
      updatedAt: now,
    },
    change: { by, from: null, to: 'open', reason: 'test' },
  };
}
