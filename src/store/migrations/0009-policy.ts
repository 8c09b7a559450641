/**
 * @module Table for segmentation policies (issue 6): every version of a site's policy (or the all-sites
 * policy), draft or approved, with its JSON document. The approved policy of a scope is the newest
 * approved version; approving another one supersedes it. Forward-only like every migration.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('policies')
    .addColumn('id', text, (c) => c.primaryKey())
    // '-' for the policy covering every site, so the unique index below also holds for it.
    .addColumn('scope', text, (c) => c.notNull())
    .addColumn('site_id', text, (c) => c.references('sites.id').onDelete('cascade'))
    .addColumn('version', integer, (c) => c.notNull())
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('origin', text, (c) => c.notNull())
    .addColumn('document', text, (c) => c.notNull())
    .addColumn('rule_count', integer, (c) => c.notNull())
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('approved_by', text)
    .addColumn('approved_at', text)
    .addColumn('superseded_at', text)
    .execute();
  await db.schema
    .createIndex('policies_scope_version')
    .on('policies')
    .columns(['scope', 'version'])
    .unique()
    .execute();
  await db.schema.createIndex('policies_scope_state').on('policies').columns(['scope', 'state']).execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
