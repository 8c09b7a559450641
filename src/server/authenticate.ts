/**
 * @module Request authentication: a bearer API token or a session cookie becomes the request's Actor.
 * Cookie sessions must send the session's CSRF token in `X-CSRF-Token` on every state-changing request;
 * bearer tokens are not sent automatically by browsers, so they need none.
 */
import { isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { resolveApiToken } from '../accounts/api-tokens.js';
import { safeEqual } from '../accounts/secrets.js';
import { resolveSession } from '../accounts/sessions.js';
import { authenticationRequired, forbidden } from '../errors.js';
import type { AppEnv } from './route.js';

export const SESSION_COOKIE = 'vigil_session';
/** With TLS the cookie gets the `__Host-` prefix: Secure, host-only, path /. */
export const SECURE_SESSION_COOKIE = '__Host-vigil_session';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The client's address from X-Forwarded-For behind `hops` reverse proxies of one's own, or undefined.
 * Each proxy appends the address it received the request from, so entries on the left are whatever
 * the client sent itself: the entry `hops` from the right end is the one the outermost trusted proxy
 * wrote. It must be an IP address, with or without a port (it keys the login throttle and goes into the
 * audit log, so the port is dropped); a shorter
 * header than the proxies would make, or anything else, gives undefined.
 */
export function forwardedClient(header: string | undefined, hops: number): string | undefined {
  if (!header || hops < 1) return undefined;
  const entries = header.split(',').map((e) => e.trim());
  const entry = entries[entries.length - hops];
  if (!entry) return undefined;
  if (isIP(entry)) return entry;
  // Some proxies (Azure Application Gateway, IIS ARR) append the address with its port: `203.0.113.7:51234`,
  // `[2001:db8::7]:51234`. Only the address counts: the port changes with every connection.
  const withPort = /^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9A-Fa-f:.]+)\]):\d{1,5}$/.exec(entry);
  const address = withPort?.[1] ?? withPort?.[2];
  return address && isIP(address) ? address : undefined;
}

export function clientIp<E extends AppEnv>(c: Context<E>): string | undefined {
  const forwarded = forwardedClient(c.req.header('x-forwarded-for'), c.get('ctx').config.trustProxy);
  if (forwarded) return forwarded;
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // app.request() in tests has no socket
  }
}

export function sessionCookieName(secure: boolean): string {
  return secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

export function authenticate(secureCookies: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { vdb, config } = c.get('ctx');
    const ip = clientIp(c);
    const authz = c.req.header('authorization');
    if (authz) {
      const m = /^Bearer\s+(\S+)$/i.exec(authz);
      const actor = m ? await resolveApiToken(vdb, m[1]!, ip) : undefined;
      // A presented but bad credential is an error, never a silent fall-back to anonymous.
      if (!actor) throw authenticationRequired('The API token is invalid, expired or revoked');
      c.set('actor', actor);
      return next();
    }
    const secret = getCookie(c, sessionCookieName(secureCookies));
    if (secret) {
      const session = await resolveSession(vdb, config, secret, ip);
      if (session) {
        if (!SAFE_METHODS.has(c.req.method)) {
          const sent = c.req.header(CSRF_HEADER);
          if (!sent || !safeEqual(sent, session.csrfToken)) {
            throw forbidden('Missing or wrong X-CSRF-Token header for this session');
          }
        }
        c.set('actor', session.actor);
        c.set('sessionId', session.sessionId);
        c.set('session', { csrfToken: session.csrfToken, expiresAt: session.expiresAt });
      }
    }
    await next();
  };
}
