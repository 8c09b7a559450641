/**
 * @module Evidence `regular-updates`: remediation tasks past their due date (each named, with its device
 * as people know it: inventory/device-label.ts), vulnerabilities of the work queue past their due date
 * that nobody made a task for (a KEV date that passed unnoticed is the gap that matters most), and the
 * time to patch (days from a task's creation to its first `applied` or `verified`) from task events.
 * Also the task figures the report charts: open work over time and the time-to-patch distribution.
 */
import { plural } from '../../format-count.js';
import { deviceLabels } from '../../inventory/device-label.js';
import { listQueuePage } from '../../risk/queue-service.js';
import { type TaskTimelineEvent, type TaskTimelineRow, taskTimeline } from '../../store/compliance-store.js';
import { ACTIVE_STATES } from '../../tasks/task-states.js';
import { SYSTEM_ACTOR } from '../../tasks/tasks-service.js';
import { ageInDays, type EvidenceCollector, type EvidenceContext, evidence } from './evidence.js';

const DAY_MS = 86_400_000;
const PATCHED = new Set(['applied', 'verified']);
const ACTIVE = new Set<string>(ACTIVE_STATES);

export interface OverdueTask {
  taskId: string;
  title: string;
  /** The device as people know it: asset tag, else make and model with its address (device-label.ts). */
  deviceLabel: string;
  assetTag: string | null;
  site: string | null;
  department: string | null;
  dueAt: string;
  daysOverdue: number;
}

export interface OpenWorkPoint {
  /** End of the week (ISO date). */
  at: string;
  /** Active tasks within their due date, past it, and held by a risk acceptance. */
  withinDue: number;
  overdue: number;
  riskAccepted: number;
}

/** A vulnerability of the work queue past its due date with no task for it (not risk-accepted). */
export interface UntaskedOverdue {
  deviceLabel: string;
  vulnerability: string;
  decision: string;
  due: string;
  dueBecause: string;
  daysOverdue: number;
}

/** At most this many untasked items are named in the gaps; the figure counts them all. */
const UNTASKED_NAMED = 50;

export interface TaskFigures {
  tasks: number;
  overdue: OverdueTask[];
  /** Overdue work-queue vulnerabilities without a task: the first UNTASKED_NAMED, most urgent first. */
  untasked: UntaskedOverdue[];
  untaskedTotal: number;
  /** Days to patch, one per patched task, ascending. */
  timeToPatchDays: number[];
  medianTimeToPatchDays: number | null;
  openOverTime: OpenWorkPoint[];
  lastEventAt: string | null;
}

