/**
 * @module Risk acceptances: a decision (accept, reduce, avoid, transfer) on one vulnerability, scoped to
 * one device, a model (and version) or the whole fleet, with a reason, compensating controls, the
 * approver (an actor holding `risk:accept`) and a required expiry (at most a year). Live tasks in scope
 * move to `risk-accepted` (and tasks created later in scope start there); when the acceptance expires
 * (`expireAcceptances(h, now)`) or is revoked, they re-open with their SLA restarted
 * (due = now + what was left of the task's SLA, or its decision's SLA when nothing was: sla-restart.ts).
 * Each step is audited.
 */

import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { invalidInput, notFound } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import { deviceLabels } from '../inventory/device-label.js';
import { resolveDevice } from '../inventory/inventory-service.js';
import type { QueueOptions } from '../risk/queue-service.js';
import { newId } from '../store/ids.js';
import {
  type AcceptanceRow,
  dueAcceptances,
  getAcceptance,
  insertAcceptance,
  listAcceptances as listAcceptanceRows,
  listTaskViews,
  modelRef,
  scopeDevices,
  type TaskRow,
  tasksInStates,
  updateAcceptance,
} from '../store/tasks-store.js';
import type { DbHandle } from '../store/transaction.js';
import { acceptanceCovering } from './acceptance-cover.js';
import { resolveModel } from './campaigns-service.js';
import { CONTROLS } from './compensating-controls.js';
import { decisionsFor, restartedSla, slaDetails } from './sla-restart.js';
import { queueTaskEvents } from './task-events.js';
import { ACCEPTABLE_STATES } from './task-states.js';
import {
  acceptanceControls,
  applyTransition,
  type CompensatingControl,
  inActorScope,
  SYSTEM_ACTOR,
  withinTransaction,
} from './tasks-service.js';

export const DECISIONS = ['accept', 'reduce', 'avoid', 'transfer'] as const;
export const ACCEPTANCE_SCOPES = ['device', 'model', 'fleet'] as const;
export const ACCEPTANCE_STATES = ['active', 'expired', 'revoked'] as const;
/** The longest an acceptance may run before it must be decided again. */
export const MAX_ACCEPTANCE_DAYS = 366;

export const AcceptanceSchema = z
  .strictObject({
    scope: z.enum(ACCEPTANCE_SCOPES),
    vulnerability: z.string().trim().min(1).max(128),
    device: z.string().trim().min(1).max(200).optional(),
    /** Model id, or name (with manufacturer when the name is ambiguous). */
    model: z.string().trim().min(1).max(200).optional(),
    manufacturer: z.string().trim().min(1).max(200).optional(),
    version: z.string().trim().min(1).max(100).optional(),
    decision: z.enum(DECISIONS),
    reason: z.string().trim().min(1, 'say why (kept with the acceptance)').max(4000),
    expires: z
      .string()
      .trim()
      .max(40)
      .refine((v) => !Number.isNaN(Date.parse(v)), 'not an ISO-8601 date'),
    controls: z
      .array(z.strictObject({ control: z.enum(CONTROLS), note: z.string().trim().max(2000).optional() }))
      .max(10)
      .optional(),
  })
  .refine((v) => (v.scope === 'device' ? Boolean(v.device) && !v.model : true), {
    message: 'a device-scoped acceptance names the device (and no model)',
    path: ['device'],
  })
  .refine((v) => (v.scope === 'model' ? Boolean(v.model) && !v.device : true), {
    message: 'a model-scoped acceptance names the model (and optionally the version)',
    path: ['model'],
  })
  .refine((v) => (v.scope === 'fleet' ? !v.device && !v.model && !v.version : true), {
    message: 'a fleet-wide acceptance names only the vulnerability',
    path: ['scope'],
  });

