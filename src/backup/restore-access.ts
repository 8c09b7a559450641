/**
 * @module What a restore must not undo: access closed after the backup was taken. The backup brings back
 * the data; who may sign in, with which role and which second factor, and which credentials are revoked,
 * stay as they were in the database being replaced, wherever that is the narrower (or the newer factor).
 * Read the replaced database's state before the restore, apply it to the restored one after.
 */
import { isRole, permissionsOf } from '../accounts/permissions.js';
import { nowIso } from '../store/ids.js';
import type { DbHandle } from '../store/transaction.js';

const USER_COLUMNS = [
  'id',
  'username',
  'role',
  'disabled',
  'disabled_by',
  'scim_deleted_at',
  'password_changed_at',
  'totp_secret',
  'totp_enabled_at',
  'totp_last_step',
  'mfa_recovery',
] as const;

export interface AccessState {
  users: {
    id: string;
    username: string;
    role: string;
    disabled: number;
    disabled_by: string | null;
    scim_deleted_at: string | null;
    password_changed_at: string;
    totp_secret: string | null;
    totp_enabled_at: string | null;
    totp_last_step: number | null;
    mfa_recovery: string | null;
  }[];
  revokedApiTokens: string[];
  revokedScimTokens: string[];
}

export interface AccessKept {
  usersKeptDisabled: string[];
  tokensKeptRevoked: string[];
  /** SCIM provisioning tokens revoked after the backup, revoked again. */
  scimTokensKeptRevoked: string[];
  /** Accounts whose role was narrowed after the backup: they keep the narrower role. */
  rolesKept: { username: string; role: string; backupRole: string }[];
  /** Accounts whose second factor was enrolled, replaced or reset after the backup: they keep that one. */
  secondFactorsKept: string[];
  /** Accounts whose password changed after the backup: the restored one is the older password again. */
  passwordsFromBeforeBackup: string[];
  /** Said when the restore leaves no enabled admin (the admins were made after the backup). */
  warnings: string[];
}

export const NOTHING_KNOWN: AccessState = { users: [], revokedApiTokens: [], revokedScimTokens: [] };

export async function readAccessState(h: DbHandle): Promise<AccessState> {
  const [users, api, scim] = await Promise.all([
    h.db.selectFrom('users').select(USER_COLUMNS).execute(),
    h.db.selectFrom('api_tokens').select('id').where('revoked_at', 'is not', null).execute(),
    h.db.selectFrom('scim_tokens').select('id').where('revoked_at', 'is not', null).execute(),
  ]);
  return {
    users: users.map((u) => ({ ...u, disabled: Number(u.disabled) })),
    revokedApiTokens: api.map((t) => t.id),
    revokedScimTokens: scim.map((t) => t.id),
  };
}

/** A role change after the backup that took permissions away: the restored role would give them back. */
function widens(restoredRole: string, currentRole: string): boolean {
  if (restoredRole === currentRole) return false;
  // An unknown role grants nothing; a known one replaced by an unknown one is kept narrow to be safe.
  if (!isRole(restoredRole)) return false;
  if (!isRole(currentRole)) return true;
  const now = permissionsOf(currentRole);
  return [...permissionsOf(restoredRole)].some((p) => !now.has(p));
}

/** Applies `before` (read from the replaced database) to the restored one, inside the restore's transaction. */
export async function keepAccessClosed(tx: DbHandle, before: AccessState): Promise<AccessKept> {
  const now = nowIso();
  const current = new Map(before.users.map((u) => [u.id, u]));
  const restored = await tx.db.selectFrom('users').select(USER_COLUMNS).execute();
  const kept: AccessKept = {
    usersKeptDisabled: [],
    tokensKeptRevoked: [],
    scimTokensKeptRevoked: [],
    rolesKept: [],
    secondFactorsKept: [],
    passwordsFromBeforeBackup: [],
    warnings: [],
  };
  for (const r of restored) {
    const c = current.get(r.id);
    if (!c) continue;
    const patch: Record<string, unknown> = {};
    if (c.disabled === 1 && Number(r.disabled) !== 1) {
      // Disabled by an admin or deprovisioned by the identity provider: the same, with who did it.
      Object.assign(patch, { disabled: 1, disabled_by: c.disabled_by, scim_deleted_at: c.scim_deleted_at });
      kept.usersKeptDisabled.push(r.username);
    }
    if (widens(r.role, c.role)) {
      patch.role = c.role;
      kept.rolesKept.push({ username: r.username, role: c.role, backupRole: r.role });
    }
    // The factor of the replaced database is the one the person holds now: one enrolled after the backup
    // stays on, and one reset after it (a lost phone) is not brought back.
    if (c.totp_secret !== r.totp_secret || c.totp_enabled_at !== r.totp_enabled_at) {
      Object.assign(patch, {
        totp_secret: c.totp_secret,
        totp_enabled_at: c.totp_enabled_at,
        totp_last_step: c.totp_last_step,
        mfa_recovery: c.mfa_recovery,
      });
      kept.secondFactorsKept.push(r.username);
    } else if (c.totp_enabled_at) {
      // The same factor: codes used since the backup stay used, and the recovery codes are the ones the
      // person holds now (used ones stay used; codes renewed since replace the backup's).
      if ((c.totp_last_step ?? -1) > (r.totp_last_step ?? -1)) patch.totp_last_step = c.totp_last_step;
      if (c.mfa_recovery !== r.mfa_recovery) patch.mfa_recovery = c.mfa_recovery;
    }
    if (Object.keys(patch).length)
      await tx.db
        .updateTable('users')
        .set({ ...patch, updated_at: now })
        .where('id', '=', r.id)
        .execute();
    if (c.password_changed_at > r.password_changed_at) kept.passwordsFromBeforeBackup.push(r.username);
  }
  kept.tokensKeptRevoked = await revokeAgain(tx, 'api_tokens', before.revokedApiTokens, now);
  kept.scimTokensKeptRevoked = await revokeAgain(tx, 'scim_tokens', before.revokedScimTokens, now);
  const admins = await tx.db
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled', '=', 0)
    .execute();
  if (restored.length > 0 && admins.length === 0)
    kept.warnings.push(
      'no enabled admin is left (the admins were disabled after the backup, or made after it): create one with `vigil users add NAME --role admin`, or enable one with `vigil users enable NAME`',
    );
  return kept;
}

/** Revokes again the tokens of `ids` the restore brought back unrevoked; returns their names. */
async function revokeAgain(
  tx: DbHandle,
  table: 'api_tokens' | 'scim_tokens',
  ids: readonly string[],
  now: string,
): Promise<string[]> {
  if (!ids.length) return [];
  const reopened = await tx.db
    .selectFrom(table)
    .select(['id', 'name'])
    .where('revoked_at', 'is', null)
    .where('id', 'in', [...ids])
    .execute();
  if (reopened.length)
    await tx.db
      .updateTable(table)
      .set({ revoked_at: now })
      .where(
        'id',
        'in',
        reopened.map((t) => t.id),
      )
      .execute();
  return reopened.map((t) => t.name);
}
