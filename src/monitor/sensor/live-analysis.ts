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
import { type ApplyReport, applySourceResult } from '../../discovery/apply-source-result.js';
import { CaptureAnalyzer } from '../../discovery/capture-analyzer.js';
import type {
  Evidence,
  FindingObservation,
  FlowSummary,
  SourceResult,
} from '../../discovery/host-observation.js';
import type { DbHandle } from '../../store/transaction.js';
import type { PacketSink } from './packet-source.js';
import { placeUnsitedDevices } from './sensor-site.js';

/** What the detection hook gets: the `processSourceRun` input (monitor/process-source-run.ts). */
export interface LiveRun {
  report: ApplyReport;
  result: SourceResult;
  kind: string;
  file: string;
}

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

export interface FlushReport {
  at: string;
  /** False when there was nothing new to store. */
  stored: boolean;
  hosts: number;
  devices: ApplyReport['devices'];
  findings: ApplyReport['findings'];
  flows: number;
  importId: string | null;
  /** What the detection hook returned (alerts raised …), when there is one. */
  detection?: unknown;
  error?: string;
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

const findingKey = (f: FindingObservation) => `${f.type}|${f.host.mac ?? ''}|${f.host.ip ?? ''}|${f.subject}`;
const flowKey = (f: FlowSummary) => `${f.client}|${f.server}|${f.port}|${f.transport}`;

/** Findings of two slices as one: the same finding's occurrences add up, first and last evidence kept. */
export function mergeFindings(a: FindingObservation[], b: FindingObservation[]): FindingObservation[] {
  const out = new Map<string, FindingObservation>();
  for (const f of [...a, ...b]) {
    const k = findingKey(f);
    const prev = out.get(k);
    if (!prev) {
      out.set(k, { ...f, occurrences: f.occurrences ?? 1 });
      continue;
    }
    const last = f.lastEvidence ?? f.evidence;
    const prevLast = prev.lastEvidence ?? prev.evidence;
    out.set(k, {
      ...prev,
      evidence: (f.evidence.time ?? '') < (prev.evidence.time ?? '') ? f.evidence : prev.evidence,
      occurrences: (prev.occurrences ?? 1) + (f.occurrences ?? 1),
      lastEvidence: (last.time ?? '') >= (prevLast.time ?? '') ? last : prevLast,
    });
  }
  return [...out.values()];
}

/** Conversations of two slices as one: counters add up, the time span widens. */
export function mergeFlows(a: FlowSummary[], b: FlowSummary[]): FlowSummary[] {
  const out = new Map<string, FlowSummary>();
  for (const f of [...a, ...b]) {
    const k = flowKey(f);
    const prev = out.get(k);
    if (!prev) {
      out.set(k, { ...f });
      continue;
    }
    prev.connections += f.connections;
    prev.packets += f.packets;
    prev.bytes += f.bytes;
    prev.protocol ??= f.protocol;
    if (f.firstSeen < prev.firstSeen) prev.firstSeen = f.firstSeen;
    if (f.lastSeen > prev.lastSeen) prev.lastSeen = f.lastSeen;
    if (f.established !== undefined) prev.established = (prev.established ?? false) || f.established;
  }
  return [...out.values()];
}

export class LiveAnalysis implements PacketSink {
  readonly analyzer: CaptureAnalyzer;
  private readonly idleSeconds: number;
  private packets = 0;
  private bytes = 0;
  private flushes = 0;
  private failedFlushes = 0;
  private forgotten = 0;
  private readerIssues = 0;
  private readonly devices = new Set<string>();
  private lastFlush: FlushReport | null = null;
  /** Callbacks waiting for the next stored slice (files to mark done). */
  private waiting: (() => Promise<void>)[] = [];
  /** Findings and conversations of a slice that could not be stored, for the next attempt. */
  private unstored: { findings: FindingObservation[]; flows: FlowSummary[] } | null = null;
  private inFlight: Promise<FlushReport> | null = null;

  constructor(private readonly o: LiveAnalysisOptions) {
    this.analyzer = new CaptureAnalyzer(o.label, o.evidenceSource);
    this.idleSeconds = o.hostIdleSeconds ?? 3600;
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
      devices: this.devices.size,
      flushes: this.flushes,
      failedFlushes: this.failedFlushes,
      hostsForgotten: this.forgotten,
      readerIssues: this.readerIssues,
      lastFlush: this.lastFlush,
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
    const retry = this.unstored;
    const slice = this.analyzer.snapshot({ all: retry !== null, final });
    const result: SourceResult = {
      hosts: slice.hosts,
      findings: retry ? mergeFindings(retry.findings, slice.findings) : slice.findings,
      flows: retry ? mergeFlows(retry.flows, slice.flows ?? []) : (slice.flows ?? []),
    };
    const empty: FlushReport = {
      at,
      stored: false,
      hosts: 0,
      devices: { staged: 0, updated: 0, seen: 0 },
      findings: { created: 0, updated: 0, reopened: 0, unresolved: 0 },
      flows: 0,
      importId: null,
    };
    let report: FlushReport = empty;
    if (result.hosts.length || result.findings.length || result.flows?.length) {
      let applied: ApplyReport;
      try {
        applied = await applySourceResult(this.o.h, this.o.actor, result, {
          kind: 'capture',
          file: this.o.label,
          stats: {
            sensor: this.o.evidenceSource === 'live' ? 'interface' : 'capture',
            packets: this.packets,
            bytes: this.bytes,
            flows: result.flows?.length ?? 0,
            flush: this.flushes + 1,
          },
        });
      } catch (e) {
        // Nothing of the slice was stored (one transaction): keep it for the next attempt.
        this.unstored = { findings: result.findings, flows: result.flows ?? [] };
        this.waiting.unshift(...callbacks);
        this.failedFlushes++;
        const error = e instanceof Error ? e.message : String(e);
        this.lastFlush = { ...empty, error };
        this.o.onWarning?.(`flush failed, will retry: ${error}`);
        if (final) throw e;
        return this.lastFlush;
      }
      this.unstored = null;
      for (const id of applied.deviceIds) this.devices.add(id);
      report = {
        at,
        stored: true,
        hosts: applied.hosts,
        devices: applied.devices,
        findings: applied.findings,
        flows: result.flows?.length ?? 0,
        importId: applied.importId,
      };
      // The slice is stored; what follows only adds to it, and a failure is reported, not retried.
      if (this.o.siteId)
        await this.softly('placing devices in the site', () =>
          placeUnsitedDevices(this.o.h, this.o.actor, this.o.siteId!, applied.deviceIds, this.o.label),
        );
      if (this.o.afterApply) {
        const detection = await this.softly('detection', () =>
          this.o.afterApply!({
            report: applied,
            result,
            kind: this.o.evidenceSource === 'live' ? 'live' : 'capture',
            file: this.o.label,
          }),
        );
        if (detection !== undefined) report.detection = detection;
      }
    }
    for (const cb of callbacks) await this.softly('after-flush bookkeeping', cb);
    this.forgotten += this.analyzer.evictIdle(this.idleSeconds);
    this.flushes++;
    this.lastFlush = report;
    return report;
  }

  private async softly<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      this.o.onWarning?.(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }
}
