/**
 * @module Imports that run after their upload was answered: capture-import jobs (a capture uploaded
 * through `POST /captures/import`) kept in the database (`import_jobs`, 0018-import-jobs), so that any API
 * process answers the poll `GET /imports/{id}`, each with its progress as the capture reader advances,
 * visible only to the account or token that started it (and to admins), deleted an hour after it
 * finished. The process that runs a job writes its progress at most once a second, and a heartbeat while
 * it runs; a `running` job whose heartbeat stopped lost its process and is reported (and stored) `failed`.
 * A capture job does what `vigil import FILE` does: read it (`analyzeCapture`), apply it in one audited
 * transaction (`applySourceResult`), run the detection rules (`processSourceRun`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Actor, assertAllSites, assertCan, can } from '../accounts/actor.js';
import { formatIssue, type InputIssue, notFound, VigilError } from '../errors.js';
import type { Logger } from '../log.js';
import { streamVulnMatches } from '../matching/vulns-service.js';
import { processSourceRun } from '../monitor/process-source-run.js';
import * as store from '../store/import-job-store.js';
import type { DbHandle } from '../store/transaction.js';
import { applySourceResult } from './apply-source-result.js';
import { analyzeCapture } from './capture-analyzer.js';

export type ImportJobKind = 'capture' | 'advisory';
export type ImportJobState = 'running' | 'done' | 'failed';

/** What a capture job stored (also when it ended `failed` after a corrupt record: what was read before it). */
export interface CaptureImportResult {
  importId: string;
  packets: number;
  hosts: number;
  devices: { staged: number; updated: number; seen: number };
  /** The devices this capture touched, first 100. */
  deviceIds: string[];
  services: number;
  findings: { created: number; updated: number; reopened: number; unresolved: number };
  /** Hosts that could not be tied to one device. */
  unresolved: number;
  alerts: { created: number; updated: number; suppressed: number };
  /** Vulnerability matches first made by this import; null when the starter may not read matches. */
  newMatches: number | null;
  /** The reader's problems (file, offset, reason), first 20. */
  issues: InputIssue[];
}

export interface ImportJob {
  id: string;
  kind: ImportJobKind;
  fileName: string;
  state: ImportJobState;
  bytesTotal: number;
  bytesDone: number;
  packets: number;
  /** Hosts the reader has seen so far (each becomes or updates a device). */
  devicesFound: number;
  startedAt: string;
  finishedAt: string | null;
  result?: CaptureImportResult;
  error?: string;
}

/** A job this process runs: its live figures (written to its row now and then) and its end. */
interface Running {
  job: ImportJob;
  done: Promise<void>;
  /** When its row was last written (the registry's clock). */
  lastWrite: number;
  /** The progress write under way, if any (never two at once; the final write waits for it). */
  inFlight: Promise<void> | undefined;
}

/** Finished jobs are kept this long for the page that polls them. */
export const FINISHED_JOB_TTL_MS = 60 * 60 * 1000;
/** Capture jobs running at once per process; more get 429 (each holds its hosts and flows in memory). */
export const MAX_RUNNING_JOBS = 2;
/** A running job's progress is written at most this often (the dashboard polls every second). */
export const PROGRESS_WRITE_INTERVAL_MS = 1000;
/** ...and its heartbeat at least this often, also while nothing advances (the apply, the rules). */
export const HEARTBEAT_INTERVAL_MS = 10 * 1000;
/** A `running` job whose heartbeat is older than this lost its process: it is reported failed. */
export const STALE_JOB_MS = 60 * 1000;
/** The error of a job whose process stopped before it finished. */
export const INTERRUPTED_ERROR =
  'interrupted: the server process importing it stopped before it finished; upload the capture again';
/** The expiry and stale sweep of the whole table runs at most this often per process. */
const SWEEP_INTERVAL_MS = 60 * 1000;
const LIST_CAP = 100;

const ownerOf = (actor: Actor) => `${actor.kind}:${actor.id}`;
const iso = (ms: number) => new Date(ms).toISOString();

export interface CaptureJobInput {
  /** The uploaded capture on disk; deleted when the job ends, whatever the outcome. */
  path: string;
  /** The name the uploader gave (evidence, issues and the import record use it). */
  fileName: string;
  size: number;
  alertRateLimit?: number;
}

