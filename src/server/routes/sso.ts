/**
 * @module Single sign-on over HTTP (accounts/sso.ts does the work): whether it is on, the redirect to the
 * identity provider, and the callback that opens the session. The two redirects are browser navigations,
 * so they answer with redirects, also on failure (`/?ssoError=CODE`, which the dashboard explains).
 * The back-channel logout is the provider's own server calling, and answers as OpenID Connect
 * Back-Channel Logout 1.0 §2.8 says (200, or 400 with an OAuth error).
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import {
  SSO_FLOW_COOKIE,
  SSO_FLOW_SECONDS,
  SsoError,
  ssoProviderFor,
  ssoUnavailable,
} from '../../accounts/sso.js';
import { LogoutTokenError } from '../../accounts/sso-logout.js';
import { clientIp, sessionCookieName } from '../authenticate.js';
import { type AppEnv, defineRoute, json } from '../route.js';

const FLOW_PATH = '/api/v1/auth/oidc';

const SsoStatusSchema = z
  .object({
    enabled: z.boolean(),
    providerName: z.string().nullable().openapi({ description: 'For the "Sign in with …" button' }),
    loginUrl: z.string().nullable().openapi({ description: 'Where the browser goes to sign in (GET)' }),
  })
  .openapi('SsoStatus');

export function ssoRoutes(opts: { secureCookies: boolean }) {
  const sessionCookie = sessionCookieName(opts.secureCookies);
  // __Secure- (not __Host-): the flow cookie is scoped to the two SSO paths.
  const flowCookie = opts.secureCookies ? `__Secure-${SSO_FLOW_COOKIE}` : SSO_FLOW_COOKIE;
  const failed = (code: string) => `/?ssoError=${encodeURIComponent(code)}`;

  return new OpenAPIHono<AppEnv>()
    .openapi(
      defineRoute('public', {
        method: 'post',
        path: '/auth/oidc/backchannel-logout',
        tags: ['auth'],
        summary:
          "The identity provider's back-channel logout (OpenID Connect Back-Channel Logout 1.0): ends the Vigil sessions of the provider session or person the signed logout token names",
        request: {
          body: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': {
                schema: z.object({ logout_token: z.string().min(1).max(16_384) }),
              },
            },
          },
        },
        responses: {
          200: {
            description: 'Logged out (also when no session of Vigil matched: there was nothing to end)',
          },
          400: json(
            z.object({ error: z.literal('invalid_request'), error_description: z.string() }),
            'The logout token was refused (signature, issuer, audience, age, event, replay…), or SSO is unavailable',
          ),
        },
      }),
      async (c) => {
        const { config, vdb, log } = c.get('ctx');
        const provider = ssoProviderFor(config);
        if (!provider) throw ssoUnavailable();
        c.header('Cache-Control', 'no-store');
        try {
          const result = await provider.backchannelLogout(vdb, c.req.valid('form').logout_token);
          log.info(
            { sso: 'backchannel-logout', by: result.by, ended: result.ended.map((e) => e.username) },
            'identity provider ended sessions',
          );
          return c.body(null, 200);
        } catch (e) {
          if (!(e instanceof LogoutTokenError)) throw e;
          log.warn({ sso: 'backchannel-logout', detail: e.message, ip: clientIp(c) }, 'logout token refused');
          return c.json({ error: 'invalid_request' as const, error_description: e.message }, 400);
        }
      },
    )
    .openapi(
      defineRoute('public', {
        method: 'get',
        path: '/auth/sso',
        tags: ['auth'],
        summary: 'Whether single sign-on (OpenID Connect) is configured, for the sign-in page',
        responses: { 200: json(SsoStatusSchema, 'Single sign-on status') },
      }),
      (c) => {
        const provider = ssoProviderFor(c.get('ctx').config);
        return c.json(
          {
            enabled: provider !== null,
            providerName: provider?.name ?? null,
            loginUrl: provider ? `${FLOW_PATH}/login` : null,
          },
          200,
        );
      },
    )
    .openapi(
      defineRoute('public', {
        method: 'get',
        path: '/auth/oidc/login',
        tags: ['auth'],
        summary:
          'Start single sign-on: redirects the browser to the identity provider (authorization code flow with PKCE)',
        request: {
          query: z.object({
            returnTo: z
              .string()
              .max(512)
              .optional()
              .openapi({ description: 'A path of this Vigil to come back to after signing in (default /)' }),
          }),
        },
        responses: {
          302: { description: "To the provider's sign-in page; or to `/?ssoError=unavailable`" },
        },
      }),
      async (c) => {
        const { config, log } = c.get('ctx');
        const provider = ssoProviderFor(config);
        if (!provider) throw ssoUnavailable();
        try {
          const { url, flowCookie: value } = await provider.start(c.req.valid('query').returnTo);
          // Lax, not Strict: the provider's redirect back is a cross-site navigation.
          setCookie(c, flowCookie, value, {
            httpOnly: true,
            sameSite: 'Lax',
            secure: opts.secureCookies,
            path: FLOW_PATH,
            maxAge: SSO_FLOW_SECONDS,
          });
          return c.redirect(url, 302);
        } catch (e) {
          if (!(e instanceof SsoError)) throw e;
          log.error({ sso: e.code, detail: e.detail }, 'single sign-on could not start');
          return c.redirect(failed(e.code), 302);
        }
      },
    )
    .openapi(
      defineRoute('public', {
        method: 'get',
        path: '/auth/oidc/callback',
        tags: ['auth'],
        summary:
          "The identity provider's redirect back: verifies the answer, creates or updates the account from its groups, sets the session cookie",
        request: {
          query: z
            .object({
              code: z.string().optional(),
              state: z.string().optional(),
              error: z.string().optional(),
            })
            .loose(),
        },
        responses: {
          302: {
            description:
              'Signed in: to the path given at the start. Refused: to `/?ssoError=CODE` (expired, denied, token, no-role, no-username, name-taken, disabled, mfa-required, unavailable)',
          },
        },
      }),
      async (c) => {
        const { config, vdb, log } = c.get('ctx');
        const provider = ssoProviderFor(config);
        if (!provider) throw ssoUnavailable();
        const flow = getCookie(c, flowCookie);
        deleteCookie(c, flowCookie, { path: FLOW_PATH, secure: opts.secureCookies });
        try {
          const result = await provider.finish(vdb, {
            search: new URL(c.req.url).search,
            flowCookie: flow,
            ip: clientIp(c),
            userAgent: c.req.header('user-agent'),
          });
          setCookie(c, sessionCookie, result.sessionSecret, {
            httpOnly: true,
            sameSite: 'Strict',
            secure: opts.secureCookies,
            path: '/',
            expires: new Date(result.expiresAt),
          });
          return c.redirect(result.returnTo, 302);
        } catch (e) {
          if (!(e instanceof SsoError)) throw e;
          log.warn({ sso: e.code, detail: e.detail }, 'single sign-on refused');
          return c.redirect(failed(e.code), 302);
        }
      },
    );
}
