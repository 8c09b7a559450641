/**
 * node:fs with every createWriteStream's open held back: a libuv thread pool busy with password hashing,
 * where a file stream's open may run after the code that meant to remove the file. For `vi.mock`:
 *
 *   let openDelay = 0;
 *   vi.mock('node:fs', async (real) =>
 *     (await import('../test/delayed-open-fs.js')).withDelayedOpen(await real(), () => openDelay));
 */
import type * as fs from 'node:fs';

export function withDelayedOpen(real: typeof fs, delayMs: () => number): typeof fs {
  return {
    ...real,
    createWriteStream: ((path: fs.PathLike, options?: Record<string, unknown>) =>
      real.createWriteStream(path, {
        ...options,
        fs: {
          open: (...args: Parameters<typeof real.open>) => setTimeout(() => real.open(...args), delayMs()),
          write: real.write,
          writev: real.writev,
          close: real.close,
        },
      })) as typeof real.createWriteStream,
  };
}