/** The API's view of a stored job (the same shape the in-memory registry answered with). */
function toJob(r: store.ImportJobRow): ImportJob {
  const job: ImportJob = {
    id: r.id,
    kind: r.kind as ImportJobKind,
    fileName: r.file_name,
    state: r.state as ImportJobState,
    bytesTotal: r.bytes_total,
    bytesDone: r.bytes_done,
    packets: r.packets,
    devicesFound: r.devices_found,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
  if (r.result !== null) job.result = JSON.parse(r.result) as CaptureImportResult;
  if (r.error !== null) job.error = r.error;
  return job;
}

const figures = (job: ImportJob, at: number): store.ImportJobProgress => ({
  bytes_done: job.bytesDone,
  packets: job.packets,
  devices_found: job.devicesFound,
  heartbeat_at: iso(at),
});

/**
 * One per API process. Jobs live in the database (`h`, passed per call as elsewhere); what stays in this
 * process is only what it runs itself: the count against MAX_RUNNING_JOBS, the live figures, `settled`.
 */
export class ImportJobRegistry {
  private readonly running = new Map<string, Running>();
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly log?: Pick<Logger, 'warn'>,
  ) {}

  /** Refuses a new capture job while MAX_RUNNING_JOBS run in this process (before the upload is read). */
  assertCanStart(actor: Actor): void {
    assertCan(actor, 'devices:import');
    // Refused before the upload is received, as applySourceResult would refuse it after.
    assertAllSites(actor, 'A capture, scan or log import');
    const running = this.running.size;
    if (running >= MAX_RUNNING_JOBS)
      throw new VigilError('rate_limited', `${running} capture imports are running; try again shortly`, {
        retryAfter: 30,
      });
  }

  /**
   * Stores the job's row, then imports the uploaded capture in the background; returns the job once the
   * row is written (a poll reaching any process finds it). The upload is deleted if the row cannot be.
   */
  async startCapture(h: DbHandle, actor: Actor, input: CaptureJobInput): Promise<ImportJob> {
    assertCan(actor, 'devices:import');
    assertAllSites(actor, 'A capture, scan or log import');
    const started = this.now();
    const job: ImportJob = {
      id: randomUUID(),
      kind: 'capture',
      fileName: input.fileName,
      state: 'running',
      bytesTotal: input.size,
      bytesDone: 0,
      packets: 0,
      devicesFound: 0,
      startedAt: iso(started),
      finishedAt: null,
    };
    try {
      await this.sweep(h);
      await store.insertImportJobRow(h, {
        id: job.id,
        kind: job.kind,
        file_name: job.fileName,
        owner: ownerOf(actor),
        state: job.state,
        bytes_total: job.bytesTotal,
        ...figures(job, started),
        started_at: job.startedAt,
        finished_at: null,
        result: null,
        error: null,
      });
    } catch (e) {
      await rm(input.path, { force: true }).catch(() => undefined);
      throw e;
    }
    const r: Running = { job, done: Promise.resolve(), lastWrite: started, inFlight: undefined };
    this.running.set(job.id, r);
    const heartbeat = setInterval(() => this.writeProgress(h, r, true), HEARTBEAT_INTERVAL_MS);
    heartbeat.unref();
    r.done = (async () => {
      let outcome: { state: 'done' | 'failed'; error?: string; result?: CaptureImportResult };
      try {
        outcome = await runCaptureJob(h, actor, job, input, () => this.writeProgress(h, r, false));
      } catch (e) {
        outcome = { state: 'failed', error: errorText(e) };
      }
      clearInterval(heartbeat);
      // The upload is gone before anyone polling sees the job end.
      await rm(input.path, { force: true }).catch(() => undefined);
      await r.inFlight;
      await this.finish(h, job, outcome);
      this.running.delete(job.id);
    })();
    return { ...job };
  }

  /**
   * A job as the actor may see it: their own, or any for an admin; otherwise not found. Read from the
   * database, so any process answers; a `running` job whose heartbeat stopped (and that this process
   * does not run) is stored and answered as `failed`, interrupted.
   */
  async get(h: DbHandle, actor: Actor, id: string): Promise<ImportJob> {
    await this.sweep(h);
    const t = this.now();
    let row = await store.findImportJobRow(h, id);
    if (!row || (row.owner !== ownerOf(actor) && actor.role !== 'admin')) throw notFound(`Import job ${id}`);
    // Expired but not swept yet (the sweep runs once a minute).
    if (row.finished_at !== null && row.finished_at < iso(t - FINISHED_JOB_TTL_MS))
      throw notFound(`Import job ${id}`);
    if (row.state === 'running' && !this.running.has(id) && row.heartbeat_at < iso(t - STALE_JOB_MS)) {
      // Conditional: if its process finished it meanwhile, that outcome stands.
      await store.markStaleImportJobsFailed(h, {
        id,
        heartbeatBefore: iso(t - STALE_JOB_MS),
        finishedAt: iso(t),
        error: INTERRUPTED_ERROR,
      });
      row = await store.findImportJobRow(h, id);
      if (!row) throw notFound(`Import job ${id}`);
    }
    return toJob(row);
  }

  /** Resolves when a job this process runs has ended, its file is gone and its end is stored (tests; shutdown). */
  async settled(id: string): Promise<void> {
    await this.running.get(id)?.done;
  }

  /** Writes the live figures and heartbeat: at most once a second unless `force`, never two at once. */
  private writeProgress(h: DbHandle, r: Running, force: boolean): void {
    const t = this.now();
    if (r.inFlight || (!force && t - r.lastWrite < PROGRESS_WRITE_INTERVAL_MS)) return;
    r.lastWrite = t;
    r.inFlight = store
      .updateImportJobProgress(h, r.job.id, figures(r.job, t))
      .catch((e: unknown) =>
        this.log?.warn({ job: r.job.id, err: errorText(e) }, 'import job: progress not stored'),
      )
      .finally(() => {
        r.inFlight = undefined;
      });
  }

  /** Stores the end (a few tries: a job left `running` would later be reported interrupted). */
  private async finish(
    h: DbHandle,
    job: ImportJob,
    outcome: { state: 'done' | 'failed'; error?: string; result?: CaptureImportResult },
  ): Promise<void> {
    const t = this.now();
    if (outcome.result) job.result = outcome.result;
    if (outcome.error !== undefined) job.error = outcome.error;
    job.finishedAt = iso(t);
    job.state = outcome.state;
    for (let attempt = 1; ; attempt++) {
      try {
        await store.finishImportJobRow(h, job.id, {
          ...figures(job, t),
          state: outcome.state,
          finished_at: job.finishedAt,
          result: outcome.result ? JSON.stringify(outcome.result) : null,
          error: outcome.error ?? null,
        });
        return;
      } catch (e) {
        if (attempt >= 3) {
          this.log?.warn({ job: job.id, err: errorText(e) }, 'import job: its end was not stored');
          return;
        }
        await sleep(1000 * attempt);
      }
    }
  }

  /** Deletes expired jobs and fails running ones whose process stopped; at most once a minute. */
  private async sweep(h: DbHandle): Promise<void> {
    const t = this.now();
    if (t - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = t;
    await store.deleteImportJobsFinishedBefore(h, iso(t - FINISHED_JOB_TTL_MS));
    await store.markStaleImportJobsFailed(h, {
      heartbeatBefore: iso(t - STALE_JOB_MS),
      finishedAt: iso(t),
      error: INTERRUPTED_ERROR,
      exceptIds: [...this.running.keys()],
    });
  }
}

function errorText(e: unknown): string {
  if (e instanceof VigilError && e.issues.length) return `${e.message}: ${formatIssue(e.issues[0]!)}`;
  return e instanceof Error ? e.message : String(e);
}

async function runCaptureJob(
  vdb: DbHandle,
  actor: Actor,
  job: ImportJob,
  input: CaptureJobInput,
  progressed: () => void,
) {
  const hash = createHash('sha256');
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(input.path, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      yield chunk as Buffer;
    }
  }
  const analysis = await analyzeCapture(chunks(), {
    file: input.fileName,
    onProgress: (p) => {
      job.bytesDone = p.bytes;
      job.packets = p.packets;
      job.devicesFound = p.hosts;
      progressed();
    },
  });
  const stats = analysis.stats;
  const report = await applySourceResult(vdb, actor, analysis, {
    kind: 'capture',
    file: input.fileName,
    sha256: hash.digest('hex'),
    size: input.size,
    stats,
  });
  const alerts = await processSourceRun(
    vdb,
    { report, result: analysis, kind: 'capture', file: input.fileName },
    input.alertRateLimit !== undefined ? { rateLimit: input.alertRateLimit } : {},
  );
  const result: CaptureImportResult = {
    importId: report.importId,
    packets: stats.packets,
    hosts: report.hosts,
    devices: report.devices,
    deviceIds: report.deviceIds.slice(0, LIST_CAP),
    services: report.services,
    findings: report.findings,
    unresolved: report.unresolved.length,
    alerts: { created: alerts.created, updated: alerts.updated, suppressed: alerts.suppressed },
    newMatches: await newMatches(vdb, actor, report.deviceIds, job.startedAt),
    issues: analysis.issues.slice(0, 20),
  };
  job.bytesDone = stats.bytes;
  job.packets = stats.packets;
  job.devicesFound = report.hosts;
  // A record the reader could not parse: what came before it is stored, but the file did not read
  // cleanly, so the job says so with the reader's own words (file, offset, reason).
  const first = analysis.issues[0];
  if (!first) return { state: 'done' as const, result };
  const more = analysis.issues.length > 1 ? ` (and ${analysis.issues.length - 1} more)` : '';
  return {
    state: 'failed' as const,
    result,
    error: `${formatIssue(first)}${more}; what was read before it was stored`,
  };
}

/** Matches of these devices first made since the job started (applying a capture re-matches its devices). */
async function newMatches(
  vdb: DbHandle,
  actor: Actor,
  deviceIds: readonly string[],
  since: string,
): Promise<number | null> {
  if (!can(actor, 'vulns:read')) return null;
  let n = 0;
  for (const deviceId of [...new Set(deviceIds)].slice(0, 1000))
    for await (const m of streamVulnMatches(vdb, actor, { deviceId }))
      if (m.firstMatched >= since && (m.status === 'affected' || m.status === 'needs-review')) n++;
  return n;
}
