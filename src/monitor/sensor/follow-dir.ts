/**
 * @module Follows a directory a capture tool rotates files into (`dumpcap -b duration:60 -w DIR/cap.pcapng`,
 * `tcpdump -G 60 -w 'DIR/cap-%s.pcap'`, `tcpdump -C 100 -w DIR/cap.pcap`): each completed file is read
 * once, oldest first, into the live analysis; it is marked done (and optionally deleted) only after the
 * flush that stored its packets, so a restart neither skips nor re-reads a file.
 *
 * A file is complete when a newer one exists (the writer moved on), or when it is the newest and has not
 * changed for the settle time (the writer stopped). Done files are remembered by name, size and
 * modification time, so a ring buffer that reuses a name is read again when it holds new packets.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readCapture } from '../../capture/open-capture.js';
import { VigilError } from '../../errors.js';
import { type PacketSink, type PacketSource, realSleep, type Sleep } from './packet-source.js';

/** Capture names, with tcpdump -C's numeric suffix (`cap.pcap3`) and gzip allowed; dot files are ignored. */
export const FOLLOWED_FILE = /^[^.].*\.(pcap|pcapng|cap|dmp)\d*(\.gz)?$/i;

export interface DirFile {
  name: string;
  size: number;
  mtimeMs: number;
}

/** What the state remembers of a done file. */
export type DoneFile = DirFile;

export const fileKey = (f: DirFile) => `${f.name}|${f.size}|${Math.trunc(f.mtimeMs)}`;

/** Oldest first: modification time, then the name with numbers compared as numbers (cap2 before cap10). */
export function compareFiles(a: DirFile, b: DirFile): number {
  return a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name, 'en', { numeric: true });
}

/**
 * Decides which files are ready, from directory listings and a clock; no I/O, so it is tested with a
 * fake clock. `done` is what the state says was stored; `fed` what this process has read but not yet
 * stored (not offered twice).
 */
export class FollowDirTracker {
  private readonly done = new Map<string, DoneFile>();
  private readonly fed = new Set<string>();
  /** Per name: its last seen size and mtime, and when (our clock) it was first seen like that. */
  private readonly unchangedSince = new Map<string, { key: string; since: number }>();

  constructor(
    readonly settleMs: number,
    done: readonly DoneFile[] = [],
  ) {
    for (const f of done) this.done.set(fileKey(f), f);
  }

  /** The files to read now, oldest first. */
  ready(listing: readonly DirFile[], nowMs: number): DirFile[] {
    const files = [...listing].filter((f) => FOLLOWED_FILE.test(f.name)).sort(compareFiles);
    const names = new Set(files.map((f) => f.name));
    for (const n of this.unchangedSince.keys()) if (!names.has(n)) this.unchangedSince.delete(n);
    const out: DirFile[] = [];
    files.forEach((f, i) => {
      const key = fileKey(f);
      const seen = this.unchangedSince.get(f.name);
      if (!seen || seen.key !== key) this.unchangedSince.set(f.name, { key, since: nowMs });
      if (this.done.has(key) || this.fed.has(key)) return;
      const newest = i === files.length - 1;
      const since = this.unchangedSince.get(f.name)!.since;
      if (!newest || nowMs - since >= this.settleMs) out.push(f);
    });
    return out;
  }

  markFed(f: DirFile): void {
    this.fed.add(fileKey(f));
  }

  /** Stored: remembered as done (and no longer pending). */
  markDone(files: readonly DirFile[]): void {
    for (const f of files) {
      this.fed.delete(fileKey(f));
      this.done.set(fileKey(f), f);
    }
  }

  /**
   * What the state should hold: done files still present as they were (a deleted or rewritten file needs
   * no memory), so the state stays as small as the directory.
   */
  doneStillPresent(listing: readonly DirFile[]): DoneFile[] {
    const present = new Set(listing.map(fileKey));
    return [...this.done.entries()].filter(([k]) => present.has(k)).map(([, f]) => f);
  }
}

/** Where the done list lives (the database in the CLI, memory in tests). */
export interface FollowDirState {
  load(): Promise<DoneFile[]>;
  /** `added`: the files just stored; `all`: the whole list to keep. */
  save(all: DoneFile[], added: DoneFile[]): Promise<void>;
}

