/**
 * @module Alert delivery as the rest of Vigil sees it: one DeliveryQueue per configured destination behind
 * one object. `deliver()` fans an alert out to every queue and returns at once; dead letters are retried
 * by the destination name they carry.
 */
import { invalidInput, VigilError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { AlertSender } from './alert-sender.js';
import type { DeliverableAlert } from './deliverable-alert.js';
import {
  type DeadLetter,
  type DeadLetterSink,
  DeliveryQueue,
  type DeliveryQueueOptions,
  type DeliveryStats,
  type RetryResult,
  retryDeadLetter,
} from './delivery-queue.js';
import { createSender, type Destination, describeDestination, type SenderOptions } from './destination.js';

export interface AlertDeliveryOptions extends Omit<DeliveryQueueOptions, 'name'> {
  sender?: SenderOptions;
  logger?: Logger;
  /** Builds the sender for a destination; tests replace it. */
  createSender?: (d: Destination, opts: SenderOptions) => AlertSender;
}

export class AlertDelivery {
  readonly #routes = new Map<string, { queue: DeliveryQueue; sender: AlertSender }>();

  /** Destinations must have distinct names (their `name`, or the described address). */
  constructor(destinations: Destination[], sink: DeadLetterSink, opts: AlertDeliveryOptions = {}) {
    const { sender: senderOpts = {}, createSender: make = createSender, ...queueOpts } = opts;
    for (const d of destinations) {
      const name = describeDestination(d);
      if (this.#routes.has(name)) {
        throw invalidInput('Invalid alert destinations', [
          { reason: `two destinations are named ${name}; give one a distinct "name"` },
        ]);
      }
      const sender = make(d, senderOpts);
      this.#routes.set(name, { sender, queue: new DeliveryQueue(sender, sink, { ...queueOpts, name }) });
    }
  }

  get destinations(): string[] {
    return [...this.#routes.keys()];
  }

  /** Queues the alert for every destination; never waits for the network. */
  deliver(alert: DeliverableAlert): void {
    for (const { queue } of this.#routes.values()) queue.enqueue(alert);
  }

  stats(): DeliveryStats[] {
    return [...this.#routes.values()].map(({ queue }) => queue.stats());
  }

  /** Sends a dead letter once, now, to the destination it failed at. */
  retry(letter: DeadLetter): Promise<RetryResult> {
    return retryDeadLetter(letter, this.#route(letter).sender);
  }

  /** Puts a dead letter back in its destination's queue (retried with backoff like a new alert). */
  requeue(letter: DeadLetter): void {
    this.#route(letter).queue.requeue(letter);
  }

  drain(): Promise<void> {
    return Promise.all([...this.#routes.values()].map(({ queue }) => queue.drain())).then(() => {});
  }

  close(opts: { graceMs?: number } = {}): Promise<void> {
    return Promise.all([...this.#routes.values()].map(({ queue }) => queue.close(opts))).then(() => {});
  }

  #route(letter: DeadLetter) {
    const r = this.#routes.get(letter.destination);
    if (!r) {
      throw new VigilError('conflict', `Destination ${letter.destination} is no longer configured`);
    }
    return r;
  }
}
