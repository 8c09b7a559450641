/**
 * Single sign-on over the API against a real OpenID Connect provider (`oidc-provider` on loopback,
 * test/oidc-provider.ts): the whole browser round trip, accounts created and re-roled from the provider's
 * groups, and every way a sign-in is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, TEST_PASSWORD } from '../../test/api-harness.js';
import { DIALECTS } from '../../test/dialects.js';
import { startTestProvider, type TestProvider } from '../../test/oidc-provider.js';
import { cookieOf, REDIRECT, ROLE_MAP, sessionOf, signIn, ssoConfig } from '../../test/sso-flow.js';
import { resolveSession } from '../accounts/sessions.js';
import { listAudit } from '../audit/audit-log.js';
import { accessFigures } from '../store/compliance-store.js';

describe.each(DIALECTS)('single sign-on with an OpenID Connect provider on %s', (dialect) => {
  let op: TestProvider;
  let h: ApiHarness;
  beforeAll(async () => {
    op = await startTestProvider(REDIRECT);
    h = await apiHarness(dialect, await ssoConfig(op));
  });
  afterAll(async () => {
    await h?.close();
    await op?.close();
  });

  it('says it is on, for the sign-in page', async () => {
    expect(await (await h.anonymous.get('/api/v1/auth/sso')).json()).toEqual({
      enabled: true,
      providerName: 'Hospital Entra ID',
      loginUrl: '/api/v1/auth/oidc/login',
    });
  });

  it('shows its configuration in GET /system without the client secret', async () => {
    const body = (await (await h.as('auditor').get('/api/v1/system')).json()) as {
      configuration: Array<{ key: string; value: unknown; set?: boolean }>;
    };
    const option = (key: string) => body.configuration.find((o) => o.key === key);
    expect(option('oidcRoleMap')?.value).toBe(
      'vigil-admins=admin;biomed-engineering=clinical-engineer;ciso-office=auditor',
    );
    expect(option('oidcClientSecret')?.value).toBeNull();
    expect(JSON.stringify(body)).not.toContain(op.clientSecret);
  });

  it('creates the account at the first sign-in with the role of its groups, and re-roles it at the next', async () => {
    const first = await signIn(h, op, {
      sub: 'entra-oid-7f3a',
      preferred_username: 'r.okafor@hospital.example',
      name: 'Rita Okafor',
      groups: ['all-staff', 'biomed-engineering'],
    });
    expect(first.location).toBe('/devices');
    expect(first.session).toBeDefined();
    const s = await sessionOf(h, first.session!);
    expect(s.status).toBe(200);
    expect(s.body.actor).toMatchObject({
      name: 'r.okafor@hospital.example',
      role: 'clinical-engineer',
      signIn: 'sso',
      mfaEnrolmentRequired: false,
    });
    const devices = await h.anonymous.request('GET', '/api/v1/devices', undefined, {
      cookie: first.session!,
    });
    expect(devices.status).toBe(200);
    const users = (await (await h.as('admin').get('/api/v1/users')).json()) as Array<Record<string, unknown>>;
    expect(users.find((u) => u.username === 'r.okafor@hospital.example')).toMatchObject({
      displayName: 'Rita Okafor',
      role: 'clinical-engineer',
      signIn: 'sso',
      mfaEnabled: false,
    });

    // Moved to the admins group at the provider, and renamed there: the same account (same subject), now admin.
    const second = await signIn(h, op, {
      sub: 'entra-oid-7f3a',
      preferred_username: 'rita.okafor@hospital.example',
      groups: ['vigil-admins', 'biomed-engineering'],
    });
    expect((await sessionOf(h, second.session!)).body.actor).toMatchObject({
      name: 'r.okafor@hospital.example',
      role: 'admin',
    });
    const audit = await listAudit(h.ctx.vdb, { limit: 50 });
    const actions = audit.map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(['user.create:success', 'user.set-role:success']));
    const logins = audit.filter((e) => e.action === 'auth.login' && e.summary['method'] === 'sso');
    expect(logins.length).toBeGreaterThanOrEqual(2);
  });

  it('ends a session that was not multi-factor once requireMfa is on', async () => {
    const r = await signIn(h, op, {
      sub: 'entra-oid-77',
      preferred_username: 'p.nowak',
      groups: ['ciso-office'],
      amr: ['pwd'],
    });
    const secret = r.session!.slice('vigil_session='.length);
    expect(await resolveSession(h.ctx.vdb, h.ctx.config, secret)).toBeDefined();
    expect(await resolveSession(h.ctx.vdb, { ...h.ctx.config, requireMfa: true }, secret)).toBeUndefined();
    const mfa = await signIn(h, op, {
      sub: 'entra-oid-77',
      preferred_username: 'p.nowak',
      groups: ['ciso-office'],
      amr: ['pwd', 'mfa'],
    });
    const again = mfa.session!.slice('vigil_session='.length);
    expect(await resolveSession(h.ctx.vdb, { ...h.ctx.config, requireMfa: true }, again)).toBeDefined();
  });

  it('never returns to another site after signing in', async () => {
    const r = await signIn(
      h,
      op,
      { sub: 'entra-oid-11', preferred_username: 'k.weber', groups: ['ciso-office'] },
      '//evil.example/steal',
    );
    expect(r.location).toBe('/');
    expect(r.session).toBeDefined();
  });

  it('refuses a person in none of the mapped groups, and says why', async () => {
    const r = await signIn(h, op, {
      sub: 'entra-oid-22',
      preferred_username: 'visitor',
      groups: ['all-staff'],
    });
    expect(r.location).toBe('/?ssoError=no-role');
    expect(r.session).toBeUndefined();
    const users = (await (await h.as('admin').get('/api/v1/users')).json()) as Array<{ username: string }>;
    expect(users.map((u) => u.username)).not.toContain('visitor');
    const audit = await listAudit(h.ctx.vdb, { limit: 20 });
    expect(
      audit.find((e) => e.action === 'auth.login' && e.outcome === 'failure' && e.actor === 'visitor')
        ?.summary,
    ).toMatchObject({ method: 'sso', reason: 'no-role' });
  });

  it('does not take over a local account that has the same name', async () => {
    await h
      .as('admin')
      .post('/api/v1/users', { username: 'j.lind', role: 'auditor', password: TEST_PASSWORD });
    const r = await signIn(h, op, {
      sub: 'entra-oid-33',
      preferred_username: 'j.lind',
      groups: ['vigil-admins'],
    });
    expect(r.location).toBe('/?ssoError=name-taken');
    expect(r.session).toBeUndefined();
    expect((await h.login('j.lind', TEST_PASSWORD)).get).toBeDefined(); // the local account is untouched
  });

  it('keeps single sign-on accounts away from passwords and Vigil second factors', async () => {
    const r = await signIn(h, op, {
      sub: 'entra-oid-44',
      preferred_username: 'm.santos',
      groups: ['ciso-office'],
    });
    const cookie = r.session!;
    expect(
      (await h.anonymous.post('/api/v1/auth/login', { username: 'm.santos', password: '!sso' })).status,
    ).toBe(401);
    const csrf = ((await sessionOf(h, cookie)).body as unknown as { csrfToken: string }).csrfToken;
    const headers = { cookie, 'x-csrf-token': csrf };
    const change = await h.anonymous.request(
      'POST',
      '/api/v1/auth/password',
      { currentPassword: 'x', newPassword: 'Another-long-passphrase-42' },
      headers,
    );
    expect(change.status).toBe(409);
    expect(
      (await h.anonymous.request('POST', '/api/v1/auth/mfa/totp', { currentPassword: 'x' }, headers)).status,
    ).toBe(409);
    const reset = await h
      .as('admin')
      .post('/api/v1/users/m.santos/password', { password: 'Another-long-passphrase-42' });
    expect(reset.status).toBe(409);
    const role = await h.as('admin').post('/api/v1/users/m.santos/role', { role: 'admin' });
    expect(role.status).toBe(409); // the provider's groups decide
  });

  it('refuses an account an admin disabled in Vigil', async () => {
    await signIn(h, op, {
      sub: 'entra-oid-55',
      preferred_username: 'leaver',
      groups: ['biomed-engineering'],
    });
    expect((await h.as('admin').post('/api/v1/users/leaver/disable')).status).toBeLessThan(300);
    const r = await signIn(h, op, {
      sub: 'entra-oid-55',
      preferred_username: 'leaver',
      groups: ['biomed-engineering'],
    });
    expect(r.location).toBe('/?ssoError=disabled');
    expect(r.session).toBeUndefined();
  });

  it('refuses an answer without its flow cookie, or with the cookie of another sign-in', async () => {
    op.signInAs({ sub: 'entra-oid-66', preferred_username: 'a.berg', groups: ['ciso-office'] });
    const start = await h.anonymous.get('/api/v1/auth/oidc/login');
    const back = await op.browse(start.headers.get('location')!);
    const noCookie = await h.anonymous.get(back.pathname + back.search);
    expect(noCookie.headers.get('location')).toBe('/?ssoError=expired');
    const other = cookieOf(await h.anonymous.get('/api/v1/auth/oidc/login'), 'vigil_sso_flow')!;
    const swapped = await h.anonymous.request('GET', back.pathname + back.search, undefined, {
      cookie: other,
    });
    expect(swapped.headers.get('location')).toBe('/?ssoError=token');
    expect(cookieOf(swapped, 'vigil_session')).toBeUndefined();
    const forged = await h.anonymous.request('GET', back.pathname + back.search, undefined, {
      cookie: 'vigil_sso_flow=vgs1:forged:abc:def',
    });
    expect(forged.headers.get('location')).toBe('/?ssoError=expired');
    // Each is a failed sign-in in the audit log, by someone unknown.
    const failures = (await listAudit(h.ctx.vdb, { limit: 10 })).filter(
      (e) => e.action === 'auth.login' && e.outcome === 'failure' && e.actor === 'single sign-on',
    );
    expect(failures.map((e) => e.summary['reason']).sort()).toEqual(['expired', 'expired', 'token']);
  });

  it("passes on the provider's refusal", async () => {
    const start = await h.anonymous.get('/api/v1/auth/oidc/login');
    const flow = cookieOf(start, 'vigil_sso_flow')!;
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const r = await h.anonymous.request(
      'GET',
      `/api/v1/auth/oidc/callback?error=access_denied&error_description=User+cancelled&state=${state}`,
      undefined,
      { cookie: flow },
    );
    expect(r.headers.get('location')).toBe('/?ssoError=denied');
  });
});

describe.each(DIALECTS)('single sign-on with requireMfa on %s', (dialect) => {
  let op: TestProvider;
  let h: ApiHarness;
  beforeAll(async () => {
    op = await startTestProvider(REDIRECT);
    h = await apiHarness(dialect, await ssoConfig(op, { requireMfa: 'true' }));
  });
  afterAll(async () => {
    await h?.close();
    await op?.close();
  });

  it('takes a sign-in the provider reports as multi-factor, and counts it as such', async () => {
    const pwdOnly = await signIn(h, op, {
      sub: 'kc-1',
      preferred_username: 'n.ito',
      groups: ['biomed-engineering'],
      amr: ['pwd'],
    });
    expect(pwdOnly.location).toBe('/?ssoError=mfa-required');
    const mfa = await signIn(h, op, {
      sub: 'kc-1',
      preferred_username: 'n.ito',
      groups: ['biomed-engineering'],
      amr: ['pwd', 'otp'],
    });
    expect(mfa.location).toBe('/devices');
    const s = await sessionOf(h, mfa.session!);
    // Not held to Vigil's own TOTP enrolment: the provider's second factor counts.
    expect(s.body.actor).toMatchObject({ signIn: 'sso', mfaEnrolmentRequired: false });
    expect(
      (await h.anonymous.request('GET', '/api/v1/devices', undefined, { cookie: mfa.session! })).status,
    ).toBe(200);
    const now = new Date().toISOString();
    const figures = await accessFigures(h.ctx.vdb, now, '2000-01-01T00:00:00.000Z');
    // The harness's four local accounts have no second factor; the SSO one does.
    expect(figures.withMfa).toBe(1);
  });
});

describe('single sign-on configuration', () => {
  it('is off without an issuer, and answers 404 at its routes', async () => {
    const h = await apiHarness('sqlite');
    try {
      expect(await (await h.anonymous.get('/api/v1/auth/sso')).json()).toEqual({
        enabled: false,
        providerName: null,
        loginUrl: null,
      });
      expect((await h.anonymous.get('/api/v1/auth/oidc/login')).status).toBe(404);
    } finally {
      await h.close();
    }
  });

  it('sends the browser back with a reason when the provider cannot be reached', async () => {
    const h = await apiHarness('sqlite', {
      oidcIssuer: 'http://127.0.0.1:9/',
      oidcClientId: 'vigil',
      oidcRedirectUrl: REDIRECT,
      oidcRoleMap: ROLE_MAP,
    });
    try {
      const r = await h.anonymous.get('/api/v1/auth/oidc/login');
      expect(r.status).toBe(302);
      expect(r.headers.get('location')).toBe('/?ssoError=unavailable');
    } finally {
      await h.close();
    }
  });
});
