/**
 * Sign-in attempts sent at the same time, against the real store on both dialects: parallel wrong
 * passwords must each count towards the account's lockout and the address's throttle (counting them
 * from the row as read, after argon2, let 40 parallel guesses through with failed_logins ending at 1),
 * and one TOTP code or one recovery code must open one session however many requests carry it.
 * Outcomes are counted, never timed.
 */
import { Secret, TOTP } from 'otpauth';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor, TEST_PASSWORD } from '../../test/factories.js';
import { listAudit } from '../audit/audit-log.js';
import type { VigilError } from '../errors.js';
import { findUserByName } from '../store/account-store.js';
import type { VigilDatabase } from '../store/database.js';
import { LoginThrottle } from './login-throttle.js';
import { confirmTotp, mfaStatus, renewRecoveryCodes, startTotpEnrolment } from './mfa.js';
import { login, resolveSession } from './sessions.js';
import { changeOwnPassword, createUser } from './users.js';

const config = { sessionHours: 12, sessionIdleMinutes: 30, loginMaxFailures: 5, lockoutMinutes: 15 };
/** More parallel attempts than the lockout allows (argon2 is slow: kept small). */
const N = 12;

/**
 * Why the second of two requests with one code is refused: the first claimed it meanwhile (the usual
 * case: both read the account before either's argon2 check ends), or had already when it was read.
 */
const LOSING_REASONS = ['second factor already used', 'wrong second factor'];

/** Settles every promise; the codes of the rejections and how many resolved. */
async function outcomes(attempts: Promise<unknown>[]): Promise<{ ok: number; codes: string[] }> {
  const settled = await Promise.allSettled(attempts);
  return {
    ok: settled.filter((s) => s.status === 'fulfilled').length,
    codes: settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as VigilError).code] : [])).sort(),
  };
}

