/**
 * @module Table for compliance reviews (issue 7, compliance reporting): the recorded sign-offs that
 * the asset inventory and the network map were reviewed (HHS's proposed yearly schedule). Everything
 * else in a compliance report is computed from what other areas hold. Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('compliance_reviews')
    .addColumn('id', text, (c) => c.primaryKey())
    // inventory | network-map
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('note', text)
    .addColumn('reviewed_by', text, (c) => c.notNull())
    .addColumn('reviewed_at', text, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('compliance_reviews_kind_at')
    .on('compliance_reviews')
    .columns(['kind', 'reviewed_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
