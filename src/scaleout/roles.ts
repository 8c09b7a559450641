/**
 * @module `vigil serve --roles api,ingest,match,monitor`: which parts of the centre a process runs. With
 * no `--nats` there is one process and every role (today's single-machine behaviour, unchanged). With
 * `--nats` the roles can be split over processes and machines:
 * - `api` (HTTP API, dashboard): any number behind a load balancer.
 * - `ingest` (observations → PostgreSQL): any number; they share one durable consumer.
 * - `monitor` (detection rules on every applied batch, sensor-silent checks, alert delivery): ONE.
 * - `match` (task verification and risk-acceptance expiry schedule): ONE. Re-matching the devices a
 *   batch changed happens inside the ingest transaction (`applySourceResult` does it).
 */
import type { NatsConnection } from 'nats';
import type { AppContext } from '../context.js';
import { invalidInput } from '../errors.js';
import { processEventBus } from '../monitor/event-bus.js';
import { processSourceRun } from '../monitor/process-source-run.js';
import { IngestWorker } from './ingest-worker.js';
import { JetStreamEventBus } from './jetstream-bus.js';
import type { IngestMetrics } from './metrics.js';
import { connectNats, type NatsOptions } from './nats-connection.js';
import { checkSilentSensors } from './sensor-health.js';
import { ensureStreams, type StreamLimits } from './streams.js';
import type { ScaleoutNames } from './subjects.js';

export const ROLES = ['api', 'ingest', 'match', 'monitor'] as const;
export type Role = (typeof ROLES)[number];

/** Which roles may run in more than one process at once (docs/deployment.md). */
export const ROLE_SCALING: Record<Role, 'many' | 'one'> = {
  api: 'many',
  ingest: 'many',
  match: 'one',
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
  await ensureStreams(await nc.jetstreamManager(), o.names, o.limits);
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
        alertBus: processEventBus(),
        log,
        ...(o.ingestMaxBatch ? { maxBatch: o.ingestMaxBatch } : {}),
        ...(o.metrics ? { metrics: o.metrics } : {}),
      });
      await w.start();
      workers.push(w);
    }
  }
  if (o.roles.has('monitor')) {
    // Detection on every batch ingest applied; alerts go to this process's dispatcher.
    bus.subscribe('source-run', async (e) => {
      await processSourceRun(
        vdb,
        { report: e.report, result: e.result, kind: e.kind, file: e.file },
        { bus: processEventBus(), rateLimit: ctx.config.alertRateLimitPerHour },
      );
    });
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
    { roles: [...o.roles], stream: o.names.stream, workers: workers.length },
    'scale-out roles started',
  );
  return {
    nc,
    ingest: workers,
    bus,
    async stop() {
      for (const t of timers) clearInterval(t);
      for (const w of workers) await w.stop();
      await bus.idle().catch(() => undefined);
      await bus.close().catch(() => undefined);
      await nc.drain().catch(() => undefined);
    },
  };
}
