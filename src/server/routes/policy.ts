/**
 * @module The segmentation policy over the API: `GET /policy` (the approved policy and versions),
 * `GET /policy/{id}`, `POST /policy` (save a draft written by hand), `POST /policy/propose`,
 * `POST /policy/{id}/approve` (audited), `POST /policy/simulate`, `GET /policy/export?format=…`.
 * Thin: the policy service validates and decides.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { EXPORT_FORMATS, EXPORT_MEDIA_TYPES } from '../../policy/export/index.js';
import {
  approvePolicy,
  exportPolicyText,
  getPolicy,
  proposeDraft,
  saveDraftPolicy,
  showPolicy,
  simulatePolicy,
} from '../../policy/policy-service.js';
import { ZONINGS } from '../../policy/propose.js';
import { loadMds2Services } from '../../program/mds2/mds2-service.js';
import { ProblemSchema } from '../problem.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** The policy document (docs/policy.md "File format"); validated by the policy service. */
const PolicyDocument = z
  .record(z.string(), z.unknown())
  .openapi('PolicyDocument', { description: 'A Vigil policy file: {name, site, defaultAction, rules[]}' });

const StoredPolicySchema = z
  .object({
    id: z.string(),
    siteId: z.string().nullable(),
    version: z.number().int(),
    state: z.enum(['draft', 'approved', 'superseded']),
    name: z.string(),
    origin: z.string(),
    ruleCount: z.number().int(),
    reviewCount: z.number().int(),
    createdBy: z.string(),
    createdAt: z.string(),
    approvedBy: z.string().nullable(),
    approvedAt: z.string().nullable(),
    supersededAt: z.string().nullable(),
    policy: PolicyDocument,
  })
  .openapi('StoredPolicy');

/** One piece of advisory port guidance or MDS2 declaration applied to a proposed rule (docs/policy.md). */
const AppliedGuidanceSchema = z
  .object({
    ruleId: z.string(),
    port: z.number().int(),
    transport: z.string(),
    source: z.enum(['advisory', 'mds2']),
    advisoryId: z.string().nullable().openapi({ description: 'The advisory the sentence is from' }),
    path: z.string().nullable().openapi({ description: 'Where in the advisory or MDS2 form it was read' }),
    action: z.string().openapi({ description: 'deny | restrict | exposure | undeclared' }),
    sentence: z.string(),
    review: z.boolean().openapi({ description: 'Whether it flagged the rule for review' }),
  })
  .openapi('AppliedGuidance');

const SiteQuery = z.object({
  site: z.string().optional().openapi({ description: 'Site id or name; default every site' }),
});
const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });

