/**
 * @module An uploaded file's body streamed to a private temporary file, counted and capped; on any
 * failure no file is left behind.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { invalidInput, VigilError } from '../../errors.js';
import { pipeToNewFile } from '../../new-file.js';

/**
 * Streams a request body to a new file only this process's user can read (`vigil-upload-<uuid>` in the
 * system temp folder), counting it and failing with `tooLarge()` past `limit` bytes.
 */
export async function receiveUpload(
  body: ReadableStream<Uint8Array>,
  limit: number,
  tooLarge: () => VigilError,
): Promise<{ path: string; size: number }> {
  const path = join(tmpdir(), `vigil-upload-${randomUUID()}`);
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      done(size > limit ? tooLarge() : null, chunk);
    },
  });
  try {
    // A new file (never an existing path), 0600: the capture may hold patient data.
    await pipeToNewFile(Readable.fromWeb(body as WebReadableStream<Uint8Array>), [count], path);
  } catch (e) {
    await rm(path, { force: true });
    throw e instanceof VigilError
      ? e
      : invalidInput(`The upload did not arrive whole: ${(e as Error).message}`);
  }
  return { path, size };
}
