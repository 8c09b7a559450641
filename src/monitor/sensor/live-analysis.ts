/**
 * @module The live side of passive discovery: packets from any source (a capture tool's pipe, standard
 * input, followed files) go into one long-lived `CaptureAnalyzer`, and each flush stores what was learned
 * since the previous one with `applySourceResult` (one transaction, one audit entry), then hands the slice
 * to the detection rules (`processSourceRun`). Occurrences and conversations are counted once: each slice
 * holds only what is new, and a slice that could not be stored is merged into the next attempt instead of
 * being lost. After a stored slice, hosts idle for a while are forgotten, so memory stays bounded.
 */
import type { Actor } from '../../accounts/actor.js';
import type { CapturePacket } from '../../capture/capture-packet.js';
import type { CaptureIssue } from '../../capture/capture-stats.js';
import { CaptureAnalyzer } from '../../discovery/capture-analyzer.js';
import type { Evidence } from '../../discovery/host-observation.js';
import type { DbHandle } from '../../store/transaction.js';
import type { PacketSink } from './packet-source.js';
import { type FlushReport, type LiveRun, SliceStore, softly } from './slice-store.js';

export { type FlushReport, type LiveRun, mergeFindings, mergeFlows } from './slice-store.js';

export interface LiveAnalysisOptions {
  h: DbHandle;
  actor: Actor;
  /** What import records and alerts call this sensor: `eth0`, `stdin`, the followed directory. */
  label: string;
  /** `live` for an interface, `capture` for stdin and followed files (evidence and run kind). */
  evidenceSource: Extract<Evidence['source'], 'live' | 'capture'>;
  /** Capture seconds a host may stay silent, once stored, before it is forgotten (default 3600). */
  hostIdleSeconds?: number;
  /** Devices found without a site are placed here (`--site`). */
  siteId?: string | null;
  /**
   * Runs after each stored slice: the detection rules (`processSourceRun`). Its failure is reported and
   * does not undo or repeat the slice.
   */
  afterApply?: (run: LiveRun) => Promise<unknown>;
  /** Problems worth a line in the log or on stderr (flush failures, reader issues, hook errors). */
  onWarning?: (message: string) => void;
}

export interface LiveAnalysisStatus {
  packets: number;
  bytes: number;
  /** Hosts held in memory right now. */
  hosts: number;
  /** Distinct devices this sensor stored or saw so far. */
  devices: number;
  flushes: number;
  failedFlushes: number;
  hostsForgotten: number;
  readerIssues: number;
  lastFlush: FlushReport | null;
}

export class LiveAnalysis implements PacketSink {
  readonly analyzer: CaptureAnalyzer;
  private readonly idleSeconds: number;
  private packets = 0;
  private bytes = 0;
  private forgotten = 0;
  private readerIssues = 0;
  private readonly slices: SliceStore;
  /** Callbacks waiting for the next stored slice (files to mark done). */
  private waiting: (() => Promise<void>)[] = [];
  private inFlight: Promise<FlushReport> | null = null;

  constructor(private readonly o: LiveAnalysisOptions) {
    this.analyzer = new CaptureAnalyzer(o.label, o.evidenceSource);
    this.idleSeconds = o.hostIdleSeconds ?? 3600;
    this.slices = new SliceStore(o, true);
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
    this.waiting.push(fn);
  }

  status(): LiveAnalysisStatus {
    return {
      packets: this.packets,
      bytes: this.bytes,
      hosts: this.analyzer.hosts.size,
      devices: this.slices.devices.size,
      flushes: this.slices.flushes,
      failedFlushes: this.slices.failedFlushes,
      hostsForgotten: this.forgotten,
      readerIssues: this.readerIssues,
      lastFlush: this.slices.lastFlush,
    };
  }

  /** True while a flush is being stored (the timer skips a tick rather than queueing flushes). */
  get busy(): boolean {
    return this.inFlight !== null;
  }

  /**
   * Stores what is new. Flushes never overlap: a call during a flush waits for it and then runs. A failed
   * store is reported in the result (and kept for the next flush); only the `final` one throws.
   */
  async flush(opts: { final?: boolean } = {}): Promise<FlushReport> {
    while (this.inFlight) await this.inFlight.catch(() => undefined);
    const run = this.store(opts.final ?? false);
    this.inFlight = run;
    try {
      return await run;
    } finally {
      this.inFlight = null;
    }
  }

  private async store(final: boolean): Promise<FlushReport> {
    const at = new Date().toISOString();
    const callbacks = this.waiting.splice(0);
    const result = this.slices.slice(this.analyzer.snapshot({ all: this.slices.retrying, final }));
    const { outcome, report } = await this.slices.store(result, at, final, {
      source: {
        kind: 'capture',
        file: this.o.label,
        stats: {
          sensor: this.o.evidenceSource === 'live' ? 'interface' : 'capture',
          packets: this.packets,
          bytes: this.bytes,
          flows: result.flows?.length ?? 0,
          flush: this.slices.flushes + 1,
        },
      },
      run: { kind: this.o.evidenceSource === 'live' ? 'live' : 'capture', file: this.o.label },
      failed: () => this.waiting.unshift(...callbacks),
    });
    if (outcome === 'failed') return report;
    for (const cb of callbacks) await softly(this.o.onWarning, 'after-flush bookkeeping', cb);
    this.forgotten += this.analyzer.evictIdle(this.idleSeconds);
    return this.slices.done(report);
  }
}
