/**
 * @module The prioritized work queue and SSVC overrides over the API: `GET /queue` (risk:read),
 * `GET /risk/overrides` (risk:read), `POST /risk/overrides` (risk:write, audited).
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { addOverride, listRiskOverrides, revokeOverride } from '../../risk/overrides-service.js';
import { OVERRIDE_POINTS } from '../../risk/priority.js';
import { listQueue } from '../../risk/queue-service.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'));

const EvidenceSchema = z.object({
  point: z.string(),
  value: z.string(),
  because: z.string(),
  source: z.string(),
});

const QueueItemSchema = z
  .object({
    kind: z.enum(['vulnerability', 'finding']),
    rank: z.number().int(),
    score: z.number(),
    deviceId: z.string(),
    assetTag: z.string().nullable(),
    vulnerability: z.string().nullable(),
    cve: z.string().nullable(),
    findingId: z.string().nullable(),
    title: z.string().nullable(),
    advisoryIds: z.array(z.string()),
    status: z.string(),
    decision: z.enum(['defer', 'scheduled', 'out-of-cycle', 'immediate']),
    cisa: z.string().nullable(),
    due: z.string().nullable(),
    dueBecause: z.string(),
    overdue: z.boolean(),
    evidence: z.array(EvidenceSchema),
    cvss: z.object({
      base: z.number().nullable(),
      environmental: z.number().nullable(),
      vector: z.string().nullable(),
      baseVector: z.string().nullable(),
    }),
    kev: z.unknown(),
    epss: z.unknown(),
    fixAvailable: z.boolean(),
    overrides: z.array(z.string()),
    group: z.object({
      key: z.string(),
      manufacturer: z.string().nullable(),
      model: z.string().nullable(),
      version: z.string().nullable(),
      fix: z.string().nullable(),
    }),
  })
  .openapi('QueueItem');

const OverrideSchema = z
  .object({
    id: z.string(),
    scope: z.enum(['device', 'model']),
    deviceId: z.string().nullable(),
    modelId: z.string().nullable(),
    point: z.string(),
    value: z.string(),
    reason: z.string(),
    expiresAt: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi('RiskOverride');

const OverrideBody = z.object({
  scope: z.enum(['device', 'model']),
  device: z
    .string()
    .optional()
    .openapi({ description: 'device id or asset tag (for model scope: its model)' }),
  modelId: z.string().optional(),
  point: z.enum(Object.keys(OVERRIDE_POINTS) as [string, ...string[]]),
  value: z.string(),
  reason: z.string(),
  expiresAt: z.string().openapi({ description: 'ISO-8601 date or date-time, in the future' }),
});

export const riskRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('risk:read', {
      method: 'get',
      path: '/queue',
      tags: ['risk'],
      summary:
        'The prioritized work queue: matches (affected, needs review) and open findings, most urgent first',
      request: {
        query: z.object({
          overdue: flag,
          limit: z.coerce.number().int().min(1).max(100_000).optional(),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(QueueItemSchema) }), 'Queue') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const query = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined));
      const items = await listQueue(c.get('ctx').vdb, actorOf(c), query);
      return c.json({ items: items as z.infer<typeof QueueItemSchema>[] }, 200);
    },
  )
  .openapi(
    defineRoute('risk:read', {
      method: 'get',
      path: '/risk/overrides',
      tags: ['risk'],
      summary: 'SSVC decision-point overrides in force (all=true: also expired ones)',
      request: { query: z.object({ all: flag }) },
      responses: { 200: json(z.object({ items: z.array(OverrideSchema) }), 'Overrides') },
    }),
    async (c) => {
      const { all } = c.req.valid('query');
      return c.json(
        { items: await listRiskOverrides(c.get('ctx').vdb, actorOf(c), all ? { all } : {}) },
        200,
      );
    },
  )
  .openapi(
    defineRoute('risk:write', {
      method: 'post',
      path: '/risk/overrides',
      tags: ['risk'],
      summary: 'Override one SSVC decision point for a device or a model, with reason and expiry (audited)',
      request: { body: { required: true, content: { 'application/json': { schema: OverrideBody } } } },
      responses: { 201: json(OverrideSchema, 'Created') },
    }),
    async (c) => c.json(await addOverride(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 201),
  )
  .openapi(
    defineRoute('risk:write', {
      method: 'post',
      path: '/risk/overrides/{id}/revoke',
      tags: ['risk'],
      summary: 'End an override before its expiry, with a reason (audited)',
      request: {
        params: z.object({
          id: z
            .string()
            .max(64)
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
        body: {
          required: true,
          content: { 'application/json': { schema: z.object({ reason: z.string().min(1).max(2000) }) } },
        },
      },
      responses: { 200: json(OverrideSchema, 'Revoked') },
    }),
    async (c) =>
      c.json(
        await revokeOverride(
          c.get('ctx').vdb,
          actorOf(c),
          c.req.valid('param').id,
          c.req.valid('json').reason,
        ),
        200,
      ),
  );
