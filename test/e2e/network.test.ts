/**
 * The dashboard's network page end to end in a real browser: the built `vigil serve` seeded by
 * test/e2e/dashboard-seed.ts (the CMMS export), the real HL7 capture 04-hl7-mllp.pcap (two senders and
 * the HL7 engine on 10.30.0.0/24) imported through the API with the seed's `importFixtures`, and one
 * segment added here through the API (10.30.0.0/24, zone `integration`) so the capture's hosts fall in
 * a named zone. In Debian's Chromium at 1366×768:
 * the communication map shows the HL7 traffic, a node is selected with the keyboard, a policy is
 * proposed from the observed traffic and approved, the simulation runs, the nftables export downloads,
 * and the map then shows the approved policy's verdict.
 *
 * Without /usr/bin/chromium the suite is skipped with a message, except when CI=true, where it fails.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
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
import { importFixtures, type SeededVigil, startSeededVigil } from './dashboard-seed.js';

// The browser globals page.evaluate callbacks use (the root tsconfig has no DOM library, on purpose).
declare const document: { activeElement: { getAttribute(name: string): string | null } | null };

describe.skipIf(skipWithoutChromium('network'))('network page in Chromium', { timeout: 120_000 }, () => {
  let vigil: SeededVigil;
  let browser: Browser;
  let page: Page;
  let url: string;
  const problems: string[] = [];

  beforeAll(async () => {
    vigil = await startSeededVigil();
    url = vigil.url;
    const alice = await vigil.apiAs('alice');
    // The seed leaves the capture to the tests: imported here through the API, as the Import page does.
    await importFixtures(alice);
    await alice('POST', `/api/v1/sites/${encodeURIComponent('St. Vigil Medical Center')}/segments`, {
      name: 'hl7',
      cidrs: ['10.30.0.0/24'],
      zone: 'integration',
    });
    browser = await launchChromium();
    ({ page } = await newSession(browser, problems, { acceptDownloads: true }));
    await signIn(page, url, 'alice', '/network');
  }, 240_000);

  screenshotOnFailure('network', () => page);

  afterAll(async () => {
    await browser?.close();
    await vigil?.stop();
  });

  it('shows the HL7 traffic on the map and its table', async () => {
    await see(page.getByRole('heading', { name: 'Network', level: 1 }));
    const main = page.getByRole('navigation', { name: 'Main' });
    expect(await main.getByRole('link', { name: 'Network' }).getAttribute('aria-current')).toBe('page');
    const tabs = page.getByRole('navigation', { name: 'Network' });
    expect(await tabs.getByRole('link', { name: 'Map' }).getAttribute('aria-current')).toBe('page');
    expect(await tabs.getByRole('link', { name: 'Alerts' }).getAttribute('href')).toBe('/alerts?state=new');

    const node = page.getByRole('button', { name: /^zone integration: 3 devices, 1 connection\b/ });
    await see(node);
    expect(await node.getAttribute('aria-pressed')).toBe('false');
    const row = page.getByRole('table', { name: 'All connections' }).getByRole('row').nth(1);
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells.slice(0, 5)).toEqual(['integration', 'integration', 'hl7', '2575', '2']);
    expect(cells[7]).toBe('no approved policy');
  });

  it('selects a node with the keyboard and regroups by device class', async () => {
    // Tab from the grouping field reaches the first node of the graph.
    await page.getByLabel('Group by').focus();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    expect(focused).toMatch(/^zone integration/);
    await page.keyboard.press('Enter');
    await see(page.getByRole('heading', { name: 'Connections of integration' }));
    const node = page.getByRole('button', { name: /^zone integration/ });
    expect(await node.getAttribute('aria-pressed')).toBe('true');
    expect(new URL(page.url()).searchParams.get('node')).toBe('zone:integration');
    await page.keyboard.press(' ');
    await see(page.getByRole('heading', { name: 'All connections' }));

    await page.getByLabel('Group by').selectOption('deviceClass');
    // The capture's hosts are staged devices whose class nobody has set yet.
    await see(page.getByRole('button', { name: /^device class unknown: 3 devices/ }));
    expect(new URL(page.url()).searchParams.get('groupBy')).toBe('deviceClass');
  });

  it('proposes a policy from the observed traffic, shows its matrix and approves it', async () => {
    await page.getByRole('navigation', { name: 'Network' }).getByRole('link', { name: 'Policy' }).click();
    await see(page.getByText(/No policy is approved for every site yet/));
    await page.getByRole('button', { name: 'Propose from observed traffic' }).click();
    await see(page.getByText(/Draft version 1 proposed from 2 observed flows/));
    const matrix = page.getByRole('table', { name: /Policy matrix of version 1/ });
    await see(matrix);
    expect(await matrix.getByRole('columnheader').allTextContents()).toEqual(['from \\ to', 'integration']);
    // The hosts are staged devices of no class yet: each side is pinned to the addresses seen.
    expect(await matrix.getByRole('cell').first().textContent()).toMatch(
      /2575\/tcp hl7 unknown \(2 hosts\) → unknown/,
    );

    await page.getByRole('button', { name: 'Approve draft version 1' }).click();
    await see(page.getByText(/Version 1 approved/));
    const approved = page.getByRole('region', { name: 'Approved policy' });
    await see(approved.getByText('approved', { exact: true }));
    await see(approved.getByRole('table', { name: /Policy matrix of version 1/ }));
    expect(await page.getByRole('heading', { name: 'Draft' }).count()).toBe(0);
  });

  it('simulates the approved policy over the stored traffic', async () => {
    await page.getByRole('navigation', { name: 'Network' }).getByRole('link', { name: 'Simulation' }).click();
    await see(page.getByLabel('Policy'));
    await page.getByRole('button', { name: 'Run simulation' }).click();
    await see(page.getByText('2 flows: 2 allowed, 0 blocked.'));
    expect(await page.getByText('Nothing would be blocked.').count()).toBe(2);
  });

  it('downloads the nftables export', async () => {
    await page
      .getByRole('navigation', { name: 'Network' })
      .getByRole('link', { name: 'Firewall export' })
      .click();
    const link = page.getByRole('link', { name: 'Download vigil-policy.nft' });
    await see(link);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('vigil-policy.nft');
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text).toMatch(/^# Vigil segmentation policy "proposed" \(1 allow rule, default deny\)\n/);
    expect(text).toMatch(/\ntable inet vigil \{\n\tchain forward \{\n/);
    // The three hosts are staged devices of no class yet, so nothing says what else is like them: the
    // monitor gateway and the ADT system may reach the HL7 engine, and nothing more (not the
    // reverse, not each other).
    expect(text).toContain(
      '\n\t\tip saddr { 10.30.0.41, 10.30.0.42 } ip daddr 10.30.0.5 tcp dport 2575 accept comment "r1"\n',
    );
  });

  it('downloads the iptables export, which says to load it with --noflush', async () => {
    await page.getByLabel('Format').selectOption('iptables');
    await see(page.getByText(/replaces only Vigil's own chains/));
    const link = page.getByRole('link', { name: 'Download vigil-policy.iptables' });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text).toContain("# load (replaces only Vigil's chains): iptables-restore --noflush FILE\n");
    expect(text).toMatch(/\n\*filter\n:VIGIL-FORWARD - \[0:0\]\n/);
    expect(text).toContain(
      '-A VIGIL-FORWARD -s 10.30.0.41,10.30.0.42 -d 10.30.0.5 -p tcp -m tcp --dport 2575',
    );
  });

  it('lists the remote sensors (none report to a single-machine install)', async () => {
    await page.getByRole('navigation', { name: 'Network' }).getByRole('link', { name: 'Sensors' }).click();
    const table = page.getByRole('table', { name: 'Sensors' });
    await see(table.getByRole('columnheader', { name: 'Last heard' }));
    await see(table.getByText(/No remote sensor has reported yet/));
  });

  it("shows the approved policy's verdict on the map, without patient data or CSP problems", async () => {
    await page.getByRole('navigation', { name: 'Network' }).getByRole('link', { name: 'Map' }).click();
    const table = page.getByRole('table', { name: 'All connections' });
    await see(table.getByRole('cell', { name: 'allowed', exact: true }));
    for (const path of [
      '/network',
      '/network/policy',
      '/network/simulation',
      '/network/export',
      '/network/sensors',
    ]) {
      await page.goto(url + path);
      await see(page.getByRole('heading', { name: 'Network', level: 1 }));
      expect(await page.content()).not.toMatch(PATIENT);
    }
    expect(problems).toEqual([]);
  });
});
