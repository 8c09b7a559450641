/**
 * @module SCIM provisioning of single sign-on accounts (docs/sso.md, "Provisioning (SCIM)"): the identity
 * provider pre-creates, renames, deactivates, reactivates and deletes the accounts of people it signs in
 * to Vigil, so that someone who leaves loses access at once (HIPAA §164.308(a)(3)(ii)(C)) even with a
 * provider that sends no back-channel logout (Entra ID).
 *
 * Rules that keep it safe:
 * - SCIM sees and changes single sign-on accounts only. A local account is never shown, linked or
 *   changed; a name one holds is refused (409 uniqueness), as at sign-in.
 * - Deactivating (`active: false`) and DELETE disable the account and end all its sessions in the same
 *   transaction. Nothing is erased: the audit trail keeps who did what. After DELETE, SCIM answers 404
 *   for the account and leaves it out of every list (RFC 7644 §3.6); it stays disabled in Vigil.
 * - `active: true` re-enables only an account SCIM itself disabled. One an admin disabled in Vigil
 *   stays disabled (400 mutability, so the provider's log shows the disagreement).
 * - A POSTed account has no issuer and subject yet; the person's first single sign-on links it by user
 *   name (sso.ts; `awaitsFirstSignIn` in account-store.ts). Its role is `auditor`, the least, until that
 *   sign-in sets it from the groups claim, as every sign-in does.
 * - Every change is audited by actor `scim` (kind `system`) with the token's name and `source: "scim"`.
 */
import { appendAudit } from '../audit/audit-log.js';
import * as accounts from '../store/account-store.js';
import { nowIso } from '../store/ids.js';
import * as store from '../store/scim-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { ScimError, type ScimFilter, type ScimUserChanges } from './scim-protocol.js';
import type { ScimCaller } from './scim-tokens.js';
import { newAccountRow, SSO_PASSWORD_HASH } from './users.js';

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$/;
/** Until the first sign-in sets the role from the groups claim, the least privileged one. */
const ROLE_BEFORE_FIRST_SIGN_IN = 'auditor';

const notFound = (id: string) => new ScimError(404, `User ${id} not found`);

function auditActor(caller: ScimCaller) {
  return { kind: 'system' as const, name: 'scim', ip: caller.ip };
}

function checkUserName(userName: string): void {
  if (!USERNAME.test(userName))
    throw new ScimError(
      400,
      `userName "${userName.slice(0, 80)}" is not a Vigil user name (2–64 of letters, digits, . _ @ -, starting with a letter or digit)`,
      'invalidValue',
    );
}

/** Refuses a user name another account holds, saying which kind, never linking to it. */
async function assertNameFree(tx: DbHandle, userName: string, exceptId?: string): Promise<void> {
  const holder = await accounts.findUserByName(tx, userName);
  if (!holder || holder.id === exceptId) return;
  const why =
    holder.auth_source === 'local'
      ? 'a local Vigil account has this user name; it is never linked to single sign-on (docs/sso.md)'
      : holder.scim_deleted_at !== null
        ? `an account of this name was deleted through SCIM on ${holder.scim_deleted_at.slice(0, 10)}; Vigil keeps it, disabled, for the audit trail`
        : 'a single sign-on account has this user name already (find it with filter=userName eq "…")';
  throw new ScimError(409, `userName "${userName}": ${why}`, 'uniqueness');
}

export async function getScimUser(h: DbHandle, id: string): Promise<accounts.UserRow> {
  const row = await store.findScimUser(h, id);
  if (!row) throw notFound(id);
  return row;
}

export async function listScimUsers(
  h: DbHandle,
  filter: ScimFilter | undefined,
  page: { startIndex: number; count: number },
): Promise<{ total: number; rows: accounts.UserRow[] }> {
  const where =
    filter === undefined
      ? undefined
      : filter.attribute === 'userName'
        ? { usernameKey: accounts.usernameKey(filter.value) }
        : { externalId: filter.value };
  return store.listScimUsers(h, where, page.startIndex - 1, page.count);
}

/** POST /Users: a single sign-on account the person's first sign-in will link by user name. */
export async function createScimUser(
  h: DbHandle,
  caller: ScimCaller,
  input: ScimUserChanges & { userName: string },
): Promise<accounts.UserRow> {
  checkUserName(input.userName);
  return transaction(h, async (tx) => {
    await assertNameFree(tx, input.userName);
    const now = nowIso();
    const active = input.active ?? true;
    const row = newAccountRow(
      {
        username: input.userName,
        display_name: input.displayName ?? null,
        role: ROLE_BEFORE_FIRST_SIGN_IN,
        password_hash: SSO_PASSWORD_HASH,
        auth_source: 'oidc',
        disabled: active ? 0 : 1,
        disabled_by: active ? null : 'scim',
        scim_external_id: input.externalId ?? null,
      },
      now,
    );
    await accounts.insertUser(tx, row);
    await appendAudit(tx, {
      actor: auditActor(caller),
      action: 'user.create',
      target: { type: 'user', id: row.id },
      summary: {
        username: row.username,
        active,
        externalId: row.scim_external_id,
        source: 'scim',
        scimToken: caller.tokenName,
      },
    });
    return row;
  });
}

