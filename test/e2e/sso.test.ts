/**
 * Single sign-on in the browser: the built `vigil serve` configured for a real OpenID Connect provider
 * (`oidc-provider` on loopback, test/oidc-provider.ts). Chromium opens a page of Vigil, the login page
 * offers "Sign in with …", the provider signs the person in and sends the browser back to the page it
 * asked for, signed in with the role of their groups; the account page says the password is the
 * provider's; Admin → Users shows the account as single sign-on. Someone in no mapped group comes back
 * to the login page with the reason. Log out also signs out at the provider (oidcSignOutAtProvider). Driven in Debian's Chromium like the other dashboard suites.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../oidc-provider.js';
import {
  launchChromium,
  newSession,
  screenshotOnFailure,
  see,
  signIn,
  skipWithoutChromium,
} from './browser.js';
import { DASHBOARD_PASSWORD, repoRoot } from './dashboard-seed.js';

/** A free loopback port: the provider must know Vigil's callback address before Vigil starts. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

/** Resolves once `vigil serve` listens and has said whether the provider's discovery worked. */
function startVigil(
  db: string,
  port: number,
  env: Record<string, string>,
): Promise<{ server: ChildProcess; console: string }> {
  const server = spawn(
    process.execPath,
    [join(repoRoot(), 'bin/vigil.js'), '--db', `sqlite:${db}`, 'serve', '--port', String(port)],
    { env: { ...process.env, VIGIL_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((done, fail) => {
    let err = '';
    server.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
      if (/Vigil listening on http/.test(err) && /Single sign-on: .*\n/.test(err))
        done({ server, console: err });
    });
    server.once('exit', (code) => fail(new Error(`vigil serve exited ${code}: ${err}`)));
  });
}

describe.skipIf(skipWithoutChromium('sso'))('single sign-on in the dashboard', { timeout: 120_000 }, () => {
  let dir: string;
  let op: TestProvider;
  let server: ChildProcess | undefined;
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-sso-'));
    const db = join(dir, 'vigil.db');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    op = await startTestProvider(`${url}/api/v1/auth/oidc/callback`);
    // The break-glass admin, made from the console as on any install.
    const add = spawnSync(
      process.execPath,
      [
        join(repoRoot(), 'bin/vigil.js'),
        '--db',
        `sqlite:${db}`,
        'users',
        'add',
        'alice',
        '--role',
        'admin',
        '--password-stdin',
      ],
      {
        input: `${DASHBOARD_PASSWORD}\n`,
        encoding: 'utf8',
        env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' },
      },
    );
    if (add.status !== 0) throw new Error(add.stderr);
    let consoleText: string;
    ({ server, console: consoleText } = await startVigil(db, port, {
      VIGIL_OIDC_ISSUER: op.issuer,
      VIGIL_OIDC_CLIENT_ID: op.clientId,
      VIGIL_OIDC_CLIENT_SECRET: op.clientSecret,
      VIGIL_OIDC_REDIRECT_URL: op.redirectUrl,
      VIGIL_OIDC_PROVIDER_NAME: 'Hospital account',
      VIGIL_OIDC_ROLE_MAP: 'biomed-engineering=clinical-engineer;vigil-admins=admin',
      VIGIL_OIDC_SIGN_OUT_AT_PROVIDER: 'true',
    }));
    expect(consoleText).toContain(`Single sign-on: ${op.issuer} (discovery ok)`);
    expect(consoleText).not.toContain(op.clientSecret);
    browser = await launchChromium();
  }, 120_000);

  screenshotOnFailure('sso', () => page);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await op?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs in through the provider and lands on the page asked for, with the role of the groups', async () => {
    ({ page } = await newSession(browser, problems));
    op.signInAs({
      sub: 'entra-oid-9c1d',
      preferred_username: 'r.okafor',
      name: 'Rita Okafor',
      groups: ['all-staff', 'biomed-engineering'],
    });
    await page.goto(`${url}/inventory`);
    const button = page.getByRole('link', { name: 'Sign in with Hospital account' });
    await see(button);
    await button.click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/inventory');
    await see(page.getByRole('heading', { name: 'Inventory' }));

    await page.goto(`${url}/account`);
    await see(page.getByText('single sign-on'));
    await expect(page.getByText('clinical-engineer').count()).resolves.toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: /change password/i }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /authenticator/i }).count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows the admin the account as single sign-on, without a password reset', async () => {
    const admin = await newSession(browser, problems);
    await signIn(admin.page, url, 'alice', '/admin/users');
    const row = admin.page.getByRole('row', { name: /r\.okafor/ });
    await see(row);
    await expect(row.textContent()).resolves.toMatch(/single sign-on/);
    expect(await admin.page.getByRole('button', { name: 'Reset password of r.okafor' }).count()).toBe(0);
    await expect(admin.page.getByRole('button', { name: 'Disable r.okafor' }).count()).resolves.toBe(1);
    await admin.context.close();
  });

  it('signs out at the provider too on Log out, and comes back to the sign-in page', async () => {
    const nurse = await newSession(browser, problems);
    page = nurse.page;
    op.signInAs({ sub: 'entra-oid-5150', preferred_username: 'm.haddad', groups: ['biomed-engineering'] });
    await page.goto(`${url}/`);
    await page.getByRole('link', { name: 'Sign in with Hospital account' }).click();
    await page.getByRole('button', { name: 'Log out' }).click();
    // The provider's own sign-out page (oidc-provider asks to confirm), then back to Vigil.
    await page.waitForURL((u) => u.href.startsWith(`${op.issuer}/session/end`));
    await page.getByRole('button', { name: /yes, sign me out/i }).click();
    await page.waitForURL(`${url}/`);
    await see(page.getByRole('link', { name: 'Sign in with Hospital account' }));
    const session = await page.request.get(`${url}/api/v1/auth/session`);
    expect(session.status()).toBe(401);
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    await nurse.context.close();
  });

  it('brings someone in no mapped group back to the login page with the reason', async () => {
    const visitor = await newSession(browser, problems);
    page = visitor.page;
    op.signInAs({ sub: 'entra-oid-0042', preferred_username: 'visitor', groups: ['all-staff'] });
    await page.goto(`${url}/`);
    await page.getByRole('link', { name: 'Sign in with Hospital account' }).click();
    await see(page.getByRole('alert').filter({ hasText: 'none of the groups given access to Vigil' }));
    expect(page.url()).not.toContain('ssoError');
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);
    expect(problems).toEqual([]);
    await visitor.context.close();
  });
});
