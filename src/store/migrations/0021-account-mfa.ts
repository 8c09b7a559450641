/**
 * @module A second factor for Vigil's own accounts: a TOTP authenticator (RFC 6238) and one-time
 * recovery codes. The TOTP secret is sealed with the key outside the database (secrets/secret-box.ts);
 * recovery codes are kept only as SHA-256 hashes. Forward-only.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Sealed TOTP secret; set while enrolling, kept once confirmed.
  await db.schema.alterTable('users').addColumn('totp_secret', 'text').execute();
  // When the authenticator was confirmed: the second factor is required from then on.
  await db.schema.alterTable('users').addColumn('totp_enabled_at', 'text').execute();
  // The last accepted 30-second time step: a code is accepted once (RFC 6238 §5.2).
  await db.schema.alterTable('users').addColumn('totp_last_step', 'integer').execute();
  // JSON array of {hash, usedAt}: SHA-256 of each recovery code, and when it was used.
  await db.schema.alterTable('users').addColumn('mfa_recovery', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
