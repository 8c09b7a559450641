/**
 * @module First schema: sites and segments, manufacturers and models, devices with identifiers and
 * facts, accounts, sessions, API tokens, the audit log and settings. Written with Kysely's schema
 * builder so the same code runs on SQLite and PostgreSQL; the two trigger blocks are the only
 * dialect-specific SQL (they make the audit log append-only inside the database too).
 */
import { type Kysely, SqliteAdapter, sql } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sites')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('name_key', text, (c) => c.notNull().unique())
    .addColumn('description', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('segments')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('site_id', text, (c) => c.notNull().references('sites.id').onDelete('cascade'))
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('cidrs', text, (c) => c.notNull())
    .addColumn('vlan', integer)
    .addColumn('zone', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addUniqueConstraint('segments_site_name', ['site_id', 'name'])
    .execute();

  await db.schema
    .createTable('manufacturers')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('name_key', text, (c) => c.notNull().unique())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('device_models')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('manufacturer_id', text, (c) => c.notNull().references('manufacturers.id'))
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('name_key', text, (c) => c.notNull())
    .addColumn('model_number', text)
    .addColumn('device_class', text, (c) => c.notNull())
    .addColumn('fda_product_code', text)
    .addColumn('fda_risk_class', text)
    .addColumn('criticality', text)
    .addColumn('ephi_stores', integer)
    .addColumn('ephi_transmits', integer)
    .addColumn('default_services', text, (c) => c.notNull())
    .addColumn('end_of_support', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addUniqueConstraint('device_models_manufacturer_name', ['manufacturer_id', 'name_key'])
    .execute();

  await db.schema
    .createTable('devices')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('model_id', text, (c) => c.references('device_models.id'))
    // The model's class is only the default: a CMMS row or a capture often knows "infusion pump"
    // without the exact model, and two devices of one model can be filed differently.
    .addColumn('device_class', text, (c) => c.notNull().defaultTo('unknown'))
    .addColumn('asset_tag', text)
    .addColumn('asset_tag_key', text, (c) => c.unique())
    .addColumn('serial_number', text)
    .addColumn('serial_key', text)
    .addColumn('udi', text)
    .addColumn('udi_key', text, (c) => c.unique())
    .addColumn('firmware_version', text)
    .addColumn('software_version', text)
    .addColumn('os', text)
    .addColumn('os_version', text)
    .addColumn('os_end_of_support', text)
    .addColumn('criticality', text)
    .addColumn('ephi', integer)
    .addColumn('site_id', text, (c) => c.references('sites.id'))
    .addColumn('building', text)
    .addColumn('floor', text)
    .addColumn('room', text)
    .addColumn('department', text)
    .addColumn('owner', text)
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('lifecycle_status', text)
    .addColumn('merged_into', text, (c) => c.references('devices.id'))
    .addColumn('first_seen', text)
    .addColumn('last_seen', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  for (const col of [
    'serial_key',
    'model_id',
    'device_class',
    'site_id',
    'state',
    'criticality',
    'last_seen',
    'department',
  ] as const) {
    await db.schema.createIndex(`devices_${col}`).on('devices').column(col).execute();
  }

  await db.schema
    .createTable('device_identifiers')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('device_id', text, (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('value', text, (c) => c.notNull())
    .addColumn('source', text, (c) => c.notNull())
    .addColumn('first_seen', text, (c) => c.notNull())
    .addColumn('last_seen', text, (c) => c.notNull())
    .addUniqueConstraint('device_identifiers_device_kind_value', ['device_id', 'kind', 'value'])
    .execute();
  await db.schema
    .createIndex('device_identifiers_kind_value')
    .on('device_identifiers')
    .columns(['kind', 'value'])
    .execute();

  await db.schema
    .createTable('device_facts')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('device_id', text, (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('field', text, (c) => c.notNull())
    .addColumn('value', text)
    .addColumn('source', text, (c) => c.notNull())
    .addColumn('source_ref', text)
    .addColumn('first_seen', text, (c) => c.notNull())
    .addColumn('last_seen', text, (c) => c.notNull())
    .addUniqueConstraint('device_facts_device_field_source', ['device_id', 'field', 'source'])
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('username', text, (c) => c.notNull())
    .addColumn('username_key', text, (c) => c.notNull().unique())
    .addColumn('display_name', text)
    .addColumn('role', text, (c) => c.notNull())
    .addColumn('password_hash', text, (c) => c.notNull())
    .addColumn('disabled', integer, (c) => c.notNull().defaultTo(0))
    .addColumn('failed_logins', integer, (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', text)
    .addColumn('last_login_at', text)
    .addColumn('password_changed_at', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('user_id', text, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_token', text, (c) => c.notNull())
    .addColumn('ip', text)
    .addColumn('user_agent', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('last_seen_at', text, (c) => c.notNull())
    .addColumn('expires_at', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('token_hash', text, (c) => c.notNull().unique())
    .addColumn('prefix', text, (c) => c.notNull())
    .addColumn('created_by', text, (c) => c.notNull().references('users.id'))
    .addColumn('permissions', text, (c) => c.notNull())
    .addColumn('site_ids', text)
    .addColumn('expires_at', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('last_used_at', text)
    .addColumn('revoked_at', text)
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('id', text, (c) => c.notNull().unique())
    .addColumn('at', text, (c) => c.notNull())
    .addColumn('actor', text, (c) => c.notNull())
    .addColumn('actor_kind', text, (c) => c.notNull())
    .addColumn('action', text, (c) => c.notNull())
    .addColumn('outcome', text, (c) => c.notNull())
    .addColumn('target_type', text)
    .addColumn('target_id', text)
    .addColumn('ip', text)
    .addColumn('summary', text, (c) => c.notNull())
    .addColumn('prev_hash', text, (c) => c.notNull())
    .addColumn('hash', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', text, (c) => c.primaryKey())
    .addColumn('value', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();

  await makeAuditLogAppendOnly(db);
}

/** The application never updates or deletes audit entries; the database refuses to as well. */
async function makeAuditLogAppendOnly(db: Kysely<unknown>): Promise<void> {
  const dialect = await detectDialect(db);
  if (dialect === 'sqlite') {
    for (const op of ['UPDATE', 'DELETE']) {
      await sql
        .raw(`CREATE TRIGGER audit_log_no_${op.toLowerCase()} BEFORE ${op} ON audit_log
              BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`)
        .execute(db);
    }
  } else {
    await sql
      .raw(`CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`)
      .execute(db);
  }
}

async function detectDialect(db: Kysely<unknown>): Promise<'sqlite' | 'postgres'> {
  return db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'postgres';
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
