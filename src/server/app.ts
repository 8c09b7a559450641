/**
 * @module The HTTP application: middleware (security headers, request log, authentication), every route
 * module mounted under `/api/v1`, the OpenAPI document at `/api/docs`, and the one error mapping.
 * `ApiType` is what the typed client (`client/api-client.ts`) is built from.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import type { LoginThrottle } from '../accounts/login-throttle.js';
import type { AppContext } from '../context.js';
import { invalidInput, notFound, VigilError } from '../errors.js';

/** JSON requests are small; a CMMS export of 100,000 devices is about 20 MB. */
const JSON_BODY_LIMIT = 1024 * 1024;
const IMPORT_BODY_LIMIT = 256 * 1024 * 1024;
const tooLarge = (limit: number) => () => {
  throw new VigilError('too_large', `Request body larger than ${Math.round(limit / 1024 / 1024)} MiB`);
};

/**
 * File uploads whose route reads the bytes itself and refuses bad ones in context: the capture (streamed
 * to disk), the CMMS CSV (streamed, each bad row reported and skippable), advisory, SBOM, VEX and MDS2
 * files (possibly gzip, checked by their readers with the file's name). The body check leaves them be.
 */
/**
 * Imports read their own bytes: files that may be gzip-compressed or large (up to IMPORT_BODY_LIMIT), whose
 * readers refuse a bad byte by line or offset themselves (captures, CSV, advisories, SBOM, VEX, MDS2,
 * people and training CSV). Checked here, a caller could make the server hold 256 MiB before the route
 * looked at its permission.
 */
const READS_ITS_OWN_BYTES = /\/import$/;

import { describeNotUtf8 } from '../formats/utf8.js';
import { VERSION } from '../version.js';
import { authenticate } from './authenticate.js';
import { toProblem } from './problem.js';
import type { AppEnv } from './route.js';
import { alertRoutes } from './routes/alerts.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { communicationRoutes } from './routes/communications.js';
import { deviceRoutes } from './routes/devices.js';
import { findingRoutes } from './routes/findings.js';
import { importRoutes } from './routes/imports.js';
import { notificationRoutes } from './routes/notifications.js';
import { policyRoutes } from './routes/policy.js';
import { manufacturerRoutes } from './routes/program-manufacturers.js';
import { programOfficerRoutes } from './routes/program-officers.js';
import { programPeopleRoutes } from './routes/program-people.js';
import { trainingRoutes } from './routes/program-training.js';
import { recallRoutes } from './routes/recalls.js';
import { reportRoutes } from './routes/reports.js';
import { riskRoutes } from './routes/risk.js';
import { savedViewRoutes } from './routes/saved-views.js';
import { SCIM_BASE_PATH, scimRoutes } from './routes/scim.js';
import { scimTokenRoutes } from './routes/scim-tokens.js';
import { metricsHandler, sensorRoutes } from './routes/sensors.js';
import { siteRoutes } from './routes/sites.js';
import { ssoRoutes } from './routes/sso.js';
import { systemRoutes } from './routes/system.js';
import { taskRoutes } from './routes/tasks.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';
import { vulnRoutes } from './routes/vulns.js';
import { lineOf, utf8Body } from './utf8-body.js';
import { findWebRoot, serveWebAssets } from './web-assets.js';

export interface AppOptions {
  /** Served over TLS: cookies get Secure and the __Host- prefix, and HSTS is sent. */
  secure?: boolean;
  throttle?: LoginThrottle;
  /** The built dashboard (default: dist/web found beside the bundle); null serves none. */
  webRoot?: string | null;
}

function buildApi(opts: AppOptions) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .route('/', systemRoutes)
    .route(
      '/',
      authRoutes({
        secureCookies: opts.secure ?? false,
        ...(opts.throttle ? { throttle: opts.throttle } : {}),
      }),
    )
    .route('/', ssoRoutes({ secureCookies: opts.secure ?? false }))
    .route('/', userRoutes)
    .route('/', savedViewRoutes)
    .route('/', tokenRoutes)
    .route('/', scimTokenRoutes)
    .route('/', auditRoutes)
    .route('/', deviceRoutes)
    .route('/', siteRoutes)
    .route('/', findingRoutes)
    .route('/', communicationRoutes)
    .route('/', alertRoutes)
    .route('/', vulnRoutes)
    .route('/', riskRoutes)
    .route('/', taskRoutes)
    .route('/', recallRoutes)
    .route('/', programPeopleRoutes)
    .route('/', programOfficerRoutes)
    .route('/', notificationRoutes)
    .route('/', reportRoutes)
    .route('/', manufacturerRoutes)
    .route('/', trainingRoutes)
    .route('/', sensorRoutes)
    .route('/', importRoutes)
    .route('/', policyRoutes);
}

