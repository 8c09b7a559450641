/**
 * @module Tables for FDA recalls and device identity (issue 7, recalls part): openFDA recall and
 * enforcement records (one row per source record, keyed on its natural key), FDA product codes,
 * GUDID device records with every DI they carry, recall-to-device matches with their basis and the
 * person's decision, and the campaign opened per recall and model. Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('fda_recalls')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('natural_key', text, (c) => c.notNull().unique())
    .addColumn('source', text, (c) => c.notNull())
    .addColumn('event_number', text)
    .addColumn('recall_number', text, (c) => c.notNull())
    .addColumn('product_code', text)
    .addColumn('k_numbers', text, (c) => c.notNull())
    .addColumn('pma_numbers', text, (c) => c.notNull())
    .addColumn('product_description', text)
    .addColumn('code_info', text)
    .addColumn('recalling_firm', text)
    .addColumn('reason', text)
    .addColumn('root_cause', text)
    .addColumn('action', text)
    .addColumn('classification', text)
    .addColumn('status', text)
    .addColumn('initiated', text)
    .addColumn('posted', text)
    .addColumn('terminated', text)
    .addColumn('product_quantity', text)
    .addColumn('device_name', text)
    .addColumn('medical_specialty', text)
    .addColumn('device_class', text)
    .addColumn('regulation_number', text)
    .addColumn('cyber', integer, (c) => c.notNull())
    .addColumn('cyber_terms', text, (c) => c.notNull())
    .addColumn('source_file', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('fda_recalls_number').on('fda_recalls').column('recall_number').execute();
  await db.schema.createIndex('fda_recalls_product_code').on('fda_recalls').column('product_code').execute();
  await db.schema
    .createIndex('fda_recalls_initiated')
    .on('fda_recalls')
    .columns(['initiated', 'id'])
    .execute();

  await db.schema
    .createTable('fda_product_codes')
    .addColumn('product_code', text, (c) => c.primaryKey())
    .addColumn('device_name', text)
    .addColumn('device_class', text)
    .addColumn('medical_specialty', text)
    .addColumn('medical_specialty_description', text)
    .addColumn('regulation_number', text)
    .addColumn('definition', text)
    .addColumn('implant', integer)
    .addColumn('life_sustaining', integer)
    .addColumn('source_file', text)
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('gudid_devices')
    .addColumn('record_key', text, (c) => c.primaryKey())
    .addColumn('primary_di', text, (c) => c.notNull())
    .addColumn('issuing_agency', text)
    .addColumn('brand_name', text)
    .addColumn('model_number', text)
    .addColumn('model_key', text)
    .addColumn('catalog_number', text)
    .addColumn('catalog_key', text)
    .addColumn('company_name', text)
    .addColumn('description', text)
    .addColumn('distribution_status', text)
    .addColumn('product_codes', text, (c) => c.notNull())
    .addColumn('submissions', text, (c) => c.notNull())
    .addColumn('identifiers', text, (c) => c.notNull())
    .addColumn('source_file', text)
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('gudid_devices_model').on('gudid_devices').column('model_key').execute();
  await db.schema.createIndex('gudid_devices_catalog').on('gudid_devices').column('catalog_key').execute();

  // Every DI (primary, package, unit of use) → its record, so a scanned package label finds the device.
  await db.schema
    .createTable('gudid_identifiers')
    .addColumn('di', text, (c) => c.primaryKey())
    .addColumn('record_key', text, (c) => c.notNull())
    .addColumn('type', text, (c) => c.notNull())
    .addColumn('issuing_agency', text)
    .execute();
  await db.schema
    .createIndex('gudid_identifiers_record')
    .on('gudid_identifiers')
    .column('record_key')
    .execute();

  await db.schema
    .createTable('recall_matches')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('recall_id', text, (c) => c.notNull().references('fda_recalls.id').onDelete('cascade'))
    .addColumn('device_id', text, (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('model_id', text)
    .addColumn('basis', text, (c) => c.notNull())
    .addColumn('confidence', text, (c) => c.notNull())
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('explanation', text, (c) => c.notNull())
    .addColumn('evidence', text, (c) => c.notNull())
    .addColumn('decided_by', text)
    .addColumn('decided_at', text)
    .addColumn('decision_reason', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addUniqueConstraint('recall_matches_recall_device', ['recall_id', 'device_id'])
    .execute();
  await db.schema.createIndex('recall_matches_device').on('recall_matches').column('device_id').execute();
  await db.schema
    .createIndex('recall_matches_state')
    .on('recall_matches')
    .columns(['state', 'recall_id'])
    .execute();

  await db.schema
    .createTable('recall_campaigns')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('recall_id', text, (c) => c.notNull().references('fda_recalls.id').onDelete('cascade'))
    .addColumn('model_id', text, (c) => c.notNull())
    .addColumn('campaign_id', text, (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addUniqueConstraint('recall_campaigns_recall_model', ['recall_id', 'model_id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
