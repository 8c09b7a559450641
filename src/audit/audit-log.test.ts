import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import type { VigilDatabase } from '../store/database.js';
import { transaction } from '../store/transaction.js';
import { appendAudit, exportAudit, GENESIS_HASH, listAudit, verifyAuditChain } from './audit-log.js';

const actor = { kind: 'user' as const, name: 'alice', ip: '10.0.0.5' };

/** What an attacker with database access (or a careless DBA) would do: bypass the append-only trigger. */
async function tamper(vdb: VigilDatabase, statement: string): Promise<void> {
  if (vdb.dialect === 'sqlite') {
    await sql.raw('DROP TRIGGER audit_log_no_update').execute(vdb.db);
    await sql.raw('DROP TRIGGER audit_log_no_delete').execute(vdb.db);
  } else {
    await sql.raw('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only').execute(vdb.db);
  }
  await sql.raw(statement).execute(vdb.db);
}

describe.each(DIALECTS)('audit log on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  async function seed(n: number) {
    vdb = await freshDatabase(dialect);
    for (let i = 1; i <= n; i++) {
      await appendAudit(vdb, {
        actor,
        action: 'device.update',
        target: { type: 'device', id: `d${i}` },
        summary: { before: { room: `${i}` }, after: { room: `${i + 1}` } },
      });
    }
  }

  it('chains entries from the genesis hash and verifies intact', async () => {
    await seed(5);
    const entries = (await listAudit(vdb, { limit: 10 })).reverse();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.prevHash).toBe(entries[i - 1]!.hash);
    expect(entries[2]!.summary).toEqual({ before: { room: '3' }, after: { room: '4' } });
    expect(await verifyAuditChain(vdb)).toEqual({ ok: true, entries: 5 });
  });

  it('stores an actor name with control characters escaped, and the chain still verifies', async () => {
    await seed(1);
    await appendAudit(vdb, {
      actor: { kind: 'cli', name: 'cli:eve\n2 2026 admin' },
      action: 'device.update',
    });
    const [entry] = await listAudit(vdb, { limit: 1 });
    expect(entry?.actor).toBe('cli:eve\\n2 2026 admin');
    expect((await verifyAuditChain(vdb)).ok).toBe(true);
  });

  it('verifies across pages', async () => {
    await seed(7);
    expect(await verifyAuditChain(vdb, 3)).toEqual({ ok: true, entries: 7 });
  });

  it('names the first altered entry when a row is edited behind the application', async () => {
    await seed(6);
    await tamper(vdb, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 4");
    const result = await verifyAuditChain(vdb);
    expect(result.ok).toBe(false);
    expect(result.entries).toBe(3);
    expect(result.firstBroken).toMatchObject({ seq: 4, reason: expect.stringMatching(/altered/) });
  });

  it('detects a re-hashed row by the next entry', async () => {
    await seed(5);
    // Editing a row and fixing its own hash still breaks the link from the entry after it.
    await tamper(vdb, "UPDATE audit_log SET prev_hash = prev_hash, hash = 'f00d' WHERE seq = 2");
    const result = await verifyAuditChain(vdb);
    expect(result.firstBroken?.seq).toBe(2);
  });

  it('detects a deleted entry', async () => {
    await seed(5);
    await tamper(vdb, 'DELETE FROM audit_log WHERE seq = 3');
    const result = await verifyAuditChain(vdb);
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({ seq: 3, reason: expect.stringMatching(/missing/) });
  });

  it('rolls back with the transaction it was written in', async () => {
    await seed(1);
    await expect(
      transaction(vdb, async (tx) => {
        await appendAudit(tx, { actor, action: 'device.retire' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await verifyAuditChain(vdb)).toEqual({ ok: true, entries: 1 });
  });

  it('keeps the chain whole under concurrent appends', async () => {
    vdb = await freshDatabase(dialect);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        transaction(vdb, (tx) => appendAudit(tx, { actor, action: `concurrent.${i}` })),
      ),
    );
    expect(await verifyAuditChain(vdb)).toEqual({ ok: true, entries: 20 });
  });

  it('filters and exports in chain order', async () => {
    await seed(3);
    await appendAudit(vdb, {
      actor: { kind: 'user', name: 'bob' },
      action: 'auth.login',
      outcome: 'failure',
    });
    expect((await listAudit(vdb, { actor: 'bob' })).map((e) => e.action)).toEqual(['auth.login']);
    expect((await listAudit(vdb, { action: 'device.' })).length).toBe(3);
    const exported = [];
    for await (const e of exportAudit(vdb)) exported.push(e.seq);
    expect(exported).toEqual([1, 2, 3, 4]);
  });
});
