/**
 * @module Remediation tasks, campaigns and risk acceptances over the API: list (with overdue), show with
 * history, create, update, move through the state machine, verify by the latest imports and expire
 * acceptances; campaigns with progress per site and department; risk acceptances (approval needs
 * `risk:accept`). Bodies are validated by the domain modules (tasks/*), so the API and the CLI refuse
 * the same things with the same messages.
 */

import { OpenAPIHono, z } from '@hono/zod-openapi';
import { queueOptionsFrom } from '../../risk/queue-service.js';
import {
  ACCEPTANCE_SCOPES,
  ACCEPTANCE_STATES,
  acceptRisk,
  DECISIONS,
  getRiskAcceptance,
  listRiskAcceptances,
  revokeAcceptance,
} from '../../tasks/acceptance-service.js';
import {
  CAMPAIGN_ACTIONS,
  createCampaign,
  getCampaignView,
  listCampaigns,
} from '../../tasks/campaigns-service.js';
import { CONTROLS } from '../../tasks/compensating-controls.js';
import { TASK_STATES } from '../../tasks/task-states.js';
import {
  createTask,
  getTask,
  listTasks,
  moveTask,
  TASK_KINDS,
  updateTask,
} from '../../tasks/tasks-service.js';
import { runTaskMaintenance } from '../../tasks/verification.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const many = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) => (v === undefined ? undefined : Array.isArray(v) ? v : String(v).split(',')),
    z.array(item).optional(),
  );
const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'));
const IdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
});
const Body = (description: string) => ({
  required: true,
  content: {
    'application/json': { schema: z.record(z.string(), z.unknown()).openapi({ description }) },
  },
});

const ControlSchema = z
  .object({
    control: z.enum(CONTROLS),
    note: z.string().nullable(),
    at: z.string(),
    by: z.string(),
    acceptanceId: z.string().optional(),
  })
  .openapi('CompensatingControl');

export const TaskSchema = z
  .object({
    id: z.string(),
    kind: z.enum(TASK_KINDS),
    deviceId: z.string(),
    deviceLabel: z.string().openapi({
      description:
        'what a person calls the device: asset tag, else make and model (or class) with host name, IP or MAC, else the address (display only; deviceId is the key)',
    }),
    assetTag: z.string().nullable(),
    siteId: z.string().nullable(),
    site: z.string().nullable(),
    department: z.string().nullable(),
    vulnerability: z.string().nullable(),
    findingId: z.string().nullable(),
    campaignId: z.string().nullable(),
    acceptanceId: z.string().nullable(),
    title: z.string(),
    state: z.enum(TASK_STATES),
    due: z.string().nullable(),
    overdue: z.boolean(),
    slaSeconds: z.number().nullable(),
    assignee: z.string().nullable(),
    departmentContacted: z.string().nullable(),
    maintenanceWindow: z.object({ start: z.string(), end: z.string() }).nullable(),
    applied: z.object({ by: z.string(), at: z.string() }).nullable(),
    fix: z.string().nullable(),
    controls: z.array(ControlSchema),
    verifiedAt: z.string().nullable(),
    verification: z.record(z.string(), z.unknown()).nullable(),
    closeReason: z.string().nullable(),
    nextStates: z.array(z.enum(TASK_STATES)),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Task');

const TaskEventSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    from: z.enum(TASK_STATES).nullable(),
    to: z.enum(TASK_STATES),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('TaskEvent');

const ProgressRowSchema = z.object({
  siteId: z.string().nullable(),
  site: z.string().nullable(),
  department: z.string().nullable(),
  total: z.number(),
  done: z.number(),
  byState: z.record(z.string(), z.number()),
});

export const CampaignSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    action: z.enum(CAMPAIGN_ACTIONS),
    modelId: z.string(),
    model: z.string().nullable(),
    manufacturer: z.string().nullable(),
    version: z.string().nullable(),
    vulnerability: z.string().nullable(),
    fix: z.string().nullable(),
    due: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    progress: z.object({
      total: z.number(),
      done: z.number(),
      percentDone: z.number(),
      byState: z.record(z.string(), z.number()),
      bySite: z.array(ProgressRowSchema),
    }),
  })
  .openapi('Campaign');

