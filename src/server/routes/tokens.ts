/**
 * @module API tokens over the API: list, create (the secret is in this one response only), revoke.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { createApiToken, listApiTokens, MAX_TOKEN_DAYS, revokeApiToken } from '../../accounts/api-tokens.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

export const ApiTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    owner: z.string(),
    permissions: z.array(z.string()),
    siteIds: z.array(z.string()).nullable(),
    expiresAt: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiToken');

export const tokenRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('tokens:read', {
      method: 'get',
      path: '/tokens',
      tags: ['tokens'],
      summary: 'List API tokens (never their secrets)',
      responses: { 200: json(z.array(ApiTokenSchema), 'Tokens') },
    }),
    async (c) => c.json(await listApiTokens(c.get('ctx').vdb, actorOf(c)), 200),
  )
  .openapi(
    defineRoute('tokens:write', {
      method: 'post',
      path: '/tokens',
      tags: ['tokens'],
      summary: 'Create an API token; read-only unless permissions are given',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              // Every field but the name is optional, so a misspelt one ("user", "site") would
              // otherwise be dropped and the token made for the caller, all sites, read-only: refuse it.
              schema: z.strictObject({
                name: z.string().min(1).max(100),
                owner: z.string().optional(),
                permissions: z.array(z.string()).optional(),
                sites: z.array(z.string()).optional(),
                expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).optional(),
              }),
            },
          },
        },
      },
      responses: {
        201: json(
          z.object({ token: z.string(), info: ApiTokenSchema }),
          'Created; the token is shown only here',
        ),
      },
    }),
    async (c) => c.json(await createApiToken(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 201),
  )
  .openapi(
    defineRoute('tokens:write', {
      method: 'post',
      path: '/tokens/{id}/revoke',
      tags: ['tokens'],
      summary: 'Revoke an API token',
      request: { params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) }) },
      responses: { 200: json(ApiTokenSchema, 'Revoked') },
    }),
    async (c) => c.json(await revokeApiToken(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  );
