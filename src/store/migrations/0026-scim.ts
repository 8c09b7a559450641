/**
 * @module SCIM 2.0 provisioning from the identity provider (docs/sso.md, "Provisioning (SCIM)"): the
 * bearer tokens the provider presents (stored as SHA-256, never the token), and on accounts who disabled
 * one (an admin in Vigil or the provider through SCIM, which may re-enable only its own), the provider's
 * own id for the person (SCIM `externalId`), and when the provider deleted the account (kept, disabled,
 * for the audit trail; SCIM answers 404 for it from then on, RFC 7644 §3.6). Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scim_tokens')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('token_hash', text, (c) => c.notNull().unique())
    // First characters of the token, to recognise it in lists.
    .addColumn('prefix', text, (c) => c.notNull())
    // Who made it (the audit actor's name, e.g. cli:alice).
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('last_used_at', text)
    .addColumn('revoked_at', text)
    .execute();
  // admin | scim; null while enabled (and for accounts disabled before 0026: taken as admin).
  await db.schema.alterTable('users').addColumn('disabled_by', text).execute();
  await db.schema.alterTable('users').addColumn('scim_external_id', text).execute();
  await db.schema.alterTable('users').addColumn('scim_deleted_at', text).execute();
  await db.schema.createIndex('users_scim_external_id').on('users').column('scim_external_id').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
