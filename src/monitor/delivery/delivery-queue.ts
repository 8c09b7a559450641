/**
 * @module One bounded in-memory queue and worker per destination. `enqueue()` is synchronous and never
 * waits for the network, so detection never blocks on a slow or dead SIEM; the worker sends in order,
 * retries with exponential backoff and jitter, and hands every message it gives up on to a
 * DeadLetterSink (max attempts, max age, a permanent refusal, a full queue, shutdown), so no alert is
 * dropped without a record. Time is injectable so tests never sleep for real.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../log.js';
import type { AlertSeverity } from '../alert-candidate.js';
import { asDeliveryError, type MessageSender } from './alert-sender.js';
import { type DeliverableAlert, SEVERITY_RANK } from './deliverable-alert.js';

/**
 * What a queue carries: an alert, or a task event (tasks/task-events.ts). `id` names it in logs; a full
 * queue gives up the lowest `severity` first (a message without one ranks as `info`).
 */
export interface QueuedMessage {
  id: string;
  severity?: AlertSeverity;
}

const rankOf = (m: QueuedMessage) => SEVERITY_RANK[m.severity ?? 'info'];

export type DeadLetterReason =
  /** maxAttempts retryable failures. */
  | 'failed'
  /** The receiver refused it for good (HTTP 4xx other than 408/429, a message it cannot take). */
  | 'rejected'
  /** Not delivered within maxAgeMs. */
  | 'expired'
  /** Evicted to make room for an alert of equal or higher severity. */
  | 'queue-full'
  /** Still queued when the queue was closed. */
  | 'shutdown';

export interface DeadLetter<M extends QueuedMessage = DeliverableAlert> {
  message: M;
  /** The destination's name (never a secret); what `requeue` and `retryDeadLetter` are matched on. */
  destination: string;
  reason: DeadLetterReason;
  /** Attempts made; 0 when the message never left the queue. */
  attempts: number;
  lastError: string;
  /** ISO-8601; null when never attempted. */
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  enqueuedAt: string;
  /** Same across retries and re-sends of this message (webhook `X-Vigil-Delivery`). */
  deliveryId: string;
}

/** Where given-up messages go; the alerts service stores them (visible in the CLI and API). */
export interface DeadLetterSink<M extends QueuedMessage = DeliverableAlert> {
  deadLetter(letter: DeadLetter<M>): Promise<void>;
}

export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

export interface DeliveryQueueOptions {
  /** Name in dead letters and logs; the sender's destination by default. */
  name?: string;
  /** Messages waiting (not counting the one being sent); default 1000. */
  capacity?: number;
  /** Attempts per message, the first included; default 10. */
  maxAttempts?: number;
  /** Give up on a message this long after it was enqueued; default 24 h. */
  maxAgeMs?: number;
  /** Backoff before the 2nd attempt; doubles each time; default 1 s. */
  initialDelayMs?: number;
  /** Backoff ceiling; default 5 min (a receiver's Retry-After may ask for longer). */
  maxDelayMs?: number;
  clock?: Clock;
  /** What the queue carries, in log lines: `alert` (default, logged as `alertId`) or `task event` (`eventId`). */
  carries?: 'alert' | 'task event';
  /** [0, 1): the jitter source. */
  random?: () => number;
  logger?: Logger;
}

export interface DeliveryStats {
  destination: string;
  sent: number;
  /** Failed attempts that were scheduled for another try. */
  retried: number;
  deadLettered: number;
  /** Waiting plus the one being sent. */
  queued: number;
  /** Dead letters the sink failed to store (logged with the message id; the only way one is lost). */
  deadLetterFailures: number;
  lastError: string | null;
}

