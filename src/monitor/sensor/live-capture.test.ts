/**
 * `vigil sensor --interface` on a real network: two network namespaces joined by a veth pair (10.99.x.0/24),
 * a TCP server in one, a client connecting from the other, and the built sensor capturing with the real
 * tcpdump in the server's namespace. Then the tcpdump child is killed: the sensor reports the exit,
 * restarts it, and keeps capturing. Needs root, iproute2 and tcpdump: skipped with a message otherwise,
 * and failed when CI=true (CI must have them).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const bin = resolve(import.meta.dirname, '../../../bin/vigil.js');

function has(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const missing = [
  process.getuid?.() === 0 ? null : 'root (network namespaces)',
  has('ip', ['-V']) ? null : 'ip (iproute2)',
  has('tcpdump', ['--version']) ? null : 'tcpdump',
].filter((m): m is string => m !== null);

if (missing.length && process.env['CI'])
  throw new Error(`live sensor test needs ${missing.join(', ')} in CI (see docs/sensor.md)`);
if (missing.length) console.warn(`[vigil tests] live sensor test SKIPPED: needs ${missing.join(', ')}`);

const tag = randomBytes(3).toString('hex');
const subnet = `10.99.${1 + (Number.parseInt(tag.slice(0, 2), 16) % 250)}`;
const NS_SERVER = `vgs-srv-${tag}`;
const NS_CLIENT = `vgs-cli-${tag}`;
const IF_SERVER = `vgsa${tag}`;
const IF_CLIENT = `vgsb${tag}`;
const SERVER_IP = `${subnet}.1`;
const CLIENT_IP = `${subnet}.2`;
const PORT = 2222;
const children: ChildProcess[] = [];

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

function cleanup(): void {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const ns of [NS_SERVER, NS_CLIENT]) {
    try {
      ip('netns', 'del', ns);
    } catch {}
  }
}

afterAll(cleanup);

function inNamespace(ns: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const c = spawn('ip', ['netns', 'exec', ns, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(c);
  return c;
}

// An SSH-like server: the banner lets the analyzer name the service, as a real sshd's would.
const SERVER = `require('node:net').createServer((s) => { s.on('error', () => {}); s.end('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\r\\n'); }).listen(${PORT}, '${SERVER_IP}');`;
const CLIENT = `const net = require('node:net'); setInterval(() => { const s = net.connect(${PORT}, '${SERVER_IP}'); s.on('data', () => s.end('SSH-2.0-vigil-test-client\\r\\n')); s.on('error', () => {}); }, 300);`;

describe.skipIf(missing.length > 0)('vigil sensor --interface (network namespaces, real tcpdump)', () => {
  it('finds the server and its service, and survives tcpdump being killed', {
    timeout: 180_000,
  }, async () => {
    try {
      ip('netns', 'add', NS_SERVER);
      ip('netns', 'add', NS_CLIENT);
      ip('link', 'add', IF_SERVER, 'type', 'veth', 'peer', 'name', IF_CLIENT);
      ip('link', 'set', IF_SERVER, 'netns', NS_SERVER);
      ip('link', 'set', IF_CLIENT, 'netns', NS_CLIENT);
      ip('-n', NS_SERVER, 'addr', 'add', `${SERVER_IP}/24`, 'dev', IF_SERVER);
      ip('-n', NS_CLIENT, 'addr', 'add', `${CLIENT_IP}/24`, 'dev', IF_CLIENT);
      for (const [ns, dev] of [
        [NS_SERVER, IF_SERVER],
        [NS_CLIENT, IF_CLIENT],
      ] as const) {
        ip('-n', ns, 'link', 'set', dev, 'up');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
      }

      const db = join(mkdtempSync(join(tmpdir(), 'vigil-live-')), 'vigil.db');
      const sensor = inNamespace(
        NS_SERVER,
        [
          process.execPath,
          bin,
          'sensor',
          '--interface',
          IF_SERVER,
          '--tool',
          'tcpdump',
          '--flush-seconds',
          '1',
          '--json',
          '--filter',
          `tcp port ${PORT}`,
        ],
        { ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent' },
      );
      const lines: Record<string, unknown>[] = [];
      let buf = '';
      let stderr = '';
      sensor.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
          buf = buf.slice(i + 1);
        }
      });
      sensor.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((ok) => sensor.once('exit', (code) => ok(code)));
      const waitFor = async (pred: (l: Record<string, unknown>) => boolean, what: string) => {
        const until = Date.now() + 60_000;
        for (;;) {
          const hit = lines.find(pred);
          if (hit) return hit;
          if (Date.now() > until || sensor.exitCode !== null)
            throw new Error(`no ${what}; stderr: ${stderr}; last lines: ${JSON.stringify(lines.slice(-3))}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };

      const started = await waitFor((l) => l['event'] === 'tool-start', 'tcpdump start');
      expect(started).toMatchObject({ tool: 'tcpdump', start: 1 });
      inNamespace(NS_SERVER, [process.execPath, '-e', SERVER]);
      inNamespace(NS_CLIENT, [process.execPath, '-e', CLIENT]);

      const hasService = () => {
        const raw = new Database(db, { readonly: true });
        try {
          return raw
            .prepare(
              "SELECT s.port, s.protocol, s.product, s.evidence FROM device_services s JOIN device_identifiers i ON i.device_id = s.device_id AND i.kind = 'ip' AND i.value = ?",
            )
            .all(SERVER_IP) as {
            port: number;
            protocol: string | null;
            product: string | null;
            evidence: string;
          }[];
        } catch {
          return []; // not migrated yet
        } finally {
          raw.close();
        }
      };
      const until = Date.now() + 60_000;
      while (!hasService().some((s) => s.protocol === 'ssh') && Date.now() < until)
        await new Promise((r) => setTimeout(r, 250));
      const services = hasService();
      expect(services).toEqual([
        expect.objectContaining({ port: PORT, protocol: 'ssh', product: 'OpenSSH' }),
      ]);
      expect(JSON.parse(services[0]!.evidence)).toMatchObject({ source: 'live', file: IF_SERVER });

      // Kill the capture tool behind the sensor's back.
      // The flush that stored the service prints its line after writing the database, so
      // that line may not have reached this process yet: wait for it rather than assume it.
      await waitFor((l) => l['event'] === 'flush', 'a flush line before the kill');
      const beforeKill = lines.filter((l) => l['event'] === 'flush').at(-1)!;
      process.kill(started['pid'] as number, 'SIGKILL');
      const exit = await waitFor((l) => l['event'] === 'tool-exit', 'tool-exit report');
      expect(exit).toMatchObject({ tool: 'tcpdump', exit: { signal: 'SIGKILL' }, restartInMs: 1000 });
      await waitFor((l) => l['event'] === 'tool-start' && l['start'] === 2, 'tcpdump restart');
      const resumed = await waitFor(
        (l) =>
          l['event'] === 'flush' &&
          (l['input'] as { restarts: number }).restarts === 1 &&
          (l['packets'] as number) > (beforeKill['packets'] as number) + 10,
        'packets captured after the restart',
      );
      expect(resumed['input']).toMatchObject({
        state: 'running',
        starts: 2,
        restarts: 1,
        lastExit: { signal: 'SIGKILL' },
      });

      sensor.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(lines.at(-1)).toMatchObject({
        event: 'final',
        mode: 'interface',
        source: IF_SERVER,
        failedFlushes: 0,
      });
    } finally {
      cleanup();
    }
  });
});
