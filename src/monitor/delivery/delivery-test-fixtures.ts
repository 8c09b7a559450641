/**
 * @module Test helpers for alert delivery: an alert factory, a clock tests move by hand, a dead-letter
 * sink that remembers, and a sender whose answers a test scripts. Not used by production code.
 */
import type { AlertSender, DeliveryAttempt } from './alert-sender.js';
import { DeliveryError } from './alert-sender.js';
import type { DeliverableAlert } from './deliverable-alert.js';
import type { Clock, DeadLetter, DeadLetterSink, QueuedMessage } from './delivery-queue.js';

let n = 0;

/**
 * An alert as the alerts service would hand it over. The evidence is the Telnet session in the project's
 * capture `07-telnet-ftp-ssh-mqtt.pcap` (test/fixtures/captures; connection, time and packet number as
 * `tcpdump -nr` shows them).
 */
export function makeAlert(over: Partial<DeliverableAlert> = {}): DeliverableAlert {
  n++;
  return {
    id: `0193a1c2-7d4e-7000-8000-${String(n).padStart(12, '0')}`,
    rule: 'cleartext-login',
    severity: 'high',
    title: 'Telnet login in cleartext to an infusion pump',
    state: 'new',
    deviceId: '0193a1c2-0000-7000-8000-000000000042',
    assetTag: 'PUMP-0042',
    // The asset tag is the label when there is one (inventory/device-label.ts).
    deviceLabel: 'PUMP-0042',
    siteId: '0193a1c2-0000-7000-8000-000000000001',
    subject: 'telnet:23',
    firstSeen: '2026-11-28T23:55:20.401Z',
    lastSeen: '2026-11-28T23:55:20.412Z',
    count: 3,
    evidence: [
      {
        time: '2026-11-28T23:55:20.412Z',
        connection: '10.20.0.50:56326 → 10.20.0.40:23/tcp',
        file: '07-telnet-ftp-ssh-mqtt.pcap',
        packet: 6,
        summary: 'Telnet option negotiation from the server: a cleartext login follows',
      },
    ],
    ...over,
  };
}

interface Sleeper {
  at: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A clock that only moves when the test says so; sleeps resolve as time passes them. */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];

  constructor(start = Date.parse('2026-11-29T00:00:00.000Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const s: Sleeper = { at: this.#now + ms, resolve, reject };
      this.#sleepers.push(s);
      signal.addEventListener('abort', () => {
        this.#sleepers = this.#sleepers.filter((x) => x !== s);
        reject(signal.reason);
      });
    });
  }

  /** Pending sleeps, as delays from now (what the queue is waiting for). */
  get pending(): number[] {
    return this.#sleepers.map((s) => s.at - this.#now);
  }

  /** Moves time forward, waking due sleepers in order and letting their work run in between. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      const due = this.#sleepers.filter((s) => s.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== due);
      this.#now = Math.max(this.#now, due.at);
      due.resolve();
    }
    this.#now = end;
    await settle();
  }
}

/** Lets queued promise callbacks and I/O callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

export class MemoryDeadLetterSink<M extends QueuedMessage = DeliverableAlert> implements DeadLetterSink<M> {
  readonly letters: DeadLetter<M>[] = [];
  /** Make the next calls fail, to test what happens when storage is down. */
  failWith: Error | null = null;

  async deadLetter(letter: DeadLetter<M>): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.letters.push(letter);
  }
}

export type Answer = 'ok' | 'retry' | 'reject' | 'hang' | { retryAfterMs: number };

/** A sender that answers from a script (then `ok`), recording every attempt. */
export class ScriptedSender implements AlertSender {
  readonly destination = 'scripted://test';
  readonly attempts: { alertId: string; attempt: DeliveryAttempt }[] = [];
  readonly delivered: DeliverableAlert[] = [];
  closed = false;
  #script: Answer[];
  #hung: (() => void)[] = [];

  constructor(script: Answer[] = []) {
    this.#script = [...script];
  }

  script(...answers: Answer[]): void {
    this.#script.push(...answers);
  }

  /** Lets every hung attempt fail (as a timeout would). */
  releaseHung(): void {
    for (const r of this.#hung.splice(0)) r();
  }

  async send(alert: DeliverableAlert, attempt: DeliveryAttempt): Promise<void> {
    this.attempts.push({ alertId: alert.id, attempt });
    const a = this.#script.shift() ?? 'ok';
    if (a === 'ok') {
      this.delivered.push(alert);
      return;
    }
    if (a === 'hang') {
      await new Promise<void>((r) => this.#hung.push(r));
      throw new DeliveryError('timed out', { retryable: true });
    }
    if (a === 'reject') throw new DeliveryError('HTTP 400', { retryable: false });
    if (a === 'retry') throw new DeliveryError('connect ECONNREFUSED 127.0.0.1:9', { retryable: true });
    throw new DeliveryError('HTTP 429', { retryable: true, retryAfterMs: a.retryAfterMs });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
