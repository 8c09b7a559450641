/**
 * Saved views beyond the inventory, end to end in Debian's Chromium (/usr/bin/chromium) with
 * playwright-core at 1366×768, against the built `vigil serve` seeded by test/e2e/dashboard-seed.ts plus,
 * through the API, CISA's ICSMA-21-308-01 and the HL7 capture (its cleartext-phi alerts; one is
 * acknowledged here). The alerts, queue and audit pages each save their URL filters as a named view,
 * which is listed on that page only, leads back to the same filters (URL, filter controls and rows) from
 * elsewhere in the app, and can be removed.
 *
 * Without /usr/bin/chromium the suite is skipped with a message, except when CI=true, where it fails.
 */
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
import { type ApiRequest, importFixtures, type SeededVigil, startSeededVigil } from './dashboard-seed.js';

type View = { name: string; page: string; query: string };

describe.skipIf(skipWithoutChromium('saved views'))(
  'saved views on the alerts, queue and audit pages in Chromium',
  { timeout: 120_000 },
  () => {
    let vigil: SeededVigil;
    let url: string;
    let browser: Browser;
    let page: Page;
    let context: BrowserContext;
    let as: ApiRequest;
    const problems: string[] = [];

    const views = async (p: string) =>
      ((await as('GET', `/api/v1/saved-views?page=${p}`)) as { items: View[] }).items;

    beforeAll(async () => {
      vigil = await startSeededVigil();
      url = vigil.url;
      as = await vigil.apiAs('alice');
      await importFixtures(as);
      // One acknowledged alert, so that the state filter leaves some rows out.
      const alerts = (await as('GET', '/api/v1/alerts')) as { items: { id: string; state: string }[] };
      expect(alerts.items.length).toBeGreaterThan(1);
      await as('POST', `/api/v1/alerts/${alerts.items[0]!.id}/state`, { state: 'acknowledged' });
      browser = await launchChromium();
      ({ context, page } = await openSession(browser, problems));
      await signIn(page, url, 'alice', '/alerts');
    }, 240_000);

    screenshotOnFailure('saved-views', () => page);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await vigil?.stop();
    });

    it('alerts: a filter saved as a view comes back from its link, and the view can be removed', async () => {
      await see(page.getByRole('heading', { name: 'Alerts' }));
      await expect.poll(() => columnValues(page, 5), { timeout: 15_000 }).toContain('new');

      await page.getByLabel('State').selectOption('acknowledged');
      await page.waitForURL(/state=acknowledged/);
      await expect.poll(() => columnValues(page, 5), { timeout: 15_000 }).toEqual(['acknowledged']);

      const saved = page.getByRole('region', { name: 'Saved views' });
      await saved.getByLabel('Save current filters as').fill('Acknowledged alerts');
      await saved.getByRole('button', { name: 'Save view' }).click();
      await see(saved.getByRole('link', { name: 'Acknowledged alerts' }));
      // The filters are saved, not the page number the URL also carries.
      expect(page.url()).toMatch(/page=1/);
      expect(await views('alerts')).toEqual([
        expect.objectContaining({ name: 'Acknowledged alerts', page: 'alerts', query: 'state=acknowledged' }),
      ]);
      expect(await saved.getByLabel('Save current filters as').inputValue()).toBe('');

      // A view belongs to its page: the inventory does not list it.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inventory' }).click();
      await see(page.getByRole('heading', { name: 'Inventory' }));
      await see(page.getByRole('region', { name: 'Saved views' }).getByLabel('Save current filters as'));
      expect(await page.getByRole('link', { name: 'Acknowledged alerts' }).count()).toBe(0);

      // Back to the unfiltered alerts through the navigation, then through the view's link.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
      await page.waitForURL(`${url}/alerts`);
      expect(await page.getByLabel('State').inputValue()).toBe('');
      await expect.poll(() => columnValues(page, 5), { timeout: 15_000 }).toContain('new');
      const link = saved.getByRole('link', { name: 'Acknowledged alerts' });
      expect(await link.getAttribute('href')).toBe('/alerts?state=acknowledged');
      await link.click();
      await page.waitForURL(`${url}/alerts?state=acknowledged`);
      expect(await page.getByLabel('State').inputValue()).toBe('acknowledged');
      await expect.poll(() => columnValues(page, 5), { timeout: 15_000 }).toEqual(['acknowledged']);

      await saved.getByRole('button', { name: 'Remove saved view Acknowledged alerts' }).click();
      await expect.poll(() => link.count(), { timeout: 15_000 }).toBe(0);
      expect(await views('alerts')).toEqual([]);
      // Removing the view leaves the filters as they are.
      expect(page.url()).toBe(`${url}/alerts?state=acknowledged`);
    });

    it('queue: the grouped view is saved and restored, without the page number', async () => {
      await page.goto(`${url}/queue?page=1`);
      await see(page.getByRole('table', { name: 'Work queue' }).getByText('CVE-2021-39375'));
      await page.getByRole('button', { name: 'Grouped by model and fix' }).click();
      await page.waitForURL(/view=groups/);
      const saved = page.getByRole('region', { name: 'Saved views' });
      await saved.getByLabel('Save current filters as').fill('By model');
      await saved.getByLabel('Share with team').check();
      await saved.getByRole('button', { name: 'Save view' }).click();
      await see(saved.getByRole('link', { name: 'By model' }));
      expect(await saved.textContent()).toContain('(shared)');
      expect(await views('queue')).toEqual([
        expect.objectContaining({ name: 'By model', query: 'view=groups' }),
      ]);

      await page.getByRole('button', { name: 'Items' }).click();
      await page.waitForURL(`${url}/queue?page=1`);
      await saved.getByRole('link', { name: 'By model' }).click();
      await page.waitForURL(`${url}/queue?view=groups`);
      expect(
        await page.getByRole('button', { name: 'Grouped by model and fix' }).getAttribute('aria-pressed'),
      ).toBe('true');
      await see(
        page.getByRole('table', { name: 'Queue grouped by model and fix' }).getByText('Tasy EMR HTML5'),
      );

      await saved.getByRole('button', { name: 'Remove saved view By model' }).click();
      await expect
        .poll(() => saved.getByRole('link', { name: 'By model' }).count(), { timeout: 15_000 })
        .toBe(0);
      expect(await views('queue')).toEqual([]);
    });

    it('audit log: a saved actor filter fills the filter field again when followed', async () => {
      await page.goto(`${url}/admin/audit`);
      await see(page.getByText('chain intact'));
      await page.getByLabel('Actor').fill('alice');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/actor=alice/);
      await expect.poll(() => columnValues(page, 3), { timeout: 15_000 }).toEqual(['alice (user)']);
      const saved = page.getByRole('region', { name: 'Saved views' });
      await saved.getByLabel('Save current filters as').fill("Alice's changes");
      await saved.getByRole('button', { name: 'Save view' }).click();
      await see(saved.getByRole('link', { name: "Alice's changes" }));
      expect(await views('audit')).toEqual([expect.objectContaining({ query: 'actor=alice' })]);

      // The same page without filters (the Admin tab), then the view: the field follows the URL.
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.waitForURL(`${url}/admin/audit`);
      await expect.poll(() => page.getByLabel('Actor').inputValue()).toBe('');
      await saved.getByRole('link', { name: "Alice's changes" }).click();
      await page.waitForURL(`${url}/admin/audit?actor=alice`);
      await expect.poll(() => page.getByLabel('Actor').inputValue()).toBe('alice');
      await expect.poll(() => columnValues(page, 3), { timeout: 15_000 }).toEqual(['alice (user)']);

      await saved.getByRole('button', { name: "Remove saved view Alice's changes" }).click();
      await expect
        .poll(() => saved.getByRole('link', { name: "Alice's changes" }).count(), { timeout: 15_000 })
        .toBe(0);
      expect(await views('audit')).toEqual([]);
    });

    it('no Content-Security-Policy violation or uncaught error on any page', () => {
      expect(problems).toEqual([]);
    });
  },
);