/** The RiskAcceptance JSON contract (docs/tasks.md). */
export interface RiskAcceptance {
  id: string;
  scope: (typeof ACCEPTANCE_SCOPES)[number];
  vulnerability: string;
  deviceId: string | null;
  /** What a person calls the device of a device-scoped acceptance (inventory/device-label.ts); else null. */
  deviceLabel: string | null;
  modelId: string | null;
  model: string | null;
  manufacturer: string | null;
  version: string | null;
  decision: (typeof DECISIONS)[number];
  reason: string;
  controls: { control: string; note: string | null }[];
  approver: string;
  expires: string;
  state: (typeof ACCEPTANCE_STATES)[number];
  endedAt: string | null;
  createdAt: string;
  tasks: number;
}

async function toAcceptance(h: DbHandle, a: AcceptanceRow, actor: Actor): Promise<RiskAcceptance> {
  const m = a.model_id ? await modelRef(h, a.model_id) : undefined;
  const label = a.device_id ? (await deviceLabels(h, [a.device_id])).get(a.device_id) : undefined;
  const tasks = await listTaskViews(h, {
    acceptanceId: a.id,
    ...(actor.siteIds ? { siteIds: actor.siteIds } : {}),
  });
  return {
    id: a.id,
    scope: a.scope as RiskAcceptance['scope'],
    vulnerability: a.vuln_key,
    deviceId: a.device_id,
    deviceLabel: label ?? null,
    modelId: a.model_id,
    model: m?.name ?? null,
    manufacturer: m?.manufacturer ?? null,
    version: a.version,
    decision: a.decision as RiskAcceptance['decision'],
    reason: a.reason,
    controls: (JSON.parse(a.controls) as { control: string; note?: string | null }[]).map((c) => ({
      control: c.control,
      note: c.note ?? null,
    })),
    approver: a.approver,
    expires: a.expires_at,
    state: a.state as RiskAcceptance['state'],
    endedAt: a.ended_at,
    createdAt: a.created_at,
    tasks: tasks.length,
  };
}

/**
 * `vigil tasks accept`: records the acceptance and moves the live tasks in scope (open,
 * awaiting-manufacturer, scheduled) to risk-accepted, with the acceptance's controls added to them.
 */
export async function acceptRisk(
  vdb: DbHandle,
  actor: Actor,
  input: unknown,
  now: Date = new Date(),
): Promise<RiskAcceptance & { tasksAccepted: string[] }> {
  assertCan(actor, 'risk:accept');
  const q = parseInput(AcceptanceSchema, input, 'risk acceptance');
  const expires = new Date(q.expires);
  if (expires.getTime() <= now.getTime())
    throw invalidInput('The expiry must be in the future', [{ field: 'expires', reason: 'in the past' }]);
  if (expires.getTime() - now.getTime() > MAX_ACCEPTANCE_DAYS * 86_400_000)
    throw invalidInput(`A risk acceptance runs at most ${MAX_ACCEPTANCE_DAYS} days; decide again then`, [
      { field: 'expires', reason: `more than ${MAX_ACCEPTANCE_DAYS} days away` },
    ]);
  if (q.scope !== 'device') assertAllSites(actor, `A ${q.scope}-wide risk acceptance`);
  const vulnKey = q.vulnerability.toUpperCase();
  return withinTransaction(vdb, async (tx) => {
    let deviceId: string | null = null;
    let modelId: string | null = null;
    if (q.scope === 'device') deviceId = (await resolveDevice(tx, actor, q.device!)).id;
    if (q.scope === 'model') modelId = (await resolveModel(tx, q.model!, q.manufacturer)).id;
    const at = now.toISOString();
    const row: AcceptanceRow = {
      id: newId(),
      scope: q.scope,
      vuln_key: vulnKey,
      device_id: deviceId,
      model_id: modelId,
      version: q.version ?? null,
      decision: q.decision,
      reason: q.reason,
      controls: JSON.stringify((q.controls ?? []).map((c) => ({ control: c.control, note: c.note ?? null }))),
      approver: actor.name,
      approver_kind: actor.kind,
      expires_at: expires.toISOString(),
      state: 'active',
      ended_at: null,
      created_at: at,
    };
    await insertAcceptance(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'tasks.risk-accept',
      target: { type: 'risk-acceptance', id: row.id },
      summary: {
        scope: row.scope,
        vulnerability: vulnKey,
        deviceId,
        modelId,
        version: row.version,
        decision: row.decision,
        reason: row.reason,
        expires: row.expires_at,
        controls: (q.controls ?? []).map((c) => c.control),
      },
    });
    await queueTaskEvents(tx, [{ type: 'vigil.risk-acceptance.created', subjectId: row.id, occurredAt: at }]);
    // Live tasks of this vulnerability in scope move to risk-accepted.
    const live = (await tasksInStates(tx, ACCEPTABLE_STATES)).filter((t) => t.vuln_key === vulnKey);
    const devices = new Map(
      (
        await scopeDevices(
          tx,
          live.map((t) => t.device_id),
        )
      ).map((d) => [d.id, d]),
    );
    const accepted: string[] = [];
    const added = acceptanceControls(row);
    for (const t of live) {
      const d = devices.get(t.device_id);
      if (!d || !acceptanceCovering([row], d) || !inActorScope(actor, d.site_id)) continue;
      const controls = [...(JSON.parse(t.controls) as CompensatingControl[]), ...added];
      await applyTransition(tx, actor, t, 'risk-accepted', {}, 'acceptance', {
        now,
        patch: { acceptance_id: row.id, controls: JSON.stringify(controls) },
        details: { acceptanceId: row.id, decision: row.decision, expires: row.expires_at },
      });
      accepted.push(t.id);
    }
    return { ...(await toAcceptance(tx, row, actor)), tasksAccepted: accepted };
  });
}

