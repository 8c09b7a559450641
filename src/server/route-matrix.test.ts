/**
 * Walks every API route × every role (and no login at all) and checks the answer against the
 * permission the route declares: 401 without credentials, 403 for a role without the permission, and
 * never 401/403 for a role that has it. A route that declares no permission fails the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, TEST_PASSWORD } from '../../test/api-harness.js';
import { DIALECTS } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { createApiToken } from '../accounts/api-tokens.js';
import { ALL_PERMISSIONS, isPermission, ROLE_NAMES, ROLES } from '../accounts/permissions.js';
import { addSubscription, listFeeds } from '../advisories/feeds-service.js';
import { createSite } from '../inventory/site-service.js';

interface RouteDef {
  method: string;
  path: string;
  'x-permission'?: string;
}

function routesOf(h: ApiHarness): RouteDef[] {
  return h.app.openAPIRegistry.definitions
    .filter((d): d is Extract<typeof d, { type: 'route' }> => d.type === 'route')
    .map((d) => d.route as unknown as RouteDef);
}

const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'nonexistent-0000');

describe.each(DIALECTS)('route × role matrix on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
  });
  afterAll(async () => h?.close());

  it('every route declares a known permission', () => {
    const routes = routesOf(h);
    expect(routes.length).toBeGreaterThan(15);
    for (const r of routes) {
      const p = r['x-permission'];
      expect(p, `${r.method} ${r.path}`).toBeDefined();
      expect(p === 'public' || p === 'authenticated' || isPermission(p!), `${r.method} ${r.path}: ${p}`).toBe(
        true,
      );
      expect(r.path.startsWith('/api/v1/'), r.path).toBe(true);
    }
  });

  it('declares the permissions chosen for routes that change who may sign in', () => {
    const declared = new Map(
      routesOf(h).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r['x-permission']]),
    );
    // Listing reveals no secret; a SCIM token disables accounts, so making and revoking one is users:write.
    expect({
      list: declared.get('GET /api/v1/scim-tokens'),
      create: declared.get('POST /api/v1/scim-tokens'),
      revoke: declared.get('POST /api/v1/scim-tokens/{id}/revoke'),
    }).toEqual({ list: 'users:read', create: 'users:write', revoke: 'users:write' });
  });

  it('refuses a token limited to a site what applies to every site, before reading or writing anything', async () => {
    await createSite(h.ctx.vdb, cliActor, { name: 'North Clinic' });
    await addSubscription(h.ctx.vdb, cliActor, {
      kind: 'kev',
      name: 'kev',
      url: 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
    });
    const { token } = await createApiToken(h.ctx.vdb, cliActor, {
      name: 'north-admin',
      owner: 'test-admin',
      permissions: [...ALL_PERMISSIONS],
      sites: ['North Clinic'],
    });
    const north = h.withToken(token);
    const binary = { 'content-type': 'application/octet-stream' };
    const writes: [string, string, unknown?, Record<string, string>?][] = [
      ['POST', '/api/v1/tasks/verify', {}],
      ['POST', '/api/v1/captures/import?fileName=north.pcap', 'not read', binary],
      ['POST', '/api/v1/advisories/import?fileName=kev.json', 'not read', binary],
      ['POST', '/api/v1/feeds', { kind: 'epss', name: 'epss', url: 'https://epss.empiricalsecurity.com/' }],
      ['DELETE', '/api/v1/feeds/kev'],
      ['POST', '/api/v1/alert-destinations/nonexistent-0000/test', {}],
      // The hospital's SIEM and pager hosts; a dead letter of its sites already names the destination.
      ['GET', '/api/v1/alert-destinations'],
      // A job over every site, whose report counts every site's devices and matches.
      ['POST', '/api/v1/match', {}],
      // The same job after a feed sync (a feed it does not know: refused before it is even looked up).
      ['POST', '/api/v1/feeds/sync?feed=nonexistent', {}],
      ['POST', '/api/v1/users', { username: 'north.admin', role: 'admin', password: TEST_PASSWORD }],
      ['POST', '/api/v1/users/test-auditor/role', { role: 'admin' }],
      ['POST', '/api/v1/tokens', { name: 'every-site', owner: 'test-admin', permissions: ['devices:read'] }],
      ['POST', '/api/v1/scim-tokens', {}],
    ];
    const failures: string[] = [];
    for (const [method, path, payload, headers] of writes) {
      const res = await north.request(method, path, payload, headers);
      const text = await res.text();
      if (res.status !== 403 || !text.includes('applies to every site'))
        failures.push(`${method} ${path}: ${res.status} ${text.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
    expect((await listFeeds(h.ctx.vdb, cliActor)).map((f) => f.name)).toContain('kev');
    const audit = await h.ctx.vdb.db
      .selectFrom('audit_log')
      .select('action')
      .where('actor', 'like', 'token:north-admin%')
      .execute();
    expect(audit).toEqual([]);
  });

  it('answers every route × role as its permission says', async () => {
    const failures: string[] = [];
    for (const r of routesOf(h)) {
      const perm = r['x-permission']!;
      const method = r.method.toUpperCase();
      const path = concrete(r.path);
      const anon = await h.anonymous.request(method, path, method === 'GET' ? undefined : {});
      if (perm !== 'public' && anon.status !== 401)
        failures.push(`anonymous ${method} ${r.path}: ${anon.status}, want 401`);
      for (const role of ROLE_NAMES) {
        // Logging out would end the shared session; use a throwaway one for that route.
        const client = r.path.endsWith('/auth/logout')
          ? await h.login(`test-${role}`, TEST_PASSWORD)
          : h.as(role);
        const res = await client.request(method, path, method === 'GET' ? undefined : {});
        const allowed =
          perm === 'public' ||
          perm === 'authenticated' ||
          (ROLES[role].permissions as readonly string[]).includes(perm);
        if (allowed && (res.status === 401 || res.status === 403))
          failures.push(`${role} ${method} ${r.path}: ${res.status}, want access`);
        if (!allowed && res.status !== 403)
          failures.push(`${role} ${method} ${r.path}: ${res.status}, want 403`);
      }
    }
    expect(failures).toEqual([]);
  });
});
