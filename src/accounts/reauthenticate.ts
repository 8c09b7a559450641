/**
 * @module Asking a signed-in user for their password again before a change to their own credentials
 * (a new password, a second factor), so that an unattended, signed-in browser cannot be used to take
 * the account over. A wrong password counts towards the account's lockout like a failed login, is
 * audited as a failure of the action it was for, and a lock ends the account's sessions.
 */
import { appendAudit } from '../audit/audit-log.js';
import type { Config } from '../config/config.js';
import { authenticationRequired, conflict, forbidden, invalidInput } from '../errors.js';
import * as store from '../store/account-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import type { Actor } from './actor.js';
import { verifyPassword } from './passwords.js';

export type Lockout = Pick<Config, 'loginMaxFailures' | 'lockoutMinutes'>;

/** The signed-in user's own row; API tokens, the CLI and Vigil itself have no credentials of their own. */
export async function ownAccount(h: DbHandle, actor: Actor): Promise<store.UserRow> {
  if (actor.kind !== 'user')
    throw forbidden('Only a signed-in user has credentials to change; API tokens and the CLI have none');
  const row = await store.findUserById(h, actor.id);
  if (!row || row.disabled === 1) throw authenticationRequired('The account no longer exists or is disabled');
  return row;
}

/** A single sign-on account has no password or second factor in Vigil: the identity provider keeps them. */
export function assertLocalAccount(row: store.UserRow): void {
  if (row.auth_source !== 'local')
    throw conflict(
      `"${row.username}" signs in through single sign-on: its password and second factor are kept by the identity provider, not by Vigil`,
    );
}

/** Resolves when `password` is the account's; otherwise records the failure and throws. */
export async function assertCurrentPassword(
  h: DbHandle,
  actor: Actor,
  row: store.UserRow,
  password: string,
  action: string,
  lockout: Lockout,
): Promise<void> {
  assertLocalAccount(row);
  if (await verifyPassword(row.password_hash, password)) return;
  await recordCredentialFailure(h, actor, row, action, 'wrong current password', lockout);
  throw invalidInput('The current password is wrong', [
    { field: 'currentPassword', reason: "does not match the account's password" },
  ]);
}

/**
 * A wrong password or second factor given by a signed-in user: counts towards the account's lockout
 * like a failed login (so codes cannot be guessed without limit), audited as a failure of `action`.
 */
export async function recordCredentialFailure(
  h: DbHandle,
  actor: Actor,
  row: store.UserRow,
  action: string,
  reason: string,
  lockout: Lockout,
): Promise<void> {
  const now = new Date();
  await transaction(h, async (tx) => {
    // Counted in SQL, not from `row` as read: parallel wrong passwords each add one (countFailedLogin).
    const count = await store.countFailedLogin(tx, row.id, {
      maxFailures: lockout.loginMaxFailures,
      lockUntil: new Date(now.getTime() + lockout.lockoutMinutes * 60_000).toISOString(),
      now: now.toISOString(),
    });
    const lock = count.outcome === 'locked';
    // A lock ends the sessions too: whoever is guessing at this browser is out.
    const ended = lock ? await store.deleteSessionsOfUser(tx, row.id) : 0;
    await appendAudit(tx, {
      actor,
      action,
      outcome: 'failure',
      target: { type: 'user', id: row.id },
      summary: {
        reason: lock
          ? `${reason}; account locked`
          : count.outcome === 'already-locked'
            ? `${reason}; account already locked`
            : reason,
        ...(lock ? { lockedUntil: count.lockedUntil, sessionsEnded: ended } : {}),
      },
    });
  });
}
