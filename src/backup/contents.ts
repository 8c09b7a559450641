/**
 * @module What a database holds, as a backup's manifest records it and a verification reads it back: the
 * newest migration (which Vigil can restore it), a few counts a person recognises, the audit log's
 * length and head hash after recomputing the whole chain, and the ids of the keys that sealed the secrets
 * in it (a copy restored without that key cannot open them: webhook secrets and URL queries,
 * authenticator keys).
 */
import { sql } from 'kysely';
import { verifyAuditChain } from '../audit/audit-log.js';
import { sealedKeyId } from '../secrets/secret-box.js';
import type { DbHandle } from '../store/transaction.js';

export interface DatabaseContents {
  schemaVersion: string | null;
  counts: { devices: number; findings: number; tasks: number; users: number; advisories: number };
  audit: { entries: number; headHash: string | null; chainOk: boolean; broken?: string };
  sealedKeyIds: string[];
}

async function count(
  h: DbHandle,
  table: 'devices' | 'findings' | 'remediation_tasks' | 'users' | 'advisories',
) {
  const row = await h.db
    .selectFrom(table)
    .select((e) => e.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function readContents(h: DbHandle): Promise<DatabaseContents> {
  const migrations = await sql<{ name: string }>`select name from vigil_migrations order by name desc limit 1`
    .execute(h.db)
    .catch(() => ({ rows: [] as { name: string }[] }));
  const chain = await verifyAuditChain(h);
  const head = await h.db
    .selectFrom('audit_log')
    .select('hash')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const sealed = new Set<string>();
  const secrets = [
    ...(await h.db
      .selectFrom('users')
      .select('totp_secret as v')
      .where('totp_secret', 'is not', null)
      .execute()),
    ...(await h.db
      .selectFrom('alert_destinations')
      .select('secret as v')
      .where('secret', 'is not', null)
      .execute()),
    ...(await h.db
      .selectFrom('alert_destinations')
      .select('url_query as v')
      .where('url_query', 'is not', null)
      .execute()),
  ];
  for (const { v } of secrets) {
    const id = v ? sealedKeyId(v) : null;
    if (id) sealed.add(id);
  }
  return {
    schemaVersion: migrations.rows[0]?.name ?? null,
    counts: {
      devices: await count(h, 'devices'),
      findings: await count(h, 'findings'),
      tasks: await count(h, 'remediation_tasks'),
      users: await count(h, 'users'),
      advisories: await count(h, 'advisories'),
    },
    audit: {
      entries: chain.entries,
      headHash: head?.hash ?? null,
      chainOk: chain.ok,
      ...(chain.firstBroken ? { broken: `entry ${chain.firstBroken.seq}: ${chain.firstBroken.reason}` } : {}),
    },
    sealedKeyIds: [...sealed].sort(),
  };
}
