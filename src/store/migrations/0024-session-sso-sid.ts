/**
 * @module What a single sign-on session needs for logging out with the identity provider: the provider's
 * session id (`sid`), so that its back-channel logout ends exactly the Vigil sessions opened from the
 * session the person signed out of; and the ID token, sealed with Vigil's secret key, which signing out
 * at the provider sends back as `id_token_hint` (Okta requires it). Null for password sign-ins, and
 * `sid` for providers that send none. Forward-only.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('sso_sid', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('sso_id_token', 'text').execute();
  await db.schema.createIndex('sessions_sso_sid').on('sessions').column('sso_sid').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
