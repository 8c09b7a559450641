/**
 * @module `vigil sensor --site NAME --nats URL …`: the remote half of `vigil sensor`. The packet source
 * is built by cli/commands/sensor.ts as for a local sensor; here it feeds the RemoteAnalysis, whose
 * flushes are published to the site's subjects (spooled on disk while the centre is unreachable), with a
 * status line or JSON object per flush and Prometheus metrics on `--metrics-port`. Zeek logs and Suricata
 * EVE (`--zeek-dir`, `--eve`) go through the local log sensor's following and analyzers, each flush
 * published the same way (`runRemoteLogSensorCommand`).
 */

import { createServer, type Server } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { NatsConnection } from 'nats';
import { z } from 'zod';
import type { SourceResult } from '../discovery/host-observation.js';
import { invalidInput } from '../errors.js';
import { plural, pluralWord } from '../format-count.js';
import { parseInput } from '../inventory/device-input.js';
import type { Logger } from '../log.js';
import { type LogSensor, type LogSensorStatus, logSensorStatusLine } from '../monitor/sensor/log-sensor.js';
import type { PacketSource } from '../monitor/sensor/packet-source.js';
import { VERSION } from '../version.js';
import { enableProcessMetrics, SensorMetrics } from './metrics.js';
import { connectNats, type NatsOptions } from './nats-connection.js';
import { type NatsFlags, namesFrom } from './nats-flags.js';
import { type Heartbeat, SENSOR_ID, SITE_TOKEN } from './observation-schema.js';
import { ObservationPublisher, type PublisherStatus } from './publisher.js';
import { RemoteAnalysis, type RemoteSensorStatus, runRemoteSensor } from './remote-sensor.js';
import { DiskSpool } from './spool.js';

export const RemoteFlagsSchema = z.object({
  site: z.string().regex(SITE_TOKEN, '--site with --nats: letters, digits, _ and - (one NATS subject token)'),
  sensorId: z.string().regex(SENSOR_ID, '--sensor-id: letters, digits and _ . : -').optional(),
  spool: z.string().min(1).optional(),
  spoolMaxMb: z
    .string()
    .regex(/^\d+$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(1_000_000))
    .default(1024),
  metricsPort: z
    .string()
    .regex(/^\d+$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(65_535))
    .optional(),
});

export interface RemoteFlags extends NatsFlags {
  site?: string;
  sensorId?: string;
  spool?: string;
  spoolMaxMb?: string;
  metricsPort?: string;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function statusLine(s: RemoteSensorStatus): string {
  const f = s.lastFlush;
  const l = s.link;
  const parts = [
    `${s.packets.toLocaleString('en-US')} ${pluralWord(s.packets, 'packet')}`,
    mb(s.bytes),
    `${plural(s.hosts, 'host')} in memory`,
    `${plural(s.flushes, 'flush', 'flushes')}`,
    `link ${l.linkUp ? 'up' : 'DOWN'}`,
    `${l.published} published`,
    `spool ${plural(l.spool.records, 'message')} (${mb(l.spool.bytes)})`,
  ];
  if (l.spool.dropped.low || l.spool.dropped.high)
    parts.push(
      `spool dropped ${l.spool.dropped.low} low-value, ${l.spool.dropped.high} host/finding messages`,
    );
  if (f)
    parts.push(
      `last: ${plural(f.hosts, 'host')}, ${plural(f.findings, 'finding')}, ${plural(f.flows, 'conversation')} in ${plural(f.messages, 'message')}`,
    );
  return `sensor ${s.source} [${s.event}]: ${parts.join(', ')}`;
}

interface Link {
  site: string;
  sensorId: string;
  spool: DiskSpool;
  metrics: SensorMetrics | undefined;
  nc: NatsConnection;
  publisher: ObservationPublisher;
  close(): Promise<void>;
}

/** The sensor's side of the link: flags checked, spool, metrics endpoint, NATS connection, publisher. */
async function openLink(o: {
  flags: RemoteFlags;
  nats: NatsOptions;
  label: string;
  warn: (message: string) => void;
  log: Logger;
}): Promise<Link> {
  if (o.flags.site === undefined)
    throw invalidInput('--nats needs --site NAME (the site this sensor watches)');
  const f = parseInput(RemoteFlagsSchema, o.flags, 'sensor options');
  const names = namesFrom(o.flags);
  const sensorId =
    f.sensorId ??
    `${hostname()
      .replace(/[^A-Za-z0-9_.:-]/g, '-')
      .slice(0, 64)}-${o.label.replace(/[^A-Za-z0-9_.:-]/g, '-').slice(-32)}`;
  const spool = new DiskSpool({
    dir: f.spool ?? join(tmpdir(), `vigil-sensor-spool-${f.site}`),
    maxBytes: f.spoolMaxMb * 1024 * 1024,
  });
  let metrics: SensorMetrics | undefined;
  let metricsServer: Server | undefined;
  if (f.metricsPort !== undefined) {
    const registry = enableProcessMetrics();
    metrics = new SensorMetrics(registry);
    metricsServer = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      void registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
    });
    await new Promise<void>((resolve, reject) => {
      metricsServer!.once('error', reject);
      metricsServer!.listen(f.metricsPort, '127.0.0.1', resolve);
    });
  }
  // The sensor starts and spools even when the centre is unreachable at start.
  const nc = await connectNats({
    ...o.nats,
    name: `vigil-sensor-${f.site}-${sensorId}`,
    waitOnFirstConnect: true,
  });
  const publisher = new ObservationPublisher({
    nc,
    prefix: names.prefix,
    site: f.site,
    sensor: sensorId,
    spool,
    ...(metrics ? { metrics } : {}),
    onWarning: o.warn,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'reconnect') {
        o.log.info({ server: s.data }, 'NATS link back; draining the spool');
        void publisher.drain();
      } else if (s.type === 'disconnect') o.log.warn({ server: s.data }, 'NATS link lost; spooling');
    }
  })();
  return {
    site: f.site,
    sensorId,
    spool,
    metrics,
    nc,
    publisher,
    async close() {
      await nc.drain().catch(() => undefined);
      metricsServer?.close();
    },
  };
}

