/**
 * The back-channel logout tokens Vigil has acted on, on every dialect: a token is taken once, a second
 * claim (a replay) is refused, a token past its time is pruned, and on PostgreSQL two instances (two
 * connection pools on one schema) claiming the same token at once get one yes and one no.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, PG_URL } from '../../test/dialects.js';
import { claimLogoutToken } from './account-store.js';
import { openDatabase, type VigilDatabase } from './database.js';
import { transaction } from './transaction.js';

describe.each(DIALECTS)('logout tokens acted on, on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterAll(async () => {
    await vdb?.close();
  });

  const now = '2026-12-01T10:00:00.000Z';
  const later = '2026-12-01T10:11:00.000Z';

  it('takes a token once and refuses it again while it could pass the age check', async () => {
    expect(await claimLogoutToken(vdb, 'k-1', later, now)).toBe(true);
    expect(await claimLogoutToken(vdb, 'k-1', later, now)).toBe(false);
    expect(await claimLogoutToken(vdb, 'k-2', later, now)).toBe(true);
  });

  it('forgets tokens past their time, and only those', async () => {
    await claimLogoutToken(vdb, 'k-old', '2026-12-01T10:05:00.000Z', now);
    await claimLogoutToken(vdb, 'k-young', '2026-12-01T10:20:00.000Z', now);
    expect(await claimLogoutToken(vdb, 'k-other', later, '2026-12-01T10:06:00.000Z')).toBe(true);
    const kept = (await vdb.db.selectFrom('sso_logout_tokens').select('token_key').execute()).map(
      (r) => r.token_key,
    );
    expect(kept).not.toContain('k-old');
    expect(kept).toContain('k-young');
    expect(await claimLogoutToken(vdb, 'k-young', later, '2026-12-01T10:06:00.000Z')).toBe(false);
  });

  it('leaves a token unused when the transaction that claimed it rolls back', async () => {
    await expect(
      transaction(vdb, async (tx) => {
        expect(await claimLogoutToken(tx, 'k-failed', later, now)).toBe(true);
        throw new Error('ending the sessions failed');
      }),
    ).rejects.toThrow('ending the sessions failed');
    expect(await claimLogoutToken(vdb, 'k-failed', later, now)).toBe(true);
  });

  it.runIf(dialect === 'postgres')(
    'gives one of two instances claiming the same token at once the token',
    async () => {
      const other = await openDatabase(PG_URL!, { schema: vdb.schema!, poolSize: 2 });
      try {
        for (let i = 0; i < 5; i++) {
          const key = `k-race-${i}`;
          const results = await Promise.all([
            transaction(vdb, (tx) => claimLogoutToken(tx, key, later, now)),
            transaction(other, (tx) => claimLogoutToken(tx, key, later, now)),
          ]);
          expect(results.sort()).toEqual([false, true]);
        }
      } finally {
        await other.close();
      }
    },
  );
});
