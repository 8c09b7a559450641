/**
 * Scale-out benchmark (issue 9): end-to-end observations per second from sensor publish to committed
 * PostgreSQL rows, through NATS JetStream and one or two `vigil serve --roles ingest` processes (the built
 * binary, so each worker has its own Node thread) plus one `--roles match` process that re-matches what
 * ingest queued (a run ends when the stream is drained AND the match queue is empty), beside the
 * in-process single-machine path (`applySourceResult` straight into PostgreSQL, re-matching inside each
 * apply) on the same data, and the lag from publish to the batch that applied each message
 * (p50/p95/max). The machine is shared, so each run also reports CPU seconds per 1,000 observations: the
 * Vigil Node processes (from /proc), the PostgreSQL backends serving this run's connections (found by
 * their application_name) and nats-server. Runs: $VIGIL_BENCH_SCALEOUT_RUNS (default 3); medians.
 *
 * Data: the real captures of test/fixtures/captures analysed once, then copied `copies` times with
 * their MAC and IP addresses shifted per copy (a copy = one more site's worth of distinct devices), so
 * the volume is large enough to measure while every observation is one a real capture produced.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'nats';
import pg from 'pg';
import type { Actor } from '../src/accounts/actor.js';
import { applySourceResult } from '../src/discovery/apply-source-result.js';
import { analyzeCapture } from '../src/discovery/capture-analyzer.js';
import type { SourceResult } from '../src/discovery/host-observation.js';
import { namesFrom } from '../src/scaleout/nats-flags.js';
import type { Heartbeat } from '../src/scaleout/observation-schema.js';
import { ObservationPublisher } from '../src/scaleout/publisher.js';
import { DiskSpool } from '../src/scaleout/spool.js';
import { deleteStreams, ensureStreams } from '../src/scaleout/streams.js';
import { openDatabase } from '../src/store/database.js';
import { matchQueueDepth } from '../src/store/match-queue-store.js';
import { migrateToLatest } from '../src/store/migrate.js';

export interface ScaleoutBenchOptions {
  root: string;
  work: string;
  actor: Actor;
  results: Record<string, unknown>;
  pgUrl: string;
  natsUrl: string;
  copies: number;
  /** Repetitions of the whole comparison (default $VIGIL_BENCH_SCALEOUT_RUNS or 3); medians are reported. */
  runs?: number;
}

const SKIP =
  /^(zeek-|lo-|null-|raw|sll|loop|multi|hl7-|dicom-(lost|reordered|retransmitted)|telnet-be|two-sections)/;

function shifted(r: SourceResult, k: number): SourceResult {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  const text = JSON.stringify(r)
    .replace(
      /\b10\.(\d+)\.(\d+)\.(\d+)\b/g,
      (_m, _a, b, c) => `10.${k % 250}.${(Number(b) + Math.floor(k / 250)) % 256}.${c}`,
    )
    .replace(
      /\b[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}:([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})\b/g,
      (_m, d, e, f) => `0a:${hex(k >> 8)}:${hex(k & 255)}:${d}:${e}:${f}`,
    )
    .replace(/fe80::/g, `fe80::${(k + 1).toString(16)}:`)
    .replace(/fd00:/g, `fd${hex(k & 255)}:`);
  return JSON.parse(text) as SourceResult;
}

