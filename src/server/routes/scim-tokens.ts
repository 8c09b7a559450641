/**
 * @module SCIM provisioning tokens over the API, for the admin who sets up Entra ID or Okta in a
 * browser: list, make one (the token is in this one response only), revoke. The same functions as
 * `vigil scim token`, which check the permission again and write the audit log.
 *
 * Listing needs `users:read`, as `listScimTokens` does and as `GET /users` does: a token's name, prefix,
 * maker and last use are no secret (only the SHA-256 is kept, and it is never returned), and the
 * read-only roles (auditor, security officer) who review accounts should also see which providers may
 * change them. Making and revoking need `users:write`: a SCIM token disables accounts.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import {
  createScimToken,
  listScimTokens,
  MAX_SCIM_TOKEN_DAYS,
  revokeScimToken,
} from '../../accounts/scim-tokens.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

export const ScimTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    expiresAt: z
      .string()
      .nullable()
      .openapi({ description: 'null: made before tokens expired; it never does' }),
  })
  .openapi('ScimToken');

/** Picks the fields the schema names, so a field added to ScimToken later is not returned unseen. */
const publicToken = (t: z.infer<typeof ScimTokenSchema>) => ScimTokenSchema.parse(t);

export const scimTokenRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('users:read', {
      method: 'get',
      path: '/scim-tokens',
      tags: ['scim'],
      summary: 'List SCIM provisioning tokens (never the tokens themselves)',
      responses: { 200: json(z.array(ScimTokenSchema), 'SCIM tokens, newest first') },
    }),
    async (c) => c.json((await listScimTokens(c.get('ctx').vdb, actorOf(c))).map(publicToken), 200),
  )
  .openapi(
    defineRoute('users:write', {
      method: 'post',
      path: '/scim-tokens',
      tags: ['scim'],
      summary: 'Make a SCIM provisioning token for the identity provider; it is shown only in this answer',
      request: {
        body: {
          required: false,
          content: {
            'application/json': {
              // Strict: a misspelt field ("nmae") would otherwise make a token with the default name.
              schema: z.strictObject({
                name: z.string().trim().min(1).max(100).optional(),
                expiresInDays: z.number().int().min(1).max(MAX_SCIM_TOKEN_DAYS).optional(),
              }),
            },
          },
        },
      },
      responses: {
        201: json(
          z.object({ token: z.string(), info: ScimTokenSchema }),
          'Made; the token is shown only here',
        ),
      },
    }),
    async (c) => {
      const { token, info } = await createScimToken(c.get('ctx').vdb, actorOf(c), c.req.valid('json') ?? {});
      return c.json({ token, info: publicToken(info) }, 201);
    },
  )
  .openapi(
    defineRoute('users:write', {
      method: 'post',
      path: '/scim-tokens/{id}/revoke',
      tags: ['scim'],
      summary: "Revoke a SCIM token: the provider's next request with it is refused",
      request: { params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) }) },
      responses: { 200: json(ScimTokenSchema, 'Revoked (also when it already was)') },
    }),
    async (c) =>
      c.json(publicToken(await revokeScimToken(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id)), 200),
  );
