/**
 * @module SCIM provisioning tokens expire (docs/sso.md, "Provisioning (SCIM)"): a token that can make and
 * disable accounts should not live forever unnoticed. Tokens made before this migration keep no expiry
 * (null) and are listed as such, so an admin can replace them. Forward-only.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('scim_tokens').addColumn('expires_at', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
