/**
 * @module The bearer tokens an identity provider's SCIM provisioning presents (Entra ID "Secret Token",
 * Okta "API token"). An admin makes one (`vigil scim token create`), sees it once and pastes it into the
 * provider; Vigil keeps its SHA-256. While no token is active nothing can call SCIM at all.
 *
 * SHA-256, not argon2id: the token is 256 random bits, so no hash speed makes guessing it feasible, and
 * a slow hash protects only secrets people choose. argon2id here would cost every provisioning request
 * (a first Entra ID cycle sends one or more per person) tens of milliseconds and 19 MiB, and would let
 * anyone able to reach the endpoint spend that with made-up tokens. The same reasoning as API tokens and
 * session ids (secrets.ts); the digest is looked up by a unique index, so no lookup prefix is needed.
 */
import { appendAudit } from '../audit/audit-log.js';
import { invalidInput, notFound } from '../errors.js';
import { newId, nowIso } from '../store/ids.js';
import * as store from '../store/scim-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { type Actor, assertAllSites, assertCan } from './actor.js';
import { hashSecret, newSecret } from './secrets.js';

export const SCIM_TOKEN_PREFIX = 'vscim_';
export const DEFAULT_SCIM_TOKEN_NAME = 'identity provider';
/**
 * A year by default: long enough not to interrupt provisioning often (the provider's admin must paste a
 * new one), short enough that a token copied into a forgotten place stops working. Two years at most.
 */
export const DEFAULT_SCIM_TOKEN_DAYS = 365;
export const MAX_SCIM_TOKEN_DAYS = 730;

export interface ScimToken {
  id: string;
  name: string;
  prefix: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** When it stops working; null for a token made before tokens expired (it never does). */
  expiresAt: string | null;
}

/** Who calls SCIM: the provider, known by its token; for the audit log. */
export interface ScimCaller {
  tokenId: string;
  tokenName: string;
  ip?: string | undefined;
}

function toScimToken(r: store.ScimTokenRow): ScimToken {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    createdBy: r.created_by,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
    expiresAt: r.expires_at,
  };
}

/** A new token, returned once; only its hash is kept. Needs `users:write`: SCIM disables accounts. */
export async function createScimToken(
  h: DbHandle,
  actor: Actor,
  input: { name?: string | undefined; expiresInDays?: number | undefined },
): Promise<{ token: string; info: ScimToken }> {
  assertCan(actor, 'users:write');
  // The provider it is pasted into creates, renames and disables accounts, which reach every site.
  assertAllSites(actor, 'A SCIM token');
  const name = (input.name ?? DEFAULT_SCIM_TOKEN_NAME).trim();
  if (!name || name.length > 100)
    throw invalidInput('SCIM token name must be 1–100 characters', [{ field: 'name', reason: 'invalid' }]);
  const days = input.expiresInDays ?? DEFAULT_SCIM_TOKEN_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_SCIM_TOKEN_DAYS)
    throw invalidInput(`SCIM token expiry must be 1–${MAX_SCIM_TOKEN_DAYS} days`, [
      { field: 'expiresInDays', reason: 'out of range' },
    ]);
  const now = nowIso();
  const token = newSecret(SCIM_TOKEN_PREFIX);
  const row: store.ScimTokenRow = {
    id: newId(),
    name,
    token_hash: hashSecret(token),
    prefix: token.slice(0, SCIM_TOKEN_PREFIX.length + 6),
    created_by: actor.name,
    created_at: now,
    last_used_at: null,
    revoked_at: null,
    expires_at: new Date(Date.parse(now) + days * 86_400_000).toISOString(),
  };
  await transaction(h, async (tx) => {
    await store.insertScimToken(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'scim-token.create',
      target: { type: 'scim-token', id: row.id },
      summary: { name, prefix: row.prefix, expiresAt: row.expires_at },
    });
  });
  return { token, info: toScimToken(row) };
}

export async function listScimTokens(h: DbHandle, actor: Actor): Promise<ScimToken[]> {
  assertCan(actor, 'users:read');
  return (await store.listScimTokens(h)).map(toScimToken);
}

/** Revokes a token: the provider's next request with it is refused (401). */
export async function revokeScimToken(h: DbHandle, actor: Actor, id: string): Promise<ScimToken> {
  assertCan(actor, 'users:write');
  assertAllSites(actor, 'A SCIM token');
  return transaction(h, async (tx) => {
    const row = await store.findScimToken(tx, id);
    if (!row) throw notFound(`SCIM token ${id}`);
    const now = nowIso();
    if (!row.revoked_at) {
      await store.updateScimToken(tx, id, { revoked_at: now });
      await appendAudit(tx, {
        actor,
        action: 'scim-token.revoke',
        target: { type: 'scim-token', id },
        summary: { name: row.name, prefix: row.prefix },
      });
    }
    return toScimToken({ ...row, revoked_at: row.revoked_at ?? now });
  });
}

/** The provider behind a bearer token, or undefined for a token that is unknown, revoked or expired. */
export async function resolveScimToken(
  h: DbHandle,
  token: string,
  ip?: string,
): Promise<ScimCaller | undefined> {
  if (!token.startsWith(SCIM_TOKEN_PREFIX)) return undefined;
  const row = await store.findScimTokenByHash(h, hashSecret(token));
  if (!row || row.revoked_at) return undefined;
  const now = nowIso();
  if (row.expires_at && row.expires_at <= now) return undefined;
  // Once a minute is enough to show a token is in use; not a write per request.
  if (!row.last_used_at || Date.parse(now) - Date.parse(row.last_used_at) > 60_000)
    await store.updateScimToken(h, row.id, { last_used_at: now });
  return { tokenId: row.id, tokenName: row.name, ...(ip ? { ip } : {}) };
}
