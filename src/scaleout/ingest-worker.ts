/**
 * @module The ingest role: pulls observation messages from the one durable consumer every ingest process
 * shares (several processes = horizontal scale; JetStream hands each batch to one of them), applies a
 * whole batch in ONE database transaction (the inventory through `applySourceResult`, the sensors' health,
 * and the ledger of applied message ids), and acknowledges the messages only after that commit. A message
 * delivered again (a worker killed before its ack, a sensor re-draining its spool) finds its id in the
 * ledger and changes nothing. The site is taken from the subject, which the sensor's credential
 * restricts; a body naming another site is refused. The pull size follows commit latency (smaller when
 * the database is slow), and the consumer bounds what is in flight. Re-matching is not done here: the
 * devices a batch changed are queued (`match_queue`, same transaction) for the match role
 * (match-worker.ts), so a batch holds its locks only for the inventory. Those locks are the identity keys
 * of the batch's hosts, taken at once (store/locks.ts), and its audit entries are appended at the end
 * (`deferAudit`): two workers' batches with different devices apply side by side. After each commit the
 * batch is published as `source-run` events for the monitor role.
 */
import type { Consumer, JsMsg, NatsConnection } from 'nats';
import type { Actor } from '../accounts/actor.js';
import { deferAudit } from '../audit/audit-log.js';
import {
  type ApplyReport,
  applySourceResult,
  lockSourceIdentities,
} from '../discovery/apply-source-result.js';
import type { SourceResult } from '../discovery/host-observation.js';
import type { Logger } from '../log.js';
import type { AlertCandidate } from '../monitor/alert-candidate.js';
import { raiseAlerts } from '../monitor/alerts-service.js';
import { type EventBus, InProcessEventBus, type SourceRunEvent, type Topic } from '../monitor/event-bus.js';
import { mergeFlows } from '../monitor/sensor/live-analysis.js';
import { placeUnsitedDevices } from '../monitor/sensor/sensor-site.js';
import { resolveSites } from '../store/account-store.js';
import { nowIso } from '../store/ids.js';
import { enqueueMatches } from '../store/match-queue-store.js';
import { appliedMessages, recordAppliedMessages } from '../store/sensor-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { INGEST_ACTOR } from './actor.js';
import type { IngestMetrics } from './metrics.js';
import {
  decodeObservation,
  type Heartbeat,
  type ObservationMessage,
  resultOf,
} from './observation-schema.js';
import { recordSensorHealth } from './sensor-health.js';
import { splitResult } from './split.js';
import { messageId, parseObservationSubject, type ScaleoutNames } from './subjects.js';

export interface IngestOptions {
  nc: NatsConnection;
  vdb: DbHandle;
  names: ScaleoutNames;
  actor?: Actor;
  /** Where `source-run` goes after each commit (the JetStream bus in a split deployment). */
  bus?: EventBus;
  /** Where alerts raised by ingest (sensor spool overflow) are announced; default the given bus. */
  alertBus?: EventBus;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics?: IngestMetrics;
  /** Pull size bounds and the commit latency the pull size aims at. */
  minBatch?: number;
  maxBatch?: number;
  targetCommitMs?: number;
  /** How long one pull waits for messages. */
  expiresMs?: number;
  /**
   * `queue` (default): the devices a batch changed go to the match queue in the batch's transaction and
   * the match role re-matches them (match-worker.ts). `now`: re-match inside the batch, as a single
   * process does (slower: the batch holds the inventory lock while matching).
   */
  rematch?: 'queue' | 'now';
  /** Test hook: runs inside the transaction, after the apply, before the commit. */
  beforeCommit?: (batch: BatchReport) => Promise<void>;
  onBatch?: (batch: BatchReport) => void;
}

export interface BatchReport {
  messages: number;
  applied: number;
  duplicates: number;
  refused: number;
  /** Parts put back until their flush's earlier parts are applied. */
  waiting: number;
  /** Devices queued for the match role (match_queue). */
  queued: number;
  sites: string[];
  commitMs: number;
  reports: ApplyReport[];
}

export interface IngestStatus {
  batches: number;
  messages: number;
  applied: number;
  duplicates: number;
  refused: number;
  failedBatches: number;
  pullSize: number;
}

interface Accepted {
  msg: JsMsg;
  body: ObservationMessage;
  site: string;
  id: string;
}

const SOURCE_RUN_EVENT_BYTES = 700 * 1024;
/** How long the second pull of a batch may wait for messages the stream said it holds. */
const FILL_MS = 250;
/** How often a part waits for its flush's earlier parts, and how long each time. */
const MAX_PART_WAITS = 20;
const PART_WAIT_MS = 200;

