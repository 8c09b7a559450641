/**
 * @module SQL for SCIM provisioning (accounts/scim-*.ts): the provider's bearer tokens, and the accounts
 * SCIM may see — single sign-on accounts not deleted through SCIM; never a local account.
 */
import { sql } from 'kysely';
import type { ScimTokenTable, UserTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type ScimTokenRow = ScimTokenTable;

export async function insertScimToken(h: DbHandle, row: ScimTokenRow): Promise<void> {
  await h.db.insertInto('scim_tokens').values(row).execute();
}

export async function findScimTokenByHash(h: DbHandle, tokenHash: string): Promise<ScimTokenRow | undefined> {
  return h.db.selectFrom('scim_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function findScimToken(h: DbHandle, id: string): Promise<ScimTokenRow | undefined> {
  return h.db.selectFrom('scim_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listScimTokens(h: DbHandle): Promise<ScimTokenRow[]> {
  return h.db.selectFrom('scim_tokens').selectAll().orderBy('created_at', 'desc').orderBy('id').execute();
}

export async function updateScimToken(h: DbHandle, id: string, patch: Partial<ScimTokenRow>): Promise<void> {
  await h.db.updateTable('scim_tokens').set(patch).where('id', '=', id).execute();
}

/** The accounts SCIM sees: single sign-on, not deleted through SCIM. */
function visible(h: DbHandle) {
  return h.db.selectFrom('users').where('auth_source', '=', 'oidc').where('scim_deleted_at', 'is', null);
}

export async function findScimUser(h: DbHandle, id: string): Promise<UserTable | undefined> {
  return visible(h).selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * One page of the accounts SCIM sees, oldest first, with how many there are in all; limited to one user
 * name (compared as Vigil compares names, without case) or one `externalId` (exactly).
 */
export async function listScimUsers(
  h: DbHandle,
  filter: { usernameKey: string } | { externalId: string } | undefined,
  offset: number,
  limit: number,
): Promise<{ total: number; rows: UserTable[] }> {
  let q = visible(h);
  if (filter && 'usernameKey' in filter) q = q.where('username_key', '=', filter.usernameKey);
  if (filter && 'externalId' in filter) q = q.where('scim_external_id', '=', filter.externalId);
  const { n } = await q.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  const rows =
    limit === 0
      ? []
      : await q.selectAll().orderBy('created_at').orderBy('id').offset(offset).limit(limit).execute();
  return { total: Number(n), rows };
}
