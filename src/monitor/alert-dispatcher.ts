/**
 * @module Delivers raised alerts: subscribes to `alert-raised`, turns each stored alert into a
 * `DeliverableAlert`, and enqueues it to one `DeliveryQueue` per enabled destination (monitor/delivery/),
 * recording each alert × destination in `alert_deliveries`: pending when queued, delivered when the
 * sender succeeds, dead when the queue gives up (this class is the queues' `DeadLetterSink`). Nothing
 * here waits for the network on the raising path; deliveries left pending by a stopped process are
 * queued again at start.
 */
import type { Logger } from '../log.js';
import {
  type AlertDestinationRow,
  type AlertRow,
  assetTagOf,
  getAlertRow,
  getDelivery,
  insertDelivery,
  listDestinationRows,
  pendingDeliveries,
  updateDelivery,
} from '../store/alert-store.js';
import { newId } from '../store/ids.js';
import type { DbHandle } from '../store/transaction.js';
import { type Alert, toAlerts } from './alerts-service.js';
import type { AlertSender } from './delivery/alert-sender.js';
import type { DeliverableAlert } from './delivery/deliverable-alert.js';
import {
  type DeadLetter,
  type DeadLetterSink,
  DeliveryQueue,
  type DeliveryQueueOptions,
} from './delivery/delivery-queue.js';
import { createSender, type Destination, eventsOf, parseDestination } from './delivery/destination.js';
import { openDestinationSecret, openDestinationUrl } from './destination-secret.js';
import { type EventBus, processEventBus, type Subscription } from './event-bus.js';

export function toDeliverable(alert: Alert, assetTag: string | null): DeliverableAlert {
  return {
    id: alert.id,
    rule: alert.rule,
    severity: alert.severity,
    title: alert.title,
    state: alert.state,
    deviceId: alert.deviceId,
    assetTag,
    deviceLabel: alert.deviceLabel,
    siteId: alert.siteId,
    subject: alert.subject,
    firstSeen: alert.firstSeen,
    lastSeen: alert.lastSeen,
    count: alert.count,
    evidence: alert.evidence,
  };
}

/** The stored destination with its secret, validated as the delivery code expects it. */
export async function loadDestination(h: DbHandle, row: AlertDestinationRow): Promise<Destination> {
  const config = JSON.parse(row.config) as Record<string, unknown>;
  const secret = await openDestinationSecret(h, row);
  // The URL's query is sealed apart (destination-secret.ts) and opened only here, for the sender.
  if (typeof config['url'] === 'string') config['url'] = await openDestinationUrl(h, row, config['url']);
  return parseDestination({ ...config, name: row.name, ...(secret !== null ? { secret } : {}) });
}

export interface DispatcherOptions {
  bus?: EventBus;
  log?: Logger;
  queue?: Omit<DeliveryQueueOptions, 'name' | 'logger'>;
  /** Builds a destination's sender; `createSender` unless a test replaces it. */
  senderFor?: (d: Destination) => AlertSender;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 1000);

export class AlertDispatcher implements DeadLetterSink {
  readonly #h: DbHandle;
  readonly #bus: EventBus;
  readonly #log: Logger | undefined;
  readonly #opts: DispatcherOptions;
  /** Destination name → its queue and id. */
  #queues = new Map<string, { id: string; queue: DeliveryQueue }>();
  /**
   * Enabled destinations that could not be set up (a secret the configured key cannot open, a missing CA
   * file), by id, with why. Their alerts are recorded as dead letters at once: a log line at start-up
   * alone would let the SOC's copy of every alert vanish until someone read it.
   */
  #unusable = new Map<string, string>();
  #subscription: Subscription | undefined;
  #syncing: Promise<void> | null = null;
  /** Bookkeeping writes in flight, so `drain` can wait for them. */
  readonly #writes = new Set<Promise<void>>();

  constructor(h: DbHandle, opts: DispatcherOptions = {}) {
    this.#h = h;
    this.#bus = opts.bus ?? processEventBus();
    this.#log = opts.log;
    this.#opts = opts;
  }

  /** Builds one queue per enabled destination, subscribes, and re-queues deliveries left pending. */
  async start(): Promise<void> {
    await this.#syncOnce();
    this.#subscription = this.#bus.subscribe('alert-raised', (e) => this.dispatch(e.alert));
    await this.#resumePending();
  }

