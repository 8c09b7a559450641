import { type KyselyPlugin, SelectQueryNode, TableNode } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor, TEST_PASSWORD } from '../../test/factories.js';
import { createUser } from '../accounts/users.js';
import type { VigilDatabase } from '../store/database.js';
import type { DbHandle } from '../store/transaction.js';
import { auditTargetLabels, targetLabelIn } from './target-labels.js';

/** A handle on `vdb` that notes the tables each SELECT reads from. */
function recording(vdb: VigilDatabase): { h: DbHandle; tables: string[] } {
  const tables: string[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: ({ node }) => {
      if (SelectQueryNode.is(node))
        for (const f of node.from?.froms ?? []) if (TableNode.is(f)) tables.push(f.table.identifier.name);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  return { h: { db: vdb.db.withPlugin(plugin), dialect: vdb.dialect }, tables };
}

describe.each(DIALECTS)('audit target labels on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  it('reads only the kinds of target the page has', async () => {
    vdb = await freshDatabase(dialect);
    const user = await createUser(vdb, cliActor, {
      username: 'lab.tech',
      role: 'auditor',
      password: TEST_PASSWORD,
    });
    const entries = [
      { targetType: 'user', targetId: user.id },
      { targetType: 'user', targetId: 'deleted-user' },
      { targetType: null, targetId: null },
    ];
    const { h, tables } = recording(vdb);
    const labels = await auditTargetLabels(h, entries);
    expect(tables).toEqual(['users']);
    expect(entries.map((e) => targetLabelIn(labels, e))).toEqual(['lab.tech', null, null]);
  });

  it('reads nothing for a page without targets', async () => {
    vdb = await freshDatabase(dialect);
    const { h, tables } = recording(vdb);
    const labels = await auditTargetLabels(h, [{ targetType: null, targetId: null }]);
    expect(tables).toEqual([]);
    expect(labels.size).toBe(0);
  });
});
