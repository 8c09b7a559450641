/**
 * @module Tables for staff cybersecurity training (issue 7, training part): courses with their
 * recurrence, grace period, optional compliance target and assignment rules (JSON), and completions
 * per person and course, recorded by hand or imported from a learning system. A completion is unique
 * per (person, course, completed_on), which makes imports idempotent. Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('training_courses')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('code', text, (c) => c.notNull())
    // Lower-cased code and name: what imports and the CLI find a course by.
    .addColumn('code_key', text, (c) => c.notNull().unique())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('name_key', text, (c) => c.notNull())
    .addColumn('description', text)
    // Months a completion stays valid; null for a course taken once.
    .addColumn('recurrence_months', integer)
    .addColumn('grace_days', integer, (c) => c.notNull())
    // YYYY-MM-DD: nobody's first due date counts from before it (a new course does not make staff
    // hired years ago overdue on its first day); null = from each person's start.
    .addColumn('required_from', text)
    // Fraction 0..1; null means the organization's target.
    .addColumn('target', 'double precision')
    // JSON array of assignment rules (program/training/assignment.ts).
    .addColumn('assignment', text, (c) => c.notNull())
    .addColumn('active', integer, (c) => c.notNull())
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('training_courses_name').on('training_courses').column('name_key').execute();

  await db.schema
    .createTable('training_completions')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('person_id', text, (c) => c.notNull().references('people.id'))
    .addColumn('course_id', text, (c) => c.notNull().references('training_courses.id'))
    // YYYY-MM-DD as the learning system (or the person recording it) wrote it.
    .addColumn('completed_on', text, (c) => c.notNull())
    .addColumn('passed', integer, (c) => c.notNull())
    .addColumn('score', 'double precision')
    // manual | import | api
    .addColumn('source', text, (c) => c.notNull())
    // Where it came from: "file.csv line 7", or a note for a manual record.
    .addColumn('source_ref', text)
    .addColumn('recorded_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addUniqueConstraint('training_completions_key', ['person_id', 'course_id', 'completed_on'])
    .execute();
  await db.schema
    .createIndex('training_completions_course')
    .on('training_completions')
    .columns(['course_id', 'person_id', 'completed_on'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
