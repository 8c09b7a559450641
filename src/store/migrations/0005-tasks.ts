/**
 * @module Tables for tasks (issue 5). Filled in by the tasks work; forward-only like every migration.
 */
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<unknown>): Promise<void> {}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
