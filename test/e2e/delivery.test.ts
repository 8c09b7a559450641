/**
 * The Alerts → Delivery page end to end in Debian's Chromium, against the built `vigil serve` seeded by
 * test/e2e/dashboard-seed.ts (alice/admin, carol/clinical-engineer) and a real HTTP receiver on loopback
 * (node:http) that first refuses (400: final, so Vigil dead-letters at once) and later accepts. Alice adds
 * a webhook for alerts and task events through the page and tests it; the HL7 capture's cleartext-PHI
 * alerts and a task for CVE-2021-39375 on TASY-1 (CISA's ICSMA-21-308-01) then fail at the receiver and
 * are listed as dead letters; "Send again" delivers them with their event id. An auditor sees the page
 * without any button that changes something.
 *
 * Without /usr/bin/chromium the suite is skipped with a message, except when CI=true, where it fails.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  ADVISORY_FIXTURE,
  type ApiRequest,
  CAPTURE_FIXTURE,
  DASHBOARD_PASSWORD,
  importCapture,
  type SeededVigil,
  startSeededVigil,
} from './dashboard-seed.js';

const SECRET = 'e2e-webhook-secret-0123456789abcdef0123';

interface Received {
  headers: IncomingHttpHeaders;
  body: { id?: string; type?: string; kind?: string; event?: string };
}

describe.skipIf(skipWithoutChromium('delivery'))(
  'alert and task event delivery in Chromium',
  { timeout: 120_000 },
  () => {
    let vigil: SeededVigil;
    let as: ApiRequest;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let receiver: Server;
    let hook: string;
    let refuse = false;
    const received: Received[] = [];
    const problems: string[] = [];

    /** Waits until the API lists at least `n` dead letters at `path`. */
    const deadLetters = async (path: string, n: number) => {
      for (let i = 0; i < 150; i++) {
        const r = (await as('GET', path)) as { items: { id: string }[] };
        if (r.items.length >= n) return r.items;
        await new Promise((done) => setTimeout(done, 200));
      }
      throw new Error(`fewer than ${n} dead letters at ${path}`);
    };

    beforeAll(async () => {
      receiver = createServer((req, res) => {
        let data = '';
        req.on('data', (c: Buffer) => {
          data += c.toString('utf8');
        });
        req.on('end', () => {
          received.push({ headers: req.headers, body: JSON.parse(data || '{}') as Received['body'] });
          res.statusCode = refuse ? 400 : 200;
          res.end(refuse ? 'no such queue' : 'ok');
        });
      });
      await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
      hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/vigil`;
      vigil = await startSeededVigil();
      as = await vigil.apiAs('alice');
      await as('POST', '/api/v1/users', { username: 'dave', role: 'auditor', password: DASHBOARD_PASSWORD });
      browser = await launchChromium();
      ({ context, page } = await newSession(browser, problems));
      await signIn(page, vigil.url, 'alice', '/alerts');
    }, 240_000);

    screenshotOnFailure('delivery', () => page);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await vigil?.stop();
      await new Promise((done) => receiver?.close(done));
    });

    it('adds a webhook for alerts and task events, and a test of each reaches the receiver signed', async () => {
      const tabs = page.getByRole('navigation', { name: 'Alerts' });
      await tabs.getByRole('link', { name: 'Delivery' }).click();
      await page.waitForURL(/\/alerts\/delivery$/);
      expect(await tabs.getByRole('link', { name: 'Delivery' }).getAttribute('aria-current')).toBe('page');
      await see(page.getByText('No destinations: alerts stay in Vigil'));

      const form = page.getByRole('form', { name: 'Add a destination' });
      await form.getByLabel('Name').fill('cmms-hook');
      await form.getByLabel('URL').fill(hook);
      await form.getByLabel('Signing secret (32+ characters)').fill(SECRET);
      await form.getByLabel('Receives').selectOption('alerts,tasks');
      await form.getByRole('button', { name: 'Add destination' }).click();
      await see(page.getByText(`Destination cmms-hook added (webhook ${hook})`));
      const row = page.getByRole('table', { name: 'Destinations' }).locator('tr', { hasText: 'cmms-hook' });
      await see(row.getByText('no dead letters'));
      expect(await row.textContent()).toContain('alerts, tasks');
      // The secret is never sent back to the page.
      expect(await page.content()).not.toContain(SECRET);

      await page.getByRole('button', { name: 'Send a test alert to cmms-hook' }).click();
      await see(page.getByText('Test alert delivered to cmms-hook.'));
      await page.getByRole('button', { name: 'Send a test task event to cmms-hook' }).click();
      await see(page.getByText('Test task event delivered to cmms-hook.'));
      expect(received).toHaveLength(2);
      for (const r of received) expect(r.headers['x-vigil-signature']).toBeTruthy();

      // A second destination with a secret too short is refused with the field named, and nothing is added.
      await form.getByLabel('Name').fill('short-secret');
      await form.getByLabel('URL').fill(hook);
      await form.getByLabel('Signing secret (32+ characters)').fill('too-short');
      await form.getByRole('button', { name: 'Add destination' }).click();
      await see(page.getByRole('alert').getByText(/secret/));
      const list = (await as('GET', '/api/v1/alert-destinations')) as { items: { name: string }[] };
      expect(list.items.map((d) => d.name)).toEqual(['cmms-hook']);
    });

    it('lists alerts and task events the receiver refused, and sends them again once it accepts', async () => {
      refuse = true;
      received.length = 0;
      await importCapture(as, CAPTURE_FIXTURE);
      await as(
        'POST',
        '/api/v1/advisories/import?fileName=icsma-21-308-01.json',
        readFileSync(ADVISORY_FIXTURE),
        'application/octet-stream',
      );
      const tasy = (await as('GET', '/api/v1/devices/TASY-1')) as { id: string };
      await as('POST', '/api/v1/tasks', { device: tasy.id, vulnerability: 'CVE-2021-39375' });
      const alertLetters = await deadLetters('/api/v1/alert-dead-letters', 1);
      const taskLetters = await deadLetters('/api/v1/task-dead-letters', 1);

      await page.reload();
      const alerts = page.getByRole('table', { name: 'Alert dead letters' });
      const tasks = page.getByRole('table', { name: 'Task event dead letters' });
      await see(alerts.getByText(/Patient data sent without encryption/));
      await see(alerts.getByText(/HTTP 400/));
      await see(tasks.getByText('vigil.task.created'));
      const total = alertLetters.length + taskLetters.length;
      await see(
        page
          .getByRole('table', { name: 'Destinations' })
          .getByText(`${total} dead letter${total === 1 ? '' : 's'}`),
      );

      refuse = false;
      received.length = 0;
      await tasks.getByRole('button', { name: 'Send again: vigil.task.created to cmms-hook' }).click();
      await see(page.getByText('Task event delivered to cmms-hook.'));
      await see(page.getByText('None: every task event reached its destinations.'));
      expect(received.map((r) => r.body.type)).toEqual(['vigil.task.created']);
      const retried = received[0]!;
      const letters = (await as('GET', '/api/v1/task-dead-letters')) as { items: unknown[] };
      expect(letters.items).toEqual([]);
      // The same event id as the first attempt, so a receiver that got it after all drops the copy.
      expect(retried.body.id).toBe((taskLetters[0] as unknown as { eventId: string }).eventId);

      await alerts
        .getByRole('button', { name: /^Send again: / })
        .first()
        .click();
      await see(page.getByText('Alert delivered to cmms-hook.'));
      expect(received).toHaveLength(2);
      expect(await page.content()).not.toMatch(/HARTMANN|MRN00482913/);
    });

    it('an auditor sees destinations and dead letters but no button that changes them', async () => {
      const { context: c2, page: p2 } = await newSession(browser, problems);
      try {
        await signIn(p2, vigil.url, 'dave', '/alerts/delivery');
        await see(p2.getByRole('table', { name: 'Destinations' }).getByText('cmms-hook'));
        await see(p2.getByRole('table', { name: 'Task event dead letters' }));
        expect(await p2.getByRole('form', { name: 'Add a destination' }).count()).toBe(0);
        expect(await p2.getByRole('button', { name: /Send|Remove/ }).count()).toBe(0);
      } finally {
        await c2.close();
      }
    });

    it('removes the destination after a confirmation, with its delivery records', async () => {
      await page.goto(`${vigil.url}/alerts/delivery`);
      await page.getByRole('button', { name: 'Remove cmms-hook' }).click();
      const dialog = page.getByRole('dialog', { name: 'Remove the destination cmms-hook?' });
      await dialog.getByRole('button', { name: 'Remove' }).click();
      await see(page.getByText('Destination cmms-hook removed, with its delivery records.'));
      await see(page.getByText('No destinations: alerts stay in Vigil'));
      expect(((await as('GET', '/api/v1/alert-dead-letters')) as { items: unknown[] }).items).toEqual([]);
      const audit = (await as('GET', '/api/v1/audit?action=alert-destination.remove')) as {
        items: unknown[];
      };
      expect(audit.items).toHaveLength(1);
      expect(problems).toEqual([]);
    });
  },
);
