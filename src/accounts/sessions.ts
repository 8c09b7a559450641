/**
 * @module Logging in and out, and turning a session cookie back into an Actor. Sessions expire after an
 * absolute lifetime and after idle time; an account locks after repeated failures. Every login, success
 * or failure, is in the audit log.
 */

import { appendAudit } from '../audit/audit-log.js';
import type { Config } from '../config/config.js';
import { authenticationRequired, VigilError } from '../errors.js';
import * as store from '../store/account-store.js';
import { nowIso } from '../store/ids.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import type { Actor } from './actor.js';
import type { LoginThrottle } from './login-throttle.js';
import { checkSecondFactor, claimSecondFactor, type SecondFactor } from './mfa.js';
import { burnPasswordCheck, verifyPassword } from './passwords.js';
import { permissionsOf, type Role } from './permissions.js';
import { hashSecret, newSecret } from './secrets.js';
import { toUser, type User } from './users.js';

type SessionConfig = Pick<
  Config,
  'sessionHours' | 'sessionIdleMinutes' | 'loginMaxFailures' | 'lockoutMinutes'
> & { requireMfa?: boolean };

export interface LoginRequest {
  username: string;
  password: string;
  /** The second factor (a TOTP code or a recovery code), for an account that has one. */
  otp?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export interface LoginResult {
  /** The cookie value; only its hash is stored. */
  sessionSecret: string;
  csrfToken: string;
  expiresAt: string;
  user: User;
}

/** The audit actor of a failed sign-in: no one has proven who they are (not a valid user name). */
export const ANONYMOUS = '(anonymous)';

const FAILED = 'Invalid username or password, or the account is locked or disabled';

/** A sign-in refused inside its success transaction (which then rolls back), and why. */
class Refused extends Error {
  constructor(
    readonly reason: string,
    /** Whether it counts towards the lockout, as a wrong password or second factor does. */
    readonly counts: boolean,
  ) {
    super(reason);
  }
}

export async function login(
  h: DbHandle,
  config: SessionConfig,
  throttle: LoginThrottle,
  req: LoginRequest,
): Promise<LoginResult> {
  const address = req.ip ?? 'unknown';
  // Counted now, before the password is checked, so parallel attempts from one address see each other;
  // taken back unless the attempt fails (login-throttle.ts).
  const attempt = throttle.reserve(address);
  if ('retryAfter' in attempt) {
    throw new VigilError(
      'rate_limited',
      `Too many failed logins from this address; try again in ${attempt.retryAfter} s`,
      { retryAfter: attempt.retryAfter },
    );
  }
  let failed = false;
  try {
    return await signIn(h, config, req, () => {
      failed = true;
    });
  } finally {
    if (!failed) attempt.release();
  }
}

async function signIn(
  h: DbHandle,
  config: SessionConfig,
  req: LoginRequest,
  markFailed: () => void,
): Promise<LoginResult> {
  const row = await store.findUserByName(h, req.username);
  const now = new Date();
  const nowS = now.toISOString();

  /** Audits a failure; `counts`: a wrong password or second factor, counted towards the lockout. */
  const fail = async (reason: string, counts = false): Promise<never> => {
    markFailed();
    await transaction(h, async (tx) => {
      let lockedUntil: string | undefined;
      if (row && counts) {
        // Counted in SQL, not from `row` as read: parallel wrong passwords each add one (countFailedLogin).
        const count = await store.countFailedLogin(tx, row.id, {
          maxFailures: config.loginMaxFailures,
          lockUntil: new Date(now.getTime() + config.lockoutMinutes * 60_000).toISOString(),
          now: nowS,
        });
        if (count.outcome === 'locked') {
          lockedUntil = count.lockedUntil;
          reason = `${reason}; account locked`;
        } else if (count.outcome === 'already-locked') {
          // Locked by a failure running at the same time: this one is refused as any on a locked account.
          reason = 'account locked';
        }
      }
      // Nobody is authenticated yet: the typed name is not an actor (it could be forged text, e.g.
      // "cli:root" or a newline). A real account is named by its stored name and id; an unknown name is
      // not kept at all, as it is often a password typed into the wrong field.
      await appendAudit(tx, {
        actor: { kind: 'user', name: ANONYMOUS, ip: req.ip },
        action: 'auth.login',
        outcome: 'failure',
        target: { type: 'user', id: row?.id },
        summary: {
          reason,
          ...(row ? { username: row.username } : {}),
          ...(lockedUntil ? { lockedUntil } : {}),
        },
      });
    });
    throw authenticationRequired(FAILED);
  };

  if (!row) {
    await burnPasswordCheck(req.password);
    return fail('unknown user');
  }
  if (row.disabled === 1) {
    await burnPasswordCheck(req.password);
    return fail('account disabled');
  }
  if (row.locked_until && row.locked_until > nowS) {
    await burnPasswordCheck(req.password);
    return fail('account locked');
  }
  if (row.auth_source !== 'local') {
    // No password of its own (sso.ts); the same answer as a wrong password, so names are not revealed.
    await burnPasswordCheck(req.password);
    return fail('single sign-on account');
  }
  // A wrong password or second factor counts towards the lockout.
  if (!(await verifyPassword(row.password_hash, req.password))) return fail('wrong password', true);
  let secondFactor: SecondFactor | null = null;
  if (row.totp_enabled_at) {
    // Asked only once the password is right, as a second step of the same form.
    if (!req.otp?.trim())
      throw new VigilError(
        'mfa_required',
        'This account signs in with a second factor: enter the code from your authenticator app, or a recovery code',
      );
    secondFactor = checkSecondFactor(row, req.otp, now.getTime());
    if (!secondFactor) return fail('wrong second factor', true);
  }

  try {
    return await transaction(h, async (tx) => {
      // Both conditional, checked again here against what parallel requests did since `row` was read.
      const claimed = secondFactor ? await claimSecondFactor(tx, row.id, secondFactor, now.getTime()) : {};
      if (!claimed) throw new Refused('second factor already used', true);
      if (!(await store.recordSignIn(tx, row.id, nowS)))
        throw new Refused('account locked or disabled', false);
      const session = await openSession(tx, config, row.id, { ...req, now });
      await appendAudit(tx, {
        actor: { kind: 'user', name: row.username, ip: req.ip },
        action: 'auth.login',
        target: { type: 'user', id: row.id },
        ...(secondFactor
          ? {
              summary: {
                secondFactor: secondFactor.method,
                ...(claimed.recoveryCodesLeft !== undefined
                  ? { recoveryCodesLeft: claimed.recoveryCodesLeft }
                  : {}),
              },
            }
          : {}),
      });
      return { ...session, user: toUser({ ...row, last_login_at: nowS, locked_until: null }) };
    });
  } catch (e) {
    if (e instanceof Refused) return fail(e.reason, e.counts);
    throw e;
  }
}

/**
 * A new session for a user who has just proven who they are (a password and second factor here, or
 * the identity provider in sso.ts). Call inside the transaction that audits the sign-in.
 */
export async function openSession(
  tx: DbHandle,
  config: Pick<Config, 'sessionHours'>,
  userId: string,
  meta: {
    ip?: string | undefined;
    userAgent?: string | undefined;
    now: Date;
    /** The identity provider's session id, for its back-channel logout (sso.ts). */
    ssoSid?: string | undefined;
    /** The ID token of the sign-in, sealed, for signing out at the provider (sso.ts). */
    ssoIdToken?: string | undefined;
  },
): Promise<Omit<LoginResult, 'user'>> {
  const nowS = meta.now.toISOString();
  const sessionSecret = newSecret();
  const csrfToken = newSecret();
  const expiresAt = new Date(meta.now.getTime() + config.sessionHours * 3_600_000).toISOString();
  await store.deleteExpiredSessions(tx, nowS);
  await store.insertSession(tx, {
    id: hashSecret(sessionSecret),
    user_id: userId,
    csrf_token: csrfToken,
    ip: meta.ip ?? null,
    user_agent: meta.userAgent?.slice(0, 256) ?? null,
    created_at: nowS,
    last_seen_at: nowS,
    expires_at: expiresAt,
    sso_sid: meta.ssoSid ?? null,
    sso_id_token: meta.ssoIdToken ?? null,
  });
  return { sessionSecret, csrfToken, expiresAt };
}

export interface ResolvedSession {
  actor: Actor;
  sessionId: string;
  csrfToken: string;
  user: User;
  expiresAt: string;
}

/** The session behind a cookie value, or undefined if it is unknown, expired, idle or its user disabled. */
export async function resolveSession(
  h: DbHandle,
  config: SessionConfig,
  sessionSecret: string,
  ip?: string,
): Promise<ResolvedSession | undefined> {
  const id = hashSecret(sessionSecret);
  const session = await store.findSession(h, id);
  if (!session) return undefined;
  const now = Date.now();
  const idleLimit = Date.parse(session.last_seen_at) + config.sessionIdleMinutes * 60_000;
  if (Date.parse(session.expires_at) <= now || idleLimit <= now) {
    await store.deleteSession(h, id);
    return undefined;
  }
  const user = await store.findUserById(h, session.user_id);
  if (!user || user.disabled === 1) return undefined;
  // requireMfa turned on after a single sign-on that was not multi-factor: sign in again (sso.ts).
  if (config.requireMfa && user.auth_source === 'oidc' && user.sso_mfa_at === null) return undefined;
  // Writing last_seen_at on every request would turn reads into writes; once a minute is enough.
  if (now - Date.parse(session.last_seen_at) > 60_000) await store.touchSession(h, id, nowIso());
  const role = user.role as Role;
  return {
    actor: {
      kind: 'user',
      id: user.id,
      name: user.username,
      role,
      permissions: permissionsOf(role),
      ...(ip ? { ip } : {}),
      signIn: user.auth_source === 'oidc' ? 'sso' : 'password',
      // A single sign-on account's second factor is the provider's, checked when it signed in (sso.ts).
      ...(config.requireMfa && user.auth_source === 'local' && user.totp_enabled_at === null
        ? { mfaEnrolmentRequired: true }
        : {}),
    },
    sessionId: id,
    csrfToken: session.csrf_token,
    user: toUser(user),
    expiresAt: session.expires_at,
  };
}

/**
 * Ends one session. Returns the sealed ID token of a single sign-on session (null for others), with
 * which the caller may send the browser to sign out at the identity provider too (sso.ts).
 */
export async function logout(
  h: DbHandle,
  actor: Actor,
  sessionId: string,
): Promise<{ ssoIdToken: string | null }> {
  return transaction(h, async (tx) => {
    const session = await store.findSession(tx, sessionId);
    await store.deleteSession(tx, sessionId);
    await appendAudit(tx, { actor, action: 'auth.logout', target: { type: 'user', id: actor.id } });
    return { ssoIdToken: session?.sso_id_token ?? null };
  });
}
