/**
 * @module Reading sensor logs line by line: whole files (plain or gzip, for imports) and files that are
 * still being written (for monitoring), the way `tail -F` follows them. A followed file may grow, be
 * truncated (copytruncate), be renamed away with a new file created under the same name (Zeek's rotation
 * renames `conn.log` and starts a fresh one) or disappear for a while; only complete lines are handed out,
 * and each line carries the position just after it so a restarted follower resumes where it stopped
 * without reading a line twice. A directory of logs is followed the same way, file by file; a rotated file
 * that reappears under a new name in the same directory is recognised by its inode and not read again.
 *
 * Polling, not fs.watch: inotify misses renames on some file systems (NFS, overlay) and gives nothing on
 * others, and a sensor log grows continuously anyway.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import { type NotUtf8, firstNotUtf8 as notUtf8 } from '../formats/utf8.js';
import { utf8Lines } from '../formats/utf8-lines.js';

/** Where reading stopped: the byte just after the last complete line handed out, in the file with this inode. */
export interface LogPosition {
  offset: number;
  /** Lines handed out so far (the next line's number is `line + 1`). */
  line: number;
  /** Inode of the file the offset belongs to; null when unknown (then only the size is checked). */
  ino: number | null;
}

export interface FollowedLine {
  /** The line decoded leniently (a byte that is not UTF-8 is U+FFFD here; see `notUtf8`). */
  text: string;
  /** Set when the line's bytes are not UTF-8: the reader reports the line and skips it. */
  notUtf8?: NotUtf8;
  /** 1-based line number in its file. */
  line: number;
  /** Resume here to continue after this line. */
  position: LogPosition;
}

/** A line longer than this is handed out cut at this length (the reader reports it); the rest is dropped. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;
/** Bytes read per poll per file, so one busy file does not starve the others of a directory. */
const READ_CHUNK = 256 * 1024;
const POLL_BUDGET = 16 * READ_CHUNK;
const HEAD_BYTES = 256;

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** A line whose bytes are not UTF-8, handed out in place of its text by `readLogLines`. */
export interface NotUtf8Line {
  notUtf8: NotUtf8;
  /**
   * The line decoded leniently, never to be stored: only for the reader to tell what kind of line was
   * damaged (a Zeek `#fields` header costs every data line under it, a data line only itself).
   */
  text: string;
}

/**
 * Follows one file by name. `poll()` returns the complete lines written since the last call (possibly
 * none) and notices truncation, rotation and re-creation; it never throws for a missing file.
 */
export class LogFollower {
  private fh: FileHandle | null = null;
  private ino: number | null = null;
  /** Offset of the first byte not yet handed out (start of `pending`). */
  private offset = 0;
  private line = 0;
  private pending: Buffer = Buffer.alloc(0);
  /** The file's first bytes as first read (at most HEAD_BYTES), to notice a file rewritten in place. */
  private head: Buffer | null = null;
  /** Dropping the rest of an over-long line until its newline. */
  private skipping = false;
  private resume: LogPosition | null;
  /** Inodes this follower has read to their end after a rotation (a directory follower skips them). */
  readonly finishedInodes = new Set<number>();
  /** Rotations, truncations and re-creations seen, for status output and tests. */
  readonly events: { kind: 'opened' | 'rotated' | 'truncated'; ino: number | null }[] = [];

  constructor(
    readonly path: string,
    position?: LogPosition,
  ) {
    this.resume = position ?? null;
  }

  get position(): LogPosition {
    return { offset: this.offset, line: this.line, ino: this.ino };
  }

  get inode(): number | null {
    return this.ino;
  }

  async close(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
  }

  async poll(): Promise<FollowedLine[]> {
    const out: FollowedLine[] = [];
    if (!this.fh && !(await this.tryOpen())) return out;
    // Cut and rewritten past the old end between two polls: the size alone cannot tell, the first bytes can.
    if (this.head && !(await this.sameHead())) this.restart();
    await this.drain(out);
    // At the end of what the open file holds: has the name moved on to another file, or was it cut short?
    const now = await stat(this.path).catch(() => null);
    if (now && this.ino !== null && now.ino !== this.ino) {
      // Rotated or re-created: the old file is complete, so a last line without a newline is a line.
      await this.drain(out);
      this.flushPartial(out);
      if (this.ino !== null) this.finishedInodes.add(this.ino);
      this.events.push({ kind: 'rotated', ino: this.ino });
      await this.close();
      if (await this.tryOpen()) await this.drain(out);
    } else if (now && this.fh) {
      const size = (await this.fh.stat()).size;
      if (size < this.offset + this.pending.length) {
        this.restart();
        await this.drain(out);
      }
    }
    return out;
  }