export const policyRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('policy:read', {
      method: 'get',
      path: '/policy',
      tags: ['policy'],
      summary: 'The approved segmentation policy of a site (or every site) and all its versions',
      request: { query: SiteQuery },
      responses: {
        200: json(
          z.object({
            approved: StoredPolicySchema.nullable(),
            versions: z.array(z.record(z.string(), z.unknown())),
          }),
          'The approved policy (null when none) and every version, newest first',
        ),
      },
    }),
    async (c) =>
      c.json(
        await showPolicy(c.get('ctx').vdb, actorOf(c), { site: c.req.valid('query').site ?? null }),
        200,
      ),
  )
  .openapi(
    defineRoute('policy:write', {
      method: 'post',
      path: '/policy',
      tags: ['policy'],
      summary: 'Save a policy written or edited by hand as a draft of its site',
      request: { body: { required: true, content: { 'application/json': { schema: PolicyDocument } } } },
      responses: { 201: json(StoredPolicySchema, 'The stored draft'), 400: problem('Not a valid policy') },
    }),
    async (c) => c.json(await saveDraftPolicy(c.get('ctx').vdb, actorOf(c), c.req.valid('json'), 'api'), 201),
  )
  .openapi(
    defineRoute('policy:write', {
      method: 'post',
      path: '/policy/propose',
      tags: ['policy'],
      summary: 'Propose a least-privilege draft from the stored communications of a site (or every site)',
      request: {
        body: {
          required: false,
          content: {
            'application/json': {
              schema: z.object({
                site: z.string().optional(),
                name: z.string().max(200).optional(),
                zones: z.enum(ZONINGS).optional().openapi({
                  description: 'How rule sides group devices: by class (default), department, or both',
                }),
              }),
            },
          },
        },
      },
      responses: {
        201: json(
          StoredPolicySchema.extend({
            flows: z.number().int(),
            refused: z.number().int().openapi({
              description:
                'TCP conversations among `flows` the server only refused or never answered: left out',
            }),
            linkLocal: z.number().int().openapi({
              description:
                'Link-local conversations (169.254.0.0/16, fe80::/10) among `flows`: left out, no firewall between segments sees them',
            }),
            mdns: z.number().int().openapi({
              description: 'mDNS flows (224.0.0.251 / ff02::fb, 5353/udp) among `flows`: left out',
            }),
            llmnr: z.number().int().openapi({
              description: 'LLMNR flows (224.0.0.252 / ff02::1:3, 5355/udp) among `flows`: left out',
            }),
            diff: z.record(z.string(), z.unknown()),
            approvedId: z.string().nullable().openapi({
              description: 'The approved policy `diff` compares with; null when the scope has none yet',
            }),
            guidance: z.array(AppliedGuidanceSchema),
          }),
          'The stored draft, how many flows it came from, its diff against the approved policy, and the port guidance it applied',
        ),
      },
    }),
    async (c) => {
      const body = c.req.valid('json') ?? {};
      return c.json(
        await proposeDraft(
          c.get('ctx').vdb,
          actorOf(c),
          {
            site: body.site ?? null,
            ...(body.name ? { name: body.name } : {}),
            ...(body.zones ? { zones: body.zones } : {}),
          },
          // Declared services from imported MDS2 forms (issue 7) guide the proposal.
          { mds2: await loadMds2Services(c.get('ctx').vdb) },
        ),
        201,
      );
    },
  )
  .openapi(
    defineRoute('policy:read', {
      method: 'post',
      path: '/policy/simulate',
      tags: ['policy'],
      summary:
        'Replay stored communications against a policy (given, or the approved one): what would be blocked',
      request: {
        body: {
          required: false,
          content: {
            'application/json': {
              schema: z.object({ site: z.string().optional(), policy: PolicyDocument.optional() }),
            },
          },
        },
      },
      responses: {
        200: json(
          z.record(z.string(), z.unknown()),
          'flows, allowed, blocked, decisions[], blockedByDevice[]',
        ),
        404: problem('No approved policy and none given'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json') ?? {};
      return c.json(
        await simulatePolicy(c.get('ctx').vdb, actorOf(c), {
          site: body.site ?? null,
          ...(body.policy !== undefined ? { policy: body.policy } : {}),
        }),
        200,
      );
    },
  )
  .openapi(
    defineRoute('policy:read', {
      method: 'get',
      path: '/policy/export',
      tags: ['policy'],
      summary: 'The approved policy as nftables, iptables/ip6tables-restore, Cisco IOS ACLs or neutral JSON',
      request: { query: SiteQuery.extend({ format: z.enum(EXPORT_FORMATS) }) },
      responses: {
        200: {
          description: 'The ruleset',
          content: { 'text/plain': { schema: z.string() }, 'application/json': { schema: z.unknown() } },
        },
        404: problem('No approved policy'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const text = await exportPolicyText(c.get('ctx').vdb, actorOf(c), {
        format: q.format,
        site: q.site ?? null,
      });
      c.header('content-type', EXPORT_MEDIA_TYPES[q.format]);
      // A ruleset is text in its own syntax, not a typed JSON shape; the route documents the media types.
      return c.body(text, 200) as never;
    },
  )
  .openapi(
    defineRoute('policy:read', {
      method: 'get',
      path: '/policy/{id}',
      tags: ['policy'],
      summary: 'One policy version with its rules',
      request: { params: IdParam },
      responses: { 200: json(StoredPolicySchema, 'The policy'), 404: problem('No such policy') },
    }),
    async (c) => c.json(await getPolicy(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('policy:write', {
      method: 'post',
      path: '/policy/{id}/approve',
      tags: ['policy'],
      summary:
        'Approve a draft: it becomes the policy of its site and supersedes the approved one (audited); a draft with rules flagged for review needs acceptReview=true',
      request: {
        params: IdParam,
        query: z.object({
          acceptReview: z.enum(['true', 'false']).optional().openapi({
            description: 'approve although rules are flagged for review (they are named in the audit entry)',
          }),
        }),
      },
      responses: {
        200: json(StoredPolicySchema, 'The approved policy'),
        404: problem('No such policy'),
        409: problem('Not a draft, or rules flagged for review without acceptReview=true'),
      },
    }),
    async (c) =>
      c.json(
        await approvePolicy(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, {
          acceptReview: c.req.valid('query').acceptReview === 'true',
        }),
        200,
      ),
  );
