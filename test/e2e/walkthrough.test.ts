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
  screenshotOnFailure,
  see,
  signIn,
  skipWithoutChromium,
} from './browser.js';
import {
  type ApiRequest,
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
      await button(last).click();
      await see(rowOf(last).getByRole('status').getByText('Task created:'));
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

    it('no Content-Security-Policy violation or uncaught error on any page', () => {
      expect(problems).toEqual([]);
    });
  },
);