/** SIGINT/SIGTERM stop the sensor after a last flush; a second signal exits at once. */
function stopOnSignals(say: (line: string) => void, label: string): { signal: AbortSignal; off(): void } {
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.exit(130);
    say(`sensor ${label}: ${sig}, publishing what is left and stopping`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: stop.signal,
    off() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export async function runRemoteSensorCommand(o: {
  flags: RemoteFlags;
  nats: NatsOptions;
  source: PacketSource;
  evidenceSource: 'live' | 'capture';
  flushSeconds: number;
  hostIdleSeconds: number;
  json: boolean;
  say: (line: string) => void;
  warn: (message: string) => void;
  log: Logger;
}): Promise<void> {
  const link = await openLink({ ...o, label: o.source.label });
  const { publisher, spool, metrics } = link;
  const analysis = new RemoteAnalysis({
    label: o.source.label,
    evidenceSource: o.evidenceSource,
    publisher,
    hostIdleSeconds: o.hostIdleSeconds,
    ...(metrics ? { metrics } : {}),
    onWarning: o.warn,
  });
  const stop = stopOnSignals(o.say, o.source.label);
  o.say(
    `sensor ${o.source.label}: started (${o.source.mode}, site ${link.site}, sensor ${link.sensorId}, NATS ${o.nats.url}, flush every ${o.flushSeconds} s, spool ${spool.dir})`,
  );
  try {
    await runRemoteSensor({
      source: o.source,
      analysis,
      publisher,
      flushSeconds: o.flushSeconds,
      signal: stop.signal,
      onStatus: (s) => {
        if (o.json) process.stdout.write(`${JSON.stringify(s)}\n`);
        else o.say(statusLine(s));
      },
    });
  } finally {
    stop.off();
    await link.close();
  }
}

/**
 * `vigil sensor --zeek-dir DIR|--eve FILE --nats …`: the same log following and analyzers as the local
 * log sensor (monitor/sensor/log-sensor.ts), each flush published like a capture's (hosts with their
 * findings, conversations, heartbeat). Read positions are kept in the local database (as for
 * `--follow-dir`) and saved only once a flush is published or spooled, so a restart neither loses nor
 * repeats lines.
 */
export async function runRemoteLogSensorCommand(o: {
  flags: RemoteFlags;
  nats: NatsOptions;
  sensor: (publish: (result: SourceResult) => Promise<void>) => LogSensor;
  kind: 'zeek' | 'eve';
  path: string;
  flushSeconds: number;
  json: boolean;
  say: (line: string) => void;
  warn: (message: string) => void;
  log: Logger;
}): Promise<LogSensorStatus & { link: PublisherStatus }> {
  const link = await openLink({ ...o, label: basename(o.path) });
  const { publisher, metrics } = link;
  const startedAt = new Date().toISOString();
  let sensor: LogSensor | null = null;
  const heartbeat = (): Heartbeat => {
    const s = publisher.status().spool;
    const st = sensor?.status();
    return {
      version: VERSION,
      startedAt,
      source: o.path.slice(-256),
      // For log sources: records read (there are no packets).
      packets: st?.records ?? 0,
      bytes: 0,
      captureDrops: 0,
      spoolBytes: s.bytes,
      spoolDropped: s.dropped,
    };
  };
  sensor = o.sensor(async (result) => {
    await publisher.publishFlush(result, heartbeat());
    metrics?.packets.set(sensor?.status().records ?? 0);
  });
  const stop = stopOnSignals(o.say, o.path);
  o.say(
    `sensor ${o.path}: started (${o.kind === 'zeek' ? 'zeek-dir' : 'eve'}, site ${link.site}, sensor ${link.sensorId}, NATS ${o.nats.url}, flush every ${o.flushSeconds} s, spool ${link.spool.dir})`,
  );
  try {
    const final = await sensor.run({
      flushSeconds: o.flushSeconds,
      signal: stop.signal,
      onStatus: (s) => {
        const l = publisher.status();
        if (o.json) process.stdout.write(`${JSON.stringify({ ...s, link: l })}\n`);
        else
          o.say(
            `${logSensorStatusLine(s)}, link ${l.linkUp ? 'up' : 'DOWN'}, ${l.published} published, spool ${plural(l.spool.records, 'message')} (${mb(l.spool.bytes)})`,
          );
      },
    });
    await publisher.close();
    return { ...final, link: publisher.status() };
  } finally {
    stop.off();
    await link.close();
  }
}
