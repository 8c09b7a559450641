/**
 * SCIM 2.0 provisioning over real HTTP requests to the real app, with a real OpenID Connect provider for
 * the sign-ins (test/oidc-provider.ts). Request bodies are those the providers document:
 * - Microsoft Entra ID: "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra
 *   ID", section "User operations" (learn.microsoft.com/entra/identity/app-provisioning/
 *   use-scim-to-provision-users-and-groups): Create User, Get User by query, Disable User; its
 *   deactivation with "Replace" and the string "False" as the provisioning service sends it without the
 *   SCIM-compliance flag ("Known issues and resolutions with SCIM 2.0 protocol compliance of the
 *   Microsoft Entra user provisioning service", application-provisioning-config-problem-scim-compatibility).
 * - Okta: "Okta and SCIM Version 2.0" (developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20):
 *   Create the user (with its `password` field), Retrieve users by userName with startIndex and count,
 *   Update a specific user (PATCH, no path) and (PUT).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, cliActor } from '../../test/api-harness.js';
import { DIALECTS } from '../../test/dialects.js';
import { startTestProvider, type TestProvider } from '../../test/oidc-provider.js';
import { REDIRECT, sessionOf, signIn, ssoConfig } from '../../test/sso-flow.js';
import { createScimToken, revokeScimToken } from '../accounts/scim-tokens.js';
import { listAudit } from '../audit/audit-log.js';

const BASE = '/scim/v2';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** Entra ID's Create User request, as its tutorial shows it. */
const entraCreate = (userName: string, externalId: string) => ({
  schemas: [
    'urn:ietf:params:scim:schemas:core:2.0:User',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  ],
  externalId,
  userName,
  active: true,
  emails: [{ primary: true, type: 'work', value: `${userName}@testuser.com` }],
  meta: { resourceType: 'User' },
  name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
  roles: [],
});
/** Entra ID's deactivation: capitalised op, the boolean as a string. */
const entraActive = (value: 'False' | 'True') => ({
  schemas: [PATCH_OP],
  Operations: [{ op: 'Replace', path: 'active', value }],
});
/** Okta's Create User request, as its SCIM 2.0 reference shows it (a password Vigil must not keep). */
const oktaCreate = (userName: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName,
  name: { givenName: 'Test', familyName: 'User' },
  emails: [{ primary: true, value: userName, type: 'work' }],
  displayName: 'Test User',
  locale: 'en-US',
  externalId: '00ujl29u0le5T6Aj10h7',
  groups: [],
  password: '1mz050nq',
  active: true,
});
/** Okta's deactivation: lower-case op, no path, the attributes in the value. */
const oktaActive = (active: boolean) => ({
  schemas: [PATCH_OP],
  Operations: [{ op: 'replace', value: { active } }],
});

interface ScimUser {
  id: string;
  userName: string;
  active: boolean;
  displayName?: string;
  externalId?: string;
  meta: { location: string };
}
interface ScimList {
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: ScimUser[];
}
interface ScimErrorBody {
  schemas: string[];
  status: string;
  scimType?: string;
  detail: string;
}