  /**
   * Brings the queues in line with the destinations stored now: one added (the dashboard, the API, `vigil
   * alerts destinations add` from another process) gets its queue, one removed loses it. Destinations are
   * never edited in place (a change is a removal and an addition, with a new id), so ids say it all.
   * Checked before every dispatch: one small query, against alerts that are de-duplicated and rare.
   */
  #syncDestinations(): Promise<void> {
    // A failed read keeps the queues as they are: the alert still goes where it went before.
    this.#syncing ??= this.#syncOnce()
      .catch((e: unknown) => this.#log?.error({ err: errorText(e) }, 'could not read alert destinations'))
      .finally(() => {
        this.#syncing = null;
      });
    return this.#syncing;
  }

  async #syncOnce(): Promise<void> {
    // A destination for task events only (tasks/task-event-dispatcher.ts) gets no alerts.
    const rows = (await listDestinationRows(this.#h, { enabledOnly: true })).filter((row) =>
      eventsOf(JSON.parse(row.config) as { events?: unknown }).includes('alerts'),
    );
    const wanted = new Set(rows.map((r) => r.id));
    for (const [name, q] of this.#queues) {
      if (wanted.has(q.id)) continue;
      // Removed: its delivery records went with it, so what is still queued has nowhere to be recorded.
      this.#queues.delete(name);
      void q.queue.close({ graceMs: 0 });
    }
    for (const id of this.#unusable.keys()) if (!wanted.has(id)) this.#unusable.delete(id);
    const have = new Set([...[...this.#queues.values()].map((q) => q.id), ...this.#unusable.keys()]);
    for (const row of rows) {
      if (have.has(row.id)) continue;
      try {
        const destination = await loadDestination(this.#h, row);
        const sender = this.#recording(row.id, (this.#opts.senderFor ?? createSender)(destination));
        const queue = new DeliveryQueue(sender, this, {
          ...this.#opts.queue,
          name: row.name,
          ...(this.#log ? { logger: this.#log } : {}),
        });
        this.#queues.set(row.name, { id: row.id, queue });
      } catch (e) {
        // One broken destination (a missing CA file) does not stop delivery to the others.
        this.#log?.error({ destination: row.name, err: errorText(e) }, 'alert destination not usable');
        this.#unusable.set(row.id, `not usable: ${errorText(e)}`);
      }
    }
  }

  /** Destinations being delivered to. */
  destinations(): string[] {
    return [...this.#queues.keys()];
  }

  /** Records a pending delivery per destination and enqueues; returns once recorded, not once sent. */
  async dispatch(alert: Alert): Promise<void> {
    await this.#syncDestinations();
    for (const [id, why] of this.#unusable) await this.#track(() => this.#markDead(alert.id, id, why));
    if (!this.#queues.size) return;
    const deliverable = toDeliverable(alert, await assetTagOf(this.#h, alert.deviceId));
    for (const { id, queue } of this.#queues.values()) {
      await this.#markPending(alert.id, id);
      queue.enqueue(deliverable);
    }
  }

  /** DeadLetterSink: the queue gave up on this alert for this destination. */
  async deadLetter(letter: DeadLetter): Promise<void> {
    const q = this.#queues.get(letter.destination);
    if (!q) return;
    await this.#track(async () => {
      const row = await getDelivery(this.#h, letter.message.id, q.id);
      if (!row) return;
      await updateDelivery(this.#h, row.id, {
        state: 'dead',
        attempts: Math.max(Number(row.attempts), letter.attempts),
        last_error: `${letter.reason}: ${letter.lastError}`.slice(0, 1000),
        updated_at: new Date().toISOString(),
      });
    });
  }

  /** Waits until every queue is empty and every delivery record is written. */
  async drain(): Promise<void> {
    await this.#bus.idle();
    await Promise.all([...this.#queues.values()].map((q) => q.queue.drain()));
    while (this.#writes.size) await Promise.all([...this.#writes]);
  }

  /** Unsubscribes, gives queues `graceMs` to finish, dead-letters the rest (retry them later). */
  async stop(opts: { graceMs?: number } = {}): Promise<void> {
    if (this.#subscription) this.#bus.unsubscribe(this.#subscription);
    await this.#bus.idle();
    await Promise.all([...this.#queues.values()].map((q) => q.queue.close(opts)));
    while (this.#writes.size) await Promise.all([...this.#writes]);
    this.#queues.clear();
  }

  async #resumePending(): Promise<void> {
    const byId = new Map([...this.#queues.values()].map((q) => [q.id, q.queue]));
    const work: { queue: DeliveryQueue; row: AlertRow }[] = [];
    for (const d of await pendingDeliveries(this.#h, 10_000)) {
      const queue = byId.get(d.destination_id);
      const row = queue && (await getAlertRow(this.#h, d.alert_id));
      if (queue && row) work.push({ queue, row });
    }
    // Device labels in one batch rather than one query per pending delivery.
    const alerts = await toAlerts(
      this.#h,
      work.map((w) => w.row),
    );
    for (const [i, { queue, row }] of work.entries())
      queue.enqueue(toDeliverable(alerts[i]!, await assetTagOf(this.#h, row.device_id)));
  }

  /** A delivery that cannot be attempted, as a dead letter (`vigil alerts retry` once it is fixed). */
  async #markDead(alertId: string, destinationId: string, why: string): Promise<void> {
    const now = new Date().toISOString();
    const last_error = why.slice(0, 1000);
    const prev = await getDelivery(this.#h, alertId, destinationId);
    if (prev) {
      await updateDelivery(this.#h, prev.id, { state: 'dead', last_error, updated_at: now });
      return;
    }
    await insertDelivery(this.#h, {
      id: newId(),
      alert_id: alertId,
      destination_id: destinationId,
      state: 'dead',
      attempts: 0,
      last_error,
      created_at: now,
      updated_at: now,
      delivered_at: null,
    });
  }

  async #markPending(alertId: string, destinationId: string): Promise<void> {
    const now = new Date().toISOString();
    const prev = await getDelivery(this.#h, alertId, destinationId);
    if (prev) {
      // A re-opened alert is delivered again; its earlier outcome stays in the attempts count.
      await updateDelivery(this.#h, prev.id, { state: 'pending', last_error: null, updated_at: now });
      return;
    }
    await insertDelivery(this.#h, {
      id: newId(),
      alert_id: alertId,
      destination_id: destinationId,
      state: 'pending',
      attempts: 0,
      last_error: null,
      created_at: now,
      updated_at: now,
      delivered_at: null,
    });
  }

  /** Wraps a sender so each attempt's outcome lands in `alert_deliveries`. */
  #recording(destinationId: string, sender: AlertSender): AlertSender {
    const record = (alertId: string, patch: { state?: string; last_error: string | null; attempt: number }) =>
      this.#track(async () => {
        const row = await getDelivery(this.#h, alertId, destinationId);
        if (!row) return;
        const now = new Date().toISOString();
        await updateDelivery(this.#h, row.id, {
          ...(patch.state ? { state: patch.state } : {}),
          attempts: Number(row.attempts) + 1,
          last_error: patch.last_error,
          updated_at: now,
          ...(patch.state === 'delivered' ? { delivered_at: now } : {}),
        });
      });
    return {
      destination: sender.destination,
      send: async (alert, attempt) => {
        try {
          await sender.send(alert, attempt);
        } catch (e) {
          await record(alert.id, { last_error: errorText(e), attempt: attempt.attempt });
          throw e;
        }
        await record(alert.id, { state: 'delivered', last_error: null, attempt: attempt.attempt });
      },
      close: () => sender.close(),
    };
  }

  async #track(fn: () => Promise<void>): Promise<void> {
    const p = fn()
      .catch((e: unknown) => this.#log?.error({ err: errorText(e) }, 'could not record an alert delivery'))
      .finally(() => this.#writes.delete(p));
    this.#writes.add(p);
    await p;
  }
}

/** Starts a dispatcher on the process's bus (or the given one). */
export async function startAlertDispatcher(
  h: DbHandle,
  opts: DispatcherOptions = {},
): Promise<AlertDispatcher> {
  const d = new AlertDispatcher(h, opts);
  await d.start();
  return d;
}
