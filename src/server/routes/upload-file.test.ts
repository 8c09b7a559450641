/**
 * The upload receiver on its own: the body lands in a private file, and a refused or broken upload
 * leaves no file, even when the file's open is still waiting in the thread pool as the upload fails
 * (seen twice in CI: an upload file of the 413 test left in the temp folder on a loaded machine).
 */
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VigilError } from '../../errors.js';
import { receiveUpload } from './upload-file.js';

/** Milliseconds each file open waits before it runs: a thread pool busy with password hashing. */
let openDelay = 0;
vi.mock('node:fs', async (importOriginal) =>
  (await import('../../../test/delayed-open-fs.js')).withDelayedOpen(await importOriginal(), () => openDelay),
);

const systemTmp = process.env['TMPDIR'];
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-upload-test-'));
  process.env['TMPDIR'] = dir;
});
afterAll(() => {
  if (systemTmp === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = systemTmp;
  rmSync(dir, { recursive: true, force: true });
});

const tooLarge = () => new VigilError('too_large', 'too large');
const chunks = (n: number, size = 1000) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < n; i++) c.enqueue(new Uint8Array(size).fill(i));
      c.close();
    },
  });
const left = () => readdirSync(dir);
const settle = () => new Promise((r) => setTimeout(r, openDelay + 200));

describe('receiveUpload', () => {
  it('writes the body to a private file and counts it', async () => {
    openDelay = 0;
    const { path, size } = await receiveUpload(chunks(5), 10_000, tooLarge);
    expect(size).toBe(5000);
    expect(readFileSync(path)).toHaveLength(5000);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path)).toBe(true);
    rmSync(path);
  });

  it.each([0, 100])(
    'past the limit: fails with the given error and no file stays (open delayed %d ms)',
    async (delay) => {
      openDelay = delay;
      await expect(receiveUpload(chunks(10), 4096, tooLarge)).rejects.toMatchObject({ code: 'too_large' });
      await settle();
      expect(left()).toEqual([]);
    },
  );

  it('a body that breaks off: fails as invalid input and no file stays', async () => {
    openDelay = 100;
    const broken = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(10));
        c.error(new Error('connection reset'));
      },
    });
    await expect(receiveUpload(broken, 4096, tooLarge)).rejects.toThrow(
      /upload did not arrive whole: connection reset/,
    );
    await settle();
    expect(left()).toEqual([]);
  });
});
