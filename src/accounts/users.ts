/**
 * @module Local accounts: create, list, disable/enable, reset passwords, change roles. Every change is
 * audited in the same transaction; passwords are checked against the policy and stored as argon2id.
 */
import { appendAudit } from '../audit/audit-log.js';
import { conflict, invalidInput, notFound } from '../errors.js';
import * as store from '../store/account-store.js';
import { newId, nowIso } from '../store/ids.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { type Actor, assertAllSites, assertCan } from './actor.js';
import { checkPassword } from './password-policy.js';
import { hashPassword } from './passwords.js';
import { isRole, ROLE_NAMES, type Role } from './permissions.js';
import { assertCurrentPassword, assertLocalAccount, type Lockout, ownAccount } from './reauthenticate.js';

export interface User {
  id: string;
  username: string;
  displayName: string | null;
  role: Role;
  disabled: boolean;
  locked: boolean;
  lastLoginAt: string | null;
  passwordChangedAt: string;
  createdAt: string;
  /** Whether signing in needs a second factor (a confirmed TOTP authenticator). */
  mfaEnabled: boolean;
  /** `password`: a local account; `sso`: signs in through the identity provider (OpenID Connect). */
  signIn: 'password' | 'sso';
  /** Who disabled it: an admin in Vigil, or the identity provider's provisioning (SCIM); null: enabled. */
  disabledBy: 'admin' | 'scim' | null;
  /** Made by the provider's provisioning (SCIM) and not signed in to yet: its role is set at that sign-in. */
  awaitingFirstSignIn: boolean;
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$/;

export function toUser(row: store.UserRow, now = nowIso()): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role as Role,
    disabled: row.disabled === 1,
    locked: row.locked_until !== null && row.locked_until > now,
    lastLoginAt: row.last_login_at,
    passwordChangedAt: row.password_changed_at,
    createdAt: row.created_at,
    mfaEnabled: row.totp_enabled_at !== null,
    signIn: row.auth_source === 'oidc' ? 'sso' : 'password',
    disabledBy: row.disabled === 1 ? (row.disabled_by === 'scim' ? 'scim' : 'admin') : null,
    awaitingFirstSignIn: store.awaitsFirstSignIn(row),
  };
}

function validatePassword(password: string, username: string): void {
  const reasons = checkPassword(password, { username });
  if (reasons.length) {
    throw invalidInput(
      `Password refused: it ${reasons.join('; it ')}`,
      reasons.map((r) => ({ field: 'password', reason: r })),
    );
  }
}

function validateRole(role: string): Role {
  if (!isRole(role))
    throw invalidInput(`Unknown role "${role}"; roles are ${ROLE_NAMES.join(', ')}`, [
      { field: 'role', reason: 'unknown role' },
    ]);
  return role;
}

/** Marks a single sign-on account's password: never a valid argon2 hash, refused before any check (sessions.ts). */
export const SSO_PASSWORD_HASH = '!sso';

/**
 * A new account's row, as every way of making one shares it (a local account here, a first single
 * sign-on in sso.ts, SCIM provisioning in scim-users.ts); `fields` sets what differs.
 */
export function newAccountRow(
  fields: Pick<store.UserRow, 'username' | 'display_name' | 'role' | 'password_hash' | 'auth_source'> &
    Partial<store.UserRow>,
  now: string,
): store.UserRow {
  return {
    id: newId(),
    username_key: store.usernameKey(fields.username),
    disabled: 0,
    failed_logins: 0,
    locked_until: null,
    last_login_at: null,
    password_changed_at: now,
    created_at: now,
    updated_at: now,
    totp_secret: null,
    totp_enabled_at: null,
    totp_last_step: null,
    mfa_recovery: null,
    external_id: null,
    sso_mfa_at: null,
    disabled_by: null,
    scim_external_id: null,
    scim_deleted_at: null,
    ...fields,
  };
}

export interface NewUser {
  username: string;
  role: string;
  password: string;
  displayName?: string | undefined;
}

/**
 * Accounts are not tied to sites: an account made, re-enabled, given a password or a role by a token
 * limited to sites would reach every site (docs/roles.md).
 */
export const ACCOUNTS = 'An account';

