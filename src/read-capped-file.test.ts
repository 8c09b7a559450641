import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VigilError } from './errors.js';
import { readCappedFile } from './read-capped-file.js';

const root = resolve(import.meta.dirname, '..');
/** A real HR export shape (test/fixtures/program/PROVENANCE: README.md). */
const HR = join(root, 'test/fixtures/program/hr-export.csv');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-capped-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(VigilError);
      return {
        code: (e as VigilError).code,
        exit: (e as VigilError).exitCode,
        message: (e as Error).message,
      };
    },
  );

/** A FIFO at a new path, fed by `cat` in its own process: as `<(cat file)` gives a command one. */
async function fifoFedBy(source: string): Promise<string> {
  const fifo = join(dir, `fifo-${Math.random().toString(36).slice(2)}`);
  await new Promise<void>((done, fail) =>
    spawn('mkfifo', [fifo]).on('exit', (code) => (code === 0 ? done() : fail(new Error(`mkfifo ${code}`)))),
  );
  // `cat` gets EPIPE if the reader stops early; that is its problem, not the test's.
  spawn('sh', ['-c', `cat "${source}" > "${fifo}"`], { stdio: 'ignore' });
  return fifo;
}

describe('readCappedFile', () => {
  it('reads a file up to the limit as it is, and one byte over is refused', async () => {
    const bytes = readFileSync(HR);
    const exact = await readCappedFile(HR, { what: 'a people CSV', maxBytes: bytes.length });
    expect(exact.equals(bytes)).toBe(true);
    expect(await refusal(readCappedFile(HR, { what: 'a people CSV', maxBytes: bytes.length - 1 }))).toEqual({
      code: 'invalid_input',
      exit: 65,
      message: `${HR} is ${bytes.length} bytes, over the ${bytes.length - 1} bytes limit for a people CSV: nothing was read`,
    });
  });

  it('refuses a regular file larger than the limit by its size, without reading it', async () => {
    // Sparse: 3 GB on paper, nothing on disk. Read whole it would pass Node's 2 GiB Buffer limit.
    const big = join(dir, 'sparse.csv');
    writeFileSync(big, '');
    truncateSync(big, 3_000_000_000);
    expect(await refusal(readCappedFile(big, { what: 'a people CSV', maxBytes: 64_000_000 }))).toEqual({
      code: 'invalid_input',
      exit: 65,
      message: `${big} is 3.0 GB, over the 64.0 MB limit for a people CSV: nothing was read`,
    });
  });

  it('stops reading /dev/zero once it has more than the limit', async () => {
    expect(await refusal(readCappedFile('/dev/zero', { what: 'an SBOM', maxBytes: 1000 }))).toEqual({
      code: 'invalid_input',
      exit: 65,
      message: '/dev/zero gives more than 1.0 kB, the limit for an SBOM: stopped reading there',
    });
    // A limit past one read's worth: the count runs over several reads.
    await expect(readCappedFile('/dev/urandom', { what: 'an SBOM', maxBytes: 3_000_000 })).rejects.toThrow(
      '/dev/urandom gives more than 3.0 MB, the limit for an SBOM: stopped reading there',
    );
  });

  it('reads a FIFO fed a file whole, and refuses one that gives more than the limit', async () => {
    // Bigger than a pipe's 64 KiB buffer, so it arrives in several reads.
    const source = join(dir, 'hr-repeated.csv');
    writeFileSync(source, Buffer.concat(Array.from({ length: 200 }, () => readFileSync(HR))));
    const expected = readFileSync(source);
    expect(expected.length).toBeGreaterThan(64 * 1024);
    const got = await readCappedFile(await fifoFedBy(source), { what: 'a people CSV', maxBytes: 64_000_000 });
    expect(got.equals(expected)).toBe(true);
    const fifo = await fifoFedBy(source);
    await expect(readCappedFile(fifo, { what: 'a people CSV', maxBytes: 100_000 })).rejects.toThrow(
      `${fifo} gives more than 100.0 kB, the limit for a people CSV: stopped reading there`,
    );
  });

  it('names a missing file and a directory as before ("Cannot read …", exit 65)', async () => {
    const missing = join(dir, 'nope.csv');
    expect(await refusal(readCappedFile(missing, { what: 'a people CSV', maxBytes: 10 }))).toEqual({
      code: 'invalid_input',
      exit: 65,
      message: `Cannot read ${missing}: ENOENT`,
    });
    expect(await refusal(readCappedFile(dir, { what: 'a people CSV', maxBytes: 10 }))).toEqual({
      code: 'invalid_input',
      exit: 65,
      message: `Cannot read ${dir}: EISDIR (a directory, not a people CSV)`,
    });
    await expect(
      readCappedFile(missing, { what: 'a policy file', role: 'policy file', maxBytes: 10 }),
    ).rejects.toThrow(`Cannot read policy file ${missing}: ENOENT`);
  });

  it('gives back exactly the bytes of any file within the limit, and refuses any over it', async () => {
    const file = join(dir, 'any.bin');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.nat(3000), async (bytes, maxBytes) => {
        writeFileSync(file, bytes);
        const read = readCappedFile(file, { what: 'a file', maxBytes });
        if (bytes.length <= maxBytes) expect(Buffer.compare(await read, bytes)).toBe(0);
        else await expect(read).rejects.toThrow(/over the .* limit for a file: nothing was read$/);
      }),
      { numRuns: 200 },
    );
  });
});
