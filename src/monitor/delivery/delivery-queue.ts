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
import { type AlertSender, asDeliveryError } from './alert-sender.js';
import { type DeliverableAlert, SEVERITY_RANK } from './deliverable-alert.js';

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

export interface DeadLetter {
  alert: DeliverableAlert;
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
export interface DeadLetterSink {
  deadLetter(letter: DeadLetter): Promise<void>;
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
  /** Dead letters the sink failed to store (logged with the alert id; the only way an alert is lost). */
  deadLetterFailures: number;
  lastError: string | null;
}

interface Item {
  alert: DeliverableAlert;
  deliveryId: string;
  enqueuedAt: number;
  attempts: number;
  firstAttemptAt: number | null;
  lastAttemptAt: number | null;
  lastError: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class DeliveryQueue {
  readonly destination: string;
  readonly #sender: AlertSender;
  readonly #sink: DeadLetterSink;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #logger: Logger | undefined;
  readonly #capacity: number;
  readonly #maxAttempts: number;
  readonly #maxAgeMs: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;

  readonly #items: Item[] = [];
  #current: Item | null = null;
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

  constructor(sender: AlertSender, sink: DeadLetterSink, opts: DeliveryQueueOptions = {}) {
    this.#sender = sender;
    this.#sink = sink;
    this.destination = opts.name ?? sender.destination;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
    this.#logger = opts.logger;
    this.#capacity = positive(opts.capacity ?? 1000, 'capacity');
    this.#maxAttempts = positive(opts.maxAttempts ?? 10, 'maxAttempts');
    this.#maxAgeMs = positive(opts.maxAgeMs ?? 24 * 3_600_000, 'maxAgeMs');
    this.#initialDelayMs = positive(opts.initialDelayMs ?? 1000, 'initialDelayMs');
    this.#maxDelayMs = Math.max(this.#initialDelayMs, opts.maxDelayMs ?? 300_000);
  }

  /** Queues an alert and returns at once; the network is never awaited here. */
  enqueue(alert: DeliverableAlert): void {
    this.#add(alert, randomUUID());
  }

  /** Queues a dead letter again (fresh attempts and age, same delivery id), e.g. after the receiver is fixed. */
  requeue(letter: DeadLetter): void {
    this.#add(letter.alert, letter.deliveryId);
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

  #add(alert: DeliverableAlert, deliveryId: string): void {
    const item: Item = {
      alert,
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
        if (
          SEVERITY_RANK[this.#items[i]!.alert.severity] < SEVERITY_RANK[this.#items[victim]!.alert.severity]
        ) {
          victim = i;
        }
      }
      const v = this.#items[victim]!;
      if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[v.alert.severity]) {
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
          // A bug in a sender must not kill the worker or lose the alert.
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

  async #deliver(item: Item): Promise<void> {
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
        await this.#sender.send(item.alert, { deliveryId: item.deliveryId, attempt: item.attempts });
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
            alertId: item.alert.id,
            attempt: item.attempts,
            delayMs: delay,
            error: e.message,
          },
          'alert delivery failed, will retry',
        );
        try {
          await this.#clock.sleep(delay, this.#abort.signal);
        } catch {
          return this.#putBack(item); // close() woke us: it dead-letters what is left
        }
      }
    }
  }

  #putBack(item: Item): void {
    this.#items.unshift(item);
  }

  /** Exponential from initialDelayMs, capped, with equal jitter (half fixed, half random) so many queues do not retry in step. */
  #backoff(attempt: number, retryAfterMs: number | undefined): number {
    const exp = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** (attempt - 1));
    const delay = Math.round(exp / 2 + (this.#random() * exp) / 2);
    return retryAfterMs !== undefined ? Math.max(delay, retryAfterMs) : delay;
  }

  #deadLetter(item: Item, reason: DeadLetterReason, lastError: string): void {
    this.#stats.deadLettered++;
    const letter: DeadLetter = {
      alert: item.alert,
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
        alertId: item.alert.id,
        reason,
        attempts: item.attempts,
        error: lastError,
      },
      'alert dead-lettered',
    );
    const p: Promise<void> = Promise.resolve()
      .then(() => this.#sink.deadLetter(letter))
      .catch((err: unknown) => {
        this.#stats.deadLetterFailures++;
        this.#logger?.error(
          { err, destination: this.destination, alertId: item.alert.id, reason },
          'could not store a dead letter: this alert was not delivered',
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
export async function retryDeadLetter(letter: DeadLetter, sender: AlertSender): Promise<RetryResult> {
  try {
    await sender.send(letter.alert, { deliveryId: letter.deliveryId, attempt: letter.attempts + 1 });
    return { ok: true };
  } catch (err) {
    const e = asDeliveryError(err);
    return { ok: false, error: e.message, retryable: e.retryable };
  }
}
