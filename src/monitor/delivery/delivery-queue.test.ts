import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../log.js';
import { DeliveryQueue, type DeliveryQueueOptions, retryDeadLetter } from './delivery-queue.js';
import {
  ManualClock,
  MemoryDeadLetterSink,
  makeAlert,
  ScriptedSender,
  settle,
} from './delivery-test-fixtures.js';

function setup(
  script: ConstructorParameters<typeof ScriptedSender>[0] = [],
  opts: DeliveryQueueOptions = {},
) {
  const clock = new ManualClock();
  const sender = new ScriptedSender(script);
  const sink = new MemoryDeadLetterSink();
  const sut = new DeliveryQueue(sender, sink, { clock, random: () => 0.5, ...opts });
  return { clock, sender, sink, sut };
}

describe('DeliveryQueue', () => {
  it('enqueue returns before any send starts, even when the receiver never answers', async () => {
    const { sender, sut } = setup(['hang']);
    sut.enqueue(makeAlert());
    sut.enqueue(makeAlert());
    expect(sender.attempts).toHaveLength(0);
    expect(sut.stats().queued).toBe(2);
    await settle();
    expect(sender.attempts).toHaveLength(1);
    expect(sut.stats().queued).toBe(2);
    sender.releaseHung();
  });

  it('sends in order and drains', async () => {
    const { sender, sut } = setup();
    const alerts = [makeAlert(), makeAlert({ severity: 'critical' }), makeAlert({ severity: 'low' })];
    for (const a of alerts) sut.enqueue(a);
    await sut.drain();
    expect(sender.delivered.map((a) => a.id)).toEqual(alerts.map((a) => a.id));
    expect(sut.stats()).toMatchObject({ sent: 3, retried: 0, deadLettered: 0, queued: 0, lastError: null });
  });

  it('retries with exponential backoff and jitter, keeping one delivery id across attempts', async () => {
    const { clock, sender, sut } = setup(['retry', 'retry', 'retry', 'ok'], { initialDelayMs: 1000 });
    sut.enqueue(makeAlert());
    await settle();
    // random() = 0.5: half the exponential delay fixed plus a quarter → 750, 1500, 3000.
    expect(clock.pending).toEqual([750]);
    await clock.advance(749);
    expect(sender.attempts).toHaveLength(1);
    await clock.advance(1);
    expect(clock.pending).toEqual([1500]);
    await clock.advance(1500);
    expect(clock.pending).toEqual([3000]);
    expect(sut.stats().lastError).toBe('connect ECONNREFUSED 127.0.0.1:9');
    await clock.advance(3000);
    await sut.drain();
    expect(sender.attempts.map((a) => a.attempt.attempt)).toEqual([1, 2, 3, 4]);
    expect(new Set(sender.attempts.map((a) => a.attempt.deliveryId)).size).toBe(1);
    expect(sut.stats()).toMatchObject({ sent: 1, retried: 3, deadLettered: 0, lastError: null });
  });

  it('caps the backoff at maxDelayMs but honours a longer Retry-After', async () => {
    const { clock, sut } = setup(['retry', 'retry', 'retry', { retryAfterMs: 60_000 }], {
      initialDelayMs: 1000,
      maxDelayMs: 2000,
    });
    sut.enqueue(makeAlert());
    await settle();
    expect(clock.pending).toEqual([750]);
    await clock.advance(750);
    expect(clock.pending).toEqual([1500]);
    await clock.advance(1500);
    expect(clock.pending).toEqual([1500]);
    await clock.advance(1500);
    expect(clock.pending).toEqual([60_000]);
  });

  it('dead-letters after maxAttempts with the attempt times and last error', async () => {
    const { clock, sink, sut } = setup(['retry', 'retry', 'retry'], { maxAttempts: 3, initialDelayMs: 1000 });
    const alert = makeAlert();
    sut.enqueue(alert);
    await clock.advance(10_000);
    await sut.drain();
    expect(sink.letters).toEqual([
      {
        message: alert,
        destination: 'scripted://test',
        reason: 'failed',
        attempts: 3,
        lastError: 'connect ECONNREFUSED 127.0.0.1:9',
        firstAttemptAt: '2026-11-29T00:00:00.000Z',
        lastAttemptAt: '2026-11-29T00:00:02.250Z',
        enqueuedAt: '2026-11-29T00:00:00.000Z',
        deliveryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    ]);
    expect(sut.stats()).toMatchObject({ sent: 0, retried: 2, deadLettered: 1, queued: 0 });
  });

  it('dead-letters a permanent refusal at once and carries on with the next alert', async () => {
    const { sender, sink, sut } = setup(['reject', 'ok']);
    const [bad, good] = [makeAlert(), makeAlert()];
    sut.enqueue(bad);
    sut.enqueue(good);
    await sut.drain();
    expect(sink.letters.map((l) => [l.message.id, l.reason, l.attempts, l.lastError])).toEqual([
      [bad.id, 'rejected', 1, 'HTTP 400'],
    ]);
    expect(sender.delivered.map((a) => a.id)).toEqual([good.id]);
  });

  it('dead-letters as expired when the next try would fall after maxAgeMs', async () => {
    const { clock, sender, sink, sut } = setup(Array(100).fill('retry'), {
      maxAgeMs: 10_000,
      initialDelayMs: 2000,
      maxAttempts: 100,
    });
    sut.enqueue(makeAlert());
    await clock.advance(60_000);
    await sut.drain();
    // Tries at 0, 1.5 s and 4.5 s; the next would be at 10.5 s.
    expect(sink.letters.map((l) => [l.reason, l.attempts, l.lastAttemptAt])).toEqual([
      ['expired', 3, '2026-11-29T00:00:04.500Z'],
    ]);
    expect(sender.attempts).toHaveLength(3);
  });

  it('expires, untried, an alert that waited behind a stuck attempt longer than maxAgeMs', async () => {
    const { clock, sender, sink, sut } = setup(['hang'], { maxAgeMs: 10_000, maxAttempts: 1 });
    const [a, b] = [makeAlert(), makeAlert()];
    sut.enqueue(a);
    sut.enqueue(b);
    await settle();
    await clock.advance(20_000);
    sender.releaseHung();
    await sut.drain();
    expect(sink.letters.map((l) => [l.message.id, l.reason, l.attempts, l.lastError])).toEqual([
      [a.id, 'failed', 1, 'timed out'],
      [b.id, 'expired', 0, 'timed out'],
    ]);
  });

  it('when full, evicts the oldest of the lowest severity, or the new alert when all waiting are more severe', async () => {
    const { sender, sink, sut } = setup(['hang'], { capacity: 3 });
    const inFlight = makeAlert({ severity: 'info' });
    sut.enqueue(inFlight);
    await settle(); // now being sent, so not in the waiting count
    const low1 = makeAlert({ severity: 'low' });
    const medium = makeAlert({ severity: 'medium' });
    const low2 = makeAlert({ severity: 'low' });
    for (const a of [low1, medium, low2]) sut.enqueue(a);
    const high = makeAlert({ severity: 'high' });
    sut.enqueue(high); // evicts low1 (oldest low)
    const info = makeAlert({ severity: 'info' });
    sut.enqueue(info); // everything waiting is more severe: info itself goes
    const critical = makeAlert({ severity: 'critical' });
    sut.enqueue(critical); // evicts low2
    await settle();
    expect(sink.letters.map((l) => [l.message.id, l.reason, l.attempts])).toEqual([
      [low1.id, 'queue-full', 0],
      [info.id, 'queue-full', 0],
      [low2.id, 'queue-full', 0],
    ]);
    expect(sink.letters[0]!.lastError).toBe('queue full (3 waiting)');
    expect(sut.stats()).toMatchObject({ queued: 4, deadLettered: 3 });
    sender.script('ok');
    sender.releaseHung(); // the in-flight attempt fails (timed out) and is retried after backoff
  });

  it('close() drains within the grace period, then dead-letters what is left as shutdown and closes the sender', async () => {
    const { clock, sender, sink, sut } = setup(Array(100).fill('retry'), {
      initialDelayMs: 1000,
      maxAttempts: 100,
    });
    const [a, b] = [makeAlert(), makeAlert()];
    sut.enqueue(a);
    sut.enqueue(b);
    await clock.advance(2000);
    const closing = sut.close({ graceMs: 5000 });
    await clock.advance(5000);
    await closing;
    expect(sink.letters.map((l) => [l.message.id, l.reason])).toEqual([
      [a.id, 'shutdown'],
      [b.id, 'shutdown'],
    ]);
    expect(sink.letters[0]!.attempts).toBeGreaterThan(1);
    expect(sink.letters[0]!.lastError).toBe('connect ECONNREFUSED 127.0.0.1:9');
    expect(sender.closed).toBe(true);
    const late = makeAlert();
    sut.enqueue(late);
    await sut.drain();
    expect(sink.letters.at(-1)).toMatchObject({ message: { id: late.id }, reason: 'shutdown', attempts: 0 });
    expect(sut.stats().queued).toBe(0);
  });

  it('close() delivers what it can within the grace period', async () => {
    const { sender, sink, sut } = setup();
    sut.enqueue(makeAlert());
    sut.enqueue(makeAlert());
    await sut.close();
    expect(sender.delivered).toHaveLength(2);
    expect(sink.letters).toEqual([]);
  });

  it('counts and logs a dead letter the sink could not store, naming the alert', async () => {
    const lines: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    const { sink, sut } = setup(['reject'], { logger });
    sink.failWith = new Error('database is locked');
    const alert = makeAlert();
    sut.enqueue(alert);
    await sut.drain();
    expect(sut.stats()).toMatchObject({ deadLettered: 1, deadLetterFailures: 1 });
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.find((l) => l.level === 50)).toMatchObject({
      alertId: alert.id,
      msg: 'could not store a dead letter: this alert was not delivered',
    });
  });

  it('requeue() re-sends a dead letter with fresh attempts and the same delivery id', async () => {
    const { sender, sink, sut } = setup(['reject', 'ok']);
    sut.enqueue(makeAlert());
    await sut.drain();
    const letter = sink.letters[0]!;
    sut.requeue(letter);
    await sut.drain();
    expect(sender.delivered.map((a) => a.id)).toEqual([letter.message.id]);
    expect(sender.attempts.map((a) => a.attempt)).toEqual([
      { deliveryId: letter.deliveryId, attempt: 1 },
      { deliveryId: letter.deliveryId, attempt: 1 },
    ]);
  });

  it('retryDeadLetter() sends once and reports the outcome', async () => {
    const { sink, sut } = setup(['reject']);
    sut.enqueue(makeAlert());
    await sut.drain();
    const letter = sink.letters[0]!;
    const other = new ScriptedSender(['retry', 'reject', 'ok']);
    expect(await retryDeadLetter(letter, other)).toEqual({
      ok: false,
      error: 'connect ECONNREFUSED 127.0.0.1:9',
      retryable: true,
    });
    expect(await retryDeadLetter(letter, other)).toEqual({ ok: false, error: 'HTTP 400', retryable: false });
    expect(await retryDeadLetter(letter, other)).toEqual({ ok: true });
    expect(other.attempts.map((a) => a.attempt)).toEqual(
      Array(3).fill({ deliveryId: letter.deliveryId, attempt: 2 }),
    );
  });

  it('refuses nonsensical options', () => {
    const s = new ScriptedSender();
    const k = new MemoryDeadLetterSink();
    expect(() => new DeliveryQueue(s, k, { capacity: 0 })).toThrow(/capacity must be a positive number/);
    expect(() => new DeliveryQueue(s, k, { maxAttempts: Number.NaN })).toThrow(/maxAttempts/);
  });
});
