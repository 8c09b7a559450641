/**
 * @module Streaming gunzip of an async stream of chunks that keeps everything decompressed before a problem
 * (truncated stream, trailing garbage, corrupt member) and reports the problem instead of throwing, with
 * memory bounded even for highly compressed input.
 *
 * @see RFC 1952 (gzip), §2.2 (a file is a series of members)
 */
import { createGunzip } from 'node:zlib';

/**
 * Compressed bytes handed to zlib per write, and writes in flight at once. zlib works on the thread pool
 * while JavaScript parses what it already produced; deflate expands at most ~1032:1, so the output waiting to
 * be consumed stays bounded (~128 MiB for a file of zeros, a few hundred KiB for real captures). On a damaged
 * stream zlib drops the output of the writes in flight: up to 128 KiB of compressed input before the damage.
 */
const PIECE_BYTES = 32 * 1024;
const MAX_IN_FLIGHT = 4;

/**
 * Yields the decompressed stream of `input` (several concatenated members are one stream, as for gzip -d).
 * A damaged stream ends the output after the last good bytes zlib handed over and calls `onProblem` with
 * zlib's message; errors of the input itself (I/O) are thrown.
 */
export async function* gunzipChunks(
  input: AsyncIterable<Uint8Array>,
  onProblem: (reason: string) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  const zlib = createGunzip();
  const out: Buffer[] = [];
  let failed: Error | null = null;
  let ended = false;
  let inFlight = 0;
  let notify: (() => void) | null = null;
  const wake = () => {
    const n = notify;
    notify = null;
    n?.();
  };
  const step = () =>
    new Promise<void>((resolve) => {
      notify = resolve;
    });
  // Flowing mode without pausing: output is never left in the stream's buffer, where an error would drop it.
  zlib.on('data', (chunk: Buffer) => {
    out.push(chunk);
    wake();
  });
  zlib.on('error', (error: Error) => {
    failed = error;
    wake();
  });
  zlib.on('end', () => {
    ended = true;
    wake();
  });
  const afterWrite = () => {
    inFlight--;
    wake();
  };
  const it = input[Symbol.asyncIterator]();
  let inputDone = false;
  try {
    while (failed === null && !ended) {
      const r = await it.next();
      if (r.done) {
        inputDone = true;
        break;
      }
      const chunk = r.value;
      for (let i = 0; i < chunk.length; i += PIECE_BYTES) {
        while (out.length > 0) yield out.shift()!;
        while (inFlight >= MAX_IN_FLIGHT && failed === null && !ended) {
          await step();
          while (out.length > 0) yield out.shift()!;
        }
        if (failed !== null || ended) break;
        inFlight++;
        zlib.write(chunk.subarray(i, i + PIECE_BYTES), afterWrite);
      }
    }
    if (failed === null && !ended) zlib.end();
    while (failed === null && !ended) {
      await step();
      while (out.length > 0) yield out.shift()!;
    }
    while (out.length > 0) yield out.shift()!;
    if (failed !== null) onProblem((failed as Error).message);
  } finally {
    zlib.destroy();
    // Release the source when stopped early; never let that mask the error being thrown, if any.
    if (!inputDone) await Promise.resolve(it.return?.()).catch(() => undefined);
  }
}
