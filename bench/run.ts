/**
 * `npm run bench`: the foundation's hot paths, measured side by side with a reference on the same input
 * in the same run, reported as ratios.
 *
 * - CMMS import of N synthetic devices (default 100,000) on SQLite and PostgreSQL, against the raw bulk
 *   load of the same CSV into one flat table (better-sqlite3 inserts after the same CSV parser on
 *   SQLite; psql `\copy` on PostgreSQL). The ratio says what identity resolution, models, sites,
 *   identifiers, facts and audit cost on top of "just store the rows".
 * - Re-import of the same file (must change nothing).
 * - Paginated inventory queries at N devices: first page, a deep page, filters, search; median and p95.
 * - CLI start-up: `vigil devices list` (on an empty migrated SQLite file) and `vigil --help` against `node -e 0`.
 *
 * - Vulnerability matching (bench/match.ts): a synthetic fleet against the shared advisories and synthetic
 *   CVE records; full and incremental re-match against a naive nested loop.
 *
 * Options: --devices N, --runs N (query repetitions), --pg URL (default: $VIGIL_BENCH_PG, $VIGIL_TEST_PG or
 * postgres://postgres@127.0.0.1:5432/test), --no-pg, --only inventory|capture|match|monitor|scaleout. Scale-out (bench/scaleout.ts): --nats URL, --scaleout-copies N (40). Matching: --advisories DIR
 * (default ../shared/data/01-csaf-icsma), --match-devices N (100000), --cves N (200000), --match-runs N (3),
 * --incremental-runs N (10), --naive-seconds S (30), --nvd-cpe FILE. Capture: --capture-file FILE,
 * --capture-mb N (300), --capture-repeat N (1; 3 also analyses the file 3 times over, same hosts, to
 * show that memory does not grow with the length of a capture). Monitoring (bench/monitor.ts): --monitor-capture
 * FILE (default the capture bench's big file), --monitor-runs N (3), --latency-runs N (7),
 * --latency-flush-seconds N (1).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import type { Actor } from '../src/accounts/actor.js';
import { ALL_PERMISSIONS } from '../src/accounts/permissions.js';
import { YOUNG_GENERATION_FLAG } from '../src/heap-growth.js';
import { importCmmsCsv } from '../src/inventory/cmms-import.js';
import { listDevices } from '../src/inventory/inventory-service.js';
import { openDatabase, type VigilDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { CMMS_HEADER, generateCmmsCsv } from './cmms-generator.js';
import { benchMatch } from './match.js';
import { benchMonitor } from './monitor.js';
import { benchScaleout } from './scaleout.js';

const { values: opts } = parseArgs({
  options: {
    devices: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '30' },
    pg: { type: 'string' },
    'no-pg': { type: 'boolean', default: false },
    only: { type: 'string' },
    'capture-file': { type: 'string' },
    'capture-mb': { type: 'string', default: '300' },
    'capture-repeat': { type: 'string', default: '1' },
    advisories: { type: 'string' },
    'nvd-cpe': { type: 'string' },
    'match-devices': { type: 'string', default: '100000' },
    cves: { type: 'string', default: '200000' },
    'match-runs': { type: 'string', default: '3' },
    'incremental-runs': { type: 'string', default: '10' },
    'naive-seconds': { type: 'string', default: '30' },
    'monitor-capture': { type: 'string' },
    'monitor-runs': { type: 'string', default: '3' },
    'latency-runs': { type: 'string', default: '7' },
    'latency-flush-seconds': { type: 'string', default: '1' },
    'scaleout-copies': { type: 'string', default: '40' },
    nats: { type: 'string' },
  },
});
const N = Number(opts.devices);
const RUNS = Number(opts.runs);
const actor: Actor = { kind: 'cli', id: 'bench', name: 'cli:bench', permissions: new Set(ALL_PERMISSIONS) };
const work = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
const root = resolve(import.meta.dirname, '..');

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (n: number, d = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return {
    median: s[Math.floor(s.length / 2)]!,
    p95: s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!,
  };
}

const results: Record<string, unknown> = {
  devices: N,
  runs: RUNS,
  node: process.version,
  at: new Date().toISOString(),
};

async function benchInventory(): Promise<void> {
  console.log(
    `Vigil benchmark: ${N.toLocaleString('en-US')} devices, ${RUNS} runs per query, Node ${process.version}\n`,
  );
  const csv = generateCmmsCsv({ rows: N, seed: 42, sites: 12 });
  const csvFile = join(work, 'cmms.csv');
  writeFileSync(csvFile, csv);
  console.log(`synthetic CMMS export: ${(csv.length / 1e6).toFixed(1)} MB\n`);

  const columns = CMMS_HEADER.split(',');
  const flatTable = `create table flat_cmms (${columns.map((c) => `${c} text`).join(', ')})`;

  async function rawLoadSqlite(): Promise<number> {
    const db = new SQLite(join(work, 'flat.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(flatTable);
    const t0 = process.hrtime.bigint();
    const rows = parse(csv, { from_line: 2 }) as string[][];
    const insert = db.prepare(`insert into flat_cmms values (${columns.map(() => '?').join(',')})`);
    db.transaction(() => {
      for (const r of rows) insert.run(r);
    })();
    const t = ms(t0);
    db.close();
    return t;
  }

  async function rawLoadPostgres(url: string, schema: string): Promise<number> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`set search_path = ${schema}`);
    await client.query(flatTable);
    await client.end();
    const u = new URL(url);
    const t0 = process.hrtime.bigint();
    execFileSync(
      'psql',
      [
        '-q',
        '-h',
        u.hostname,
        '-p',
        u.port || '5432',
        '-U',
        decodeURIComponent(u.username || 'postgres'),
        '-d',
        u.pathname.slice(1),
        '-c',
        `set search_path = ${schema}`,
        '-c',
        `\\copy flat_cmms from '${csvFile}' csv header`,
      ],
      {
        env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    return ms(t0);
  }

  const tagOf = (n: number) => `BME-${String(n).padStart(7, '0')}`;
  const QUERIES: [name: string, query: Record<string, unknown>, page: number][] = [
    ['first page (sort asset tag)', {}, 1],
    ['page 1,000 (offset 49,950)', {}, 1000],
    ['class = infusion-pump', { deviceClass: 'infusion-pump' }, 1],
    [
      'site + criticality, sort last seen desc',
      { site: 'Clinic 3', criticality: 'life-sustaining', sort: 'lastSeen', order: 'desc' },
      1,
    ],
    ['manufacturer = Philips, sort model', { manufacturer: 'Philips', sort: 'model' }, 1],
    [`search "${tagOf(Math.ceil(N / 2))}"`, { q: tagOf(Math.ceil(N / 2)) }, 1],
  ];

  async function benchDialect(label: string, vdb: VigilDatabase, rawLoad: () => Promise<number>) {
    await migrateToLatest(vdb);
    console.log(`== ${label} (${vdb.description})`);
    let t0 = process.hrtime.bigint();
    const first = await importCmmsCsv(vdb, actor, { file: 'cmms.csv', input: csv });
    const importMs = ms(t0);
    t0 = process.hrtime.bigint();
    const again = await importCmmsCsv(vdb, actor, { file: 'cmms.csv', input: csv });
    const reimportMs = ms(t0);
    const rawMs = await rawLoad();
    const stored = first.created + first.updated + first.unchanged;
    console.log(
      `  import            ${fmt(importMs / 1000, 2)} s  ${fmt(stored / (importMs / 1000), 0)} devices/s  (created ${first.created}, rejected ${first.rejected})`,
    );
    console.log(
      `  raw bulk load     ${fmt(rawMs / 1000, 2)} s  ${fmt(N / (rawMs / 1000), 0)} rows/s  → Vigil import takes ${fmt(importMs / rawMs, 1)}× the raw load`,
    );
    console.log(
      `  re-import (no-op) ${fmt(reimportMs / 1000, 2)} s  (unchanged ${again.unchanged}, updated ${again.updated}, created ${again.created})`,
    );
    const queries: Record<string, unknown> = {};
    for (const [name, query, page] of QUERIES) {
      const samples: number[] = [];
      let total = 0;
      for (let i = 0; i < RUNS + 2; i++) {
        const q0 = process.hrtime.bigint();
        const r = await listDevices(vdb, actor, query, { page, pageSize: 50 });
        if (i >= 2) samples.push(ms(q0)); // two warm-up runs
        total = r.total;
      }
      const s = stats(samples);
      queries[name] = { ...s, total };
      console.log(
        `  query ${name.padEnd(42)} median ${fmt(s.median, 2).padStart(7)} ms  p95 ${fmt(s.p95, 2).padStart(7)} ms  (${total} match)`,
      );
    }
    results[label] = {
      importMs,
      devicesPerSecond: stored / (importMs / 1000),
      rawLoadMs: rawMs,
      importToRawRatio: importMs / rawMs,
      reimportMs,
      reimportUnchanged: again.unchanged,
      queries,
    };
    console.log('');
  }

  // SQLite: a file in WAL mode, as `vigil serve` uses it.
  {
    const vdb = await openDatabase(`sqlite:${join(work, 'vigil.db')}`);
    try {
      await benchDialect('sqlite', vdb, rawLoadSqlite);
    } finally {
      await vdb.close();
    }
  }

  // PostgreSQL: a fresh schema in the given database, dropped afterwards.
  const pgUrl =
    opts.pg ??
    process.env['VIGIL_BENCH_PG'] ??
    process.env['VIGIL_TEST_PG'] ??
    'postgres://postgres@127.0.0.1:5432/test';
  if (opts['no-pg']) console.log('== postgres skipped (--no-pg)\n');
  else {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    let vdb: VigilDatabase | undefined;
    try {
      vdb = await openDatabase(pgUrl, { schema });
    } catch (e) {
      console.log(`== postgres skipped: ${(e as Error).message}\n`);
    }
    if (vdb) {
      try {
        await benchDialect('postgres', vdb, () => rawLoadPostgres(pgUrl, schema));
      } finally {
        await vdb.close();
        const c = new pg.Client({ connectionString: pgUrl });
        await c.connect();
        await c.query(`drop schema ${schema} cascade`);
        await c.end();
      }
    }
  }

  // CLI start-up: the built binary against a bare Node.js start.
  {
    // A command on a migrated SQLite database: what a person or a cron job pays on every call. `--help`
    // loads every command group; a command loads only its own (src/cli/program.ts).
    const dbDir = mkdtempSync(join(tmpdir(), 'vigil-bench-cli-'));
    const env = { ...process.env, VIGIL_DB: `sqlite:${join(dbDir, 'vigil.db')}`, VIGIL_LOG_LEVEL: 'silent' };
    execFileSync(process.execPath, [join(root, 'bin/vigil.js'), 'db', 'migrate'], { env, stdio: 'ignore' });
    const time = (args: string[]) => {
      const samples: number[] = [];
      for (let i = 0; i < 12; i++) {
        const t0 = process.hrtime.bigint();
        const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore', env });
        if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
        if (i >= 2) samples.push(ms(t0));
      }
      return stats(samples).median;
    };
    const node = time(['-e', '0']);
    const help = time([join(root, 'bin/vigil.js'), '--help']);
    const list = time([join(root, 'bin/vigil.js'), 'devices', 'list', '--json']);
    rmSync(dbDir, { recursive: true, force: true });
    console.log(
      `== CLI start-up: vigil devices list ${fmt(list, 0)} ms (${fmt(list / node, 1)}×), vigil --help ${fmt(help, 0)} ms (${fmt(help / node, 1)}×), node -e 0 ${fmt(node, 0)} ms`,
    );
    results['cliStartup'] = {
      vigilHelpMs: help,
      vigilDevicesListMs: list,
      nodeMs: node,
      ratio: help / node,
      devicesListRatio: list / node,
    };
  }
}

if (opts.only === undefined || opts.only === 'inventory') await benchInventory();
if (opts.only === undefined || opts.only === 'capture') await benchCapture();
if (opts.only === undefined || opts.only === 'match')
  await benchMatch({
    root,
    work,
    actor,
    results,
    advisories: opts.advisories,
    nvdCpe: opts['nvd-cpe'],
    devices: Number(opts['match-devices']),
    cves: Number(opts.cves),
    fullRuns: Number(opts['match-runs']),
    incrementalRuns: Number(opts['incremental-runs']),
    naiveSeconds: Number(opts['naive-seconds']),
  });

if (opts.only === undefined || opts.only === 'monitor')
  await benchMonitor({
    root,
    work,
    actor,
    results,
    captureFile: opts['monitor-capture'],
    runs: Number(opts['monitor-runs']),
    latencyRuns: Number(opts['latency-runs']),
    flushSeconds: Number(opts['latency-flush-seconds']),
  });

if (opts.only === undefined || opts.only === 'scaleout')
  await benchScaleout({
    root,
    work,
    actor,
    results,
    pgUrl:
      opts.pg ??
      process.env['VIGIL_BENCH_PG'] ??
      process.env['VIGIL_TEST_PG'] ??
      'postgres://postgres@127.0.0.1:5432/test',
    natsUrl: opts.nats ?? process.env['VIGIL_TEST_NATS'] ?? 'nats://127.0.0.1:4222',
    copies: Number(opts['scaleout-copies']),
  });

const out = join(root, '.bench-out', 'results.json');
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nresults: ${out}`);
rmSync(work, { recursive: true, force: true });

// ---------------------------------------------------------------------------------------------------
// Passive capture analysis against tshark, tcpdump and a bare header walk, on one ~300 MB capture.

function ensureTools(): void {
  const missing = ['tshark', 'tcpdump', 'mergecap', 'editcap', 'tcprewrite', '/usr/bin/time'].filter(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0,
  );
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(', ')} from Debian (tshark, tcpdump, tcpreplay) …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync(
    'apt-get',
    ['install', '-y', '-qq', 'tshark', 'tcpdump', 'tcpreplay', 'wireshark-common', 'time'],
    {
      stdio: 'inherit',
      env,
    },
  );
}

/**
 * The analyzer's peak memory on `file` concatenated `times` times (`mergecap -a`: the same hosts and
 * conversations, `times` as many packets), or null when not asked for. The file is removed afterwards.
 */
