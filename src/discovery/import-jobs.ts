/**
 * @module Imports that run after their upload was answered: a small in-process registry of jobs (a
 * capture uploaded through `POST /captures/import`), each with its progress as the capture reader
 * advances, visible only to the account or token that started it (and to admins), forgotten an hour
 * after it finished. A capture job does what `vigil import FILE` does: read it (`analyzeCapture`), apply
 * it in one audited transaction (`applySourceResult`), run the detection rules (`processSourceRun`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { type Actor, assertCan, can } from '../accounts/actor.js';
import { formatIssue, type InputIssue, notFound, VigilError } from '../errors.js';
import { streamVulnMatches } from '../matching/vulns-service.js';
import { processSourceRun } from '../monitor/process-source-run.js';
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

interface Entry {
  job: ImportJob;
  /** `kind:id` of the actor that started it. */
  owner: string;
  done: Promise<void>;
}

/** Finished jobs are kept this long for the page that polls them. */
export const FINISHED_JOB_TTL_MS = 60 * 60 * 1000;
/** Capture jobs running at once per process; more get 429 (each holds its hosts and flows in memory). */
export const MAX_RUNNING_JOBS = 2;
const LIST_CAP = 100;

const ownerOf = (actor: Actor) => `${actor.kind}:${actor.id}`;

export interface CaptureJobInput {
  /** The uploaded capture on disk; deleted when the job ends, whatever the outcome. */
  path: string;
  /** The name the uploader gave (evidence, issues and the import record use it). */
  fileName: string;
  size: number;
  alertRateLimit?: number;
}

export class ImportJobRegistry {
  private readonly jobs = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Refuses a new capture job while MAX_RUNNING_JOBS run (before the upload is read). */
  assertCanStart(actor: Actor): void {
    assertCan(actor, 'devices:import');
    this.sweep();
    const running = [...this.jobs.values()].filter((e) => e.job.state === 'running').length;
    if (running >= MAX_RUNNING_JOBS)
      throw new VigilError('rate_limited', `${running} capture imports are running; try again shortly`, {
        retryAfter: 30,
      });
  }

  /** Starts importing an uploaded capture in the background; returns the job at once. */
  startCapture(vdb: DbHandle, actor: Actor, input: CaptureJobInput): ImportJob {
    assertCan(actor, 'devices:import');
    this.sweep();
    const job: ImportJob = {
      id: randomUUID(),
      kind: 'capture',
      fileName: input.fileName,
      state: 'running',
      bytesTotal: input.size,
      bytesDone: 0,
      packets: 0,
      devicesFound: 0,
      startedAt: new Date(this.now()).toISOString(),
      finishedAt: null,
    };
    const entry: Entry = { job, owner: ownerOf(actor), done: Promise.resolve() };
    this.jobs.set(job.id, entry);
    entry.done = (async () => {
      let outcome: { state: ImportJobState; error?: string; result?: CaptureImportResult };
      try {
        outcome = await runCaptureJob(vdb, actor, job, input);
      } catch (e) {
        outcome = { state: 'failed', error: errorText(e) };
      }
      // The upload is gone before anyone polling sees the job end.
      await rm(input.path, { force: true }).catch(() => undefined);
      if (outcome.result) job.result = outcome.result;
      if (outcome.error !== undefined) job.error = outcome.error;
      job.finishedAt = new Date(this.now()).toISOString();
      job.state = outcome.state;
    })();
    return { ...job };
  }

  /** A job as the actor may see it: their own, or any for an admin; otherwise not found. */
  get(actor: Actor, id: string): ImportJob {
    this.sweep();
    const e = this.jobs.get(id);
    if (!e || (e.owner !== ownerOf(actor) && actor.role !== 'admin')) throw notFound(`Import job ${id}`);
    return { ...e.job };
  }

  /** Resolves when the job has ended and its file is gone (tests; shutdown). */
  async settled(id: string): Promise<void> {
    await this.jobs.get(id)?.done;
  }

  private sweep(): void {
    const cutoff = this.now() - FINISHED_JOB_TTL_MS;
    for (const [id, e] of this.jobs)
      if (e.job.finishedAt && Date.parse(e.job.finishedAt) < cutoff) this.jobs.delete(id);
  }
}

function errorText(e: unknown): string {
  if (e instanceof VigilError && e.issues.length) return `${e.message}: ${formatIssue(e.issues[0]!)}`;
  return e instanceof Error ? e.message : String(e);
}

async function runCaptureJob(vdb: DbHandle, actor: Actor, job: ImportJob, input: CaptureJobInput) {
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
