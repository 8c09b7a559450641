/**
 * `vigil sensor --eve FILE` end to end, the built binary against a temporary SQLite file: real Suricata EVE
 * lines (src/formats/suricata/fixtures/eve.json, see its PROVENANCE.md) appended while the sensor runs,
 * with a rotation (eve.json renamed to eve.json.1, a new eve.json), then SIGTERM. What it stored must equal
 * one `vigil import` of the same file; a restart reads nothing again. The sensors are real processes; the
 * short commands around them (the reference import, device and alert lists) run in-process
 * (test/cli-in-process.ts, the same built CLI).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';

const bin = resolve(import.meta.dirname, '../../../bin/vigil.js');
const EVE = resolve(import.meta.dirname, '../../formats/suricata/fixtures/eve.json');

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'vigil-eve-sensor-')), 'vigil.db');
const env = (db: string) => ({ ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent' });

/** A short command in this process. */
function vigil(db: string, args: string[]) {
  return vigilInProcess(args, { db: `sqlite:${db}` });
}

/** The built binary in a child process. */
function spawnVigil(db: string, args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: env(db), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sensor(db: string, args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [bin, 'sensor', '--json', ...args], {
    env: env(db),
    stdio: ['ignore', 'pipe', 'pipe'],
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
  const waitFor = async (pred: (l: Record<string, unknown>) => boolean, what: string, ms = 120_000) => {
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

const deviceIps = async (db: string) =>
  (JSON.parse((await vigil(db, ['devices', 'list', '--json'])).stdout) as { ips: string[] }[])
    .flatMap((d) => d.ips)
    .sort();

const alertRules = async (db: string) => {
  const r = await vigil(db, ['alerts', 'list', '--json']);
  const out = JSON.parse(r.stdout) as { items: { rule: string; subject: string; count: number }[] };
  return out.items.map((a) => `${a.rule}|${a.subject}|${a.count}`).sort();
};

describe('vigil sensor --eve', { timeout: 180_000 }, () => {
  it('follows a growing, rotated eve.json and stores what one import of it stores; SIGTERM flushes, exit 0', async () => {
    const all = readFileSync(EVE, 'utf8').split('\n').filter(Boolean);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-eve-'));
    const eve = join(dir, 'eve.json');
    const db = tempDb();
    const chunk = (from: number, to: number) =>
      all
        .slice(from, to)
        .map((l) => `${l}\n`)
        .join('');

    writeFileSync(eve, chunk(0, 30));
    const s = sensor(db, ['--eve', eve, '--flush-seconds', '1']);
    await s.waitFor(
      (l) => (l['lastFlush'] as { stored?: boolean } | null)?.stored === true,
      'a stored flush',
    );
    // Half a line first: it waits until its newline comes.
    appendFileSync(eve, `${chunk(30, 60)}${all[60]!.slice(0, 25)}`);
    await s.waitFor((l) => l['event'] === 'flush' && l['lines'] === 60, 'the second batch');
    appendFileSync(eve, `${all[60]!.slice(25)}\n${chunk(61, 70)}`);
    renameSync(eve, `${eve}.1`);
    writeFileSync(eve, chunk(70, all.length));
    const done = await s.waitFor((l) => l['lines'] === all.length, 'every line');
    expect(done).toMatchObject({ mode: 'eve', source: eve, readerIssues: 0, input: { rotations: 1 } });
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    const final = s.lines.at(-1)!;
    expect(final).toMatchObject({ event: 'final', lines: all.length, failedFlushes: 0 });
    expect(final['flushes'] as number).toBeGreaterThanOrEqual(3);

    const reference = tempDb();
    expect((await vigil(reference, ['import', '--quiet', EVE])).code).toBe(0);
    const counts = findingCounts(db);
    expect(Object.keys(counts).length).toBeGreaterThan(2);
    expect(Object.keys(counts).join(' ')).toMatch(/insecure-protocol\|.*\|telnet:23/);
    expect(counts).toEqual(findingCounts(reference));
    expect(await deviceIps(db)).toEqual(await deviceIps(reference));
    // The detection rules ran on every stored slice: the same alerts as the import raised.
    expect((await alertRules(db)).length).toBeGreaterThan(1);
    expect(await alertRules(db)).toEqual(await alertRules(reference));

    // A restart resumes after the last stored line: nothing is read or stored again.
    const again = sensor(db, ['--eve', eve, '--flush-seconds', '1']);
    await again.waitFor((l) => l['event'] === 'flush', 'a flush after the restart');
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    expect(again.lines.at(-1)).toMatchObject({ event: 'final', lines: 0, devices: 0 });
    expect(findingCounts(db)).toEqual(counts);
    expect(await alertRules(db)).toEqual(await alertRules(reference));
  });

  it('refuses an EVE file in a directory that does not exist (the binary), and a second source (exit 65)', async () => {
    const r = spawnVigil(tempDb(), ['sensor', '--eve', '/nonexistent-vigil/eve.json', '--quiet']);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/no directory \/nonexistent-vigil/);
    const both = await vigil(tempDb(), ['sensor', '--eve', '/tmp/eve.json', '--zeek-dir', '/tmp']);
    expect(both.code).toBe(65);
    expect(both.stderr).toMatch(/exactly one of .*--zeek-dir DIR, --eve FILE/);
  });
});