export async function createUser(h: DbHandle, actor: Actor, input: NewUser): Promise<User> {
  assertCan(actor, 'users:write');
  assertAllSites(actor, ACCOUNTS);
  return createUserUnchecked(h, actor, input);
}

/** Also used by first-run setup, where the one-time setup token stands in for the permission. */
export async function createUserUnchecked(h: DbHandle, actor: Actor, input: NewUser): Promise<User> {
  const username = input.username.trim();
  if (!USERNAME.test(username)) {
    throw invalidInput('Username must be 2–64 characters: letters, digits, . _ @ -', [
      { field: 'username', reason: 'invalid username' },
    ]);
  }
  const role = validateRole(input.role);
  validatePassword(input.password, username);
  const passwordHash = await hashPassword(input.password);
  return transaction(h, async (tx) => {
    if (await store.findUserByName(tx, username)) throw conflict(`A user named "${username}" already exists`);
    const now = nowIso();
    const row = newAccountRow(
      {
        username,
        display_name: input.displayName ?? null,
        role,
        password_hash: passwordHash,
        auth_source: 'local',
      },
      now,
    );
    await store.insertUser(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'user.create',
      target: { type: 'user', id: row.id },
      summary: { username, role },
    });
    return toUser(row);
  });
}

export async function listUsers(h: DbHandle, actor: Actor): Promise<User[]> {
  assertCan(actor, 'users:read');
  const now = nowIso();
  return (await store.listUsers(h)).map((r) => toUser(r, now));
}

export async function requireUser(h: DbHandle, username: string): Promise<store.UserRow> {
  const row = await store.findUserByName(h, username);
  if (!row) throw notFound(`User "${username}"`);
  return row;
}

export async function setUserDisabled(
  h: DbHandle,
  actor: Actor,
  username: string,
  disabled: boolean,
): Promise<User> {
  assertCan(actor, 'users:write');
  assertAllSites(actor, ACCOUNTS);
  return transaction(h, async (tx) => {
    const row = await requireUser(tx, username);
    if (disabled && row.id === actor.id) throw conflict('You cannot disable your own account');
    if (disabled && row.role === 'admin' && row.disabled === 0) await assertAnotherAdmin(tx, row.id);
    const now = nowIso();
    // An admin's decision: the identity provider's provisioning (SCIM) cannot undo it (scim-users.ts).
    const disabledBy = disabled ? 'admin' : null;
    await store.updateUser(tx, row.id, {
      disabled: disabled ? 1 : 0,
      disabled_by: disabledBy,
      updated_at: now,
    });
    // A disabled account loses its sessions at once.
    const ended = disabled ? await store.deleteSessionsOfUser(tx, row.id) : 0;
    await appendAudit(tx, {
      actor,
      action: disabled ? 'user.disable' : 'user.enable',
      target: { type: 'user', id: row.id },
      summary: {
        username: row.username,
        before: { disabled: row.disabled === 1 },
        after: { disabled },
        sessionsEnded: ended,
      },
    });
    return toUser({ ...row, disabled: disabled ? 1 : 0, disabled_by: disabledBy });
  });
}

export interface PasswordReset {
  /**
   * Also revoke the account's live API tokens: after a suspected compromise, tokens made with the stolen
   * password would otherwise keep working. Off by default, as a forgotten password is no reason to stop
   * the integrations (CMMS sync, SIEM export) that run on this account's tokens.
   */
  revokeTokens?: boolean | undefined;
}

export async function resetPassword(
  h: DbHandle,
  actor: Actor,
  username: string,
  password: string,
  opts: PasswordReset = {},
): Promise<User & { tokensRevoked: number }> {
  assertCan(actor, 'users:write');
  assertAllSites(actor, ACCOUNTS);
  const row = await requireUser(h, username);
  assertLocalAccount(row);
  let revoked: string[] = [];
  // Resetting also unlocks, and ends every session opened with the old password.
  const user = await storeNewPassword(h, actor, row, password, {
    action: 'user.reset-password',
    unlock: true,
    alsoInTransaction: async (tx, now) => {
      if (opts.revokeTokens) revoked = await store.revokeApiTokensOf(tx, row.id, now);
    },
    summary: (ended) => ({
      unlocked: row.locked_until !== null,
      sessionsEnded: ended,
      ...(opts.revokeTokens ? { tokensRevoked: revoked } : {}),
    }),
  });
  return { ...user, tokensRevoked: revoked.length };
}

