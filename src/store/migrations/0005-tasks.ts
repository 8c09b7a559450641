/**
 * @module Tables for the update process (issue 5): remediation tasks (one per device and vulnerability,
 * finding or campaign action), their event history, risk acceptances, and campaigns (one update or
 * recall across a model and version). Forward-only like every migration.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('campaigns')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('title', text, (c) => c.notNull())
    .addColumn('action', text, (c) => c.notNull())
    .addColumn('model_id', text, (c) => c.notNull().references('device_models.id'))
    .addColumn('version', text)
    .addColumn('vuln_key', text)
    .addColumn('fix', text)
    .addColumn('due_at', text)
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('risk_acceptances')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('scope', text, (c) => c.notNull())
    .addColumn('vuln_key', text, (c) => c.notNull())
    .addColumn('device_id', text, (c) => c.references('devices.id').onDelete('cascade'))
    .addColumn('model_id', text, (c) => c.references('device_models.id'))
    .addColumn('version', text)
    .addColumn('decision', text, (c) => c.notNull())
    .addColumn('reason', text, (c) => c.notNull())
    .addColumn('controls', text, (c) => c.notNull())
    .addColumn('approver', text, (c) => c.notNull())
    .addColumn('approver_kind', text, (c) => c.notNull())
    .addColumn('expires_at', text, (c) => c.notNull())
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('ended_at', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('risk_acceptances_state')
    .on('risk_acceptances')
    .columns(['state', 'expires_at'])
    .execute();

  await db.schema
    .createTable('remediation_tasks')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('device_id', text, (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('vuln_key', text)
    .addColumn('finding_id', text, (c) => c.references('findings.id').onDelete('set null'))
    .addColumn('campaign_id', text, (c) => c.references('campaigns.id'))
    .addColumn('acceptance_id', text, (c) => c.references('risk_acceptances.id'))
    .addColumn('title', text, (c) => c.notNull())
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('due_at', text)
    .addColumn('sla_seconds', integer)
    .addColumn('assignee', text)
    .addColumn('department_contacted', text)
    .addColumn('window_start', text)
    .addColumn('window_end', text)
    .addColumn('applied_by', text)
    .addColumn('applied_at', text)
    .addColumn('fix', text)
    .addColumn('controls', text, (c) => c.notNull())
    .addColumn('verified_at', text)
    .addColumn('verification', text)
    .addColumn('close_reason', text)
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('remediation_tasks_device')
    .on('remediation_tasks')
    .columns(['device_id', 'vuln_key'])
    .execute();
  await db.schema
    .createIndex('remediation_tasks_state')
    .on('remediation_tasks')
    .columns(['state', 'due_at'])
    .execute();
  await db.schema
    .createIndex('remediation_tasks_campaign')
    .on('remediation_tasks')
    .column('campaign_id')
    .execute();
  await db.schema
    .createIndex('remediation_tasks_acceptance')
    .on('remediation_tasks')
    .column('acceptance_id')
    .execute();
  await db.schema
    .createIndex('remediation_tasks_finding')
    .on('remediation_tasks')
    .column('finding_id')
    .execute();

  await db.schema
    .createTable('task_events')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('task_id', text, (c) => c.notNull().references('remediation_tasks.id').onDelete('cascade'))
    .addColumn('at', text, (c) => c.notNull())
    .addColumn('actor', text, (c) => c.notNull())
    .addColumn('action', text, (c) => c.notNull())
    .addColumn('from_state', text)
    .addColumn('to_state', text, (c) => c.notNull())
    .addColumn('details', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('task_events_task').on('task_events').columns(['task_id', 'id']).execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
