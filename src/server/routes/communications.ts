/**
 * @module Communications and baselines over the API: a device's peers, the communication map, the
 * learned baselines (list, show, learn, allow/deny/remove an entry, approve) and the scheduled
 * availability check.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { checkAvailability } from '../../monitor/baseline/availability.js';
import {
  approveBaselines,
  BASELINE_STATES,
  editBaselineEntry,
  learnBaselinesFromTraffic,
  listBaselineViews,
  showBaseline,
} from '../../monitor/baseline/baseline-service.js';
import { BASELINE_ENTRY_KINDS } from '../../monitor/baseline/learn.js';
import { devicePeers } from '../../monitor/baseline/peers.js';
import { communicationMap, MAP_EDGE_LIMIT, MAP_GROUPINGS } from '../../monitor/communication-map.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const PeerSchema = z
  .object({
    ip: z.string(),
    deviceId: z.string().nullable(),
    role: z.string(),
    deviceClass: z.string().nullable(),
    manufacturer: z.string().nullable(),
    model: z.string().nullable(),
    assetTag: z.string().nullable(),
    deviceLabel: z.string().nullable().openapi({
      description:
        'What a person calls the peer device: the asset tag, else make and model (or class) with its newest host name, IP or MAC, else the address; null when the address is no inventory device. For display; deviceId is the key',
    }),
    direction: z.enum(['outbound', 'inbound', 'both']),
    ports: z.array(z.string()),
    protocols: z.array(z.string()),
    connections: z.number(),
    packets: z.number(),
    bytes: z.number(),
    firstSeen: z.string(),
    lastSeen: z.string(),
  })
  .openapi('Peer');

const BaselineEntrySchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    value: z.string(),
    effect: z.enum(['allow', 'deny']),
    origin: z.enum(['learned', 'manual']),
    details: z.record(z.string(), z.unknown()),
    reason: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .openapi('BaselineEntry');

const BaselineSchema = z
  .object({
    id: z.string(),
    scope: z.enum(['device', 'model']),
    deviceId: z.string().nullable(),
    modelId: z.string().nullable(),
    siteId: z.string().nullable(),
    state: z.enum(BASELINE_STATES),
    windowDays: z.number().int(),
    windowStart: z.string(),
    windowEnd: z.string(),
    learnedAt: z.string(),
    learnedBy: z.string(),
    approvedBy: z.string().nullable(),
    approvedAt: z.string().nullable(),
    lastSeen: z.string().nullable(),
    entries: z.array(BaselineEntrySchema),
  })
  .openapi('Baseline');

const MapNodeSchema = z
  .object({
    id: z.string().openapi({ description: '`zone:<name>`, `class:<device class>` or `external:internet`' }),
    label: z.string(),
    kind: z.enum(['zone', 'deviceClass', 'external']),
    devices: z
      .number()
      .int()
      .openapi({ description: "Inventory devices seen in the group's communications" }),
    addresses: z.number().int().openapi({ description: "Addresses seen in the group's communications" }),
  })
  .openapi('MapNode');

const MapEdgeSchema = z
  .object({
    from: z.string().openapi({ description: 'Node id of the side that opened the connections' }),
    to: z.string(),
    protocols: z.array(z.string()),
    ports: z.array(z.number().int()),
    flows: z.number().int().openapi({ description: 'Stored communications folded into the edge' }),
    connections: z.number().int(),
    bytes: z.number(),
    lastSeen: z.string(),
    allowedByPolicy: z
      .boolean()
      .optional()
      .openapi({ description: 'With an approved policy: whether it allows every flow of the edge' }),
    blockedFlows: z.number().int().optional(),
  })
  .openapi('MapEdge');

const CommunicationMapSchema = z
  .object({
    groupBy: z.enum(MAP_GROUPINGS),
    siteId: z.string().nullable(),
    since: z.string().nullable(),
    policyId: z.string().nullable(),
    nodes: z.array(MapNodeSchema),
    edges: z.array(MapEdgeSchema),
    totalEdges: z.number().int(),
    truncated: z.boolean(),
  })
  .openapi('CommunicationMap');

const IdParam = z.object({
  id: z
    .string()
    .max(200)
    .openapi({ param: { name: 'id', in: 'path' } }),
});
const Subject = z.object({
  device: z.string().max(200).optional(),
  model: z.string().max(200).optional(),
});
const body = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const communicationRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('monitor:read', {
      method: 'get',
      path: '/devices/{id}/peers',
      tags: ['monitor'],
      summary: "A device's communication peers: role, ports, protocols, volume, first and last seen",
      request: { params: IdParam, query: z.object({ since: z.string().datetime().optional() }) },
      responses: {
        200: json(z.object({ deviceId: z.string(), peers: z.array(PeerSchema) }), 'Peers, busiest first'),
      },
    }),
    async (c) => {
      const { since } = c.req.valid('query');
      return c.json(
        await devicePeers(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, since ? { since } : {}),
        200,
      );
    },
  )
  .openapi(
    defineRoute('monitor:read', {
      method: 'get',
      path: '/communications/map',
      tags: ['monitor'],
      summary:
        "The communication map: zones (or device classes) and the internet as nodes, client → server edges with protocols, ports, volume and the approved policy's verdict",
      request: {
        query: z.object({
          site: z
            .string()
            .max(200)
            .optional()
            .openapi({ description: 'Site id or name; default every site' }),
          groupBy: z.enum(MAP_GROUPINGS).optional().openapi({ description: 'zone (default) or deviceClass' }),
          since: z.string().datetime({ offset: true }).optional(),
          limit: z.coerce
            .number()
            .int()
            .min(1)
            .max(5000)
            .optional()
            .openapi({ description: `Most edges to return, busiest first (default ${MAP_EDGE_LIMIT})` }),
        }),
      },
      responses: { 200: json(CommunicationMapSchema, 'The map; `truncated` when edges were left out') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(
        await communicationMap(c.get('ctx').vdb, actorOf(c), {
          ...(q.site ? { site: q.site } : {}),
          ...(q.groupBy ? { groupBy: q.groupBy } : {}),
          ...(q.since ? { since: q.since } : {}),
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
        }),
        200,
      );
    },
  )
  .openapi(
    defineRoute('monitor:read', {
      method: 'get',
      path: '/baselines',
      tags: ['monitor'],
      summary: 'Communication baselines (per device and per model) with their entries',
      request: {
        query: z.object({
          siteId: z.string().max(200).optional(),
          state: z.enum(BASELINE_STATES).optional(),
          scope: z.enum(['device', 'model']).optional(),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(BaselineSchema) }), 'Baselines') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json({ items: await listBaselineViews(c.get('ctx').vdb, actorOf(c), q) }, 200);
    },
  )
  .openapi(
    defineRoute('monitor:read', {
      method: 'get',
      path: '/baselines/show',
      tags: ['monitor'],
      summary: 'The baseline of one device (id, MAC, asset tag …) or model',
      request: { query: Subject },
      responses: { 200: json(BaselineSchema, 'Baseline') },
    }),
    async (c) => c.json(await showBaseline(c.get('ctx').vdb, actorOf(c), c.req.valid('query')), 200),
  )
  .openapi(
    defineRoute('monitor:write', {
      method: 'post',
      path: '/baselines/learn',
      tags: ['monitor'],
      summary: 'Learn or re-learn baselines from the communications of the last N days',
      request: {
        body: body(
          z.object({
            siteId: z.string().max(200).optional(),
            days: z.number().int().min(1).max(365).optional(),
          }),
        ),
      },
      responses: {
        200: json(
          z.object({
            devices: z.number(),
            models: z.number(),
            created: z.number(),
            updated: z.number(),
            windowStart: z.string(),
            windowEnd: z.string(),
          }),
          'Learned',
        ),
      },
    }),
    async (c) =>
      c.json(await learnBaselinesFromTraffic(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 200),
  )
  .openapi(
    defineRoute('monitor:write', {
      method: 'post',
      path: '/baselines/entries',
      tags: ['monitor'],
      summary: 'Allow or deny a baseline entry by hand, or remove a hand-made one (with a reason, audited)',
      request: {
        body: body(
          Subject.extend({
            action: z.enum(['allow', 'deny', 'remove']),
            kind: z.enum(BASELINE_ENTRY_KINDS),
            value: z.string().max(300),
            reason: z.string().max(1000),
          }),
        ),
      },
      responses: { 200: json(BaselineSchema, 'The baseline after the change') },
    }),
    async (c) => {
      const { action, ...entry } = c.req.valid('json');
      return c.json(await editBaselineEntry(c.get('ctx').vdb, actorOf(c), action, entry), 200);
    },
  )
  .openapi(
    defineRoute('monitor:write', {
      method: 'post',
      path: '/baselines/approve',
      tags: ['monitor'],
      summary: 'Approve baselines (learning → active): from then on traffic outside them raises alerts',
      request: {
        body: body(Subject.extend({ all: z.boolean().optional(), siteId: z.string().max(200).optional() })),
      },
      responses: { 200: json(z.object({ approved: z.array(z.string()) }), 'Approved baseline ids') },
    }),
    async (c) => c.json(await approveBaselines(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 200),
  )
  .openapi(
    defineRoute('monitor:write', {
      method: 'post',
      path: '/baselines/check-availability',
      tags: ['monitor'],
      summary: 'Raise device-not-seen alerts for devices with an active baseline silent for too long',
      request: {
        body: body(
          z.object({
            hours: z
              .number()
              .min(1)
              .max(24 * 365)
              .optional(),
          }),
        ),
      },
      responses: {
        200: json(
          z.object({
            checked: z.number(),
            notSeen: z.number(),
            hours: z.number(),
            created: z.number(),
            updated: z.number(),
            suppressed: z.number(),
            alertIds: z.array(z.string()),
          }),
          'Checked',
        ),
      },
    }),
    async (c) => {
      const { hours } = c.req.valid('json');
      const { vdb, config } = c.get('ctx');
      return c.json(
        await checkAvailability(vdb, actorOf(c), {
          ...(hours !== undefined ? { hours } : {}),
          rateLimit: config.alertRateLimitPerHour,
        }),
        200,
      );
    },
  );
