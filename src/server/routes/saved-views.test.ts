/**
 * Saved views on the server (GET/POST /saved-views, DELETE /saved-views/{id}): one's own and the shared
 * ones of others, replace by name, who may remove what, validation, and the audit entries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { createApiToken } from '../../accounts/api-tokens.js';
import { createSite } from '../../inventory/site-service.js';

interface View {
  id: string;
  owner: string;
  page: string;
  name: string;
  query: string;
  shared: boolean;
  removable: boolean;
}

async function body<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

describe.each(DIALECTS)('saved views (%s)', (dialect) => {
  let h: ApiHarness;
  const list = async (role: Parameters<ApiHarness['as']>[0], page = 'inventory') =>
    (await body<{ items: View[] }>(await h.as(role).get(`/api/v1/saved-views?page=${page}`))).items;

  beforeAll(async () => {
    h = await apiHarness(dialect);
  });
  afterAll(() => h?.close());

  it('keeps private views to their owner and shows shared ones to everyone who reads devices', async () => {
    const eng = h.as('clinical-engineer');
    const mine = await body<View>(
      await eng.post('/api/v1/saved-views', {
        page: 'inventory',
        name: 'My pumps',
        query: '?deviceClass=infusion-pump',
      }),
      201,
    );
    expect(mine).toMatchObject({
      owner: 'test-clinical-engineer',
      query: 'deviceClass=infusion-pump',
      shared: false,
      removable: true,
    });
    const team = await body<View>(
      await eng.post('/api/v1/saved-views', {
        page: 'inventory',
        name: 'Life-sustaining',
        query: 'criticality=life-sustaining&sort=model',
        shared: true,
      }),
      201,
    );
    expect((await list('clinical-engineer')).map((v) => v.name)).toEqual(['Life-sustaining', 'My pumps']);
    const seen = await list('auditor');
    expect(seen.map((v) => [v.name, v.owner, v.removable])).toEqual([
      ['Life-sustaining', 'test-clinical-engineer', false],
    ]);
    expect((await list('admin'))[0]).toMatchObject({ id: team.id, removable: true });
    // Another page's views are not listed with ?page=inventory.
    await body(
      await eng.post('/api/v1/saved-views', { page: 'alerts', name: 'New', query: 'state=new' }),
      201,
    );
    expect((await list('clinical-engineer')).map((v) => v.name)).not.toContain('New');
    expect((await list('clinical-engineer', 'alerts')).map((v) => v.name)).toEqual(['New']);
  });

  it('replaces a view of the same page and name, keeping its id', async () => {
    const eng = h.as('clinical-engineer');
    const before = (await list('clinical-engineer')).find((v) => v.name === 'My pumps')!;
    const after = await body<View>(
      await eng.post('/api/v1/saved-views', {
        page: 'inventory',
        name: 'My pumps',
        query: 'deviceClass=infusion-pump&site=North',
        shared: true,
      }),
      200,
    );
    expect(after).toMatchObject({
      id: before.id,
      query: 'deviceClass=infusion-pump&site=North',
      shared: true,
    });
    expect((await list('clinical-engineer')).filter((v) => v.name === 'My pumps')).toHaveLength(1);
  });

  it('lets the owner remove a view, refuses others without users:write, and hides private ones', async () => {
    const eng = h.as('clinical-engineer');
    const priv = await body<View>(
      await eng.post('/api/v1/saved-views', { page: 'tasks', name: 'Mine only', query: 'state=open' }),
      201,
    );
    // Someone else's private view does not exist for the security officer, even with users:write.
    expect((await h.as('admin').request('DELETE', `/api/v1/saved-views/${priv.id}`)).status).toBe(404);
    const shared = (await list('auditor')).find((v) => v.name === 'Life-sustaining')!;
    const refused = await h.as('security-officer').request('DELETE', `/api/v1/saved-views/${shared.id}`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/users:write/);
    await body(await h.as('admin').request('DELETE', `/api/v1/saved-views/${shared.id}`));
    expect((await list('auditor')).map((v) => v.name)).toEqual(['My pumps']);
    await body(await eng.request('DELETE', `/api/v1/saved-views/${priv.id}`));
    expect((await eng.request('DELETE', `/api/v1/saved-views/${priv.id}`)).status).toBe(404);
  });

  it('refuses a bad page, an empty name or a query that is not one', async () => {
    const eng = h.as('clinical-engineer');
    for (const bad of [
      { page: 'settings', name: 'x', query: '' },
      { page: 'inventory', name: '   ', query: '' },
      { page: 'inventory', name: 'x', query: 'q=a b' },
      { page: 'inventory', name: 'x', query: 'q=a#frag' },
    ]) {
      const res = await eng.post('/api/v1/saved-views', bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await h.anonymous.get('/api/v1/saved-views')).status).toBe(401);
  });

  it('audits every change', async () => {
    const audit = await body<{
      items: { action: string; actor: string; summary: Record<string, unknown> }[];
    }>(await h.as('auditor').get('/api/v1/audit?action=saved-view.&limit=100'));
    const actions = audit.items.map((e) => `${e.actor} ${e.action}`).reverse();
    expect(actions).toEqual([
      'test-clinical-engineer saved-view.create',
      'test-clinical-engineer saved-view.create',
      'test-clinical-engineer saved-view.create',
      'test-clinical-engineer saved-view.update',
      'test-clinical-engineer saved-view.create',
      'test-admin saved-view.delete',
      'test-clinical-engineer saved-view.delete',
    ]);
    expect(
      audit.items.find((e) => e.action === 'saved-view.delete' && e.actor === 'test-admin')!.summary,
    ).toMatchObject({
      owner: 'test-clinical-engineer',
      name: 'Life-sustaining',
      shared: true,
    });
  });
  it("lets a token limited to a site remove its own views but not another's shared one", async () => {
    const team = await body<View>(
      await h.as('clinical-engineer').post('/api/v1/saved-views', {
        page: 'alerts',
        name: 'Every site',
        query: 'state=new',
        shared: true,
      }),
      201,
    );
    await createSite(h.ctx.vdb, cliActor, { name: 'North Clinic' });
    const { token } = await createApiToken(h.ctx.vdb, cliActor, {
      name: 'north-views',
      owner: 'test-admin',
      permissions: ['devices:read', 'users:write'],
      sites: ['North Clinic'],
    });
    const north = h.withToken(token);
    const listed = await body<{ items: View[] }>(await north.get('/api/v1/saved-views?page=alerts'));
    expect(listed.items.find((v) => v.id === team.id)?.removable).toBe(false);
    // A shared view is every site's readers': users:write alone would let one site take it from all.
    const refused = await north.request('DELETE', `/api/v1/saved-views/${team.id}`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/applies to every site/);
    const own = await body<View>(
      await north.post('/api/v1/saved-views', { page: 'alerts', name: 'North', query: 'site=north' }),
      201,
    );
    expect(own.removable).toBe(true);
    await body(await north.request('DELETE', `/api/v1/saved-views/${own.id}`));
    expect((await list('auditor', 'alerts')).map((v) => v.name)).toEqual(['Every site']);
  });
});