export interface ExpiryReport {
  expired: {
    acceptanceId: string;
    vulnerability: string;
    reopened: { taskId: string; due: string | null }[];
  }[];
}

/**
 * Ends one acceptance: its tasks re-open with their SLA restarted (sla-restart.ts; `queue` carries the
 * hospital's SLA policy). The acceptance's controls stay recorded.
 */
async function endAcceptance(
  tx: DbHandle,
  actor: Actor,
  a: AcceptanceRow,
  how: 'expire' | 'revoke',
  now: Date,
  reason: string,
  queue: QueueOptions,
): Promise<{ taskId: string; due: string | null }[]> {
  const at = now.toISOString();
  await updateAcceptance(tx, a.id, { state: how === 'expire' ? 'expired' : 'revoked', ended_at: at });
  const tasks = (await tasksInStates(tx, ['risk-accepted'])).filter((t) => t.acceptance_id === a.id);
  const out: { taskId: string; due: string | null }[] = [];
  const decisions = await decisionsFor(tx, SYSTEM_ACTOR, tasks, now, queue);
  for (const t of tasks) {
    const sla = await restartedSla(tx, SYSTEM_ACTOR, t, now, queue, decisions);
    const { due } = sla;
    await applyTransition(tx, actor, t as TaskRow, 'open', { reason }, 'acceptance-end', {
      now,
      patch: { due_at: due, sla_seconds: sla.slaSeconds },
      details: { ended: how, acceptanceId: a.id, slaRestarted: due !== null, ...slaDetails(sla) },
    });
    out.push({ taskId: t.id, due });
  }
  await appendAudit(tx, {
    actor,
    action: how === 'expire' ? 'tasks.risk-acceptance-expire' : 'tasks.risk-acceptance-revoke',
    target: { type: 'risk-acceptance', id: a.id },
    summary: {
      vulnerability: a.vuln_key,
      scope: a.scope,
      expires: a.expires_at,
      reason,
      before: { state: 'active' },
      after: { state: how === 'expire' ? 'expired' : 'revoked' },
      tasksReopened: out.length,
    },
  });
  await queueTaskEvents(tx, [
    {
      type: how === 'expire' ? 'vigil.risk-acceptance.expired' : 'vigil.risk-acceptance.revoked',
      subjectId: a.id,
      occurredAt: at,
    },
  ]);
  return out;
}

