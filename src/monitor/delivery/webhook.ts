/**
 * @module Signed webhooks: each alert (or task event, tasks/task-events.ts) is POSTed as JSON with `X-Vigil-Timestamp` (Unix seconds) and
 * `X-Vigil-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, and receivers check both
 * with verifyWebhookSignature (constant-time, stale timestamps refused as replays). 2xx is success; 408,
 * 429, 5xx and network failures are retried; any other answer is final.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { VERSION } from '../../version.js';
import { type AlertSender, asDeliveryError, type DeliveryAttempt, DeliveryError } from './alert-sender.js';
import type { DeliverableAlert } from './deliverable-alert.js';

export const TIMESTAMP_HEADER = 'X-Vigil-Timestamp';
export const SIGNATURE_HEADER = 'X-Vigil-Signature';
export const DELIVERY_HEADER = 'X-Vigil-Delivery';
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The JSON body: `{ type, deliveryId, alert }` (docs/alert-delivery.md). */
export interface WebhookBody {
  type: 'vigil.alert';
  /** Same on every retry of one delivery: receivers drop duplicates by it. */
  deliveryId: string;
  alert: DeliverableAlert;
}

/** `sha256=<hex>` over `<timestamp>.<body>`: binding the timestamp stops a captured body being replayed later. */
export function signWebhook(secret: string, timestamp: number | string, body: string | Uint8Array): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `sha256=${mac}`;
}

export type WebhookSignatureProblem =
  | 'missing-timestamp'
  | 'malformed-timestamp'
  | 'stale-timestamp'
  | 'missing-signature'
  | 'malformed-signature'
  | 'bad-signature';

export interface VerifyOptions {
  now?: Date;
  toleranceSeconds?: number;
}

/**
 * Why a received webhook must be refused, or null when it is authentic and fresh. `rawBody` must be the
 * exact bytes received (re-serialised JSON would not match).
 */
export function webhookSignatureProblem(
  secret: string,
  timestampHeader: string | null | undefined,
  signatureHeader: string | null | undefined,
  rawBody: string | Uint8Array,
  opts: VerifyOptions = {},
): WebhookSignatureProblem | null {
  if (!timestampHeader) return 'missing-timestamp';
  if (!/^\d{1,15}$/.test(timestampHeader)) return 'malformed-timestamp';
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  // Both directions: a timestamp far in the future would otherwise stay "fresh" for a long time.
  if (Math.abs(now - Number(timestampHeader)) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return 'stale-timestamp';
  }
  if (!signatureHeader) return 'missing-signature';
  const m = /^sha256=([0-9a-f]{64})$/i.exec(signatureHeader.trim());
  if (!m) return 'malformed-signature';
  const expected = Buffer.from(signWebhook(secret, timestampHeader, rawBody).slice('sha256='.length), 'hex');
  return timingSafeEqual(expected, Buffer.from(m[1]!, 'hex')) ? null : 'bad-signature';
}

/** True when the webhook is authentic and its timestamp within the tolerance (default 300 s). */
export function verifyWebhookSignature(
  secret: string,
  timestampHeader: string | null | undefined,
  signatureHeader: string | null | undefined,
  rawBody: string | Uint8Array,
  opts: VerifyOptions = {},
): boolean {
  return webhookSignatureProblem(secret, timestampHeader, signatureHeader, rawBody, opts) === null;
}

export interface WebhookOptions {
  url: string;
  secret: string;
  /** Whole request, connect to answer; default 10 s. */
  timeoutMs?: number;
  now?: () => Date;
  fetch?: typeof fetch;
}

/** The URL without credentials, query or fragment: what logs and dead letters may show. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * A webhook URL as stored: `url` without query and fragment (what safeUrl shows) and `query`, the rest
 * (`?token=…`), which may carry a credential and is sealed apart (monitor/destination-secret.ts); null
 * and the URL unchanged when it has none. `url + query` is the URL again.
 */
export function splitUrlQuery(url: string): { url: string; query: string | null } {
  const u = new URL(url);
  const query = u.search + u.hash;
  return query ? { url: `${u.protocol}//${u.host}${u.pathname}`, query } : { url, query: null };
}

/** Retry-After as seconds or an HTTP date → milliseconds, capped at an hour. */
function retryAfterMs(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - now.getTime();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 3_600_000) : undefined;
}

/**
 * POSTs signed JSON bodies to one URL: what every webhook message (an alert, a task event) goes through,
 * so they share the signature, the headers, the timeout and which answers are retried.
 */
export interface WebhookPoster {
  readonly destination: string;
  /** Sends `body` (already JSON) once; rejects with DeliveryError. */
  post(body: string, deliveryId: string): Promise<void>;
  close(): Promise<void>;
}

export function createWebhookPoster(opts: WebhookOptions): WebhookPoster {
  const destination = `webhook ${safeUrl(opts.url)}`;
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? (() => new Date());
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let closed = false;
  return {
    destination,
    async post(body: string, deliveryId: string) {
      if (closed) throw new DeliveryError(`${destination}: closed`, { retryable: false });
      // Signed per attempt: a retry an hour later must not carry an hour-old timestamp.
      const timestamp = String(Math.floor(now().getTime() / 1000));
      let res: Response;
      try {
        res = await doFetch(opts.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': `Vigil/${VERSION}`,
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: signWebhook(opts.secret, timestamp, body),
            [DELIVERY_HEADER]: deliveryId,
          },
          body,
          // A redirect could carry the signed message to another host: treated as an answer, not followed.
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new DeliveryError(`${destination}: ${fetchFailure(err, timeoutMs)}`, {
          retryable: true,
          cause: err,
        });
      }
      // Nothing in the answer is used; cancelling frees the connection.
      await res.body?.cancel().catch(() => {});
      if (res.status >= 200 && res.status < 300) return;
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
      throw new DeliveryError(`${destination}: HTTP ${res.status}`, {
        retryable,
        retryAfterMs: retryable ? retryAfterMs(res.headers.get('retry-after'), now()) : undefined,
      });
    },
    async close() {
      closed = true;
    },
  };
}

export function createWebhookSender(opts: WebhookOptions): AlertSender {
  const poster = createWebhookPoster(opts);
  return {
    destination: poster.destination,
    send: (alert: DeliverableAlert, attempt: DeliveryAttempt) =>
      poster.post(
        JSON.stringify({
          type: 'vigil.alert',
          deliveryId: attempt.deliveryId,
          alert,
        } satisfies WebhookBody),
        attempt.deliveryId,
      ),
    close: () => poster.close(),
  };
}

/** fetch's "fetch failed" says nothing: the cause's code (ECONNREFUSED, a TLS error) is what helps. */
function fetchFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = (err as { cause?: unknown } | null)?.cause;
  return asDeliveryError(cause ?? err).message;
}
