/**
 * @module The event bus observations and alerts travel on: typed topics (`source-run`, `alert-raised`,
 * `alert-state-changed`, `task-events-queued`), publish/subscribe/unsubscribe. `EventBus` is the interface a distributed
 * transport (NATS JetStream, issue 9) implements later; `InProcessEventBus` is the one Vigil runs today.
 * Publishing never waits for subscribers and never fails because of them: each handler runs on its own,
 * after the publisher's turn, and a handler that throws or rejects is logged and forgotten, so a slow
 * syslog server or a buggy rule cannot stall or break detection.
 */
import type { ApplyReport } from '../discovery/apply-source-result.js';
import type { SourceResult } from '../discovery/host-observation.js';
import type { Logger } from '../log.js';
import type { Alert, AlertState } from './alerts-service.js';

/** One source file or sensor batch applied to the inventory. */
export interface SourceRunEvent {
  importId: string;
  kind: string;
  file: string;
  report: ApplyReport;
  result: SourceResult;
}

export interface AlertRaisedEvent {
  /** Created, or re-opened by a re-occurrence. */
  alert: Alert;
  reason: 'created' | 'reopened';
}

export interface AlertStateChangedEvent {
  alert: Alert;
  from: AlertState;
  to: AlertState;
  actor: string;
  reason: string | null;
}

/** Task events were committed to the outbox (tasks/task-events.ts): the dispatcher sends them now. */
export interface TaskEventsQueuedEvent {
  deliveries: number;
}

/** Every topic and the shape of its events. A transport serialises these as JSON. */
export interface VigilEvents {
  'source-run': SourceRunEvent;
  'alert-raised': AlertRaisedEvent;
  'alert-state-changed': AlertStateChangedEvent;
  'task-events-queued': TaskEventsQueuedEvent;
}

export type Topic = keyof VigilEvents;
export type EventHandler<T extends Topic> = (event: VigilEvents[T]) => void | Promise<void>;

/** What `subscribe` returns; pass it to `unsubscribe`. */
export interface Subscription {
  readonly topic: Topic;
  readonly id: number;
}

export interface EventBus {
  /** Hands the event to every current subscriber of the topic; returns at once. */
  publish<T extends Topic>(topic: T, event: VigilEvents[T]): void;
  subscribe<T extends Topic>(topic: T, handler: EventHandler<T>): Subscription;
  unsubscribe(subscription: Subscription): void;
  /** Resolves when every handler started so far has finished (tests, orderly shutdown). */
  idle(): Promise<void>;
}

type AnyHandler = (event: unknown) => void | Promise<void>;

export class InProcessEventBus implements EventBus {
  readonly #handlers = new Map<Topic, Map<number, AnyHandler>>();
  readonly #running = new Set<Promise<void>>();
  readonly #log: Pick<Logger, 'error'> | undefined;
  #nextId = 1;

  /** Handler failures go to `log`; without one they are written to stderr. */
  constructor(opts: { log?: Pick<Logger, 'error'> } = {}) {
    this.#log = opts.log;
  }

  publish<T extends Topic>(topic: T, event: VigilEvents[T]): void {
    const handlers = this.#handlers.get(topic);
    if (!handlers) return;
    // A snapshot: a handler that subscribes or unsubscribes does not change this delivery.
    for (const [id, handler] of [...handlers]) {
      const run = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => handler(event))
        .catch((err: unknown) => this.#failed(topic, id, err))
        .finally(() => this.#running.delete(run));
      this.#running.add(run);
    }
  }

  subscribe<T extends Topic>(topic: T, handler: EventHandler<T>): Subscription {
    const id = this.#nextId++;
    let handlers = this.#handlers.get(topic);
    if (!handlers) {
      handlers = new Map();
      this.#handlers.set(topic, handlers);
    }
    handlers.set(id, handler as AnyHandler);
    return { topic, id };
  }

  unsubscribe(subscription: Subscription): void {
    this.#handlers.get(subscription.topic)?.delete(subscription.id);
  }

  async idle(): Promise<void> {
    while (this.#running.size) await Promise.all([...this.#running]);
  }

  /** Subscribers of a topic (for status output and tests). */
  subscriberCount(topic: Topic): number {
    return this.#handlers.get(topic)?.size ?? 0;
  }

  #failed(topic: Topic, id: number, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.#log) this.#log.error({ topic, subscriber: id, err: message }, 'event handler failed');
    else process.stderr.write(`vigil: event handler ${id} for ${topic} failed: ${message}\n`);
  }
}

let shared: InProcessEventBus | undefined;

/** The process's bus: importers, the alerts service and the dispatcher meet here unless given another. */
export function processEventBus(): InProcessEventBus {
  shared ??= new InProcessEventBus();
  return shared;
}
