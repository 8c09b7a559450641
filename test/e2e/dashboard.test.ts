/**
 * The web dashboard end to end in a real browser: the built `vigil serve` seeded with real fixture data
 * (test/e2e/dashboard-seed.ts: the CMMS export and TASY-1), driven in Debian's Chromium
 * (/usr/bin/chromium) with playwright-core at 1366×768. The first test after signing in imports CISA's
 * ICSMA-21-308-01 and the HL7 capture (cleartext-phi findings and alerts) through the Import page; the
 * tests after it rely on that data.
 *
 * Without /usr/bin/chromium the suite is skipped with a message, except when CI=true, where it fails.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  columnValues,
  launchChromium,
  newSession as openSession,
  PATIENT,
  screenshotOnFailure,
  see,
  signIn,
  skipWithoutChromium,
} from './browser.js';
import {
  ADVISORY_FIXTURE,
  CAPTURE_FIXTURE,
  DASHBOARD_PASSWORD as PASSWORD,
  type SeededVigil,
  startSeededVigil,
} from './dashboard-seed.js';

// The browser globals page.evaluate callbacks use (the root tsconfig has no DOM library, on purpose).
interface PageElement {
  id: string;
  textContent: string | null;
  labels?: ArrayLike<{ textContent: string | null }> | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  activeElement: PageElement | null;
  documentElement: { scrollWidth: number };
  querySelectorAll(selector: string): Iterable<PageElement>;
};
declare function getComputedStyle(el: PageElement): { outlineStyle: string; outlineWidth: string };

let vigil: SeededVigil;
let url: string;
let browser: Browser;
/** Content-Security-Policy violations and uncaught errors seen by any page. */
const problems: string[] = [];

const newSession = () => openSession(browser, problems);
const login = (page: Page, username: string, path = '/') => signIn(page, url, username, path);

