/**
 * @module Accounts over the API: list, create, disable/enable, reset password, change role; and the
 * roles with their permissions (GET /roles, from accounts/permissions.ts).
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { resetMfa } from '../../accounts/mfa.js';
import { ALL_PERMISSIONS, PERMISSIONS, ROLE_NAMES, ROLES } from '../../accounts/permissions.js';
import { createUser, listUsers, resetPassword, setUserDisabled, setUserRole } from '../../accounts/users.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

export const UserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string().nullable(),
    role: z.enum(ROLE_NAMES as [string, ...string[]]),
    disabled: z.boolean(),
    locked: z.boolean(),
    lastLoginAt: z.string().nullable(),
    passwordChangedAt: z.string(),
    createdAt: z.string(),
    mfaEnabled: z.boolean().openapi({ description: 'Signs in with a second factor (TOTP)' }),
    signIn: z.enum(['password', 'sso']).openapi({
      description:
        '`password`: a local account; `sso`: signs in through the identity provider (OpenID Connect)',
    }),
    disabledBy: z.enum(['admin', 'scim']).nullable().openapi({
      description:
        '`admin`: disabled in Vigil; `scim`: deactivated or deleted by the identity provider (docs/sso.md, Provisioning); null: enabled',
    }),
    awaitingFirstSignIn: z.boolean().openapi({
      description:
        'Made by the identity provider (SCIM) and not signed in to yet: its role is set from the groups at that sign-in',
    }),
  })
  .openapi('User');

const UsernameParam = z.object({
  username: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'username', in: 'path' } }),
});

export const userRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('users:read', {
      method: 'get',
      path: '/roles',
      tags: ['users'],
      summary: 'The roles and the permissions each grants, with what every permission allows',
      responses: {
        200: json(
          z.object({
            roles: z.array(
              z.object({ name: z.string(), description: z.string(), permissions: z.array(z.string()) }),
            ),
            permissions: z.array(z.object({ name: z.string(), description: z.string() })),
          }),
          'Roles and permissions',
        ),
      },
    }),
    async (c) =>
      c.json(
        {
          roles: ROLE_NAMES.map((name) => ({
            name,
            description: ROLES[name].description,
            permissions: [...ROLES[name].permissions],
          })),
          permissions: ALL_PERMISSIONS.map((name) => ({ name, description: PERMISSIONS[name] })),
        },
        200,
      ),
  )
  .openapi(
    defineRoute('users:read', {
      method: 'get',
      path: '/users',
      tags: ['users'],
      summary: 'List accounts',
      responses: { 200: json(z.array(UserSchema), 'Accounts') },
    }),
    async (c) => c.json(await listUsers(c.get('ctx').vdb, actorOf(c)), 200),
  )
  .openapi(
    defineRoute('users:write', {
      method: 'post',
      path: '/users',
      tags: ['users'],
      summary: 'Create an account',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({
                username: z.string(),
                role: z.string(),
                password: z.string().max(1024),
                displayName: z.string().max(200).optional(),
              }),
            },
          },
        },
      },
      responses: { 201: json(UserSchema, 'Created') },
    }),
    async (c) => c.json(await createUser(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 201),
  )
  .openapi(
    defineRoute('users:write', {
      method: 'post',
      path: '/users/{username}/disable',
      tags: ['users'],
      summary: 'Disable an account and end its sessions',
      request: { params: UsernameParam },
      responses: { 200: json(UserSchema, 'Disabled') },
    }),
    async (c) =>
      c.json(await setUserDisabled(c.get('ctx').vdb, actorOf(c), c.req.valid('param').username, true), 200),
  )
  .openapi(
    defineRoute('users:write', {
      method: 'post',
      path: '/users/{username}/enable',
      tags: ['users'],
      summary: 'Enable an account',
      request: { params: UsernameParam },
      responses: { 200: json(UserSchema, 'Enabled') },
    }),
    async (c) =>
      c.json(await setUserDisabled(c.get('ctx').vdb, actorOf(c), c.req.valid('param').username, false), 200),
  )
  .openapi(
    defineRoute('users:write', {
      method: 'post',
      path: '/users/{username}/password',
      tags: ['users'],
      summary:
        'Set a new password (also unlocks the account and ends its sessions; `revokeTokens` also revokes its API tokens)',
      request: {
        params: UsernameParam,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                password: z.string().max(1024),
                revokeTokens: z.boolean().optional().openapi({
                  description:
                    "Also revoke the account's live API tokens (a suspected compromise); default false",
                }),
              }),
            },
          },
        },
      },
      responses: {
        200: json(
          UserSchema.extend({
            tokensRevoked: z.number().openapi({ description: 'API tokens revoked by this reset' }),
          }),
          'Password reset',
        ),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(
        await resetPassword(c.get('ctx').vdb, actorOf(c), c.req.valid('param').username, body.password, {
          revokeTokens: body.revokeTokens,
        }),
        200,
      );
    },
  )
  .openapi(
    defineRoute('users:write', {
      method: 'post',
      path: '/users/{username}/mfa/reset',
      tags: ['users'],
      summary: "Remove an account's second factor (a lost authenticator); ends its sessions, it enrols again",
      request: { params: UsernameParam },
      responses: { 204: { description: 'Second factor removed' } },
    }),
    async (c) => {
      await resetMfa(c.get('ctx').vdb, actorOf(c), c.req.valid('param').username);
      return c.body(null, 204);
    },
  )
  .openapi(
    defineRoute('users:write', {
      method: 'post',
      path: '/users/{username}/role',
      tags: ['users'],
      summary: 'Change the role of an account',
      request: {
        params: UsernameParam,
        body: { required: true, content: { 'application/json': { schema: z.object({ role: z.string() }) } } },
      },
      responses: { 200: json(UserSchema, 'Role changed') },
    }),
    async (c) =>
      c.json(
        await setUserRole(
          c.get('ctx').vdb,
          actorOf(c),
          c.req.valid('param').username,
          c.req.valid('json').role,
        ),
        200,
      ),
  );
