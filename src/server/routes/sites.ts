/**
 * @module Sites and network segments over the API: list, create, show, add a segment.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { addSegment, createSite, getSite, listSites } from '../../inventory/site-service.js';
import { ProblemSchema } from '../problem.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

export const SiteSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    deviceCount: z.number().int(),
    segmentCount: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Site');

export const SegmentSchema = z
  .object({
    id: z.string(),
    siteId: z.string(),
    name: z.string(),
    cidrs: z.array(z.string()).openapi({ example: ['10.20.31.0/24'] }),
    vlan: z.number().int().nullable(),
    zone: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Segment');

const SiteDetailSchema = SiteSchema.extend({ segments: z.array(SegmentSchema) }).openapi('SiteDetail');

const SiteParam = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'id', in: 'path' }, description: 'Site id or name' }),
});

export const siteRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('sites:read', {
      method: 'get',
      path: '/sites',
      tags: ['sites'],
      summary: 'List sites with device and segment counts',
      responses: { 200: json(z.array(SiteSchema), 'Sites') },
    }),
    async (c) => c.json(await listSites(c.get('ctx').vdb, actorOf(c)), 200),
  )
  .openapi(
    defineRoute('sites:write', {
      method: 'post',
      path: '/sites',
      tags: ['sites'],
      summary: 'Create a site',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                name: z.string().max(200),
                description: z.string().max(1000).nullable().optional(),
              }),
            },
          },
        },
      },
      responses: { 201: json(SiteDetailSchema, 'Created'), 409: problem('A site with this name exists') },
    }),
    async (c) => c.json(await createSite(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 201),
  )
  .openapi(
    defineRoute('sites:read', {
      method: 'get',
      path: '/sites/{id}',
      tags: ['sites'],
      summary: 'A site with its segments',
      request: { params: SiteParam },
      responses: { 200: json(SiteDetailSchema, 'The site'), 404: problem('No such site (or not yours)') },
    }),
    async (c) => c.json(await getSite(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('sites:write', {
      method: 'post',
      path: '/sites/{id}/segments',
      tags: ['sites'],
      summary: 'Add a network segment (CIDR blocks, VLAN, zone) to a site',
      request: {
        params: SiteParam,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                name: z.string().max(100),
                cidrs: z.array(z.string()).openapi({ example: ['10.20.31.0/24'] }),
                vlan: z.number().int().nullable().optional(),
                zone: z.string().max(50).nullable().optional(),
              }),
            },
          },
        },
      },
      responses: {
        201: json(SegmentSchema, 'Added'),
        404: problem('No such site'),
        409: problem('The site has a segment of this name'),
      },
    }),
    async (c) =>
      c.json(
        await addSegment(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        201,
      ),
  );
