/**
 * The second factor over the API: enrolment and login in two steps (`mfa_required`, then `otp`), the
 * admin's reset, and with `requireMfa` a user without a factor kept to the enrolment routes.
 */
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, TEST_PASSWORD } from '../../test/api-harness.js';
import { DIALECTS } from '../../test/dialects.js';

const app = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });

describe.each(DIALECTS)('second factor over the API on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
  });
  afterAll(async () => h?.close());

  it('enrols, then signs in with password and code; an admin resets a lost factor', async () => {
    await h
      .as('admin')
      .post('/api/v1/users', { username: 'pacs.admin', role: 'clinical-engineer', password: TEST_PASSWORD });
    const me = await h.login('pacs.admin', TEST_PASSWORD);
    expect(await (await me.get('/api/v1/auth/mfa')).json()).toEqual({
      enabled: false,
      enabledAt: null,
      pending: false,
      recoveryCodesLeft: 0,
      required: false,
    });
    const started = await me.post('/api/v1/auth/mfa/totp', { currentPassword: TEST_PASSWORD });
    expect(started.status).toBe(200);
    const { secret, otpauthUri } = (await started.json()) as { secret: string; otpauthUri: string };
    expect(otpauthUri).toContain('issuer=Vigil');
    const now = Date.now();
    const confirmed = await me.post('/api/v1/auth/mfa/totp/confirm', {
      code: app(secret).generate({ timestamp: now }),
    });
    expect(confirmed.status).toBe(200);
    const { recoveryCodes } = (await confirmed.json()) as { recoveryCodes: string[] };
    expect(recoveryCodes).toHaveLength(10);
    // The session that enrolled stays.
    expect((await me.get('/api/v1/auth/session')).status).toBe(200);

    const login = (otp?: string) =>
      h.anonymous.post('/api/v1/auth/login', { username: 'pacs.admin', password: TEST_PASSWORD, otp });
    const first = await login();
    expect(first.status).toBe(401);
    expect(await first.json()).toMatchObject({ code: 'mfa_required' });
    expect(first.headers.get('set-cookie')).toBeNull();
    expect((await login('000000')).status).toBe(401);
    const second = await login(app(secret).generate({ timestamp: now + 30_000 }));
    expect(second.status).toBe(200);
    expect(second.headers.get('set-cookie')).toMatch(/^vigil_session=/);

    const users = (await (await h.as('admin').get('/api/v1/users')).json()) as {
      username: string;
      mfaEnabled: boolean;
    }[];
    expect(users.find((u) => u.username === 'pacs.admin')?.mfaEnabled).toBe(true);
    expect((await h.as('security-officer').post('/api/v1/users/pacs.admin/mfa/reset')).status).toBe(403);
    expect((await h.as('admin').post('/api/v1/users/pacs.admin/mfa/reset')).status).toBe(204);
    expect((await me.get('/api/v1/auth/session')).status).toBe(401); // the reset ended its sessions
    expect((await login()).status).toBe(200);
  });
});

describe.each(DIALECTS)('requireMfa over the API on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect, { requireMfa: 'true' });
  });
  afterAll(async () => h?.close());

  it('keeps a user without a second factor to enrolling one, then lets them work', async () => {
    const me = await h.login('test-security-officer', TEST_PASSWORD);
    const session = (await (await me.get('/api/v1/auth/session')).json()) as {
      actor: { mfaEnrolmentRequired: boolean };
    };
    expect(session.actor.mfaEnrolmentRequired).toBe(true);
    const refused = await me.get('/api/v1/devices');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'mfa_enrolment_required' });
    expect(((await (await me.get('/api/v1/auth/mfa')).json()) as { required: boolean }).required).toBe(true);

    const { secret } = (await (
      await me.post('/api/v1/auth/mfa/totp', { currentPassword: TEST_PASSWORD })
    ).json()) as { secret: string };
    const confirmed = await me.post('/api/v1/auth/mfa/totp/confirm', { code: app(secret).generate() });
    expect(confirmed.status).toBe(200);
    expect((await me.get('/api/v1/devices')).status).toBe(200);
  });
});
