import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryError } from './alert-sender.js';
import { DeliveryQueue } from './delivery-queue.js';
import { MemoryDeadLetterSink, makeAlert } from './delivery-test-fixtures.js';
import {
  createWebhookSender,
  signWebhook,
  verifyWebhookSignature,
  type WebhookBody,
  webhookSignatureProblem,
} from './webhook.js';

const SECRET = 'wh-secret-0123456789abcdef0123456789abcdef';

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
  url: string;
}

/** A real receiver on loopback that answers from a script of status codes (then 200). */
class Receiver {
  readonly received: Received[] = [];
  statuses: number[] = [];
  extraHeaders: Record<string, string> = {};
  server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks), url: req.url ?? '' });
        res.writeHead(this.statuses.shift() ?? 200, this.extraHeaders);
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/vigil`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const receiver = new Receiver();
beforeAll(() => receiver.start());
afterAll(() => receiver.stop());
beforeEach(() => {
  receiver.received.length = 0;
  receiver.statuses = [];
  receiver.extraHeaders = {};
});

const header = (r: Received, name: string) => r.headers[name.toLowerCase()] as string | undefined;

describe('webhook delivery to a local HTTP receiver', () => {
  it('POSTs the alert as JSON with a timestamp and a signature the receiver verifies', async () => {
    const sut = createWebhookSender({ url: `${receiver.url}?token=abc`, secret: SECRET });
    const alert = makeAlert();
    await sut.send(alert, { deliveryId: 'd-1', attempt: 1 });
    const [r] = receiver.received;
    expect(r!.url).toBe('/hooks/vigil?token=abc');
    expect(header(r!, 'content-type')).toBe('application/json');
    expect(header(r!, 'x-vigil-delivery')).toBe('d-1');
    const ts = header(r!, 'x-vigil-timestamp')!;
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    expect(header(r!, 'x-vigil-signature')).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, ts, header(r!, 'x-vigil-signature'), r!.body)).toBe(true);
    expect(JSON.parse(r!.body.toString('utf8'))).toEqual({
      type: 'vigil.alert',
      deliveryId: 'd-1',
      alert,
    } satisfies WebhookBody);
    // The destination shown in logs and dead letters has no query (it may carry a token).
    expect(sut.destination).toBe(`webhook ${receiver.url}`);
  });

  it('a tampered body, another secret or a stale timestamp fail verification', async () => {
    const sut = createWebhookSender({ url: receiver.url, secret: SECRET });
    await sut.send(makeAlert(), { deliveryId: 'd-2', attempt: 1 });
    const [r] = receiver.received;
    const ts = header(r!, 'x-vigil-timestamp')!;
    const sig = header(r!, 'x-vigil-signature')!;
    const tampered = Buffer.from(r!.body.toString('utf8').replace('"high"', '"low"'));
    expect(webhookSignatureProblem(SECRET, ts, sig, tampered)).toBe('bad-signature');
    expect(webhookSignatureProblem(`${SECRET}x`, ts, sig, r!.body)).toBe('bad-signature');
    const later = new Date((Number(ts) + 301) * 1000);
    expect(webhookSignatureProblem(SECRET, ts, sig, r!.body, { now: later })).toBe('stale-timestamp');
    expect(verifyWebhookSignature(SECRET, ts, sig, r!.body, { now: later, toleranceSeconds: 600 })).toBe(
      true,
    );
    // Replaying the body under a fresh timestamp does not verify: the timestamp is signed.
    expect(webhookSignatureProblem(SECRET, String(Number(ts) + 1), sig, r!.body)).toBe('bad-signature');
  });

  it('through the queue: 500 then 200 is retried and delivered once, with one delivery id', async () => {
    receiver.statuses = [500, 503];
    const sink = new MemoryDeadLetterSink();
    const sut = new DeliveryQueue(createWebhookSender({ url: receiver.url, secret: SECRET }), sink, {
      initialDelayMs: 5,
    });
    sut.enqueue(makeAlert());
    await sut.drain();
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => header(r, 'x-vigil-delivery'))).size).toBe(1);
    expect(sink.letters).toEqual([]);
    expect(sut.stats()).toMatchObject({ sent: 1, retried: 2, deadLettered: 0 });
    await sut.close();
  });

  it('through the queue: 400 is dead-lettered at once, naming the status and not the secret', async () => {
    receiver.statuses = [400];
    const sink = new MemoryDeadLetterSink();
    const sut = new DeliveryQueue(
      createWebhookSender({ url: `${receiver.url}?k=${SECRET}`, secret: SECRET }),
      sink,
      {
        initialDelayMs: 5,
      },
    );
    const alert = makeAlert();
    sut.enqueue(alert);
    await sut.drain();
    expect(receiver.received).toHaveLength(1);
    expect(sink.letters).toMatchObject([
      {
        message: { id: alert.id },
        reason: 'rejected',
        attempts: 1,
        lastError: `webhook ${receiver.url}: HTTP 400`,
      },
    ]);
    expect(JSON.stringify(sink.letters)).not.toContain(SECRET);
    await sut.close();
  });

  it('408, 429 and 5xx are retryable (429 with its Retry-After); 3xx and other 4xx are final', async () => {
    const sut = createWebhookSender({ url: receiver.url, secret: SECRET });
    const outcome = async (status: number) => {
      receiver.statuses = [status];
      try {
        await sut.send(makeAlert(), { deliveryId: 'x', attempt: 1 });
        return 'ok';
      } catch (e) {
        const d = e as DeliveryError;
        return [d.retryable, d.retryAfterMs];
      }
    };
    receiver.extraHeaders = { 'retry-after': '120' };
    expect(await outcome(429)).toEqual([true, 120_000]);
    receiver.extraHeaders = { location: 'https://elsewhere.example/' };
    expect(await outcome(302)).toEqual([false, undefined]);
    receiver.extraHeaders = {};
    expect(await outcome(408)).toEqual([true, undefined]);
    expect(await outcome(502)).toEqual([true, undefined]);
    expect(await outcome(401)).toEqual([false, undefined]);
    expect(await outcome(404)).toEqual([false, undefined]);
    expect(await outcome(204)).toBe('ok');
    // The redirect was not followed.
    expect(receiver.received).toHaveLength(7);
  });

  it('a receiver that is down is a retryable error naming the cause', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const sut = createWebhookSender({ url: `http://127.0.0.1:${port}/x`, secret: SECRET });
    const err = await sut.send(makeAlert(), { deliveryId: 'x', attempt: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).retryable).toBe(true);
    expect((err as DeliveryError).message).toMatch(
      new RegExp(`^webhook http://127.0.0.1:${port}/x: .*ECONNREFUSED`),
    );
  });

  it('a receiver that never answers times out (retryable)', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    const sut = createWebhookSender({ url: `http://127.0.0.1:${port}/`, secret: SECRET, timeoutMs: 200 });
    const err = (await sut
      .send(makeAlert(), { deliveryId: 'x', attempt: 1 })
      .catch((e: unknown) => e)) as DeliveryError;
    expect([err.retryable, err.message]).toEqual([
      true,
      `webhook http://127.0.0.1:${port}/: no answer within 200 ms`,
    ]);
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
  });
});

