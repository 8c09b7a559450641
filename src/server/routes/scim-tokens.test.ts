/**
 * SCIM provisioning tokens over the API (GET/POST /scim-tokens, POST /scim-tokens/{id}/revoke): the token
 * is shown once and works at /scim/v2, the hash is never returned, who may do what, validation, the
 * revoked token refused, and the audit entries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import type { ScimToken } from '../../accounts/scim-tokens.js';
import { listAudit } from '../../audit/audit-log.js';

async function body<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

describe.each(DIALECTS)('SCIM tokens over the API (%s)', (dialect) => {
  let h: ApiHarness;
  const scimWith = (token: string) =>
    h.app.request('/scim/v2/Users?count=1', { headers: { authorization: `Bearer ${token}` } });
  const storedHashes = async () =>
    (await h.ctx.vdb.db.selectFrom('scim_tokens').select('token_hash').execute()).map((r) => r.token_hash);

  beforeAll(async () => {
    h = await apiHarness(dialect);
  });
  afterAll(() => h?.close());

  it('makes a token shown once that the provider can use, lists it without secret, revokes it', async () => {
    const made = await body<{ token: string; info: ScimToken }>(
      await h.as('admin').post('/api/v1/scim-tokens', { name: ' Entra ID production ' }),
      201,
    );
    expect(made.token).toMatch(/^vscim_[A-Za-z0-9_-]{40,}$/);
    expect(made.info).toEqual({
      id: made.info.id,
      name: 'Entra ID production',
      prefix: made.token.slice(0, 12),
      createdBy: 'test-admin',
      createdAt: made.info.createdAt,
      lastUsedAt: null,
      revokedAt: null,
      expiresAt: made.info.expiresAt,
    });
    // A year by default.
    expect(Date.parse(made.info.expiresAt!) - Date.parse(made.info.createdAt)).toBe(365 * 86_400_000);
    expect((await scimWith(made.token)).status).toBe(200);

    // Listing is for those who read accounts; never the token or its hash.
    const res = await h.as('auditor').get('/api/v1/scim-tokens');
    const text = await res.clone().text();
    const listed = await body<ScimToken[]>(res);
    expect(listed).toHaveLength(1);
    expect(Object.keys(listed[0]!).sort()).toEqual(
      ['createdAt', 'createdBy', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt'].sort(),
    );
    expect(listed[0]).toMatchObject({ id: made.info.id, name: 'Entra ID production' });
    expect(listed[0]!.lastUsedAt).not.toBeNull();
    expect(text).not.toContain(made.token);
    const hashes = await storedHashes();
    expect(hashes).toHaveLength(1);
    for (const hash of hashes) expect(text).not.toContain(hash);

    const revoked = await body<ScimToken>(
      await h.as('admin').post(`/api/v1/scim-tokens/${made.info.id}/revoke`),
    );
    expect(revoked.revokedAt).not.toBeNull();
    expect(Object.keys(revoked)).not.toContain('tokenHash');
    expect((await scimWith(made.token)).status).toBe(401);
    // Revoking again changes nothing and keeps the first time.
    const again = await body<ScimToken>(
      await h.as('admin').post(`/api/v1/scim-tokens/${made.info.id}/revoke`),
    );
    expect(again.revokedAt).toBe(revoked.revokedAt);

    const audit = await listAudit(h.ctx.vdb, { limit: 20 });
    const mine = audit.filter((e) => e.targetId === made.info.id);
    expect(mine.map((e) => [e.action, e.actor])).toEqual([
      ['scim-token.revoke', 'test-admin'],
      ['scim-token.create', 'test-admin'],
    ]);
  });

  it('takes no name (the default) and refuses a bad or misspelt one, making nothing', async () => {
    const plain = await body<{ info: ScimToken }>(
      await h.as('admin').request('POST', '/api/v1/scim-tokens'),
      201,
    );
    expect(plain.info.name).toBe('identity provider');
    const week = await body<{ info: ScimToken }>(
      await h.as('admin').post('/api/v1/scim-tokens', { expiresInDays: 7 }),
      201,
    );
    expect(Date.parse(week.info.expiresAt!) - Date.parse(week.info.createdAt)).toBe(7 * 86_400_000);
    const before = (await storedHashes()).length;
    for (const bad of [
      { name: '' },
      { name: '   ' },
      { name: 'x'.repeat(101) },
      { nmae: 'Okta' },
      { name: 3 },
      { expiresInDays: 0 },
      { expiresInDays: 731 },
      { expiresInDays: 1.5 },
      { expiresInDays: '30' },
    ]) {
      const problem = await body<{ issues: Array<{ field?: string }> }>(
        await h.as('admin').post('/api/v1/scim-tokens', bad),
        400,
      );
      expect(problem.issues.length, JSON.stringify(bad)).toBeGreaterThan(0);
    }
    expect((await storedHashes()).length).toBe(before);
  });

  it('needs users:write to make or revoke, and says which token is unknown', async () => {
    const made = await body<{ info: ScimToken }>(
      await h.as('admin').post('/api/v1/scim-tokens', { name: 'Okta' }),
      201,
    );
    // The security officer reads accounts but may not change them, nor hand that power to a provider.
    expect((await h.as('security-officer').post('/api/v1/scim-tokens', { name: 'x' })).status).toBe(403);
    expect((await h.as('auditor').post(`/api/v1/scim-tokens/${made.info.id}/revoke`)).status).toBe(403);
    expect((await h.as('clinical-engineer').get('/api/v1/scim-tokens')).status).toBe(403);
    expect((await h.anonymous.get('/api/v1/scim-tokens')).status).toBe(401);
    const listed = await body<ScimToken[]>(await h.as('security-officer').get('/api/v1/scim-tokens'));
    expect(listed.find((t) => t.id === made.info.id)?.revokedAt).toBeNull();
    const missing = await h.as('admin').post('/api/v1/scim-tokens/no-such-token/revoke');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('no-such-token');
  });
});