describe.each(DIALECTS)('sign-in races on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  async function withUser(username = 'so.jones') {
    vdb = await freshDatabase(dialect);
    await createUser(vdb, cliActor, { username, role: 'security-officer', password: TEST_PASSWORD });
  }

  it('parallel wrong passwords lock the account and fill the address throttle', async () => {
    await withUser();
    const throttle = new LoginThrottle(8, 60_000);
    const guesses = Array.from({ length: N }, (_, i) =>
      login(vdb, config, throttle, { username: 'so.jones', password: `guess number ${i}`, ip: '10.9.9.9' }),
    );
    const { ok, codes } = await outcomes(guesses);
    expect(ok).toBe(0);
    // Eight reached the password check; the rest were turned away before it, as the throttle was full.
    expect(codes).toEqual([
      ...Array<string>(8).fill('authentication_required'),
      ...Array<string>(N - 8).fill('rate_limited'),
    ]);
    expect((await findUserByName(vdb, 'so.jones'))!.locked_until).not.toBeNull();
    // Locked: the right password from another address is refused too.
    await expect(
      login(vdb, config, new LoginThrottle(), {
        username: 'so.jones',
        password: TEST_PASSWORD,
        ip: '10.1.1.1',
      }),
    ).rejects.toMatchObject({ code: 'authentication_required' });

    // One audit entry per failure; the fifth wrong password locked it, the later ones found it locked.
    const reasons = (await listAudit(vdb, { action: 'auth.login' })).map((e) => e.summary['reason']);
    expect(reasons.slice(1).sort()).toEqual([
      ...Array<string>(3).fill('account locked'),
      ...Array<string>(4).fill('wrong password'),
      'wrong password; account locked',
    ]);
    expect(reasons[0]).toBe('account locked');
  });

  /** Enrols a TOTP authenticator for so.jones; the user's app and recovery codes. */
  async function withSecondFactor() {
    await withUser();
    const s = await login(vdb, config, new LoginThrottle(), {
      username: 'so.jones',
      password: TEST_PASSWORD,
    });
    const me = (await resolveSession(vdb, config, s.sessionSecret))!;
    const { secret } = await startTotpEnrolment(vdb, me.actor, { currentPassword: TEST_PASSWORD }, config);
    const app = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
    const now = Date.now();
    const { recoveryCodes } = await confirmTotp(vdb, me.actor, {
      code: app.generate({ timestamp: now }),
      keepSessionId: me.sessionId,
    });
    // The confirming code's step is used; the next step's code is fresh.
    return { me, recoveryCodes, nextCode: app.generate({ timestamp: now + 30_000 }) };
  }

  const twice = (otp: string) =>
    Array.from({ length: 2 }, () =>
      login(vdb, config, new LoginThrottle(), { username: 'so.jones', password: TEST_PASSWORD, otp }),
    );

  it('one TOTP code sent by two parallel sign-ins opens one session', async () => {
    const { nextCode } = await withSecondFactor();
    expect(await outcomes(twice(nextCode))).toEqual({ ok: 1, codes: ['authentication_required'] });
    const [failure, success] = await listAudit(vdb, { action: 'auth.login' });
    expect(success).toMatchObject({ outcome: 'success', summary: { secondFactor: 'totp' } });
    expect(failure).toMatchObject({ outcome: 'failure' });
    expect(LOSING_REASONS).toContain(failure!.summary['reason']);
  });

  it('one recovery code sent by two parallel sign-ins opens one session', async () => {
    const { me, recoveryCodes } = await withSecondFactor();
    expect(await outcomes(twice(recoveryCodes[0]!))).toEqual({ ok: 1, codes: ['authentication_required'] });
    expect((await mfaStatus(vdb, me.actor)).recoveryCodesLeft).toBe(9);
    const [failure, success] = await listAudit(vdb, { action: 'auth.login' });
    expect(success).toMatchObject({ summary: { secondFactor: 'recovery-code', recoveryCodesLeft: 9 } });
    expect(failure).toMatchObject({ outcome: 'failure' });
    expect(LOSING_REASONS).toContain(failure!.summary['reason']);
  });

  it('two different recovery codes in parallel both sign in, and both are used', async () => {
    const { me, recoveryCodes } = await withSecondFactor();
    const both = [recoveryCodes[1]!, recoveryCodes[2]!].map((otp) =>
      login(vdb, config, new LoginThrottle(), { username: 'so.jones', password: TEST_PASSWORD, otp }),
    );
    expect(await outcomes(both)).toEqual({ ok: 2, codes: [] });
    expect((await mfaStatus(vdb, me.actor)).recoveryCodesLeft).toBe(8);
  });

  it('one recovery code renews the codes once, however many parallel requests carry it', async () => {
    const { me, recoveryCodes } = await withSecondFactor();
    const renew = () =>
      renewRecoveryCodes(vdb, me.actor, { currentPassword: TEST_PASSWORD, code: recoveryCodes[0]! }, config);
    expect(await outcomes([renew(), renew()])).toEqual({ ok: 1, codes: ['invalid_input'] });
    const entries = await listAudit(vdb, { action: 'user.mfa-recovery-codes' });
    expect(entries.map((e) => e.outcome).sort()).toEqual(['failure', 'success']);
    expect(LOSING_REASONS).toContain(entries.find((e) => e.outcome === 'failure')!.summary['reason']);
  });

  it('parallel wrong current passwords lock the account and end its sessions', async () => {
    await withUser();
    const s = await login(vdb, config, new LoginThrottle(), {
      username: 'so.jones',
      password: TEST_PASSWORD,
    });
    const me = (await resolveSession(vdb, config, s.sessionSecret))!;
    const guesses = Array.from({ length: 8 }, (_, i) =>
      changeOwnPassword(
        vdb,
        me.actor,
        { currentPassword: `guess number ${i}`, newPassword: 'a brand new passphrase 2026' },
        config,
      ),
    );
    expect(await outcomes(guesses)).toEqual({ ok: 0, codes: Array<string>(8).fill('invalid_input') });
    expect((await findUserByName(vdb, 'so.jones'))!.locked_until).not.toBeNull();
    expect(await resolveSession(vdb, config, s.sessionSecret)).toBeUndefined();
    const reasons = (await listAudit(vdb, { action: 'user.change-password' })).map(
      (e) => e.summary['reason'],
    );
    expect(reasons.sort()).toEqual([
      ...Array<string>(4).fill('wrong current password'),
      ...Array<string>(3).fill('wrong current password; account already locked'),
      'wrong current password; account locked',
    ]);
  });
});
