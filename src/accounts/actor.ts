/**
 * @module Who is acting: a logged-in user, an API token, the local CLI operator or Vigil itself.
 * Every mutating domain call takes an Actor so the audit log can say who did what from where.
 */
import { forbidden } from '../errors.js';
import type { Permission, Role } from './permissions.js';

export interface Actor {
  kind: 'user' | 'token' | 'cli' | 'system';
  /** User id, token id, OS user name or 'vigil'. */
  id: string;
  /** Shown in the audit log: username, token name, `cli:<os user>`. */
  name: string;
  role?: Role;
  permissions: ReadonlySet<Permission>;
  /** Limits reads and writes to these sites; undefined means every site. */
  siteIds?: readonly string[];
  /** An API token's expiry (ISO): a token it makes may not outlive it. */
  expiresAt?: string;
  /** Client address, when the action came over the network. */
  ip?: string;
  /**
   * A signed-in user without a second factor while `requireMfa` is on: may only enrol one (the
   * `authenticated` routes: session, password, second factor, logout).
   */
  mfaEnrolmentRequired?: boolean;
  /** How a signed-in user proved who they are: their Vigil password, or the identity provider (sso.ts). */
  signIn?: 'password' | 'sso';
}

export function can(actor: Actor, permission: Permission): boolean {
  return actor.permissions.has(permission);
}

export function assertCan(actor: Actor, permission: Permission): void {
  if (!can(actor, permission)) throw forbidden(`This action needs the permission ${permission}`);
}

/** Whether something of this site (null: of no site) is within the actor's reach. */
export function reachesSite(actor: Actor, siteId: string | null): boolean {
  return !actor.siteIds || (siteId !== null && actor.siteIds.includes(siteId));
}

/**
 * Some changes apply to every site at once (a decision for a device model, a VEX statement or an SBOM
 * for a model): an actor limited to some sites may not make them.
 */
export function assertAllSites(actor: Actor, what: string): void {
  if (actor.siteIds)
    throw forbidden(`${what} applies to every site; it needs an account or token not limited to sites`);
}
