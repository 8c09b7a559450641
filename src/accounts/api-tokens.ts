/**
 * @module API tokens for machines (scripts, integrations, sensors). A token is shown once, stored as a
 * SHA-256 hash, expires, can be limited to sites, and is read-only unless given more. Its effective
 * permissions are always bounded by its owner's current role, so demoting or disabling the owner
 * shrinks or stops the token too.
 */

import { appendAudit } from '../audit/audit-log.js';
import { forbidden, invalidInput, notFound } from '../errors.js';
import { pluralWord } from '../format-count.js';
import * as store from '../store/account-store.js';
import { newId, nowIso } from '../store/ids.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { type Actor, assertAllSites, assertCan } from './actor.js';
import { isPermission, type Permission, permissionsOf, READ_PERMISSIONS, type Role } from './permissions.js';
import { hashSecret, newSecret } from './secrets.js';

export const TOKEN_PREFIX = 'vgl_';
export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_TOKEN_DAYS = 366;

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  owner: string;
  permissions: Permission[];
  siteIds: string[] | null;
  expiresAt: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface NewApiToken {
  name: string;
  /** Username of the owner; defaults to the acting user. */
  owner?: string | undefined;
  permissions?: string[] | undefined;
  /** Site ids or names. */
  sites?: string[] | undefined;
  expiresInDays?: number | undefined;
}

export async function createApiToken(
  h: DbHandle,
  actor: Actor,
  input: NewApiToken,
): Promise<{ token: string; info: ApiToken }> {
  assertCan(actor, 'tokens:write');
  const name = input.name.trim();
  if (!name || name.length > 100)
    throw invalidInput('Token name must be 1–100 characters', [{ field: 'name', reason: 'invalid' }]);
  const owner = input.owner
    ? await store.findUserByName(h, input.owner)
    : actor.kind === 'user'
      ? await store.findUserById(h, actor.id)
      : undefined;
  if (!owner)
    throw invalidInput(
      input.owner ? `No user named "${input.owner}"` : 'Say which user owns the token (--user)',
      [{ field: 'owner', reason: 'unknown user' }],
    );
  // Only admins may mint tokens for somebody else.
  if (owner.id !== actor.id && !actor.permissions.has('users:write')) {
    throw invalidInput('You can only create tokens for yourself', [{ field: 'owner', reason: 'not you' }]);
  }
  const ownerPerms = permissionsOf(owner.role as Role);
  // A token never carries what its maker lacks: a token allowed to make tokens for others would
  // otherwise mint its owner's full role (an admin's) and outgrow itself.
  const grantable = (p: Permission) => ownerPerms.has(p) && actor.permissions.has(p);
  const requested = input.permissions ?? READ_PERMISSIONS.filter(grantable);
  const issues = requested
    .filter((p) => !isPermission(p) || !grantable(p))
    .map((p) => ({
      field: 'permissions',
      reason: !isPermission(p)
        ? `unknown permission ${p}`
        : !ownerPerms.has(p)
          ? `${owner.username}'s role does not have ${p}`
          : `you do not have ${p} yourself`,
    }));
  if (issues.length)
    throw invalidInput(`Token permissions refused: ${issues.map((i) => i.reason).join('; ')}`, issues);
  const days = input.expiresInDays ?? DEFAULT_TOKEN_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS) {
    throw invalidInput(`Expiry must be 1–${MAX_TOKEN_DAYS} days`, [
      { field: 'expiresInDays', reason: 'out of range' },
    ]);
  }
  // A token never outlives the token that made it: otherwise a 7-day token with tokens:write could make
  // a year's copy of itself, and that one the next, and keep its access for ever. Its default is capped.
  let expiresAt = new Date(Date.now() + days * 86_400_000).toISOString();
  if (actor.expiresAt && expiresAt > actor.expiresAt) {
    if (input.expiresInDays !== undefined)
      throw invalidInput(
        `A token may not outlive the token that makes it (that one expires ${actor.expiresAt})`,
        [{ field: 'expiresInDays', reason: 'after the making token expires' }],
      );
    expiresAt = actor.expiresAt;
  }
  let siteIds: string[] | null = null;
  if (input.sites?.length) {
    const resolved = await store.resolveSites(h, input.sites);
    if (resolved.missing.length)
      throw invalidInput(
        `Unknown ${pluralWord(resolved.missing.length, 'site')}: ${resolved.missing.join(', ')}`,
        [{ field: 'sites', reason: 'unknown site' }],
      );
    siteIds = resolved.ids;
  }
  // A token limited to sites could otherwise mint one for every site, or for sites it does not reach.
  if (actor.siteIds) {
    const mine = actor.siteIds;
    if (!siteIds) assertAllSites(actor, 'A token for every site');
    else if (siteIds.some((id) => !mine.includes(id)))
      throw forbidden('A token limited to sites may only make tokens for some of its own sites');
  }
  const token = newSecret(TOKEN_PREFIX);
  const now = nowIso();
  const row: store.ApiTokenRow = {
    id: newId(),
    name,
    token_hash: hashSecret(token),
    prefix: token.slice(0, TOKEN_PREFIX.length + 6),
    created_by: owner.id,
    permissions: JSON.stringify([...new Set(requested)].sort()),
    site_ids: siteIds ? JSON.stringify(siteIds) : null,
    expires_at: expiresAt,
    created_at: now,
    last_used_at: null,
    revoked_at: null,
  };
  await transaction(h, async (tx) => {
    await store.insertApiToken(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'token.create',
      target: { type: 'api-token', id: row.id },
      summary: {
        name,
        owner: owner.username,
        permissions: JSON.parse(row.permissions),
        siteIds,
        expiresAt: row.expires_at,
      },
    });
  });
  return { token, info: toApiToken(row, owner.username) };
}

