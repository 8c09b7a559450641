/**
 * Approving a proposed segmentation policy whose rules are flagged for review, end to end in Debian's
 * Chromium against the built `vigil serve` seeded by test/e2e/dashboard-seed.ts. The capture
 * 07-telnet-ftp-ssh-mqtt.pcap (imported through the API) has Telnet, FTP and MQTT flows: the proposal
 * flags them, and "Approve draft version 1" lists each in a dialog before anything is approved; Cancel
 * approves nothing, "Approve with 3 flagged rules" approves and the audit entry names them.
 *
 * Without /usr/bin/chromium the suite is skipped with a message, except when CI=true, where it fails.
 */
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
  repoRoot,
  type SeededVigil,
  startSeededVigil,
} from './dashboard-seed.js';

describe.skipIf(skipWithoutChromium('policy-review'))(
  'approving a policy with rules flagged for review in Chromium',
  { timeout: 120_000 },
  () => {
    let vigil: SeededVigil;
    let as: ApiRequest;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const problems: string[] = [];

    beforeAll(async () => {
      vigil = await startSeededVigil();
      as = await vigil.apiAs('alice');
      await importCapture(as, join(repoRoot(), 'test/fixtures/captures/07-telnet-ftp-ssh-mqtt.pcap'));
      browser = await launchChromium();
      ({ context, page } = await newSession(browser, problems));
      await signIn(page, vigil.url, 'alice', '/network/policy');
    }, 240_000);

    screenshotOnFailure('policy-review', () => page);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await vigil?.stop();
    });

    it('lists the flagged rules before approving; Cancel approves nothing', async () => {
      await page.getByRole('button', { name: 'Propose from observed traffic' }).click();
      await see(page.getByText(/Draft version 1 proposed/));
      await page.getByRole('button', { name: 'Approve draft version 1' }).click();
      const dialog = page.getByRole('dialog', {
        name: /Approve version 1 with \d+ rules? flagged for review\?/,
      });
      await see(dialog);
      const items = await dialog.getByRole('listitem').allTextContents();
      expect(items.some((t) => /23\/tcp telnet .*Disable Telnet/.test(t))).toBe(true);
      expect(items.some((t) => /21\/tcp ftp .*Disable FTP/.test(t))).toBe(true);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      const shown = (await as('GET', '/api/v1/policy')) as { approved: unknown };
      expect(shown.approved).toBeNull();
    });

    it('approves with the flagged rules once a person says so, and the audit entry names them', async () => {
      await page.getByRole('button', { name: 'Approve draft version 1' }).click();
      const dialog = page.getByRole('dialog');
      const n = (await dialog.getByRole('listitem').count()).toString();
      await dialog.getByRole('button', { name: `Approve with ${n} flagged rules` }).click();
      await see(page.getByText(/Version 1 approved/));
      const audit = (await as('GET', '/api/v1/audit?action=policy.approve')) as {
        items: { summary: { reviewAccepted?: string[] } }[];
      };
      expect(audit.items[0]?.summary.reviewAccepted).toHaveLength(Number(n));
      expect(problems).toEqual([]);
    });
  },
);
