/**
 * Scale-out benchmark (issue 9): end-to-end observations per second from sensor publish to committed
 * PostgreSQL rows, through NATS JetStream and one or two `vigil serve --roles ingest` processes (the built
 * binary, so each worker has its own Node thread), beside the in-process single-machine path
 * (`applySourceResult` straight into PostgreSQL) on the same data, and the lag from publish to the batch
 * that applied each message (p50/p95/max).
 *
 * Data: the real captures of test/fixtures/captures analysed once, then copied `copies` times with
 * their MAC and IP addresses shifted per copy (a copy = one more site's worth of distinct devices), so
 * the volume is large enough to measure while every observation is one a real capture produced.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
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
import { migrateToLatest } from '../src/store/migrate.js';

export interface ScaleoutBenchOptions {
  root: string;
  work: string;
  actor: Actor;
  results: Record<string, unknown>;
  pgUrl: string;
  natsUrl: string;
  copies: number;
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

export async function benchScaleout(o: ScaleoutBenchOptions): Promise<void> {
  console.log('== scale-out: sensor publish → JetStream → ingest → PostgreSQL');
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
  console.log(
    `   data: ${base.length} real captures × ${o.copies} copies = ${observations.toLocaleString('en-US')} observations`,
  );

  // In-process: what `vigil sensor` without --nats does, each slice applied straight to PostgreSQL.
  const inproc = await freshSchema(o.pgUrl);
  let inProcessRate = 0;
  try {
    const vdb = await openDatabase(inproc.url);
    const t0 = performance.now();
    for (const site of data)
      for (const r of site) await applySourceResult(vdb, o.actor, r, { kind: 'capture', file: 'bench' });
    const s = (performance.now() - t0) / 1000;
    inProcessRate = observations / s;
    await vdb.close();
    console.log(`   in-process:       ${inProcessRate.toFixed(0)} observations/s (${s.toFixed(1)} s)`);
  } finally {
    await inproc.drop();
  }

  const distributed: Record<string, unknown>[] = [];
  for (const workers of [1, 2]) {
    const db = await freshSchema(o.pgUrl);
    const unique = randomBytes(4).toString('hex');
    const names = namesFrom({ natsPrefix: `bench${unique}`, natsStream: `BENCH_${unique}` });
    const nc = await connect({ servers: o.natsUrl });
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, names);
    const children: ChildProcess[] = [];
    try {
      for (let w = 0; w < workers; w++)
        children.push(
          spawn(
            process.execPath,
            [
              join(o.root, 'bin/vigil.js'),
              'serve',
              '--roles',
              'ingest',
              '--nats',
              o.natsUrl,
              '--nats-prefix',
              names.prefix,
              '--nats-stream',
              names.stream,
              '--port',
              String(17_400 + w + workers * 10),
            ],
            {
              env: { ...process.env, VIGIL_DB: db.url, VIGIL_LOG_LEVEL: 'error' },
              stdio: ['ignore', 'ignore', 'inherit'],
            },
          ),
        );
      await new Promise((r) => setTimeout(r, 2500));
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
        await new Promise((r) => setTimeout(r, 20));
      }
      const s = (performance.now() - t0) / 1000;
      const rate = observations / s;
      // Lag: from each message's making (its `at`) to the batch that applied it (ledger time).
      const vdb = await openDatabase(db.url);
      const rows = await vdb.db.selectFrom('sensor_messages').select(['applied_at']).execute();
      const msgs = await jsm.streams.info(names.stream);
      await vdb.close();
      const end = Math.max(...rows.map((r) => Date.parse(r.applied_at)));
      const lags = rows.map((r) => (Date.parse(r.applied_at) - (t0 + performance.timeOrigin)) / 1000);
      distributed.push({
        workers,
        observationsPerSecond: Math.round(rate),
        seconds: s,
        publishSeconds: publishS,
        messages: msgs.state.messages,
        ratioToInProcess: rate / inProcessRate,
        lagSeconds: { p50: pct(lags, 50), p95: pct(lags, 95), max: pct(lags, 100) },
        lastCommitAfterStartSeconds: (end - (t0 + performance.timeOrigin)) / 1000,
      });
      console.log(
        `   ${workers} ingest worker${workers > 1 ? 's' : ' '}: ${rate.toFixed(0)} observations/s (${s.toFixed(1)} s, ${msgs.state.messages} messages, publish ${publishS.toFixed(1)} s), ${((rate / inProcessRate) * 100).toFixed(0)} % of in-process; applied after p50 ${pct(lags, 50).toFixed(2)} s, p95 ${pct(lags, 95).toFixed(2)} s, max ${pct(lags, 100).toFixed(2)} s`,
      );
    } finally {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(
        children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
      );
      await deleteStreams(jsm, names);
      await nc.close();
      await db.drop();
    }
  }
  o.results['scaleout'] = {
    observations,
    copies: o.copies,
    captures: base.length,
    inProcessPerSecond: Math.round(inProcessRate),
    distributed,
  };
  console.log('');
}
