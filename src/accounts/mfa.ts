/**
 * @module A second factor for Vigil's own accounts: a TOTP authenticator app (RFC 6238: HMAC-SHA-1,
 * 6 digits, 30-second steps, what Google Authenticator, Microsoft Authenticator, FreeOTP and hardware
 * TOTP tokens all speak; `otpauth` computes the codes) and ten one-time recovery codes for a lost phone.
 *
 * Enrolment is two steps, so an account is never locked behind an authenticator that was not set up:
 * `startTotpEnrolment` (current password again) keeps a new secret, sealed with the key outside the
 * database, and returns it with its `otpauth://` URI for a QR code; `confirmTotp` with a first code
 * turns the factor on and returns the recovery codes, shown once and stored only as SHA-256 hashes.
 * A code is accepted once (the last accepted time step is kept) and one step either side of now, for
 * clocks that drift. An admin resets a lost factor (`resetMfa`, `users:write`). Every change is audited
 * and ends the account's other sessions.
 */
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { appendAudit } from '../audit/audit-log.js';
import { conflict, invalidInput } from '../errors.js';
import { openSecret, sealSecret } from '../secrets/secret-box.js';
import { secretKeyring } from '../secrets/secret-key.js';
import * as store from '../store/account-store.js';
import { nowIso } from '../store/ids.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { type Actor, assertAllSites, assertCan } from './actor.js';
import {
  assertCurrentPassword,
  type Lockout,
  ownAccount,
  recordCredentialFailure,
} from './reauthenticate.js';
import { hashSecret } from './secrets.js';
import { ACCOUNTS, requireUser } from './users.js';

export const TOTP_ISSUER = 'Vigil';
const PERIOD = 30;
const DIGITS = 6;
/** Steps either side of now a code may come from (RFC 6238 §5.2 recommends at most one). */
const WINDOW = 1;
const RECOVERY_CODES = 10;

interface RecoveryCode {
  hash: string;
  usedAt: string | null;
}

const associated = (userId: string) => `users.totp_secret:${userId}`;

function totp(secretBase32: string, username: string): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label: username,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD,
    secret: Secret.fromBase32(secretBase32),
  });
}

function openTotpSecret(row: store.UserRow): string {
  return openSecret(secretKeyring().openingKeys(), row.totp_secret!, associated(row.id));
}

/**
 * The time step a TOTP code belongs to if it is valid now and newer than the last one accepted, else
 * null. `now` in ms, for tests.
 */
export function acceptedTotpStep(
  secretBase32: string,
  code: string,
  lastStep: number | null,
  now = Date.now(),
): number | null {
  const digits = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(digits)) return null;
  const delta = totp(secretBase32, '-').validate({ token: digits, timestamp: now, window: WINDOW });
  if (delta === null) return null;
  const step = Math.floor(now / 1000 / PERIOD) + delta;
  // A code already used (or an older one) is refused: someone who saw it over a shoulder cannot replay it.
  return lastStep !== null && step <= lastStep ? null : step;
}

/** Recovery codes are 10 characters of base32 in two groups, e.g. `k7q2m-xw4pd`; spaces, dashes and case are ignored. */
function normaliseRecoveryCode(code: string): string {
  return code.replace(/[\s-]+/g, '').toLowerCase();
}

function newRecoveryCodes(): { codes: string[]; stored: RecoveryCode[] } {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789'; // 32 symbols, no 0/o/1/l
  const codes = Array.from({ length: RECOVERY_CODES }, () => {
    const bytes = randomBytes(10);
    const text = [...bytes].map((b) => alphabet[b & 31]).join('');
    return `${text.slice(0, 5)}-${text.slice(5)}`;
  });
  return { codes, stored: codes.map((c) => ({ hash: hashSecret(normaliseRecoveryCode(c)), usedAt: null })) };
}

function recoveryCodesOf(row: store.UserRow): RecoveryCode[] {
  return row.mfa_recovery ? (JSON.parse(row.mfa_recovery) as RecoveryCode[]) : [];
}

/** A second factor that matched the account as read: what `claimSecondFactor` then marks used. */
export type SecondFactor = { method: 'totp'; step: number } | { method: 'recovery-code'; hash: string };

/**
 * Checks a second factor given at login (or to confirm a change) against the account as read: a current
 * TOTP code or an unused recovery code. Writes nothing: the caller claims it (`claimSecondFactor`) in
 * the transaction that acts on it. Null when it does not match.
 */
