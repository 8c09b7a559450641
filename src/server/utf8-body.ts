/**
 * @module Refusing a JSON or text request body that is not UTF-8 before any route reads it. Hono's
 * `c.req.json()`/`c.req.text()` decode leniently, so a Windows-1252 "é" would otherwise be stored as
 * U+FFFD in a device name or a finding's reason; the client is told the byte and its offset instead.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { describeNotUtf8, firstNotUtf8, type NotUtf8 } from '../formats/utf8.js';

/** JSON (`application/json`, `application/scim+json`, any `+json`) and text (`text/csv`, `text/plain`). */
const TEXTUAL = /^\s*(application\/(json|[^;\s]+\+json)|text\/[^;\s]+)\s*(;|$)/i;

/** The 1-based line the byte at `offset` is on, for a client finding it in an editor. */
export function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/**
 * Reads a textual body once and refuses it with `refuse` when it is not UTF-8. Mount it after the body
 * limit, which has already refused a declared or streamed body over its cap, so this never holds more
 * than the limit. The bytes are put back as the request's body, so the route reads them as before.
 */
export function utf8Body(
  refuse: (bad: NotUtf8, reason: string, bytes: Uint8Array) => Error,
  skip: (c: Context) => boolean = () => false,
): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (!raw.body || !TEXTUAL.test(raw.headers.get('content-type') ?? '') || skip(c)) return next();
    const bytes = new Uint8Array(await raw.arrayBuffer());
    const bad = firstNotUtf8(
      bytes,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'),
    );
    if (bad) throw refuse(bad, `not UTF-8 text (${describeNotUtf8(bad)})`, bytes);
    c.req.raw = new Request(raw, { body: bytes });
    return next();
  };
}
