/**
 * @module Saved views (issue 8, the dashboard): a named filter set of one dashboard page (the query part
 * of its URL), kept per account and optionally shared with everyone who may read devices. Also an index
 * on the audit log's target, which the device page's history (GET /devices/{id}/history) looks entries
 * up by. Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('saved_views')
    .addColumn('id', text, (c) => c.primaryKey())
    // The owner's account name (actor name for tokens and the CLI).
    .addColumn('owner', text, (c) => c.notNull())
    // inventory | queue | tasks | alerts | vulnerabilities | audit
    .addColumn('page', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    // The URL query without the leading '?', e.g. criticality=life-sustaining&sort=model
    .addColumn('query', text, (c) => c.notNull())
    .addColumn('shared', integer, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addUniqueConstraint('saved_views_owner_page_name', ['owner', 'page', 'name'])
    .execute();
  await db.schema
    .createIndex('saved_views_page_shared')
    .on('saved_views')
    .columns(['page', 'shared'])
    .execute();

  // Appending to the audit log stays the only write; an index adds no UPDATE or DELETE path.
  await db.schema
    .createIndex('audit_log_target')
    .on('audit_log')
    .columns(['target_type', 'target_id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
