/**
 * @module The identity provider's session id (`sid`) behind a single sign-on session, so that the
 * provider's back-channel logout can end exactly the Vigil sessions opened from the session the person
 * signed out of. Null for password sign-ins and for providers that send no `sid`. Forward-only.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('sso_sid', 'text').execute();
  await db.schema.createIndex('sessions_sso_sid').on('sessions').column('sso_sid').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