/** Expires every active acceptance whose expiry is at or before `now`, re-opening its tasks with the SLA restarted. */
export async function expireAcceptances(
  vdb: DbHandle,
  now: Date = new Date(),
  actor: Actor = SYSTEM_ACTOR,
  queue: QueueOptions = {},
): Promise<ExpiryReport> {
  return withinTransaction(vdb, async (tx) => {
    const report: ExpiryReport = { expired: [] };
    for (const a of await dueAcceptances(tx, now.toISOString())) {
      const reopened = await endAcceptance(
        tx,
        actor,
        a,
        'expire',
        now,
        `risk acceptance ${a.id} expired on ${a.expires_at}`,
        queue,
      );
      report.expired.push({ acceptanceId: a.id, vulnerability: a.vuln_key, reopened });
    }
    return report;
  });
}

/** Revokes an acceptance before its expiry (needs risk:accept); its tasks re-open like on expiry. */
export async function revokeAcceptance(
  vdb: DbHandle,
  actor: Actor,
  id: string,
  reason: string,
  now: Date = new Date(),
  queue: QueueOptions = {},
): Promise<RiskAcceptance> {
  assertCan(actor, 'risk:accept');
  if (!reason?.trim())
    throw invalidInput('Say why the acceptance is revoked', [{ field: 'reason', reason: 'required' }]);
  return withinTransaction(vdb, async (tx) => {
    const a = await getAcceptance(tx, id);
    if (!a) throw notFound(`Risk acceptance ${id}`);
    if (a.scope !== 'device') assertAllSites(actor, `Revoking a ${a.scope}-wide risk acceptance`);
    else if (actor.siteIds) {
      const [d] = await scopeDevices(tx, [a.device_id ?? '']);
      if (!d || !inActorScope(actor, d.site_id)) throw notFound(`Risk acceptance ${id}`);
    }
    if (a.state !== 'active') throw invalidInput(`Risk acceptance ${id} is already ${a.state}`);
    await endAcceptance(tx, actor, a, 'revoke', now, reason.trim(), queue);
    return toAcceptance(tx, (await getAcceptance(tx, id))!, actor);
  });
}

/** The CLI passes --state as typed: a misspelt state listed nothing, which read as "none revoked". */
const AcceptanceQuerySchema = z.object({
  state: z.array(z.enum(ACCEPTANCE_STATES)).optional(),
  vulnerability: z.string().trim().min(1).max(200).optional(),
});

export async function listRiskAcceptances(
  h: DbHandle,
  actor: Actor,
  input: { state?: string[]; vulnerability?: string } = {},
): Promise<RiskAcceptance[]> {
  assertCan(actor, 'tasks:read');
  const query = parseInput(AcceptanceQuerySchema, input, 'acceptance query');
  const rows = await listAcceptanceRows(h, {
    ...(query.state?.length ? { states: query.state } : {}),
    ...(query.vulnerability ? { vulnKey: query.vulnerability.toUpperCase() } : {}),
  });
  const out: RiskAcceptance[] = [];
  for (const a of rows) {
    if (a.scope === 'device' && actor.siteIds) {
      const [d] = await scopeDevices(h, [a.device_id ?? '']);
      if (!d || !inActorScope(actor, d.site_id)) continue;
    }
    out.push(await toAcceptance(h, a, actor));
  }
  return out;
}

export async function getRiskAcceptance(h: DbHandle, actor: Actor, id: string): Promise<RiskAcceptance> {
  assertCan(actor, 'tasks:read');
  const a = await getAcceptance(h, id);
  if (!a) throw notFound(`Risk acceptance ${id}`);
  if (a.scope === 'device' && actor.siteIds) {
    const [d] = await scopeDevices(h, [a.device_id ?? '']);
    if (!d || !inActorScope(actor, d.site_id)) throw notFound(`Risk acceptance ${id}`);
  }
  return toAcceptance(h, a, actor);
}
