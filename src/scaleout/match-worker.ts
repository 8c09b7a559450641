/**
 * @module The match role: re-matches the devices ingest batches changed. Ingest writes their ids to the
 * match queue in the batch's own transaction (so a committed batch always has its devices queued, and a
 * rolled-back one never does); this worker claims the oldest rows, re-matches their devices in one
 * transaction (the same `rematchDevices` a single process runs after an import) and deletes exactly the
 * rows it claimed there. Killed mid-batch, nothing is deleted and the rows are matched again: re-matching
 * is idempotent (the matches of a device are recomputed from the stored facts). Several match processes
 * are safe: a transaction-level lock lets one batch run at a time (the others stand by); matching is
 * therefore one process's work, off the ingest path, so ingest batches no longer hold the inventory
 * lock while matching.
 */
import type { Actor } from '../accounts/actor.js';
import type { Logger } from '../log.js';
import { rematchDevices } from '../matching/rematch.js';
import {
  claimMatchQueue,
  deleteMatchQueueRows,
  lockMatchQueue,
  matchQueueDepth,
} from '../store/match-queue-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { MATCH_ACTOR } from './actor.js';

export interface MatchWorkerOptions {
  vdb: DbHandle;
  actor?: Actor;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Queue rows claimed per batch (default 2000). */
  batchRows?: number;
  /** How long an empty queue is left before looking again (default 250 ms). */
  idleMs?: number;
  onBatch?: (b: MatchBatchReport) => void;
}

export interface MatchBatchReport {
  rows: number;
  devices: number;
  matches: number;
  ms: number;
}

export interface MatchWorkerStatus {
  batches: number;
  rows: number;
  devices: number;
  failedBatches: number;
}

export class MatchWorker {
  readonly #o: MatchWorkerOptions;
  #stopped = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  readonly #status: MatchWorkerStatus = { batches: 0, rows: 0, devices: 0, failedBatches: 0 };

  constructor(o: MatchWorkerOptions) {
    this.#o = o;
  }

  status(): MatchWorkerStatus {
    return { ...this.#status };
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Finishes the batch in hand (committed) and stops. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  /** Rows waiting in the queue. */
  depth(): Promise<number> {
    return matchQueueDepth(this.#o.vdb);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let report: MatchBatchReport | null = null;
      try {
        report = await this.runOnce();
      } catch (e) {
        this.#status.failedBatches++;
        this.#o.log?.error({ err: (e as Error).message }, 'match batch failed; its devices stay queued');
      }
      // A full batch means more is waiting: go on at once; otherwise wait a little.
      if (report && report.rows >= (this.#o.batchRows ?? 2000)) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, report ? 50 : (this.#o.idleMs ?? 250));
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** Matches one batch of queued devices; null when the queue was empty. */
  async runOnce(): Promise<MatchBatchReport | null> {
    const started = performance.now();
    const r = await transaction(this.#o.vdb, async (tx) => {
      await lockMatchQueue(tx);
      const claimed = await claimMatchQueue(tx, this.#o.batchRows ?? 2000);
      if (!claimed.rowIds.length) return null;
      // A device merged or deleted since it was queued is simply not found by the matcher.
      const run = await rematchDevices(tx, this.#o.actor ?? MATCH_ACTOR, claimed.deviceIds);
      await deleteMatchQueueRows(tx, claimed.rowIds);
      return { rows: claimed.rowIds.length, devices: claimed.deviceIds.length, run };
    });
    if (!r) return null;
    const report: MatchBatchReport = {
      rows: r.rows,
      devices: r.devices,
      matches: r.run?.matches ?? 0,
      ms: performance.now() - started,
    };
    this.#status.batches++;
    this.#status.rows += r.rows;
    this.#status.devices += r.devices;
    this.#o.onBatch?.(report);
    return report;
  }
}
