/**
 * @module Reading a whole file the user names (an HR export, an SBOM, a policy) with a size limit that also
 * holds for what `stat` cannot size: /dev/zero, /dev/urandom, a FIFO that never ends.
 */

import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { invalidInput } from './errors.js';
import { formatBytes } from './format-bytes.js';

export interface CappedFileOptions {
  /** What the file should be, with its article, for errors: "a people CSV", "an SBOM". */
  what: string;
  /** More than this many bytes and the file is refused. */
  maxBytes: number;
  /** Names the file's role in "Cannot read" errors: "policy file" → "Cannot read policy file p.yaml: ENOENT". */
  role?: string;
}

/** Big enough that a large file takes few reads; partly filled chunks (a FIFO's 64 KiB) are copied down. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * The file's bytes, refused (invalid input, exit 65) when there are more than `maxBytes`: a regular file
 * by its size before anything is read, anything else (a device, a FIFO, a file still growing) as soon as
 * `maxBytes + 1` bytes have arrived. The size is taken from the open handle, so the file that is read is
 * the one that was measured. A FIFO fed a small file (`<(zcat people.csv.gz)`) reads as that file.
 */
export async function readCappedFile(file: string, opts: CappedFileOptions): Promise<Buffer> {
  const unreadable = (reason: string) =>
    invalidInput(`Cannot read ${opts.role ? `${opts.role} ` : ''}${file}: ${reason}`);
  const reason = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    throw unreadable(reason(e));
  }
  try {
    const st = await handle.stat().catch((e: unknown) => {
      throw unreadable(reason(e));
    });
    // A directory opens like a file and fails only when read; say what it is.
    if (st.isDirectory()) throw unreadable(`EISDIR (a directory, not ${opts.what})`);
    if (st.isFile() && st.size > opts.maxBytes) {
      // "1.3 kB, over the 1.3 kB limit" says nothing: exact counts when rounding hides the difference.
      const exact = formatBytes(st.size) === formatBytes(opts.maxBytes);
      const [size, limit] = [st.size, opts.maxBytes].map((n) => (exact ? `${n} bytes` : formatBytes(n)));
      throw invalidInput(`${file} is ${size}, over the ${limit} limit for ${opts.what}: nothing was read`, [
        { file, reason: `more than ${limit}` },
      ]);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, opts.maxBytes + 1 - total));
      // Position null: read on from where the last read stopped, the only way a FIFO or device can be read.
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null).catch((e: unknown) => {
        throw unreadable(reason(e));
      });
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > opts.maxBytes)
        throw invalidInput(
          `${file} gives more than ${formatBytes(opts.maxBytes)}, the limit for ${opts.what}: stopped reading there`,
          [{ file, offset: opts.maxBytes, reason: `more than ${formatBytes(opts.maxBytes)}` }],
        );
      chunks.push(bytesRead === chunk.length ? chunk : Buffer.from(chunk.subarray(0, bytesRead)));
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}
