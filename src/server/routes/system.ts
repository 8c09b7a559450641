/**
 * @module Health, first-run setup and system status.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { completeSetup, needsSetup } from '../../accounts/first-run.js';
import { VERSION } from '../../version.js';
import { clientIp } from '../authenticate.js';
import { type AppEnv, defineRoute, json } from '../route.js';
import { UserSchema } from './users.js';

export const systemRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('public', {
      method: 'get',
      path: '/health',
      tags: ['system'],
      summary: 'Liveness: the server answers and the database responds',
      responses: { 200: json(z.object({ status: z.literal('ok') }), 'Healthy') },
    }),
    async (c) => {
      await needsSetup(c.get('ctx').vdb);
      return c.json({ status: 'ok' as const }, 200);
    },
  )
  .openapi(
    defineRoute('public', {
      method: 'get',
      path: '/setup',
      tags: ['system'],
      summary: 'Whether the first admin still has to be created',
      responses: { 200: json(z.object({ needed: z.boolean() }), 'Setup state') },
    }),
    async (c) => c.json({ needed: await needsSetup(c.get('ctx').vdb) }, 200),
  )
  .openapi(
    defineRoute('public', {
      method: 'post',
      path: '/setup',
      tags: ['system'],
      summary: 'Create the first admin with the one-time setup token printed by `vigil serve`',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({
                setupToken: z.string().min(1).max(200),
                username: z.string(),
                password: z.string().max(1024),
              }),
            },
          },
        },
      },
      responses: { 201: json(UserSchema, 'First admin created'), 409: { description: 'Already set up' } },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await completeSetup(c.get('ctx').vdb, { ...body, ip: clientIp(c) }), 201);
    },
  )
  .openapi(
    defineRoute('system:read', {
      method: 'get',
      path: '/system',
      tags: ['system'],
      summary: 'Version, runtime and database (never secrets)',
      responses: {
        200: json(
          z.object({
            version: z.string(),
            node: z.string(),
            database: z.object({ dialect: z.string(), location: z.string() }),
          }),
          'Status',
        ),
      },
    }),
    async (c) => {
      const { vdb } = c.get('ctx');
      return c.json(
        {
          version: VERSION,
          node: process.version,
          database: { dialect: vdb.dialect, location: vdb.description },
        },
        200,
      );
    },
  );
