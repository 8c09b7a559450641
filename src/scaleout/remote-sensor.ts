/**
 * @module `vigil sensor --nats`: the same packet sources and the same analyzer as the local sensor
 * (monitor/sensor/), but each flush is published to the centre (publisher.ts) instead of being stored in
 * a local database. Memory stays bounded the same way (hosts idle for a while are forgotten after each
 * flush); a flush handed to the publisher is durable (published, or fsync'd in the spool), so followed
 * files are marked done then.
 */
import type { CapturePacket } from '../capture/capture-packet.js';
import type { CaptureIssue } from '../capture/capture-stats.js';
import { CaptureAnalyzer } from '../discovery/capture-analyzer.js';
import type { PacketSink, PacketSource } from '../monitor/sensor/packet-source.js';
import { VERSION } from '../version.js';
import type { SensorMetrics } from './metrics.js';
import type { Heartbeat } from './observation-schema.js';
import type { ObservationPublisher, PublisherStatus, PublishReport } from './publisher.js';

export interface RemoteAnalysisOptions {
  label: string;
  evidenceSource: 'live' | 'capture';
  publisher: ObservationPublisher;
  hostIdleSeconds?: number;
  /** Packets the capture source says it lost (its own counters), for the heartbeat. */
  captureDrops?: () => number;
  metrics?: SensorMetrics;
  onWarning?: (message: string) => void;
}

export interface RemoteSensorStatus {
  event: 'flush' | 'final';
  at: string;
  mode: PacketSource['mode'];
  source: string;
  packets: number;
  bytes: number;
  hosts: number;
  flushes: number;
  hostsForgotten: number;
  readerIssues: number;
  lastFlush: (PublishReport & { hosts: number; findings: number; flows: number }) | null;
  link: PublisherStatus;
  input: Record<string, unknown>;
  /** Why the last flush could not be published or spooled (a message the schema refuses …). */
  error?: string;
}

export class RemoteAnalysis implements PacketSink {
  readonly analyzer: CaptureAnalyzer;
  readonly startedAt = new Date().toISOString();
  packets = 0;
  bytes = 0;
  flushes = 0;
  forgotten = 0;
  readerIssues = 0;
  lastFlush: RemoteSensorStatus['lastFlush'] = null;
  #waiting: (() => Promise<void>)[] = [];
  #inFlight: Promise<void> | null = null;

  constructor(private readonly o: RemoteAnalysisOptions) {
    this.analyzer = new CaptureAnalyzer(o.label, o.evidenceSource);
  }

  beginStream(name: string): void {
    this.analyzer.nextStream(name);
  }

  packet(p: CapturePacket): void {
    this.packets++;
    this.bytes += p.capturedLength;
    this.analyzer.packet(p);
  }

  issues(list: readonly CaptureIssue[]): void {
    this.readerIssues += list.length;
    for (const i of list.slice(0, 5)) this.o.onWarning?.(`${i.file}: offset ${i.offset}: ${i.reason}`);
  }

  afterApplied(fn: () => Promise<void>): void {
    this.#waiting.push(fn);
  }

  get busy(): boolean {
    return this.#inFlight !== null;
  }

  heartbeat(): Heartbeat {
    const s = this.o.publisher.status().spool;
    return {
      version: VERSION,
      startedAt: this.startedAt,
      source: this.o.label,
      packets: this.packets,
      bytes: this.bytes,
      captureDrops: this.o.captureDrops?.() ?? 0,
      spoolBytes: s.bytes,
      spoolDropped: s.dropped,
    };
  }

  /** Publishes what is new (flushes never overlap). */
  async flush(opts: { final?: boolean } = {}): Promise<void> {
    while (this.#inFlight) await this.#inFlight.catch(() => undefined);
    const run = this.#publish(opts.final ?? false);
    this.#inFlight = run;
    try {
      await run;
    } finally {
      this.#inFlight = null;
    }
  }

  async #publish(final: boolean): Promise<void> {
    const callbacks = this.#waiting.splice(0);
    const result = this.analyzer.snapshot({ final });
    const report = await this.o.publisher.publishFlush(result, this.heartbeat());
    this.lastFlush = {
      ...report,
      hosts: result.hosts.length,
      findings: result.findings.length,
      flows: result.flows?.length ?? 0,
    };
    this.o.metrics?.packets.set(this.packets);
    for (const cb of callbacks)
      await cb().catch((e: unknown) =>
        this.o.onWarning?.(`after-flush bookkeeping failed: ${e instanceof Error ? e.message : String(e)}`),
      );
    this.forgotten += this.analyzer.evictIdle(this.o.hostIdleSeconds ?? 3600);
    this.flushes++;
  }
}

function status(
  source: PacketSource,
  a: RemoteAnalysis,
  publisher: ObservationPublisher,
  event: RemoteSensorStatus['event'],
): RemoteSensorStatus {
  return {
    event,
    at: new Date().toISOString(),
    mode: source.mode,
    source: source.label,
    packets: a.packets,
    bytes: a.bytes,
    hosts: a.analyzer.hosts.size,
    flushes: a.flushes,
    hostsForgotten: a.forgotten,
    readerIssues: a.readerIssues,
    lastFlush: a.lastFlush,
    link: publisher.status(),
    input: source.status(),
  };
}

/** Like monitor/sensor/sensor-runner.ts: flush every N seconds, and once more when the source ends or on stop. */
export async function runRemoteSensor(o: {
  source: PacketSource;
  analysis: RemoteAnalysis;
  publisher: ObservationPublisher;
  flushSeconds: number;
  signal: AbortSignal;
  onStatus?: (s: RemoteSensorStatus) => void;
}): Promise<RemoteSensorStatus> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  if (o.signal.aborted) stop.abort();
  else o.signal.addEventListener('abort', onAbort, { once: true });
  const timer = setInterval(() => {
    if (o.analysis.busy) return;
    void o.analysis.flush().then(
      () => o.onStatus?.(status(o.source, o.analysis, o.publisher, 'flush')),
      (e: unknown) =>
        o.onStatus?.({ ...status(o.source, o.analysis, o.publisher, 'flush'), error: String(e) }),
    );
  }, Math.max(1, o.flushSeconds) * 1000);
  let failure: unknown;
  try {
    await o.source.run(o.analysis, stop.signal);
  } catch (e) {
    failure = e;
  } finally {
    clearInterval(timer);
    o.signal.removeEventListener('abort', onAbort);
  }
  await o.analysis.flush({ final: true });
  // Give the spool one chance to drain before the process exits; what is left stays for the next start.
  await o.publisher.close();
  const final = status(o.source, o.analysis, o.publisher, 'final');
  o.onStatus?.(final);
  if (failure) throw failure;
  return final;
}
