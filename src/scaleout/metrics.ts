/**
 * @module Prometheus metrics (prom-client) of the scale-out roles: what ingest applied and refused, batch
 * sizes and commit latency, the lag from a sensor's flush to the commit; and the sensor's own publish,
 * spool and drop counters. One registry per process, served at `/metrics` (text exposition format).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function newRegistry(opts: { defaults?: boolean } = {}): Registry {
  const r = new Registry();
  if (opts.defaults) collectDefaultMetrics({ register: r, prefix: 'vigil_' });
  return r;
}

export class IngestMetrics {
  readonly messages: Counter<'kind' | 'outcome'>;
  readonly batchSize: Histogram;
  readonly commitSeconds: Histogram;
  readonly lagSeconds: Histogram;
  readonly pullSize: Gauge;

  constructor(readonly registry: Registry) {
    this.messages = new Counter({
      name: 'vigil_ingest_messages_total',
      help: 'Observation messages handled by ingest, by kind and outcome (applied, duplicate, refused, retried, deadlock-retry)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: 'vigil_ingest_batch_messages',
      help: 'Messages per committed ingest batch',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    });
    this.commitSeconds = new Histogram({
      name: 'vigil_ingest_commit_seconds',
      help: 'Time to apply and commit one batch',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    });
    this.lagSeconds = new Histogram({
      name: 'vigil_ingest_lag_seconds',
      help: 'From the sensor making a message to its commit at the centre',
      buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers: [registry],
    });
    this.pullSize = new Gauge({
      name: 'vigil_ingest_pull_size',
      help: 'Messages the next pull asks for (adapts to commit latency)',
      registers: [registry],
    });
  }
}

export class SensorMetrics {
  readonly published: Counter<'kind'>;
  readonly spooled: Counter<'kind'>;
  readonly spoolBytes: Gauge;
  readonly spoolDropped: Gauge<'value'>;
  readonly packets: Gauge;
  readonly linkUp: Gauge;

  constructor(readonly registry: Registry) {
    this.published = new Counter({
      name: 'vigil_sensor_published_total',
      help: 'Observation messages the centre acknowledged',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.spooled = new Counter({
      name: 'vigil_sensor_spooled_total',
      help: 'Observation messages written to the disk spool while the link was down',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.spoolBytes = new Gauge({
      name: 'vigil_sensor_spool_bytes',
      help: 'Bytes waiting in the spool',
      registers: [registry],
    });
    this.spoolDropped = new Gauge({
      name: 'vigil_sensor_spool_dropped',
      help: 'Observation messages the full spool dropped (low: conversations and heartbeats; high: hosts and findings)',
      labelNames: ['value'],
      registers: [registry],
    });
    this.packets = new Gauge({ name: 'vigil_sensor_packets', help: 'Packets read', registers: [registry] });
    this.linkUp = new Gauge({
      name: 'vigil_sensor_link_up',
      help: '1 while publishing to the centre works',
      registers: [registry],
    });
  }
}

let processRegistry: Registry | null = null;
const ingestMetrics = new WeakMap<Registry, IngestMetrics>();

/** The ingest metrics of a registry (one set per registry: prom-client refuses a name twice). */
export function ingestMetricsFor(registry: Registry): IngestMetrics {
  let m = ingestMetrics.get(registry);
  if (!m) {
    m = new IngestMetrics(registry);
    ingestMetrics.set(registry, m);
  }
  return m;
}

/** Turns on this process's `/metrics` (serve --metrics, sensor --metrics-port); returns its registry. */
export function enableProcessMetrics(): Registry {
  processRegistry ??= newRegistry({ defaults: true });
  return processRegistry;
}

export function processMetricsRegistry(): Registry | null {
  return processRegistry;
}
