/**
 * @module The openFDA bulk download files as byte streams: a plain `.json` file, or each `.json` entry
 * of a `.json.zip` (the form openFDA publishes: `device-recall-0001-of-0001.json.zip`), read with yauzl
 * entry by entry so nothing is held in memory whole.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import yauzl from 'yauzl';
import { invalidInput } from '../errors.js';

export interface DownloadPart {
  /** `file.json.zip!entry.json` for a zip entry, the path otherwise: how errors name it. */
  name: string;
  /** The file's base name (and the entry's), for detecting the kind. */
  hint: string;
  chunks: () => AsyncIterable<Uint8Array>;
}

async function isZip(path: string): Promise<boolean> {
  const s = createReadStream(path, { start: 0, end: 3 });
  for await (const c of s) return (c as Buffer).readUInt32LE(0) === 0x04034b50;
  return false;
}

/** The JSON documents a file holds: itself, or the `.json` entries of a zip. */
export async function* downloadParts(path: string): AsyncGenerator<DownloadPart> {
  let zip: boolean;
  try {
    zip = await isZip(path);
  } catch (e) {
    throw invalidInput(
      `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      [{ file: path, reason: 'cannot read' }],
    );
  }
  if (!zip) {
    yield {
      name: path,
      hint: basename(path),
      chunks: () => createReadStream(path, { highWaterMark: 1 << 20 }),
    };
    return;
  }
  let zf: yauzl.ZipFile;
  try {
    zf = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
  } catch (e) {
    throw invalidInput(`${path}: not a readable zip file (${(e as Error).message})`, [
      { file: path, reason: 'not a readable zip file' },
    ]);
  }
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
        const onEntry = (e: yauzl.Entry) => {
          cleanup();
          resolve(e);
        };
        const onEnd = () => {
          cleanup();
          resolve(null);
        };
        const onError = (err: Error) => {
          cleanup();
          reject(
            invalidInput(`${path}: broken zip file (${err.message})`, [{ file: path, reason: err.message }]),
          );
        };
        const cleanup = () => {
          zf.off('entry', onEntry);
          zf.off('end', onEnd);
          zf.off('error', onError);
        };
        zf.on('entry', onEntry);
        zf.on('end', onEnd);
        zf.on('error', onError);
        zf.readEntry();
      });
      if (!entry) return;
      if (entry.fileName.endsWith('/') || !entry.fileName.toLowerCase().endsWith('.json')) continue;
      const name = `${path}!${entry.fileName}`;
      yield {
        name,
        hint: `${basename(path)} ${basename(entry.fileName)}`,
        chunks: () => ({
          async *[Symbol.asyncIterator]() {
            // Damaged compressed bytes fail inside yauzl or zlib (a size or CRC mismatch, an invalid
            // deflate block): that is the file's fault, named with the entry and how far it was read.
            let offset = 0;
            try {
              const stream = await zf.openReadStreamPromise(entry);
              for await (const c of stream) {
                offset += (c as Uint8Array).length;
                yield c as Uint8Array;
              }
            } catch (e) {
              throw invalidInput(`${name}: broken zip entry (${(e as Error).message})`, [
                { file: name, offset, reason: `broken zip entry: ${(e as Error).message}` },
              ]);
            }
          },
        }),
      };
    }
  } finally {
    zf.close();
  }
}
