/**
 * @module `vigil serve --roles api,ingest,match,monitor`: which parts of the centre a process runs. With
 * no `--nats` there is one process and every role (today's single-machine behaviour, unchanged). With
 * `--nats` the roles can be split over processes and machines:
 * - `api` (HTTP API, dashboard): any number behind a load balancer.
 * - `ingest` (observations → PostgreSQL): any number; they share one durable consumer.
 * - `match` (re-matching the devices ingest queued, match-worker.ts; task verification and
 *   risk-acceptance expiry): any number, safe, but one works at a time (a lock; the others stand by).
 * - `monitor` (detection rules on every applied batch, sensor-silent checks, alert delivery): ONE (each
 *   monitor subscribes to every `source-run` event; a second one would run the rules twice).
 */
import type { NatsConnection } from 'nats';
import type { AppContext } from '../context.js';
import { invalidInput } from '../errors.js';
import { processEventBus } from '../monitor/event-bus.js';
import { processSourceRun } from '../monitor/process-source-run.js';
import { IngestWorker } from './ingest-worker.js';
import { JetStreamEventBus } from './jetstream-bus.js';
import { MatchWorker } from './match-worker.js';
import type { IngestMetrics } from './metrics.js';
import { connectNats, type NatsOptions } from './nats-connection.js';
import { checkSilentSensors } from './sensor-health.js';
import { ensureStreams, type StreamLimits } from './streams.js';
import type { ScaleoutNames } from './subjects.js';

export const ROLES = ['api', 'ingest', 'match', 'monitor'] as const;
export type Role = (typeof ROLES)[number];

/** Which roles may run in more than one process at once (docs/deployment.md). */
export const ROLE_SCALING: Record<Role, 'many' | 'standby' | 'one'> = {
  api: 'many',
  ingest: 'many',
  // Safe to run twice (a lock keeps one match batch at a time); the second only takes over.
  match: 'standby',
  monitor: 'one',
};

export function parseRoles(text: string | undefined): Set<Role> {
  if (text === undefined || text.trim() === '' || text.trim() === 'all') return new Set(ROLES);
  const out = new Set<Role>();
  for (const r of text.split(',').map((s) => s.trim())) {
    if (!(ROLES as readonly string[]).includes(r))
      throw invalidInput(`--roles: unknown role ${JSON.stringify(r)} (roles: ${ROLES.join(', ')}, or all)`);
    out.add(r as Role);
  }
  return out;
}

export interface ScaleoutRoles {
  nc: NatsConnection;
  ingest: IngestWorker[];
  match: MatchWorker | null;
  bus: JetStreamEventBus;
  stop(): Promise<void>;
}

/** Starts the NATS side of the roles: ingest workers and the monitor's subscription. */
export async function startScaleoutRoles(
  ctx: AppContext,
  o: {
    roles: Set<Role>;
    nats: NatsOptions;
    names: ScaleoutNames;
    limits?: StreamLimits;
    /** Ingest workers in this process (default 1). */
    ingestWorkers?: number;
    /** Largest pull (messages per batch) of each ingest worker (default 256). */
    ingestMaxBatch?: number;
    metrics?: IngestMetrics;
    silentSeconds?: number;
  },
): Promise<ScaleoutRoles> {
  const { vdb, log } = ctx;
  const nc = await connectNats({ ...o.nats, name: `vigil-serve-${[...o.roles].join('+')}` });
  // A refused stream is fatal; the open connection would otherwise keep `vigil serve` alive after its error.
  await ensureStreams(await nc.jetstreamManager(), o.names, o.limits).catch(async (e: unknown) => {
    await nc.close().catch(() => undefined);
    throw e;
  });
  const bus = new JetStreamEventBus(nc, { prefix: o.names.prefix, stream: o.names.eventStream, log });
  const workers: IngestWorker[] = [];
  const timers: NodeJS.Timeout[] = [];
  if (o.roles.has('ingest')) {
    for (let i = 0; i < (o.ingestWorkers ?? 1); i++) {
      const w = new IngestWorker({
        nc,
        vdb,
        names: o.names,
        bus,
        // Sensor alerts (spool overflow) go to this process's dispatcher when it has one (api or monitor);
        // otherwise over JetStream to the monitor role, which delivers them.
        alertBus: o.roles.has('monitor') || o.roles.has('api') ? processEventBus() : bus,
        log,
        ...(o.ingestMaxBatch ? { maxBatch: o.ingestMaxBatch } : {}),
        ...(o.metrics ? { metrics: o.metrics } : {}),
      });
      await w.start();
      workers.push(w);
    }
  }
  // Re-matching the devices ingest batches changed (ingest queues them; it no longer matches itself).
  const match = o.roles.has('match') ? new MatchWorker({ vdb, log }) : null;
  match?.start();
  if (o.roles.has('monitor')) {
    // Detection on every batch ingest applied; alerts go to this process's dispatcher.
    bus.subscribe('source-run', async (e) => {
      await processSourceRun(
        vdb,
        { report: e.report, result: e.result, kind: e.kind, file: e.file },
        { bus: processEventBus(), rateLimit: ctx.config.alertRateLimitPerHour },
      );
    });
    // Alerts raised by ingest processes that have no dispatcher of their own.
    bus.subscribe('alert-raised', (e) => processEventBus().publish('alert-raised', e));
    const check = () =>
      void checkSilentSensors(vdb, {
        bus: processEventBus(),
        ...(o.silentSeconds ? { seconds: o.silentSeconds } : {}),
      })
        .then((r) => r.silent && log.warn({ silent: r.silent }, 'silent sensors'))
        .catch((err: unknown) => log.error({ err: (err as Error).message }, 'sensor health check failed'));
    const t = setInterval(check, 60_000);
    t.unref();
    timers.push(t);
  }
  log.info(
    { roles: [...o.roles], stream: o.names.stream, workers: workers.length, match: match !== null },
    'scale-out roles started',
  );
  return {
    nc,
    ingest: workers,
    match,
    bus,
    async stop() {
      for (const t of timers) clearInterval(t);
      for (const w of workers) await w.stop();
      await match?.stop();
      await bus.idle().catch(() => undefined);
      await bus.close().catch(() => undefined);
      await nc.drain().catch(() => undefined);
    },
  };
}