export interface FollowDirOptions {
  dir: string;
  state: FollowDirState;
  /** How often the directory is listed (default 2 s). */
  pollMs?: number;
  /** How long the newest file must stay unchanged to count as complete (default 60 s). */
  settleMs?: number;
  deleteProcessed?: boolean;
  onEvent?: (e: {
    type: 'file-read' | 'file-done' | 'file-deleted' | 'dir-error';
    file: string;
    detail?: string;
  }) => void;
  sleep?: Sleep;
  now?: () => number;
}

export class FollowDirSource implements PacketSource {
  readonly mode = 'follow-dir' as const;
  readonly label: string;
  private tracker: FollowDirTracker | undefined;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  private filesRead = 0;
  private filesDone = 0;
  private lastListing: DirFile[] = [];

  constructor(private readonly options: FollowDirOptions) {
    this.label = options.dir;
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
  }

  status(): Record<string, unknown> {
    return { dir: this.label, filesRead: this.filesRead, filesDone: this.filesDone };
  }

  async run(sink: PacketSink, signal: AbortSignal): Promise<void> {
    const s = await stat(this.options.dir).catch(() => null);
    if (!s?.isDirectory())
      throw new VigilError('configuration', `Not a directory: ${this.options.dir} (--follow-dir)`);
    const tracker = new FollowDirTracker(this.options.settleMs ?? 60_000, await this.options.state.load());
    this.tracker = tracker;
    while (!signal.aborted) {
      const listing = await this.list();
      if (listing) {
        this.lastListing = listing;
        const batch: DirFile[] = [];
        for (const f of tracker.ready(listing, this.now())) {
          if (signal.aborted) break;
          await this.feed(f, sink);
          tracker.markFed(f);
          batch.push(f);
        }
        if (batch.length) sink.afterApplied(() => this.stored(batch));
      }
      await this.sleep(this.options.pollMs ?? 2000, signal);
    }
  }

  private async list(): Promise<DirFile[] | null> {
    try {
      const entries = await readdir(this.options.dir, { withFileTypes: true });
      const out: DirFile[] = [];
      for (const e of entries) {
        if (!e.isFile() || !FOLLOWED_FILE.test(e.name)) continue;
        const st = await stat(join(this.options.dir, e.name)).catch(() => null);
        if (st) out.push({ name: e.name, size: st.size, mtimeMs: Math.trunc(st.mtimeMs) });
      }
      return out;
    } catch (e) {
      // The directory went away for a moment (remounted, recreated): keep following it.
      this.options.onEvent?.({ type: 'dir-error', file: this.options.dir, detail: (e as Error).message });
      return null;
    }
  }

  private async feed(f: DirFile, sink: PacketSink): Promise<void> {
    const path = join(this.options.dir, f.name);
    sink.beginStream(f.name);
    const capture = readCapture(createReadStream(path, { highWaterMark: 1 << 20 }), { file: f.name });
    try {
      const stats = await capture.forEach((p) => {
        sink.packet(p);
      });
      sink.issues(stats.issues);
    } catch (e) {
      // Removed between listing and reading: nothing to store, and nothing to mark.
      sink.issues([{ file: f.name, offset: 0, reason: `cannot read: ${(e as Error).message}` }]);
    }
    this.filesRead++;
    this.options.onEvent?.({ type: 'file-read', file: f.name, detail: capture.format ?? 'not a capture' });
  }

  /** After the flush that stored them: remember the files, then delete them if asked. */
  private async stored(batch: DirFile[]): Promise<void> {
    const tracker = this.tracker!;
    tracker.markDone(batch);
    const listing = this.lastListing;
    const keep = tracker.doneStillPresent([...listing, ...batch]);
    await this.options.state.save(keep, batch);
    this.filesDone += batch.length;
    for (const f of batch) {
      this.options.onEvent?.({ type: 'file-done', file: f.name });
      if (!this.options.deleteProcessed) continue;
      await unlink(join(this.options.dir, f.name)).then(
        () => this.options.onEvent?.({ type: 'file-deleted', file: f.name }),
        (e: Error) => this.options.onEvent?.({ type: 'dir-error', file: f.name, detail: e.message }),
      );
    }
  }
}