  private restart(): void {
    this.events.push({ kind: 'truncated', ino: this.ino });
    this.offset = 0;
    this.line = 0;
    this.pending = Buffer.alloc(0);
    this.skipping = false;
    this.head = null;
  }

  private async sameHead(): Promise<boolean> {
    const head = this.head!;
    const b = Buffer.alloc(head.length);
    const { bytesRead } = await this.fh!.read(b, 0, head.length, 0);
    return bytesRead === head.length && b.equals(head);
  }

  private async tryOpen(): Promise<boolean> {
    let fh: FileHandle;
    try {
      fh = await open(this.path, 'r');
    } catch {
      return false;
    }
    const s = await fh.stat();
    this.fh = fh;
    this.ino = s.ino;
    this.pending = Buffer.alloc(0);
    this.skipping = false;
    this.head = null;
    const r = this.resume;
    this.resume = null;
    // A stored position counts only for the same file (same inode) and only if the file still reaches it.
    if (r && (r.ino === null || r.ino === s.ino) && r.offset <= s.size) {
      this.offset = r.offset;
      this.line = r.line;
    } else {
      this.offset = 0;
      this.line = 0;
    }
    this.events.push({ kind: 'opened', ino: s.ino });
    return true;
  }

  /** Reads what the open file holds beyond what was read, handing out complete lines. */
  private async drain(out: FollowedLine[]): Promise<void> {
    if (!this.fh) return;
    let budget = POLL_BUDGET;
    const buf = Buffer.alloc(READ_CHUNK);
    while (budget > 0) {
      const at = this.offset + this.pending.length;
      const { bytesRead } = await this.fh.read(buf, 0, READ_CHUNK, at);
      if (bytesRead === 0) return;
      budget -= bytesRead;
      this.take(buf.subarray(0, bytesRead), out);
    }
  }

  private take(chunk: Buffer, out: FollowedLine[]): void {
    if (!this.head && this.offset === 0 && this.pending.length === 0 && chunk.length > 0)
      this.head = Buffer.from(chunk.subarray(0, HEAD_BYTES));
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
      if (this.skipping) this.skipping = false;
      else this.emit(data.subarray(0, nl), this.offset + nl + 1, out);
      this.offset += nl + 1;
      data = data.subarray(nl + 1);
    }
    if (data.length > MAX_LINE_BYTES) {
      if (!this.skipping) this.emit(data.subarray(0, MAX_LINE_BYTES), this.offset + data.length, out, false);
      this.skipping = true;
      this.offset += data.length;
      data = Buffer.alloc(0);
    }
    this.pending = Buffer.from(data);
  }

  private emit(bytes: Buffer, endOffset: number, out: FollowedLine[], complete = true): void {
    let text = utf8.decode(bytes);
    // A line cut at MAX_LINE_BYTES may end inside a character: that is the cut, not bad input.
    const bad = notUtf8(complete ? bytes : bytes.subarray(0, lastCharStart(bytes)), text);
    if (complete && text.endsWith('\r')) text = text.slice(0, -1);
    this.line++;
    const position = { offset: endOffset, line: this.line, ino: this.ino };
    out.push(bad ? { text, notUtf8: bad, line: this.line, position } : { text, line: this.line, position });
  }

  private flushPartial(out: FollowedLine[]): void {
    if (this.pending.length === 0 || this.skipping) return;
    this.emit(this.pending, this.offset + this.pending.length, out);
    this.offset += this.pending.length;
    this.pending = Buffer.alloc(0);
  }
}

export interface FollowOptions {
  position?: LogPosition;
  /** Pause between polls when nothing new was read (default 1000 ms). */
  pollMs?: number;
  signal?: AbortSignal;
}

async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, undefined, signal ? { signal } : undefined).catch(() => undefined);
}

