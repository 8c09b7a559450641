/**
 * `vigil scim token …` in-process against a temporary SQLite file (test/cli-in-process.ts): a token is
 * printed once and works at SCIM until it is revoked; lists never show it; both changes are audited.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';
import { resolveScimToken } from '../../accounts/scim-tokens.js';
import { createScimUser } from '../../accounts/scim-users.js';
import { openDatabase } from '../../store/database.js';

let db: string;
const vigil = (args: string[]) => vigilInProcess(args, { db: `sqlite:${db}` });

async function works(token: string): Promise<boolean> {
  const vdb = await openDatabase(`sqlite:${db}`);
  try {
    return (await resolveScimToken(vdb, token)) !== undefined;
  } finally {
    await vdb.close();
  }
}

describe('vigil scim token', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    db = join(mkdtempSync(join(tmpdir(), 'vigil-scim-')), 'vigil.db');
    expect((await vigil(['db', 'migrate'])).code).toBe(0);
  });

  it('makes a token shown once, lists it without the secret, and revokes it', async () => {
    const made = await vigil(['scim', 'token', 'create', '--name', 'Entra ID production']);
    expect(made.code, made.stderr).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^vscim_[A-Za-z0-9_-]{43}$/);
    expect(made.stderr).toMatch(/shown only now/);
    expect(await works(token)).toBe(true);

    const list = await vigil(['scim', 'token', 'list', '--json']);
    expect(list.stdout).not.toContain(token);
    const [info] = JSON.parse(list.stdout) as Array<{ id: string; name: string; revokedAt: string | null }>;
    expect(info).toMatchObject({ name: 'Entra ID production', revokedAt: null });
    expect((await vigil(['scim', 'token', 'list'])).stdout).toMatch(/Entra ID production\s.*\sactive/);

    const revoked = await vigil(['scim', 'token', 'revoke', info!.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(await works(token)).toBe(false);
    expect((await vigil(['scim', 'token', 'list'])).stdout).toMatch(/revoked/);
    expect((await vigil(['scim', 'token', 'revoke', 'no-such-id'])).code).toBe(66);

    const audit = await vigil(['audit', 'list', '--action', 'scim-token.', '--json']);
    const actions = (JSON.parse(audit.stdout) as Array<{ action: string }>).map((e) => e.action);
    expect(actions.sort()).toEqual(['scim-token.create', 'scim-token.revoke']);
  });

  it('a token expires: a year by default, --expires-days sets it, out of range is refused', async () => {
    const before = Date.now();
    const made = await vigil(['scim', 'token', 'create', '--name', 'Okta', '--json']);
    expect(made.code, made.stderr).toBe(0);
    const { info } = JSON.parse(made.stdout) as { info: { expiresAt: string } };
    expect(Date.parse(info.expiresAt) - before).toBeGreaterThanOrEqual(365 * 86_400_000);
    expect(Date.parse(info.expiresAt) - Date.now()).toBeLessThanOrEqual(365 * 86_400_000);

    const short = await vigil(['scim', 'token', 'create', '--name', 'Okta test', '--expires-days', '7']);
    expect(short.code, short.stderr).toBe(0);
    expect(short.stderr).toMatch(/valid until \d{4}-\d\d-\d\dT/);
    const list = JSON.parse((await vigil(['scim', 'token', 'list', '--json'])).stdout) as Array<{
      name: string;
      expiresAt: string | null;
    }>;
    const days = (Date.parse(list.find((t) => t.name === 'Okta test')!.expiresAt!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
    expect((await vigil(['scim', 'token', 'list'])).stdout).toMatch(
      /Okta test\s.*\s\d{4}-\d\d-\d\dT\S+\s+active/,
    );

    for (const bad of ['0', '731', '30d']) {
      const r = await vigil(['scim', 'token', 'create', '--expires-days', bad]);
      expect(r.code, bad).not.toBe(0);
      expect(r.stderr, bad).toMatch(/days/);
    }
  });

  it('users list shows an account the provider made and one it deactivated', async () => {
    const vdb = await openDatabase(`sqlite:${db}`);
    try {
      const caller = { tokenId: 'test', tokenName: 'Entra ID production' };
      await createScimUser(vdb, caller, { userName: 'j.new' });
      await createScimUser(vdb, caller, { userName: 'j.gone', active: false });
    } finally {
      await vdb.close();
    }
    const rows = (await vigil(['users', 'list'])).stdout.split('\n');
    // USERNAME ROLE STATE …: no role before the first sign-in sets it from the groups.
    expect(rows.find((r) => r.startsWith('j.new '))).toMatch(/^j\.new\s+-\s+provisioned\s+sso\s/);
    expect(rows.find((r) => r.startsWith('j.gone '))).toMatch(/^j\.gone\s+-\s+disabled \(provider\)\s+sso\s/);
  });
});
