/**
 * The second factor: the RFC 6238 Appendix B test vectors (SHA-1, seed "12345678901234567890", the
 * 8-digit values truncated to 6 digits as RFC 4226 §5.3 does), the window and replay rules, and on both
 * dialects the whole life of an account's factor: enrolment (password again, a first code), login with
 * a code, a replayed code and a recovery code, the sealed secret at rest, renewing codes, turning it off,
 * an admin's reset, lockout from guessed codes, and `requireMfa`.
 */
import { Secret, TOTP } from 'otpauth';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor, TEST_PASSWORD } from '../../test/factories.js';
import { listAudit } from '../audit/audit-log.js';
import { isSealed } from '../secrets/secret-box.js';
import { findUserByName } from '../store/account-store.js';
import type { VigilDatabase } from '../store/database.js';
import { LoginThrottle } from './login-throttle.js';
import {
  acceptedTotpStep,
  confirmTotp,
  disableOwnMfa,
  mfaStatus,
  renewRecoveryCodes,
  resetMfa,
  startTotpEnrolment,
} from './mfa.js';
import { login, resolveSession } from './sessions.js';
import { createUser } from './users.js';

const RFC_SEED = Secret.fromLatin1('12345678901234567890').base32;

describe('TOTP codes (RFC 6238)', () => {
  // RFC 6238 Appendix B, SHA-1 column: time (s) → 8-digit TOTP.
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];

  it.each(vectors)('accepts at %i s the code %s (its last six digits)', (seconds, code) => {
    const step = Math.floor(seconds / 30);
    expect(acceptedTotpStep(RFC_SEED, code.slice(2), null, seconds * 1000)).toBe(step);
    // Typed with a space in the middle, as apps show it.
    expect(acceptedTotpStep(RFC_SEED, `${code.slice(2, 5)} ${code.slice(5)}`, null, seconds * 1000)).toBe(
      step,
    );
  });

  it('accepts one step either side of now, not two, and each step once', () => {
    const t = 1111111109 * 1000; // step 37037036
    expect(acceptedTotpStep(RFC_SEED, '081804', null, t + 30_000)).toBe(37037036); // one step late
    expect(acceptedTotpStep(RFC_SEED, '081804', null, t - 30_000)).toBe(37037036); // one step early
    expect(acceptedTotpStep(RFC_SEED, '081804', null, t + 60_000)).toBeNull();
    expect(acceptedTotpStep(RFC_SEED, '081804', 37037036, t)).toBeNull(); // replayed
    expect(acceptedTotpStep(RFC_SEED, '081804', 37037035, t)).toBe(37037036);
    expect(acceptedTotpStep(RFC_SEED, '81804', null, t)).toBeNull();
    expect(acceptedTotpStep(RFC_SEED, 'abcdef', null, t)).toBeNull();
  });
});

const config = { sessionHours: 12, sessionIdleMinutes: 30, loginMaxFailures: 3, lockoutMinutes: 15 };