/** Lines of one file as it grows, until `signal` aborts. */
export async function* followLog(path: string, opts: FollowOptions = {}): AsyncGenerator<FollowedLine> {
  const follower = new LogFollower(path, opts.position);
  try {
    while (!opts.signal?.aborted) {
      const lines = await follower.poll();
      yield* lines;
      if (lines.length === 0) await pause(opts.pollMs ?? 1000, opts.signal);
    }
  } finally {
    await follower.close();
  }
}

export interface DirectoryFollowOptions {
  /** Which file names to follow (default: Zeek and EVE logs being written: `*.log`, `*.json`). */
  include?: RegExp;
  /** Where each file (by name) stopped last time. */
  positions?: Record<string, LogPosition>;
  pollMs?: number;
  signal?: AbortSignal;
}

export interface DirectoryLine extends FollowedLine {
  /** File name within the directory. */
  file: string;
}

/**
 * Lines of every matching file in a directory (not recursive), new files included as they appear, until
 * `signal` aborts. Rotated-away files that stay in the directory under a new name are not read twice.
 */
export async function* followLogDirectory(
  dir: string,
  opts: DirectoryFollowOptions = {},
): AsyncGenerator<DirectoryLine> {
  const include = opts.include ?? /\.(log|json|ndjson)$/i;
  const followers = new Map<string, LogFollower>();
  try {
    while (!opts.signal?.aborted) {
      const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => include.test(n)).sort();
      const done = new Set<number>();
      for (const f of followers.values()) for (const ino of f.finishedInodes) done.add(ino);
      const live = new Set(
        [...followers.values()].map((f) => f.inode).filter((i): i is number => i !== null),
      );
      for (const name of names) {
        if (followers.has(name)) continue;
        const s = await stat(join(dir, name)).catch(() => null);
        if (!s?.isFile() || done.has(s.ino) || live.has(s.ino)) continue;
        followers.set(name, new LogFollower(join(dir, name), opts.positions?.[name]));
      }
      let any = false;
      for (const [name, f] of followers) {
        const lines = await f.poll();
        for (const l of lines) yield { ...l, file: name };
        any ||= lines.length > 0;
        if (!names.includes(name) && lines.length === 0) {
          // Gone from the directory and read to its end.
          await f.close();
          followers.delete(name);
        }
      }
      if (!any) await pause(opts.pollMs ?? 1000, opts.signal);
    }
  } finally {
    for (const f of followers.values()) await f.close();
  }
}

/**
 * The lines of a whole log file (gzip recognised by its magic bytes, as Zeek archives rotated logs), with
 * the SHA-256 of the file's bytes available once the lines have been read.
 */
export function readLogLines(path: string): {
  lines: AsyncIterable<string | NotUtf8Line>;
  sha256: () => string | null;
} {
  const hash = createHash('sha256');
  let done = false;
  async function* lines(): AsyncGenerator<string | NotUtf8Line> {
    const head = await open(path, 'r').then(async (fh) => {
      try {
        const b = Buffer.alloc(2);
        await fh.read(b, 0, 2, 0);
        return b;
      } finally {
        await fh.close();
      }
    });
    const raw = createReadStream(path, { highWaterMark: 1 << 20 });
    raw.on('data', (c) => hash.update(c as Buffer));
    const source = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
    let first = true;
    for await (const { text, notUtf8: bad } of utf8Lines(source as AsyncIterable<Buffer>)) {
      // A byte-order mark is not part of the first line's text (offsets within it still count its bytes).
      const line = first ? text.replace(/^\uFEFF/, '') : text;
      first = false;
      yield bad ? { notUtf8: bad, text: line } : line;
    }
    done = true;
  }
  return { lines: lines(), sha256: () => (done ? hash.digest('hex') : null) };
}

/** Length of `bytes` without a last character that may be incomplete (a line cut at a fixed length). */
function lastCharStart(bytes: Uint8Array): number {
  let i = bytes.length;
  // Back over at most three continuation bytes to the lead byte; drop it and them if they are fewer than
  // it announces.
  for (let k = 0; k < 3 && i > 0 && (bytes[i - 1]! & 0xc0) === 0x80; k++) i--;
  if (i === 0) return bytes.length;
  const lead = bytes[i - 1]!;
  const want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return want > bytes.length - (i - 1) ? i - 1 : bytes.length;
}