describe.skipIf(skipWithoutChromium('dashboard'))('web dashboard in Chromium', { timeout: 120_000 }, () => {
  let admin: Page;
  let adminContext: BrowserContext;
  let deviceTotal: number;

  beforeAll(async () => {
    vigil = await startSeededVigil();
    url = vigil.url;
    deviceTotal = vigil.deviceTotal;
    // launch() gives every run a fresh temporary profile (the --user-data-dir the brief asks for).
    browser = await launchChromium();
    ({ context: adminContext, page: admin } = await newSession());
  }, 240_000);

  // A failing step leaves a screenshot of the admin's page behind (its path is printed).
  screenshotOnFailure('dashboard', () => admin);

  afterAll(async () => {
    await browser?.close();
    await vigil?.stop();
  });

  it('refuses a wrong password with a visible error, then signs in', async () => {
    await admin.goto(`${url}/inventory`);
    await admin.getByLabel('Username').fill('alice');
    await admin.getByLabel('Password').fill('not the password at all');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await see(admin.getByRole('alert'));
    expect(await admin.getByRole('alert').textContent()).toMatch(/password|credentials|invalid/i);
    await admin.getByLabel('Password').fill(PASSWORD);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await see(admin.getByRole('heading', { name: 'Inventory' }));
    // The deep link survived the login, and the shell shows who is signed in.
    expect(admin.url()).toBe(`${url}/inventory`);
    expect(await admin.locator('.who').textContent()).toBe('alice (admin)');
  });

  it('imports the advisory and the capture through the Import page, then finds the affected device', async () => {
    await admin.goto(`${url}/vulnerabilities`);
    await admin.getByRole('link', { name: 'Import advisories' }).click();
    await see(admin.getByRole('heading', { name: 'Import', exact: true }));
    expect(admin.url()).toBe(`${url}/import`);

    const advisory = admin.getByRole('region', { name: 'Advisory' });
    await advisory.getByLabel('Advisory file').setInputFiles(ADVISORY_FIXTURE);
    await advisory.getByRole('button', { name: 'Import advisory' }).click();
    await see(advisory.getByRole('link', { name: 'ICSMA-21-308-01' }));
    const advisoryStatus = await advisory.getByRole('status').textContent();
    expect(advisoryStatus).toContain('icsma-21-308-01.json: imported.');
    // CVE-2021-39375 and CVE-2021-39376 on TASY-1.
    expect(advisoryStatus).toContain('2 new matches');

    const capture = admin.getByRole('region', { name: 'Packet capture' });
    await capture.getByLabel('Capture file').setInputFiles(CAPTURE_FIXTURE);
    await capture.getByRole('button', { name: 'Import capture' }).click();
    await see(capture.getByText('04-hl7-mllp.pcap: imported.'));
    const captureStatus = await capture.getByRole('status').textContent();
    expect(captureStatus).toMatch(/\d+ packets read/);
    expect(captureStatus).toMatch(/[1-9]\d* new devices? \(staged for review\)/);
    expect(captureStatus).toMatch(/[1-9]\d* new alerts?/);
    expect(await admin.locator('main').textContent()).not.toMatch(PATIENT);
    // The capture's hosts joined the inventory: the later tests count them.
    const api = await vigil.apiAs('alice');
    deviceTotal = ((await api('GET', '/api/v1/devices?pageSize=1')) as { total: number }).total;
    expect(deviceTotal).toBeGreaterThan(vigil.deviceTotal);

    // From the result to the advisory's fleet impact, then to the affected device.
    await advisory.getByRole('link', { name: 'ICSMA-21-308-01' }).click();
    await see(admin.getByRole('heading', { name: /ICSMA-21-308-01/ }));
    await see(
      admin.getByRole('table', { name: 'Fleet impact of CVE-2021-39375' }).getByText('Tasy EMR HTML5'),
    );
    await admin.getByRole('link', { name: '← Vulnerabilities' }).click();
    const matches = admin.getByRole('table', { name: 'Vulnerability matches' });
    await matches.getByRole('link', { name: 'TASY-1' }).first().click();
    await see(admin.getByRole('heading', { name: /TASY-1/ }));
    await see(admin.getByRole('table', { name: 'Matched vulnerabilities' }).getByText('CVE-2021-39376'));
  });

  it('inventory: server totals, filters, search, sort and CSV export', async () => {
    const started = performance.now();
    await admin.goto(`${url}/inventory`);
    await see(admin.getByRole('link', { name: 'BME-10001' }));
    console.log(`dashboard e2e: inventory first page shown in ${Math.round(performance.now() - started)} ms`);
    await see(admin.getByText(`of ${deviceTotal} (page 1 of 1)`));

    await admin.getByLabel('Class').selectOption('infusion-pump');
    await admin.getByRole('button', { name: 'Apply filters' }).click();
    await admin.waitForURL(/deviceClass=infusion-pump/);
    // The URL changes before the filtered page has loaded: wait until the rows are the filtered ones.
    await expect.poll(() => columnValues(admin, 4), { timeout: 15_000 }).toEqual(['infusion-pump']);
    expect((await admin.locator('tbody tr').allTextContents()).length).toBeGreaterThan(1);

    await admin.getByRole('button', { name: 'Clear' }).click();
    await admin.getByLabel('Search').fill('TASY');
    await admin.getByLabel('Search').press('Enter');
    await admin.waitForURL(/q=TASY/);
    await see(admin.getByText('1–1 of 1'));
    expect(await admin.locator('tbody tr').count()).toBe(1);

    // Sorting asks the server: descending asset tags put TASY-1 (T > B) before every BME tag.
    await admin.goto(`${url}/inventory`);
    await admin.getByRole('button', { name: /^Asset tag/ }).click();
    await admin.waitForURL(/order=desc/);
    await see(admin.locator('th[aria-sort="descending"]'));
    // aria-sort follows the URL at once, the rows when the server answers: wait for them.
    await see(admin.locator('tbody tr:first-child td:first-child', { hasText: /^TASY-1$/ }));

    const href = await admin.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    expect(href).toMatch(/^\/api\/v1\/devices\/export\?/);
    const csv = await admin.evaluate(async (h) => (await fetch(h!)).text(), href);
    expect(csv.split(/\r?\n/).filter(Boolean)).toHaveLength(deviceTotal + 1);

    // Nothing wider than the 1366 px screen: the table scrolls inside its own box.
    expect(await admin.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1366);
  });

  it('inventory: saved views come back after a reload', async () => {
    await admin.goto(`${url}/inventory?criticality=life-sustaining`);
    await admin.getByLabel('Save current filters as').fill('Life-sustaining');
    await admin.getByRole('button', { name: 'Save view' }).click();
    await admin.goto(`${url}/inventory`);
    await admin.getByRole('link', { name: 'Life-sustaining' }).click();
    await admin.waitForURL(/criticality=life-sustaining/);
    await expect.poll(() => columnValues(admin, 5), { timeout: 15_000 }).toEqual(['life-sustaining']);
  });

  it('keyboard: the skip link appears on focus and leads to the page; focus is always visible', async () => {
    await admin.goto(`${url}/inventory`);
    await see(admin.getByRole('link', { name: 'BME-10001' }));
    const skip = admin.getByRole('link', { name: 'Skip to content' });
    await skip.focus();
    const box = await skip.boundingBox();
    expect(box && box.x >= 0 && box.y >= 0).toBe(true);
    await admin.keyboard.press('Enter');
    expect(await admin.evaluate(() => document.activeElement?.id)).toBe('main');
    // The next Tab lands on the first filter, with a visible outline.
    await admin.keyboard.press('Tab');
    const focused = await admin.evaluate(() => {
      const el = document.activeElement!;
      const s = getComputedStyle(el);
      return {
        label: el.labels?.[0]?.textContent,
        style: s.outlineStyle,
        width: Number.parseFloat(s.outlineWidth),
      };
    });
    expect(focused.label).toBe('Search');
    expect(focused.style).not.toBe('none');
    expect(focused.width).toBeGreaterThanOrEqual(2);
    // Sort headers are buttons: Enter sorts.
    await admin.getByRole('button', { name: /^Model/ }).focus();
    await admin.keyboard.press('Enter');
    await admin.waitForURL(/sort=model/);
    // Every form control on the page has a label.
    const unlabelled = await admin.evaluate(
      () =>
        [...document.querySelectorAll('input, select, textarea')].filter(
          (el) => !el.labels?.length && !el.getAttribute('aria-label'),
        ).length,
    );
    expect(unlabelled).toBe(0);
  });

  it('device page: identity with sources, matched vulnerabilities with explanations', async () => {
    await admin.goto(`${url}/inventory?q=TASY`);
    await admin.getByRole('link', { name: 'TASY-1' }).click();
    await see(admin.getByRole('heading', { name: /TASY-1/ }));
    const vulns = admin.getByRole('table', { name: 'Matched vulnerabilities' });
    await see(vulns.getByText('CVE-2021-39375'));
    await see(vulns.getByText('CVE-2021-39376'));
    expect(await vulns.getByText('affected').count()).toBe(2);
    expect(await vulns.textContent()).toContain('ICSMA-21-308-01');
    const risk = admin.getByRole('table', { name: 'Risk decisions and their inputs' });
    await see(risk.getByText('CVE-2021-39375'));
    expect(await risk.locator('tbody tr').count()).toBe(2);
    expect(await risk.textContent()).toMatch(/defer|scheduled|out-of-cycle|immediate/);
    const facts = admin.getByRole('table', { name: 'Facts and their sources' });
    await see(facts.getByText('3.06.1700'));
  });

  it('device page: records a sanitization (NIST SP 800-88) and lists it', async () => {
    const records = admin.getByRole('table', { name: 'Sanitization records' });
    await see(records.getByText('No sanitization recorded.'));
    const form = admin.getByRole('form', { name: 'Record a sanitization' });
    await form.getByLabel('Method (NIST SP 800-88)').selectOption('purge');
    await form.getByLabel('Performed or verified by').fill('J. Ortiz (biomed)');
    await form.getByLabel('Certificate or work order (optional)').fill('WO-4711');
    await form.getByRole('button', { name: 'Record' }).click();
    await see(
      form.getByRole('status').getByText(/^Recorded: purge on \d{4}-\d{2}-\d{2} by J\. Ortiz \(biomed\)\.$/),
    );
    await see(records.getByRole('cell', { name: 'WO-4711' }));
    expect(await records.locator('tbody tr').count()).toBe(1);
    expect(await records.textContent()).toContain('purge');
  });

  it('device page: a fingerprint suggestion (a medical maker’s MAC prefix) adopted as the device class', async () => {
    // 04-hl7-mllp.pcap's ORU sender has a MAC of Philips Medical Systems - Cardiac and Monitoring Systems.
    await admin.goto(`${url}/inventory?q=10.30.0.41`);
    // The list marks what is only suggested: no class or maker is known yet.
    const list = admin.getByRole('table', { name: 'Devices' });
    await see(list.getByText('patient-monitor?'));
    await see(list.getByText('Philips?'));
    // A discovered device has no asset tag or serial: the inventory links it by its MAC.
    await admin.getByRole('link', { name: '00:09:5c:41:00:41' }).click();
    await see(admin.getByRole('heading', { name: 'Suggested by fingerprinting' }));
    const said = admin.getByRole('table', { name: 'What the device says about itself' });
    await see(said.getByRole('cell', { name: 'oui.vendor' }));
    expect(await said.textContent()).toContain('Philips Medical Systems - Cardiac and Monitoring Systems');
    const classItem = admin.getByRole('listitem').filter({ hasText: /^Class: patient-monitor/ });
    await see(classItem);
    expect(await classItem.textContent()).toContain('confidence 0.40');
    await classItem.getByRole('button', { name: 'Adopt class' }).click();
    await see(admin.getByRole('table', { name: 'Facts and their sources' }).getByText('patient-monitor'));
    expect(
      await admin
        .getByRole('listitem')
        .filter({ hasText: /^Class: / })
        .count(),
    ).toBe(0);
    await see(admin.getByRole('listitem').filter({ hasText: /^Manufacturer: Philips/ }));
  });

  it('vulnerabilities: the advisory with its fleet impact by model, version and site', async () => {
    await admin.goto(`${url}/vulnerabilities`);
    const matches = admin.getByRole('table', { name: 'Vulnerability matches' });
    await see(matches.getByText('CVE-2021-39376'));
    await admin.getByRole('link', { name: 'ICSMA-21-308-01' }).click();
    await see(admin.getByRole('heading', { name: /ICSMA-21-308-01/ }));
    const fleet = admin.getByRole('table', { name: 'Fleet impact of CVE-2021-39375' });
    const row = fleet.locator('tbody tr').first();
    await see(row);
    expect((await row.locator('td').allTextContents()).slice(1)).toEqual([
      'Tasy EMR HTML5',
      '3.06.1700',
      'North Clinic',
      'affected',
      '1',
      'available',
    ]);
  });

  it('queue and tasks: create a task from the queue, schedule it, mark it applied', async () => {
    await admin.goto(`${url}/queue`);
    await see(admin.getByRole('table', { name: 'Work queue' }).getByText('CVE-2021-39375'));
    await admin.getByRole('button', { name: /Create a task for CVE-2021-39375 on TASY-1/ }).click();
    await see(admin.getByText(/Task created/));

    await admin.getByRole('button', { name: 'Grouped by model and fix' }).click();
    await see(
      admin.getByRole('table', { name: 'Queue grouped by model and fix' }).getByText('Tasy EMR HTML5'),
    );

    await admin.goto(`${url}/tasks`);
    const row = admin.locator('tbody tr', { hasText: 'TASY-1' });
    await see(row);
    expect(await row.textContent()).toContain('open');

    await row.getByRole('button', { name: /^Move task/ }).click();
    const dialog = admin.getByRole('dialog', { name: 'Move task' });
    await dialog.getByLabel('New state').selectOption('scheduled');
    await dialog.getByLabel('Assignee').fill('biomed-anna');
    await dialog.getByLabel('Window start').fill('2026-12-01T08:00');
    await dialog.getByLabel('Window end').fill('2026-12-01T12:00');
    await dialog.getByRole('button', { name: 'Move task' }).click();
    await see(admin.getByText('Task moved to scheduled.'));
    await see(row.getByText('biomed-anna'));

    await row.getByRole('button', { name: /^Move task/ }).click();
    await dialog.getByLabel('New state').selectOption('applied');
    await dialog.getByLabel('Applied by').fill('biomed-anna');
    await dialog.getByLabel('Applied at').fill('2026-12-01T10:30');
    await dialog.getByRole('button', { name: 'Move task' }).click();
    await see(admin.getByText('Task moved to applied.'));
    await see(row.getByText('applied', { exact: true }));
  });

  it('alerts: the cleartext-PHI alert is listed without patient values and can be acknowledged', async () => {
    await admin.goto(`${url}/alerts`);
    const row = admin.locator('tbody tr', { hasText: 'cleartext-phi' }).first();
    await see(row);
    expect(await row.textContent()).toContain('new');
    // The capture's PID segments carry a (fake) patient: none of it may reach the screen.
    expect(await admin.locator('main').textContent()).not.toMatch(PATIENT);
    await row.getByRole('link').click();
    await see(admin.getByRole('heading', { name: 'Findings' }));
    expect(await admin.locator('main').textContent()).not.toMatch(PATIENT);
    await admin.goto(`${url}/alerts`);
    await row.getByRole('button', { name: /^Acknowledge/ }).click();
    await admin.goto(`${url}/alerts?state=acknowledged`);
    await see(admin.locator('tbody tr', { hasText: 'cleartext-phi' }));
  });

  it('overview: counts are links to the filtered lists and the chart renders', async () => {
    await admin.goto(`${url}/`);
    await see(admin.getByRole('link', { name: `${deviceTotal} devices`, exact: true }));
    await see(admin.locator('.uplot canvas'));
    await admin.getByRole('link', { name: '1 vulnerable devices' }).click();
    await admin.waitForURL(/vulnerable=yes/);
    await see(admin.getByRole('link', { name: 'TASY-1' }));
    expect(await admin.locator('tbody tr').count()).toBe(1);
    await admin.goto(`${url}/`);
    await admin.getByRole('link', { name: 'infusion-pump' }).click();
    await admin.waitForURL(/\/inventory\?deviceClass=infusion-pump/);
    await see(admin.getByRole('heading', { name: 'Inventory' }));
  });

  it('admin: the audit log shows the chain intact and the task moves', async () => {
    await admin.goto(`${url}/admin/audit`);
    await see(admin.getByText('chain intact'));
    const actions = await admin.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(actions.some((a) => a.startsWith('task'))).toBe(true);
    await admin.goto(`${url}/admin/users`);
    await see(admin.getByRole('table', { name: 'Accounts' }).getByText('carol'));
    await see(admin.getByRole('button', { name: 'Disable carol' }));
  });

  it('a clinical engineer sees no admin pages or risk acceptance, and the server refuses them anyway', async () => {
    const { context, page } = await newSession();
    await login(page, 'carol', '/tasks');
    await see(page.getByRole('heading', { name: 'Tasks' }));
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual([
      'Overview',
      'Inventory',
      'Vulnerabilities',
      'Work queue',
      'Tasks',
      'Alerts',
      'Network',
      'Program',
      'Import',
    ]);
    await see(page.locator('tbody tr', { hasText: 'TASY-1' }));
    expect(await page.getByRole('button', { name: /Accept risk/ }).count()).toBe(0);
    await page.goto(`${url}/admin/audit`);
    await see(page.getByRole('alert').getByText(/audit:read/));
    await context.close();
  });

  it('logs out, and the pages need a session again', async () => {
    await admin.goto(`${url}/`);
    await admin.getByRole('button', { name: 'Log out' }).click();
    await see(admin.getByRole('button', { name: 'Sign in' }));
    await admin.goto(`${url}/inventory`);
    await see(admin.getByRole('button', { name: 'Sign in' }));
    await adminContext.close();
  });

  it('no Content-Security-Policy violation or uncaught error on any page', () => {
    expect(problems).toEqual([]);
  });
});
