import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor, TEST_PASSWORD } from '../../test/factories.js';
import { listAudit, verifyAuditChain } from '../audit/audit-log.js';
import type { VigilError } from '../errors.js';
import { findUserByName } from '../store/account-store.js';
import type { VigilDatabase } from '../store/database.js';
import { createApiToken, listApiTokens, resolveApiToken, revokeApiToken } from './api-tokens.js';
import { completeSetup, issueSetupToken, needsSetup } from './first-run.js';
import { LoginThrottle } from './login-throttle.js';
import { resetMfa } from './mfa.js';
import { createScimToken } from './scim-tokens.js';
import { login, resolveSession } from './sessions.js';
import { changeOwnPassword, createUser, resetPassword, setUserDisabled, setUserRole } from './users.js';

const config = { sessionHours: 12, sessionIdleMinutes: 30, loginMaxFailures: 3, lockoutMinutes: 15 };

describe.each(DIALECTS)('accounts on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  async function withUser(role = 'clinical-engineer', username = 'ce.smith') {
    vdb = await freshDatabase(dialect);
    return createUser(vdb, cliActor, { username, role, password: TEST_PASSWORD });
  }

  it('stores argon2id hashes, never the password', async () => {
    await withUser();
    const row = await findUserByName(vdb, 'CE.Smith');
    expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row?.password_hash).not.toContain(TEST_PASSWORD);
  });

  it('refuses duplicate names (case-insensitive), bad roles and weak passwords', async () => {
    await withUser();
    await expect(
      createUser(vdb, cliActor, { username: 'CE.SMITH', role: 'auditor', password: TEST_PASSWORD }),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(
      createUser(vdb, cliActor, { username: 'x1', role: 'root', password: TEST_PASSWORD }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(
      createUser(vdb, cliActor, { username: 'x2', role: 'auditor', password: 'password123' }),
    ).rejects.toThrow(/at least 12/);
  });

  it('logs in, records it, and resolves the session to an actor with the role permissions', async () => {
    await withUser();
    const throttle = new LoginThrottle();
    const result = await login(vdb, config, throttle, {
      username: 'ce.smith',
      password: TEST_PASSWORD,
      ip: '10.1.2.3',
    });
    const session = await resolveSession(vdb, config, result.sessionSecret);
    expect(session?.actor).toMatchObject({ kind: 'user', name: 'ce.smith', role: 'clinical-engineer' });
    expect(session?.actor.permissions.has('devices:import')).toBe(true);
    expect(session?.actor.permissions.has('users:write')).toBe(false);
    const [entry] = await listAudit(vdb, { action: 'auth.login' });
    expect(entry).toMatchObject({ actor: 'ce.smith', outcome: 'success', ip: '10.1.2.3' });
    expect(await resolveSession(vdb, config, 'not-a-session')).toBeUndefined();
  });

  it('locks the account after repeated failures and audits each failure', async () => {
    await withUser();
    const throttle = new LoginThrottle();
    for (let i = 0; i < 3; i++) {
      await expect(
        login(vdb, config, throttle, { username: 'ce.smith', password: 'wrong password here' }),
      ).rejects.toMatchObject({ code: 'authentication_required' });
    }
    // Locked now: even the right password is refused.
    await expect(
      login(vdb, config, throttle, { username: 'ce.smith', password: TEST_PASSWORD }),
    ).rejects.toMatchObject({ code: 'authentication_required' });
    const failures = await listAudit(vdb, { action: 'auth.login' });
    expect(failures.map((f) => f.summary['reason'])).toEqual([
      'account locked',
      'wrong password; account locked',
      'wrong password',
      'wrong password',
    ]);
    // A password reset unlocks.
    await resetPassword(vdb, cliActor, 'ce.smith', 'a brand new passphrase 2026');
    await expect(
      login(vdb, config, throttle, { username: 'ce.smith', password: 'a brand new passphrase 2026' }),
    ).resolves.toBeDefined();
  });

  it("a password reset revokes the account's live API tokens only when asked, and audits their names", async () => {
    await withUser();
    await createUser(vdb, cliActor, {
      username: 'so.lee',
      role: 'security-officer',
      password: TEST_PASSWORD,
    });
    const mine = async (name: string) =>
      (await createApiToken(vdb, cliActor, { name, owner: 'ce.smith' })).token;
    const cmms = await mine('cmms-sync');
    const siem = await mine('siem-export');
    const other = (await createApiToken(vdb, cliActor, { name: 'other', owner: 'so.lee' })).token;
    const old = await createApiToken(vdb, cliActor, { name: 'old', owner: 'ce.smith' });
    await revokeApiToken(vdb, cliActor, old.info.id);

    // A forgotten password: the integrations keep running.
    const plain = await resetPassword(vdb, cliActor, 'ce.smith', 'a brand new passphrase 2026');
    expect(plain.tokensRevoked).toBe(0);
    expect(await resolveApiToken(vdb, cmms)).toBeDefined();
    expect((await listAudit(vdb, { action: 'user.reset-password' }))[0]?.summary).not.toHaveProperty(
      'tokensRevoked',
    );

    // A stolen one: every live token of the account stops, nobody else's.
    const reset = await resetPassword(vdb, cliActor, 'ce.smith', 'another new passphrase 2026', {
      revokeTokens: true,
    });
    expect(reset.tokensRevoked).toBe(2);
    expect(await resolveApiToken(vdb, cmms)).toBeUndefined();
    expect(await resolveApiToken(vdb, siem)).toBeUndefined();
    expect(await resolveApiToken(vdb, other)).toBeDefined();
    const [entry] = await listAudit(vdb, { action: 'user.reset-password' });
    expect(entry?.summary).toMatchObject({
      username: 'ce.smith',
      tokensRevoked: ['cmms-sync', 'siem-export'],
    });
    expect(JSON.stringify(entry)).not.toMatch(/vgl_/);
    const listed = await listApiTokens(vdb, cliActor);
    expect(listed.filter((t) => t.owner === 'ce.smith').every((t) => t.revokedAt !== null)).toBe(true);
    expect((await verifyAuditChain(vdb)).ok).toBe(true);
  });

  it('audits a failed login as (anonymous): a typed name never becomes the actor, an unknown one is not kept', async () => {
    const user = await withUser();
    const throttle = new LoginThrottle();
    const forged = 'cli:root\n57 2026 admin user.disable success';
    await expect(
      login(vdb, config, throttle, { username: forged, password: 'x', ip: '10.9.9.9' }),
    ).rejects.toMatchObject({ code: 'authentication_required' });
    await expect(
      login(vdb, config, throttle, { username: 'CE.Smith', password: 'wrong password here' }),
    ).rejects.toMatchObject({ code: 'authentication_required' });
    const [known, unknown] = await listAudit(vdb, { action: 'auth.login' });
    expect(unknown).toMatchObject({ actor: '(anonymous)', outcome: 'failure', ip: '10.9.9.9' });
    expect(unknown?.summary).toEqual({ reason: 'unknown user' });
    expect(JSON.stringify(unknown)).not.toContain('cli:root');
    // A real account stays traceable: its stored name and id, whatever case was typed.
    expect(known).toMatchObject({ actor: '(anonymous)', targetType: 'user', targetId: user.id });
    expect(known?.summary).toEqual({ reason: 'wrong password', username: 'ce.smith' });
    expect(await listAudit(vdb, { actor: 'cli:root' })).toEqual([]);
    expect((await verifyAuditChain(vdb)).ok).toBe(true);
  });

  it('a user changes their own password: current one asked again, other sessions end, audited', async () => {
    await withUser();
    const throttle = new LoginThrottle();
    const signIn = (password = TEST_PASSWORD) =>
      login(vdb, config, throttle, { username: 'ce.smith', password });
    const here = await signIn();
    const elsewhere = await signIn();
    const me = (await resolveSession(vdb, config, here.sessionSecret))!;
    const change = (currentPassword: string, newPassword: string) =>
      changeOwnPassword(vdb, me.actor, { currentPassword, newPassword, keepSessionId: me.sessionId }, config);

    await expect(change('not my password at all', 'a brand new passphrase 2026')).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [{ field: 'currentPassword' }],
    });
    await expect(change(TEST_PASSWORD, TEST_PASSWORD)).rejects.toThrow(/is the current one/);
    await expect(change(TEST_PASSWORD, 'password1234')).rejects.toThrow(/commonly used or breached/);
    // Nothing changed yet: both sessions live, the old password still works.
    expect(await resolveSession(vdb, config, elsewhere.sessionSecret)).toBeDefined();

    const user = await change(TEST_PASSWORD, 'a brand new passphrase 2026');
    expect(user.passwordChangedAt >= me.user.passwordChangedAt).toBe(true);
    expect(await resolveSession(vdb, config, here.sessionSecret)).toBeDefined();
    expect(await resolveSession(vdb, config, elsewhere.sessionSecret)).toBeUndefined();
    await expect(signIn()).rejects.toMatchObject({ code: 'authentication_required' });
    await expect(signIn('a brand new passphrase 2026')).resolves.toBeDefined();
    const entries = await listAudit(vdb, { action: 'user.change-password' });
    expect(
      entries.map((e) => [e.actor, e.outcome, e.summary['reason'] ?? e.summary['otherSessionsEnded']]),
    ).toEqual([
      ['ce.smith', 'success', 1],
      ['ce.smith', 'failure', 'wrong current password'],
    ]);
    expect(JSON.stringify(entries)).not.toMatch(/brand new|not my password/);
    // The CLI operator and API tokens have no password of their own.
    await expect(
      changeOwnPassword(vdb, cliActor, { currentPassword: 'x', newPassword: 'y' }, config),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('wrong current passwords lock the account and end its sessions, as failed logins do', async () => {
    await withUser();
    const s = await login(vdb, config, new LoginThrottle(), {
      username: 'ce.smith',
      password: TEST_PASSWORD,
    });
    const me = (await resolveSession(vdb, config, s.sessionSecret))!;
    for (let i = 0; i < 3; i++)
      await expect(
        changeOwnPassword(
          vdb,
          me.actor,
          { currentPassword: `guess number ${i}`, newPassword: 'a brand new passphrase 2026' },
          config,
        ),
      ).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await resolveSession(vdb, config, s.sessionSecret)).toBeUndefined();
    await expect(
      login(vdb, config, new LoginThrottle(), { username: 'ce.smith', password: TEST_PASSWORD }),
    ).rejects.toMatchObject({ code: 'authentication_required' });
    const [last] = await listAudit(vdb, { action: 'user.change-password' });
    expect(last?.summary).toMatchObject({
      reason: 'wrong current password; account locked',
      sessionsEnded: 1,
    });
  });

  it('throttles one address across accounts', async () => {
    vdb = await freshDatabase(dialect);
    const throttle = new LoginThrottle(3, 60_000);
    for (const u of ['a1', 'a2', 'a3'])
      await expect(
        login(vdb, config, throttle, { username: u, password: 'whatever at all', ip: '10.9.9.9' }),
      ).rejects.toMatchObject({ code: 'authentication_required' });
    const err = await login(vdb, config, throttle, {
      username: 'a4',
      password: 'whatever at all',
      ip: '10.9.9.9',
    }).catch((e: VigilError) => e);
    expect(err).toMatchObject({ code: 'rate_limited' });
    expect((err as VigilError).retryAfter).toBeGreaterThan(0);
  });

  it('ends sessions when an account is disabled and keeps one admin', async () => {
    await withUser('admin', 'root.admin');
    const s = await login(vdb, config, new LoginThrottle(), {
      username: 'root.admin',
      password: TEST_PASSWORD,
    });
    await expect(setUserDisabled(vdb, cliActor, 'root.admin', true)).rejects.toThrow(/last enabled admin/);
    await expect(setUserRole(vdb, cliActor, 'root.admin', 'auditor')).rejects.toThrow(/last enabled admin/);
    await createUser(vdb, cliActor, { username: 'second.admin', role: 'admin', password: TEST_PASSWORD });
    await setUserDisabled(vdb, cliActor, 'root.admin', true);
    expect(await resolveSession(vdb, config, s.sessionSecret)).toBeUndefined();
  });

  it('expires idle sessions', async () => {
    await withUser();
    const s = await login(vdb, { ...config, sessionIdleMinutes: 1 }, new LoginThrottle(), {
      username: 'ce.smith',
      password: TEST_PASSWORD,
    });
    await vdb.db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(Date.now() - 120_000).toISOString() })
      .execute();
    expect(await resolveSession(vdb, { ...config, sessionIdleMinutes: 1 }, s.sessionSecret)).toBeUndefined();
  });

  it('API tokens: read-only by default, bounded by the owner role, revocable, hashed at rest', async () => {
    await withUser('security-officer', 'so.lee');
    const { token, info } = await createApiToken(vdb, cliActor, { name: 'siem', owner: 'so.lee' });
    expect(info.permissions.every((p) => p.endsWith(':read'))).toBe(true);
    const stored = await vdb.db.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toContain(token.slice(4));
    const actor = await resolveApiToken(vdb, token);
    expect(actor?.permissions.has('devices:read')).toBe(true);
    expect(actor?.permissions.has('devices:write')).toBe(false);
    // More than the owner's role has is refused.
    await expect(
      createApiToken(vdb, cliActor, { name: 'x', owner: 'so.lee', permissions: ['users:write'] }),
    ).rejects.toThrow(/does not have users:write/);
    // Demoting the owner shrinks the token.
    const { token: writer } = await createApiToken(vdb, cliActor, {
      name: 'importer',
      owner: 'so.lee',
      permissions: ['devices:import', 'devices:read'],
    });
    await createUser(vdb, cliActor, { username: 'keep.admin', role: 'admin', password: TEST_PASSWORD });
    await setUserRole(vdb, cliActor, 'so.lee', 'auditor');
    expect((await resolveApiToken(vdb, writer))?.permissions.has('devices:import')).toBe(false);
    await revokeApiToken(vdb, cliActor, info.id);
    expect(await resolveApiToken(vdb, token)).toBeUndefined();
    expect((await listApiTokens(vdb, cliActor)).find((t) => t.id === info.id)?.revokedAt).not.toBeNull();
  });

  it('API tokens expire and can be limited to sites', async () => {
    await withUser('security-officer', 'so.lee');
    await expect(
      createApiToken(vdb, cliActor, { name: 'x', owner: 'so.lee', sites: ['Nowhere'] }),
    ).rejects.toThrow(/Unknown site/);
    await vdb.db
      .insertInto('sites')
      .values({
        id: 's1',
        name: 'North Campus',
        name_key: 'north campus',
        description: null,
        created_at: 'x',
        updated_at: 'x',
      })
      .execute();
    const { token } = await createApiToken(vdb, cliActor, {
      name: 'north',
      owner: 'so.lee',
      sites: ['north campus'],
      expiresInDays: 1,
    });
    expect((await resolveApiToken(vdb, token))?.siteIds).toEqual(['s1']);
    await vdb.db
      .updateTable('api_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .execute();
    expect(await resolveApiToken(vdb, token)).toBeUndefined();
  });

  it('a token limited to sites changes no account and makes or revokes tokens only within its sites', async () => {
    await withUser('admin', 'adm');
    await createUser(vdb, cliActor, {
      username: 'ce.smith',
      role: 'clinical-engineer',
      password: TEST_PASSWORD,
    });
    const site = (id: string, name: string) => ({
      id,
      name,
      name_key: name.toLowerCase(),
      description: null,
      created_at: 'x',
      updated_at: 'x',
    });
    await vdb.db
      .insertInto('sites')
      .values([site('s1', 'North Campus'), site('s2', 'South Campus')])
      .execute();
    const all = ['users:read', 'users:write', 'tokens:read', 'tokens:write'];
    const { token } = await createApiToken(vdb, cliActor, {
      name: 'north-admin',
      owner: 'adm',
      permissions: all,
      sites: ['North Campus'],
    });
    const north = (await resolveApiToken(vdb, token))!;
    const everySite = { code: 'forbidden', message: expect.stringMatching(/applies to every site/) };
    // Each of these reaches every site: a new admin, a password or a role an attacker then signs in with.
    await expect(
      createUser(vdb, north, { username: 'x.admin', role: 'admin', password: TEST_PASSWORD }),
    ).rejects.toMatchObject(everySite);
    await expect(setUserRole(vdb, north, 'ce.smith', 'admin')).rejects.toMatchObject(everySite);
    await expect(setUserDisabled(vdb, north, 'ce.smith', true)).rejects.toMatchObject(everySite);
    await expect(resetPassword(vdb, north, 'ce.smith', `${TEST_PASSWORD}!`)).rejects.toMatchObject(everySite);
    await expect(resetMfa(vdb, north, 'ce.smith')).rejects.toMatchObject(everySite);
    await expect(createScimToken(vdb, north, {})).rejects.toMatchObject(everySite);
    // Tokens: only for its own sites, revoking only those within them.
    await expect(
      createApiToken(vdb, north, { name: 'escape', owner: 'adm', permissions: all }),
    ).rejects.toMatchObject(everySite);
    await expect(
      createApiToken(vdb, north, { name: 'south', owner: 'adm', sites: ['South Campus'] }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    const made = await createApiToken(vdb, north, {
      name: 'north-ro',
      owner: 'adm',
      sites: ['North Campus'],
    });
    expect(made.info.siteIds).toEqual(['s1']);
    // By default it carries the read permissions both its owner and its maker have, nothing more.
    expect([...made.info.permissions].sort()).toEqual(['tokens:read', 'users:read']);
    const wide = await createApiToken(vdb, cliActor, { name: 'siem', owner: 'adm' });
    const south = await createApiToken(vdb, cliActor, {
      name: 'south',
      owner: 'adm',
      sites: ['South Campus'],
    });
    const both = await createApiToken(vdb, cliActor, {
      name: 'both-campuses',
      owner: 'adm',
      sites: ['North Campus', 'South Campus'],
    });
    // It lists only tokens within its sites: the others' names and owners tell of other sites' integrations.
    expect((await listApiTokens(vdb, north)).map((t) => t.name).sort()).toEqual(['north-admin', 'north-ro']);
    expect((await listApiTokens(vdb, cliActor)).map((t) => t.name).sort()).toEqual([
      'both-campuses',
      'north-admin',
      'north-ro',
      'siem',
      'south',
    ]);
    await expect(revokeApiToken(vdb, north, both.info.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(revokeApiToken(vdb, north, wide.info.id)).rejects.toMatchObject(everySite);
    await expect(revokeApiToken(vdb, north, south.info.id)).rejects.toMatchObject({ code: 'not_found' });
    expect(await resolveApiToken(vdb, wide.token)).toBeDefined();
    expect(await resolveApiToken(vdb, south.token)).toBeDefined();
    await revokeApiToken(vdb, north, made.info.id);
    expect(await resolveApiToken(vdb, made.token)).toBeUndefined();
    expect((await findUserByName(vdb, 'ce.smith'))?.role).toBe('clinical-engineer');
    expect(await listAudit(vdb, { action: 'user.create' })).toHaveLength(2);
  });

  it("a token makes tokens only with permissions it has itself, whatever its owner's role", async () => {
    await withUser('admin', 'adm');
    const { token } = await createApiToken(vdb, cliActor, {
      name: 'provisioner',
      owner: 'adm',
      permissions: ['users:read', 'users:write', 'tokens:read', 'tokens:write'],
    });
    const provisioner = (await resolveApiToken(vdb, token))!;
    // adm is an admin, but the provisioner may not mint adm's whole role.
    await expect(
      createApiToken(vdb, provisioner, {
        name: 'grown',
        owner: 'adm',
        permissions: ['devices:write', 'tokens:write'],
      }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('you do not have devices:write yourself'),
    });
    const made = await createApiToken(vdb, provisioner, {
      name: 'helper',
      owner: 'adm',
      permissions: ['tokens:read'],
    });
    expect([...made.info.permissions]).toEqual(['tokens:read']);
    // …and none that outlives it: a longer expiry is refused, the default is cut to the maker's.
    const short = await createApiToken(vdb, cliActor, {
      name: 'week',
      owner: 'adm',
      permissions: ['users:write', 'tokens:write'],
      expiresInDays: 7,
    });
    const week = (await resolveApiToken(vdb, short.token))!;
    await expect(
      createApiToken(vdb, week, {
        name: 'year',
        owner: 'adm',
        permissions: ['tokens:write'],
        expiresInDays: 365,
      }),
    ).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('may not outlive') });
    const capped = await createApiToken(vdb, week, {
      name: 'default',
      owner: 'adm',
      permissions: ['tokens:write'],
    });
    expect(capped.info.expiresAt).toBe(short.info.expiresAt);
    expect((await listApiTokens(vdb, cliActor)).map((t) => t.name).sort()).toEqual([
      'default',
      'helper',
      'provisioner',
      'week',
    ]);
  });

  it('first run: the setup token creates the first admin once', async () => {
    vdb = await freshDatabase(dialect);
    expect(await needsSetup(vdb)).toBe(true);
    const token = await issueSetupToken(vdb);
    await expect(
      completeSetup(vdb, { setupToken: 'setup_wrong', username: 'admin1', password: TEST_PASSWORD }),
    ).rejects.toMatchObject({ code: 'authentication_required' });
    const user = await completeSetup(vdb, { setupToken: token, username: 'admin1', password: TEST_PASSWORD });
    expect(user.role).toBe('admin');
    expect(await needsSetup(vdb)).toBe(false);
    await expect(
      completeSetup(vdb, { setupToken: token, username: 'admin2', password: TEST_PASSWORD }),
    ).rejects.toMatchObject({ code: 'conflict' });
  });
});