describe('verifyWebhookSignature', () => {
  const now = new Date('2026-11-29T06:00:00Z');
  const ts = String(now.getTime() / 1000);

  it('says what is wrong with malformed headers', () => {
    const body = '{"a":1}';
    const sig = signWebhook(SECRET, ts, body);
    const check = (t: string | undefined, s: string | undefined) =>
      webhookSignatureProblem(SECRET, t, s, body, { now });
    expect(check(ts, sig)).toBeNull();
    expect(check(ts, sig.toUpperCase().replace('SHA256', 'sha256'))).toBeNull();
    expect(check(undefined, sig)).toBe('missing-timestamp');
    expect(check('12.5', sig)).toBe('malformed-timestamp');
    expect(check(String(Number(ts) + 301), sig)).toBe('stale-timestamp');
    expect(check(ts, undefined)).toBe('missing-signature');
    expect(check(ts, sig.slice(7))).toBe('malformed-signature');
    expect(check(ts, `${sig}00`)).toBe('malformed-signature');
    expect(check(ts, `sha1=${sig.slice(7)}`)).toBe('malformed-signature');
  });

  it('matches the documented scheme: HMAC-SHA256 of "<timestamp>.<body>" (computed independently)', async () => {
    const { createHmac } = await import('node:crypto');
    const body = '{"type":"vigil.alert"}';
    const hex = createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex');
    expect(signWebhook(SECRET, ts, body)).toBe(`sha256=${hex}`);
  });

  it('accepts what was signed and refuses any change to the body (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (body, pos, flip) => {
          const raw = Buffer.from(body);
          const sig = signWebhook(SECRET, ts, raw);
          expect(verifyWebhookSignature(SECRET, ts, sig, raw, { now })).toBe(true);
          const changed = Buffer.from(raw);
          changed[pos % changed.length]! ^= flip;
          expect(verifyWebhookSignature(SECRET, ts, sig, changed, { now })).toBe(false);
        },
      ),
    );
  });
});
