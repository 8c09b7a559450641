/**
 * @module Login (with a second factor where the account has one), logout, the current session, and the
 * signed-in user's own credentials: password and second factor.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { deleteCookie, setCookie } from 'hono/cookie';
import { LoginThrottle } from '../../accounts/login-throttle.js';
import {
  confirmTotp,
  disableOwnMfa,
  mfaStatus,
  renewRecoveryCodes,
  startTotpEnrolment,
} from '../../accounts/mfa.js';
import { login, logout } from '../../accounts/sessions.js';
import { ssoProviderFor } from '../../accounts/sso.js';
import { changeOwnPassword } from '../../accounts/users.js';
import { clientIp, sessionCookieName } from '../authenticate.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';
import { UserSchema } from './users.js';

const LoginBody = z
  .object({
    username: z.string().min(1).max(128),
    password: z.string().min(1).max(1024),
    otp: z
      .string()
      .max(64)
      .optional()
      .openapi({ description: 'Second factor: a TOTP code or a recovery code (accounts that have one)' }),
  })
  .openapi('LoginRequest');
const ReauthBody = z.object({
  currentPassword: z.string().min(1).max(1024),
  code: z.string().min(1).max(64),
});
const RecoveryCodesSchema = z
  .object({
    recoveryCodes: z.array(z.string()).openapi({ description: 'Shown once; Vigil keeps only hashes' }),
  })
  .openapi('RecoveryCodes');
const PasswordChangeBody = z
  .object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().min(1).max(1024) })
  .openapi('PasswordChangeRequest');
const SessionSchema = z
  .object({ user: UserSchema, csrfToken: z.string(), expiresAt: z.string() })
  .openapi('Session');

export function authRoutes(opts: { secureCookies: boolean; throttle?: LoginThrottle }) {
  const throttle = opts.throttle ?? new LoginThrottle();
  const cookieName = sessionCookieName(opts.secureCookies);
  return new OpenAPIHono<AppEnv>()
    .openapi(
      defineRoute('public', {
        method: 'post',
        path: '/auth/login',
        tags: ['auth'],
        summary: 'Log in with a username and password; sets the session cookie',
        request: { body: { content: { 'application/json': { schema: LoginBody } }, required: true } },
        responses: {
          200: { description: 'Logged in', content: { 'application/json': { schema: SessionSchema } } },
          401: {
            description:
              'Wrong credentials; or `mfa_required`: the password is right and the account needs its second factor (`otp`)',
          },
          429: { description: 'Too many failed logins from this address' },
        },
      }),
      async (c) => {
        const { vdb, config } = c.get('ctx');
        const body = c.req.valid('json');
        const result = await login(vdb, config, throttle, {
          username: body.username,
          password: body.password,
          otp: body.otp,
          ip: clientIp(c),
          userAgent: c.req.header('user-agent'),
        });
        setCookie(c, cookieName, result.sessionSecret, {
          httpOnly: true,
          sameSite: 'Strict',
          secure: opts.secureCookies,
          path: '/',
          expires: new Date(result.expiresAt),
        });
        return c.json({ user: result.user, csrfToken: result.csrfToken, expiresAt: result.expiresAt }, 200);
      },
    )
    .openapi(
      defineRoute('authenticated', {
        method: 'post',
        path: '/auth/logout',
        tags: ['auth'],
        summary: 'End the current session',
        responses: {
          200: json(
            z.object({
              providerLogoutUrl: z.string().openapi({
                description:
                  'A single sign-on session with oidcSignOutAtProvider on: send the browser here to sign out at the identity provider too',
              }),
            }),
            'Logged out of Vigil; the browser should now sign out at the identity provider',
          ),
          204: { description: 'Logged out' },
        },
      }),
      async (c) => {
        const { vdb, config } = c.get('ctx');
        const sessionId = c.get('sessionId');
        const ended = sessionId ? await logout(vdb, actorOf(c), sessionId) : null;
        deleteCookie(c, cookieName, { path: '/', secure: opts.secureCookies });
        const provider = actorOf(c).signIn === 'sso' ? ssoProviderFor(config) : null;
        const url = ended && provider ? await provider.signOutUrl(ended.ssoIdToken) : null;
        if (url) return c.json({ providerLogoutUrl: url }, 200);
        return c.body(null, 204);
      },
    )
    .openapi(
      defineRoute('authenticated', {
        method: 'post',
        path: '/auth/password',
        tags: ['auth'],
        summary:
          "Change the signed-in user's own password (the current one is asked again); ends the account's other sessions",
        request: {
          body: { content: { 'application/json': { schema: PasswordChangeBody } }, required: true },
        },
        responses: {
          200: { description: 'Password changed', content: { 'application/json': { schema: UserSchema } } },
          400: { description: 'The current password is wrong, or the new one is refused by the policy' },
          403: { description: 'An API token: it has no password' },
        },
      }),
      async (c) => {
        const { vdb, config } = c.get('ctx');
        const body = c.req.valid('json');
        const user = await changeOwnPassword(
          vdb,
          actorOf(c),
          { ...body, keepSessionId: c.get('sessionId') },
          config,
        );
        return c.json(user, 200);
      },
    )
    .openapi(
      defineRoute('authenticated', {
        method: 'get',
        path: '/auth/mfa',
        tags: ['auth'],
        summary:
          "The signed-in user's second factor: on or not, enrolment pending, recovery codes left, required",
        responses: {
          200: json(
            z.object({
              enabled: z.boolean(),
              enabledAt: z.string().nullable(),
              pending: z.boolean(),
              recoveryCodesLeft: z.number().int(),
              required: z.boolean().openapi({ description: 'requireMfa: every account must have one' }),
            }),
            'Second factor',
          ),
        },
      }),
      async (c) => {
        const { vdb, config } = c.get('ctx');
        return c.json({ ...(await mfaStatus(vdb, actorOf(c))), required: config.requireMfa }, 200);
      },
    )
    .openapi(
      defineRoute('authenticated', {
        method: 'post',
        path: '/auth/mfa/totp',
        tags: ['auth'],
        summary:
          'Start enrolling an authenticator app: a new TOTP secret and its otpauth:// URI (for a QR code)',
        request: {
          body: {
            content: {
              'application/json': { schema: z.object({ currentPassword: z.string().min(1).max(1024) }) },
            },
            required: true,
          },
        },
        responses: {
          200: json(z.object({ secret: z.string(), otpauthUri: z.string() }), 'Enrolment started'),
          409: { description: 'A second factor is already on' },
        },
      }),
      async (c) => {
        const { vdb, config } = c.get('ctx');
        return c.json(await startTotpEnrolment(vdb, actorOf(c), c.req.valid('json'), config), 200);
      },
    )
    .openapi(
      defineRoute('authenticated', {
        method: 'post',
        path: '/auth/mfa/totp/confirm',
        tags: ['auth'],
        summary:
          "Turn the second factor on with the authenticator's first code; returns the recovery codes once",
        request: {
          body: {
            content: { 'application/json': { schema: z.object({ code: z.string().min(1).max(64) }) } },
            required: true,
          },
        },
        responses: { 200: json(RecoveryCodesSchema, 'Second factor on') },
      }),
      async (c) => {
        const { vdb } = c.get('ctx');
        const body = c.req.valid('json');
        return c.json(
          await confirmTotp(vdb, actorOf(c), { ...body, keepSessionId: c.get('sessionId') }),
          200,
        );
      },
    )
    .openapi(
      defineRoute('authenticated', {
        method: 'post',
        path: '/auth/mfa/disable',
        tags: ['auth'],
        summary: 'Turn the second factor off (current password and a current code or recovery code)',
        request: { body: { content: { 'application/json': { schema: ReauthBody } }, required: true } },
        responses: { 204: { description: 'Second factor off' } },
      }),
      async (c) => {
        const { vdb, config } = c.get('ctx');
        await disableOwnMfa(vdb, actorOf(c), c.req.valid('json'), config);
        return c.body(null, 204);
      },
    )
    .openapi(
      defineRoute('authenticated', {
        method: 'post',
        path: '/auth/mfa/recovery-codes',
        tags: ['auth'],
        summary:
          'Replace the recovery codes (current password and a current code); returns the new ones once',
        request: { body: { content: { 'application/json': { schema: ReauthBody } }, required: true } },
        responses: { 200: json(RecoveryCodesSchema, 'New recovery codes') },
      }),
      async (c) => {
        const { vdb, config } = c.get('ctx');
        return c.json(await renewRecoveryCodes(vdb, actorOf(c), c.req.valid('json'), config), 200);
      },
    )
    .openapi(
      defineRoute('authenticated', {
        method: 'get',
        path: '/auth/session',
        tags: ['auth'],
        summary: 'The current session: user, role, permissions and CSRF token',
        responses: {
          200: {
            description: 'Current session',
            content: {
              'application/json': {
                schema: z.object({
                  actor: z.object({
                    kind: z.string(),
                    name: z.string(),
                    role: z.string().nullable(),
                    permissions: z.array(z.string()),
                    siteIds: z.array(z.string()).nullable(),
                    mfaEnrolmentRequired: z
                      .boolean()
                      .openapi({ description: 'requireMfa is on and this user has no second factor yet' }),
                    signIn: z.enum(['password', 'sso']).nullable().openapi({
                      description:
                        "A signed-in user's way in: their Vigil password, or single sign-on (no password or second factor kept by Vigil); null for API tokens",
                    }),
                  }),
                  csrfToken: z.string().nullable(),
                  expiresAt: z.string().nullable(),
                }),
              },
            },
          },
        },
      }),
      async (c) => {
        const actor = actorOf(c);
        // The authentication middleware already resolved the session; bearer tokens have none.
        const session = c.get('session');
        const csrfToken = session?.csrfToken ?? null;
        const expiresAt = session?.expiresAt ?? null;
        return c.json(
          {
            actor: {
              kind: actor.kind,
              name: actor.name,
              role: actor.role ?? null,
              permissions: [...actor.permissions].sort(),
              siteIds: actor.siteIds ? [...actor.siteIds] : null,
              mfaEnrolmentRequired: actor.mfaEnrolmentRequired === true,
              signIn: actor.signIn ?? null,
            },
            csrfToken,
            expiresAt,
          },
          200,
        );
      },
    );
}
