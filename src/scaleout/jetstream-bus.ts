/**
 * @module The EventBus (monitor/event-bus.ts) over NATS JetStream, so roles in different processes meet
 * on it: ingest publishes `source-run` after each commit, the monitor role (one or more processes)
 * consumes it. Each topic is one subject `<prefix>.events.<topic>` of the events stream; each subscriber
 * is its own consumer starting at new messages, so a slow or failing subscriber holds back nobody else.
 * As in-process: `publish` returns at once and never throws (failures are logged), a handler that throws
 * is logged and forgotten, and an event reaches the subscribers that existed when it was published
 * (publishing waits until their consumers exist). `idle()` waits until every event published so far was
 * handled by every subscriber of this bus.
 */
import { randomBytes } from 'node:crypto';
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
} from 'nats';
import type { Logger } from '../log.js';
import type { EventBus, EventHandler, Subscription, Topic, VigilEvents } from '../monitor/event-bus.js';
import { eventSubject } from './subjects.js';

interface Sub {
  topic: Topic;
  id: number;
  name: string;
  handler: (event: unknown) => void | Promise<void>;
  ready: Promise<void>;
  active: boolean;
  messages: ConsumerMessages | null;
  running: Set<Promise<void>>;
}

const NS = 1_000_000_000;

export class JetStreamEventBus implements EventBus {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: Promise<JetStreamManager>;
  readonly #prefix: string;
  readonly #stream: string;
  readonly #log: Pick<Logger, 'error'> | undefined;
  readonly #subs = new Map<number, Sub>();
  readonly #pending = new Set<Promise<unknown>>();
  #nextId = 1;

  constructor(nc: NatsConnection, opts: { prefix: string; stream: string; log?: Pick<Logger, 'error'> }) {
    this.#nc = nc;
    this.#js = nc.jetstream();
    this.#jsm = nc.jetstreamManager();
    this.#prefix = opts.prefix;
    this.#stream = opts.stream;
    this.#log = opts.log;
  }

  publish<T extends Topic>(topic: T, event: VigilEvents[T]): void {
    const ready = [...this.#subs.values()].filter((s) => s.topic === topic && s.active).map((s) => s.ready);
    const data = Buffer.from(JSON.stringify(event), 'utf8');
    const run = Promise.all(ready)
      .then(() => {
        if (data.length > this.#nc.info!.max_payload)
          throw new Error(`event of ${data.length} bytes is larger than the server's max_payload`);
        return this.#js.publish(eventSubject(this.#prefix, topic), data);
      })
      .catch((err: unknown) => this.#error({ topic, err: errText(err) }, 'event publish failed'))
      .finally(() => this.#pending.delete(run));
    this.#pending.add(run);
  }

  subscribe<T extends Topic>(topic: T, handler: EventHandler<T>): Subscription {
    const id = this.#nextId++;
    const sub: Sub = {
      topic,
      id,
      name: `bus-${topic}-${randomBytes(6).toString('hex')}`,
      handler: handler as Sub['handler'],
      ready: Promise.resolve(),
      active: true,
      messages: null,
      running: new Set(),
    };
    sub.ready = this.#start(sub).catch((err: unknown) =>
      this.#error({ topic, subscriber: id, err: errText(err) }, 'event subscription failed'),
    );
    this.#subs.set(id, sub);
    return { topic, id };
  }

  unsubscribe(subscription: Subscription): void {
    const sub = this.#subs.get(subscription.id);
    if (!sub) return;
    this.#subs.delete(subscription.id);
    sub.active = false;
    const gone = sub.ready
      .then(async () => {
        sub.messages?.stop();
        await (await this.#jsm).consumers.delete(this.#stream, sub.name).catch(() => false);
      })
      .finally(() => this.#pending.delete(gone));
    this.#pending.add(gone);
  }

  async idle(): Promise<void> {
    for (;;) {
      while (this.#pending.size) await Promise.all([...this.#pending]);
      let busy = false;
      for (const sub of [...this.#subs.values()]) {
        await sub.ready;
        while (sub.running.size) {
          busy = true;
          await Promise.all([...sub.running]);
        }
        const info = await (await this.#jsm).consumers.info(this.#stream, sub.name).catch(() => null);
        if (info && (info.num_pending > 0 || info.num_ack_pending > 0 || sub.running.size)) busy = true;
      }
      if (!busy && this.#pending.size === 0) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Unsubscribes everything (deleting the consumers) and waits for in-flight work. */
  async close(): Promise<void> {
    for (const sub of [...this.#subs.values()]) this.unsubscribe(sub);
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }

  async #start(sub: Sub): Promise<void> {
    const jsm = await this.#jsm;
    await jsm.consumers.add(this.#stream, {
      name: sub.name,
      filter_subject: eventSubject(this.#prefix, sub.topic),
      deliver_policy: DeliverPolicy.New,
      ack_policy: AckPolicy.Explicit,
      // A subscriber whose process died without unsubscribing is cleaned up by the server.
      inactive_threshold: 300 * NS,
    });
    const consumer = await this.#js.consumers.get(this.#stream, sub.name);
    const messages = await consumer.consume({ max_messages: 256 });
    sub.messages = messages;
    void (async () => {
      for await (const m of messages) {
        m.ack();
        if (!sub.active) continue;
        let event: unknown;
        try {
          event = m.json();
        } catch (err) {
          this.#error({ topic: sub.topic, subscriber: sub.id, err: errText(err) }, 'event not JSON');
          continue;
        }
        const run = Promise.resolve()
          .then(() => sub.handler(event))
          .catch((err: unknown) =>
            this.#error({ topic: sub.topic, subscriber: sub.id, err: errText(err) }, 'event handler failed'),
          )
          .finally(() => sub.running.delete(run));
        sub.running.add(run);
      }
    })();
  }

  #error(obj: Record<string, unknown>, msg: string): void {
    if (this.#log) this.#log.error(obj, msg);
    else process.stderr.write(`vigil: ${msg}: ${JSON.stringify(obj)}\n`);
  }
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));
