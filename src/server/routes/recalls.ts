/**
 * @module Recalls over the API: list and show FDA recalls, run the matcher, list matches, confirm or
 * reject one, and parse a UDI. Imports of openFDA files stay on the CLI (they read server-side files).
 * Bodies and queries are validated by the domain module, so the API and the CLI refuse the same things.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import {
  decideRecallMatch,
  getRecallDetail,
  listRecallMatches,
  listRecalls,
  MATCH_STATES,
  parseUdiFor,
  runRecallMatch,
} from '../../recalls/recall-service.js';
import { UDI_ISSUERS } from '../../recalls/udi/udi-types.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const IdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

const many = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) => (v === undefined ? undefined : Array.isArray(v) ? v : String(v).split(',')),
    z.array(item).optional(),
  );

export const RecallSchema = z
  .object({
    id: z.string(),
    source: z.enum(['recall', 'enforcement']),
    recallNumber: z.string(),
    eventNumber: z.string().nullable(),
    productCode: z.string().nullable(),
    kNumbers: z.array(z.string()),
    pmaNumbers: z.array(z.string()),
    productDescription: z.string().nullable(),
    codeInfo: z.string().nullable(),
    recallingFirm: z.string().nullable(),
    reason: z.string().nullable(),
    rootCause: z.string().nullable(),
    action: z.string().nullable(),
    classification: z.string().nullable(),
    status: z.string().nullable(),
    initiated: z.string().nullable(),
    posted: z.string().nullable(),
    terminated: z.string().nullable(),
    productQuantity: z.string().nullable(),
    deviceName: z.string().nullable(),
    medicalSpecialty: z.string().nullable(),
    deviceClass: z.string().nullable(),
    regulationNumber: z.string().nullable(),
    cyber: z.boolean(),
    cyberTerms: z.array(z.string()),
    updatedAt: z.string(),
  })
  .openapi('Recall');

export const RecallMatchSchema = z
  .object({
    id: z.string(),
    recallId: z.string(),
    recallNumber: z.string(),
    deviceId: z.string(),
    assetTag: z.string().nullable(),
    deviceLabel: z.string().openapi({
      description:
        'What a person calls the device: the asset tag, else make and model (or class) with its newest host name, IP or MAC, else the address. For display; deviceId is the key',
    }),
    serialNumber: z.string().nullable(),
    modelId: z.string().nullable(),
    model: z.string().nullable(),
    basis: z.string(),
    confidence: z.string(),
    state: z.enum(MATCH_STATES),
    cyber: z.boolean(),
    explanation: z.string(),
    evidence: z.record(z.string(), z.unknown()),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decisionReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('RecallMatch');

const RecallDetailSchema = RecallSchema.extend({
  related: z.array(z.object({ id: z.string(), source: z.string(), classification: z.string().nullable() })),
  productCodeInfo: z
    .object({
      deviceName: z.string().nullable(),
      deviceClass: z.string().nullable(),
      medicalSpecialty: z.string().nullable(),
      regulationNumber: z.string().nullable(),
    })
    .nullable(),
  matches: z.array(RecallMatchSchema),
  campaigns: z.array(z.object({ modelId: z.string(), campaignId: z.string(), createdAt: z.string() })),
}).openapi('RecallDetail');

export const ParsedUdiSchema = z
  .object({
    issuer: z.enum(UDI_ISSUERS),
    di: z.string().nullable(),
    lot: z.string().nullable(),
    serial: z.string().nullable(),
    expiry: z.string().nullable(),
    manufactured: z.string().nullable(),
    extra: z.record(z.string(), z.string()),
    elements: z.array(
      z.object({ id: z.string(), name: z.string(), value: z.string(), position: z.number().int() }),
    ),
  })
  .openapi('ParsedUdi');

const MatchRunSchema = z.object({
  recalls: z.number().int(),
  devices: z.number().int(),
  added: z.number().int(),
  updated: z.number().int(),
  removed: z.number().int(),
  unchanged: z.number().int(),
  byState: z.record(z.string(), z.number().int()),
  campaigns: z.array(
    z.object({
      recallNumber: z.string(),
      modelId: z.string(),
      campaignId: z.string(),
      tasksCreated: z.number().int(),
    }),
  ),
});

const body = <T extends z.ZodType>(schema: T) => ({
  body: { required: true, content: { 'application/json': { schema } } },
});

const clean = (q: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined));

export const recallRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('recalls:read', {
      method: 'get',
      path: '/recalls',
      tags: ['recalls'],
      summary: 'FDA recalls and enforcement reports, most recently initiated first',
      request: {
        query: z.object({
          cyber: z.enum(['true', 'false']).optional(),
          source: z.enum(['recall', 'enforcement']).optional(),
          productCode: z.string().max(10).optional(),
          firm: z.string().max(200).optional(),
          matched: z.enum(['true', 'false']).optional(),
          limit: z.string().max(6).optional(),
          offset: z.string().max(9).optional(),
        }),
      },
      responses: {
        200: json(
          z.object({
            items: z.array(RecallSchema),
            total: z.number().int(),
            limit: z.number().int(),
            offset: z.number().int(),
          }),
          'Recalls',
        ),
      },
    }),
    async (c) => c.json(await listRecalls(c.get('ctx').vdb, actorOf(c), clean(c.req.valid('query'))), 200),
  )
  .openapi(
    defineRoute('recalls:read', {
      method: 'get',
      path: '/recalls/matches',
      tags: ['recalls'],
      summary: 'Recall matches: devices, basis, confidence, state',
      request: {
        query: z.object({
          state: many(z.enum(MATCH_STATES)),
          recall: z.string().max(64).optional(),
          deviceId: z.string().max(64).optional(),
          cyber: z.enum(['true', 'false']).optional(),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(RecallMatchSchema) }), 'Matches') },
    }),
    async (c) =>
      c.json(
        { items: await listRecallMatches(c.get('ctx').vdb, actorOf(c), clean(c.req.valid('query'))) },
        200,
      ),
  )
  .openapi(
    defineRoute('recalls:write', {
      method: 'post',
      path: '/recalls/match',
      tags: ['recalls'],
      summary:
        'Match every recall against the inventory; optionally open recall campaigns (needs tasks:write)',
      request: body(
        z.record(z.string(), z.unknown()).openapi({ description: '{campaigns?: boolean, due?: ISO date}' }),
      ),
      responses: { 200: json(MatchRunSchema, 'Run') },
    }),
    async (c) => c.json(await runRecallMatch(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 200),
  )
  .openapi(
    defineRoute('recalls:write', {
      method: 'post',
      path: '/recalls/matches/{id}/decision',
      tags: ['recalls'],
      summary: 'Confirm or reject a recall match',
      request: {
        params: IdParam,
        ...body(
          z.object({ decision: z.enum(['confirm', 'reject']), reason: z.string().max(2000).optional() }),
        ),
      },
      responses: { 200: json(RecallMatchSchema, 'Decided') },
    }),
    async (c) =>
      c.json(
        await decideRecallMatch(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        200,
      ),
  )
  .openapi(
    defineRoute('recalls:read', {
      method: 'get',
      path: '/recalls/{id}',
      tags: ['recalls'],
      summary: 'One recall (id or recall number) with its matches and campaigns',
      request: { params: IdParam },
      responses: { 200: json(RecallDetailSchema, 'Recall') },
    }),
    async (c) => c.json(await getRecallDetail(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('recalls:read', {
      method: 'post',
      path: '/udi/parse',
      tags: ['recalls'],
      summary: 'Parse a UDI (GS1, HIBCC, ICCBBA): issuer, device identifier, lot, serial, dates',
      request: body(z.object({ udi: z.string().max(4096) })),
      responses: { 200: json(ParsedUdiSchema, 'Parsed') },
    }),
    async (c) => c.json(parseUdiFor(actorOf(c), c.req.valid('json').udi), 200),
  );
