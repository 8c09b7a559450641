/**
 * @module Tables for manufacturer relations (issue 7, manufacturers part): contacts per manufacturer (the
 * foundation's `manufacturers` row stays as it is; its profile sits beside it), links to the CSAF feed
 * subscriptions that follow it, support dates per model (end of support stays on `device_models`),
 * documents on file per model and the date each kind was last requested, requests to manufacturers with
 * their models and follow-ups, and imported MDS2 forms with their answers (current and history).
 * Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('manufacturer_profiles')
    .addColumn('manufacturer_id', text, (c) => c.primaryKey().references('manufacturers.id'))
    .addColumn('psirt_email', text)
    .addColumn('psirt_url', text)
    .addColumn('psirt_phone', text)
    .addColumn('account_name', text)
    .addColumn('account_email', text)
    .addColumn('account_phone', text)
    .addColumn('support_portal', text)
    .addColumn('notes', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('manufacturer_feeds')
    .addColumn('manufacturer_id', text, (c) => c.notNull().references('manufacturers.id'))
    // A removed subscription takes its links with it.
    .addColumn('feed_source_id', text, (c) => c.notNull().references('feed_sources.id').onDelete('cascade'))
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('manufacturer_feeds_pk', ['manufacturer_id', 'feed_source_id'])
    .execute();

  await db.schema
    .createTable('model_support')
    .addColumn('model_id', text, (c) => c.primaryKey().references('device_models.id'))
    // ISO dates (YYYY-MM-DD); end of support is `device_models.end_of_support`.
    .addColumn('end_of_sale', text)
    .addColumn('end_of_life', text)
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('model_documents')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('model_id', text, (c) => c.notNull().references('device_models.id'))
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('title', text, (c) => c.notNull())
    .addColumn('document_date', text)
    .addColumn('received_date', text)
    .addColumn('file_name', text)
    .addColumn('file_sha256', text)
    .addColumn('file_size', integer)
    .addColumn('notes', text)
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('model_documents_model_kind')
    .on('model_documents')
    .columns(['model_id', 'kind'])
    .execute();

  await db.schema
    .createTable('model_document_requests')
    .addColumn('model_id', text, (c) => c.notNull().references('device_models.id'))
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('last_requested', text, (c) => c.notNull())
    .addColumn('request_id', text)
    .addPrimaryKeyConstraint('model_document_requests_pk', ['model_id', 'kind'])
    .execute();

  await db.schema
    .createTable('manufacturer_requests')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('manufacturer_id', text, (c) => c.notNull().references('manufacturers.id'))
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('subject', text, (c) => c.notNull())
    .addColumn('requested_date', text, (c) => c.notNull())
    .addColumn('requested_by', text, (c) => c.notNull())
    .addColumn('due_date', text)
    .addColumn('answered_date', text)
    .addColumn('answer', text)
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('manufacturer_requests_status')
    .on('manufacturer_requests')
    .columns(['manufacturer_id', 'status'])
    .execute();

  await db.schema
    .createTable('manufacturer_request_models')
    .addColumn('request_id', text, (c) => c.notNull().references('manufacturer_requests.id'))
    .addColumn('model_id', text, (c) => c.notNull().references('device_models.id'))
    .addPrimaryKeyConstraint('manufacturer_request_models_pk', ['request_id', 'model_id'])
    .execute();

  await db.schema
    .createTable('manufacturer_request_events')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('request_id', text, (c) => c.notNull().references('manufacturer_requests.id'))
    .addColumn('at', text, (c) => c.notNull())
    .addColumn('actor', text, (c) => c.notNull())
    // created | follow-up | answered | closed | reopened
    .addColumn('action', text, (c) => c.notNull())
    .addColumn('note', text)
    .execute();
  await db.schema
    .createIndex('manufacturer_request_events_request')
    .on('manufacturer_request_events')
    .columns(['request_id', 'at'])
    .execute();

  await db.schema
    .createTable('mds2_forms')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('model_id', text, (c) => c.notNull().references('device_models.id'))
    .addColumn('document_id', text, (c) => c.references('model_documents.id'))
    .addColumn('manufacturer_name', text)
    .addColumn('model_name', text)
    .addColumn('form_id', text)
    .addColumn('release_date', text)
    .addColumn('file_name', text, (c) => c.notNull())
    .addColumn('file_sha256', text, (c) => c.notNull())
    .addColumn('sheet', text, (c) => c.notNull())
    .addColumn('answer_count', integer, (c) => c.notNull())
    // JSON: the derived capabilities (services, encryption, authentication …), docs/manufacturers.md.
    .addColumn('capabilities', text, (c) => c.notNull())
    .addColumn('current', integer, (c) => c.notNull())
    .addColumn('imported_by', text, (c) => c.notNull())
    .addColumn('imported_at', text, (c) => c.notNull())
    .addColumn('superseded_at', text)
    .addUniqueConstraint('mds2_forms_model_file', ['model_id', 'file_sha256'])
    .execute();
  await db.schema.createIndex('mds2_forms_model').on('mds2_forms').columns(['model_id', 'current']).execute();

  await db.schema
    .createTable('mds2_answers')
    .addColumn('form_id', text, (c) => c.notNull().references('mds2_forms.id'))
    .addColumn('question_id', text, (c) => c.notNull())
    .addColumn('section', text, (c) => c.notNull())
    .addColumn('question', text)
    // yes | no | n/a | see-note | text (DOC answers) | null (blank)
    .addColumn('answer', text)
    .addColumn('value', text)
    .addColumn('note', text)
    .addColumn('row', integer, (c) => c.notNull())
    .addPrimaryKeyConstraint('mds2_answers_pk', ['form_id', 'question_id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
