/**
 * `npm run screenshots`: the dashboard's main pages as PNG files in docs/screenshots/ (1366×768), for
 * the README. Runs the built Vigil seeded with the fixture data of the browser tests
 * (dashboard-seed.ts) and its advisory and capture (imported through the API as the Import page does),
 * adds one remediation task, and photographs each page as an admin sees it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  DASHBOARD_PASSWORD,
  importCapture,
  importFixtures,
  repoRoot,
  startSeededVigil,
} from './dashboard-seed.js';

const out = join(repoRoot(), 'docs/screenshots');
mkdirSync(out, { recursive: true });
const vigil = await startSeededVigil();
try {
  const as = await vigil.apiAs('alice');
  await importFixtures(as);
  // More real traffic for the network map: a CT storing images to a PACS, and Telnet/FTP/SSH/MQTT.
  for (const f of ['dicom-ct-store.pcap', '07-telnet-ftp-ssh-mqtt.pcap'])
    await importCapture(as, join(repoRoot(), 'test/fixtures/captures', f));
  const device = (await as('GET', '/api/v1/devices/TASY-1')) as { id: string };
  const task = (await as('POST', '/api/v1/tasks', {
    device: device.id,
    vulnerability: 'CVE-2021-39375',
  })) as {
    id: string;
  };
  await as('POST', `/api/v1/tasks/${task.id}/transitions`, {
    state: 'scheduled',
    assignee: 'biomed-anna',
    windowStart: '2026-12-01T08:00:00Z',
    windowEnd: '2026-12-01T12:00:00Z',
  });

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(`${vigil.url}/`);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill(DASHBOARD_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  const shots: [file: string, path: string, ready: string][] = [
    ['overview.png', '/', '.uplot canvas'],
    ['inventory.png', '/inventory', 'tbody tr td a'],
    ['device.png', '/devices/TASY-1', 'text=CVE-2021-39375'],
    ['vulnerabilities.png', '/vulnerabilities/ICSMA-21-308-01', 'td:has-text("3.06.1700")'],
    ['queue.png', '/queue', 'tbody tr td a'],
    ['tasks.png', '/tasks', 'tbody tr td a'],
    ['alerts.png', '/alerts', 'tbody tr td a'],
    ['audit.png', '/admin/audit', 'text=chain intact'],
    ['import.png', '/import', 'text=Packet capture'],
    ['network.png', '/network?groupBy=deviceClass', '.network-node'],
    ['compliance.png', '/program/compliance', 'h3:has-text("Largest gaps")'],
    ['admin-tokens.png', '/admin/tokens', 'h1'],
  ];
  for (const [file, path, ready] of shots) {
    await page.goto(vigil.url + path);
    await page.locator(ready).first().waitFor();
    await page.screenshot({ path: join(out, file) });
    console.log(`docs/screenshots/${file}`);
  }
  await browser.close();
} finally {
  await vigil.stop();
}
