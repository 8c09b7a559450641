/**
 * @module Risk context (issue 5): the MITRE-rubric questionnaire answers, one row per device model; and
 * on each vulnerability summary CISA's SSVC decision points from the CVE 5 ADP container and the
 * references tagged as exploits, which the queue uses as exploitation evidence. Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('model_rubrics')
    .addColumn('model_id', text, (c) => c.primaryKey().references('device_models.id').onDelete('cascade'))
    .addColumn('answers', text, (c) => c.notNull())
    .addColumn('notes', text)
    .addColumn('answered_by', text, (c) => c.notNull())
    .addColumn('answered_at', text, (c) => c.notNull())
    .execute();
  await db.schema.alterTable('vulnerabilities').addColumn('ssvc', text).execute();
  await db.schema.alterTable('vulnerabilities').addColumn('exploit_refs', text).execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
