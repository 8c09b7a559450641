/**
 * A running Vigil for the dashboard's browser tests and screenshots: the built `vigil serve`
 * (bin/vigil.js → dist/, dashboard in dist/web/) on an ephemeral loopback port with a temporary SQLite
 * file, seeded with real fixture data through the API where one exists and the CLI otherwise:
 *
 * - test/fixtures/cmms/hospital-export.csv (27 devices, see its README),
 * - TASY-1, named as in CISA's ICSMA-21-308-01 (Philips Tasy EMR HTML5 3.06.1700, inside the advisory's
 *   `<= 3.06.1803`).
 *
 * The advisory (test/fixtures/advisories/csaf/icsma-21-308-01.json: CVE-2021-39375 and CVE-2021-39376
 * affect TASY-1) and the capture test/fixtures/captures/04-hl7-mllp.pcap (cleartext HL7 with a fake
 * patient: findings and cleartext-phi alerts) are not seeded: the browser test imports them through the
 * Import page, and `importFixtures` does it through the same API for scripts (screenshots).
 *
 * Accounts: alice (admin) and carol (clinical-engineer), both with DASHBOARD_PASSWORD.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

export const DASHBOARD_PASSWORD = 'correct horse battery staple 42';
/** The checkout (the folder with bin/vigil.js), from here or from a bundle of this file in .bench-out/. */
export function repoRoot(from = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'bin/vigil.js'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no bin/vigil.js above ${from}`);
  }
}
const root = repoRoot();
const bin = join(root, 'bin/vigil.js');
const fixtures = join(root, 'test/fixtures');

export interface SeededVigil {
  url: string;
  /** Devices the inventory lists (all but merged) after seeding. */
  deviceTotal: number;
  /** The SQLite file, for what only the CLI imports (`vigil --db sqlite:FILE …`, e.g. FDA recall files). */
  db: string;
  /** Sends an API request as `username` (session cookie and CSRF token); returns the parsed JSON. */
  apiAs(username: string): Promise<ApiRequest>;
  stop(): Promise<void>;
}

export type ApiRequest = (method: string, path: string, body?: unknown, type?: string) => Promise<unknown>;

/** The advisory and the capture the browser test imports through the page, here through the same API. */
export const ADVISORY_FIXTURE = join(fixtures, 'advisories/csaf/icsma-21-308-01.json');
export const CAPTURE_FIXTURE = join(fixtures, 'captures/04-hl7-mllp.pcap');

/** Imports ADVISORY_FIXTURE and CAPTURE_FIXTURE as the Import page does, waiting for the capture job. */
export async function importFixtures(as: ApiRequest): Promise<void> {
  await as(
    'POST',
    '/api/v1/advisories/import?fileName=icsma-21-308-01.json',
    readFileSync(ADVISORY_FIXTURE),
    'application/octet-stream',
  );
  await importCapture(as, CAPTURE_FIXTURE);
}

/** Uploads a capture (a path) through `POST /captures/import` and waits for its job to end. */
export async function importCapture(as: ApiRequest, path: string): Promise<void> {
  const { jobId } = (await as(
    'POST',
    `/api/v1/captures/import?fileName=${encodeURIComponent(basename(path))}`,
    readFileSync(path),
    'application/octet-stream',
  )) as { jobId: string };
  for (;;) {
    const job = (await as('GET', `/api/v1/imports/${jobId}`)) as { state: string; error?: string };
    if (job.state === 'failed') throw new Error(`capture import failed: ${job.error}`);
    if (job.state === 'done') return;
    await new Promise((done) => setTimeout(done, 200));
  }
}

export async function startSeededVigil(): Promise<SeededVigil> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-dashboard-'));
  const db = join(dir, 'vigil.db');
  const vigil = (args: string[], input = '') => {
    const r = spawnSync(process.execPath, [bin, '--db', `sqlite:${db}`, ...args], {
      encoding: 'utf8',
      input,
      env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' },
      timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`vigil ${args.join(' ')} exited ${r.status}\n${r.stderr}`);
    return r.stdout;
  };

  // Each CLI start costs seconds on a busy machine: only what has no API goes through the CLI.
  vigil(['users', 'add', 'alice', '--role', 'admin', '--password-stdin'], `${DASHBOARD_PASSWORD}\n`);
  const server = spawn(process.execPath, [bin, '--db', `sqlite:${db}`, 'serve', '--port', '0'], {
    env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await listening(server);
  const apiAs = (username: string) => apiSession(url, username);

  const as = await apiAs('alice');
  await as('POST', '/api/v1/users', {
    username: 'carol',
    role: 'clinical-engineer',
    password: DASHBOARD_PASSWORD,
  });
  await as(
    'POST',
    '/api/v1/devices/import?fileName=hospital-export.csv',
    readFileSync(join(fixtures, 'cmms/hospital-export.csv'), 'utf8'),
    'text/csv',
  );
  await as('POST', '/api/v1/devices', {
    assetTag: 'TASY-1',
    manufacturer: 'Philips',
    model: 'Tasy EMR HTML5',
    softwareVersion: '3.06.1700',
    site: 'North Clinic',
  });
  const deviceTotal = ((await as('GET', '/api/v1/devices?pageSize=1')) as { total: number }).total;

  return {
    url,
    deviceTotal,
    db,
    apiAs,
    stop: async () => {
      await new Promise<void>((done) => {
        if (server.exitCode !== null) return done();
        server.once('exit', () => done());
        server.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function listening(server: ChildProcess): Promise<string> {
  return new Promise((done, fail) => {
    let err = '';
    server.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /Vigil listening on (http:\/\/[^\s]+)/.exec(err);
      if (m) done(m[1]!);
    });
    server.once('exit', (code) => fail(new Error(`vigil serve exited ${code}: ${err}`)));
  });
}

/** Logs in over the API (as the dashboard does) and returns a request function with cookie and CSRF. */
async function apiSession(url: string, username: string): Promise<ApiRequest> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: DASHBOARD_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return async (method, path, body, type = 'application/json') => {
    const r = await fetch(url + path, {
      method,
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': type },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) }),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : null;
  };
}

/** Debian's Chromium with the flags that keep it off the (closed) network; a fresh profile per launch. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