export async function listApiTokens(h: DbHandle, actor: Actor): Promise<ApiToken[]> {
  assertCan(actor, 'tokens:read');
  const users = new Map((await store.listUsers(h)).map((u) => [u.id, u.username]));
  return (await store.listApiTokens(h))
    .filter((r) => withinSites(actor, r))
    .map((r) => toApiToken(r, users.get(r.created_by) ?? r.created_by));
}

/**
 * Whether a token lies within the actor's sites: a token limited to sites sees and revokes only tokens
 * limited to some of its own sites. A token for every site, or one reaching another site, serves
 * sites it does not: even its name and owner say who integrates with them.
 */
function withinSites(actor: Actor, row: store.ApiTokenRow): boolean {
  if (!actor.siteIds) return true;
  const mine = actor.siteIds;
  return row.site_ids !== null && (JSON.parse(row.site_ids) as string[]).every((s) => mine.includes(s));
}

export async function revokeApiToken(h: DbHandle, actor: Actor, id: string): Promise<ApiToken> {
  assertCan(actor, 'tokens:write');
  return transaction(h, async (tx) => {
    const row = await store.findApiToken(tx, id);
    if (!row) throw notFound(`API token ${id}`);
    if (row.created_by !== actor.id && !actor.permissions.has('users:write'))
      throw notFound(`API token ${id}`);
    // A token limited to sites revokes only tokens within its sites: the others serve other sites.
    if (!withinSites(actor, row)) {
      if (!row.site_ids) assertAllSites(actor, 'A token for every site');
      throw notFound(`API token ${id}`);
    }
    const now = nowIso();
    if (!row.revoked_at) {
      await store.updateApiToken(tx, id, { revoked_at: now });
      await appendAudit(tx, {
        actor,
        action: 'token.revoke',
        target: { type: 'api-token', id },
        summary: { name: row.name },
      });
    }
    const owner = await store.findUserById(tx, row.created_by);
    return toApiToken({ ...row, revoked_at: row.revoked_at ?? now }, owner?.username ?? row.created_by);
  });
}

/** The actor behind a bearer token, or undefined if the token is unknown, revoked, expired or its owner disabled. */
export async function resolveApiToken(h: DbHandle, token: string, ip?: string): Promise<Actor | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const row = await store.findApiTokenByHash(h, hashSecret(token));
  const now = nowIso();
  if (!row || row.revoked_at || row.expires_at <= now) return undefined;
  const owner = await store.findUserById(h, row.created_by);
  if (!owner || owner.disabled === 1) return undefined;
  const ownerPerms = permissionsOf(owner.role as Role);
  const permissions = new Set((JSON.parse(row.permissions) as Permission[]).filter((p) => ownerPerms.has(p)));
  if (!row.last_used_at || Date.parse(now) - Date.parse(row.last_used_at) > 60_000) {
    await store.updateApiToken(h, row.id, { last_used_at: now });
  }
  return {
    kind: 'token',
    id: row.id,
    name: `token:${row.name} (${owner.username})`,
    permissions,
    ...(row.site_ids ? { siteIds: JSON.parse(row.site_ids) as string[] } : {}),
    expiresAt: row.expires_at,
    ...(ip ? { ip } : {}),
  };
}

function toApiToken(r: store.ApiTokenRow, owner: string): ApiToken {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    owner,
    permissions: JSON.parse(r.permissions) as Permission[],
    siteIds: r.site_ids ? (JSON.parse(r.site_ids) as string[]) : null,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}
