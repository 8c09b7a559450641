/**
 * @module Security officers over the API: current and future designations with warnings, the coverage
 * of the organization and each site (`program:read`), designate and end a term (`program:write`).
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import {
  designateOfficer,
  endOfficerTerm,
  getCoverage,
  listOfficers,
} from '../../program/officers/officers-service.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const OfficerSchema = z
  .object({
    id: z.string(),
    personId: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    siteId: z.string().nullable(),
    site: z.string().nullable(),
    role: z.enum(['primary', 'deputy']),
    termStart: z.string(),
    termEnd: z.string().nullable(),
    inTerm: z.boolean(),
    endedAt: z.string().nullable(),
    endedBy: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .openapi('SecurityOfficer');

const WarningSchema = z
  .object({
    code: z.enum(['no-officer-organization', 'no-officer-site', 'term-ending']),
    siteId: z.string().nullable(),
    message: z.string(),
  })
  .openapi('OfficerWarning');

const RefSchema = z
  .object({
    personId: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    termStart: z.string(),
    termEnd: z.string().nullable(),
  })
  .openapi('OfficerRef');

const CoverageSchema = z
  .object({
    organization: z.object({ primary: RefSchema.nullable(), deputies: z.array(RefSchema) }),
    sites: z.array(
      z.object({
        siteId: z.string(),
        siteName: z.string(),
        primary: RefSchema.nullable(),
        deputies: z.array(RefSchema),
      }),
    ),
    warnings: z.array(WarningSchema),
  })
  .openapi('OfficerCoverage');

const IdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

export const programOfficerRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/officers',
      tags: ['program'],
      summary: 'Security officer designations (current and future; all=true adds ended ones) and warnings',
      request: {
        query: z.object({
          all: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
        }),
      },
      responses: {
        200: json(
          z.object({ officers: z.array(OfficerSchema), warnings: z.array(WarningSchema) }),
          'Officers',
        ),
      },
    }),
    async (c) =>
      c.json(
        await listOfficers(c.get('ctx').vdb, actorOf(c), { all: Boolean(c.req.valid('query').all) }),
        200,
      ),
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/officers',
      tags: ['program'],
      summary: 'Designate the security officer (or a deputy) of the organization or a site',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              // Strict: an unknown field is a 400 naming it, never a silent primary designation.
              schema: z.strictObject({
                person: z.string().max(254),
                site: z.string().max(200).nullable().optional(),
                role: z
                  .enum(['primary', 'deputy'])
                  .optional()
                  .openapi({ description: 'As in the response; the same as `deputy: true|false`' }),
                deputy: z.boolean().optional(),
                from: z.string().max(40),
                to: z.string().max(40).nullable().optional(),
              }),
            },
          },
        },
      },
      responses: { 201: json(OfficerSchema, 'Designated') },
    }),
    async (c) => {
      const body = Object.fromEntries(Object.entries(c.req.valid('json')).filter(([, v]) => v !== undefined));
      return c.json(await designateOfficer(c.get('ctx').vdb, actorOf(c), body), 201);
    },
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/officers/coverage',
      tags: ['program'],
      summary: 'Who is officer of the organization and each site today, and the warnings',
      responses: { 200: json(CoverageSchema, 'Coverage') },
    }),
    async (c) => c.json(await getCoverage(c.get('ctx').vdb, actorOf(c)), 200),
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/officers/{id}/end',
      tags: ['program'],
      summary: 'End a term (today, or on the given date)',
      request: {
        params: IdParam,
        body: {
          required: false,
          content: { 'application/json': { schema: z.strictObject({ on: z.string().max(40).optional() }) } },
        },
      },
      responses: { 200: json(OfficerSchema, 'Ended') },
    }),
    async (c) => {
      const body = Object.fromEntries(
        Object.entries((c.req.valid('json') ?? {}) as object).filter(([, v]) => v !== undefined),
      );
      return c.json(await endOfficerTerm(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, body), 200);
    },
  );
