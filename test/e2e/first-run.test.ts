/**
 * First run in the browser: the built `vigil serve` on an empty database prints a one-time setup token,
 * and the dashboard, finding no account, asks for it with the first admin's name and password, refuses
 * a wrong token, differing passwords and a breached password with a visible reason, then creates the
 * admin (audited) and signs in. The admin then changes their own password on the account page (a second
 * browser of theirs is signed out). Once an account exists, a new visitor gets the ordinary login form.
 * Driven in Debian's Chromium like the other dashboard suites.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newSession, screenshotOnFailure, see, skipWithoutChromium } from './browser.js';
import { DASHBOARD_PASSWORD, repoRoot } from './dashboard-seed.js';

const NEW_PASSWORD = 'seven quiet herons at dawn';

/** Starts `vigil serve` on a new database; resolves with its URL and the setup token it printed. */
function startEmptyVigil(db: string): Promise<{ server: ChildProcess; url: string; token: string }> {
  const server = spawn(
    process.execPath,
    [join(repoRoot(), 'bin/vigil.js'), '--db', `sqlite:${db}`, 'serve', '--port', '0'],
    {
      env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return new Promise((done, fail) => {
    let err = '';
    server.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
      const url = /Vigil listening on (http:\/\/\S+)/.exec(err)?.[1];
      const token = /setup token[^\n]*\n\s+(setup_\S+)/.exec(err)?.[1];
      if (url && token) done({ server, url, token });
    });
    server.once('exit', (code) => fail(new Error(`vigil serve exited ${code}: ${err}`)));
  });
}

describe.skipIf(skipWithoutChromium('first-run'))('first run in the dashboard', { timeout: 120_000 }, () => {
  let dir: string;
  let server: ChildProcess;
  let url: string;
  let token: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-first-run-'));
    ({ server, url, token } = await startEmptyVigil(join(dir, 'vigil.db')));
    browser = await launchChromium();
    ({ page } = await newSession(browser, problems));
  }, 120_000);

  screenshotOnFailure('first-run', () => page);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      await new Promise<void>((done) => {
        server.once('exit', () => done());
        server.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const fill = async (setupToken: string, password: string, repeat = password) => {
    await page.getByLabel('Setup token').fill(setupToken);
    await page.getByLabel('Administrator username').fill('first.admin');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Password again').fill(repeat);
    await page.getByRole('button', { name: 'Create administrator and sign in' }).click();
  };

  it('offers the first-run form, not a login nobody can use', async () => {
    await page.goto(`${url}/`);
    await see(page.getByRole('heading', { name: 'Set up Vigil' }));
    expect(await page.getByRole('button', { name: 'Sign in', exact: true }).count()).toBe(0);
  });

  it('refuses differing passwords, a wrong token and a breached password, each with its reason', async () => {
    await fill(token, DASHBOARD_PASSWORD, `${DASHBOARD_PASSWORD}!`);
    await see(page.getByRole('alert'));
    expect(await page.getByRole('alert').textContent()).toContain('The two passwords differ');

    await fill(`${token}x`, DASHBOARD_PASSWORD);
    await see(page.getByRole('alert').getByText(/setup token is wrong/));

    // "password1234" pads a breached password: the server's policy refuses it and says why.
    await fill(token, 'password1234');
    await see(page.getByRole('alert').getByText(/commonly used or breached/));
    // Nothing was created by the refused attempts.
    expect(((await (await fetch(`${url}/api/v1/setup`)).json()) as { needed: boolean }).needed).toBe(true);
  });

  it('creates the first admin, signs in, and audits it', async () => {
    await fill(`  ${token} `, DASHBOARD_PASSWORD); // pasted with stray spaces
    await see(page.getByRole('button', { name: 'Log out' }));
    expect(await page.locator('.who').textContent()).toBe('first.admin (admin)');
    expect(((await (await fetch(`${url}/api/v1/setup`)).json()) as { needed: boolean }).needed).toBe(false);

    // The creation is in the audit log under the setup actor, and the token cannot be used twice.
    const audit = (await page.evaluate(async () => {
      const r = await fetch('/api/v1/audit?action=user.create');
      return r.json();
    })) as { items: { actor: string; action: string }[] };
    expect(audit.items.map((e) => [e.actor, e.action])).toEqual([['setup:first.admin', 'user.create']]);
    const again = await fetch(`${url}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ setupToken: token, username: 'second.admin', password: DASHBOARD_PASSWORD }),
    });
    expect(again.status).toBe(409);
  });

  it('lets the admin change their own password from the account page; other sessions end', async () => {
    // A second browser signed in as the same admin, to be signed out by the change.
    const other = await newSession(browser, problems);
    await other.page.goto(`${url}/`);
    await other.page.getByLabel('Username').fill('first.admin');
    await other.page.getByLabel('Password').fill(DASHBOARD_PASSWORD);
    await other.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await see(other.page.getByRole('button', { name: 'Log out' }));

    await page.getByRole('link', { name: 'first.admin' }).click();
    await see(page.getByRole('heading', { name: 'Your account' }));
    expect(page.url()).toBe(`${url}/account`);
    const form = page.getByRole('form', { name: 'Change password' });
    const change = async (current: string, next: string) => {
      await form.getByLabel('Current password').fill(current);
      await form.getByLabel('New password', { exact: true }).fill(next);
      await form.getByLabel('New password again').fill(next);
      await form.getByRole('button', { name: 'Change password' }).click();
    };
    await change('not the current password', NEW_PASSWORD);
    await see(form.getByRole('alert').getByText('The current password is wrong'));
    await change(DASHBOARD_PASSWORD, NEW_PASSWORD);
    await see(form.getByRole('status'));
    expect(await form.getByRole('status').textContent()).toMatch(/Password changed/);
    expect(await form.getByRole('alert').count()).toBe(0);

    // This browser stays signed in; the other one is sent back to the login form on its next request.
    await page.reload();
    await see(page.getByRole('heading', { name: 'Your account' }));
    await other.page.reload();
    await see(other.page.getByRole('button', { name: 'Sign in', exact: true }));
    await other.context.close();
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'first.admin', password: NEW_PASSWORD }),
    });
    expect(login.status).toBe(200);
  });

  it('shows a new visitor the login form once an account exists', async () => {
    const visitor = await newSession(browser, problems);
    await visitor.page.goto(`${url}/`);
    await see(visitor.page.getByRole('button', { name: 'Sign in', exact: true }));
    expect(await visitor.page.getByRole('heading', { name: 'Set up Vigil' }).count()).toBe(0);
    await visitor.context.close();
    expect(problems).toEqual([]);
  });
});