export function checkSecondFactor(row: store.UserRow, code: string, now = Date.now()): SecondFactor | null {
  if (!row.totp_enabled_at || !row.totp_secret) return null;
  const step = acceptedTotpStep(openTotpSecret(row), code, row.totp_last_step, now);
  if (step !== null) return { method: 'totp', step };
  const hash = hashSecret(normaliseRecoveryCode(code));
  if (!recoveryCodesOf(row).some((c) => c.usedAt === null && c.hash === hash)) return null;
  return { method: 'recovery-code', hash };
}

/**
 * Marks a checked second factor used, inside the transaction that acts on it, with a conditional
 * update: of requests running at the same time with one TOTP code or one recovery code, only one gets
 * it (checking and writing later let two parallel logins both use it). Null when it was used meanwhile;
 * the caller treats that as a wrong factor and rolls back. For a recovery code, how many are left.
 */
export async function claimSecondFactor(
  tx: DbHandle,
  userId: string,
  factor: SecondFactor,
  now = Date.now(),
): Promise<{ recoveryCodesLeft?: number } | null> {
  if (factor.method === 'totp') return (await store.claimTotpStep(tx, userId, factor.step)) ? {} : null;
  // The codes are one JSON column: compare-and-set it, reading again when another request changed it
  // (used another code) meanwhile. Each retry follows a change that committed; ten in a row would
  // take ten parallel uses of this account's codes, and is refused rather than looping on.
  for (let attempt = 0; attempt < 10; attempt++) {
    const row = await store.findUserById(tx, userId);
    if (!row?.mfa_recovery) return null;
    const codes = recoveryCodesOf(row);
    const match = codes.find((c) => c.usedAt === null && c.hash === factor.hash);
    if (!match) return null;
    match.usedAt = new Date(now).toISOString();
    if (await store.replaceRecoveryCodes(tx, userId, row.mfa_recovery, JSON.stringify(codes)))
      return { recoveryCodesLeft: codes.filter((c) => c.usedAt === null).length };
  }
  return null;
}

export interface MfaStatus {
  enabled: boolean;
  enabledAt: string | null;
  /** An enrolment was started and not yet confirmed. */
  pending: boolean;
  recoveryCodesLeft: number;
}

export async function mfaStatus(h: DbHandle, actor: Actor): Promise<MfaStatus> {
  const row = await ownAccount(h, actor);
  return {
    enabled: row.totp_enabled_at !== null,
    enabledAt: row.totp_enabled_at,
    pending: row.totp_enabled_at === null && row.totp_secret !== null,
    recoveryCodesLeft: recoveryCodesOf(row).filter((c) => c.usedAt === null).length,
  };
}

/** Step one: a new TOTP secret for the signed-in user, kept sealed until a first code confirms it. */
export async function startTotpEnrolment(
  h: DbHandle,
  actor: Actor,
  input: { currentPassword: string },
  lockout: Lockout,
): Promise<{ secret: string; otpauthUri: string }> {
  const row = await ownAccount(h, actor);
  await assertCurrentPassword(h, actor, row, input.currentPassword, 'user.mfa-enrol', lockout);
  if (row.totp_enabled_at)
    throw conflict('A second factor is already on for this account; turn it off first to enrol another');
  const secret = new Secret({ size: 20 }).base32;
  await transaction(h, async (tx) => {
    await store.updateUser(tx, row.id, {
      totp_secret: sealSecret(secretKeyring().current().key, secret, associated(row.id)),
      totp_last_step: null,
      updated_at: nowIso(),
    });
    await appendAudit(tx, {
      actor,
      action: 'user.mfa-enrol',
      target: { type: 'user', id: row.id },
      summary: { username: row.username, step: 'authenticator secret issued' },
    });
  });
  return { secret, otpauthUri: totp(secret, row.username).toString() };
}

