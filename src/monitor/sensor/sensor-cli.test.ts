/**
 * `vigil sensor` end to end, the built binary against a temporary SQLite file: a real capture piped on
 * standard input in pieces (several flushes), a directory of rotated capture files read across a
 * restart (SIGTERM), and the hard failures an operator can cause. The short commands around them (the
 * reference `vigil import`, `devices list`, most refusals) run in-process (test/cli-in-process.ts, the
 * binary's own command tree); the sensors themselves and a refused standard input stay real processes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';
import { SENSOR_FIXTURES } from './fixture-packets.js';

const bin = resolve(import.meta.dirname, '../../../bin/vigil.js');
const ROTATED = [
  'rotated_00000_20261128235520.pcap',
  'rotated_00001_20261128235527.pcap',
  'rotated_00002_20261128235527.pcap',
];

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'vigil-sensor-')), 'vigil.db');
const env = (db: string) => ({ ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent' });

/** A short command in this process. */
function vigil(db: string, args: string[], input?: Buffer) {
  return vigilInProcess(args, { db: `sqlite:${db}`, ...(input !== undefined ? { input } : {}) });
}

/** The built binary in a child process. */
function spawnVigil(db: string, args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    input,
    env: env(db),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A running sensor; its stdout JSON lines collected. */
function sensor(db: string, args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [bin, 'sensor', '--json', ...args], {
    env: env(db),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
      buf = buf.slice(i + 1);
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const waitFor = async (pred: (l: Record<string, unknown>) => boolean, what: string, ms = 60_000) => {
    const until = Date.now() + ms;
    for (;;) {
      const hit = lines.find(pred);
      if (hit) return hit;
      if (Date.now() > until || child.exitCode !== null)
        throw new Error(`no ${what} from the sensor; stderr: ${stderr}; lines: ${JSON.stringify(lines)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, lines, exited, waitFor, stderr: () => stderr };
}

function findingCounts(db: string): Record<string, number> {
  const raw = new Database(db, { readonly: true });
  try {
    const rows = raw
      .prepare(
        "SELECT f.type, f.subject, f.occurrences, i.value AS ip FROM findings f JOIN device_identifiers i ON i.device_id = f.device_id AND i.kind = 'ip'",
      )
      .all() as { type: string; subject: string; occurrences: number; ip: string }[];
    return Object.fromEntries(rows.map((r) => [`${r.type}|${r.ip}|${r.subject}`, r.occurrences]));
  } finally {
    raw.close();
  }
}

function count(db: string, sql: string): number {
  const raw = new Database(db, { readonly: true });
  try {
    return (raw.prepare(sql).get() as { n: number }).n;
  } finally {
    raw.close();
  }
}

describe('vigil sensor --read-stdin', () => {
  it('stores a capture piped in pieces over several flushes exactly as vigil import does', {
    timeout: 120_000,
  }, async () => {
    const capture = readFileSync(join(SENSOR_FIXTURES, '07-telnet-ftp-ssh-mqtt.pcap'));
    const db = tempDb();
    const s = sensor(db, ['--read-stdin', '--flush-seconds', '1']);
    // The first half, then wait until a flush has stored it, then the rest: a live pipe does this.
    s.child.stdin!.write(capture.subarray(0, 9000));
    await s.waitFor(
      (l) => l['event'] === 'flush' && (l['lastFlush'] as { stored: boolean }).stored,
      'first flush',
    );
    s.child.stdin!.end(capture.subarray(9000));
    expect(await s.exited).toBe(0);
    const final = s.lines.at(-1)!;
    expect(final).toMatchObject({
      event: 'final',
      mode: 'stdin',
      source: 'stdin',
      packets: 143,
      failedFlushes: 0,
    });
    expect(final['flushes'] as number).toBeGreaterThanOrEqual(2);

    const devices = JSON.parse((await vigil(db, ['devices', 'list', '--json'])).stdout) as {
      ips: string[];
      services: { port: number; protocol: string | null }[];
    }[];
    const server = devices.find((d) => d.services.some((x) => x.port === 23 && x.protocol === 'telnet'));
    expect(server).toBeDefined();
    expect(server!.services.map((x) => x.port)).toEqual(expect.arrayContaining([21, 22, 23]));

    const reference = tempDb();
    expect((await vigil(reference, ['import', '--quiet', '-'], capture)).code).toBe(0);
    const counts = findingCounts(db);
    expect(Object.keys(counts).length).toBeGreaterThan(2);
    expect(counts).toEqual(findingCounts(reference));
  });

  it('refuses standard input that is not a capture (exit 65)', { timeout: 120_000 }, () => {
    const r = spawnVigil(tempDb(), ['sensor', '--read-stdin', '--quiet'], Buffer.from('hello, not a pcap\n'));
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/standard input is not a pcap or pcapng capture/);
  });
});

describe('vigil sensor --follow-dir', () => {
  it('reads each rotated file once; a restart reads nothing again and stores nothing twice', {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-ring-'));
    ROTATED.forEach((name, i) => {
      copyFileSync(join(SENSOR_FIXTURES, name), join(dir, name));
      const t = new Date(Date.UTC(2026, 10, 28, 23, 55, 20 + i));
      utimesSync(join(dir, name), t, t);
    });
    const db = tempDb();
    const args = ['--follow-dir', dir, '--settle-seconds', '1', '--flush-seconds', '1'];
    const first = sensor(db, args);
    await first.waitFor(
      (l) => (l['input'] as { filesDone?: number } | undefined)?.filesDone === 3,
      'all three files done',
    );
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.lines.at(-1)).toMatchObject({ event: 'final', mode: 'follow-dir', packets: 143 });
    const afterFirst = findingCounts(db);
    const imports = count(db, 'SELECT count(*) AS n FROM source_imports');

    const again = sensor(db, args);
    await again.waitFor((l) => l['event'] === 'flush', 'a flush after the restart');
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    expect(again.lines.at(-1)).toMatchObject({ event: 'final', packets: 0, input: { filesRead: 0 } });
    expect(findingCounts(db)).toEqual(afterFirst);
    expect(count(db, 'SELECT count(*) AS n FROM source_imports')).toBe(imports);

    // The files were split from one capture; reading them in order equals importing that capture.
    const reference = tempDb();
    await vigil(reference, ['import', '--quiet', join(SENSOR_FIXTURES, '07-telnet-ftp-ssh-mqtt.pcap')]);
    expect(afterFirst).toEqual(findingCounts(reference));
  });
});

describe('vigil sensor: what an operator can get wrong', () => {
  it('needs exactly one source (exit 65)', { timeout: 120_000 }, async () => {
    const r = await vigil(tempDb(), ['sensor']);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/exactly one of --interface IF, --read-stdin, --follow-dir DIR/);
  });

  it('names the flag, not the option property, in a refused value (exit 65)', {
    timeout: 120_000,
  }, async () => {
    const r = await vigil(tempDb(), ['sensor', '--read-stdin', '--flush-seconds', '0'], Buffer.alloc(0));
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/^ {2}--flush-seconds: /m);
    expect(r.stderr).not.toMatch(/flushSeconds/);
  });

  it('refuses an interface name that could be an option or a path (exit 65)', {
    timeout: 120_000,
  }, async () => {
    const r = await vigil(tempDb(), ['sensor', '--interface=-w/etc/x']);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/Invalid interface name/);
  });

  it('fails clearly on an interface that does not exist (exit 78)', { timeout: 120_000 }, async () => {
    const r = await vigil(tempDb(), ['sensor', '--interface', 'vigilnone0', '--tool', 'tcpdump', '--quiet']);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/No network interface named vigilnone0|tcpdump is not installed/);
  });

  it('refuses a --follow-dir that is not a directory before starting, as --zeek-dir (exit 65)', {
    timeout: 120_000,
  }, async () => {
    const r = await vigil(tempDb(), ['sensor', '--follow-dir', '/nonexistent/vigil-ring']);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/--follow-dir \/nonexistent\/vigil-ring is not a directory/);
    expect(r.stderr).not.toMatch(/started/);
  });

  it('refuses an unknown site (exit 65)', { timeout: 120_000 }, async () => {
    const r = await vigil(tempDb(), ['sensor', '--read-stdin', '--site', 'Atlantis'], Buffer.alloc(0));
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/Unknown site "Atlantis"/);
  });
});
