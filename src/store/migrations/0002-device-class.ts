/**
 * @module Gives each device its own class. 0001 put `device_class` only on device models, but a CMMS row
 * or a capture often knows what a device is (an infusion pump) without knowing its exact model, and two
 * devices of one model can be filed differently; the model's class is now the default for its devices.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('devices')
    .addColumn('device_class', 'text', (c) => c.notNull().defaultTo('unknown'))
    .execute();
  await db.schema.createIndex('devices_device_class').on('devices').column('device_class').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