describe.each(DIALECTS)('SCIM 2.0 provisioning on %s', (dialect) => {
  let op: TestProvider;
  let h: ApiHarness;
  let token: string;

  beforeAll(async () => {
    op = await startTestProvider(REDIRECT);
    // Where people open Vigil: what the SCIM answers name themselves by (meta.location).
    h = await apiHarness(dialect, { ...(await ssoConfig(op)), publicUrl: 'https://vigil.hospital.example' });
    token = (await createScimToken(h.ctx.vdb, cliActor, { name: 'entra-prod' })).token;
  });
  afterAll(async () => {
    await h?.close();
    await op?.close();
  });

  const scim = (
    method: string,
    path: string,
    body?: unknown,
    opts: { token?: string | null; raw?: boolean } = {},
  ) => {
    const bearer = opts.token === undefined ? token : opts.token;
    const headers: Record<string, string> = { 'content-type': 'application/scim+json' };
    if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
    return h.app.request(`${BASE}${path}`, {
      method,
      headers,
      ...(body === undefined
        ? {}
        : { body: body instanceof Uint8Array ? body : opts.raw ? String(body) : JSON.stringify(body) }),
    });
  };
  const json = async <T>(res: Response) => (await res.json()) as T;
  const byUserName = async (userName: string) =>
    json<ScimList>(await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`));
  const expectError = async (res: Response, status: number, scimType?: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/scim+json');
    const body = await json<ScimErrorBody>(res);
    expect(body.schemas).toEqual([ERROR]);
    expect(body.status).toBe(String(status));
    if (scimType) expect(body.scimType).toBe(scimType);
    return body;
  };
  const userRow = (id: string) =>
    h.ctx.vdb.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('refuses a request without a token, with a wrong, a revoked or an API token', async () => {
    const none = await expectError(await scim('GET', '/Users', undefined, { token: null }), 401);
    expect(none.detail).toMatch(/vigil scim token create/);
    const wrong = await scim('GET', '/Users', undefined, { token: `vscim_${'A'.repeat(43)}` });
    await expectError(wrong, 401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const { token: old, info } = await createScimToken(h.ctx.vdb, cliActor, { name: 'okta-old' });
    expect((await scim('GET', '/ServiceProviderConfig', undefined, { token: old })).status).toBe(200);
    await revokeScimToken(h.ctx.vdb, cliActor, info.id);
    await expectError(await scim('GET', '/ServiceProviderConfig', undefined, { token: old }), 401);
    // An API token of Vigil's is not a SCIM token, even an admin's.
    const api = (await (await h.as('admin').post('/api/v1/tokens', { name: 'siem' })).json()) as {
      token: string;
    };
    expect(api.token).toMatch(/^vgl_/);
    await expectError(await scim('GET', '/Users', undefined, { token: api.token }), 401);
    // Nothing is created by a refused request.
    const refused = await scim('POST', '/Users', entraCreate('intruder', 'x'), { token: old });
    await expectError(refused, 401);
    expect((await byUserName('intruder')).totalResults).toBe(0);
    const audit = await listAudit(h.ctx.vdb, { limit: 10 });
    expect(audit.map((e) => e.action)).toEqual(
      expect.arrayContaining(['scim-token.create', 'scim-token.revoke']),
    );
  });

  it('says what it supports: Users only, PATCH, filters, no bulk', async () => {
    const config = await scim('GET', '/ServiceProviderConfig');
    expect(config.status).toBe(200);
    expect(config.headers.get('content-type')).toBe('application/scim+json');
    expect(await config.json()).toMatchObject({
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 100 },
      authenticationSchemes: [{ type: 'oauthbearertoken' }],
    });
    const types = await json<{ Resources: Array<{ id: string; endpoint: string }> }>(
      await scim('GET', '/ResourceTypes'),
    );
    expect(types.Resources.map((t) => [t.id, t.endpoint])).toEqual([['User', '/Users']]);
    const schemas = await json<{ Resources: Array<{ id: string }> }>(await scim('GET', '/Schemas'));
    expect(schemas.Resources.map((s) => s.id)).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User']);
    const one = await scim('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
    expect(await json<{ id: string }>(one)).toMatchObject({
      id: 'urn:ietf:params:scim:schemas:core:2.0:User',
    });
    expect((await scim('GET', '/ResourceTypes/User')).status).toBe(200);
    await expectError(await scim('GET', '/Schemas/urn:example:other'), 404);
    await expectError(await scim('GET', '/Groups?excludedAttributes=members'), 501);
  });

  it('Entra ID: creates the account, the first sign-in links it, deactivation ends the session and refuses sign-in', async () => {
    const userName = 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1';
    expect(await byUserName(userName)).toMatchObject({ totalResults: 0, Resources: [] });
    const created = await scim(
      'POST',
      '/Users',
      entraCreate(userName, '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef'),
    );
    expect(created.status).toBe(201);
    const user = await json<ScimUser>(created);
    expect(user).toMatchObject({
      userName,
      active: true,
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      displayName: 'givenName familyName',
    });
    expect(created.headers.get('location')).toBe(user.meta.location);
    expect(user.meta.location).toBe(`https://vigil.hospital.example/scim/v2/Users/${user.id}`);
    expect(await byUserName(userName.toLowerCase())).toMatchObject({ totalResults: 1 });
    const byExternalId = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')}`,
    );
    expect((await json<ScimList>(byExternalId)).Resources.map((u) => u.id)).toEqual([user.id]);

    // Admin → Users tells a provisioned account from one that signed in, and who disabled one.
    const listed = async () =>
      ((await (await h.as('admin').get('/api/v1/users')).json()) as Record<string, unknown>[]).find(
        (u) => u.id === user.id,
      );
    expect(await listed()).toMatchObject({ awaitingFirstSignIn: true, disabled: false, disabledBy: null });

    // Entra's `sub` is pairwise per application and is not the externalId: the user name links it.
    const person = { sub: 'pairwise-Xk3v9', preferred_username: userName, groups: ['biomed-engineering'] };
    const first = await signIn(h, op, person);
    expect(first.session).toBeDefined();
    const s = await sessionOf(h, first.session!);
    expect(s.body.actor).toMatchObject({ name: userName, role: 'clinical-engineer' });
    expect((await userRow(user.id)).external_id).toBe(`${op.issuer} pairwise-Xk3v9`);

    const off = await scim('PATCH', `/Users/${user.id}`, entraActive('False'));
    expect(off.status).toBe(200);
    expect(await json<ScimUser>(off)).toMatchObject({ id: user.id, active: false });
    expect((await sessionOf(h, first.session!)).status).toBe(401);
    expect((await signIn(h, op, person)).location).toBe('/?ssoError=disabled');
    expect(await listed()).toMatchObject({
      awaitingFirstSignIn: false,
      role: 'clinical-engineer',
      disabled: true,
      disabledBy: 'scim',
    });
    const audit = await listAudit(h.ctx.vdb, { limit: 30 });
    expect(audit.find((e) => e.action === 'user.disable' && e.targetId === user.id)).toMatchObject({
      actor: 'scim',
      actorKind: 'system',
      summary: { username: userName, sessionsEnded: 1, source: 'scim', scimToken: 'entra-prod' },
    });
    expect(audit.find((e) => e.action === 'user.create' && e.targetId === user.id)).toMatchObject({
      actor: 'scim',
      summary: { source: 'scim', scimToken: 'entra-prod' },
    });
    expect(audit.find((e) => e.action === 'user.link' && e.targetId === user.id)).toBeDefined();

    const on = await scim('PATCH', `/Users/${user.id}`, entraActive('True'));
    expect(await json<ScimUser>(on)).toMatchObject({ active: true });
    expect((await signIn(h, op, person)).session).toBeDefined();
  });

  it('Okta: creates the account without keeping its password, deactivates it by PATCH without a path, reactivates by PUT', async () => {
    const userName = 'test.user@okta.local';
    const list = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`,
    );
    expect(await json<ScimList>(list)).toMatchObject({ totalResults: 0, startIndex: 1 });
    const created = await scim('POST', '/Users', oktaCreate(userName));
    expect(created.status).toBe(201);
    const user = await json<ScimUser>(created);
    expect(user).toMatchObject({ userName, displayName: 'Test User', active: true });
    const row = await userRow(user.id);
    expect(row).toMatchObject({ auth_source: 'oidc', password_hash: '!sso', external_id: null });
    expect(JSON.stringify(row)).not.toContain('1mz050nq');
    expect(JSON.stringify(await listAudit(h.ctx.vdb, { limit: 50 }))).not.toContain('1mz050nq');

    // Okta's `sub` is the Okta user id; the sign-in links by user name all the same.
    const person = { sub: '00ujl29u0le5T6Aj10h7', preferred_username: userName, groups: ['ciso-office'] };
    const one = await signIn(h, op, person);
    const two = await signIn(h, op, person);
    expect((await sessionOf(h, one.session!)).status).toBe(200);

    const off = await scim('PATCH', `/Users/${user.id}`, oktaActive(false));
    expect(await json<ScimUser>(off)).toMatchObject({ active: false });
    expect((await sessionOf(h, one.session!)).status).toBe(401);
    expect((await sessionOf(h, two.session!)).status).toBe(401);
    expect((await signIn(h, op, person)).location).toBe('/?ssoError=disabled');

    const put = await scim('PUT', `/Users/${user.id}`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: user.id,
      userName,
      name: { givenName: 'Another', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Another User',
      locale: 'en-US',
      groups: [],
      active: true,
    });
    expect(put.status).toBe(200);
    expect(await json<ScimUser>(put)).toMatchObject({ displayName: 'Another User', active: true });
    expect((await signIn(h, op, person)).session).toBeDefined();
  });

  it('deactivates an account made by a sign-in before provisioning started, found by its user name', async () => {
    const person = { sub: 'kc-7101', preferred_username: 'g.haas', groups: ['ciso-office'] };
    const r = await signIn(h, op, person);
    const found = await byUserName('g.haas');
    expect(found.totalResults).toBe(1);
    const id = found.Resources[0]!.id;
    expect((await scim('PATCH', `/Users/${id}`, entraActive('False'))).status).toBe(200);
    expect((await sessionOf(h, r.session!)).status).toBe(401);
    expect((await signIn(h, op, person)).location).toBe('/?ssoError=disabled');
  });

  it('DELETE disables the account, ends its sessions, and SCIM no longer knows it; the audit trail stays', async () => {
    const userName = 'h.ivers@hospital.example';
    const user = await json<ScimUser>(await scim('POST', '/Users', entraCreate(userName, 'oid-h-ivers')));
    const person = { sub: 'pairwise-hivers', preferred_username: userName, groups: ['ciso-office'] };
    const r = await signIn(h, op, person);
    const res = await scim('DELETE', `/Users/${user.id}`);
    expect(res.status).toBe(204);
    expect((await sessionOf(h, r.session!)).status).toBe(401);
    expect((await signIn(h, op, person)).location).toBe('/?ssoError=disabled');
    await expectError(await scim('GET', `/Users/${user.id}`), 404);
    await expectError(await scim('PATCH', `/Users/${user.id}`, entraActive('True')), 404);
    await expectError(await scim('DELETE', `/Users/${user.id}`), 404);
    expect((await byUserName(userName)).totalResults).toBe(0);
    // Kept, disabled: its history still names it.
    expect(await userRow(user.id)).toMatchObject({ username: userName, disabled: 1 });
    const again = await expectError(
      await scim('POST', '/Users', entraCreate(userName, 'oid-2')),
      409,
      'uniqueness',
    );
    expect(again.detail).toMatch(/deleted through SCIM/);
    const entry = (await listAudit(h.ctx.vdb, { limit: 20 })).find(
      (e) => e.action === 'user.disable' && e.targetId === user.id,
    );
    expect(entry?.summary).toMatchObject({ scimOperation: 'delete', sessionsEnded: 1 });
  });

  it('never sees, takes or changes a local account', async () => {
    const local = (await (await h.as('admin').get('/api/v1/users')).json()) as Array<{
      id: string;
      username: string;
    }>;
    const engineer = local.find((u) => u.username === 'test-clinical-engineer')!;
    const clash = await expectError(
      await scim('POST', '/Users', entraCreate('test-clinical-engineer', 'oid-x')),
      409,
      'uniqueness',
    );
    expect(clash.detail).toMatch(/local Vigil account/);
    expect((await byUserName('test-clinical-engineer')).totalResults).toBe(0);
    const all = await json<ScimList>(await scim('GET', '/Users?count=100'));
    expect(all.Resources.map((u) => u.userName)).not.toContain('test-clinical-engineer');
    await expectError(await scim('GET', `/Users/${engineer.id}`), 404);
    await expectError(await scim('PATCH', `/Users/${engineer.id}`, entraActive('False')), 404);
    await expectError(await scim('DELETE', `/Users/${engineer.id}`), 404);
    expect((await h.as('clinical-engineer').get('/api/v1/auth/session')).status).toBe(200);
    // Nor renames a single sign-on account onto a local account's name.
    const sso = await json<ScimUser>(await scim('POST', '/Users', entraCreate('j.quinn', 'oid-jq')));
    const rename = await scim('PATCH', `/Users/${sso.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'userName', value: 'test-admin' }],
    });
    await expectError(rename, 409, 'uniqueness');
  });

  it('does not re-enable an account an admin disabled in Vigil', async () => {
    const user = await json<ScimUser>(await scim('POST', '/Users', entraCreate('k.lund', 'oid-kl')));
    expect((await h.as('admin').post('/api/v1/users/k.lund/disable')).status).toBeLessThan(300);
    const refused = await expectError(
      await scim('PATCH', `/Users/${user.id}`, entraActive('True')),
      400,
      'mutability',
    );
    expect(refused.detail).toMatch(/disabled by an admin/);
    // Deactivating it again keeps it the admin's.
    expect((await scim('PATCH', `/Users/${user.id}`, oktaActive(false))).status).toBe(200);
    await expectError(await scim('PATCH', `/Users/${user.id}`, oktaActive(true)), 400, 'mutability');
    expect((await userRow(user.id)).disabled).toBe(1);
    const users = (await (await h.as('admin').get('/api/v1/users')).json()) as Record<string, unknown>[];
    expect(users.find((u) => u.id === user.id)).toMatchObject({ disabledBy: 'admin' });
    // An admin who disables an account the provider had deactivated makes it theirs too.
    const other = await json<ScimUser>(await scim('POST', '/Users', entraCreate('p.santos', 'oid-ps')));
    expect((await scim('PATCH', `/Users/${other.id}`, entraActive('False'))).status).toBe(200);
    expect((await h.as('admin').post('/api/v1/users/p.santos/disable')).status).toBeLessThan(300);
    await expectError(await scim('PATCH', `/Users/${other.id}`, entraActive('True')), 400, 'mutability');
  });

  it('refuses filters other than userName eq and externalId eq', async () => {
    for (const filter of [
      'displayName eq "x"',
      'userName co "Test"',
      'userName eq x',
      'userName eq "a" or userName eq "b"',
      'emails[type eq "work"].value eq "a@b.c"',
    ]) {
      const res = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`);
      await expectError(res, 400, 'invalidFilter');
    }
  });

  it('pages with startIndex and count', async () => {
    for (const n of [1, 2, 3]) await scim('POST', '/Users', entraCreate(`page.user${n}`, `oid-page-${n}`));
    const all = await json<ScimList>(await scim('GET', '/Users?startIndex=1&count=100'));
    const page = await json<ScimList>(await scim('GET', '/Users?startIndex=2&count=2'));
    expect(page).toMatchObject({ totalResults: all.totalResults, startIndex: 2, itemsPerPage: 2 });
    expect(page.Resources.map((u) => u.id)).toEqual(all.Resources.slice(1, 3).map((u) => u.id));
    const none = await json<ScimList>(await scim('GET', '/Users?count=0'));
    expect(none).toMatchObject({ totalResults: all.totalResults, itemsPerPage: 0, Resources: [] });
    await expectError(await scim('GET', '/Users?count=ten'), 400, 'invalidValue');
  });

  it('refuses malformed bodies, naming what is wrong, and changes nothing', async () => {
    const before = (await json<ScimList>(await scim('GET', '/Users?count=100'))).totalResults;
    await expectError(await scim('POST', '/Users', '{"userName": ', { raw: true }), 400, 'invalidSyntax');
    const noName = await expectError(await scim('POST', '/Users', { active: true }), 400, 'invalidValue');
    expect(noName.detail).toMatch(/userName/);
    const badName = await expectError(
      await scim('POST', '/Users', entraCreate('has spaces in it', 'oid-s')),
      400,
      'invalidValue',
    );
    expect(badName.detail).toMatch(/not a Vigil user name/);
    await expectError(
      await scim('POST', '/Users', { ...entraCreate('l.moss', 'oid-lm'), active: 'maybe' }),
      400,
      'invalidValue',
    );
    const user = await json<ScimUser>(await scim('POST', '/Users', entraCreate('m.ortiz', 'oid-mo')));
    const cases: Array<[unknown, string]> = [
      [{ schemas: [PATCH_OP], Operations: [] }, 'invalidValue'],
      [
        { schemas: [PATCH_OP], Operations: [{ op: 'Frobnicate', path: 'active', value: false }] },
        'invalidValue',
      ],
      [
        { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'maybe' }] },
        'invalidValue',
      ],
      [{ schemas: [PATCH_OP], Operations: [{ op: 'Remove' }] }, 'noTarget'],
      [{ schemas: [PATCH_OP], Operations: [{ op: 'Replace', value: 'False' }] }, 'invalidSyntax'],
      [{ schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'userName' }] }, 'mutability'],
      [
        { schemas: ['urn:example:not-a-patch'], Operations: [{ op: 'replace', value: { active: false } }] },
        'invalidSyntax',
      ],
    ];
    for (const [body, scimType] of cases)
      await expectError(await scim('PATCH', `/Users/${user.id}`, body), 400, scimType);
    expect(await userRow(user.id)).toMatchObject({ disabled: 0, username: 'm.ortiz' });
    const huge = { ...entraCreate('n.park', 'oid-np'), displayName: 'x'.repeat(70 * 1024) };
    await expectError(await scim('POST', '/Users', huge), 413);
    expect((await json<ScimList>(await scim('GET', '/Users?count=100'))).totalResults).toBe(before + 1);
  });

  it('refuses a body holding a byte that is not UTF-8 at its offset, and takes a real "é" and U+FFFD', async () => {
    const before = (await json<ScimList>(await scim('GET', '/Users?count=100'))).totalResults;
    const auditBefore = (await listAudit(h.ctx.vdb, { limit: 10_000 })).length;
    // A provider's connector on Windows-1252 sends "José" with "é" as the one byte 0xE9.
    const bytes = Buffer.from(
      JSON.stringify({ ...entraCreate('j.alvarez', 'oid-ja'), displayName: 'José' }),
      'latin1',
    );
    const offset = bytes.indexOf(0xe9);
    const bad = await expectError(await scim('POST', '/Users', bytes), 400, 'invalidSyntax');
    expect(bad.detail).toBe(`The body is not UTF-8 text (byte 0xE9 at offset ${offset})`);
    const user = await json<ScimUser>(await scim('POST', '/Users', entraCreate('k.ito', 'oid-ki')));
    const patch = Buffer.from(
      JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { displayName: 'Ké' } }] }),
      'latin1',
    );
    await expectError(await scim('PATCH', `/Users/${user.id}`, patch), 400, 'invalidSyntax');
    expect((await json<ScimUser>(await scim('GET', `/Users/${user.id}`))).displayName).not.toBe('K\uFFFD');
    expect((await json<ScimList>(await scim('GET', '/Users?count=100'))).totalResults).toBe(before + 1);
    expect((await listAudit(h.ctx.vdb, { limit: 10_000 })).length).toBe(auditBefore + 1);
    const name = 'José \uFFFD Álvarez';
    const good = Buffer.from(
      JSON.stringify({ ...entraCreate('j.alvarez', 'oid-ja'), displayName: name }),
      'utf8',
    );
    const created = await scim('POST', '/Users', good);
    expect(created.status).toBe(201);
    expect((await json<ScimUser>(created)).displayName).toBe(name);
  });

  it('applies the attributes it keeps from an Entra ID update and reads past the others', async () => {
    const user = await json<ScimUser>(await scim('POST', '/Users', entraCreate('o.reyes', 'oid-or')));
    const res = await scim('PATCH', `/Users/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        { op: 'Add', path: 'displayName', value: 'Olivia Reyes' },
        { op: 'Replace', path: 'userName', value: 'olivia.reyes@hospital.example' },
      ],
    });
    expect(res.status).toBe(200);
    expect(await json<ScimUser>(res)).toMatchObject({
      userName: 'olivia.reyes@hospital.example',
      displayName: 'Olivia Reyes',
      active: true,
    });
    const entry = (await listAudit(h.ctx.vdb, { limit: 5 })).find((e) => e.action === 'user.update');
    expect(entry?.summary).toMatchObject({
      before: { username: 'o.reyes', displayName: 'givenName familyName' },
      after: { username: 'olivia.reyes@hospital.example', displayName: 'Olivia Reyes' },
    });
    // The same values again change nothing and add no entry.
    const count = (await listAudit(h.ctx.vdb, { limit: 1000 })).length;
    await scim('PATCH', `/Users/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'displayName', value: 'Olivia Reyes' }],
    });
    expect((await listAudit(h.ctx.vdb, { limit: 1000 })).length).toBe(count);
  });
});
