/**
 * @module Forward-only migrations, the same set on both dialects, bundled into the build (no files
 * are read at run time). `vigil db migrate` and `vigil serve` call `migrateToLatest`.
 */
import { type Migration, type MigrationResultSet, Migrator } from 'kysely';
import { VigilError } from '../errors.js';
import type { VigilDatabase } from './database.js';
import * as m0001 from './migrations/0001-foundation.js';
import * as m0002 from './migrations/0002-discovery.js';
import * as m0003 from './migrations/0003-advisories.js';
import * as m0004 from './migrations/0004-risk.js';
import * as m0005 from './migrations/0005-tasks.js';
import * as m0006 from './migrations/0006-risk-context.js';
import * as m0007 from './migrations/0007-alerts.js';
import * as m0008 from './migrations/0008-communications.js';
import * as m0009 from './migrations/0009-policy.js';
import * as m0010 from './migrations/0010-organization.js';
import * as m0011 from './migrations/0011-training.js';
import * as m0012 from './migrations/0012-manufacturers.js';
import * as m0013 from './migrations/0013-recalls.js';
import * as m0014 from './migrations/0014-compliance.js';
import * as m0015 from './migrations/0015-sensors.js';
import * as m0016 from './migrations/0016-saved-views.js';
import * as m0017 from './migrations/0017-match-queue.js';
import * as m0018 from './migrations/0018-import-jobs.js';
import * as m0019 from './migrations/0019-device-sanitizations.js';
import * as m0020 from './migrations/0020-fingerprint-evidence.js';
import * as m0021 from './migrations/0021-account-mfa.js';
import * as m0022 from './migrations/0022-account-sso.js';
import * as m0023 from './migrations/0023-backups.js';
import * as m0024 from './migrations/0024-session-sso-sid.js';
import * as m0025 from './migrations/0025-sso-logout-tokens.js';
import * as m0026 from './migrations/0026-scim.js';
import * as m0027 from './migrations/0027-task-deliveries.js';
import * as m0028 from './migrations/0028-scim-token-expiry.js';
import * as m0029 from './migrations/0029-fact-confidence.js';
import * as m0030 from './migrations/0030-webhook-url-query.js';

/** Append new migrations here; names sort in the order they run. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-discovery': m0002,
  '0003-advisories': m0003,
  '0004-risk': m0004,
  '0005-tasks': m0005,
  '0006-risk-context': m0006,
  '0007-alerts': m0007,
  '0008-communications': m0008,
  '0009-policy': m0009,
  '0010-organization': m0010,
  '0011-training': m0011,
  '0012-manufacturers': m0012,
  '0013-recalls': m0013,
  '0014-compliance': m0014,
  '0015-sensors': m0015,
  '0016-saved-views': m0016,
  '0017-match-queue': m0017,
  '0018-import-jobs': m0018,
  '0019-device-sanitizations': m0019,
  '0020-fingerprint-evidence': m0020,
  '0021-account-mfa': m0021,
  '0022-account-sso': m0022,
  '0023-backups': m0023,
  '0024-session-sso-sid': m0024,
  '0025-sso-logout-tokens': m0025,
  '0026-scim': m0026,
  '0027-task-deliveries': m0027,
  '0028-scim-token-expiry': m0028,
  '0029-fact-confidence': m0029,
  '0030-webhook-url-query': m0030,
};

export interface MigrationReport {
  applied: string[];
  current: string | undefined;
}

export async function migrateToLatest(vdb: VigilDatabase): Promise<MigrationReport> {
  const migrator = new Migrator({
    db: vdb.db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'vigil_migrations',
    migrationLockTableName: 'vigil_migrations_lock',
    // Kysely looks for its tables across all schemas; pin them to Vigil's own.
    ...(vdb.schema ? { migrationTableSchema: vdb.schema } : {}),
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  const failed = result.results?.find((r) => r.status === 'Error');
  if (result.error || failed) {
    throw new VigilError(
      'internal',
      `Migration ${failed?.migrationName ?? ''} failed on ${vdb.description}: ${(result.error as Error | undefined)?.message ?? 'unknown error'}`,
      { cause: result.error },
    );
  }
  const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const all = await migrator.getMigrations();
  const done = all.filter((m) => m.executedAt);
  return { applied, current: done.at(-1)?.name };
}
