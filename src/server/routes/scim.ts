/**
 * @module SCIM 2.0 over HTTP at `/scim/v2` (the "Tenant URL" of Entra ID, Okta's "SCIM connector base
 * URL"): bearer-token authentication, a small body limit, SCIM's own media type and error shape, and
 * thin handlers over accounts/scim-users.ts. Outside `/api/v1` and its OpenAPI document: the provider
 * reads what Vigil supports from `/ServiceProviderConfig`, `/Schemas` and `/ResourceTypes`.
 * @see RFC 7644 §3
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ZodType } from 'zod';
import {
  listResponse,
  PATCH_SCHEMA,
  pageOf,
  parseFilter,
  patchChanges,
  SCIM_MEDIA_TYPE,
  ScimError,
  ScimPatchInput,
  ScimUserInput,
  scimErrorBody,
  serviceProviderConfig,
  USER_SCHEMA,
  userChanges,
  userResource,
  userResourceType,
  userSchema,
} from '../../accounts/scim-protocol.js';
import { resolveScimToken, type ScimCaller } from '../../accounts/scim-tokens.js';
import {
  createScimUser,
  deleteScimUser,
  getScimUser,
  listScimUsers,
  updateScimUser,
} from '../../accounts/scim-users.js';
import { VigilError } from '../../errors.js';
import { clientIp } from '../authenticate.js';
import type { AppEnv } from '../route.js';
import { utf8Body } from '../utf8-body.js';

export const SCIM_BASE_PATH = '/scim/v2';
/** A User is a few hundred bytes; Okta's with groups a few KiB. */
const SCIM_BODY_LIMIT = 64 * 1024;

type ScimEnv = AppEnv & { Variables: AppEnv['Variables'] & { scimCaller: ScimCaller } };

/**
 * The address the provider sees, for `meta.location`: where people open Vigil (`publicUrl`), else the
 * registered redirect URL's origin, else the request's.
 */
function baseUrl(c: { req: { url: string }; get(key: 'ctx'): AppEnv['Variables']['ctx'] }): string {
  const { publicUrl, oidcRedirectUrl } = c.get('ctx').config;
  const configured = publicUrl ?? oidcRedirectUrl;
  return `${new URL(configured ?? c.req.url).origin}${SCIM_BASE_PATH}`;
}

function scimJson(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': SCIM_MEDIA_TYPE, 'cache-control': 'no-store' },
  });
}