/** Message ids of the parts before this one in its flush (their seqs precede it, consecutively). */
const earlierParts = (a: Accepted): string[] =>
  Array.from({ length: a.body.part }, (_, i) =>
    messageId(a.body.sensor, a.body.epoch, a.body.seq - a.body.part + i),
  );

/** Holds events raised inside the batch transaction until it commits. */
class DeferredBus extends InProcessEventBus {
  readonly held: [string, unknown][] = [];
  override publish<T extends Topic>(topic: T, event: unknown): void {
    this.held.push([topic, event]);
  }
}

export class IngestWorker {
  readonly #o: IngestOptions;
  readonly #actor: Actor;
  #consumer: Consumer | null = null;
  #stopped = false;
  #loop: Promise<void> | null = null;
  #pull: number;
  readonly #status: IngestStatus;

  constructor(o: IngestOptions) {
    this.#o = o;
    this.#actor = o.actor ?? INGEST_ACTOR;
    this.#pull = Math.min(o.maxBatch ?? 256, Math.max(o.minBatch ?? 1, 64));
    this.#status = {
      batches: 0,
      messages: 0,
      applied: 0,
      duplicates: 0,
      refused: 0,
      failedBatches: 0,
      pullSize: this.#pull,
    };
  }

  status(): IngestStatus {
    return { ...this.#status, pullSize: this.#pull };
  }

  async start(): Promise<void> {
    this.#consumer = await this.#o.nc.jetstream().consumers.get(this.#o.names.stream, this.#o.names.durable);
    this.#loop = this.#run();
  }

  /** Finishes the batch in hand (committed and acknowledged) and stops pulling. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const msgs: JsMsg[] = [];
      try {
        // Wait for the first message, then take what is already there up to the pull size. The second
        // pull ends when it is full, or at once when the stream has nothing more, and at the latest after
        // FILL_MS (a pull with an expiry, not `no_wait`: with two workers, a `no_wait` pull that got part of
        // its batch was seen to be held by nats-server 2.9 for ~30 s with the messages it had delivered).
        const first = await this.#consumer!.next({ expires: Math.max(1000, this.#o.expiresMs ?? 1000) });
        if (first) {
          msgs.push(first);
          if (this.#pull > 1 && first.info.pending > 0)
            for await (const m of this.#o.nc.jetstream().fetch(this.#o.names.stream, this.#o.names.durable, {
              batch: Math.min(this.#pull - 1, first.info.pending),
              expires: FILL_MS,
            }))
              msgs.push(m);
        }
      } catch (e) {
        // Messages already pulled are ours until acknowledged: process them now rather than leave them
        // to come back only after the ack wait (30 s), as a fetch ended by the server (another worker
        // took the rest) would otherwise do.
        if (!msgs.length) {
          if (this.#stopped || this.#o.nc.isClosed()) break;
          this.#o.log?.warn({ err: (e as Error).message }, 'ingest pull failed; retrying');
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
      }
      if (msgs.length) await this.processBatch(msgs);
    }
  }

  /** Applies one batch; acknowledges on commit, asks for redelivery on failure. */
  async processBatch(msgs: JsMsg[]): Promise<BatchReport | null> {
    const started = performance.now();
    const receivedAt = nowIso();
    const accepted: Accepted[] = [];
    let refused = 0;
    for (const msg of msgs) {
      const r = this.#accept(msg);
      if (r) accepted.push(r);
      else refused++;
    }
    const deferred = new DeferredBus();
    const report: BatchReport = {
      messages: msgs.length,
      applied: 0,
      duplicates: 0,
      refused,
      waiting: 0,
      queued: 0,
      sites: [],
      commitMs: 0,
      reports: [],
    };
    const runs: SourceRunEvent[] = [];
    const waiting: Accepted[] = [];
    for (let attempt = 1; ; attempt++)
      try {
        // A retry starts from scratch: nothing of the failed attempt was stored.
        Object.assign(report, { applied: 0, duplicates: 0, queued: 0, sites: [], reports: [] });
        runs.length = 0;
        waiting.length = 0;
        deferred.held.length = 0;
        // Audit entries wait for the end of the batch (deferAudit): the audit lock, which every writer of
        // the chain shares, is then held only for their append and the commit.
        await transaction(this.#o.vdb, (tx) =>
          deferAudit(tx, async () => {
            const bySite = new Map<string, Accepted[]>();
            for (const a of accepted) bySite.set(a.site, [...(bySite.get(a.site) ?? []), a]);
            const alerts: AlertCandidate[] = [];
            const toApply: { site: string; fresh: Accepted[] }[] = [];
            // First the ledger (inserts of this batch's own message ids: no lock another worker waits on),
            // then the inventory (the identity keys of all the batch's hosts, locked at once: another
            // worker's batch with other devices goes on meanwhile), then the sensors' health rows, then the
            // audit entries, in one order: a row lock taken before the identity keys would let two workers
            // wait on each other (a deadlock PostgreSQL breaks by aborting one batch).
            for (const [site, list] of bySite) {
              const done = await appliedMessages(tx, site, [
                ...list.map((a) => a.id),
                ...list.flatMap(earlierParts),
              ]);
              // The same message twice in one batch (a redelivery racing the first copy) counts once.
              const unique = list.filter((a) => !done.has(a.id) && done.add(a.id));
              report.duplicates += list.length - unique.length;
              // A flush's parts apply in order (its conversations after its hosts): a part whose earlier
              // parts another worker still holds waits for them, unless it has waited long enough (a part
              // the sensor's full spool dropped never comes).
              const inBatch = new Set(unique.map((a) => a.id));
              const fresh = unique.filter((a) => {
                // (Only conversations need their flush's hosts; a heartbeat never waits.)
                const ready =
                  a.body.kind !== 'flows' ||
                  a.msg.info.redeliveryCount > MAX_PART_WAITS ||
                  earlierParts(a).every((id) => done.has(id) || inBatch.has(id));
                if (!ready) waiting.push(a);
                return ready;
              });
              if (!fresh.length) continue;
              report.sites.push(site);
              await recordAppliedMessages(
                tx,
                fresh.map((a) => ({ site, msg_id: a.id, stream_seq: a.msg.seq, applied_at: receivedAt })),
              );
              report.applied += fresh.length;
              toApply.push({ site, fresh });
            }
            const changed: string[] = [];
            const merged = toApply.map(({ site, fresh }) => ({
              site,
              fresh,
              result: mergeResults(fresh.map((a) => resultOf(a.body))),
            }));
            await lockSourceIdentities(
              tx,
              merged.map((m) => m.result),
            );
            for (const { site, fresh, result } of merged) {
              if (!(result.hosts.length || result.findings.length || result.flows?.length)) continue;
              const applied = await applySourceResult(tx, this.#actor, result, {
                kind: 'capture',
                file: `sensor:${site}`,
                stats: {
                  sensor: 'remote',
                  site,
                  messages: fresh.length,
                  sensors: [...new Set(fresh.map((a) => a.body.sensor))],
                },
                // Re-matching is the match role's (match-worker.ts): the devices are queued below.
                rematch: this.#o.rematch === 'now',
              });
              report.reports.push(applied);
              changed.push(...applied.deviceIds);
              const { ids } = await resolveSites(tx, [site]);
              if (ids[0])
                await placeUnsitedDevices(tx, this.#actor, ids[0], applied.deviceIds, `sensor:${site}`);
              runs.push({
                importId: applied.importId,
                kind: 'live',
                file: `sensor:${site}`,
                report: applied,
                result,
              });
            }
            for (const { site, fresh } of [...toApply].sort((x, y) => (x.site < y.site ? -1 : 1)))
              for (const [sensor, mine] of [...groupBy(fresh, (a) => a.body.sensor)].sort((x, y) =>
                x[0] < y[0] ? -1 : 1,
              )) {
                const last = mine.reduce((x, y) => (y.body.seq > x.body.seq ? y : x));
                const beats = mine.filter((a) => a.body.kind === 'heartbeat');
                const hb = beats.length
                  ? (
                      beats.reduce((x, y) => (y.body.seq > x.body.seq ? y : x)).body as {
                        heartbeat: Heartbeat;
                      }
                    ).heartbeat
                  : null;
                alerts.push(
                  ...(await recordSensorHealth(tx, {
                    site,
                    sensor,
                    messages: mine.length,
                    heartbeat: hb,
                    sensorAt: last.body.at,
                    receivedAt,
                  })),
                );
              }
            if (changed.length && this.#o.rematch !== 'now')
              report.queued = await enqueueMatches(tx, changed, receivedAt);
            if (alerts.length) await raiseAlerts(tx, alerts, { actor: 'system:ingest', bus: deferred });
            await this.#o.beforeCommit?.(report);
          }),
        );
        break;
      } catch (e) {
        // Two workers' batches touching shared rows (models, matches) in another order: PostgreSQL picks
        // one to abort; trying again at once, after a short random pause, usually succeeds.
        const code = (e as { code?: string }).code;
        if ((code === '40P01' || code === '40001') && attempt < 4) {
          this.#o.metrics?.messages.inc({ kind: 'any', outcome: 'deadlock-retry' }, accepted.length);
          await new Promise((r) => setTimeout(r, 10 + Math.random() * 90 * attempt));
          continue;
        }
        // Nothing of the batch was stored: every message comes back (to this or another worker).
        this.#status.failedBatches++;
        for (const a of accepted) a.msg.nak(1000);
        this.#pull = Math.max(this.#o.minBatch ?? 1, Math.floor(this.#pull / 2));
        this.#o.metrics?.messages.inc({ kind: 'any', outcome: 'retried' }, accepted.length);
        this.#o.log?.error(
          { err: (e as Error).message, messages: accepted.length },
          'ingest batch failed; will be redelivered',
        );
        return null;
      }
    const later = new Set(waiting);
    for (const a of accepted)
      if (later.has(a)) a.msg.nak(PART_WAIT_MS);
      else a.msg.ack();
    report.waiting = waiting.length;
    await this.#o.nc.flush().catch(() => undefined);
    report.commitMs = performance.now() - started;
    this.#adapt(report.commitMs, msgs.length);
    this.#count(report, accepted);
    const bus = this.#o.bus;
    const alertBus = this.#o.alertBus ?? bus;
    for (const [topic, event] of deferred.held) alertBus?.publish(topic as 'alert-raised', event as never);
    if (bus) for (const run of runs) for (const e of sourceRunEvents(run)) bus.publish('source-run', e);
    this.#o.onBatch?.(report);
    return report;
  }

  #accept(msg: JsMsg): Accepted | null {
    const where = parseObservationSubject(this.#o.names.prefix, msg.subject);
    let body: ObservationMessage;
    try {
      if (!where) throw new Error(`subject ${msg.subject} is not an observation subject`);
      body = decodeObservation(msg.data);
      // The credential decides the site (it restricts the subject); the body may not claim another.
      if (body.site !== where.site)
        throw new Error(`message claims site ${body.site} on site ${where.site}'s subject`);
      if (body.kind !== where.kind) throw new Error(`a ${body.kind} message on a ${where.kind} subject`);
    } catch (e) {
      this.#status.refused++;
      this.#o.metrics?.messages.inc({ kind: where?.kind ?? 'unknown', outcome: 'refused' });
      this.#o.log?.warn(
        { subject: msg.subject, streamSeq: msg.seq, reason: (e as Error).message },
        'observation message refused',
      );
      msg.term();
      return null;
    }
    return { msg, body, site: where.site, id: messageId(body.sensor, body.epoch, body.seq) };
  }

  #adapt(commitMs: number, got: number): void {
    const target = this.#o.targetCommitMs ?? 1000;
    const min = this.#o.minBatch ?? 1;
    const max = this.#o.maxBatch ?? 256;
    if (commitMs > target) this.#pull = Math.max(min, Math.floor(this.#pull / 2));
    else if (commitMs < target / 4 && got >= this.#pull) this.#pull = Math.min(max, this.#pull * 2);
    this.#o.metrics?.pullSize.set(this.#pull);
  }

  #count(r: BatchReport, accepted: Accepted[]): void {
    const s = this.#status;
    s.batches++;
    s.messages += r.messages;
    s.applied += r.applied;
    s.duplicates += r.duplicates;
    const m = this.#o.metrics;
    if (!m) return;
    m.batchSize.observe(r.messages);
    m.commitSeconds.observe(r.commitMs / 1000);
    const now = Date.now();
    for (const a of accepted) {
      const lag = (now - Date.parse(a.body.at)) / 1000;
      if (Number.isFinite(lag)) m.lagSeconds.observe(Math.max(0, lag));
    }
    m.messages.inc({ kind: 'any', outcome: 'applied' }, r.applied);
    if (r.duplicates) m.messages.inc({ kind: 'any', outcome: 'duplicate' }, r.duplicates);
  }
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) out.set(key(t), [...(out.get(key(t)) ?? []), t]);
  return out;
}

/** Several messages' slices as one result: hosts side by side (the apply merges a device seen twice). */
export function mergeResults(parts: SourceResult[]): SourceResult {
  const flows = parts.reduce<SourceResult['flows']>(
    (acc, p) => (p.flows?.length ? mergeFlows(acc ?? [], p.flows) : acc),
    undefined,
  );
  return {
    hosts: parts.flatMap((p) => p.hosts),
    findings: parts.flatMap((p) => p.findings),
    ...(flows ? { flows } : {}),
  };
}

/** A run too large for one bus message goes as several, each with the report and part of the result. */
function sourceRunEvents(run: SourceRunEvent): SourceRunEvent[] {
  if (Buffer.byteLength(JSON.stringify(run.result)) <= SOURCE_RUN_EVENT_BYTES) return [run];
  return splitResult(run.result, SOURCE_RUN_EVENT_BYTES).map((p) => ({
    ...run,
    result:
      p.kind === 'hosts'
        ? { hosts: p.hosts, findings: p.findings }
        : { hosts: [], findings: [], flows: p.flows },
  }));
}
