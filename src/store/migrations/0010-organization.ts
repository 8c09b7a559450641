/**
 * @module Tables for the organization (issue 7, first part): departments per site, people (staff who
 * access network resources, with or without an account; never deleted), security officer designations
 * with their terms, and notifications (the in-app copy per person and the state of its email).
 * Forward-only.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('departments')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('site_id', text, (c) => c.notNull().references('sites.id'))
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('name_key', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addUniqueConstraint('departments_site_name', ['site_id', 'name_key'])
    .execute();

  await db.schema
    .createTable('people')
    .addColumn('id', text, (c) => c.primaryKey())
    // Unique where present; several people may have none (NULLs never collide on either dialect).
    .addColumn('employee_id', text, (c) => c.unique())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('email', text)
    .addColumn('email_key', text, (c) => c.unique())
    .addColumn('phone', text)
    .addColumn('job_role', text)
    .addColumn('department_id', text, (c) => c.references('departments.id'))
    .addColumn('site_id', text, (c) => c.references('sites.id'))
    .addColumn('manager_id', text, (c) => c.references('people.id'))
    .addColumn('network_access', integer, (c) => c.notNull())
    .addColumn('user_id', text, (c) => c.references('users.id').onDelete('set null'))
    .addColumn('active', integer, (c) => c.notNull())
    .addColumn('active_from', text)
    .addColumn('left_on', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('people_site').on('people').columns(['site_id', 'department_id']).execute();
  await db.schema.createIndex('people_user').on('people').column('user_id').execute();

  await db.schema
    .createTable('security_officers')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('person_id', text, (c) => c.notNull().references('people.id'))
    .addColumn('site_id', text, (c) => c.references('sites.id'))
    .addColumn('role', text, (c) => c.notNull())
    .addColumn('term_start', text, (c) => c.notNull())
    .addColumn('term_end', text)
    .addColumn('ended_at', text)
    .addColumn('ended_by', text)
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('security_officers_site').on('security_officers').column('site_id').execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('person_id', text, (c) => c.notNull().references('people.id'))
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('severity', text, (c) => c.notNull())
    .addColumn('title', text, (c) => c.notNull())
    .addColumn('body', text, (c) => c.notNull())
    .addColumn('dedupe_key', text, (c) => c.notNull())
    .addColumn('site_id', text)
    .addColumn('details', text, (c) => c.notNull())
    .addColumn('read_at', text)
    .addColumn('email_state', text, (c) => c.notNull())
    .addColumn('email_attempts', integer, (c) => c.notNull())
    .addColumn('email_error', text)
    .addColumn('emailed_at', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addUniqueConstraint('notifications_person_key', ['person_id', 'dedupe_key'])
    .execute();
  await db.schema
    .createIndex('notifications_person')
    .on('notifications')
    .columns(['person_id', 'created_at'])
    .execute();
  await db.schema.createIndex('notifications_email').on('notifications').column('email_state').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
