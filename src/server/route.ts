/**
 * @module How an API route is declared. Every route names the one permission it needs (or `public`);
 * `defineRoute` puts the permission check in front of the handler and records it in the OpenAPI
 * document as `x-permission`, which the route × role test reads to walk every route.
 */
import { createRoute, type RouteConfig, type z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Actor } from '../accounts/actor.js';
import type { Permission } from '../accounts/permissions.js';
import type { AppContext } from '../context.js';
import { authenticationRequired, forbidden, invalidInput, VigilError } from '../errors.js';
import { problemResponses } from './problem.js';

export type RoutePermission = Permission | 'public' | 'authenticated';

export interface AppEnv {
  Variables: {
    ctx: AppContext;
    actor: Actor | undefined;
    /** Set when the request was authenticated by a session cookie (CSRF applies). */
    sessionId: string | undefined;
    /** That session's CSRF token and expiry, as the middleware resolved them. */
    session: { csrfToken: string; expiresAt: string } | undefined;
  };
}

export function requirePermission(permission: RoutePermission): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (permission !== 'public') {
      const actor = c.get('actor');
      if (!actor) throw authenticationRequired();
      if (permission !== 'authenticated' && actor.mfaEnrolmentRequired)
        throw new VigilError(
          'mfa_enrolment_required',
          'This Vigil requires a second factor: set up an authenticator app on your account page first',
        );
      if (permission !== 'authenticated' && !actor.permissions.has(permission)) {
        throw forbidden(`This action needs the permission ${permission}`);
      }
    }
    await next();
  };
}

export function defineRoute<const R extends Omit<RouteConfig, 'middleware'>>(
  permission: RoutePermission,
  route: R,
): R & { middleware: MiddlewareHandler<AppEnv>[]; 'x-permission': RoutePermission } {
  return createRoute({
    ...route,
    middleware: [requirePermission(permission)],
    'x-permission': permission,
    responses: { ...problemResponses, ...route.responses },
  } as R & { middleware: MiddlewareHandler<AppEnv>[]; 'x-permission': RoutePermission });
}

/** The actor of a route that declared a permission (so one is always present). */
export function actorOf(c: { get(key: 'actor'): Actor | undefined }): Actor {
  const actor = c.get('actor');
  if (!actor) throw authenticationRequired();
  return actor;
}

/** A JSON response entry for a route's `responses`. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/**
 * The upload's file name from an import's query. The people import documented `?file=` and the
 * training import `?fileName=`; both routes take either so a client need not remember which is which.
 * Both given and different is refused rather than silently picking one.
 */
export function importFileName(
  q: { file?: string | undefined; fileName?: string | undefined },
  primary: 'file' | 'fileName',
): string | undefined {
  const { file, fileName } = q;
  if (file !== undefined && fileName !== undefined && file !== fileName) {
    const alias = primary === 'file' ? 'fileName' : 'file';
    throw invalidInput(`Give the file name once: ?${primary}= (or its alias ?${alias}=), not both`, [
      { field: alias, reason: `"${q[alias]}" differs from ${primary} "${q[primary]}"` },
    ]);
  }
  return file ?? fileName;
}