/** The request body read with `schema`; every refusal names the attribute that is wrong. */
async function readBody<T>(req: Request, schema: ZodType<T>): Promise<T> {
  let body: unknown;
  try {
    body = JSON.parse(await req.text());
  } catch {
    throw new ScimError(400, 'The body is not JSON (send application/scim+json)', 'invalidSyntax');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`);
    throw new ScimError(400, issues.join('; '), 'invalidValue');
  }
  return parsed.data;
}

function scimErrorOf(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  if (err instanceof VigilError) return new ScimError(err.status, err.message);
  if (err instanceof HTTPException) return new ScimError(err.status, err.message || 'Request refused');
  return new ScimError(500, 'Unexpected server error');
}

export function scimRoutes() {
  const app = new Hono<ScimEnv>();
  app.onError((err, c) => {
    const e = scimErrorOf(err);
    if (e.status >= 500) c.get('ctx').log.error({ err, path: c.req.path }, 'SCIM request failed');
    const res = scimJson(scimErrorBody(e), e.status);
    // RFC 6750 §3: a refused bearer token says so.
    if (e.status === 401) res.headers.set('www-authenticate', 'Bearer realm="Vigil SCIM"');
    return res;
  });

  // No token, a wrong one, a revoked one, and SCIM never set up (no token made) all answer the same 401,
  // so a prober learns nothing, and an admin who pastes the URL before making a token is told to make one.
  app.use('*', async (c, next) => {
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    const caller = m ? await resolveScimToken(c.get('ctx').vdb, m[1]!, clientIp(c)) : undefined;
    if (!caller)
      throw new ScimError(
        401,
        'A valid SCIM bearer token is required (make one with `vigil scim token create`)',
      );
    c.set('scimCaller', caller);
    c.set('actor', {
      kind: 'system',
      id: caller.tokenId,
      name: `scim:${caller.tokenName}`,
      permissions: new Set(),
    });
    await next();
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: SCIM_BODY_LIMIT,
      onError: () => {
        throw new ScimError(413, `Request body larger than ${SCIM_BODY_LIMIT / 1024} KiB`);
      },
    }),
  );
  // After the limit, so at most 64 KiB is read to check; a lenient decode would store U+FFFD in a name.
  app.use(
    '*',
    utf8Body((_bad, reason) => new ScimError(400, `The body is ${reason}`, 'invalidSyntax')),
  );

  app.get('/ServiceProviderConfig', (c) => scimJson(serviceProviderConfig(baseUrl(c))));
  app.get('/Schemas', (c) => scimJson(listResponse([userSchema(baseUrl(c))], 1, 1)));
  app.get(`/Schemas/${USER_SCHEMA}`, (c) => scimJson(userSchema(baseUrl(c))));
  app.get('/ResourceTypes', (c) => scimJson(listResponse([userResourceType(baseUrl(c))], 1, 1)));
  app.get('/ResourceTypes/User', (c) => scimJson(userResourceType(baseUrl(c))));

  app.get('/Users', async (c) => {
    const filter = c.req.query('filter');
    if (filter !== undefined && filter.length > 1024)
      throw new ScimError(400, 'filter longer than 1024 characters', 'invalidFilter');
    const page = pageOf(c.req.query('startIndex'), c.req.query('count'));
    const { total, rows } = await listScimUsers(
      c.get('ctx').vdb,
      filter === undefined || filter.trim() === '' ? undefined : parseFilter(filter),
      page,
    );
    const base = baseUrl(c);
    return scimJson(
      listResponse(
        rows.map((r) => userResource(r, base)),
        total,
        page.startIndex,
      ),
    );
  });
  app.get('/Users/:id', async (c) =>
    scimJson(userResource(await getScimUser(c.get('ctx').vdb, c.req.param('id')), baseUrl(c))),
  );
  app.post('/Users', async (c) => {
    const input = userChanges(await readBody(c.req.raw, ScimUserInput));
    const row = await createScimUser(c.get('ctx').vdb, c.get('scimCaller'), {
      ...input,
      userName: input.userName!,
    });
    const resource = userResource(row, baseUrl(c));
    const res = scimJson(resource, 201);
    res.headers.set('location', resource.meta.location);
    return res;
  });
  app.put('/Users/:id', async (c) => {
    const changes = userChanges(await readBody(c.req.raw, ScimUserInput));
    const row = await updateScimUser(c.get('ctx').vdb, c.get('scimCaller'), c.req.param('id'), changes);
    return scimJson(userResource(row, baseUrl(c)));
  });
  app.patch('/Users/:id', async (c) => {
    const input = await readBody(c.req.raw, ScimPatchInput);
    if (input.schemas && !input.schemas.includes(PATCH_SCHEMA))
      throw new ScimError(400, `schemas must hold ${PATCH_SCHEMA}`, 'invalidSyntax');
    const row = await updateScimUser(
      c.get('ctx').vdb,
      c.get('scimCaller'),
      c.req.param('id'),
      patchChanges(input),
    );
    return scimJson(userResource(row, baseUrl(c)));
  });
  app.delete('/Users/:id', async (c) => {
    await deleteScimUser(c.get('ctx').vdb, c.get('scimCaller'), c.req.param('id'));
    return new Response(null, { status: 204 });
  });

  app.all('/Groups', notGroups);
  app.all('/Groups/*', notGroups);
  app.all('*', (c) => {
    throw new ScimError(404, `No SCIM endpoint ${c.req.method} ${c.req.path}`);
  });
  return app;
}

/** Roles come from the groups claim at each sign-in; turn group provisioning off at the provider. */
function notGroups(): never {
  throw new ScimError(
    501,
    'Vigil takes no SCIM Groups: roles come from the groups claim at each single sign-on (docs/sso.md); provision users only',
  );
}
