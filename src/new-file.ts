/**
 * @module Streaming into a new private file, settling only once the file is closed.
 */
import { createWriteStream } from 'node:fs';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Pipes `source` through `through` into the new file `path` (0600, never an existing path). On failure it
 * rejects only after the file stream has closed: `pipeline` gives up at the first error, when the file's
 * open may still wait in libuv's thread pool (behind password hashing, say), and a caller removing the
 * path at that moment would see the open create the file just after, left for good. The file may then
 * hold part of the data: the caller removes it.
 */
export async function pipeToNewFile(source: Readable, through: Transform[], path: string): Promise<void> {
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  try {
    await pipeline([source, ...through, file]);
  } catch (e) {
    if (!file.closed) await new Promise<void>((closed) => file.once('close', () => closed()));
    throw e;
  }
}
