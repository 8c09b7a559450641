/**
 * @module The one interface every delivery transport implements (syslog over UDP/TCP/TLS, webhooks), and
 * the error a failed attempt raises. The delivery queue only knows this interface, so a new kind of
 * destination is one new file beside syslog.ts and webhook.ts.
 */
import type { DeliverableAlert } from './deliverable-alert.js';

export interface DeliveryAttempt {
  /** Stable across the retries of one queued message, so a receiver can drop duplicates. */
  deliveryId: string;
  /** 1 for the first attempt. */
  attempt: number;
}

/** Sends one kind of message (an alert, a task event) to one destination. */
export interface MessageSender<M> {
  /** Where it sends, for logs, metrics and dead letters: never contains a secret, credential or query. */
  readonly destination: string;
  /** Resolves once the receiver (or, for UDP and TCP, the kernel) has the message; rejects with DeliveryError. */
  send(message: M, attempt: DeliveryAttempt): Promise<void>;
  /** Closes connections; sends after close fail. */
  close(): Promise<void>;
}

export type AlertSender = MessageSender<DeliverableAlert>;

export class DeliveryError extends Error {
  /** False when trying again cannot help (a 4xx answer, a message too large): dead-lettered at once. */
  readonly retryable: boolean;
  /** The receiver asked to wait this long (HTTP Retry-After). */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, opts: { retryable: boolean; retryAfterMs?: number; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'DeliveryError';
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Any thrown value as a DeliveryError; unknown failures are retryable (the network is the usual cause). */
export function asDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code}: ` : '';
  return new DeliveryError(`${code}${message}`, { retryable: true, cause: err });
}
