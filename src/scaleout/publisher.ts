/**
 * @module The sensor side of the link: each flush's result is split into bounded messages (split.ts),
 * stamped with the sensor's id, epoch and sequence (the JetStream message id), validated against the
 * schema and published to the site's subjects. While the link is down, or while older messages still
 * wait in the spool, messages go to the disk spool instead, so the centre always receives them in order;
 * a drain loop empties the spool once publishing works again.
 */
import type { JetStreamClient, NatsConnection } from 'nats';
import type { SourceResult } from '../discovery/host-observation.js';
import type { SensorMetrics } from './metrics.js';
import {
  encodeObservation,
  type Heartbeat,
  type ObservationKind,
  type ObservationMessage,
} from './observation-schema.js';
import { DEFAULT_MAX_MESSAGE_BYTES, splitResult } from './split.js';
import type { DiskSpool, SpoolRecord } from './spool.js';
import { messageId, observationSubject } from './subjects.js';

export interface PublisherOptions {
  nc: NatsConnection;
  prefix: string;
  site: string;
  sensor: string;
  spool: DiskSpool;
  maxMessageBytes?: number;
  /** How long one publish waits for the stream's acknowledgement (default 5 s). */
  publishTimeoutMs?: number;
  /** How often a down link is retried (default 1 s). */
  retryMs?: number;
  metrics?: SensorMetrics;
  onWarning?: (message: string) => void;
}

export interface PublishReport {
  messages: number;
  published: number;
  spooled: number;
}

export interface PublisherStatus {
  linkUp: boolean;
  flushes: number;
  published: number;
  duplicates: number;
  spooled: number;
  spool: ReturnType<DiskSpool['status']>;
}

export class ObservationPublisher {
  readonly #o: PublisherOptions;
  readonly #js: JetStreamClient;
  #seq = 0;
  #flush = 0;
  #linkUp = true;
  #published = 0;
  #duplicates = 0;
  #spooled = 0;
  #draining: Promise<void> | null = null;
  readonly #timer: NodeJS.Timeout;

  constructor(o: PublisherOptions) {
    this.#o = o;
    this.#js = o.nc.jetstream();
    this.#timer = setInterval(() => void this.drain(), o.retryMs ?? 1000);
    this.#timer.unref();
  }

  get epoch(): number {
    return this.#o.spool.epoch;
  }

  status(): PublisherStatus {
    return {
      linkUp: this.#linkUp,
      flushes: this.#flush,
      published: this.#published,
      duplicates: this.#duplicates,
      spooled: this.#spooled,
      spool: this.#o.spool.status(),
    };
  }

  /** Publishes (or spools) one flush: its parts, then the heartbeat. */
  async publishFlush(result: SourceResult, heartbeat: Heartbeat): Promise<PublishReport> {
    const flush = ++this.#flush;
    const parts = splitResult(result, this.#o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    const at = new Date().toISOString();
    const messages: ObservationMessage[] = [];
    const total = parts.length + 1;
    const base = (part: number) => ({
      schema: 'vigil.obs' as const,
      v: 1 as const,
      sensor: this.#o.sensor,
      site: this.#o.site,
      epoch: this.epoch,
      seq: this.#seq++,
      flush,
      part,
      parts: total,
      at,
    });
    parts.forEach((p, i) => {
      messages.push({ ...base(i), ...p });
    });
    messages.push({ ...base(parts.length), kind: 'heartbeat', heartbeat });
    const report: PublishReport = { messages: messages.length, published: 0, spooled: 0 };
    for (const m of messages) {
      const record: SpoolRecord = {
        subject: observationSubject(this.#o.prefix, this.#o.site, m.kind),
        msgId: messageId(m.sensor, m.epoch, m.seq),
        low: m.kind !== 'hosts',
        data: Buffer.from(encodeObservation(m)).toString('utf8'),
      };
      if (this.#linkUp && this.#o.spool.empty && !this.#draining) {
        try {
          await this.#publish(record, m.kind);
          report.published++;
          continue;
        } catch (e) {
          this.#down(e);
        }
      }
      this.#o.spool.append(record);
      this.#spooled++;
      this.#o.metrics?.spooled.inc({ kind: m.kind });
      report.spooled++;
    }
    this.#gauges();
    return report;
  }

  /** Publishes what waits in the spool, in order; resolves when it is empty or the link failed again. */
  drain(): Promise<void> {
    if (this.#draining) return this.#draining;
    if (this.#o.spool.empty) {
      this.#linkUp = true;
      this.#gauges();
      return Promise.resolve();
    }
    this.#draining = this.#o.spool
      .drain((r) => this.#publish(r, r.subject.slice(r.subject.lastIndexOf('.') + 1) as ObservationKind))
      .then(
        () => {
          this.#linkUp = true;
        },
        (e: unknown) => this.#down(e),
      )
      .finally(() => {
        this.#draining = null;
        this.#gauges();
      });
    return this.#draining;
  }

  /** Stops the retry timer and tries one last drain (the spool keeps what is left for the next start). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.drain();
  }

  async #publish(r: SpoolRecord, kind: ObservationKind): Promise<void> {
    const ack = await this.#js.publish(r.subject, Buffer.from(r.data, 'utf8'), {
      msgID: r.msgId,
      timeout: this.#o.publishTimeoutMs ?? 5000,
    });
    if (ack.duplicate) this.#duplicates++;
    this.#published++;
    this.#o.metrics?.published.inc({ kind });
  }

  #down(e: unknown): void {
    if (this.#linkUp)
      this.#o.onWarning?.(
        `publishing to the centre failed, spooling to ${this.#o.spool.dir}: ${publishProblem(e, this.#o.prefix)}`,
      );
    this.#linkUp = false;
  }

  #gauges(): void {
    const m = this.#o.metrics;
    if (!m) return;
    const s = this.#o.spool.status();
    m.spoolBytes.set(s.bytes);
    m.spoolDropped.set({ value: 'low' }, s.dropped.low);
    m.spoolDropped.set({ value: 'high' }, s.dropped.high);
    m.linkUp.set(this.#linkUp ? 1 : 0);
  }
}

/**
 * Why a publish failed, for the person starting the sensor. NATS answers a publish that no stream takes
 * with the bare code "503" (no responders): the centre has not created the stream yet, or the sensor uses
 * another subject prefix than the centre.
 */
export function publishProblem(e: unknown, prefix: string): string {
  const text = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown } | null)?.code;
  if (code === '503' || text === '503')
    return `no JetStream stream takes ${prefix}.obs.… (NATS 503, no responders): is the centre (vigil serve --nats) running with the same --nats-prefix and --nats-stream?`;
  return text;
}
