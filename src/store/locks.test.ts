import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnPostgres, freshDatabase } from '../../test/dialects.js';
import type { VigilDatabase } from './database.js';
import { takeLock } from './locks.js';
import { transaction } from './transaction.js';

/** A promise and the function that resolves it. */
function signal(): { wait: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const wait = new Promise<void>((r) => {
    fire = r;
  });
  return { wait, fire };
}

describeOnPostgres('advisory locks on PostgreSQL', () => {
  let a: VigilDatabase;
  let b: VigilDatabase;
  beforeAll(async () => {
    a = await freshDatabase('postgres');
    b = await freshDatabase('postgres');
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('two transactions asking in opposite orders do not deadlock: the later one waits for the first whole', async () => {
    const order: string[] = [];
    const t1HasInventory = signal();
    const t2Asked = signal();
    const t1 = transaction(a, async (tx) => {
      await takeLock(tx, 'inventory');
      order.push('t1 inventory');
      t1HasInventory.fire();
      await t2Asked.wait;
      // Give t2 time to block on its lock before t1 asks for the next one.
      await new Promise((r) => setTimeout(r, 200));
      await takeLock(tx, 'audit');
      order.push('t1 audit');
    });
    await t1HasInventory.wait;
    const t2 = transaction(a, async (tx) => {
      const asking = takeLock(tx, 'audit');
      t2Asked.fire();
      await asking;
      order.push('t2 audit');
      await takeLock(tx, 'inventory');
      order.push('t2 inventory');
    });
    // With one lock per call (the old way) t1 held inventory and waited for audit while t2 held audit
    // and waited for inventory: PostgreSQL aborted one with "deadlock detected".
    await Promise.all([t1, t2]);
    expect(order).toEqual(['t1 inventory', 't1 audit', 't2 audit', 't2 inventory']);
  });

  it('a lock held in one schema does not block the same lock in another', async () => {
    const held = signal();
    const release = signal();
    const t1 = transaction(a, async (tx) => {
      await takeLock(tx, 'audit');
      held.fire();
      await release.wait;
    });
    await held.wait;
    let took = false;
    await transaction(b, async (tx) => {
      await takeLock(tx, 'audit');
      took = true;
    });
    expect(took).toBe(true);
    release.fire();
    await t1;
  });
});
