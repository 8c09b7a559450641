/**
 * `npm run bench:dashboard`: the inventory page at scale. Fills a SQLite database with N synthetic
 * devices (default 100,000; bench/cmms-generator.ts, imported through the CMMS importer, i.e. the store
 * path every real import takes), serves the real app on an ephemeral loopback port, and measures
 *
 * - the server: GET /api/v1/devices for the pages the dashboard asks for (first page, a filtered and
 *   sorted page, search, the dashboard's vulnerable / OS-support filters, a deep page), over HTTP with a
 *   session cookie, median and p95 of --runs requests each;
 * - the browser (when /usr/bin/chromium exists): from navigation to the first table row shown for the
 *   same filtered, sorted page, median of --browser-runs loads.
 *
 * Options: --devices N, --runs N (30), --browser-runs N (7), --db FILE (reuse a filled database: the
 * import is skipped when it already holds devices). Results go to .bench-out/dashboard.json.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import type { Actor } from '../src/accounts/actor.js';
import { LoginThrottle } from '../src/accounts/login-throttle.js';
import { ALL_PERMISSIONS } from '../src/accounts/permissions.js';
import { createUser } from '../src/accounts/users.js';
import { loadConfig } from '../src/config/config.js';
import { importCmmsCsv } from '../src/inventory/cmms-import.js';
import { listDevices } from '../src/inventory/inventory-service.js';
import { createLogger } from '../src/log.js';
import { createApp } from '../src/server/app.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { generateCmmsCsv } from './cmms-generator.js';

const { values: opts } = parseArgs({
  options: {
    devices: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '30' },
    'browser-runs': { type: 'string', default: '7' },
    db: { type: 'string' },
  },
});
const N = Number(opts.devices);
const RUNS = Number(opts.runs);
const BROWSER_RUNS = Number(opts['browser-runs']);
const root = resolve(import.meta.dirname, '..');
const actor: Actor = { kind: 'cli', id: 'bench', name: 'cli:bench', permissions: new Set(ALL_PERMISSIONS) };
const PASSWORD = 'correct horse battery staple 42';

const median = (s: number[]) => [...s].sort((a, b) => a - b)[Math.floor(s.length / 2)]!;
const p95 = (s: number[]) =>
  [...s].sort((a, b) => a - b)[Math.min(s.length - 1, Math.floor(s.length * 0.95))]!;
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });

const dbFile = opts.db ?? join(mkdtempSync(join(tmpdir(), 'vigil-bench-dashboard-')), 'vigil.db');
const vdb = await openDatabase(`sqlite:${dbFile}`);
await migrateToLatest(vdb);
const have = (await listDevices(vdb, actor, {}, { page: 1, pageSize: 1 })).total;
if (have < N) {
  console.log(`importing ${fmt(N)} synthetic devices into ${dbFile} …`);
  const t0 = performance.now();
  const r = await importCmmsCsv(vdb, actor, {
    file: 'bench.csv',
    input: generateCmmsCsv({ rows: N, sites: 12 }),
  });
  console.log(`  ${fmt(r.created)} created in ${fmt((performance.now() - t0) / 1000)} s`);
} else console.log(`reusing ${dbFile} with ${fmt(have)} devices`);
const total = (await listDevices(vdb, actor, {}, { page: 1, pageSize: 1 })).total;

try {
  await createUser(vdb, actor, { username: 'bench', role: 'admin', password: PASSWORD });
} catch (e) {
  // Already there from an earlier run on the same database is fine; anything else is not.
  if ((e as { code?: string }).code !== 'conflict') throw e;
}
const config = loadConfig({ env: {}, flags: { db: `sqlite:${dbFile}`, logLevel: 'silent' } });
const app = createApp(
  { config, vdb, log: createLogger('silent') },
  { throttle: new LoginThrottle(1000), webRoot: join(root, 'dist/web') },
);
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
await new Promise<void>((r) => server.once('listening', () => r()));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const login = await fetch(`${url}/api/v1/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'bench', password: PASSWORD }),
});
if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
const cookie = login.headers.get('set-cookie')!.split(';')[0]!;

const site = 'Clinic 3';
const FILTERED = `site=${encodeURIComponent(site)}&criticality=life-sustaining&sort=lastSeen&order=desc`;
const QUERIES: [string, string][] = [
  ['first page (sort asset tag)', 'page=1&pageSize=50'],
  ['site + criticality, sort last seen desc', `${FILTERED}&page=1&pageSize=50`],
  ['class, sort manufacturer', 'deviceClass=infusion-pump&sort=manufacturer&page=1&pageSize=50'],
  ['search (asset tag, serial, MAC, IP, host)', `q=${encodeURIComponent('bme-00500')}&page=1&pageSize=50`],
  ['vulnerable = no, sort model', 'vulnerable=no&sort=model&page=1&pageSize=50'],
  ['OS support ended by today', `osEndOfSupportBefore=${new Date().toISOString().slice(0, 10)}&pageSize=50`],
  ['page 1,000 (offset 49,950)', 'page=1000&pageSize=50'],
  // Not a page: the overview's counts in one request (GET /devices/summary).
  ['overview counts (/devices/summary)', 'summary'],
];

console.log(
  `\nserver, GET /api/v1/devices at ${fmt(total)} devices (${RUNS} requests each, median / p95 ms):`,
);
const results: Record<string, unknown> = { devices: total, server: {} as Record<string, unknown> };
for (const [name, query] of QUERIES) {
  const samples: number[] = [];
  let shown = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const path = query === 'summary' ? '/api/v1/devices/summary' : `/api/v1/devices?${query}`;
    const res = await fetch(url + path, { headers: { cookie } });
    const page = (await res.json()) as { total: number };
    samples.push(performance.now() - t0);
    shown = page.total;
  }
  console.log(
    `  ${name.padEnd(44)} ${fmt(median(samples)).padStart(7)} / ${fmt(p95(samples)).padStart(7)}   (${fmt(shown)} match)`,
  );
  (results['server'] as Record<string, unknown>)[name] = {
    medianMs: median(samples),
    p95Ms: p95(samples),
    total: shown,
  };
}

const CHROMIUM = '/usr/bin/chromium';
if (existsSync(CHROMIUM) && existsSync(join(root, 'dist/web/index.html'))) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  // Sign in on the inventory itself, so no other page's requests are still running when timing starts.
  await page.goto(`${url}/inventory`);
  await page.getByLabel('Username').fill('bench');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('tbody tr td a').first().waitFor();
  await page.waitForLoadState('networkidle');
  const samples: number[] = [];
  for (let i = 0; i < BROWSER_RUNS; i++) {
    const t0 = performance.now();
    await page.goto(`${url}/inventory?${FILTERED}`);
    await page.locator('tbody tr td a').first().waitFor();
    samples.push(performance.now() - t0);
  }
  await browser.close();
  console.log(
    `\nbrowser, /inventory?${FILTERED}: navigation to first row shown, median ${fmt(median(samples))} ms (min ${fmt(Math.min(...samples))}, max ${fmt(Math.max(...samples))})`,
  );
  results['browser'] = { medianMs: median(samples), samples };
} else console.log('\nbrowser: skipped (no /usr/bin/chromium or dist/web not built: npm run build)');

mkdirSync(join(root, '.bench-out'), { recursive: true });
writeFileSync(join(root, '.bench-out/dashboard.json'), JSON.stringify(results, null, 2));
server.close();
await vdb.close();
