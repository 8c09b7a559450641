/**
 * The dashboard's admin area, device page additions and shared saved views, end to end in Debian's
 * Chromium (/usr/bin/chromium) with playwright-core at 1366×768, against the built `vigil serve` seeded
 * by test/e2e/dashboard-seed.ts (CMMS export, TASY-1, accounts alice/admin and carol/clinical-engineer).
 * This file adds, through the API: CISA's ICSMA-21-308-01 (test/fixtures/advisories/csaf), a hospital
 * VEX statement (CVE-2021-39376 not affected on TASY-1) and a task for CVE-2021-39375.
 *
 * Without /usr/bin/chromium the suite is skipped with a message, except when CI=true, where it fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  columnValues,
  launchChromium,
  newSession as openSession,
  screenshotOnFailure,
  see,
  signIn,
  skipWithoutChromium,
} from './browser.js';
import {
  DASHBOARD_PASSWORD as PASSWORD,
  repoRoot,
  type SeededVigil,
  startSeededVigil,
} from './dashboard-seed.js';

// The browser globals page.evaluate callbacks use (the root tsconfig has no DOM library, on purpose).
declare const localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };

describe.skipIf(skipWithoutChromium('admin'))(
  'dashboard admin, device history and shared views in Chromium',
  {
    timeout: 120_000,
  },
  () => {
    let vigil: SeededVigil;
    let url: string;
    let browser: Browser;
    let admin: Page;
    let adminContext: BrowserContext;
    const problems: string[] = [];

    const newSession = () => openSession(browser, problems);
    const login = (page: Page, username: string, path = '/') => signIn(page, url, username, path);

    beforeAll(async () => {
      vigil = await startSeededVigil();
      url = vigil.url;
      const as = await vigil.apiAs('alice');
      // The seed may or may not hold the advisory already; importing it again changes nothing.
      await as(
        'POST',
        '/api/v1/advisories/import?fileName=icsma-21-308-01.json',
        readFileSync(join(repoRoot(), 'test/fixtures/advisories/csaf/icsma-21-308-01.json'), 'utf8'),
        'application/octet-stream',
      );
      const tasy = (await as('GET', '/api/v1/devices/TASY-1')) as { id: string };
      await as('POST', '/api/v1/vex', {
        vulnerability: 'CVE-2021-39376',
        status: 'not-affected',
        justification: 'vulnerable_code_not_in_execute_path',
        statement: 'HTML5 module not deployed',
        device: tasy.id,
      });
      await as('POST', '/api/v1/tasks', { device: tasy.id, vulnerability: 'CVE-2021-39375' });
      browser = await launchChromium();
      ({ context: adminContext, page: admin } = await newSession());
      await login(admin, 'alice');
    }, 240_000);

    screenshotOnFailure('admin', () => admin);

    afterAll(async () => {
      await adminContext?.close();
      await browser?.close();
      await vigil?.stop();
    });

    it('one Admin entry in the navigation opens the admin area with its sub-pages', async () => {
      await admin.goto(`${url}/`);
      const nav = admin.getByRole('navigation', { name: 'Main' });
      await see(nav.getByRole('link', { name: 'Admin' }));
      expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
      expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
      await nav.getByRole('link', { name: 'Admin' }).click();
      await admin.waitForURL(/\/admin\/users$/);
      await see(admin.getByRole('table', { name: 'Accounts' }).getByText('carol'));
      const tabs = admin.getByRole('navigation', { name: 'Admin' });
      expect(await tabs.getByRole('link').allTextContents()).toEqual([
        'Users',
        'Roles',
        'API tokens',
        'Provisioning (SCIM)',
        'Audit log',
        'Settings',
        'Advisory subscriptions',
      ]);
      expect(await tabs.getByRole('link', { name: 'Users' }).getAttribute('aria-current')).toBe('page');
    });

    it('users: create an account and change its role', async () => {
      await admin.goto(`${url}/admin/users`);
      const form = admin.getByRole('form', { name: 'Create an account' });
      await form.getByLabel('Username').fill('dave');
      await form.getByLabel('Role').selectOption('auditor');
      await form.getByLabel('Initial password').fill(PASSWORD);
      await form.getByRole('button', { name: 'Create account' }).click();
      await see(admin.getByText('Account dave created.'));
      await admin.getByRole('button', { name: 'Change role of dave' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Change the role of dave' });
      await dialog.getByLabel('New role').selectOption('security-officer');
      await dialog.getByRole('button', { name: 'Change role' }).click();
      await see(admin.getByText('dave is now security-officer.'));
      // The message comes before the table has reloaded: wait for the row to show the new role.
      const row = admin.getByRole('table', { name: 'Accounts' }).locator('tr', { hasText: 'dave' });
      await row.filter({ hasText: 'security-officer' }).waitFor({ timeout: 10_000 });
      expect(await row.textContent()).toContain('security-officer');
    });

    it('API tokens: the secret is shown once after creation, works, and is gone after a reload', async () => {
      await admin.goto(`${url}/admin/tokens`);
      const form = admin.getByRole('form', { name: 'Create an API token' });
      await form.getByLabel('Token name').fill('siem-export');
      await form.getByLabel('Expires in days').fill('30');
      // Read-only by default: devices:read is ticked, devices:write is not.
      expect(await form.getByLabel('devices:read', { exact: true }).isChecked()).toBe(true);
      expect(await form.getByLabel('devices:write', { exact: true }).isChecked()).toBe(false);
      await form.getByRole('button', { name: 'Create token' }).click();
      const secretBox = admin.locator('.secret');
      await see(secretBox.getByText(/Vigil keeps only its hash/));
      const secret = (await secretBox.locator('code').textContent())!;
      expect(secret).toMatch(/^vgl_/);
      // The secret is a working read-only token.
      const res = await fetch(`${url}/api/v1/devices?pageSize=1`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      expect(res.status).toBe(200);
      const row = admin.getByRole('table', { name: 'API tokens' }).locator('tr', { hasText: 'siem-export' });
      await see(row);
      expect(await row.textContent()).not.toContain(secret);
      await admin.reload();
      await see(row);
      expect(await admin.locator('main').textContent()).not.toContain(secret);
      await row.getByRole('button', { name: 'Revoke token siem-export' }).click();
      await see(row.getByText(/revoked/));
      const after = await fetch(`${url}/api/v1/devices?pageSize=1`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      expect(after.status).toBe(401);
    });

    it('provisioning (SCIM): a token made in the page is shown once, works at /scim/v2, and is refused once revoked', async () => {
      await admin.goto(`${url}/admin/scim`);
      await see(admin.getByRole('heading', { name: 'Provisioning (SCIM)' }));
      expect(await admin.locator('code.scim-url').textContent()).toBe(`${url}/scim/v2`);
      const form = admin.getByRole('form', { name: 'Make a SCIM token' });
      await form.getByLabel('Token name').fill('Entra ID production');
      expect(await form.getByLabel('Expires in days').inputValue()).toBe('365');
      await form.getByLabel('Expires in days').fill('20');
      await form.getByRole('button', { name: 'Make a token' }).click();
      const tokenBox = admin.locator('.secret');
      await see(tokenBox.getByText(/shown only now/));
      const token = (await tokenBox.locator('code').textContent())!;
      expect(token).toMatch(/^vscim_/);
      // The token is what Entra ID would present: a SCIM list of users answers.
      const scimUsers = () =>
        fetch(`${url}/scim/v2/Users?count=1`, { headers: { authorization: `Bearer ${token}` } });
      const res = await scimUsers();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/scim+json');
      expect(await res.json()).toMatchObject({ totalResults: expect.any(Number) });
      const row = admin
        .getByRole('table', { name: 'SCIM tokens' })
        .locator('tr', { hasText: 'Entra ID production' });
      await see(row);
      expect(await row.textContent()).toContain('alice');
      expect(await row.textContent()).not.toContain(token);
      await admin.reload();
      await see(row);
      expect(await admin.locator('main').textContent()).not.toContain(token);
      expect(await row.textContent()).not.toContain('never');
      // 20 days left: within the 30 days the officers are warned of.
      expect(await row.textContent()).toContain('expires soon');
      await row.getByRole('button', { name: 'Revoke token Entra ID production' }).click();
      await see(row.getByText(/revoked/));
      expect((await scimUsers()).status).toBe(401);
      // Without users:write there is no such tab: dave is a security officer since the users step.
      const { context, page } = await newSession();
      try {
        await login(page, 'dave', '/admin/users');
        const tabs = page.getByRole('navigation', { name: 'Admin' });
        await see(tabs.getByRole('link', { name: 'Users' }));
        expect(await tabs.getByRole('link', { name: 'Provisioning (SCIM)' }).count()).toBe(0);
      } finally {
        await context.close();
      }
    });

    it('roles: every role with its permissions', async () => {
      await admin.goto(`${url}/admin/roles`);
      const matrix = admin.getByRole('table', { name: 'Permissions by role' });
      await see(matrix.getByText('users:write'));
      const headers = await matrix.locator('thead th').allTextContents();
      expect(headers).toEqual([
        'Permission',
        'Allows',
        'admin',
        'security-officer',
        'clinical-engineer',
        'auditor',
      ]);
      const row = matrix.locator('tbody tr', { hasText: 'users:write' });
      expect(await row.locator('td.yes .visually-hidden').allTextContents()).toEqual([
        'yes',
        'no',
        'no',
        'no',
      ]);
    });

    it('settings: the configuration read-only with where it is changed, and no credential', async () => {
      await admin.goto(`${url}/admin/settings`);
      const config = admin.getByRole('table', { name: 'Configuration' });
      await see(config.getByText('VIGIL_PORT'));
      await see(admin.getByText(/change it there and restart Vigil/));
      const smtp = config.locator('tr', { hasText: 'smtpPassword' });
      expect(await smtp.textContent()).toContain('not set');
      await see(admin.getByRole('table', { name: 'Alert destinations' }));
      // Backups: none taken and none scheduled on this server, and how to change that.
      const backups = admin.getByRole('region', { name: 'Backups' });
      await see(backups.getByText('none taken'));
      await see(backups.getByText(/Not scheduled: set backupIntervalHours, or run vigil db backup/));
      // Not encrypted either (no backupRecipients), and the card says what to set.
      await see(backups.getByText('not encrypted'));
      await see(backups.getByText(/set backupRecipients to an age public key/));
    });

    it('advisory subscriptions: subscribe to a feed and see its sync state', async () => {
      await admin.goto(`${url}/admin/subscriptions`);
      const form = admin.getByRole('form', { name: 'Subscribe to a feed' });
      await form.getByLabel('Kind').selectOption('kev');
      await form.getByLabel('Feed name').fill('CISA KEV');
      await form
        .getByLabel('URL')
        .fill('https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json');
      await form.getByRole('button', { name: 'Subscribe' }).click();
      await see(admin.getByText(/Subscribed to CISA KEV/));
      const row = admin.getByRole('table', { name: 'Subscriptions' }).locator('tr', { hasText: 'CISA KEV' });
      await see(row.getByText('never synced'));
      expect(await row.textContent()).toContain('kev');
    });

    it('audit log: the chain is shown intact and lists the admin actions', async () => {
      await admin.goto(`${url}/admin/audit`);
      await see(admin.getByText('chain intact'));
      const actions = await admin.locator('tbody tr td:nth-child(4)').allTextContents();
      expect(actions).toEqual(expect.arrayContaining(['token.create', 'token.revoke', 'feeds.subscribe']));
    });

    it('device page: VEX status per matched vulnerability, and the device history', async () => {
      await admin.goto(`${url}/devices/TASY-1`);
      const vulns = admin.getByRole('table', { name: 'Matched vulnerabilities' });
      const vexed = vulns.locator('tbody tr', { hasText: 'CVE-2021-39376' });
      await see(vexed);
      expect(await vexed.textContent()).toMatch(
        /not-affected.*vulnerable code not in execute path.*hospital statement by alice/,
      );
      expect(await vulns.locator('tbody tr', { hasText: 'CVE-2021-39375' }).textContent()).toContain(
        'no statement',
      );
      const history = admin.getByRole('table', { name: 'Device history' });
      await see(history.getByText('tasks.create'));
      const actions = await history.locator('tbody tr td:nth-child(3)').allTextContents();
      expect(actions).toEqual(expect.arrayContaining(['device.create', 'tasks.create']));
      await see(admin.getByRole('table', { name: 'Sources that observed this device' }).locator('tbody tr'));
    });

    it('saved views: views kept in this browser move to the server on the first visit', async () => {
      await admin.goto(`${url}/inventory`);
      await admin.evaluate(() =>
        localStorage.setItem(
          'vigil.inventory.savedViews',
          JSON.stringify([{ name: 'Old local pumps', query: '?deviceClass=infusion-pump' }]),
        ),
      );
      await admin.reload();
      await see(admin.getByRole('link', { name: 'Old local pumps' }));
      expect(await admin.evaluate(() => localStorage.getItem('vigil.inventory.savedViews'))).toBeNull();
      const as = await vigil.apiAs('alice');
      const views = (await as('GET', '/api/v1/saved-views?page=inventory')) as {
        items: { name: string; query: string }[];
      };
      expect(views.items).toContainEqual(
        expect.objectContaining({ name: 'Old local pumps', query: 'deviceClass=infusion-pump' }),
      );
    });

    it('saved views: one alice shares is visible to carol, a private one is not', async () => {
      await admin.goto(`${url}/inventory?criticality=life-sustaining`);
      await admin.getByLabel('Save current filters as').fill('Team life-sustaining');
      await admin.getByLabel('Share with team').check();
      await admin.getByRole('button', { name: 'Save view' }).click();
      await see(admin.getByRole('link', { name: 'Team life-sustaining' }));
      await admin.getByLabel('Save current filters as').fill('Alice only');
      await admin.getByRole('button', { name: 'Save view' }).click();
      await see(admin.getByRole('link', { name: 'Alice only' }));

      const { context, page } = await newSession();
      await login(page, 'carol', '/inventory');
      const saved = page.getByRole('region', { name: 'Saved views' });
      await see(saved.getByRole('link', { name: 'Team life-sustaining' }));
      expect(await saved.textContent()).toContain('shared by alice');
      expect(await saved.getByRole('link', { name: 'Alice only' }).count()).toBe(0);
      // Carol may use it but not remove it.
      expect(
        await saved.getByRole('button', { name: /Remove saved view Team life-sustaining/ }).count(),
      ).toBe(0);
      await saved.getByRole('link', { name: 'Team life-sustaining' }).click();
      await page.waitForURL(/criticality=life-sustaining/);
      // The URL changes before the filtered page has loaded: wait until the rows are the filtered ones.
      await expect.poll(() => columnValues(page, 5), { timeout: 15_000 }).toEqual(['life-sustaining']);
      // A clinical engineer has no Admin entry; settings and subscriptions open by URL with system:read.
      const nav = page.getByRole('navigation', { name: 'Main' });
      expect(await nav.getByRole('link', { name: 'Admin' }).count()).toBe(0);
      await page.goto(`${url}/admin`);
      await page.waitForURL(/\/admin\/settings$/);
      await see(page.getByRole('table', { name: 'Configuration' }));
      await context.close();
    });

    it('no Content-Security-Policy violation or uncaught error on any page', () => {
      expect(problems).toEqual([]);
    });
  },
);