export type ApiType = ReturnType<typeof buildApi>;

export function createApp(ctx: AppContext, opts: AppOptions = {}) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use('*', secureHeaders({ strictTransportSecurity: opts.secure ? 'max-age=31536000' : false }));
  app.use('*', async (c, next) => {
    const started = performance.now();
    c.set('ctx', ctx);
    await next();
    // Method, path and status only: query strings and bodies can carry identifiers or tokens.
    ctx.log.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        actor: c.get('actor')?.name,
      },
      'request',
    );
  });
  app.use('/api/v1/*', authenticate(opts.secure ?? false));
  app.use('/api/v1/*', async (c, next) => {
    if (c.req.path === '/api/v1/captures/import') return next(); // streamed to disk, capped there
    const limit = c.req.path.endsWith('/import') ? IMPORT_BODY_LIMIT : JSON_BODY_LIMIT;
    return bodyLimit({ maxSize: limit, onError: tooLarge(limit) })(c, next);
  });
  app.use(
    '/api/v1/*',
    utf8Body(
      (bad, reason, bytes) =>
        invalidInput(`The request body is not UTF-8 text (${describeNotUtf8(bad)})`, [
          { field: 'body', line: lineOf(bytes, bad.offset), offset: bad.offset, reason },
        ]),
      // Nobody signed in: the route answers 401 without reading the body, so nothing is read here either.
      (c) => !c.get('actor') || READS_ITS_OWN_BYTES.test(c.req.path),
    ),
  );
  app.route('/api/v1', buildApi(opts));
  app.doc31('/api/docs', {
    openapi: '3.1.0',
    info: {
      title: 'Vigil API',
      version: VERSION,
      description:
        'Medical device security: inventory, accounts, audit. Every operation lists its permission as x-permission.',
    },
    servers: [{ url: '/' }],
  });
  // SCIM 2.0 provisioning from the identity provider (docs/sso.md): its own bearer tokens and error shape.
  app.route(SCIM_BASE_PATH, scimRoutes());
  // Prometheus scrape endpoint (issue 9), outside the API: counters only, and only when enabled.
  app.get('/metrics', metricsHandler);
  // The dashboard: every GET the API and the OpenAPI document did not answer (docs/dashboard.md).
  app.get('*', serveWebAssets(opts.webRoot === undefined ? findWebRoot : (opts.webRoot ?? undefined)));
  app.notFound((c) => {
    const problem = toProblem(notFound(`Route ${c.req.method} ${c.req.path}`));
    return c.json(problem, 404, { 'content-type': 'application/problem+json' });
  });
  app.onError((err, c) => {
    const problem = toProblem(err);
    // A client's mistake (4xx, Vigil's or Hono's own) is the client's to see, not an operator's alarm.
    if (problem.status >= 500) ctx.log.error({ err, path: c.req.path }, 'request failed');
    const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
    if (err instanceof VigilError && err.retryAfter) headers['retry-after'] = String(err.retryAfter);
    return c.json(problem, problem.status as 400, headers);
  });
  return app;
}

/** zod validation failures become the standard problem with one issue per bad field. */
function validationHook(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string; code?: string; keys?: string[] }[] };
  target?: string;
}) {
  if (!result.success) {
    const issues = (result.error?.issues ?? []).flatMap((i) => {
      const at = i.path.map(String).join('.');
      // A strict body names each field it does not take, so the caller sees which one was ignored.
      if (i.code === 'unrecognized_keys' && i.keys?.length)
        return i.keys.map((k) => ({ field: at ? `${at}.${k}` : k, reason: 'unknown field' }));
      return [{ field: at || String(result.target ?? ''), reason: i.message }];
    });
    throw invalidInput(`Invalid request ${result.target ?? ''}`.trim(), issues);
  }
}