const count = (r: SourceResult) => r.hosts.length + r.findings.length + (r.flows?.length ?? 0);

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function freshSchema(
  pgUrl: string,
): Promise<{ schema: string; url: string; drop: () => Promise<void> }> {
  const schema = `bench_so_${randomBytes(4).toString('hex')}`;
  const vdb = await openDatabase(pgUrl, { schema });
  await migrateToLatest(vdb);
  await vdb.close();
  return {
    schema,
    url: `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: async () => {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 when it is gone. */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5) (utime, stime), counted from the state field (3).
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Process ids whose command name starts with `name`. */
function pidsNamed(name: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc'))
    if (/^\d+$/.test(d))
      try {
        if (readFileSync(`/proc/${d}/comm`, 'utf8').startsWith(name)) out.push(Number(d));
      } catch {}
  return out;
}

/**
 * CPU seconds of the PostgreSQL backends serving this benchmark's connections (application_name `tag`),
 * so other work on the shared server is not counted. Sampled every 100 ms, because a pool may close a
 * connection and open another during the run: each backend counts from its first sample (its CPU before
 * the run when it existed already) to its last. Also counts, per sample, the backends inside a transaction
 * and those of them waiting for an advisory lock (how much the ingest workers still wait on each other).
 */
async function pgBackendSampler(
  pgUrl: string,
  tag: string,
): Promise<{
  stop(): Promise<number>;
  waits(): { inTransaction: number; advisoryWaits: number; on: Record<string, number> };
}> {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  // Backend samples inside a transaction, and those of them waiting for an advisory lock.
  const waits = { inTransaction: 0, advisoryWaits: 0, on: {} as Record<string, number> };
  const sample = async () => {
    const r = await c.query<{
      pid: number;
      state: string | null;
      wait_event: string | null;
      lock: string | null;
    }>(
      `select a.pid, a.state, a.wait_event,
         (select case l.objid when 741993002 then 'inventory' when 741993007 then 'alerts'
            when 741993001 then 'audit' when 741993018 then 'match' else 'identity key' end
          from pg_locks l where l.pid = a.pid and not l.granted and l.locktype = 'advisory' limit 1) as lock
       from pg_stat_activity a where a.application_name = $1`,
      [tag],
    );
    for (const { pid, state, wait_event, lock } of r.rows) {
      if (started && (state === 'active' || state === 'idle in transaction')) {
        waits.inTransaction++;
        if (wait_event === 'advisory') {
          waits.advisoryWaits++;
          waits.on[lock ?? '?'] = (waits.on[lock ?? '?'] ?? 0) + 1;
        }
      }
      const cpu = cpuSecondsOf(pid);
      if (!first.has(pid)) first.set(pid, started ? 0 : cpu);
      if (cpu > 0) last.set(pid, cpu);
    }
  };
  let started = false;
  await sample();
  started = true;
  let busy: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    busy = busy.then(sample).catch(() => undefined);
  }, 100);
  return {
    waits: () => waits,
    async stop() {
      clearInterval(timer);
      await busy;
      await sample();
      await c.end();
      let total = 0;
      for (const [pid, cpu] of last) total += cpu - (first.get(pid) ?? 0);
      return total;
    },
  };
}

const natsCpu = () => pidsNamed('nats-server').reduce((n, p) => n + cpuSecondsOf(p), 0);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : 0;
};

interface RunFigures {
  observationsPerSecond: number;
  seconds: number;
  /** CPU seconds per 1,000 observations: Node (all Vigil processes), PostgreSQL backends, nats-server. */
  cpuPer1000: { node: number; postgres: number; nats: number; total: number };
}

export async function benchScaleout(o: ScaleoutBenchOptions): Promise<void> {
  console.log('== scale-out: sensor publish → JetStream → ingest (+ match role) → PostgreSQL');
  try {
    const nc0 = await connect({ servers: o.natsUrl, timeout: 2000 });
    await nc0.close();
  } catch (e) {
    console.log(`   skipped: NATS not reachable at ${o.natsUrl} (${(e as Error).message})\n`);
    return;
  }
  const captures = join(o.root, 'test/fixtures/captures');
  const base: SourceResult[] = [];
  for (const f of readdirSync(captures)
    .filter((n) => /\.pcap(ng)?$/.test(n) && !SKIP.test(n))
    .sort()) {
    const a = await analyzeCapture(join(captures, f), { file: f });
    base.push({ hosts: a.hosts, findings: a.findings, flows: a.flows ?? [] });
  }
  const data = Array.from({ length: o.copies }, (_, k) => base.map((r) => shifted(r, k + 1)));
  const observations = data.flat().reduce((n, r) => n + count(r), 0);
  const runs = o.runs ?? Number(process.env['VIGIL_BENCH_SCALEOUT_RUNS'] ?? 3);
  console.log(
    `   data: ${base.length} real captures × ${o.copies} copies = ${observations.toLocaleString('en-US')} observations; ${runs} runs`,
  );
  const per1000 = (node: number, postgres: number, nats: number) => {
    const k = 1000 / observations;
    return { node: node * k, postgres: postgres * k, nats: nats * k, total: (node + postgres + nats) * k };
  };
  const cpuText = (c: RunFigures['cpuPer1000']) =>
    `CPU ${c.total.toFixed(2)} s per 1,000 observations (Node ${c.node.toFixed(2)}, PostgreSQL ${c.postgres.toFixed(2)}, NATS ${c.nats.toFixed(2)})`;

  const inProcess: RunFigures[] = [];
  const distributed: (RunFigures & Record<string, unknown>)[] = [];
  for (let run = 1; run <= runs; run++) {
    // In-process: what `vigil sensor` without --nats does, each slice applied (and re-matched) at once.
    const inproc = await freshSchema(o.pgUrl);
    try {
      const tag = `vigil-bench-${randomBytes(3).toString('hex')}`;
      const vdb = await openDatabase(`${inproc.url}&application_name=${tag}`);
      await vdb.db.selectFrom('devices').select('id').limit(1).execute();
      const pgCpu0 = await pgBackendSampler(o.pgUrl, tag);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (const site of data)
        for (const r of site) await applySourceResult(vdb, o.actor, r, { kind: 'capture', file: 'bench' });
      const s = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const pgCpu = await pgCpu0.stop();
      await vdb.close();
      const fig: RunFigures = {
        observationsPerSecond: observations / s,
        seconds: s,
        cpuPer1000: per1000((cpu.user + cpu.system) / 1e6, pgCpu, 0),
      };
      inProcess.push(fig);
      console.log(
        `   run ${run} in-process:       ${fig.observationsPerSecond.toFixed(0)} observations/s (${s.toFixed(1)} s); ${cpuText(fig.cpuPer1000)}`,
      );
    } finally {
      await inproc.drop();
    }
    const inProcessRate = inProcess.at(-1)!.observationsPerSecond;

    for (const workers of [1, 2]) {
      const db = await freshSchema(o.pgUrl);
      const tag = `vigil-bench-${randomBytes(3).toString('hex')}`;
      const unique = randomBytes(4).toString('hex');
      const names = namesFrom({ natsPrefix: `bench${unique}`, natsStream: `BENCH_${unique}` });
      const nc = await connect({ servers: o.natsUrl });
      const jsm = await nc.jetstreamManager();
      await ensureStreams(jsm, names);
      const children: ChildProcess[] = [];
      const serve = (roles: string, port: number) =>
        spawn(
          process.execPath,
          [
            join(o.root, 'bin/vigil.js'),
            'serve',
            '--roles',
            roles,
            '--nats',
            o.natsUrl,
            '--nats-prefix',
            names.prefix,
            '--nats-stream',
            names.stream,
            '--port',
            String(port),
            // For the batch and deadlock-retry counts below.
            '--metrics',
          ],
          {
            env: { ...process.env, VIGIL_DB: `${db.url}&application_name=${tag}`, VIGIL_LOG_LEVEL: 'error' },
            stdio: ['ignore', 'ignore', 'inherit'],
          },
        );
      const vdb = await openDatabase(db.url);
      try {
        const roles: [string, number][] = [
          ...Array.from({ length: workers }, (_, w): [string, number] => [
            'ingest',
            17_400 + w + workers * 10,
          ]),
          // One match process re-matches what the ingest processes queue (as in a deployment).
          ['match', 17_409 + workers * 10],
        ];
        for (const [role, port] of roles) children.push(serve(role, port));
        // A process that died at start (e.g. its migration check racing another session dropping a test
        // schema on the shared server) is started again, at most 3 times in all, and says so.
        let restarts = 0;
        const keepAlive = () =>
          children.forEach((c, i) => {
            if (c.exitCode === null && c.signalCode === null) return;
            if (++restarts > 3) throw new Error(`bench: vigil serve --roles ${roles[i]![0]} keeps exiting`);
            console.log(`   (vigil serve --roles ${roles[i]![0]} exited with ${c.exitCode}; started again)`);
            children[i] = serve(...roles[i]!);
          });
        await new Promise((r) => setTimeout(r, 2500));
        keepAlive();
        await new Promise((r) => setTimeout(r, 500));
        const node0 = children.map((c) => cpuSecondsOf(c.pid!));
        const self0 = process.cpuUsage();
        const pgCpu0 = await pgBackendSampler(o.pgUrl, tag);
        const nats0 = natsCpu();
        const published = new Map<string, number>();
        const t0 = performance.now();
        await Promise.all(
          data.map(async (site, k) => {
            const publisher = new ObservationPublisher({
              nc,
              prefix: names.prefix,
              site: `site${k}`,
              sensor: `bench${k}`,
              spool: new DiskSpool({ dir: mkdtempSync(join(o.work, 'spool-')), maxBytes: 1e9 }),
            });
            const hb: Heartbeat = {
              version: 'bench',
              startedAt: new Date().toISOString(),
              source: 'bench',
              packets: 0,
              bytes: 0,
              captureDrops: 0,
              spoolBytes: 0,
              spoolDropped: { low: 0, high: 0 },
            };
            for (const r of site) {
              const before = Date.now();
              await publisher.publishFlush(r, hb);
              published.set(`bench${k}`, before);
            }
            await publisher.close();
          }),
        );
        const publishS = (performance.now() - t0) / 1000;
        for (;;) {
          const info = await jsm.consumers.info(names.stream, names.durable);
          if (info.num_pending === 0 && info.num_ack_pending === 0) break;
          keepAlive();
          await new Promise((r) => setTimeout(r, 20));
        }
        const ingestS = (performance.now() - t0) / 1000;
        // Done means matched too: the in-process path re-matches inside each apply.
        while ((await matchQueueDepth(vdb)) > 0) {
          keepAlive();
          await new Promise((r) => setTimeout(r, 20));
        }
        const s = (performance.now() - t0) / 1000;
        // What the ingest processes' /metrics say: batches committed, batches PostgreSQL aborted as
        // deadlocks and tried again, batches given back for redelivery.
        const ingestMetrics = { batches: 0, deadlockRetries: 0, redelivered: 0 };
        for (const [role, port] of roles)
          if (role === 'ingest') {
            const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
            const sum = (re: RegExp) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
            ingestMetrics.batches += sum(/^vigil_ingest_batch_messages_count(?:\{[^}]*\})? (\S+)$/gm);
            ingestMetrics.deadlockRetries += sum(
              /^vigil_ingest_messages_total\{[^}]*outcome="deadlock-retry"[^}]*\} (\S+)$/gm,
            );
            ingestMetrics.redelivered += sum(
              /^vigil_ingest_messages_total\{[^}]*outcome="retried"[^}]*\} (\S+)$/gm,
            );
          }
        const nodeCpu =
          children.reduce((n, c, i) => n + cpuSecondsOf(c.pid!) - node0[i]!, 0) +
          (() => {
            const u = process.cpuUsage(self0);
            return (u.user + u.system) / 1e6;
          })();
        const pgCpu = await pgCpu0.stop();
        const nats = natsCpu() - nats0;
        const rate = observations / s;
        // Lag: from each message's making (its `at`) to the batch that applied it (ledger time).
        const rows = await vdb.db.selectFrom('sensor_messages').select(['applied_at']).execute();
        const msgs = await jsm.streams.info(names.stream);
        const end = Math.max(...rows.map((r) => Date.parse(r.applied_at)));
        const lags = rows.map((r) => (Date.parse(r.applied_at) - (t0 + performance.timeOrigin)) / 1000);
        const fig = {
          run,
          workers,
          observationsPerSecond: rate,
          seconds: s,
          ingestSeconds: ingestS,
          publishSeconds: publishS,
          messages: msgs.state.messages,
          ratioToInProcess: rate / inProcessRate,
          lagSeconds: { p50: pct(lags, 50), p95: pct(lags, 95), max: pct(lags, 100) },
          lastCommitAfterStartSeconds: (end - (t0 + performance.timeOrigin)) / 1000,
          cpuPer1000: per1000(nodeCpu, pgCpu, nats),
          ingest: ingestMetrics,
          pgSamples: pgCpu0.waits(),
        };
        distributed.push(fig);
        console.log(
          `   run ${run} ${workers} ingest worker${workers > 1 ? 's' : ' '}: ${rate.toFixed(0)} observations/s (${s.toFixed(1)} s, ingest done at ${ingestS.toFixed(1)} s, ${msgs.state.messages} messages, publish ${publishS.toFixed(1)} s), ${((rate / inProcessRate) * 100).toFixed(0)} % of in-process; applied after p50 ${pct(lags, 50).toFixed(2)} s, p95 ${pct(lags, 95).toFixed(2)} s, max ${pct(lags, 100).toFixed(2)} s; ${cpuText(fig.cpuPer1000)}; ${ingestMetrics.batches} batches, ${ingestMetrics.deadlockRetries} messages in deadlock retries, ${ingestMetrics.redelivered} given back; ${pgCpu0.waits().advisoryWaits} of ${pgCpu0.waits().inTransaction} in-transaction backend samples waiting for an advisory lock ${JSON.stringify(pgCpu0.waits().on)}`,
        );
      } finally {
        await vdb.close();
        for (const c of children) c.kill('SIGTERM');
        await Promise.all(
          children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
        );
        await deleteStreams(jsm, names);
        await nc.close();
        await db.drop();
      }
    }
  }
  const inRate = median(inProcess.map((f) => f.observationsPerSecond));
  const summary = [1, 2].map((workers) => {
    const mine = distributed.filter((d) => d.workers === workers);
    return {
      workers,
      observationsPerSecond: Math.round(median(mine.map((d) => d.observationsPerSecond))),
      ratioToInProcess: median(mine.map((d) => d.ratioToInProcess as number)),
      cpuPer1000Total: median(mine.map((d) => d.cpuPer1000.total)),
    };
  });
  console.log(
    `   median of ${runs}: in-process ${inRate.toFixed(0)}/s (CPU ${median(inProcess.map((f) => f.cpuPer1000.total)).toFixed(2)} s per 1,000); ${summary
      .map(
        (x) =>
          `${x.workers} worker${x.workers > 1 ? 's' : ''} ${x.observationsPerSecond}/s = ${(x.ratioToInProcess * 100).toFixed(0)} % (CPU ${x.cpuPer1000Total.toFixed(2)} s per 1,000)`,
      )
      .join('; ')}`,
  );
  o.results['scaleout'] = {
    observations,
    copies: o.copies,
    captures: base.length,
    runs,
    inProcessPerSecond: Math.round(inRate),
    inProcess,
    distributed,
    summary,
  };
  console.log('');
}