/**
 * PUT and PATCH /Users/{id}: renames, display name, externalId, and deactivation or reactivation, in
 * one transaction; audited only when something changed (providers resend unchanged values each cycle).
 */
export async function updateScimUser(
  h: DbHandle,
  caller: ScimCaller,
  id: string,
  changes: ScimUserChanges,
): Promise<accounts.UserRow> {
  if (changes.userName !== undefined) checkUserName(changes.userName);
  return transaction(h, async (tx) => {
    const row = await getScimUser(tx, id);
    const actor = auditActor(caller);
    const source = { source: 'scim', scimToken: caller.tokenName };
    const now = nowIso();
    if (changes.active === true && row.disabled === 1 && row.disabled_by !== 'scim')
      throw new ScimError(
        400,
        `"${row.username}" was disabled by an admin in Vigil, not by the identity provider; an admin enables it in Vigil (Admin → Users, vigil users enable)`,
        'mutability',
      );

    const patch: Partial<accounts.UserRow> = {};
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    const set = <K extends 'username' | 'display_name' | 'scim_external_id'>(
      column: K,
      field: string,
      value: accounts.UserRow[K],
    ) => {
      if (row[column] === value) return;
      patch[column] = value;
      before[field] = row[column];
      after[field] = value;
    };
    if (changes.userName !== undefined && changes.userName !== row.username) {
      await assertNameFree(tx, changes.userName, row.id);
      set('username', 'username', changes.userName);
      patch.username_key = accounts.usernameKey(changes.userName);
    }
    if (changes.displayName !== undefined) set('display_name', 'displayName', changes.displayName);
    if (changes.externalId !== undefined) set('scim_external_id', 'externalId', changes.externalId);
    if (Object.keys(after).length > 0) {
      await accounts.updateUser(tx, row.id, { ...patch, updated_at: now });
      await appendAudit(tx, {
        actor,
        action: 'user.update',
        target: { type: 'user', id: row.id },
        summary: { username: patch.username ?? row.username, before, after, ...source },
      });
    }
    const updated = { ...row, ...patch, ...(Object.keys(after).length > 0 ? { updated_at: now } : {}) };

    if (changes.active === false && row.disabled === 0)
      return disable(tx, caller, updated, now, { operation: 'deactivate' });
    if (changes.active === true && row.disabled === 1) {
      await accounts.updateUser(tx, row.id, { disabled: 0, disabled_by: null, updated_at: now });
      await appendAudit(tx, {
        actor,
        action: 'user.enable',
        target: { type: 'user', id: row.id },
        summary: {
          username: updated.username,
          before: { disabled: true },
          after: { disabled: false },
          ...source,
        },
      });
      return { ...updated, disabled: 0, disabled_by: null, updated_at: now };
    }
    return updated;
  });
}

/** DELETE /Users/{id}: disabled, its sessions ended, and from then on unknown to SCIM (RFC 7644 §3.6). */
export async function deleteScimUser(h: DbHandle, caller: ScimCaller, id: string): Promise<void> {
  await transaction(h, async (tx) => {
    const row = await getScimUser(tx, id);
    await disable(tx, caller, row, nowIso(), { operation: 'delete' });
  });
}

/**
 * Disables an account and ends its sessions at once. Who disabled it is kept: an account an admin had
 * disabled stays the admin's (SCIM may not re-enable it). Disabling even the last enabled admin: the
 * provider says the person left, and the CLI at the server can always make another admin.
 */
async function disable(
  tx: DbHandle,
  caller: ScimCaller,
  row: accounts.UserRow,
  now: string,
  how: { operation: 'deactivate' | 'delete' },
): Promise<accounts.UserRow> {
  const patch: Partial<accounts.UserRow> = {
    disabled: 1,
    disabled_by: row.disabled === 1 ? (row.disabled_by ?? 'admin') : 'scim',
    updated_at: now,
    ...(how.operation === 'delete' ? { scim_deleted_at: now } : {}),
  };
  await accounts.updateUser(tx, row.id, patch);
  const ended = await accounts.deleteSessionsOfUser(tx, row.id);
  await appendAudit(tx, {
    actor: auditActor(caller),
    action: 'user.disable',
    target: { type: 'user', id: row.id },
    summary: {
      username: row.username,
      before: { disabled: row.disabled === 1 },
      after: { disabled: true },
      sessionsEnded: ended,
      scimOperation: how.operation,
      source: 'scim',
      scimToken: caller.tokenName,
    },
  });
  return { ...row, ...patch };
}
