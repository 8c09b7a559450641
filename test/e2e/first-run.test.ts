/**
 * First run in the browser: the built `vigil serve` on an empty database prints a one-time setup token,
 * and the dashboard, finding no account, asks for it with the first admin's name and password, refuses
 * a wrong token, differing passwords and a breached password with a visible reason, then creates the
 * admin (audited) and signs in. The admin then changes their own password on the account page (a second
 * browser of theirs is signed out) and sets up two-factor authentication from the QR code's key; signing
 * in then asks for a code. Once an account exists, a new visitor gets the ordinary login form. Restarted
 * with VIGIL_REQUIRE_MFA=true, a new account sees only the enrolment until it has a second factor.
 * Driven in Debian's Chromium like the other dashboard suites.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newSession, screenshotOnFailure, see, skipWithoutChromium } from './browser.js';
import { DASHBOARD_PASSWORD, repoRoot } from './dashboard-seed.js';

const NEW_PASSWORD = 'seven quiet herons at dawn';

/**
 * Starts `vigil serve` on `db`; resolves with its URL and, on an empty database, the setup token it
 * printed. `env` adds settings (VIGIL_REQUIRE_MFA).
 */
function startVigil(
  db: string,
  opts: { expectToken: boolean; env?: Record<string, string> },
): Promise<{ server: ChildProcess; url: string; token: string }> {
  const server = spawn(
    process.execPath,
    [join(repoRoot(), 'bin/vigil.js'), '--db', `sqlite:${db}`, 'serve', '--port', '0'],
    {
      env: { ...process.env, VIGIL_LOG_LEVEL: 'silent', ...opts.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return new Promise((done, fail) => {
    let err = '';
    server.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
      const url = /Vigil listening on (http:\/\/\S+)/.exec(err)?.[1];
      const token = /setup token[^\n]*\n\s+(setup_\S+)/.exec(err)?.[1];
      if (url && (token || !opts.expectToken)) done({ server, url, token: token ?? '' });
    });
    server.once('exit', (code) => fail(new Error(`vigil serve exited ${code}: ${err}`)));
  });
}

function stop(server: ChildProcess | undefined): Promise<void> {
  return new Promise<void>((done) => {
    if (!server || server.exitCode !== null) return done();
    server.once('exit', () => done());
    server.kill('SIGTERM');
  });
}

/** An authenticator app holding `key` as the page shows it (base32 in groups of four). */
const authenticator = (key: string) =>
  new TOTP({ secret: Secret.fromBase32(key.replace(/\s+/g, '')), digits: 6, period: 30 });

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
    ({ server, url, token } = await startVigil(join(dir, 'vigil.db'), { expectToken: true }));
    browser = await launchChromium();
    ({ page } = await newSession(browser, problems));
  }, 120_000);

  screenshotOnFailure('first-run', () => page);

  afterAll(async () => {
    await browser?.close();
    await stop(server);
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

  it('sets up two-factor authentication from the QR code and key; signing in then asks for a code', async () => {
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const confirmPassword = page.getByRole('form', { name: 'Confirm your password' });
    await confirmPassword.getByLabel('Current password').fill(NEW_PASSWORD);
    await confirmPassword.getByRole('button', { name: 'Continue' }).click();
    await see(page.getByRole('img', { name: 'QR code of the authenticator key' }));
    const key = (await page.locator('code.totp-key').textContent())!;
    expect(key.replace(/\s+/g, '')).toMatch(/^[A-Z2-7]{32}$/);
    const app = authenticator(key);
    const enrol = page.getByRole('form', { name: 'Set up an authenticator app' });
    await enrol.getByLabel('Code from the app').fill('000000');
    await enrol.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    await see(enrol.getByRole('alert').getByText(/code does not match/));
    const now = Date.now();
    await enrol.getByLabel('Code from the app').fill(app.generate({ timestamp: now }));
    await enrol.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    const codes = page.getByRole('region', { name: 'Recovery codes' });
    await see(codes);
    expect(await codes.locator('li').count()).toBe(10);
    await codes.getByRole('button', { name: 'I have saved the recovery codes' }).click();
    await see(page.getByText('10 of 10 recovery codes left'));

    // Another browser: the password alone is not enough any more.
    const other = await newSession(browser, problems);
    await other.page.goto(`${url}/`);
    await other.page.getByLabel('Username').fill('first.admin');
    await other.page.getByLabel('Password').fill(NEW_PASSWORD);
    await other.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await see(other.page.getByLabel('Authentication code'));
    await other.page.getByLabel('Authentication code').fill('123456');
    await other.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await see(other.page.getByRole('alert'));
    // The enrolling code's time step is spent; the next step's code is what the app shows 30 s later.
    await other.page.getByLabel('Authentication code').fill(app.generate({ timestamp: now + 30_000 }));
    await other.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await see(other.page.getByRole('button', { name: 'Log out' }));
    await other.page.goto(`${url}/admin/users`);
    const row = other.page.getByRole('row').filter({ hasText: 'first.admin' });
    await see(row);
    expect(await row.textContent()).toContain('on');
    await other.context.close();
  });

  it('shows a new visitor the login form once an account exists', async () => {
    const visitor = await newSession(browser, problems);
    await visitor.page.goto(`${url}/`);
    await see(visitor.page.getByRole('button', { name: 'Sign in', exact: true }));
    expect(await visitor.page.getByRole('heading', { name: 'Set up Vigil' }).count()).toBe(0);
    await visitor.context.close();
    expect(problems).toEqual([]);
  });

  it('with requireMfa on, a new account must set up a second factor before anything else', async () => {
    const add = spawnSync(
      process.execPath,
      [
        join(repoRoot(), 'bin/vigil.js'),
        '--db',
        `sqlite:${join(dir, 'vigil.db')}`,
        'users',
        'add',
        'ce.night',
        '--role',
        'clinical-engineer',
        '--password-stdin',
      ],
      {
        input: `${DASHBOARD_PASSWORD}\n`,
        encoding: 'utf8',
        env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' },
      },
    );
    expect(add.status, add.stderr).toBe(0);
    await stop(server);
    ({ server, url } = await startVigil(join(dir, 'vigil.db'), {
      expectToken: false,
      env: { VIGIL_REQUIRE_MFA: 'true' },
    }));

    const night = await newSession(browser, problems);
    await night.page.goto(`${url}/inventory`);
    await night.page.getByLabel('Username').fill('ce.night');
    await night.page.getByLabel('Password').fill(DASHBOARD_PASSWORD);
    await night.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await see(night.page.getByText(/requires two-factor authentication for every account/));
    expect(await night.page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);

    await night.page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await night.page
      .getByRole('form', { name: 'Confirm your password' })
      .getByLabel('Current password')
      .fill(DASHBOARD_PASSWORD);
    await night.page.getByRole('button', { name: 'Continue' }).click();
    const key = (await night.page.locator('code.totp-key').textContent())!;
    await night.page.getByLabel('Code from the app').fill(authenticator(key).generate());
    await night.page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    await night.page.getByRole('button', { name: 'I have saved the recovery codes' }).click();
    // Now the whole dashboard answers, at the page first asked for.
    await see(night.page.getByRole('heading', { name: 'Inventory' }));
    await see(night.page.getByRole('navigation', { name: 'Main' }));
    await night.context.close();
    expect(problems).toEqual([]);
  });
});
