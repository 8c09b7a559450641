/**
 * @module Sends task events (tasks/task-events.ts) to the webhook destinations that take them, through
 * the same DeliveryQueue as alerts: in order per destination, retried with backoff, and dead-lettered
 * when the queue gives up. It reads the outbox rows the changes committed (`task_deliveries`), so it
 * sends only what committed, picks up what another process queued (the CLI, another `vigil serve`
 * role) on its periodic sweep, and resumes after a restart what a stopped process never sent. Each row
 * records the outcome: delivered, or dead with the reason and last error.
 */
import type { Logger } from '../log.js';
import { loadDestination } from '../monitor/alert-dispatcher.js';
import type { MessageSender } from '../monitor/delivery/alert-sender.js';
import {
  type DeadLetter,
  type DeadLetterSink,
  DeliveryQueue,
  type DeliveryQueueOptions,
} from '../monitor/delivery/delivery-queue.js';
import { eventsOf, type WebhookDestination } from '../monitor/delivery/destination.js';
import { createWebhookPoster } from '../monitor/delivery/webhook.js';
import { type EventBus, processEventBus, type Subscription } from '../monitor/event-bus.js';
import { listDestinationRows } from '../store/alert-store.js';
import { getTaskDelivery, pendingTaskDeliveries, updateTaskDelivery } from '../store/task-delivery-store.js';
import type { DbHandle } from '../store/transaction.js';
import {
  buildTaskEventMessage,
  type TaskEventMessage,
  type TaskEventMessageOptions,
} from './task-event-message.js';

/** A webhook destination's sender for task events: the alert webhook's signed POST with the task event as body. */
export function createTaskEventSender(d: WebhookDestination): MessageSender<TaskEventMessage> {
  const poster = createWebhookPoster({ url: d.url, secret: d.secret, timeoutMs: d.timeoutMs });
  return {
    destination: d.name ?? poster.destination,
    send: (message, attempt) => poster.post(JSON.stringify(message), attempt.deliveryId),
    close: () => poster.close(),
  };
}

export interface TaskEventDispatcherOptions {
  bus?: EventBus;
  log?: Logger;
  queue?: Omit<DeliveryQueueOptions, 'name' | 'logger' | 'carries'>;
  /** Builds a destination's sender; `createTaskEventSender` unless a test replaces it. */
  senderFor?: (d: WebhookDestination) => MessageSender<TaskEventMessage>;
  message?: TaskEventMessageOptions;
  /** Also look for events queued by other processes this often (`vigil serve`); off when absent. */
  sweepIntervalMs?: number;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 1000);
/** Pending rows read per sweep; the next sweep takes the rest. */
const SWEEP_LIMIT = 10_000;

export class TaskEventDispatcher implements DeadLetterSink<TaskEventMessage> {
  readonly #h: DbHandle;
  readonly #bus: EventBus;
  readonly #log: Logger | undefined;
  readonly #opts: TaskEventDispatcherOptions;
  /** Destination id → its queue. */
  readonly #queues = new Map<string, DeliveryQueue<TaskEventMessage>>();
  /** Destinations that take task events but could not be set up, by id, with why: their events are dead letters. */
  readonly #unusable = new Map<string, string>();
  /** Delivery rows in a queue of this process, so a sweep does not queue them twice. */
  readonly #queued = new Set<string>();
  readonly #writes = new Set<Promise<void>>();
  #subscription: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | null = null;
  #sweepAgain = false;

  constructor(h: DbHandle, opts: TaskEventDispatcherOptions = {}) {
    this.#h = h;
    this.#bus = opts.bus ?? processEventBus();
    this.#log = opts.log;
    this.#opts = opts;
  }

  /** One queue per enabled webhook destination taking task events; then sends what is pending. */
  async start(): Promise<void> {
    await this.#syncDestinations();
    this.#subscription = this.#bus.subscribe('task-events-queued', () => this.sweep());
    if (this.#opts.sweepIntervalMs) {
      this.#timer = setInterval(() => void this.sweep(), this.#opts.sweepIntervalMs);
      this.#timer.unref();
    }
    await this.sweep();
  }

