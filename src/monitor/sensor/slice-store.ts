/**
 * @module How a sensor stores its slices, the same for the live sensor (live-analysis.ts) and the log
 * sensor (log-sensor.ts): a flush stores what was learned since the previous stored slice with
 * `applySourceResult` (one transaction, one audit entry), then places the devices found without a site in
 * the sensor's site and hands the slice to the detection hook. A slice that could not be stored is kept,
 * and its findings and conversations are merged into the next attempt, so nothing is lost or counted
 * twice; only a `final` flush throws. Also counts the flushes and the devices for the sensor's status.
 */
import type { Actor } from '../../accounts/actor.js';
import {
  type ApplyOptions,
  type ApplyReport,
  applySourceResult,
} from '../../discovery/apply-source-result.js';
import type {
  DicomAssociationObservation,
  FindingObservation,
  FlowSummary,
  SourceResult,
  WithdrawnService,
} from '../../discovery/host-observation.js';
import type { DbHandle } from '../../store/transaction.js';
import { placeUnsitedDevices } from './sensor-site.js';

/** What the detection hook gets: the `processSourceRun` input (monitor/process-source-run.ts). */
export interface LiveRun {
  report: ApplyReport;
  result: SourceResult;
  kind: string;
  file: string;
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

/** A flush that stored nothing (yet). */
export const emptyFlush = (at: string): FlushReport => ({
  at,
  stored: false,
  hosts: 0,
  devices: { staged: 0, updated: 0, seen: 0 },
  findings: { created: 0, updated: 0, reopened: 0, unresolved: 0 },
  flows: 0,
  importId: null,
});

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

/** Runs `fn`; its failure becomes a warning (`<what> failed: …`) and `undefined`. */
export async function softly<T>(
  onWarning: ((message: string) => void) | undefined,
  what: string,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    onWarning?.(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** The sensor's options a slice store reads (at each flush). */
export interface SliceStoreOptions {
  h: DbHandle;
  actor: Actor;
  /** Devices found without a site are placed here (`--site`). */
  siteId?: string | null;
  /** Runs after each stored slice: the detection rules. Its failure is reported, not retried. */
  afterApply?: (run: LiveRun) => Promise<unknown>;
  onWarning?: (message: string) => void;
}

/** How many address-only devices a sensor run remembers, as it remembers 10,000 receiving-only listeners. */
const MAX_STAGED_BY_ADDRESS = 10_000;

/** What one flush's slice is stored as, and what the sensor adds around it. */
export interface SliceTarget {
  /** The import record: `applySourceResult`'s kind, file and reader statistics. */
  source: ApplyOptions;
  /** What the detection hook is told; `file` also names the sensor when devices are placed in the site. */
  run: { kind: string; file: string };
  /** Runs as soon as the slice is stored, before site and detection (the log sensor saves its read positions). */
  stored?: () => Promise<void>;
  /** Runs when the slice could not be stored (the live sensor puts its waiting callbacks back). */
  failed?: () => void;
}

/** `stored`: in the database; `empty`: nothing new to store; `failed`: kept for the next flush. */
export type SliceOutcome = 'stored' | 'empty' | 'failed';

export class SliceStore {
  /** Flushes that ended without failing (stored or empty). */
  flushes = 0;
  failedFlushes = 0;
  /** Distinct devices stored or seen so far. */
  readonly devices = new Set<string>();
  lastFlush: FlushReport | null = null;
  /**
   * Findings, conversations, withdrawals and DICOM associations of a slice that could not be stored, for
   * the next attempt.
   */
  private unstored: {
    findings: FindingObservation[];
    flows: FlowSummary[];
    withdrawnServices: WithdrawnService[];
    dicomAssociations: DicomAssociationObservation[];
  } | null = null;

  /**
   * Live sensor (`sameHosts`): address → the device an earlier slice of this run staged for a host seen
   * there without a MAC, the most recent ones. A later slice that shows the address with its MAC adds the
   * MAC to that device (apply-source-result.ts `stagedByAddress`), where a second device would be staged.
   */
  private readonly stagedByAddress = new Map<string, string>();

  /**
   * `sameHosts`: a host this run stored by its address alone and a later slice shows with its MAC is one
   * device, as in one import of the capture (the live sensor; the log sensor's logs do not tie them).
   */
  constructor(
    private readonly o: SliceStoreOptions,
    private readonly sameHosts = false,
  ) {}

  /** True while a slice that could not be stored waits (the next snapshot then takes every host). */
  get retrying(): boolean {
    return this.unstored !== null;
  }

  /** The slice to store: the snapshot's hosts, findings and conversations, with the unstored slice's merged in. */
  slice(snapshot: SourceResult): SourceResult {
    const retry = this.unstored;
    const withdrawnServices = [...(retry?.withdrawnServices ?? []), ...(snapshot.withdrawnServices ?? [])];
    // Not stored, but the detection rule dicom-unknown-ae judges each association's own pair of AE titles.
    const dicomAssociations = [...(retry?.dicomAssociations ?? []), ...(snapshot.dicomAssociations ?? [])];
    return {
      hosts: snapshot.hosts,
      findings: retry ? mergeFindings(retry.findings, snapshot.findings) : snapshot.findings,
      flows: retry ? mergeFlows(retry.flows, snapshot.flows ?? []) : (snapshot.flows ?? []),
      ...(withdrawnServices.length ? { withdrawnServices } : {}),
      ...(dicomAssociations.length ? { dicomAssociations } : {}),
    };
  }

  /**
   * Stores the slice (when it holds anything), then places its unsited devices in the site and runs the
   * detection hook, both softly. A failed store is kept for the next flush, counted and warned about, and
   * becomes `lastFlush`; it throws only when `final`. A stored or empty slice's report is the caller's to
   * finish with `done()`.
   */
  async store(
    result: SourceResult,
    at: string,
    final: boolean,
    target: SliceTarget,
  ): Promise<{ outcome: SliceOutcome; report: FlushReport }> {
    if (
      !(
        result.hosts.length ||
        result.findings.length ||
        result.flows?.length ||
        result.withdrawnServices?.length
      )
    )
      return { outcome: 'empty', report: emptyFlush(at) };
    let applied: ApplyReport;
    try {
      applied = await applySourceResult(
        this.o.h,
        this.o.actor,
        result,
        this.sameHosts ? { ...target.source, stagedByAddress: this.stagedByAddress } : target.source,
      );
    } catch (e) {
      // Nothing of the slice was stored (one transaction): keep it for the next attempt.
      target.failed?.();
      return { outcome: 'failed', report: this.keepForRetry(result, at, e, final) };
    }
    this.unstored = null;
    for (const id of applied.deviceIds) this.devices.add(id);
    if (this.sameHosts) this.rememberStaged(applied.stagedByAddress);
    const report: FlushReport = {
      at,
      stored: true,
      hosts: applied.hosts,
      devices: applied.devices,
      findings: applied.findings,
      flows: result.flows?.length ?? 0,
      importId: applied.importId,
    };
    await target.stored?.();
    // The slice is stored; what follows only adds to it, and a failure is reported, not retried.
    if (this.o.siteId)
      await softly(this.o.onWarning, 'placing devices in the site', () =>
        placeUnsitedDevices(this.o.h, this.o.actor, this.o.siteId!, applied.deviceIds, target.run.file),
      );
    if (this.o.afterApply) {
      const detection = await softly(this.o.onWarning, 'detection', () =>
        this.o.afterApply!({ report: applied, result, kind: target.run.kind, file: target.run.file }),
      );
      if (detection !== undefined) report.detection = detection;
    }
    return { outcome: 'stored', report };
  }

  /**
   * A slice that could not be stored (or handed over): kept for the next attempt, counted, warned about and
   * remembered as `lastFlush`, which is returned; `e` is thrown again when `final`.
   */
  keepForRetry(result: SourceResult, at: string, e: unknown, final: boolean): FlushReport {
    this.unstored = {
      findings: result.findings,
      flows: result.flows ?? [],
      withdrawnServices: result.withdrawnServices ?? [],
      dicomAssociations: result.dicomAssociations ?? [],
    };
    this.failedFlushes++;
    const error = e instanceof Error ? e.message : String(e);
    this.lastFlush = { ...emptyFlush(at), error };
    this.o.onWarning?.(`flush failed, will retry: ${error}`);
    if (final) throw e;
    return this.lastFlush;
  }

  /** Keeps the most recent address-only devices: a sensor running for weeks still ties what it saw lately. */
  private rememberStaged(staged: ApplyReport['stagedByAddress']): void {
    for (const { deviceId, ips } of staged) {
      for (const ip of ips) {
        this.stagedByAddress.delete(ip);
        if (this.stagedByAddress.size >= MAX_STAGED_BY_ADDRESS)
          this.stagedByAddress.delete(this.stagedByAddress.keys().next().value!);
        this.stagedByAddress.set(ip, deviceId);
      }
    }
  }

  /** The slice went elsewhere (`publish` mode) and is not kept any longer. */
  handedOver(): void {
    this.unstored = null;
  }

  /** Ends a flush that did not fail: counted, and its report becomes `lastFlush`. */
  done(report: FlushReport): FlushReport {
    this.flushes++;
    this.lastFlush = report;
    return report;
  }
}
