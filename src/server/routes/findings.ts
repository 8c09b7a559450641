/**
 * @module Findings over the API: list with filters, show with evidence, change state.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { SEVERITIES } from '../../discovery/finding-severity.js';
import { FINDING_TYPES } from '../../discovery/host-observation.js';
import {
  FINDING_STATES,
  getFinding,
  listFindings,
  setFindingState,
} from '../../findings/findings-service.js';
import { resolveDevice } from '../../inventory/inventory-service.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const EvidenceSchema = z
  .object({
    source: z.enum(['capture', 'scanner', 'log', 'live']),
    file: z.string(),
    connection: z.string().optional(),
    packet: z.number().int().optional(),
    time: z.string().optional(),
    summary: z.string(),
  })
  .openapi('Evidence');

export const FindingSchema = z
  .object({
    id: z.string(),
    type: z.enum(FINDING_TYPES),
    severity: z.enum(SEVERITIES),
    deviceId: z.string(),
    deviceLabel: z.string().openapi({
      description:
        'What people call the device (asset tag, else make and model with its address); for display',
    }),
    assetTag: z.string().nullable(),
    subject: z.string(),
    title: z.string(),
    state: z.enum(FINDING_STATES),
    evidence: EvidenceSchema,
    lastEvidence: EvidenceSchema,
    details: z.record(z.string(), z.unknown()),
    occurrences: z.number().int(),
    firstSeen: z.string(),
    lastSeen: z.string(),
  })
  .openapi('Finding');

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

export const findingRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('findings:read', {
      method: 'get',
      path: '/findings',
      tags: ['findings'],
      summary: 'Findings, most recently seen first',
      request: {
        query: z.object({
          type: z.enum(FINDING_TYPES).optional(),
          severity: many(z.enum(SEVERITIES)),
          state: many(z.enum(FINDING_STATES)),
          deviceId: z.string().max(255).optional().openapi({
            description: 'A device id or reference (asset tag, serial, UDI, MAC, IP, host name)',
          }),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(FindingSchema) }), 'Findings') },
    }),
    async (c) => {
      const { limit, offset, ...query } = c.req.valid('query');
      const { vdb } = c.get('ctx');
      const actor = actorOf(c);
      // The address a list shows, typed back, must not read as "no findings": resolve it, or 404.
      if (query.deviceId) query.deviceId = (await resolveDevice(vdb, actor, query.deviceId)).id;
      return c.json({ items: await listFindings(vdb, actor, query, { limit, offset }) }, 200);
    },
  )
  .openapi(
    defineRoute('findings:read', {
      method: 'get',
      path: '/findings/{id}',
      tags: ['findings'],
      summary: 'One finding with its evidence',
      request: { params: IdParam },
      responses: { 200: json(FindingSchema, 'Finding') },
    }),
    async (c) => c.json(await getFinding(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('findings:write', {
      method: 'post',
      path: '/findings/{id}/state',
      tags: ['findings'],
      summary: 'Acknowledge, resolve, re-open or dismiss a finding',
      request: {
        params: IdParam,
        body: {
          required: true,
          content: {
            'application/json': {
              // Strict: a misspelt `reason` was dropped, and the change audited without the why.
              schema: z.strictObject({
                state: z.enum(FINDING_STATES),
                reason: z.string().max(500).optional(),
              }),
            },
          },
        },
      },
      responses: { 200: json(FindingSchema, 'Changed') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(
        await setFindingState(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, body.state, body.reason),
        200,
      );
    },
  );
