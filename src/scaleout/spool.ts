/**
 * @module The sensor's bounded disk spool: what could not be published while the link to the centre was
 * down waits here and is drained in order when it returns. Append-only segment files of one JSON record
 * per line, each append written and fsync'd before `append` returns, so a power cut loses nothing that
 * was accepted. When the spool is full, the oldest low-value records (conversation summaries, heartbeats)
 * are dropped first, then, only if that is not enough, the oldest records of any kind; every drop is
 * counted (status, metrics, and the heartbeat that tells the centre). A record is removed only after it
 * was published; a crash mid-drain publishes some again, with the same message ids (de-duplicated).
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export interface SpoolRecord {
  subject: string;
  msgId: string;
  /** Low-value records are dropped first when the spool is full. */
  low: boolean;
  /** The encoded message (JSON text). */
  data: string;
}

export interface SpoolStatus {
  records: number;
  bytes: number;
  segments: number;
  maxBytes: number;
  dropped: { low: number; high: number };
}

interface State {
  /** Incremented at every start: message ids stay unique across restarts. */
  epoch: number;
  dropped: { low: number; high: number };
}

const SEGMENT = /^seg-(\d{12})\.jsonl$/;
const segName = (n: number) => `seg-${String(n).padStart(12, '0')}.jsonl`;

function writeDurably(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export class DiskSpool {
  readonly dir: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  readonly epoch: number;
  #state: State;
  /** Segment number → [records, bytes], oldest first. */
  #segments = new Map<number, { records: number; bytes: number }>();
  #bytes = 0;
  #records = 0;
  /** Appends go to segments numbered at least this (the one being drained is closed to appends). */
  #floor = 0;
  #draining: number | null = null;

  constructor(opts: { dir: string; maxBytes: number; segmentBytes?: number }) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.segmentBytes =
      opts.segmentBytes ?? Math.max(4096, Math.min(8 * 1024 * 1024, Math.floor(opts.maxBytes / 8)));
    mkdirSync(this.dir, { recursive: true });
    let state: State = { epoch: 0, dropped: { low: 0, high: 0 } };
    try {
      state = JSON.parse(readFileSync(join(this.dir, 'state.json'), 'utf8')) as State;
    } catch {}
    state.epoch++;
    this.#state = state;
    this.epoch = state.epoch;
    this.#saveState();
    for (const f of readdirSync(this.dir).sort()) {
      const m = SEGMENT.exec(f);
      if (!m) continue;
      const records = this.#read(Number(m[1]));
      const bytes = statSync(join(this.dir, f)).size;
      this.#segments.set(Number(m[1]), { records: records.length, bytes });
      this.#bytes += bytes;
      this.#records += records.length;
    }
  }

  get empty(): boolean {
    return this.#records === 0;
  }

  status(): SpoolStatus {
    return {
      records: this.#records,
      bytes: this.#bytes,
      segments: this.#segments.size,
      maxBytes: this.maxBytes,
      dropped: { ...this.#state.dropped },
    };
  }

  /** Writes and fsyncs the record; makes room first when the spool would grow past its bound. */
  append(r: SpoolRecord): void {
    const line = `${JSON.stringify(r)}\n`;
    const size = Buffer.byteLength(line);
    this.#makeRoom(size);
    let last = [...this.#segments.keys()].at(-1);
    if (
      last === undefined ||
      last < this.#floor ||
      this.#segments.get(last)!.bytes + size > this.segmentBytes
    ) {
      last = Math.max((last ?? 0) + 1, this.#floor);
      this.#segments.set(last, { records: 0, bytes: 0 });
    }
    const fd = openSync(join(this.dir, segName(last)), 'a');
    try {
      writeSync(fd, line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const seg = this.#segments.get(last)!;
    seg.records++;
    seg.bytes += size;
    this.#records++;
    this.#bytes += size;
  }

  /**
   * Hands the records to `publish` oldest first; each segment is removed once all its records were
   * published. Stops at the first failure (the rest stay, in order) and returns how many were published.
   */
  async drain(publish: (r: SpoolRecord) => Promise<void>): Promise<number> {
    let done = 0;
    for (let n = [...this.#segments.keys()][0]; n !== undefined; n = [...this.#segments.keys()][0]) {
      // Records appended while this segment drains go to a newer one, after it.
      this.#floor = n + 1;
      this.#draining = n;
      const records = this.#read(n);
      let i = 0;
      try {
        for (; i < records.length; i++) {
          await publish(records[i]!);
          done++;
        }
      } finally {
        this.#draining = null;
        if (i === records.length) this.#remove(n);
        else if (i > 0) this.#rewrite(n, records.slice(i));
      }
    }
    return done;
  }

  #makeRoom(incoming: number): void {
    if (this.#bytes + incoming <= this.maxBytes) return;
    // Low-value records first, oldest segment first.
    for (const n of [...this.#segments.keys()]) {
      if (this.#bytes + incoming <= this.maxBytes) break;
      if (n === this.#draining) continue;
      const records = this.#read(n);
      const kept = records.filter((r) => !r.low);
      if (kept.length === records.length) continue;
      this.#state.dropped.low += records.length - kept.length;
      if (kept.length) this.#rewrite(n, kept);
      else this.#remove(n);
    }
    // Still full: the oldest records of any kind.
    for (const n of [...this.#segments.keys()]) {
      if (this.#bytes + incoming <= this.maxBytes) break;
      if (n === this.#draining) continue;
      this.#state.dropped.high += this.#segments.get(n)!.records;
      this.#remove(n);
    }
    this.#saveState();
  }

  #read(n: number): SpoolRecord[] {
    let text: string;
    try {
      text = readFileSync(join(this.dir, segName(n)), 'utf8');
    } catch {
      return [];
    }
    const out: SpoolRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      // A torn last line (power cut mid-write, before fsync returned) was never accepted: skip it.
      try {
        out.push(JSON.parse(line) as SpoolRecord);
      } catch {}
    }
    return out;
  }

  #rewrite(n: number, records: SpoolRecord[]): void {
    const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    writeDurably(join(this.dir, segName(n)), text);
    const seg = this.#segments.get(n)!;
    const bytes = Buffer.byteLength(text);
    this.#bytes += bytes - seg.bytes;
    this.#records += records.length - seg.records;
    this.#segments.set(n, { records: records.length, bytes });
  }

  #remove(n: number): void {
    const seg = this.#segments.get(n);
    if (!seg) return;
    try {
      unlinkSync(join(this.dir, segName(n)));
    } catch {}
    this.#bytes -= seg.bytes;
    this.#records -= seg.records;
    this.#segments.delete(n);
  }

  #saveState(): void {
    writeDurably(join(this.dir, 'state.json'), JSON.stringify(this.#state));
  }
}
