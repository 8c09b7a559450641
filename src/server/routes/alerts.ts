/**
 * @module Alerts over the API: list with filters and paging, show with history and deliveries, change
 * state; alert destinations (add, list, remove, test; secrets are never returned); dead letters (list,
 * retry), of alerts and of task events (tasks/task-dead-letters.ts). Bodies are validated by the domain modules, so the API and the CLI refuse the same things.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { resolveDevice } from '../../inventory/inventory-service.js';
import { ALERT_SEVERITIES } from '../../monitor/alert-candidate.js';
import {
  addDestination,
  listDeadLetters,
  listDestinations,
  removeDestination,
  retryDeadLetter,
  testDestination,
} from '../../monitor/alert-destinations-service.js';
import { ALERT_STATES, changeAlertState, getAlert, listAlerts } from '../../monitor/alerts-service.js';
import { queueOptionsFrom } from '../../risk/queue-service.js';
import { listTaskDeadLetters, retryTaskDeadLetter } from '../../tasks/task-dead-letters.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const many = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) => (v === undefined ? undefined : Array.isArray(v) ? v : String(v).split(',')),
    z.array(item).optional(),
  );
const IdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

const AlertEvidenceSchema = z
  .object({
    time: z.string(),
    connection: z.string().optional(),
    file: z.string().optional(),
    packet: z.number().int().optional(),
    summary: z.string(),
  })
  .openapi('AlertEvidence');

export const AlertSchema = z
  .object({
    id: z.string(),
    rule: z.string(),
    severity: z.enum(ALERT_SEVERITIES),
    title: z.string(),
    deviceId: z.string().nullable(),
    deviceLabel: z.string().nullable().openapi({
      description:
        'What people call the device (asset tag, else make and model with its address); for display',
    }),
    siteId: z.string().nullable(),
    subject: z.string(),
    state: z.enum(ALERT_STATES),
    count: z.number().int(),
    suppressed: z.number().int(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    evidence: z.array(AlertEvidenceSchema),
    details: z.record(z.string(), z.unknown()),
    stateReason: z.string().nullable(),
    stateBy: z.string().nullable(),
    stateAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Alert');

const AlertDetailSchema = AlertSchema.extend({
  events: z.array(
    z.object({
      at: z.string(),
      actor: z.string(),
      action: z.string(),
      fromState: z.enum(ALERT_STATES).nullable(),
      toState: z.enum(ALERT_STATES),
      reason: z.string().nullable(),
      details: z.record(z.string(), z.unknown()),
    }),
  ),
  deliveries: z.array(
    z.object({
      id: z.string(),
      destinationId: z.string(),
      destination: z.string(),
      kind: z.string(),
      state: z.string(),
      attempts: z.number().int(),
      lastError: z.string().nullable(),
      createdAt: z.string(),
      updatedAt: z.string(),
      deliveredAt: z.string().nullable(),
    }),
  ),
}).openapi('AlertDetail');

const DestinationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['syslog', 'webhook']),
    target: z.string(),
    config: z.record(z.string(), z.unknown()),
    hasSecret: z.boolean(),
    enabled: z.boolean(),
    events: z.array(z.enum(['alerts', 'tasks'])),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .openapi('AlertDestination');

const DeadLetterSchema = z
  .object({
    id: z.string(),
    alertId: z.string(),
    rule: z.string(),
    severity: z.string(),
    title: z.string(),
    destinationId: z.string(),
    destination: z.string(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('AlertDeadLetter');

const TaskDeadLetterSchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    type: z.string(),
    subjectId: z.string(),
    destinationId: z.string(),
    destination: z.string(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    occurredAt: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('TaskDeadLetter');

const SendOutcomeSchema = z.object({
  ok: z.boolean(),
  destination: z.string(),
  error: z.string().optional(),
});

const Page = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
};

export const alertRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('alerts:read', {
      method: 'get',
      path: '/alerts',
      tags: ['alerts'],
      summary: 'Alerts, most recently seen first, with the total for paging',
      request: {
        query: z.object({
          state: many(z.enum(ALERT_STATES)),
          rule: many(z.string().min(1).max(64)),
          severity: many(z.enum(ALERT_SEVERITIES)),
          deviceId: z.string().max(255).optional().openapi({
            description: 'A device id or reference (asset tag, serial, UDI, MAC, IP, host name)',
          }),
          siteId: z.string().max(64).optional(),
          since: z.string().max(40).optional(),
          ...Page,
        }),
      },
      responses: {
        200: json(
          z.object({
            items: z.array(AlertSchema),
            total: z.number().int(),
            limit: z.number().int(),
            offset: z.number().int(),
          }),
          'Alerts',
        ),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { vdb } = c.get('ctx');
      const actor = actorOf(c);
      // The address a list shows, typed back, must not read as "no alerts": resolve it, or 404.
      if (q.deviceId) q.deviceId = (await resolveDevice(vdb, actor, q.deviceId)).id;
      const query = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined));
      return c.json(await listAlerts(vdb, actor, query), 200);
    },
  )
  .openapi(
    defineRoute('alerts:read', {
      method: 'get',
      path: '/alerts/{id}',
      tags: ['alerts'],
      summary: 'One alert with its evidence, history and deliveries',
      request: { params: IdParam },
      responses: { 200: json(AlertDetailSchema, 'Alert') },
    }),
    async (c) => c.json(await getAlert(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('alerts:write', {
      method: 'post',
      path: '/alerts/{id}/state',
      tags: ['alerts'],
      summary: 'Acknowledge, resolve, dismiss (false-positive) or re-open (new) an alert',
      request: {
        params: IdParam,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({ state: z.enum(ALERT_STATES), reason: z.string().max(1000).optional() }),
            },
          },
        },
      },
      responses: { 200: json(AlertSchema, 'Changed') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(
        await changeAlertState(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, {
          state: body.state,
          ...(body.reason !== undefined ? { reason: body.reason } : {}),
        }),
        200,
      );
    },
  )
  .openapi(
    defineRoute('alerts:read', {
      method: 'get',
      path: '/alert-destinations',
      tags: ['alerts'],
      summary: 'Alert destinations (secrets are never returned)',
      responses: { 200: json(z.object({ items: z.array(DestinationSchema) }), 'Destinations') },
    }),
    async (c) => c.json({ items: await listDestinations(c.get('ctx').vdb, actorOf(c)) }, 200),
  )
  .openapi(
    defineRoute('alerts:write', {
      method: 'post',
      path: '/alert-destinations',
      tags: ['alerts'],
      summary: 'Add a syslog or webhook destination',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.record(z.string(), z.unknown()).openapi({
                description:
                  '{name, kind: "syslog", transport: udp|tcp|tls, host, port, facility?, appName?, caFile?, certFile?, keyFile? (files in the server\'s alertTlsDir only; refused when it is not set), enabled?} or {name, kind: "webhook", url, secret, timeoutMs?, events?: ["alerts"] (default) | ["tasks"] | ["alerts","tasks"], enabled?}',
              }),
            },
          },
        },
      },
      responses: { 201: json(DestinationSchema, 'Added') },
    }),
    async (c) => {
      const { vdb, config } = c.get('ctx');
      const opts = { alertTlsDir: config.alertTlsDir };
      return c.json(await addDestination(vdb, actorOf(c), c.req.valid('json'), opts), 201);
    },
  )
  .openapi(
    defineRoute('alerts:write', {
      method: 'delete',
      path: '/alert-destinations/{id}',
      tags: ['alerts'],
      summary: 'Remove a destination (by id or name) with its delivery records',
      request: { params: IdParam },
      responses: { 200: json(DestinationSchema, 'Removed') },
    }),
    async (c) => c.json(await removeDestination(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('alerts:write', {
      method: 'post',
      path: '/alert-destinations/{id}/test',
      tags: ['alerts'],
      summary: 'Send one test alert, or (?event=task) a sample task event, to a destination now',
      request: {
        params: IdParam,
        query: z.object({ event: z.enum(['alert', 'task']).optional() }),
      },
      responses: {
        200: json(SendOutcomeSchema.extend({ event: z.enum(['alert', 'task']) }), 'Outcome'),
      },
    }),
    async (c) => {
      const { event } = c.req.valid('query');
      return c.json(
        await testDestination(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, event ? { event } : {}),
        200,
      );
    },
  )
  .openapi(
    defineRoute('alerts:read', {
      method: 'get',
      path: '/alert-dead-letters',
      tags: ['alerts'],
      summary: 'Deliveries given up on (receiver down, refused, expired), oldest first',
      request: { query: z.object(Page) },
      responses: { 200: json(z.object({ items: z.array(DeadLetterSchema) }), 'Dead letters') },
    }),
    async (c) =>
      c.json({ items: await listDeadLetters(c.get('ctx').vdb, actorOf(c), c.req.valid('query')) }, 200),
  )
  .openapi(
    defineRoute('alerts:write', {
      method: 'post',
      path: '/alert-dead-letters/{id}/retry',
      tags: ['alerts'],
      summary: 'Send a dead letter again, once, now',
      request: { params: IdParam },
      responses: {
        200: json(SendOutcomeSchema.extend({ state: z.string(), attempts: z.number().int() }), 'Outcome'),
      },
    }),
    async (c) => c.json(await retryDeadLetter(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('alerts:read', {
      method: 'get',
      path: '/task-dead-letters',
      tags: ['alerts', 'tasks'],
      summary:
        'Task events given up on (receiver down, refused, expired), oldest first; also needs tasks:read',
      request: { query: z.object(Page) },
      responses: { 200: json(z.object({ items: z.array(TaskDeadLetterSchema) }), 'Dead task events') },
    }),
    async (c) =>
      c.json({ items: await listTaskDeadLetters(c.get('ctx').vdb, actorOf(c), c.req.valid('query')) }, 200),
  )
  .openapi(
    defineRoute('alerts:write', {
      method: 'post',
      path: '/task-dead-letters/{id}/retry',
      tags: ['alerts', 'tasks'],
      summary: 'Send a dead task event again, once, now, with the same event id; also needs tasks:read',
      request: { params: IdParam },
      responses: {
        200: json(SendOutcomeSchema.extend({ state: z.string(), attempts: z.number().int() }), 'Outcome'),
      },
    }),
    async (c) => {
      const { vdb, config } = c.get('ctx');
      const message = { publicUrl: config.publicUrl, queue: queueOptionsFrom(config) };
      return c.json(await retryTaskDeadLetter(vdb, actorOf(c), c.req.valid('param').id, { message }), 200);
    },
  );