  /** Destinations being sent task events, by name. */
  destinations(): string[] {
    return [...this.#queues.values()].map((q) => q.destination);
  }

  /**
   * Brings the queues in line with the destinations stored now, before every sweep: one added since (the
   * dashboard, the API, `vigil alerts destinations add` from another process) gets its queue, so the
   * rows a change committed for it are sent without a restart; one removed loses its queue (its rows went
   * with it). Destinations are never edited in place (a change is a removal and an addition, with a new
   * id), so ids say it all.
   */
  async #syncDestinations(): Promise<void> {
    const rows = (await listDestinationRows(this.#h, { enabledOnly: true })).filter(
      (row) =>
        row.kind === 'webhook' && eventsOf(JSON.parse(row.config) as { events?: unknown }).includes('tasks'),
    );
    const wanted = new Set(rows.map((r) => r.id));
    for (const [id, queue] of this.#queues) {
      if (wanted.has(id)) continue;
      this.#queues.delete(id);
      void queue.close({ graceMs: 0 });
    }
    for (const id of this.#unusable.keys()) if (!wanted.has(id)) this.#unusable.delete(id);
    for (const row of rows) {
      if (this.#queues.has(row.id) || this.#unusable.has(row.id)) continue;
      try {
        const d = (await loadDestination(this.#h, row)) as WebhookDestination;
        const sender = this.#recording((this.#opts.senderFor ?? createTaskEventSender)(d));
        this.#queues.set(
          row.id,
          new DeliveryQueue<TaskEventMessage>(sender, this, {
            ...this.#opts.queue,
            name: row.name,
            carries: 'task event',
            ...(this.#log ? { logger: this.#log } : {}),
          }),
        );
      } catch (e) {
        this.#log?.error({ destination: row.name, err: errorText(e) }, 'task event destination not usable');
        this.#unusable.set(row.id, `not usable: ${errorText(e)}`);
      }
    }
  }

  /** Queues every pending delivery not queued yet. One sweep at a time; a wake-up meanwhile sweeps again after. */
  sweep(): Promise<void> {
    if (this.#sweeping) {
      this.#sweepAgain = true;
      return this.#sweeping;
    }
    this.#sweeping = (async () => {
      do {
        this.#sweepAgain = false;
        await this.#sweepOnce().catch((e: unknown) =>
          this.#log?.error({ err: errorText(e) }, 'could not read pending task events'),
        );
      } while (this.#sweepAgain);
    })().finally(() => {
      this.#sweeping = null;
    });
    return this.#sweeping;
  }

  async #sweepOnce(): Promise<void> {
    await this.#syncDestinations();
    const ids = [...this.#queues.keys(), ...this.#unusable.keys()];
    const built = new Map<string, TaskEventMessage | null>();
    for (const row of await pendingTaskDeliveries(this.#h, ids, SWEEP_LIMIT)) {
      if (this.#queued.has(row.id)) continue;
      const unusable = this.#unusable.get(row.id) ?? this.#unusable.get(row.destination_id);
      if (unusable) {
        await this.#record(row.id, { state: 'dead', last_error: unusable });
        continue;
      }
      let message = built.get(row.event_id);
      if (message === undefined) {
        // A failure to read (a busy database) leaves the row pending for the next sweep.
        message = await buildTaskEventMessage(this.#h, row, this.#opts.message);
        built.set(row.event_id, message);
      }
      if (!message) {
        await this.#record(row.id, {
          state: 'dead',
          last_error: `not sent: ${row.subject_id} no longer exists`,
        });
        continue;
      }
      this.#queued.add(row.id);
      this.#queues.get(row.destination_id)!.enqueue(message, row.id);
    }
  }

  /** DeadLetterSink: the queue gave up. A shutdown leaves the row pending: the next start sends it. */
  async deadLetter(letter: DeadLetter<TaskEventMessage>): Promise<void> {
    const last_error = `${letter.reason}: ${letter.lastError}`.slice(0, 1000);
    await this.#record(
      letter.deliveryId,
      letter.reason === 'shutdown' ? { last_error } : { state: 'dead', last_error },
    );
    this.#queued.delete(letter.deliveryId);
  }

  /** Waits until everything pending has been sent or given up, and every outcome is recorded. */
  async drain(): Promise<void> {
    await this.#bus.idle();
    await this.#sweeping;
    await Promise.all([...this.#queues.values()].map((q) => q.drain()));
    while (this.#writes.size) await Promise.all([...this.#writes]);
  }

  /** Stops sweeping, gives the queues `graceMs`; what is left stays pending for the next start. */
  async stop(opts: { graceMs?: number } = {}): Promise<void> {
    if (this.#subscription) this.#bus.unsubscribe(this.#subscription);
    clearInterval(this.#timer);
    await this.#bus.idle();
    await this.#sweeping;
    await Promise.all([...this.#queues.values()].map((q) => q.close(opts)));
    while (this.#writes.size) await Promise.all([...this.#writes]);
    this.#queues.clear();
  }

  /** Each attempt's outcome on its row; the queue's delivery id is the row's id. */
  #recording(sender: MessageSender<TaskEventMessage>): MessageSender<TaskEventMessage> {
    return {
      destination: sender.destination,
      send: async (message, attempt) => {
        try {
          await sender.send(message, attempt);
        } catch (e) {
          await this.#record(attempt.deliveryId, { last_error: errorText(e), attempt: true });
          throw e;
        }
        await this.#record(attempt.deliveryId, { state: 'delivered', last_error: null, attempt: true });
        // Only once the row says delivered: a sweep meanwhile would read it pending and send it again.
        this.#queued.delete(attempt.deliveryId);
      },
      close: () => sender.close(),
    };
  }

  async #record(
    id: string,
    patch: { state?: 'delivered' | 'dead'; last_error: string | null; attempt?: boolean },
  ): Promise<void> {
    const p = (async () => {
      const row = await getTaskDelivery(this.#h, id);
      if (!row) return;
      const now = new Date().toISOString();
      await updateTaskDelivery(this.#h, id, {
        ...(patch.state ? { state: patch.state } : {}),
        attempts: Number(row.attempts) + (patch.attempt ? 1 : 0),
        last_error: patch.last_error,
        updated_at: now,
        ...(patch.state === 'delivered' ? { delivered_at: now } : {}),
      });
    })()
      .catch((e: unknown) =>
        this.#log?.error({ err: errorText(e) }, 'could not record a task event delivery'),
      )
      .finally(() => this.#writes.delete(p));
    this.#writes.add(p);
    await p;
  }
}
