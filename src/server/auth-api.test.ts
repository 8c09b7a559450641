import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, TEST_PASSWORD } from '../../test/api-harness.js';
import { DIALECTS } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { LoginThrottle } from '../accounts/login-throttle.js';
import { createUser } from '../accounts/users.js';
import { listAudit } from '../audit/audit-log.js';

describe.each(DIALECTS)('authentication over the API on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
  });
  afterAll(async () => h?.close());

  it('sets an HttpOnly SameSite=Strict session cookie and returns a CSRF token', async () => {
    const res = await h.anonymous.post('/api/v1/auth/login', {
      username: 'test-auditor',
      password: TEST_PASSWORD,
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^vigil_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const body = (await res.json()) as { csrfToken: string; user: { role: string } };
    expect(body.user.role).toBe('auditor');
    expect(body.csrfToken.length).toBeGreaterThan(30);
    expect(JSON.stringify(body)).not.toContain(TEST_PASSWORD);
    expect(JSON.stringify(body)).not.toContain('argon2');
  });

  it('answers 401 with the problem shape when not logged in, and for a wrong password', async () => {
    const res = await h.anonymous.get('/api/v1/users');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 401, code: 'authentication_required' });
    const bad = await h.anonymous.post('/api/v1/auth/login', {
      username: 'test-admin',
      password: 'not the password',
    });
    expect(bad.status).toBe(401);
  });

  it('answers 400 with one issue per bad field', async () => {
    const res = await h.anonymous.post('/api/v1/auth/login', { username: '' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; issues: { field: string }[] };
    expect(body.code).toBe('invalid_input');
    expect(body.issues.map((i) => i.field).sort()).toEqual(['password', 'username']);
  });

  it('refuses a state-changing cookie request without the CSRF token', async () => {
    const login = await h.anonymous.post('/api/v1/auth/login', {
      username: 'test-admin',
      password: TEST_PASSWORD,
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const res = await h.app.request('/api/v1/users', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'new.user', role: 'auditor', password: TEST_PASSWORD }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/CSRF/);
    // Reads need no token.
    const read = await h.app.request('/api/v1/users', { headers: { cookie } });
    expect(read.status).toBe(200);
  });

  it('logs out: the cookie no longer works', async () => {
    const client = await h.login('test-clinical-engineer', TEST_PASSWORD);
    expect((await client.get('/api/v1/auth/session')).status).toBe(200);
    expect((await client.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await client.get('/api/v1/auth/session')).status).toBe(401);
  });

  it('API tokens: shown once, read-only by default, 403 on writes, 401 once revoked', async () => {
    const created = await h.as('security-officer').post('/api/v1/tokens', { name: 'cmdb-sync' });
    expect(created.status).toBe(201);
    const { token, info } = (await created.json()) as {
      token: string;
      info: { id: string; permissions: string[] };
    };
    expect(token).toMatch(/^vgl_/);
    expect(info.permissions).toContain('devices:read');
    const machine = h.withToken(token);
    expect((await machine.get('/api/v1/audit')).status).toBe(200);
    expect((await machine.post('/api/v1/tokens', { name: 'escalate' })).status).toBe(403);
    const listed = await (await h.as('admin').get('/api/v1/tokens')).text();
    expect(listed).not.toContain(token);
    expect((await h.as('security-officer').post(`/api/v1/tokens/${info.id}/revoke`)).status).toBe(200);
    expect((await machine.get('/api/v1/audit')).status).toBe(401);
    expect((await h.withToken('vgl_forged').get('/api/v1/audit')).status).toBe(401);
  });

  it('a token limited to sites cannot read the audit log, which records every site', async () => {
    const site = (await (
      await h.as('security-officer').post('/api/v1/sites', { name: 'Audit Annex Clinic' })
    ).json()) as { id: string };
    const created = await h.as('security-officer').post('/api/v1/tokens', {
      name: 'annex-audit',
      permissions: ['audit:read', 'devices:read'],
      sites: [site.id],
    });
    expect(created.status).toBe(201);
    const annex = h.withToken(((await created.json()) as { token: string }).token);
    for (const path of ['/api/v1/audit', '/api/v1/audit/verify', '/api/v1/audit/export']) {
      const res = await annex.get(path);
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { detail: string }).detail).toMatch(/every site/);
    }
    expect((await annex.get('/api/v1/devices')).status).toBe(200);
  });

  it("changes the signed-in user's own password: CSRF, policy reasons, other sessions end", async () => {
    await h
      .as('admin')
      .post('/api/v1/users', { username: 'night.nurse', role: 'auditor', password: TEST_PASSWORD });
    const here = await h.login('night.nurse', TEST_PASSWORD);
    const elsewhere = await h.login('night.nurse', TEST_PASSWORD);
    const next = 'quiet ward lamp at midnight';

    // Without the CSRF token (a cross-site form) nothing happens.
    const third = await h.anonymous.post('/api/v1/auth/login', {
      username: 'night.nurse',
      password: TEST_PASSWORD,
    });
    const cookieOnly = await h.app.request('/api/v1/auth/password', {
      method: 'POST',
      headers: {
        cookie: third.headers.get('set-cookie')!.split(';')[0]!,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ currentPassword: TEST_PASSWORD, newPassword: next }),
    });
    expect(cookieOnly.status).toBe(403);

    const wrong = await here.post('/api/v1/auth/password', {
      currentPassword: 'guessed wrongly',
      newPassword: next,
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ issues: [{ field: 'currentPassword' }] });
    const weak = await here.post('/api/v1/auth/password', {
      currentPassword: TEST_PASSWORD,
      newPassword: 'short',
    });
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as { detail: string }).detail).toMatch(/at least 12 characters/);

    const changed = await here.post('/api/v1/auth/password', {
      currentPassword: TEST_PASSWORD,
      newPassword: next,
    });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ username: 'night.nurse', role: 'auditor' });
    expect((await here.get('/api/v1/auth/session')).status).toBe(200);
    expect((await elsewhere.get('/api/v1/auth/session')).status).toBe(401);
    await expect(h.login('night.nurse', TEST_PASSWORD)).rejects.toThrow(/401/);
    await h.login('night.nurse', next);

    // An API token has no password to change.
    const { token } = (await (await h.as('admin').post('/api/v1/tokens', { name: 'pw-probe' })).json()) as {
      token: string;
    };
    const byToken = await h
      .withToken(token)
      .post('/api/v1/auth/password', { currentPassword: 'a', newPassword: 'b' });
    expect(byToken.status).toBe(403);
    expect(((await byToken.json()) as { detail: string }).detail).toMatch(/API tokens and the CLI have none/);
  });

  it('API tokens: a misspelt field is refused, not dropped into a broader token', async () => {
    // "site" for "sites": silently ignored, it made a token for every site.
    const res = await h.as('security-officer').post('/api/v1/tokens', { name: 'cmms-sync', site: ['North'] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: 'invalid_input',
      issues: [{ field: 'site', reason: 'unknown field' }],
    });
    const listed = (await (await h.as('admin').get('/api/v1/tokens')).json()) as { name: string }[];
    expect(listed.map((t) => t.name)).not.toContain('cmms-sync');
  });

  it("an admin password reset with revokeTokens stops the account's API tokens; a misspelt field is refused", async () => {
    await h
      .as('admin')
      .post('/api/v1/users', { username: 'pharm.bot', role: 'clinical-engineer', password: TEST_PASSWORD });
    const created = await h.as('admin').post('/api/v1/tokens', { name: 'pump-library', owner: 'pharm.bot' });
    const { token } = (await created.json()) as { token: string };
    const machine = h.withToken(token);
    expect((await machine.get('/api/v1/devices')).status).toBe(200);
    const misspelt = await h
      .as('admin')
      .post('/api/v1/users/pharm.bot/password', { password: 'Fresh-passphrase-2026', revokeToken: true });
    expect(misspelt.status).toBe(400);
    expect((await machine.get('/api/v1/devices')).status).toBe(200);
    const reset = await h
      .as('admin')
      .post('/api/v1/users/pharm.bot/password', { password: 'Fresh-passphrase-2026', revokeTokens: true });
    expect(reset.status).toBe(200);
    expect(await reset.json()).toMatchObject({ username: 'pharm.bot', tokensRevoked: 1 });
    expect((await machine.get('/api/v1/devices')).status).toBe(401);
  });

  it('records logins and mutations in the audit log and the chain verifies', async () => {
    await h
      .as('admin')
      .post('/api/v1/users', { username: 'lab.tech', role: 'clinical-engineer', password: TEST_PASSWORD });
    const device = (await (
      await h.as('clinical-engineer').post('/api/v1/devices', { assetTag: 'INF-0042', manufacturer: 'BD' })
    ).json()) as { id: string };
    const res = await h.as('auditor').get('/api/v1/audit?limit=200');
    const { items } = (await res.json()) as {
      items: {
        action: string;
        actor: string;
        outcome: string;
        targetType: string | null;
        targetId: string | null;
        targetLabel: string | null;
      }[];
    };
    expect(items.some((e) => e.action === 'user.create' && e.actor === 'test-admin')).toBe(true);
    // Targets by the names people know them by, read when listed (the chain keeps the ids).
    expect(items.find((e) => e.action === 'user.create')).toMatchObject({
      targetType: 'user',
      targetLabel: 'lab.tech',
    });
    expect(items.find((e) => e.targetType === 'device' && e.targetId === device.id)).toMatchObject({
      targetLabel: 'INF-0042',
    });
    expect(items.filter((e) => !e.targetType).every((e) => e.targetLabel === null)).toBe(true);
    expect(items.some((e) => e.action === 'auth.login' && e.outcome === 'failure')).toBe(true);
    const verify = await h.as('auditor').get('/api/v1/audit/verify');
    expect(await verify.json()).toMatchObject({ ok: true });
    const exported = await (await h.as('auditor').get('/api/v1/audit/export')).text();
    const lines = exported
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number });
    expect(lines[0]!.seq).toBe(1);
  });

  it('serves the OpenAPI document with the permission of every operation', async () => {
    const res = await h.anonymous.get('/api/docs');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { 'x-permission'?: string }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/api/v1/auth/login']?.['post']?.['x-permission']).toBe('public');
    expect(doc.paths['/api/v1/users']?.['get']?.['x-permission']).toBe('users:read');
  });

  it('first run: setup is refused once accounts exist', async () => {
    expect(await (await h.anonymous.get('/api/v1/setup')).json()).toEqual({ needed: false });
    const res = await h.anonymous.post('/api/v1/setup', {
      setupToken: 'setup_x',
      username: 'eve',
      password: TEST_PASSWORD,
    });
    expect(res.status).toBe(409);
  });

  it('sends security headers', async () => {
    const res = await h.anonymous.get('/api/v1/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });
});

describe('typed API client', () => {
  it('talks to the real app with a token and types the answers', async () => {
    const h = await apiHarness('sqlite');
    try {
      const { createApiClient } = await import('../client/api-client.js');
      const created = await h.as('admin').post('/api/v1/tokens', { name: 'client-test' });
      const { token } = (await created.json()) as { token: string };
      const client = createApiClient('http://vigil.test', {
        token,
        fetch: (input, init) => Promise.resolve(h.app.request(input as string, init)),
      });
      const res = await client.users.$get();
      expect(res.status).toBe(200);
      const users = await res.json();
      expect(users.map((u) => u.username)).toContain('test-admin');
    } finally {
      await h.close();
    }
  });
});

describe('request bodies that are not JSON', () => {
  it('answers the wrong media type with 415 and malformed JSON with 400, as problems, and logs neither', async () => {
    // Found by fuzzing the API: Hono's own refusals were not VigilErrors and came back as 500 "internal".
    const h = await apiHarness('sqlite');
    const logged: string[] = [];
    h.ctx.log.error = ((_o: unknown, m: string) => {
      logged.push(m);
    }) as unknown as typeof h.ctx.log.error;
    try {
      const cases: [string, Record<string, string>, number, string][] = [
        ['x', {}, 415, 'unsupported_media_type'],
        ['name=x', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
        ['{"name": ', { 'content-type': 'application/json' }, 400, 'invalid_input'],
      ];
      for (const [body, headers, status, code] of cases) {
        const res = await h.as('admin').request('POST', '/api/v1/departments', body, headers);
        expect(res.status, body).toBe(status);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(await res.json()).toMatchObject({ status, code });
      }
      expect(logged).toEqual([]);
    } finally {
      await h.close();
    }
  });
});

describe('request size', () => {
  it('refuses an oversized JSON body with the problem shape', async () => {
    const h = await apiHarness('sqlite');
    try {
      const res = await h
        .as('admin')
        .post('/api/v1/users', { username: 'x'.repeat(2 * 1024 * 1024), role: 'auditor', password: 'y' });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({
        code: 'too_large',
        detail: expect.stringMatching(/larger than 1 MiB/),
      });
    } finally {
      await h.close();
    }
  });
});

describe.each(DIALECTS)('sign-in behind a reverse proxy, attempts in parallel, on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(
      dialect,
      { trustProxy: true, loginMaxFailures: 5 },
      { throttle: new LoginThrottle(8, 60_000) },
    );
  });
  afterAll(async () => h?.close());

  /** A login through nginx: the client's own X-Forwarded-For, then the address nginx appended. */
  const loginVia = (forwardedFor: string, username: string, password: string) =>
    h.anonymous.request(
      'POST',
      '/api/v1/auth/login',
      { username, password },
      { 'x-forwarded-for': forwardedFor },
    );

  it('parallel wrong passwords from one address get 429 at its limit and lock the account', async () => {
    await createUser(h.ctx.vdb, cliActor, {
      username: 'ward.nurse',
      role: 'auditor',
      password: TEST_PASSWORD,
    });
    // The client claims to be 10.0.0.1; nginx appended the address it really came from.
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        loginVia('10.0.0.1, 203.0.113.7', 'ward.nurse', `guess number ${i}`),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array<number>(8).fill(401), ...Array<number>(4).fill(429)]);
    expect(Number(responses.find((r) => r.status === 429)!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Locked: the right password from another address is refused as well.
    expect((await loginVia('198.51.100.9', 'ward.nurse', TEST_PASSWORD)).status).toBe(401);
    const entries = (await listAudit(h.ctx.vdb, { action: 'auth.login' })).filter(
      (e) => e.outcome === 'failure',
    );
    expect(entries).toHaveLength(9);
    expect(entries.map((e) => e.ip).sort()).toEqual([
      '198.51.100.9',
      ...Array<string>(8).fill('203.0.113.7'),
    ]);
  });

  it('keeps a forged or malformed forwarded address out of the audit log', async () => {
    const res = await loginVia('admin-workstation-IT (10.0.0.1)', 'test-auditor', TEST_PASSWORD);
    expect(res.status).toBe(200);
    const [entry] = await listAudit(h.ctx.vdb, { action: 'auth.login' });
    // Not an address: the socket's is used, and app.request() has none.
    expect(entry).toMatchObject({ actor: 'test-auditor', outcome: 'success', ip: null });
  });
});