export const RiskAcceptanceSchema = z
  .object({
    id: z.string(),
    scope: z.enum(ACCEPTANCE_SCOPES),
    vulnerability: z.string(),
    deviceId: z.string().nullable(),
    deviceLabel: z
      .string()
      .nullable()
      .describe(
        'what a person calls the device of a device-scoped acceptance (display only; deviceId is the key)',
      ),
    modelId: z.string().nullable(),
    model: z.string().nullable(),
    manufacturer: z.string().nullable(),
    version: z.string().nullable(),
    decision: z.enum(DECISIONS),
    reason: z.string(),
    controls: z.array(z.object({ control: z.string(), note: z.string().nullable() })),
    approver: z.string(),
    expires: z.string(),
    state: z.enum(ACCEPTANCE_STATES),
    endedAt: z.string().nullable(),
    createdAt: z.string(),
    tasks: z.number(),
  })
  .openapi('RiskAcceptance');

const MaintenanceSchema = z
  .object({
    verification: z.object({
      checked: z.number(),
      verified: z.array(z.record(z.string(), z.unknown())),
    }),
    expiry: z.object({ expired: z.array(z.record(z.string(), z.unknown())) }),
  })
  .openapi('TaskMaintenanceReport');

const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export const taskRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('tasks:read', {
      method: 'get',
      path: '/tasks',
      tags: ['tasks'],
      summary: 'Remediation tasks (overdue=true: past their due date and still open work)',
      request: {
        query: z.object({
          state: many(z.enum(TASK_STATES)),
          overdue: flag,
          deviceId: z.string().max(64).optional(),
          vulnerability: z.string().max(128).optional(),
          findingId: z.string().max(64).optional(),
          campaignId: z.string().max(64).optional(),
          acceptanceId: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(10_000).default(1000),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(TaskSchema) }), 'Tasks') },
    }),
    async (c) => {
      const items = await listTasks(c.get('ctx').vdb, actorOf(c), defined(c.req.valid('query')));
      return c.json({ items }, 200);
    },
  )
  .openapi(
    defineRoute('tasks:write', {
      method: 'post',
      path: '/tasks',
      tags: ['tasks'],
      summary: 'Create a task for a (device, vulnerability) match or a finding',
      request: {
        body: Body(
          '{device, vulnerability} or {finding}; optional title, due (ISO-8601), assignee, departmentContacted, fix, controls [{control: segmented|service-disabled|monitored|isolated, note}]',
        ),
      },
      responses: { 201: json(TaskSchema, 'Created') },
    }),
    async (c) => {
      const ctx = c.get('ctx');
      // The queue's SLA settings, so the task is due when `GET /queue` says the item is.
      const task = await createTask(
        ctx.vdb,
        actorOf(c),
        c.req.valid('json'),
        new Date(),
        queueOptionsFrom(ctx.config),
      );
      return c.json(task, 201);
    },
  )
  .openapi(
    defineRoute('tasks:write', {
      method: 'post',
      path: '/tasks/verify',
      tags: ['tasks'],
      summary: 'Verify tasks by the latest imports and expire due risk acceptances, now',
      responses: { 200: json(MaintenanceSchema, 'Report') },
    }),
    async (c) => {
      const ctx = c.get('ctx');
      const r = await runTaskMaintenance(ctx.vdb, actorOf(c), new Date(), queueOptionsFrom(ctx.config));
      return c.json(r as unknown as z.infer<typeof MaintenanceSchema>, 200);
    },
  )
  .openapi(
    defineRoute('tasks:read', {
      method: 'get',
      path: '/tasks/{id}',
      tags: ['tasks'],
      summary: 'A task with its history of transitions',
      request: { params: IdParam },
      responses: { 200: json(TaskSchema.extend({ events: z.array(TaskEventSchema) }), 'Task') },
    }),
    async (c) => c.json(await getTask(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('tasks:write', {
      method: 'patch',
      path: '/tasks/{id}',
      tags: ['tasks'],
      summary: 'Change title, due, assignee, departmentContacted, fix or compensating controls',
      request: { params: IdParam, body: Body('title, due, assignee, departmentContacted, fix, controls') },
      responses: { 200: json(TaskSchema, 'Updated') },
    }),
    async (c) =>
      c.json(
        await updateTask(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        200,
      ),
  )
  .openapi(
    defineRoute('tasks:write', {
      method: 'post',
      path: '/tasks/{id}/transitions',
      tags: ['tasks'],
      summary: 'Move a task to another state (checked against the state machine)',
      request: {
        params: IdParam,
        body: Body(
          '{state, assignee, departmentContacted, windowStart, windowEnd, appliedBy, appliedAt, reason}: scheduled needs assignee and window; closing an unverified task needs a reason',
        ),
      },
      responses: { 200: json(TaskSchema, 'Moved') },
    }),
    async (c) => {
      const ctx = c.get('ctx');
      const { id } = c.req.valid('param');
      const moved = await moveTask(
        ctx.vdb,
        actorOf(c),
        id,
        c.req.valid('json'),
        new Date(),
        queueOptionsFrom(ctx.config),
      );
      return c.json(moved, 200);
    },
  )
  .openapi(
    defineRoute('tasks:read', {
      method: 'get',
      path: '/tasks/{id}/events',
      tags: ['tasks'],
      summary: 'The history of a task: every transition and change, with who and when',
      request: { params: IdParam },
      responses: { 200: json(z.object({ items: z.array(TaskEventSchema) }), 'Events') },
    }),
    async (c) =>
      c.json({ items: (await getTask(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id)).events }, 200),
  )
  .openapi(
    defineRoute('tasks:read', {
      method: 'get',
      path: '/campaigns',
      tags: ['tasks'],
      summary: 'Campaigns with progress per site and department',
      responses: { 200: json(z.object({ items: z.array(CampaignSchema) }), 'Campaigns') },
    }),
    async (c) => c.json({ items: await listCampaigns(c.get('ctx').vdb, actorOf(c)) }, 200),
  )
  .openapi(
    defineRoute('tasks:write', {
      method: 'post',
      path: '/campaigns',
      tags: ['tasks'],
      summary: 'One update or recall across every device of a model (and version), a task per device',
      request: {
        body: Body(
          '{model, manufacturer?, version?, vulnerability?, action: update|recall, title?, fix?, due?}',
        ),
      },
      responses: {
        201: json(CampaignSchema.extend({ tasksCreated: z.number(), tasksAdopted: z.number() }), 'Created'),
      },
    }),
    async (c) => c.json(await createCampaign(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 201),
  )
  .openapi(
    defineRoute('tasks:read', {
      method: 'get',
      path: '/campaigns/{id}',
      tags: ['tasks'],
      summary: 'A campaign with progress per site and department',
      request: { params: IdParam },
      responses: { 200: json(CampaignSchema, 'Campaign') },
    }),
    async (c) => c.json(await getCampaignView(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('tasks:read', {
      method: 'get',
      path: '/risk-acceptances',
      tags: ['tasks'],
      summary: 'Risk acceptances',
      request: {
        query: z.object({
          state: many(z.enum(ACCEPTANCE_STATES)),
          vulnerability: z.string().max(128).optional(),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(RiskAcceptanceSchema) }), 'Acceptances') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const items = await listRiskAcceptances(c.get('ctx').vdb, actorOf(c), defined(q) as typeof q & object);
      return c.json({ items }, 200);
    },
  )
  .openapi(
    defineRoute('risk:accept', {
      method: 'post',
      path: '/risk-acceptances',
      tags: ['tasks'],
      summary: 'Approve a risk acceptance (accept, reduce, avoid, transfer) with an expiry of at most a year',
      request: {
        body: Body(
          '{scope: device|model|fleet, vulnerability, device? | model?+manufacturer?+version?, decision, reason, expires (ISO-8601), controls?}',
        ),
      },
      responses: {
        201: json(RiskAcceptanceSchema.extend({ tasksAccepted: z.array(z.string()) }), 'Approved'),
      },
    }),
    async (c) => c.json(await acceptRisk(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 201),
  )
  .openapi(
    defineRoute('tasks:read', {
      method: 'get',
      path: '/risk-acceptances/{id}',
      tags: ['tasks'],
      summary: 'A risk acceptance',
      request: { params: IdParam },
      responses: { 200: json(RiskAcceptanceSchema, 'Acceptance') },
    }),
    async (c) => c.json(await getRiskAcceptance(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('risk:accept', {
      method: 'post',
      path: '/risk-acceptances/{id}/revoke',
      tags: ['tasks'],
      summary: 'Revoke a risk acceptance before its expiry; its tasks re-open with the SLA restarted',
      request: { params: IdParam, body: Body('{reason}') },
      responses: { 200: json(RiskAcceptanceSchema, 'Revoked') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const reason = typeof body['reason'] === 'string' ? body['reason'] : '';
      const ctx = c.get('ctx');
      const revoked = await revokeAcceptance(
        ctx.vdb,
        actorOf(c),
        c.req.valid('param').id,
        reason,
        new Date(),
        queueOptionsFrom(ctx.config),
      );
      return c.json(revoked, 200);
    },
  );