interface Item<M> {
  message: M;
  deliveryId: string;
  enqueuedAt: number;
  attempts: number;
  firstAttemptAt: number | null;
  lastAttemptAt: number | null;
  lastError: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class DeliveryQueue<M extends QueuedMessage = DeliverableAlert> {
  readonly destination: string;
  readonly #sender: MessageSender<M>;
  readonly #sink: DeadLetterSink<M>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #logger: Logger | undefined;
  readonly #what: string;
  readonly #idKey: string;
  readonly #capacity: number;
  readonly #maxAttempts: number;
  readonly #maxAgeMs: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;

  readonly #items: Item<M>[] = [];
  #current: Item<M> | null = null;
  #worker: Promise<void> | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  /** Set by close(): the worker stops after the attempt in flight. */
  #stopping = false;
  readonly #abort = new AbortController();
  readonly #pendingDeadLetters = new Set<Promise<void>>();
  #idleWaiters: (() => void)[] = [];
  #stats = { sent: 0, retried: 0, deadLettered: 0, deadLetterFailures: 0 };
  #lastError: string | null = null;

  constructor(sender: MessageSender<M>, sink: DeadLetterSink<M>, opts: DeliveryQueueOptions = {}) {
    this.#sender = sender;
    this.#sink = sink;
    this.destination = opts.name ?? sender.destination;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
    this.#logger = opts.logger;
    this.#what = opts.carries ?? 'alert';
    this.#idKey = this.#what === 'alert' ? 'alertId' : 'eventId';
    this.#capacity = positive(opts.capacity ?? 1000, 'capacity');
    this.#maxAttempts = positive(opts.maxAttempts ?? 10, 'maxAttempts');
    this.#maxAgeMs = positive(opts.maxAgeMs ?? 24 * 3_600_000, 'maxAgeMs');
    this.#initialDelayMs = positive(opts.initialDelayMs ?? 1000, 'initialDelayMs');
    this.#maxDelayMs = Math.max(this.#initialDelayMs, opts.maxDelayMs ?? 300_000);
  }

  /**
   * Queues a message and returns at once; the network is never awaited here. `deliveryId` (the webhook's
   * `X-Vigil-Delivery`) is new unless the caller keeps its own record of this delivery.
   */
  enqueue(message: M, deliveryId: string = randomUUID()): void {
    this.#add(message, deliveryId);
  }

  /** Queues a dead letter again (fresh attempts and age, same delivery id), e.g. after the receiver is fixed. */
  requeue(letter: DeadLetter<M>): void {
    this.#add(letter.message, letter.deliveryId);
  }

  stats(): DeliveryStats {
    return {
      destination: this.destination,
      ...this.#stats,
      queued: this.#items.length + (this.#current ? 1 : 0),
      lastError: this.#lastError,
    };
  }

  /** Resolves when nothing is queued or in flight and every dead letter has been handed to the sink. */
  async drain(): Promise<void> {
    // After close() has stopped the worker, what is left is close()'s to dead-letter.
    while (!this.#stopping && (this.#worker || this.#items.length > 0)) {
      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    }
    if (this.#stopping) await this.#closing;
    await this.#settleDeadLetters();
  }

  /**
   * Stops taking alerts (later ones are dead-lettered as `shutdown`), lets the queue drain for up to
   * `graceMs`, then dead-letters whatever is left and closes the sender.
   */
  close(opts: { graceMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(opts.graceMs ?? 5000);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    this.#closed = true;
    const grace = new AbortController();
    await Promise.race([this.drain(), this.#clock.sleep(graceMs, grace.signal).catch(() => {})]);
    grace.abort();
    this.#stopping = true;
    this.#abort.abort(); // wakes a worker waiting out a backoff
    await this.#worker;
    for (const item of this.#items.splice(0)) {
      this.#deadLetter(item, 'shutdown', item.lastError ?? 'queue closed before delivery');
    }
    await this.#sender
      .close()
      .catch((err) => this.#logger?.warn({ err, destination: this.destination }, 'close'));
    await this.#settleDeadLetters();
  }

  #add(message: M, deliveryId: string): void {
    const item: Item<M> = {
      message,
      deliveryId,
      enqueuedAt: this.#clock.now(),
      attempts: 0,
      firstAttemptAt: null,
      lastAttemptAt: null,
      lastError: null,
    };
    if (this.#closed) {
      this.#deadLetter(item, 'shutdown', 'queue closed');
      return;
    }
    if (this.#items.length >= this.#capacity) {
      // The oldest of the lowest severity goes; the new alert itself when everything waiting is more severe.
      let victim = 0;
      for (let i = 1; i < this.#items.length; i++) {
        if (rankOf(this.#items[i]!.message) < rankOf(this.#items[victim]!.message)) victim = i;
      }
      const v = this.#items[victim]!;
      if (rankOf(message) < rankOf(v.message)) {
        this.#deadLetter(item, 'queue-full', `queue full (${this.#capacity} waiting)`);
        return;
      }
      this.#items.splice(victim, 1);
      this.#deadLetter(v, 'queue-full', v.lastError ?? `queue full (${this.#capacity} waiting)`);
    }
    this.#items.push(item);
    this.#worker ??= this.#work();
  }

  async #work(): Promise<void> {
    // Deferred one tick: enqueue() returns before any send starts, even a synchronous one.
    await Promise.resolve();
    try {
      while (!this.#stopping) {
        const item = this.#items.shift();
        if (!item) break;
        this.#current = item;
        try {
          await this.#deliver(item);
        } catch (err) {
          // A bug in a sender must not kill the worker or lose the message.
          this.#deadLetter(item, 'failed', asDeliveryError(err).message);
        }
        this.#current = null;
      }
    } finally {
      this.#current = null;
      this.#worker = null;
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  async #deliver(item: Item<M>): Promise<void> {
    for (;;) {
      const now = this.#clock.now();
      if (now - item.enqueuedAt > this.#maxAgeMs) {
        this.#deadLetter(
          item,
          'expired',
          item.lastError ?? this.#lastError ?? 'not sent within the maximum age',
        );
        return;
      }
      item.attempts++;
      item.firstAttemptAt ??= now;
      item.lastAttemptAt = now;
      try {
        await this.#sender.send(item.message, { deliveryId: item.deliveryId, attempt: item.attempts });
        this.#stats.sent++;
        this.#lastError = null;
        return;
      } catch (err) {
        const e = asDeliveryError(err);
        item.lastError = e.message;
        this.#lastError = e.message;
        if (!e.retryable) return this.#deadLetter(item, 'rejected', e.message);
        if (item.attempts >= this.#maxAttempts) return this.#deadLetter(item, 'failed', e.message);
        if (this.#stopping) return this.#putBack(item);
        const delay = this.#backoff(item.attempts, e.retryAfterMs);
        if (this.#clock.now() + delay - item.enqueuedAt > this.#maxAgeMs) {
          return this.#deadLetter(item, 'expired', e.message);
        }
        this.#stats.retried++;
        this.#logger?.warn(
          {
            destination: this.destination,
            [this.#idKey]: item.message.id,
            attempt: item.attempts,
            delayMs: delay,
            error: e.message,
          },
          `${this.#what} delivery failed, will retry`,
        );
        try {
          await this.#clock.sleep(delay, this.#abort.signal);
        } catch {
          return this.#putBack(item); // close() woke us: it dead-letters what is left
        }
      }
    }
  }

  #putBack(item: Item<M>): void {
    this.#items.unshift(item);
  }

  /** Exponential from initialDelayMs, capped, with equal jitter (half fixed, half random) so many queues do not retry in step. */
  #backoff(attempt: number, retryAfterMs: number | undefined): number {
    const exp = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** (attempt - 1));
    const delay = Math.round(exp / 2 + (this.#random() * exp) / 2);
    return retryAfterMs !== undefined ? Math.max(delay, retryAfterMs) : delay;
  }

  #deadLetter(item: Item<M>, reason: DeadLetterReason, lastError: string): void {
    this.#stats.deadLettered++;
    const letter: DeadLetter<M> = {
      message: item.message,
      destination: this.destination,
      reason,
      attempts: item.attempts,
      lastError,
      firstAttemptAt: iso(item.firstAttemptAt),
      lastAttemptAt: iso(item.lastAttemptAt),
      enqueuedAt: iso(item.enqueuedAt)!,
      deliveryId: item.deliveryId,
    };
    this.#logger?.warn(
      {
        destination: this.destination,
        [this.#idKey]: item.message.id,
        reason,
        attempts: item.attempts,
        error: lastError,
      },
      `${this.#what} dead-lettered`,
    );
    const p: Promise<void> = Promise.resolve()
      .then(() => this.#sink.deadLetter(letter))
      .catch((err: unknown) => {
        this.#stats.deadLetterFailures++;
        this.#logger?.error(
          { err, destination: this.destination, [this.#idKey]: item.message.id, reason },
          `could not store a dead letter: this ${this.#what} was not delivered`,
        );
      })
      .finally(() => this.#pendingDeadLetters.delete(p));
    this.#pendingDeadLetters.add(p);
  }

  async #settleDeadLetters(): Promise<void> {
    while (this.#pendingDeadLetters.size > 0) await Promise.all([...this.#pendingDeadLetters]);
  }
}

function positive(n: number, what: string): number {
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${what} must be a positive number`);
  return n;
}

export type RetryResult = { ok: true } | { ok: false; error: string; retryable: boolean };

/**
 * Sends one dead letter once, now, and says how it went: for "retry this dead letter" in the CLI and API.
 * The caller removes the record on success; a failure leaves it as it was.
 */
export async function retryDeadLetter<M extends QueuedMessage>(
  letter: DeadLetter<M>,
  sender: MessageSender<M>,
): Promise<RetryResult> {
  try {
    await sender.send(letter.message, { deliveryId: letter.deliveryId, attempt: letter.attempts + 1 });
    return { ok: true };
  } catch (err) {
    const e = asDeliveryError(err);
    return { ok: false, error: e.message, retryable: e.retryable };
  }
}
