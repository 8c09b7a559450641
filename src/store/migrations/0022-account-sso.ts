/**
 * @module Single sign-on accounts (OpenID Connect): an account either signs in with its own password
 * (`local`) or through the hospital's identity provider (`oidc`), which Vigil knows by the provider's
 * issuer and subject, never by the name it shows. Forward-only.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('auth_source', 'text', (c) => c.notNull().defaultTo('local'))
    .execute();
  // "<issuer> <subject>": stable where a user name can be renamed or reused by someone else.
  await db.schema.alterTable('users').addColumn('external_id', 'text').execute();
  // When the provider last said the sign-in used more than one factor (amr/acr); null when the last one did not.
  await db.schema.alterTable('users').addColumn('sso_mfa_at', 'text').execute();
  await db.schema.createIndex('users_external_id').unique().on('users').column('external_id').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
