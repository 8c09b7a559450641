/**
 * @module Logout tokens already acted on (OpenID Connect Back-Channel Logout 1.0 §2.6: a `jti` must not
 * be accepted twice), kept in the database so that every `vigil serve` on one PostgreSQL refuses a
 * replay, not only the instance that first received the token. A row is kept only while its token could
 * still pass the age check, then pruned. Forward-only.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sso_logout_tokens')
    // SHA-256 of "<issuer> <jti>": fixed length, so a provider's long jti cannot overflow an index entry.
    .addColumn('token_key', 'text', (c) => c.primaryKey())
    // When the token can no longer pass the age check (its iat + max age + clock skew): pruned after.
    .addColumn('forget_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sso_logout_tokens_forget')
    .on('sso_logout_tokens')
    .column('forget_at')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
