/**
 * Test helpers for the scale-out tests: the shared nats-server with JetStream (VIGIL_TEST_NATS, default
 * nats://127.0.0.1:4222), unique stream and subject names per test so tests never collide, and private
 * nats-server processes (their own config, port, JetStream store and certificates) for auth, TLS and
 * outage tests. Without a reachable server the tests skip with a message; in CI (CI=true) they fail.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScaleoutNames } from '../src/scaleout/subjects.js';

export const NATS_URL = process.env['VIGIL_TEST_NATS'] ?? 'nats://127.0.0.1:4222';
export const NATS_SERVER_BIN = process.env['VIGIL_NATS_SERVER'] ?? '/usr/sbin/nats-server';

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.connect(Number(u.port || 4222), u.hostname);
  });
}

/** True when the shared NATS server answers; false (with a warning) locally; throws in CI. */
export async function natsAvailable(): Promise<boolean> {
  if (await reachable(NATS_URL)) return true;
  if (process.env['CI'] === 'true')
    throw new Error(`NATS is not reachable at ${NATS_URL}; CI must run the scale-out tests`);
  console.warn(
    `[vigil tests] NATS scale-out tests SKIPPED: no nats-server at ${NATS_URL} (set VIGIL_TEST_NATS)`,
  );
  return false;
}

/** True when a private nats-server can be started (the binary exists); throws in CI when it does not. */
export function natsServerBinaryAvailable(): boolean {
  if (existsSync(NATS_SERVER_BIN)) return true;
  if (process.env['CI'] === 'true')
    throw new Error(`${NATS_SERVER_BIN} missing; CI must run the scale-out tests`);
  console.warn(`[vigil tests] private nats-server tests SKIPPED: ${NATS_SERVER_BIN} not found`);
  return false;
}

export function uniqueNames(): ScaleoutNames {
  const t = randomBytes(5).toString('hex');
  return { prefix: `vt${t}`, stream: `VT_OBS_${t}`, durable: `vt-ingest-${t}`, eventStream: `VT_EV_${t}` };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}

export interface PrivateNats {
  url: string;
  port: number;
  dir: string;
  /** Starts (again, on the same port and store). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops and removes the store. */
  dispose(): Promise<void>;
}

/**
 * A nats-server of the test's own: `conf` is the body of its configuration (without listen and
 * jetstream, which are added: an ephemeral port and a JetStream store in a temporary directory).
 */
export async function privateNats(conf = '', opts: { scheme?: 'nats' | 'tls' } = {}): Promise<PrivateNats> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-nats-'));
  const port = await freePort();
  const confPath = join(dir, 'server.conf');
  writeFileSync(
    confPath,
    `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir, 'js')}" }\n${conf.replaceAll('$DIR', dir)}\n`,
  );
  let proc: ChildProcess | null = null;
  const url = `${opts.scheme === 'tls' ? 'tls' : 'nats'}://127.0.0.1:${port}`;
  const self: PrivateNats = {
    url,
    port,
    dir,
    async start() {
      const p = spawn(NATS_SERVER_BIN, ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
      proc = p;
      let err = '';
      p.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
      });
      for (let i = 0; i < 100; i++) {
        if (await reachable(`nats://127.0.0.1:${port}`)) return;
        if (p.exitCode !== null) throw new Error(`nats-server exited: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`nats-server did not listen on ${port}: ${err}`);
    },
    async stop() {
      const p = proc;
      proc = null;
      if (!p || p.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGKILL');
      });
    },
    async dispose() {
      await self.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await self.start();
  return self;
}

/** A test CA and a server certificate for 127.0.0.1 made with openssl, in `dir`. */
export function makeTestCertificates(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => join(dir, n);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=Vigil test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  ]);
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    f('ext.cnf'),
    '-out',
    f('server.pem'),
  ]);
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}