export function median(sorted: readonly number[]): number | null {
  if (!sorted.length) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Still owed work (open, awaiting the manufacturer, scheduled) and past its due date. */
const isOverdue = (t: TaskTimelineRow, nowIso: string): t is TaskTimelineRow & { dueAt: string } =>
  ACTIVE.has(t.state) && !!t.dueAt && t.dueAt < nowIso;

/**
 * Pure: the figures from tasks and their events, as of `now`, over `weeks` weeks. `labels` names the
 * device of each task by task id (else its asset tag, else "device").
 */
export function taskFigures(
  tasks: readonly TaskTimelineRow[],
  events: readonly TaskTimelineEvent[],
  now: Date,
  weeks = 12,
  labels: ReadonlyMap<string, string> = new Map(),
): TaskFigures {
  const byTask = new Map<string, TaskTimelineEvent[]>();
  for (const e of events) {
    const list = byTask.get(e.taskId) ?? [];
    list.push(e);
    byTask.set(e.taskId, list);
  }
  const nowIso = now.toISOString();
  const overdue: OverdueTask[] = [];
  const ttp: number[] = [];
  for (const t of tasks) {
    if (isOverdue(t, nowIso))
      overdue.push({
        taskId: t.id,
        title: t.title,
        deviceLabel: labels.get(t.id) ?? t.assetTag ?? 'device',
        assetTag: t.assetTag,
        site: t.siteName,
        department: t.department,
        dueAt: t.dueAt,
        daysOverdue: ageInDays(t.dueAt, now) ?? 0,
      });
    const patched = (byTask.get(t.id) ?? []).find((e) => PATCHED.has(e.toState));
    if (patched)
      ttp.push(
        Math.max(0, Math.round(((Date.parse(patched.at) - Date.parse(t.createdAt)) / DAY_MS) * 10) / 10),
      );
  }
  overdue.sort((a, b) => b.daysOverdue - a.daysOverdue || a.taskId.localeCompare(b.taskId));
  ttp.sort((a, b) => a - b);
  const points: OpenWorkPoint[] = [];
  for (let w = weeks; w >= 0; w--) {
    const at = new Date(now.getTime() - w * 7 * DAY_MS).toISOString();
    const p: OpenWorkPoint = { at: at.slice(0, 10), withinDue: 0, overdue: 0, riskAccepted: 0 };
    for (const t of tasks) {
      if (t.createdAt > at) continue;
      let state = 'open';
      for (const e of byTask.get(t.id) ?? []) if (e.at <= at) state = e.toState;
      if (state === 'risk-accepted') p.riskAccepted++;
      else if (ACTIVE.has(state)) {
        if (t.dueAt && t.dueAt < at) p.overdue++;
        else p.withinDue++;
      }
    }
    points.push(p);
  }
  return {
    tasks: tasks.length,
    overdue,
    untasked: [],
    untaskedTotal: 0,
    timeToPatchDays: ttp,
    medianTimeToPatchDays: median(ttp),
    openOverTime: points,
    lastEventAt: events.at(-1)?.at ?? null,
  };
}

export async function loadTaskFigures(ctx: EvidenceContext): Promise<TaskFigures> {
  const { tasks, events } = await taskTimeline(ctx.h, ctx.siteIds);
  // Only the overdue tasks' devices are named.
  const nowIso = ctx.now.toISOString();
  const overdue = tasks.filter((t) => isOverdue(t, nowIso));
  const byDevice = await deviceLabels(
    ctx.h,
    overdue.map((t) => t.deviceId),
  );
  const labels = new Map<string, string>();
  for (const t of overdue) {
    const label = byDevice.get(t.deviceId);
    if (label) labels.set(t.id, label);
  }
  return {
    ...taskFigures(tasks, events, ctx.now, undefined, labels),
    ...(await untaskedOverdue(ctx, tasks)),
  };
}

/**
 * The work queue's overdue vulnerabilities (risk-accepted ones left out) that no task covers: a task in
 * any state but closed counts, since its own due date then speaks for the item.
 */
async function untaskedOverdue(
  ctx: EvidenceContext,
  tasks: readonly TaskTimelineRow[],
): Promise<{ untasked: UntaskedOverdue[]; untaskedTotal: number }> {
  const tasked = new Set(
    tasks.filter((t) => t.vulnKey && t.state !== 'closed').map((t) => `${t.deviceId} ${t.vulnKey}`),
  );
  const actor = ctx.siteIds ? { ...SYSTEM_ACTOR, siteIds: [...ctx.siteIds] } : SYSTEM_ACTOR;
  // Only the named few are built: a fleet's queue may hold hundreds of thousands of overdue items.
  const page = await listQueuePage(
    ctx.h,
    actor,
    { overdue: true, accepted: false, limit: UNTASKED_NAMED },
    {
      ...ctx.queue,
      now: ctx.now,
      leaveOut: (i) => i.kind !== 'vulnerability' || tasked.has(`${i.deviceId} ${i.key}`),
    },
  );
  return {
    untaskedTotal: page.total,
    untasked: page.items.map((i) => ({
      deviceLabel: i.deviceLabel,
      vulnerability: i.cve ?? i.vulnerability!,
      decision: i.decision,
      due: i.due!,
      dueBecause: i.dueBecause,
      daysOverdue: ageInDays(i.due, ctx.now) ?? 0,
    })),
  };
}

export function updatesEvidence(ctx: EvidenceContext, f: TaskFigures) {
  const base = {
    kind: 'regular-updates' as const,
    title: 'Regular updates',
    figures: {
      tasks: f.tasks,
      overdue: f.overdue.length,
      untaskedOverdue: f.untaskedTotal,
      patched: f.timeToPatchDays.length,
      medianTimeToPatchDays: f.medianTimeToPatchDays,
    },
    asOf: f.lastEventAt,
    gaps: [
      ...f.overdue.map(
        (o) =>
          `${o.deviceLabel}${o.site ? ` (${o.site})` : ''}: ${o.title}, ${plural(o.daysOverdue, 'day')} overdue`,
      ),
      ...f.untasked.map(
        (u) =>
          `${u.deviceLabel}: ${u.vulnerability} (${u.decision}, ${u.dueBecause}), ${plural(u.daysOverdue, 'day')} overdue and no task`,
      ),
      ...(f.untaskedTotal > f.untasked.length
        ? [
            `and ${plural(f.untaskedTotal - f.untasked.length, 'more overdue vulnerability', 'more overdue vulnerabilities')} with no task (vigil queue --overdue)`,
          ]
        : []),
    ],
  };
  if (f.untaskedTotal)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: [
        f.overdue.length ? `${plural(f.overdue.length, 'update')} overdue` : null,
        `${plural(f.untaskedTotal, 'vulnerability', 'vulnerabilities')} past due with no task`,
      ]
        .filter(Boolean)
        .join('; '),
    });
  if (f.tasks === 0)
    return evidence(ctx, { ...base, status: 'no-evidence', reason: 'no remediation tasks recorded' });
  if (f.overdue.length)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: `${plural(f.overdue.length, 'update')} overdue (past due date > 0 days); oldest ${plural(f.overdue[0]!.daysOverdue, 'day')}`,
    });
  return evidence(ctx, {
    ...base,
    status: 'met',
    reason: `no update overdue; median time to patch ${f.medianTimeToPatchDays === null ? '- days' : plural(f.medianTimeToPatchDays, 'day')}`,
  });
}

export const collectRegularUpdates: EvidenceCollector = async (ctx) =>
  updatesEvidence(ctx, await loadTaskFigures(ctx));
