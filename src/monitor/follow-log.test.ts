import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type FollowedLine,
  followLogDirectory,
  LogFollower,
  type NotUtf8Line,
  readLogLines,
} from './follow-log.js';

// Real Zeek conn.log lines (RITA test data, see src/formats/zeek/fixtures/PROVENANCE.md).
const conn = readFileSync(new URL('../formats/zeek/fixtures/rita-proxy/conn.log', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean);
const texts = (lines: FollowedLine[]) => lines.map((l) => l.text);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-follow-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('LogFollower', () => {
  it('hands out complete lines only, as the file grows', async () => {
    const file = join(dir, 'conn.log');
    const f = new LogFollower(file);
    expect(await f.poll()).toEqual([]); // not there yet
    writeFileSync(file, `${conn[0]}\n${conn[1]}\n${conn[2]!.slice(0, 10)}`);
    const first = await f.poll();
    expect(texts(first)).toEqual([conn[0], conn[1]]);
    expect(first.map((l) => l.line)).toEqual([1, 2]);
    expect(await f.poll()).toEqual([]);
    appendFileSync(file, `${conn[2]!.slice(10)}\n`);
    const next = await f.poll();
    expect(next).toEqual([
      {
        text: conn[2],
        line: 3,
        position: {
          offset: Buffer.byteLength(`${conn[0]}\n${conn[1]}\n${conn[2]}\n`),
          line: 3,
          ino: f.inode,
        },
      },
    ]);
    await f.close();
  });

  it('resumes after a stored position without repeating a line', async () => {
    const file = join(dir, 'conn.log');
    writeFileSync(file, `${conn.slice(0, 5).join('\n')}\n`);
    const a = new LogFollower(file);
    const read = await a.poll();
    await a.close();
    const stopAt = read[2]!.position; // processed up to line 3, then the sensor stopped
    appendFileSync(file, `${conn.slice(5, 8).join('\n')}\n`);
    const b = new LogFollower(file, stopAt);
    const rest = await b.poll();
    expect(texts(rest)).toEqual(conn.slice(3, 8));
    expect(rest[0]!.line).toBe(4);
    await b.close();
  });

  it('a stored position for another file (other inode) starts the new file from the top', async () => {
    const file = join(dir, 'conn.log');
    writeFileSync(file, `${conn[0]}\n`);
    const f = new LogFollower(file, { offset: 5, line: 1, ino: -1 });
    expect(texts(await f.poll())).toEqual([conn[0]]);
    await f.close();
  });

  it('starts again from the top after truncation (copytruncate)', async () => {
    const file = join(dir, 'eve.json');
    writeFileSync(file, `${conn.slice(8, 12).join('\n')}\n`);
    const f = new LogFollower(file);
    expect(await f.poll()).toHaveLength(4);
    truncateSync(file, 0);
    appendFileSync(file, `${conn[12]}\n`);
    const after = await f.poll();
    expect(texts(after)).toEqual([conn[12]]);
    expect(after[0]!.line).toBe(1);
    expect(f.events.map((e) => e.kind)).toEqual(['opened', 'truncated']);
    await f.close();
  });

  it('notices a file cut and rewritten past its old end between two polls', async () => {
    const file = join(dir, 'eve.json');
    writeFileSync(file, `${conn[8]}\n`);
    const f = new LogFollower(file);
    expect(await f.poll()).toHaveLength(1);
    truncateSync(file, 0);
    appendFileSync(file, `${conn.slice(9, 12).join('\n')}\n`);
    expect(texts(await f.poll())).toEqual(conn.slice(9, 12));
    await f.close();
  });

  it('follows Zeek-style rotation: rest of the old file, then the new one, nothing twice', async () => {
    const file = join(dir, 'conn.log');
    writeFileSync(file, `${conn[0]}\n`);
    const f = new LogFollower(file);
    expect(texts(await f.poll())).toEqual([conn[0]]);
    // The writer finishes the old file after it was renamed, leaving the last line without a newline …
    renameSync(file, join(dir, 'conn.2024-01-01-10-00-00.log'));
    appendFileSync(join(dir, 'conn.2024-01-01-10-00-00.log'), `${conn[1]}\n${conn[2]}`);
    expect(texts(await f.poll())).toEqual([conn[1]]); // no new conn.log yet; the partial line waits
    // … and opens a fresh conn.log.
    writeFileSync(file, `${conn[3]}\n`);
    const after = await f.poll();
    expect(texts(after)).toEqual([conn[2], conn[3]]);
    expect(after.map((l) => l.line)).toEqual([3, 1]);
    expect(f.events.map((e) => e.kind)).toEqual(['opened', 'rotated', 'opened']);
    await f.close();
  });

  it('picks up a file deleted and created again', async () => {
    const file = join(dir, 'eve.json');
    writeFileSync(file, 'a\n');
    const f = new LogFollower(file);
    expect(texts(await f.poll())).toEqual(['a']);
    unlinkSync(file);
    expect(await f.poll()).toEqual([]);
    writeFileSync(file, 'b\nc\n');
    expect(texts(await f.poll())).toEqual(['b', 'c']);
    await f.close();
  });
});

describe('followLogDirectory', () => {
  it('follows every log, new files included, and does not re-read a rotated file kept in the directory', async () => {
    writeFileSync(join(dir, 'conn.log'), `${conn[0]}\n`);
    writeFileSync(join(dir, 'notes.txt'), 'not a log\n');
    const ac = new AbortController();
    const got: string[] = [];
    const it = followLogDirectory(dir, { pollMs: 20, signal: ac.signal });
    const next = async () => {
      const r = await it.next();
      if (r.done) throw new Error('ended');
      got.push(`${r.value.file}:${r.value.line}:${r.value.text.slice(0, 18)}`);
      return r.value;
    };
    await next();
    writeFileSync(join(dir, 'dns.log'), 'x\n');
    await next();
    renameSync(join(dir, 'conn.log'), join(dir, 'conn.2024-01-01-10-00-00.log'));
    writeFileSync(join(dir, 'conn.log'), `${conn[1]}\n`);
    await next();
    appendFileSync(join(dir, 'dns.log'), 'y\n');
    await next();
    ac.abort();
    await it.return(undefined);
    expect(got).toEqual([
      `conn.log:1:${conn[0]!.slice(0, 18)}`,
      'dns.log:1:x',
      `conn.log:1:${conn[1]!.slice(0, 18)}`,
      'dns.log:2:y',
    ]);
  });
});

describe('readLogLines', () => {
  it('reads plain and gzip files alike and hashes the bytes as stored', async () => {
    const text = `${conn.join('\n')}\n`;
    writeFileSync(join(dir, 'conn.log'), text);
    const gz = gzipSync(text);
    writeFileSync(join(dir, 'conn.log.gz'), gz);
    for (const [name, bytes] of [
      ['conn.log', Buffer.from(text)],
      ['conn.log.gz', gz],
    ] as const) {
      const r = readLogLines(join(dir, name));
      const lines: (string | NotUtf8Line)[] = [];
      for await (const l of r.lines) lines.push(l);
      expect(lines).toEqual(conn);
      expect(r.sha256()).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });
});

describe('lines whose bytes are not UTF-8 (damaged copies of a real Zeek software.log)', () => {
  const real = readFileSync(new URL('../formats/zeek/fixtures/wrccdc2018/software.log', import.meta.url));
  /** The real log with the "." of line 11's "Microsoft-IIS/7.5" replaced by 0xE9 (é in Windows-1252). */
  const damage = (bytes: Buffer, lineIndex: number) => {
    let start = 0;
    for (let i = 0; i < lineIndex; i++) start = bytes.indexOf(0x0a, start) + 1;
    const at = bytes.indexOf('Microsoft-IIS/7.5', start) + 'Microsoft-IIS/7'.length;
    const out = Buffer.from(bytes);
    out[at] = 0xe9;
    return { bytes: out, offset: at - start };
  };

  it('readLogLines hands out such a line as notUtf8 with the bad byte, plain and gzip, across chunks', async () => {
    // Over 1 MiB, so lines cross the reader's chunks; a real U+FFFD (valid UTF-8) straddles the first
    // chunk boundary and must stay text.
    const copies = Buffer.concat(Array.from({ length: 220 }, () => real));
    const split = (1 << 20) - 1;
    const big = Buffer.concat([copies.subarray(0, split), Buffer.from('\uFFFD'), copies.subarray(split)]);
    const lastCopy = 219 * 49; // software.log has 49 lines, each ending in a newline
    const { bytes, offset } = damage(big, lastCopy + 10);
    const expected: (string | NotUtf8Line)[] = bytes.toString('utf8').split('\n').slice(0, -1);
    expect(expected.filter((l) => typeof l === 'string' && l.includes('\uFFFD'))).toHaveLength(2);
    expected[lastCopy + 10] = { notUtf8: { offset, byte: 0xe9 }, text: expected[lastCopy + 10] as string };
    writeFileSync(join(dir, 'software.log'), bytes);
    writeFileSync(join(dir, 'software.log.gz'), gzipSync(bytes));
    for (const name of ['software.log', 'software.log.gz']) {
      const lines: (string | NotUtf8Line)[] = [];
      for await (const l of readLogLines(join(dir, name)).lines) lines.push(l);
      expect(lines).toEqual(expected);
    }
  });

  it('readLogLines checks a last line without a newline too', async () => {
    const { bytes } = damage(real, 10);
    const cut = bytes.subarray(0, bytes.indexOf(0x0a, bytes.indexOf(0xe9)));
    writeFileSync(join(dir, 'software.log'), cut);
    const lines: (string | NotUtf8Line)[] = [];
    for await (const l of readLogLines(join(dir, 'software.log')).lines) lines.push(l);
    expect(lines).toHaveLength(11);
    expect(lines[10]).toEqual({
      notUtf8: expect.objectContaining({ byte: 0xe9 }),
      text: expect.stringContaining('Microsoft-IIS/7\uFFFD5'),
    });
  });

  it('readLogLines counts a byte-order mark in the offset of a bad byte in the first line, and drops it from the text', async () => {
    // An editor saved the log with a BOM and the "s" of "#separator" became 0xE9: the offset is the
    // byte's place in the line's bytes, BOM included, as the EPSS reader counts it.
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), real]);
    bytes[3 + 1] = 0xe9;
    writeFileSync(join(dir, 'software.log'), bytes);
    const lines: (string | NotUtf8Line)[] = [];
    for await (const l of readLogLines(join(dir, 'software.log')).lines) lines.push(l);
    expect(lines[0]).toEqual({ notUtf8: { offset: 4, byte: 0xe9 }, text: '#\uFFFDeparator \\x09' });
    expect(lines.slice(1)).toEqual(real.toString('utf8').split('\n').slice(1, -1));
  });

  it('LogFollower marks such a line and only that one', async () => {
    const { bytes, offset } = damage(real, 10);
    writeFileSync(join(dir, 'software.log'), bytes);
    const f = new LogFollower(join(dir, 'software.log'));
    const lines = await f.poll();
    await f.close();
    expect(lines).toHaveLength(49);
    expect(lines.filter((l) => l.notUtf8).map((l) => [l.line, l.notUtf8])).toEqual([
      [11, { offset, byte: 0xe9 }],
    ]);
  });
});
