/** pipeToNewFile settles only when the file is closed, whenever its open runs. */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { pipeToNewFile } from './new-file.js';

/** Milliseconds each file open waits before it runs: a thread pool busy with password hashing. */
let openDelay = 0;
vi.mock('node:fs', async (importOriginal) =>
  (await import('../test/delayed-open-fs.js')).withDelayedOpen(await importOriginal(), () => openDelay),
);

const dir = mkdtempSync(join(tmpdir(), 'vigil-new-file-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const failing = () =>
  new Transform({
    transform(_chunk, _enc, done) {
      done(new Error('refused'));
    },
  });

describe('pipeToNewFile', () => {
  it('writes a new 0600 file and refuses an existing path', async () => {
    openDelay = 0;
    const path = join(dir, 'a');
    await pipeToNewFile(Readable.from([Buffer.from('abc'), Buffer.from('def')]), [], path);
    expect(readFileSync(path, 'utf8')).toBe('abcdef');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await expect(pipeToNewFile(Readable.from([Buffer.from('x')]), [], path)).rejects.toMatchObject({
      code: 'EEXIST',
    });
    expect(readFileSync(path, 'utf8')).toBe('abcdef');
  });

  it('on failure, rejects only once the file exists and is closed: a removal then is final', async () => {
    openDelay = 100;
    const path = join(dir, 'b');
    await expect(pipeToNewFile(Readable.from([Buffer.from('x')]), [failing()], path)).rejects.toThrow(
      'refused',
    );
    expect(existsSync(path)).toBe(true);
    rmSync(path);
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(path)).toBe(false);
  });
});
