import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DIALECTS, describeOnPostgres, freshDatabase, PG_URL } from '../../test/dialects.js';
import { MIGRATIONS, migrateToLatest } from './migrate.js';

describe.each(DIALECTS)('migrations on %s', (dialect) => {
  it('creates every table, and a second run applies nothing', async () => {
    const vdb = await freshDatabase(dialect, { migrate: false });
    try {
      const first = await migrateToLatest(vdb);
      expect(first.applied).toEqual(Object.keys(MIGRATIONS));
      const tables = (await vdb.db.introspection.getTables()).map((t) => t.name);
      for (const t of [
        'sites',
        'segments',
        'manufacturers',
        'device_models',
        'devices',
        'device_identifiers',
        'device_facts',
        'users',
        'sessions',
        'api_tokens',
        'audit_log',
        'settings',
        'device_services',
        'device_protocols',
        'findings',
        'source_imports',
      ]) {
        expect(tables).toContain(t);
      }
      const second = await migrateToLatest(vdb);
      expect(second.applied).toEqual([]);
      expect(second.current).toBe(Object.keys(MIGRATIONS).at(-1));
    } finally {
      await vdb.close();
    }
  });

  it('makes the audit log append-only inside the database', async () => {
    const vdb = await freshDatabase(dialect);
    try {
      const row = {
        seq: 1,
        id: 'a',
        at: '2026-01-01T00:00:00.000Z',
        actor: 'x',
        actor_kind: 'user',
        action: 'test',
        outcome: 'success',
        target_type: null,
        target_id: null,
        ip: null,
        summary: '{}',
        prev_hash: '0',
        hash: 'h',
      };
      await vdb.db.insertInto('audit_log').values(row).execute();
      await expect(vdb.db.updateTable('audit_log').set({ actor: 'y' }).execute()).rejects.toThrow(
        /append-only/,
      );
      await expect(vdb.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
      const count = await vdb.db
        .selectFrom('audit_log')
        .select(sql<number>`count(*)`.as('n'))
        .executeTakeFirstOrThrow();
      expect(count.n).toBe(1);
    } finally {
      await vdb.close();
    }
  });
});

describeOnPostgres('migrations while another session drops schemas', () => {
  // Kysely's own introspector scanned the catalogue of every schema with functions that fail on a schema
  // dropped under the scan; `vigil serve` starting beside other work on the database must not fail for
  // that (own-schema-introspector.ts). A storm of drops, so that a scan of every schema meets one.
  it('migrates a new schema while schemas with tables come and go beside it', async () => {
    const churn = new pg.Client({ connectionString: PG_URL });
    await churn.connect();
    let stop = false;
    const dropping = (async () => {
      for (let i = 0; !stop; i++) {
        const s = `churn_${process.pid}_${i}`;
        await churn.query(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.t (id serial primary key, v text)`);
        await churn.query(`DROP SCHEMA ${s} CASCADE`);
      }
    })();
    try {
      for (let round = 0; round < 4; round++) {
        const vdb = await freshDatabase('postgres', { migrate: false });
        try {
          const r = await migrateToLatest(vdb);
          expect(r.applied).toEqual(Object.keys(MIGRATIONS));
        } finally {
          await vdb.close();
        }
      }
    } finally {
      stop = true;
      await dropping;
      await churn.end();
    }
  });
});
