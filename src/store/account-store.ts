/**
 * @module SQL for accounts: users, login sessions, API tokens and settings. No policy here (that is
 * in `accounts/`); just rows in and out, the same on SQLite and PostgreSQL.
 */
import { sql } from 'kysely';
import type { ApiTokenTable, SessionTable, UserTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type UserRow = UserTable;

/**
 * A single sign-on account the provider's provisioning made (SCIM) and nobody has signed in to yet: it
 * has no issuer and subject, and was not deleted through SCIM.
 */
export function awaitsFirstSignIn(
  row: Pick<UserRow, 'auth_source' | 'external_id' | 'scim_deleted_at'>,
): boolean {
  return row.auth_source === 'oidc' && row.external_id === null && row.scim_deleted_at === null;
}
export type SessionRow = SessionTable;
export type ApiTokenRow = ApiTokenTable;

export function usernameKey(username: string): string {
  return username.trim().toLowerCase();
}

export async function findUserByName(h: DbHandle, username: string): Promise<UserRow | undefined> {
  return h.db
    .selectFrom('users')
    .selectAll()
    .where('username_key', '=', usernameKey(username))
    .executeTakeFirst();
}

/** A single sign-on account by its provider's "<issuer> <subject>" (0022-account-sso). */
export async function findUserByExternalId(h: DbHandle, externalId: string): Promise<UserRow | undefined> {
  return h.db.selectFrom('users').selectAll().where('external_id', '=', externalId).executeTakeFirst();
}

/**
 * Gives an account without an issuer and subject yet (made by SCIM provisioning) the provider's
 * "<issuer> <subject>"; false when it already has one (another sign-in linked it first).
 */
export async function linkExternalId(h: DbHandle, id: string, externalId: string): Promise<boolean> {
  const r = await h.db
    .updateTable('users')
    .set({ external_id: externalId })
    .where('id', '=', id)
    .where('external_id', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function findUserById(h: DbHandle, id: string): Promise<UserRow | undefined> {
  return h.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listUsers(h: DbHandle): Promise<UserRow[]> {
  return h.db.selectFrom('users').selectAll().orderBy('username_key').execute();
}

export async function countUsers(h: DbHandle): Promise<number> {
  const r = await h.db.selectFrom('users').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertUser(h: DbHandle, row: UserRow): Promise<void> {
  await h.db.insertInto('users').values(row).execute();
}

export async function updateUser(h: DbHandle, id: string, patch: Partial<UserRow>): Promise<void> {
  await h.db.updateTable('users').set(patch).where('id', '=', id).execute();
}

/** What counting one failed sign-in did to the account (countFailedLogin). */
export type FailedLoginCount =
  | { outcome: 'counted'; failures: number }
  | { outcome: 'locked'; lockedUntil: string }
  /** Locked meanwhile (by a failure running at the same time), or gone: nothing was changed. */
  | { outcome: 'already-locked' };

/**
 * Counts a wrong password or second factor against an account in one statement, so that failures
 * running at the same time each add one (reading the count with the row and writing it back plus one
 * let 40 parallel failures all write 1). The failure that reaches `maxFailures` locks the account until
 * `lockUntil` and starts the count again, in the same statement; a failure that finds the account
 * locked changes nothing.
 */
export async function countFailedLogin(
  h: DbHandle,
  id: string,
  opts: { maxFailures: number; lockUntil: string; now: string },
): Promise<FailedLoginCount> {
  const reaches = sql<boolean>`failed_logins + 1 >= ${opts.maxFailures}`;
  const r = await h.db
    .updateTable('users')
    .set({
      // Both read the row as it was before this statement (SQL evaluates every SET against the old row).
      failed_logins: sql<number>`CASE WHEN ${reaches} THEN 0 ELSE failed_logins + 1 END`,
      locked_until: sql<string | null>`CASE WHEN ${reaches} THEN ${opts.lockUntil} ELSE locked_until END`,
      updated_at: opts.now,
    })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', opts.now)]))
    .returning(['failed_logins', 'locked_until'])
    .executeTakeFirst();
  if (!r) return { outcome: 'already-locked' };
  if (r.locked_until === opts.lockUntil && Number(r.failed_logins) === 0)
    return { outcome: 'locked', lockedUntil: opts.lockUntil };
  return { outcome: 'counted', failures: Number(r.failed_logins) };
}

/**
 * Records a successful sign-in (the failure count starts again), unless the account was disabled or
 * locked since it was read (a failure running at the same time): false then, and nothing changed.
 */
export async function recordSignIn(h: DbHandle, id: string, now: string): Promise<boolean> {
  const r = await h.db
    .updateTable('users')
    .set({ failed_logins: 0, locked_until: null, last_login_at: now, updated_at: now })
    .where('id', '=', id)
    .where('disabled', '=', 0)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Marks TOTP time step `step` used, unless it or a later one already is (a request running at the same
 * time with the same code): false then. So one code signs in once however many requests carry it.
 */
export async function claimTotpStep(h: DbHandle, id: string, step: number): Promise<boolean> {
  const r = await h.db
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Replaces an account's recovery codes (the stored JSON) with `to` only if they are still `from`: false
 * when another request changed them meanwhile (marked a code used), so the caller reads them again.
 */
export async function replaceRecoveryCodes(
  h: DbHandle,
  id: string,
  from: string,
  to: string,
): Promise<boolean> {
  const r = await h.db
    .updateTable('users')
    .set({ mfa_recovery: to })
    .where('id', '=', id)
    .where('mfa_recovery', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function insertSession(h: DbHandle, row: SessionRow): Promise<void> {
  await h.db.insertInto('sessions').values(row).execute();
}

export async function findSession(h: DbHandle, id: string): Promise<SessionRow | undefined> {
  return h.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function touchSession(h: DbHandle, id: string, at: string): Promise<void> {
  await h.db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
}

export async function deleteSession(h: DbHandle, id: string): Promise<void> {
  await h.db.deleteFrom('sessions').where('id', '=', id).execute();
}

/** Ends every session of a user, but for `except` (the session a user changes their password from). */
export async function deleteSessionsOfUser(h: DbHandle, userId: string, except?: string): Promise<number> {
  let q = h.db.deleteFrom('sessions').where('user_id', '=', userId);
  if (except !== undefined) q = q.where('id', '!=', except);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * Ends the sessions opened from one identity-provider session (`sid`), limited to one user when the
 * provider also named the subject. Returns the users whose sessions ended, with how many each.
 */
export async function deleteSessionsBySsoSid(
  h: DbHandle,
  sid: string,
  userId?: string,
): Promise<Map<string, number>> {
  let q = h.db.selectFrom('sessions').select('user_id').where('sso_sid', '=', sid);
  if (userId !== undefined) q = q.where('user_id', '=', userId);
  const ended = new Map<string, number>();
  for (const r of await q.execute()) ended.set(r.user_id, (ended.get(r.user_id) ?? 0) + 1);
  let d = h.db.deleteFrom('sessions').where('sso_sid', '=', sid);
  if (userId !== undefined) d = d.where('user_id', '=', userId);
  await d.execute();
  return ended;
}

/**
 * Records a back-channel logout token as acted on (0025-sso-logout-tokens); false when it already was
 * (a replay, also one sent to another Vigil instance on this database). Tokens past `forget_at` are
 * pruned first. Call in the transaction that ends the sessions, so a logout that fails leaves the token
 * unused; a concurrent claim of the same token on PostgreSQL waits for this one and then finds it.
 */
export async function claimLogoutToken(
  h: DbHandle,
  tokenKey: string,
  forgetAt: string,
  now: string,
): Promise<boolean> {
  await h.db.deleteFrom('sso_logout_tokens').where('forget_at', '<=', now).execute();
  const r = await h.db
    .insertInto('sso_logout_tokens')
    .values({ token_key: tokenKey, forget_at: forgetAt })
    .onConflict((oc) => oc.column('token_key').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function deleteExpiredSessions(h: DbHandle, now: string): Promise<void> {
  await h.db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}

export async function insertApiToken(h: DbHandle, row: ApiTokenRow): Promise<void> {
  await h.db.insertInto('api_tokens').values(row).execute();
}

export async function findApiTokenByHash(h: DbHandle, tokenHash: string): Promise<ApiTokenRow | undefined> {
  return h.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function findApiToken(h: DbHandle, id: string): Promise<ApiTokenRow | undefined> {
  return h.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listApiTokens(h: DbHandle, createdBy?: string): Promise<ApiTokenRow[]> {
  let q = h.db.selectFrom('api_tokens').selectAll().orderBy('created_at', 'desc');
  if (createdBy) q = q.where('created_by', '=', createdBy);
  return q.execute();
}

/** Revokes a user's live API tokens (not revoked, not expired); returns their names. */
export async function revokeApiTokensOf(h: DbHandle, userId: string, now: string): Promise<string[]> {
  const rows = await h.db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('created_by', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('name')
    .execute();
  return rows.map((r) => r.name).sort();
}

export async function updateApiToken(h: DbHandle, id: string, patch: Partial<ApiTokenRow>): Promise<void> {
  await h.db.updateTable('api_tokens').set(patch).where('id', '=', id).execute();
}

export async function getSetting(h: DbHandle, key: string): Promise<string | undefined> {
  const r = await h.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return r?.value;
}

export async function putSetting(h: DbHandle, key: string, value: string, at: string): Promise<void> {
  await h.db
    .insertInto('settings')
    .values({ key, value, updated_at: at })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: at }))
    .execute();
}

export async function deleteSetting(h: DbHandle, key: string): Promise<void> {
  await h.db.deleteFrom('settings').where('key', '=', key).execute();
}

/** Site ids for the given ids or names (case-insensitive); unknown entries come back in `missing`. */
export async function resolveSites(
  h: DbHandle,
  idsOrNames: string[],
): Promise<{ ids: string[]; missing: string[] }> {
  if (idsOrNames.length === 0) return { ids: [], missing: [] };
  const keys = idsOrNames.map((s) => s.trim().toLowerCase());
  const rows = await h.db
    .selectFrom('sites')
    .select(['id', 'name_key'])
    .where((eb) => eb.or([eb('id', 'in', idsOrNames), eb('name_key', 'in', keys)]))
    .execute();
  const ids: string[] = [];
  const missing: string[] = [];
  for (const [i, v] of idsOrNames.entries()) {
    const hit = rows.find((r) => r.id === v || r.name_key === keys[i]);
    if (hit) ids.push(hit.id);
    else missing.push(v);
  }
  return { ids: [...new Set(ids)], missing };
}