/**
 * Checks `password` against the policy, stores its argon2id hash and ends the account's sessions (all
 * but `keepSessionId`), audited as `action` in the same transaction.
 */
async function storeNewPassword(
  h: DbHandle,
  actor: Actor,
  row: store.UserRow,
  password: string,
  opts: {
    action: string;
    unlock: boolean;
    keepSessionId?: string | undefined;
    /** More changes that stand or fall with the new password, made before the audit entry is written. */
    alsoInTransaction?: (tx: DbHandle, now: string) => Promise<void>;
    summary: (sessionsEnded: number) => Record<string, unknown>;
  },
): Promise<User> {
  validatePassword(password, row.username);
  const passwordHash = await hashPassword(password);
  return transaction(h, async (tx) => {
    const now = nowIso();
    const patch = {
      password_hash: passwordHash,
      password_changed_at: now,
      failed_logins: 0,
      ...(opts.unlock ? { locked_until: null } : {}),
      updated_at: now,
    };
    await store.updateUser(tx, row.id, patch);
    const ended = await store.deleteSessionsOfUser(tx, row.id, opts.keepSessionId);
    await opts.alsoInTransaction?.(tx, now);
    await appendAudit(tx, {
      actor,
      action: opts.action,
      target: { type: 'user', id: row.id },
      summary: { username: row.username, ...opts.summary(ended) },
    });
    return toUser({ ...row, ...patch });
  });
}

export interface OwnPasswordChange {
  currentPassword: string;
  newPassword: string;
  /** The session the change is made from: it stays open, every other session of the account ends. */
  keepSessionId?: string | undefined;
}

/**
 * A signed-in user changes their own password (HIPAA §164.308(a)(5)(ii)(D), password management), no
 * `users:write` needed. The current password is asked again (reauthenticate.ts).
 */
export async function changeOwnPassword(
  h: DbHandle,
  actor: Actor,
  input: OwnPasswordChange,
  lockout: Lockout,
): Promise<User> {
  const row = await ownAccount(h, actor);
  await assertCurrentPassword(h, actor, row, input.currentPassword, 'user.change-password', lockout);
  if (input.newPassword === input.currentPassword)
    throw invalidInput('The new password is the current one; choose another', [
      { field: 'newPassword', reason: 'must differ from the current password' },
    ]);
  return storeNewPassword(h, actor, row, input.newPassword, {
    action: 'user.change-password',
    unlock: false,
    keepSessionId: input.keepSessionId,
    summary: (ended) => ({ otherSessionsEnded: ended }),
  });
}

export async function setUserRole(
  h: DbHandle,
  actor: Actor,
  username: string,
  roleName: string,
): Promise<User> {
  assertCan(actor, 'users:write');
  assertAllSites(actor, ACCOUNTS);
  const role = validateRole(roleName);
  return transaction(h, async (tx) => {
    const row = await requireUser(tx, username);
    if (row.auth_source !== 'local')
      throw conflict(
        `"${row.username}" signs in through single sign-on: the role follows the groups at the identity provider and is set again at every sign-in; change the groups there, or disable the account here to stop access now`,
      );
    if (row.role === 'admin' && role !== 'admin') await assertAnotherAdmin(tx, row.id);
    const now = nowIso();
    await store.updateUser(tx, row.id, { role, updated_at: now });
    await appendAudit(tx, {
      actor,
      action: 'user.set-role',
      target: { type: 'user', id: row.id },
      summary: { username: row.username, before: { role: row.role }, after: { role } },
    });
    return toUser({ ...row, role });
  });
}

/** Vigil must always keep one enabled admin, or nobody could manage accounts. */
async function assertAnotherAdmin(tx: DbHandle, exceptId: string): Promise<void> {
  const others = (await store.listUsers(tx)).filter(
    (u) => u.role === 'admin' && u.disabled === 0 && u.id !== exceptId,
  );
  if (others.length === 0) throw conflict('This is the last enabled admin; create another admin first');
}