describe.each(DIALECTS)('second factor on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  async function signedIn(username = 'so.jones') {
    vdb = await freshDatabase(dialect);
    await createUser(vdb, cliActor, { username, role: 'security-officer', password: TEST_PASSWORD });
    const s = await login(vdb, config, new LoginThrottle(), { username, password: TEST_PASSWORD });
    return { ...(await resolveSession(vdb, config, s.sessionSecret))!, secret: s.sessionSecret };
  }

  /** The user's authenticator app: the same secret, codes computed by otpauth itself. */
  const app = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
  const signIn = (otp?: string) =>
    login(vdb, config, new LoginThrottle(), { username: 'so.jones', password: TEST_PASSWORD, otp });

  it('enrols with the password and a first code, then every login needs a code; codes work once', async () => {
    const me = await signedIn();
    await expect(
      startTotpEnrolment(vdb, me.actor, { currentPassword: 'wrong password here' }, config),
    ).rejects.toMatchObject({ code: 'invalid_input', issues: [{ field: 'currentPassword' }] });
    const { secret, otpauthUri } = await startTotpEnrolment(
      vdb,
      me.actor,
      { currentPassword: TEST_PASSWORD },
      config,
    );
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Vigil:so\.jones\?/);
    expect(otpauthUri).toContain(`secret=${secret}`);
    expect(await mfaStatus(vdb, me.actor)).toMatchObject({ enabled: false, pending: true });
    // Not on until confirmed: the password alone still signs in.
    await expect(signIn()).resolves.toBeDefined();

    // At rest the secret is sealed, never in the clear.
    const row = (await findUserByName(vdb, 'so.jones'))!;
    expect(row.totp_secret).not.toContain(secret);
    expect(isSealed(row.totp_secret!)).toBe(true);

    await expect(confirmTotp(vdb, me.actor, { code: '000000' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    const now = Date.now();
    const { recoveryCodes } = await confirmTotp(vdb, me.actor, {
      code: app(secret).generate({ timestamp: now }),
      keepSessionId: me.sessionId,
    });
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const c of recoveryCodes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    expect(await mfaStatus(vdb, me.actor)).toMatchObject({
      enabled: true,
      pending: false,
      recoveryCodesLeft: 10,
    });
    const stored = (await findUserByName(vdb, 'so.jones'))!.mfa_recovery!;
    for (const c of recoveryCodes) expect(stored).not.toContain(c.replace('-', ''));

    await expect(signIn()).rejects.toMatchObject({ code: 'mfa_required' });
    await expect(signIn('123456')).rejects.toMatchObject({ code: 'authentication_required' });
    // The confirming code's step is used; the next step's code is fresh.
    const next = app(secret).generate({ timestamp: now + 30_000 });
    await expect(signIn(next)).resolves.toBeDefined();
    await expect(signIn(next)).rejects.toMatchObject({ code: 'authentication_required' }); // replayed
    // A recovery code, typed in capitals without its dash, works once.
    await expect(signIn(recoveryCodes[3]!.replace('-', '').toUpperCase())).resolves.toBeDefined();
    await expect(signIn(recoveryCodes[3])).rejects.toMatchObject({ code: 'authentication_required' });
    expect((await mfaStatus(vdb, me.actor)).recoveryCodesLeft).toBe(9);

    const logins = await listAudit(vdb, { action: 'auth.login' });
    expect(
      logins.slice(0, 5).map((e) => [e.outcome, e.summary['reason'] ?? e.summary['secondFactor']]),
    ).toEqual([
      ['failure', 'wrong second factor'],
      ['success', 'recovery-code'],
      ['failure', 'wrong second factor'],
      ['success', 'totp'],
      ['failure', 'wrong second factor'],
    ]);
    const enable = (await listAudit(vdb, { action: 'user.mfa-enable' }))[0]!;
    expect(enable.summary).toMatchObject({ method: 'totp', recoveryCodes: 10 });
    expect(JSON.stringify(await listAudit(vdb, {}))).not.toContain(secret);
  });

  it('renews recovery codes and turns the factor off only with the password and a current code', async () => {
    const me = await signedIn();
    const { secret } = await startTotpEnrolment(vdb, me.actor, { currentPassword: TEST_PASSWORD }, config);
    const now = Date.now();
    const first = await confirmTotp(vdb, me.actor, { code: app(secret).generate({ timestamp: now }) });

    const renewed = await renewRecoveryCodes(
      vdb,
      me.actor,
      { currentPassword: TEST_PASSWORD, code: first.recoveryCodes[0]! },
      config,
    );
    expect(renewed.recoveryCodes.some((c) => first.recoveryCodes.includes(c))).toBe(false);
    expect((await mfaStatus(vdb, me.actor)).recoveryCodesLeft).toBe(10);
    // The old codes are gone.
    await expect(signIn(first.recoveryCodes[1])).rejects.toMatchObject({ code: 'authentication_required' });

    await expect(
      disableOwnMfa(vdb, me.actor, { currentPassword: TEST_PASSWORD, code: '999999' }, config),
    ).rejects.toMatchObject({ issues: [{ field: 'code' }] });
    await disableOwnMfa(
      vdb,
      me.actor,
      { currentPassword: TEST_PASSWORD, code: renewed.recoveryCodes[0]! },
      config,
    );
    expect(await mfaStatus(vdb, me.actor)).toMatchObject({
      enabled: false,
      pending: false,
      recoveryCodesLeft: 0,
    });
    await expect(signIn()).resolves.toBeDefined();
    expect((await listAudit(vdb, { action: 'user.mfa-disable' })).map((e) => e.outcome)).toEqual([
      'success',
      'failure',
    ]);
  });

  it('locks the account after guessed codes, and an admin reset lets the user in with the password', async () => {
    const me = await signedIn();
    const { secret } = await startTotpEnrolment(vdb, me.actor, { currentPassword: TEST_PASSWORD }, config);
    await confirmTotp(vdb, me.actor, { code: app(secret).generate() });
    for (const guess of ['111111', '222222', '333333'])
      await expect(
        disableOwnMfa(vdb, me.actor, { currentPassword: TEST_PASSWORD, code: guess }, config),
      ).rejects.toMatchObject({ code: 'invalid_input' });
    // Locked: the session ended, and the right code does not sign in either.
    expect(await resolveSession(vdb, config, me.secret)).toBeUndefined();
    expect((await findUserByName(vdb, 'so.jones'))!.locked_until).not.toBeNull();

    await resetMfa(vdb, cliActor, 'so.jones');
    const row = (await findUserByName(vdb, 'so.jones'))!;
    expect([row.totp_secret, row.totp_enabled_at, row.mfa_recovery]).toEqual([null, null, null]);
    expect((await listAudit(vdb, { action: 'user.mfa-reset' }))[0]!.summary).toMatchObject({
      username: 'so.jones',
      hadSecondFactor: true,
    });
    await expect(resetMfa(vdb, cliActor, 'nobody.here')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('with requireMfa, a user without a factor is marked as having to enrol one', async () => {
    const me = await signedIn();
    const s = await login(vdb, config, new LoginThrottle(), {
      username: 'so.jones',
      password: TEST_PASSWORD,
    });
    const required = { ...config, requireMfa: true };
    expect((await resolveSession(vdb, required, s.sessionSecret))?.actor.mfaEnrolmentRequired).toBe(true);
    expect((await resolveSession(vdb, config, s.sessionSecret))?.actor.mfaEnrolmentRequired).toBeUndefined();
    const { secret } = await startTotpEnrolment(vdb, me.actor, { currentPassword: TEST_PASSWORD }, config);
    await confirmTotp(vdb, me.actor, { code: app(secret).generate(), keepSessionId: me.sessionId });
    const after = await resolveSession(
      vdb,
      required,
      (await signIn(app(secret).generate({ timestamp: Date.now() + 30_000 }))).sessionSecret,
    );
    expect(after?.actor.mfaEnrolmentRequired).toBeUndefined();
  });
});
