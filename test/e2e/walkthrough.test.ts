/**
 * A security officer's and a clinical engineer's journeys through the dashboard, with the data they
 * meet in a hospital: the seeded server of dashboard-seed.ts plus, through the API, the seed's advisory
 * and HL7 capture (`importFixtures`), CISA's ICSMA-20-023-01 (GE CARESCAPE: on the CMMS fixture's
 * Central Station BME-21010 five CVEs are `scheduled` and one `defer`, so one queue group holds two
 * decisions; test/fixtures/advisories/dashboard), the DHCP/DNS/mDNS capture (hosts whose newest address
 * is a link-local fe80:: one) and a make and model for the HL7 receiver 10.30.0.5 (so its peer
 * 10.30.0.41 sees it as `model:<id>`). Driven in Chromium at 1366×768; each test names what it checks.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  newSession,
  PATIENT,
  screenshotOnFailure,
  see,
  signIn,
  skipWithoutChromium,
} from './browser.js';
import {
  type ApiRequest,
  DASHBOARD_PASSWORD,
  importCapture,
  importFixtures,
  repoRoot,
  type SeededVigil,
  startSeededVigil,
} from './dashboard-seed.js';

// The browser globals page.evaluate callbacks use (the root tsconfig has no DOM library, on purpose).
declare const document: {
  documentElement: { scrollWidth: number };
  querySelector(selector: string): { scrollWidth: number; clientWidth: number } | null;
};

const fixtures = join(repoRoot(), 'test/fixtures');
const DECISIONS = ['immediate', 'out-of-cycle', 'scheduled', 'defer'] as const;

interface QueuePage {
  total: number;
  items: {
    kind: string;
    deviceId: string;
    deviceLabel: string;
    vulnerability: string | null;
    cve: string | null;
    title: string | null;
    decision: string;
  }[];
}

let vigil: SeededVigil;
let url: string;
let browser: Browser;
let as: ApiRequest;
const problems: string[] = [];

describe.skipIf(skipWithoutChromium('walkthrough'))(
  'dashboard journeys in Chromium',
  { timeout: 120_000 },
  () => {
    let page: Page;
    let context: BrowserContext;

    beforeAll(async () => {
      vigil = await startSeededVigil();
      url = vigil.url;
      as = await vigil.apiAs('alice');
      await importFixtures(as);
      await as(
        'POST',
        '/api/v1/advisories/import?fileName=icsma-20-023-01.json',
        readFileSync(join(fixtures, 'advisories/dashboard/icsma-20-023-01.json')),
        'application/octet-stream',
      );
      await importCapture(as, join(fixtures, 'captures/01-dhcp-dns-mdns.pcap'));
      const found = (await as('GET', '/api/v1/devices?q=10.30.0.5')) as {
        items: { id: string; ips: string[] }[];
      };
      const receiver = found.items.find((d) => d.ips.includes('10.30.0.5'))!;
      await as('PATCH', `/api/v1/devices/${receiver.id}`, {
        manufacturer: 'Philips',
        model: 'IntelliBridge EC 40',
      });
      browser = await launchChromium();
      ({ context, page } = await newSession(browser, problems));
      await signIn(page, url, 'alice');
    }, 240_000);

    screenshotOnFailure('walkthrough', () => page);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await vigil?.stop();
    });

    it('overview: each decision counts its own items, as the API does, and links to the filtered queue', async () => {
      const totals: Record<string, number> = {};
      for (const d of DECISIONS)
        totals[d] = ((await as('GET', `/api/v1/queue?decision=${d}&limit=1`)) as QueuePage).total;
      // ICSMA-20-023-01 on BME-21010: 5 scheduled and 1 defer in one group, whose decision is "scheduled".
      expect(totals['defer']).toBeGreaterThan(0);
      await page.goto(`${url}/`);
      for (const d of DECISIONS)
        await see(page.getByRole('link', { name: `${totals[d]} ${d}`, exact: true }));
      await page.getByRole('link', { name: `${totals['scheduled']} scheduled`, exact: true }).click();
      await page.waitForURL(/\/queue\?decision=scheduled/);
      await see(page.getByText(`of ${totals['scheduled']} (page 1 of`));
      expect(await page.getByLabel('Decision').inputValue()).toBe('scheduled');
      const shown = await page.locator('tbody tr td:nth-child(2)').allTextContents();
      expect(new Set(shown)).toEqual(new Set(['scheduled']));

      // Grouped, the Central Station's update lists its items per decision: the group says scheduled.
      await page.goto(`${url}/queue?view=groups`);
      const group = page
        .getByRole('table', { name: 'Queue grouped by model and fix' })
        .locator('tr', { hasText: 'CARESCAPE Central Station' });
      await see(group.getByText('6 (5 scheduled, 1 defer)', { exact: true }));
    });

    it('overview: devices by criticality include those not set yet, linked to the inventory of them', async () => {
      const unset = ((await as('GET', '/api/v1/devices?criticality=none&pageSize=1')) as { total: number })
        .total;
      // The seed's TASY-1 and every device a capture discovered have no criticality yet.
      expect(unset).toBeGreaterThan(1);
      await page.goto(`${url}/`);
      const bars = page.getByRole('region', { name: 'Devices by criticality' });
      const row = bars.locator('li', { has: page.getByRole('link', { name: 'not set', exact: true }) });
      await see(row.getByText(String(unset), { exact: true }));
      await row.getByRole('link', { name: 'not set' }).click();
      await page.waitForURL(/\/inventory\?criticality=none/);
      await see(page.getByText(`of ${unset} (page 1 of`));
      expect(await page.getByLabel('Criticality').inputValue()).toBe('none');
    });

    it('queue: "Create task" answers in its row, and names the existing task when there is one', async () => {
      // The queue's first page (50 rows), as the page shows it.
      const queue = (await as('GET', '/api/v1/queue?limit=50')) as QueuePage;
      const vulns = queue.items.filter((i) => i.kind === 'vulnerability');
      const rowOf = (i: QueuePage['items'][number]) => page.locator('tbody tr').nth(queue.items.indexOf(i));
      const button = (i: QueuePage['items'][number]) =>
        rowOf(i).getByRole('button', {
          name: `Create a task for ${i.cve ?? i.vulnerability} on ${i.deviceLabel}`,
        });
      // The last vulnerability on the first page: far below the top of the page.
      const last = vulns.at(-1)!;
      await page.goto(`${url}/queue`);
      // By keyboard: Enter on the button; focus stays in the row, on the outcome that replaced it.
      await button(last).focus();
      await page.keyboard.press('Enter');
      await see(rowOf(last).getByRole('status').getByText('Task created:'));
      await expect
        .poll(() => rowOf(last).evaluate((row) => row.contains(row.ownerDocument.activeElement)))
        .toBe(true);
      expect(await button(last).count()).toBe(0);
      await rowOf(last)
        .getByRole('link', { name: `${last.vulnerability} on ${last.deviceLabel}` })
        .click();
      await page.waitForURL(/\/tasks\?task=/);

      // A task made elsewhere meanwhile (the CLI, a colleague): the row says which, by name.
      const other = vulns[0]!;
      await as('POST', '/api/v1/tasks', { device: other.deviceId, vulnerability: other.vulnerability });
      await page.goto(`${url}/queue`);
      await button(other).click();
      const refusal = rowOf(other).getByRole('alert');
      await see(refusal);
      const text = (await refusal.textContent()) ?? '';
      expect(text).toContain(`${other.vulnerability} on ${other.deviceLabel} already has task "`);
      // The device is named, not given by its id.
      expect(text).not.toContain(other.deviceId);
    });

    it('device page: headed as the queue names it, vulnerabilities linked, peers by model, a task created', async () => {
      const queue = (await as('GET', '/api/v1/queue?limit=1000')) as QueuePage;
      const finding = queue.items.find((i) => i.kind === 'finding' && i.deviceLabel === '10.30.0.41')!;
      expect(finding).toBeDefined();
      await page.goto(`${url}/queue`);
      await page.getByRole('link', { name: '10.30.0.41', exact: true }).first().click();
      await see(page.getByRole('heading', { level: 1, name: '10.30.0.41' }));

      // Only a capture knows this device: its history says so, and its sources list the MAC and IP seen.
      const observed = page.getByRole('table', { name: 'Sources that observed this device' });
      await see(observed.getByRole('cell', { name: 'capture', exact: true }));
      expect(await observed.textContent()).not.toContain('No source has reported this device');
      const facts = page.getByRole('table', { name: 'Facts and their sources' });
      await see(facts.locator('tr', { hasText: '10.30.0.41' }).getByText('capture'));

      // Its peer, the HL7 receiver 10.30.0.5, is known by make and model: the role names it, not its model's id.
      const peers = page.getByRole('table', { name: 'Communication peers' });
      await see(peers.getByText('model Philips IntelliBridge EC 40'));
      expect(await peers.textContent()).not.toMatch(/model:[0-9a-f-]{36}/);

      // From the device's open finding to a task, in its row; the Tasks section lists it at once.
      const risk = page.getByRole('table', { name: 'Risk decisions and their inputs' });
      await risk.getByRole('button', { name: `Create a task for ${finding.title} on 10.30.0.41` }).click();
      await see(risk.getByRole('status').getByText('Task created:'));
      await see(page.getByRole('table', { name: 'Remediation tasks' }).getByText(finding.title!));
      expect(await page.locator('main').textContent()).not.toMatch(PATIENT);

      // A device with matches: each vulnerability leads to its advisory's fleet view.
      await page.goto(`${url}/inventory?q=BME-21010`);
      await page.getByRole('link', { name: 'BME-21010' }).click();
      const vulns = page.getByRole('table', { name: 'Matched vulnerabilities' });
      await vulns.getByRole('link', { name: 'CVE-2020-6965' }).click();
      await page.waitForURL(/\/vulnerabilities\/CVE-2020-6965$/);
      await see(
        page
          .getByRole('table', { name: 'Fleet impact of CVE-2020-6965' })
          .getByText('CARESCAPE Central Station'),
      );
    });

    it('inventory: the IP column shows the IPv4 address, not the link-local one', async () => {
      const found = (await as('GET', '/api/v1/devices?q=02:00:5e:20:00:01')) as {
        items: { ips: string[] }[];
      };
      // The newest address is the link-local one: the column must not just take the first.
      expect(found.items[0]!.ips[0]).toMatch(/^fe80:/);
      await page.goto(`${url}/inventory?q=02:00:5e:20:00:01`);
      const row = page.locator('tbody tr', { hasText: '02:00:5e:20:00:01' });
      await see(row);
      await see(row.getByText('10.20.0.1', { exact: true }));
      expect(await row.textContent()).not.toContain('fe80:');
    });

    it('vulnerabilities: the matches are paged, with where the page is', async () => {
      await page.goto(`${url}/vulnerabilities`);
      const pager = page.getByRole('navigation', { name: 'Pages of matches' });
      await see(pager.getByText(/^matches 1–\d+$/));
      expect(await pager.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    });

    it('audit log: summaries wrap inside the table at 1366 px', async () => {
      await page.goto(`${url}/admin/audit`);
      await see(page.getByText('chain intact'));
      await see(page.locator('tbody tr td code', { hasText: 'deviceId' }));
      // Targets by name: the receiver the setup named (device.update) links to its page, by its label.
      await see(
        page
          .getByRole('table', { name: 'Audit entries' })
          .getByRole('link', { name: 'Philips IntelliBridge EC 40 (10.30.0.5)' })
          .first(),
      );
      const box = await page.evaluate(() => {
        const wrap = document.querySelector('.table-wrap');
        return wrap ? { scroll: wrap.scrollWidth, client: wrap.clientWidth } : null;
      });
      expect(box).not.toBeNull();
      expect(box!.scroll).toBeLessThanOrEqual(box!.client);
    });

    it('an auditor sees the same device and queue without any "Create task"', async () => {
      await as('POST', '/api/v1/users', {
        username: 'audrey',
        role: 'auditor',
        password: DASHBOARD_PASSWORD,
      });
      const { context: auditorContext, page: auditor } = await newSession(browser, problems);
      await signIn(auditor, url, 'audrey', '/queue');
      await see(auditor.getByRole('table', { name: 'Work queue' }).getByRole('link', { name: '10.30.0.41' }));
      expect(await auditor.getByRole('button', { name: /^Create a task/ }).count()).toBe(0);
      await auditor.getByRole('link', { name: '10.30.0.41', exact: true }).first().click();
      await see(auditor.getByRole('table', { name: 'Risk decisions and their inputs' }).locator('tbody tr'));
      expect(await auditor.getByRole('button', { name: /^Create a task/ }).count()).toBe(0);
      await auditorContext.close();
    });

    it('tasks: paged, with rows per page, and a linked task shown wherever it falls in the list', async () => {
      // Tasks for the queue's items until there are more than one page of 20.
      const queue = (await as('GET', '/api/v1/queue?limit=200')) as QueuePage & {
        items: { findingId: string | null }[];
      };
      const before = ((await as('GET', '/api/v1/tasks?limit=10000')) as { items: unknown[] }).items.length;
      let made = 0;
      let last = '';
      for (const item of queue.items) {
        if (before + made > 20) break;
        const body = item.findingId
          ? { finding: item.findingId }
          : { device: item.deviceId, vulnerability: item.vulnerability };
        // An item with a live task already is refused (409): the next one is tried.
        const r = (await as('POST', '/api/v1/tasks', body).catch(() => null)) as { id: string } | null;
        if (r) {
          made++;
          last = r.id;
        }
      }
      const total = before + made;
      expect(total).toBeGreaterThan(20);
      await page.goto(`${url}/tasks?rows=20`);
      const table = page.getByRole('table', { name: 'Remediation tasks' });
      const pager = page.getByRole('navigation', { name: 'Pages of tasks' });
      await see(pager.getByText('tasks 1–20', { exact: true }));
      expect(await table.locator('tbody tr').count()).toBe(20);
      const first = await table.locator('tbody tr td:first-child').allTextContents();
      await pager.getByRole('button', { name: 'Next' }).click();
      await see(pager.getByText(`tasks 21–${total}`, { exact: true }));
      const second = await table.locator('tbody tr td:first-child').allTextContents();
      expect(second).toHaveLength(total - 20);
      expect(second.filter((t) => first.includes(t))).toEqual([]);
      expect(await pager.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
      await pager.getByRole('button', { name: 'Previous' }).click();
      await see(pager.getByText('tasks 1–20', { exact: true }));
      // The default page (200) holds them all: no pager.
      await page.goto(`${url}/tasks`);
      await see(table.locator('tbody tr').nth(total - 1));
      expect(await pager.count()).toBe(0);
      // A link to one task shows it even when it is not on the first page.
      await page.goto(`${url}/tasks?rows=20&task=${last}`);
      await see(page.getByRole('link', { name: 'Show all tasks' }));
      // The link shows from the address at once; the one task arrives with its fetch (CI on Node 24
      // counted the rows before it had).
      await expect.poll(() => table.locator('tbody tr').count(), { timeout: 15_000 }).toBe(1);
    });

    it('no Content-Security-Policy violation or uncaught error on any page', () => {
      expect(problems).toEqual([]);
    });
  },
);
