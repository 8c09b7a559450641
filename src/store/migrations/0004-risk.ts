/**
 * @module Tables for risk (issue 5): overrides of SSVC decision points per device or per model, with a
 * reason and an expiry (expired overrides stay, for the record, and are simply no longer applied).
 * Forward-only like every migration.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('risk_overrides')
    .addColumn('id', text, (c) => c.primaryKey())
    /** device | model */
    .addColumn('scope', text, (c) => c.notNull())
    .addColumn('device_id', text, (c) => c.references('devices.id').onDelete('cascade'))
    .addColumn('model_id', text, (c) => c.references('device_models.id').onDelete('cascade'))
    .addColumn('point', text, (c) => c.notNull())
    .addColumn('value', text, (c) => c.notNull())
    .addColumn('reason', text, (c) => c.notNull())
    .addColumn('expires_at', text, (c) => c.notNull())
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('revoked_at', text)
    .execute();
  await db.schema.createIndex('risk_overrides_device').on('risk_overrides').column('device_id').execute();
  await db.schema.createIndex('risk_overrides_model').on('risk_overrides').column('model_id').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