function repeatedPeak(
  file: string,
  times: number,
): { times: number; bytes: number; hosts: unknown; peakRssMb: number } | null {
  if (!(times > 1)) return null;
  const out = join(tmpdir(), `vigil-bench-repeat-${process.pid}.pcap`);
  try {
    execFileSync('mergecap', ['-F', 'pcap', '-a', '-w', out, ...Array(times).fill(file)]);
    const r = child('analyze', out);
    return { times, bytes: statSync(out).size, hosts: r['hosts'], peakRssMb: r.peakRssMb };
  } finally {
    rmSync(out, { force: true });
  }
}

/** Runs a command under GNU time: wall seconds, CPU seconds (user + system) and peak RSS (MB). */
function timed(cmd: string): { seconds: number; cpuSeconds: number; peakRssMb: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', 'sh', '-c', `${cmd} > /dev/null`], {
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const [user, system, kb] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { seconds, cpuSeconds: user! + system!, peakRssMb: Math.round(kb! / 1024) };
}

function child(
  mode: string,
  file: string,
): { seconds: number; peakRssMb: number; packets: number } & Record<string, unknown> {
  // The young generation as `npm start` sizes it (src/heap-growth.ts).
  const script = join(root, '.bench-out', 'capture-child.mjs');
  const out = execFileSync(process.execPath, [YOUNG_GENERATION_FLAG, script, mode, file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

async function benchCapture(): Promise<void> {
  ensureTools();
  let file = opts['capture-file'];
  if (!file) {
    file = join(tmpdir(), 'vigil-bench-capture', 'big.pcap');
    if (!existsSync(file)) {
      console.log(
        `building a ${opts['capture-mb']} MB capture from the shared real captures (bench/build-big-capture.sh) …`,
      );
      execFileSync('bash', [join(root, 'bench/build-big-capture.sh'), file, String(opts['capture-mb'])], {
        stdio: 'inherit',
      });
    }
  }
  const size = statSync(file).size;
  const mbs = (s: number) => size / 1e6 / s;
  // Warm the page cache so every contender reads from memory.
  timed(`cat '${file}'`);
  console.log(`\n== capture analysis: ${file} (${(size / 1e6).toFixed(0)} MB)`);
  const rows: { name: string; seconds: number; cpuSeconds?: number; peakRssMb: number; note?: string }[] = [];
  const vigil = child('analyze', file);
  rows.push({
    name: 'vigil analyzer (every dissector, findings)',
    ...vigil,
    note: `${vigil['hosts']} hosts, ${vigil['findings']} findings`,
  });
  const reader = child('reader', file);
  rows.push({ name: 'vigil read + decode + TCP reassembly', ...reader });
  const walk = child('walk', file);
  rows.push({ name: 'bare Node header walk', ...walk });
  rows.push({ name: 'tshark -q -z io,stat,0', ...timed(`tshark -r '${file}' -q -z io,stat,0`) });
  rows.push({ name: 'tcpdump -nn -r', ...timed(`tcpdump -nn -r '${file}' 2>/dev/null`) });
  const tshark = rows.find((r) => r.name.startsWith('tshark'))!;
  // CPU seconds too: on a VM shared with other work, wall clock swings several-fold between runs.
  const cpuRatio = (r: (typeof rows)[number]) =>
    r.cpuSeconds && tshark.cpuSeconds
      ? `${fmt(tshark.cpuSeconds / r.cpuSeconds, 1).padStart(5)}× in CPU`
      : '';
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(44)} ${fmt(mbs(r.seconds), 0).padStart(6)} MB/s  ${fmt(r.seconds, 2).padStart(7)} s  peak ${String(r.peakRssMb).padStart(5)} MB  ${fmt(tshark.seconds / r.seconds, 1).padStart(5)}× tshark  ${cpuRatio(r)}${r.note ? `  (${r.note})` : ''}`,
    );
  }
  console.log(
    `  packets: ${vigil.packets.toLocaleString('en-US')}; Vigil analyzer runs at ${fmt((walk.seconds / vigil.seconds) * 100, 0)}% of the bare walk`,
  );
  const repeated = repeatedPeak(file, Number(opts['capture-repeat']));
  if (repeated) {
    console.log(
      `  memory with length: the same file ${repeated.times}× over (${fmt(repeated.bytes / 1e6, 0)} MB, ${repeated.hosts} hosts): peak ${repeated.peakRssMb} MB against ${vigil.peakRssMb} MB once`,
    );
  }
  results['capture'] = {
    file,
    bytes: size,
    packets: vigil.packets,
    ...(repeated ? { repeated } : {}),
    rows: rows.map((r) => ({
      ...r,
      mbPerSec: mbs(r.seconds),
      vsTshark: tshark.seconds / r.seconds,
      ...(r.cpuSeconds && tshark.cpuSeconds ? { vsTsharkCpu: tshark.cpuSeconds / r.cpuSeconds } : {}),
    })),
  };
}