/** Step two: the first code from the authenticator turns the factor on; returns the recovery codes, once. */
export async function confirmTotp(
  h: DbHandle,
  actor: Actor,
  input: { code: string; keepSessionId?: string | undefined },
): Promise<{ recoveryCodes: string[] }> {
  const row = await ownAccount(h, actor);
  if (row.totp_enabled_at) throw conflict('A second factor is already on for this account');
  if (!row.totp_secret) throw conflict('No enrolment in progress: start one first');
  const step = acceptedTotpStep(openTotpSecret(row), input.code, null);
  if (step === null)
    throw invalidInput("The code does not match: check the authenticator's entry and the phone's clock", [
      { field: 'code', reason: 'not the current code of the new authenticator' },
    ]);
  const { codes, stored } = newRecoveryCodes();
  await transaction(h, async (tx) => {
    const now = nowIso();
    await store.updateUser(tx, row.id, {
      totp_enabled_at: now,
      totp_last_step: step,
      mfa_recovery: JSON.stringify(stored),
      updated_at: now,
    });
    const ended = await store.deleteSessionsOfUser(tx, row.id, input.keepSessionId);
    await appendAudit(tx, {
      actor,
      action: 'user.mfa-enable',
      target: { type: 'user', id: row.id },
      summary: {
        username: row.username,
        method: 'totp',
        recoveryCodes: codes.length,
        otherSessionsEnded: ended,
      },
    });
  });
  return { recoveryCodes: codes };
}

/**
 * Asks for the password and a current second factor, for turning it off or renewing the recovery codes;
 * then runs `change` in the transaction that claims the factor, so one code makes one change. A factor
 * used meanwhile (by a request running at the same time) is a wrong one.
 */
async function withReauthentication<T>(
  h: DbHandle,
  actor: Actor,
  input: { currentPassword: string; code: string },
  action: string,
  lockout: Lockout,
  change: (tx: DbHandle, row: store.UserRow) => Promise<T>,
): Promise<T> {
  const row = await ownAccount(h, actor);
  await assertCurrentPassword(h, actor, row, input.currentPassword, action, lockout);
  if (!row.totp_enabled_at) throw conflict('No second factor is on for this account');
  const wrongCode = async (reason: string) => {
    await recordCredentialFailure(h, actor, row, action, reason, lockout);
    return invalidInput(
      'The code is wrong: give the current code of the authenticator or an unused recovery code',
      [{ field: 'code', reason: 'not a current code or unused recovery code' }],
    );
  };
  const second = checkSecondFactor(row, input.code);
  if (!second) throw await wrongCode('wrong second factor');
  const done = await transaction(h, async (tx) => {
    if (!(await claimSecondFactor(tx, row.id, second))) return null;
    return { value: await change(tx, row) };
  });
  if (!done) throw await wrongCode('second factor already used');
  return done.value;
}

export async function disableOwnMfa(
  h: DbHandle,
  actor: Actor,
  input: { currentPassword: string; code: string },
  lockout: Lockout,
): Promise<void> {
  await withReauthentication(h, actor, input, 'user.mfa-disable', lockout, async (tx, row) => {
    await store.updateUser(tx, row.id, { ...MFA_OFF, updated_at: nowIso() });
    await appendAudit(tx, {
      actor,
      action: 'user.mfa-disable',
      target: { type: 'user', id: row.id },
      summary: { username: row.username },
    });
  });
}

/** New recovery codes replace all the old ones (used or not). */
export async function renewRecoveryCodes(
  h: DbHandle,
  actor: Actor,
  input: { currentPassword: string; code: string },
  lockout: Lockout,
): Promise<{ recoveryCodes: string[] }> {
  const { codes, stored } = newRecoveryCodes();
  await withReauthentication(h, actor, input, 'user.mfa-recovery-codes', lockout, async (tx, row) => {
    await store.updateUser(tx, row.id, { mfa_recovery: JSON.stringify(stored), updated_at: nowIso() });
    await appendAudit(tx, {
      actor,
      action: 'user.mfa-recovery-codes',
      target: { type: 'user', id: row.id },
      summary: { username: row.username, recoveryCodes: codes.length },
    });
  });
  return { recoveryCodes: codes };
}

const MFA_OFF = { totp_secret: null, totp_enabled_at: null, totp_last_step: null, mfa_recovery: null };

/**
 * An admin removes a user's second factor (a lost phone with no recovery code left): the user signs in
 * with the password alone and enrols again. Ends the user's sessions.
 */
export async function resetMfa(h: DbHandle, actor: Actor, username: string): Promise<void> {
  assertCan(actor, 'users:write');
  assertAllSites(actor, ACCOUNTS);
  await transaction(h, async (tx) => {
    const row = await requireUser(tx, username);
    const had = row.totp_enabled_at !== null || row.totp_secret !== null;
    await store.updateUser(tx, row.id, { ...MFA_OFF, updated_at: nowIso() });
    const ended = await store.deleteSessionsOfUser(tx, row.id);
    await appendAudit(tx, {
      actor,
      action: 'user.mfa-reset',
      target: { type: 'user', id: row.id },
      summary: { username: row.username, hadSecondFactor: had, sessionsEnded: ended },
    });
  });
}
