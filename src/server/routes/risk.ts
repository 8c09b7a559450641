/**
 * @module The prioritized work queue and SSVC overrides over the API: `GET /queue` and
 * `GET /queue/groups` (risk:read), `GET /risk/overrides` (risk:read), `POST /risk/overrides` (risk:write,
 * audited), and the MITRE-rubric questionnaire per model: `GET /risk/rubric/questions`,
 * `GET /risk/rubrics`, `GET /models/{id}/rubric` (risk:read), `PUT /models/{id}/rubric` (risk:write).
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { addOverride, listRiskOverrides, revokeOverride } from '../../risk/overrides-service.js';
import { DECISIONS, OVERRIDE_POINTS } from '../../risk/priority.js';
import { groupQueue, listQueuePage, queueOptionsFrom } from '../../risk/queue-service.js';
import { answerRubric, listModelRubrics, rubricQuestions, showRubric } from '../../risk/rubric-service.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'));

/** `accepted=false` leaves out the items under a risk acceptance in force; `accepted=true` keeps only them. */
const acceptedFlag = flag.openapi({
  type: 'string',
  description: 'false: leave out items under a risk acceptance in force; true: only those',
});

/** `decision=immediate,out-of-cycle`: only items with these SSVC decisions (ranks stay global). */
const decisionList = z
  .preprocess(
    (v) => (v === undefined ? undefined : String(v).split(',')),
    z.array(z.enum(DECISIONS)).min(1).optional(),
  )
  .openapi({
    type: 'string',
    description: 'only items with these decisions, comma-separated (ranks stay global)',
    example: 'immediate,out-of-cycle',
  });

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
    deviceLabel: z.string().openapi({
      description:
        'what a person calls the device: asset tag, else make and model (or class) with host name, IP or MAC, else the address (display only; deviceId is the key)',
    }),
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
    acceptance: z
      .object({
        id: z.string(),
        scope: z.string(),
        decision: z.string(),
        approver: z.string(),
        expiresAt: z.string(),
      })
      .nullable()
      .openapi({
        description:
          'the risk acceptance in force covering the item (device, model or fleet); an accepted item is never overdue and ranks after the items not accepted (decision and due still say how urgent it would be)',
      }),
    group: z.object({
      key: z.string(),
      manufacturer: z.string().nullable(),
      model: z.string().nullable(),
      version: z.string().nullable(),
      fix: z.string().nullable(),
    }),
  })
  .openapi('QueueItem');

const QueueGroupSchema = z
  .object({
    key: z.string(),
    manufacturer: z.string().nullable(),
    model: z.string().nullable(),
    version: z.string().nullable(),
    fix: z.string().nullable(),
    decision: z.enum(['defer', 'scheduled', 'out-of-cycle', 'immediate']),
    topRank: z.number().int(),
    items: z.number().int(),
    byDecision: z
      .object({
        immediate: z.number().int(),
        'out-of-cycle': z.number().int(),
        scheduled: z.number().int(),
        defer: z.number().int(),
      })
      .openapi({ description: "the group's items per decision (decision is only the most urgent)" }),
    devices: z.number().int(),
    overdue: z.number().int(),
    earliestDue: z.string().nullable(),
    vulnerabilities: z.array(z.string()),
  })
  .openapi('QueueGroup');

const RubricQuestionSchema = z
  .object({
    id: z.string(),
    group: z.string(),
    dataClass: z.string().optional(),
    property: z.enum(['C', 'I', 'A']).optional(),
    text: z.string(),
    help: z.string(),
    options: z.array(z.object({ value: z.string(), label: z.string() })),
  })
  .openapi('RubricQuestion');

const RubricSchema = z
  .object({
    modelId: z.string(),
    modelName: z.string().nullable(),
    manufacturer: z.string().nullable(),
    model: z.string().nullable(),
    answers: z.record(z.string(), z.string()),
    notes: z.string().nullable(),
    answeredBy: z.string(),
    answeredAt: z.string(),
    unanswered: z.array(z.string()),
  })
  .openapi('ModelRubric');

const modelParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, description: 'device model id' }),
});

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
          deviceId: z
            .string()
            .max(64)
            .optional()
            .openapi({ description: "one device's items (ranks stay global)" }),
          decision: decisionList,
          accepted: acceptedFlag,
          limit: z.coerce.number().int().min(1).max(100_000).optional(),
          offset: z.coerce.number().int().min(0).optional(),
        }),
      },
      responses: {
        200: json(
          z.object({ items: z.array(QueueItemSchema), total: z.number().int(), offset: z.number().int() }),
          'Queue (one page)',
        ),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const query = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined));
      const ctx = c.get('ctx');
      const page = await listQueuePage(ctx.vdb, actorOf(c), query, queueOptionsFrom(ctx.config));
      return c.json(
        { items: page.items as z.infer<typeof QueueItemSchema>[], total: page.total, offset: page.offset },
        200,
      );
    },
  )
  .openapi(
    defineRoute('risk:read', {
      method: 'get',
      path: '/queue/groups',
      tags: ['risk'],
      summary: 'The queue folded by manufacturer, model, version and fix: the items one update closes',
      request: { query: z.object({ overdue: flag, decision: decisionList, accepted: acceptedFlag }) },
      responses: { 200: json(z.object({ items: z.array(QueueGroupSchema) }), 'Groups') },
    }),
    async (c) => {
      const { overdue, decision, accepted } = c.req.valid('query');
      const ctx = c.get('ctx');
      const page = await listQueuePage(
        ctx.vdb,
        actorOf(c),
        {
          ...(overdue ? { overdue } : {}),
          ...(decision ? { decision } : {}),
          ...(accepted !== undefined ? { accepted } : {}),
        },
        queueOptionsFrom(ctx.config),
      );
      return c.json({ items: groupQueue(page.items) }, 200);
    },
  )
  .openapi(
    defineRoute('risk:read', {
      method: 'get',
      path: '/risk/rubric/questions',
      tags: ['risk'],
      summary: 'The MITRE-rubric questionnaire: every question, its help text and its options',
      responses: { 200: json(z.object({ items: z.array(RubricQuestionSchema) }), 'Questions') },
    }),
    async (c) =>
      c.json({ items: rubricQuestions(actorOf(c)).map((q) => ({ ...q, options: [...q.options] })) }, 200),
  )
  .openapi(
    defineRoute('risk:read', {
      method: 'get',
      path: '/risk/rubrics',
      tags: ['risk'],
      summary: 'Every model with rubric answers',
      responses: { 200: json(z.object({ items: z.array(RubricSchema) }), 'Rubrics') },
    }),
    async (c) => c.json({ items: await listModelRubrics(c.get('ctx').vdb, actorOf(c)) }, 200),
  )
  .openapi(
    defineRoute('risk:read', {
      method: 'get',
      path: '/models/{id}/rubric',
      tags: ['risk'],
      summary:
        "A model's rubric answers (null when none), and with ?vector= what they make of that CVSS vector",
      request: { params: modelParam, query: z.object({ vector: z.string().max(300).optional() }) },
      responses: {
        200: json(
          z.object({
            rubric: RubricSchema.nullable(),
            vector: z
              .object({
                base: z.string(),
                environmental: z.string().nullable(),
                baseScore: z.number().nullable(),
                environmentalScore: z.number().nullable(),
                justification: z.array(
                  z.object({ metric: z.string(), value: z.string(), because: z.string() }),
                ),
                error: z.string().optional(),
              })
              .optional(),
          }),
          'Rubric',
        ),
      },
    }),
    async (c) => {
      const { vector } = c.req.valid('query');
      return c.json(
        await showRubric(c.get('ctx').vdb, actorOf(c), { modelId: c.req.valid('param').id }, vector),
        200,
      );
    },
  )
  .openapi(
    defineRoute('risk:write', {
      method: 'put',
      path: '/models/{id}/rubric',
      tags: ['risk'],
      summary: "Answer a model's rubric questions (merged into earlier answers; null clears one; audited)",
      request: {
        params: modelParam,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({
                answers: z.record(z.string(), z.string().nullable()),
                replace: z.boolean().optional(),
                notes: z.string().optional(),
              }),
            },
          },
        },
      },
      responses: { 200: json(RubricSchema, 'Saved') },
    }),
    async (c) =>
      c.json(
        await answerRubric(c.get('ctx').vdb, actorOf(c), {
          ...c.req.valid('json'),
          modelId: c.req.valid('param').id,
        }),
        200,
      ),
  )
  .openapi(
    defineRoute('risk:read', {
      method: 'get',
      path: '/risk/overrides',
      tags: ['risk'],
      summary: 'SSVC decision-point overrides in force (all=true: also expired and revoked ones)',
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
