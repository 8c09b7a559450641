/**
 * @module `vigil sensor --zeek-dir DIR` and `vigil sensor --eve FILE`: Zeek logs and Suricata EVE JSON
 * followed as they grow (`LogFollower`: rotation, truncation, partial lines), each complete line read into
 * the long-lived `ZeekLogAnalyzer` or `EveAnalyzer`, and every flush stores what was learned since the
 * previous one with `applySourceResult` (kind `zeek`/`eve`, one transaction, one audit entry), then hands
 * the slice to the detection rules. Reading and flushing take turns in one loop, so a slice and the read
 * positions saved with it always describe the same lines. Positions are remembered in the database (a
 * settings row per directory or file), so a restart resumes after the last stored line, also in a file
 * that was rotated away while the sensor was down (found again by its inode in the same directory).
 */

import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { type Actor, assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import type { SourceResult } from '../../discovery/host-observation.js';
import { checkDefaultCredential } from '../../discovery/rules/default-credentials.js';
import { EveAnalyzer } from '../../discovery/suricata-eve.js';
import { ZeekLogAnalyzer } from '../../discovery/zeek-logs.js';
import { formatIssue, type InputIssue } from '../../errors.js';
import { plural, pluralWord } from '../../format-count.js';
import { EveReader } from '../../formats/suricata/eve-reader.js';
import type { NotUtf8 } from '../../formats/utf8.js';
import { firstNotUtf8 } from '../../formats/utf8.js';
import { ZeekLogReader } from '../../formats/zeek/zeek-log-reader.js';
import { ZEEK_LOG_PATHS } from '../../formats/zeek/zeek-records.js';
import { getSetting, putSetting } from '../../store/account-store.js';
import { nowIso } from '../../store/ids.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import { LogFollower, type LogPosition } from '../follow-log.js';
import { emptyFlush, type FlushReport, type LiveRun, SliceStore, softly } from './slice-store.js';

export type LogSensorKind = 'zeek' | 'eve';

/**
 * The Zeek logs Vigil reads, under the names Zeek writes them in its log directory (`conn.log`, or
 * `json_streaming_conn.log` with the json-streaming-logs package). Rotated copies (`conn.2026-11-29-….log`)
 * and other logs (`weird.log`, `stderr.log` …) are not followed. Built from the reader's list, so a log the
 * import reads is followed too.
 */
export const ZEEK_FOLLOWED = new RegExp(
  `^(?:json_streaming_)?(${ZEEK_LOG_PATHS.join('|')})\\.(log|json|ndjson)$`,
  'i',
);

/** Where each followed file (by name in its directory) stopped, as last stored. */
export type LogPositions = Record<string, LogPosition>;

export interface LogPositionState {
  load(): Promise<LogPositions>;
  save(positions: LogPositions): Promise<void>;
}

const PositionSchema = z.object({
  offset: z.number().int().min(0),
  line: z.number().int().min(0),
  ino: z.number().nullable(),
});
const StateSchema = z.object({ version: z.literal(1), files: z.record(z.string(), PositionSchema) });

export const logSensorStateKey = (kind: LogSensorKind, path: string) =>
  `sensor.${kind === 'zeek' ? 'zeek-dir' : 'eve'}:${resolve(path)}`;

/** Read positions in a settings row of the Vigil database (they travel with the data they describe); audited. */
export class DbLogPositionState implements LogPositionState {
  private readonly key: string;

  constructor(
    private readonly h: DbHandle,
    private readonly actor: Actor,
    kind: LogSensorKind,
    path: string,
  ) {
    this.key = logSensorStateKey(kind, path);
  }

  async load(): Promise<LogPositions> {
    assertCan(this.actor, 'devices:import');
    const raw = await getSetting(this.h, this.key);
    if (raw === undefined) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {}
    const r = StateSchema.safeParse(parsed);
    // Positions we cannot read are not trusted: the logs are read from their start (and said so).
    if (!r.success) {
      process.emitWarning(`sensor: ignoring unreadable log positions ${this.key}`);
      return {};
    }
    return r.data.files;
  }

  async save(positions: LogPositions): Promise<void> {
    assertCan(this.actor, 'devices:import');
    await transaction(this.h, async (tx) => {
      await putSetting(tx, this.key, JSON.stringify({ version: 1, files: positions }), nowIso());
      await appendAudit(tx, {
        actor: this.actor,
        action: 'sensor.log-positions',
        target: { type: 'setting', id: this.key },
        summary: { files: Object.keys(positions).length },
      });
    });
  }
}

/** For tests and throwaway runs. */
export class MemoryLogPositionState implements LogPositionState {
  saves = 0;
  constructor(public positions: LogPositions = {}) {}
  async load(): Promise<LogPositions> {
    return structuredClone(this.positions);
  }
  async save(positions: LogPositions): Promise<void> {
    this.saves++;
    this.positions = structuredClone(positions);
  }
}

export interface LogSensorOptions {
  h: DbHandle;
  actor: Actor;
  kind: LogSensorKind;
  /** Zeek: the log directory; EVE: the eve.json file. What import records and status lines call it. */
  path: string;
  /** Default: the database (`DbLogPositionState`). */
  state?: LogPositionState;
  /** Record-time seconds a host may stay silent, once stored, before it is forgotten (default 3600). */
  hostIdleSeconds?: number;
  /** Devices found without a site are placed here (`--site`). */
  siteId?: string | null;
  /** Runs after each stored slice: the detection rules. Its failure is reported, not retried. */
  afterApply?: (run: LiveRun) => Promise<unknown>;
  /** Bad lines (`conn.log, line 3: …`), flush failures, hook errors. */
  onWarning?: (message: string) => void;
  /**
   * Hand each slice to this instead of storing it here (`vigil sensor --nats`: published to the centre,
   * scaleout/remote-log-sensor.ts). Read positions are saved once it resolves; no site or detection here.
   */
  publish?: (result: SourceResult) => Promise<void>;
}

export interface LogSensorStatus {
  event: 'flush' | 'final';
  at: string;
  mode: 'zeek-dir' | 'eve';
  source: string;
  /** Lines read by this run (headers and skipped log types included). */
  lines: number;
  /** Lines that became records. */
  records: number;
  hosts: number;
  devices: number;
  flushes: number;
  failedFlushes: number;
  hostsForgotten: number;
  /** Bad lines reported (file and line), skipped. */
  readerIssues: number;
  lastFlush: FlushReport | null;
  input: { files: { file: string; offset: number; line: number; ino: number | null }[]; rotations: number };
}

type Reader = ZeekLogReader | EveReader;

interface Followed {
  /** Name in the directory: the current log, or (leftover) the rotated file a previous run was reading. */
  name: string;
  follower: LogFollower;
  reader: Reader | null;
  readerIno: number | null;
  /** Header lines to give a reader created for this inode (a TSV log resumed past its header). */
  header?: { ino: number; lines: HeaderLine[] };
}

const HEADER_BYTES = 64 * 1024;

/** A header line read again on resuming, with its first byte that is not UTF-8 if it has one. */
interface HeaderLine {
  text: string;
  notUtf8: NotUtf8 | null;
}

/** The `#` header lines at the top of a file (Zeek TSV), read again when resuming past them. */
async function headerLines(path: string): Promise<HeaderLine[]> {
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return [];
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(HEADER_BYTES), 0, HEADER_BYTES, 0);
    const out: HeaderLine[] = [];
    const bytes = buffer.subarray(0, bytesRead);
    // A damaged header must stop the log on resuming as it did when first read, not be applied with U+FFFD.
    for (let from = 0; from < bytes.length; ) {
      const nl = bytes.indexOf(0x0a, from);
      // A line cut at HEADER_BYTES may end inside a character; it is read whole when the file is.
      if (nl === -1 && bytesRead === HEADER_BYTES) break;
      const line = bytes.subarray(from, nl === -1 ? bytes.length : nl);
      const text = line.toString('utf8');
      if (!text.startsWith('#')) break;
      out.push({ text, notUtf8: firstNotUtf8(line, text) });
      from = nl === -1 ? bytes.length : nl + 1;
    }
    return out;
  } finally {
    await fh.close();
  }
}

export class LogSensor {
  readonly analyzer: ZeekLogAnalyzer | EveAnalyzer;
  readonly dir: string;
  private readonly state: LogPositionState;
  private readonly idleSeconds: number;
  private readonly followed = new Map<string, Followed>();
  /** Rotated files a previous run was in the middle of, read to their end before their successor. */
  private readonly leftovers = new Map<string, Followed>();
  private stored: LogPositions = {};
  private savedJson = '';
  private started = false;
  private lines = 0;
  private records = 0;
  private readerIssues = 0;
  private forgotten = 0;
  /** Latest record time (epoch seconds): the clock idle hosts are judged by. */
  private latest = 0;
  private readonly slices: SliceStore;

  constructor(private readonly o: LogSensorOptions) {
    this.analyzer = o.kind === 'zeek' ? new ZeekLogAnalyzer() : new EveAnalyzer();
    this.dir = o.kind === 'zeek' ? o.path : dirname(o.path);
    this.state = o.state ?? new DbLogPositionState(o.h, o.actor, o.kind, o.path);
    this.idleSeconds = o.hostIdleSeconds ?? 3600;
    this.slices = new SliceStore(o);
  }

  private wanted(name: string): boolean {
    return this.o.kind === 'zeek' ? ZEEK_FOLLOWED.test(name) : name === basename(this.o.path);
  }

  /** Loads the stored positions and finds files rotated away since; called by the first `poll()`. */
  private async start(): Promise<void> {
    this.started = true;
    this.stored = await this.state.load();
    this.savedJson = JSON.stringify(this.stored);
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const inodes = new Map<number, string>();
    for (const n of names) {
      const s = await stat(join(this.dir, n)).catch(() => null);
      if (s?.isFile()) inodes.set(s.ino, n);
    }
    for (const [name, pos] of Object.entries(this.stored)) {
      if (!this.wanted(name) || pos.ino === null) continue;
      const now = await stat(join(this.dir, name)).catch(() => null);
      if (now?.ino === pos.ino) {
        this.follow(name, pos, pos.offset > 0 ? await headerLines(join(this.dir, name)) : []);
        continue;
      }
      // The file this name was stopped in was rotated away: finish it if it is still in the directory.
      const moved = inodes.get(pos.ino);
      if (moved === undefined) {
        this.o.onWarning?.(
          `${name}: the file read last time (inode ${pos.ino}) is no longer in ${this.dir}; lines written to it after line ${pos.line} are not read`,
        );
        continue;
      }
      const path = join(this.dir, moved);
      this.leftovers.set(name, {
        name: moved,
        follower: new LogFollower(path, pos),
        reader: null,
        readerIno: null,
        header: { ino: pos.ino, lines: await headerLines(path) },
      });
    }
  }

  private follow(name: string, pos: LogPosition | undefined, header: HeaderLine[]): void {
    this.followed.set(name, {
      name,
      follower: new LogFollower(join(this.dir, name), pos),
      reader: null,
      readerIno: null,
      ...(pos?.ino != null && header.length ? { header: { ino: pos.ino, lines: header } } : {}),
    });
  }

  /** Reads every complete line written since the last call; returns how many lines were read. */
  async poll(): Promise<number> {
    if (!this.started) await this.start();
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => this.wanted(n)).sort();
    for (const n of names) if (!this.followed.has(n)) this.follow(n, undefined, []);
    let n = 0;
    for (const [name, left] of this.leftovers) {
      for (let got = await this.read(left); got > 0; got = await this.read(left)) n += got;
      await left.follower.close();
      this.leftovers.delete(name);
    }
    for (const f of this.followed.values()) n += await this.read(f);
    return n;
  }

  private async read(f: Followed): Promise<number> {
    const lines = await f.follower.poll();
    for (const l of lines) {
      this.lines++;
      if (f.reader === null || f.readerIno !== l.position.ino) {
        // A new file under the name (rotation): its own header, its own line numbers.
        f.reader =
          this.o.kind === 'zeek'
            ? new ZeekLogReader(f.name)
            : new EveReader(f.name, { credentialCheck: checkDefaultCredential });
        f.readerIno = l.position.ino;
        if (f.header && f.header.ino === l.position.ino) {
          // Replayed quietly (line 0), except a damaged one: it is why the data lines are not read.
          for (const [i, h] of f.header.lines.entries())
            if (h.notUtf8) this.line(f.reader, f.name, h.text, i + 1, h.notUtf8);
            else f.reader.line(h.text, 0);
          delete f.header;
        }
      }
      this.line(f.reader, f.name, l.text, l.line, l.notUtf8);
    }
    return lines.length;
  }

  private line(reader: Reader, file: string, text: string, lineNo: number, bad?: NotUtf8): void {
    const issuesBefore = reader.issues.length + reader.moreIssues;
    let ts: string | undefined;
    if (bad) reader.notUtf8Line(text, lineNo, bad);
    else if (reader instanceof ZeekLogReader) {
      const r = reader.line(text, lineNo);
      if (r) (this.analyzer as ZeekLogAnalyzer).record(r.record, file, r.line);
      ts = r?.record.ts;
    } else {
      const r = reader.line(text, lineNo);
      if (r) (this.analyzer as EveAnalyzer).record(r.record, file, r.line);
      ts = r?.record.ts;
    }
    if (ts !== undefined) {
      this.records++;
      const t = Date.parse(ts) / 1000;
      if (t > this.latest) this.latest = t;
    }
    if (reader.issues.length + reader.moreIssues > issuesBefore) {
      this.readerIssues++;
      const issue: InputIssue | undefined = reader.issues.at(-1);
      if (reader.moreIssues === 0 && issue) this.o.onWarning?.(`${formatIssue(issue)} (skipped)`);
    }
  }

  /** Where every followed file stands now (names not opened yet keep what was stored). */
  positions(): LogPositions {
    const out: LogPositions = { ...this.stored };
    for (const [name, f] of this.followed) {
      if (this.leftovers.has(name)) continue;
      const p = f.follower.position;
      if (p.ino !== null) out[name] = p;
    }
    return out;
  }

  status(event: LogSensorStatus['event'] = 'flush'): LogSensorStatus {
    let rotations = 0;
    const files: LogSensorStatus['input']['files'] = [];
    for (const [name, f] of this.followed) {
      rotations += f.follower.events.filter((e) => e.kind === 'rotated' || e.kind === 'truncated').length;
      files.push({ file: name, ...f.follower.position });
    }
    return {
      event,
      at: new Date().toISOString(),
      mode: this.o.kind === 'zeek' ? 'zeek-dir' : 'eve',
      source: this.o.path,
      lines: this.lines,
      records: this.records,
      hosts: this.analyzer.hosts.size,
      devices: this.slices.devices.size,
      flushes: this.slices.flushes,
      failedFlushes: this.slices.failedFlushes,
      hostsForgotten: this.forgotten,
      readerIssues: this.readerIssues,
      lastFlush: this.slices.lastFlush,
      input: { files, rotations },
    };
  }

  /**
   * Stores what was read since the last stored slice, then the read positions, then runs the detection
   * hook. A slice that could not be stored is kept and stored with the next one (its positions are not
   * saved before), so nothing is lost or counted twice. Only a `final` flush throws.
   */
  async flush(opts: { final?: boolean } = {}): Promise<FlushReport> {
    const at = new Date().toISOString();
    const slice = this.analyzer.snapshot(this.slices.retrying);
    const positions = this.positions();
    const result = this.slices.slice(slice);
    if (this.o.publish) return this.handOver(result, positions, at, opts.final === true);
    const { outcome, report } = await this.slices.store(result, at, opts.final ?? false, {
      source: {
        kind: this.o.kind,
        file: this.o.path,
        stats: {
          sensor: this.o.kind === 'zeek' ? 'zeek-dir' : 'eve',
          lines: this.lines,
          records: this.records,
          issues: this.readerIssues,
          flows: result.flows?.length ?? 0,
          flush: this.slices.flushes + 1,
          positions,
        },
      },
      run: { kind: this.o.kind, file: this.o.path },
      stored: () => this.savePositions(positions),
    });
    if (outcome === 'failed') return report;
    // Lines that taught nothing new (skipped log types, repeats): not worth reading again after a restart.
    if (outcome === 'empty' && !this.slices.retrying) await this.savePositions(positions);
    this.forgotten += this.analyzer.hosts.evictIdle(this.latest - this.idleSeconds, this.latest);
    return this.slices.done(report);
  }

  /** `publish` mode: the slice is handed over (published or spooled, durable), then positions are saved. */
  private async handOver(
    result: SourceResult,
    positions: LogPositions,
    at: string,
    final: boolean,
  ): Promise<FlushReport> {
    try {
      await this.o.publish!(result);
    } catch (e) {
      return this.slices.keepForRetry(result, at, e, final);
    }
    this.slices.handedOver();
    await this.savePositions(positions);
    this.forgotten += this.analyzer.hosts.evictIdle(this.latest - this.idleSeconds, this.latest);
    return this.slices.done({
      ...emptyFlush(at),
      stored: true,
      hosts: result.hosts.length,
      flows: result.flows?.length ?? 0,
    });
  }

  private async savePositions(positions: LogPositions): Promise<void> {
    const json = JSON.stringify(positions);
    if (json === this.savedJson) return;
    await softly(this.o.onWarning, 'saving read positions', async () => {
      await this.state.save(positions);
      this.savedJson = json;
      this.stored = positions;
    });
  }

  /**
   * Polls and flushes in turn until `signal` aborts, then flushes once more. Resolves with the final
   * status; rejects only when that last flush fails.
   */
  async run(o: {
    flushSeconds: number;
    signal: AbortSignal;
    pollMs?: number;
    onStatus?: (s: LogSensorStatus) => void;
  }): Promise<LogSensorStatus> {
    const flushMs = Math.max(1, o.flushSeconds) * 1000;
    const pollMs = o.pollMs ?? 500;
    let due = Date.now() + flushMs;
    try {
      while (!o.signal.aborted) {
        const n = await this.poll();
        if (Date.now() >= due) {
          await this.flush();
          due = Date.now() + flushMs;
          if (!o.signal.aborted) o.onStatus?.(this.status('flush'));
        } else if (n === 0) {
          const wait = Math.min(pollMs, Math.max(0, due - Date.now()));
          await sleep(wait, undefined, { signal: o.signal }).catch(() => undefined);
        }
      }
    } finally {
      await this.flush({ final: true }).finally(() => this.close());
    }
    const final = this.status('final');
    o.onStatus?.(final);
    return final;
  }

  async close(): Promise<void> {
    for (const f of [...this.followed.values(), ...this.leftovers.values()]) await f.follower.close();
  }
}

/** The status line printed per flush without `--json`. */
export function logSensorStatusLine(s: LogSensorStatus): string {
  const f = s.lastFlush;
  const parts = [
    `${s.lines.toLocaleString('en-US')} ${pluralWord(s.lines, 'line')}`,
    `${s.records.toLocaleString('en-US')} ${pluralWord(s.records, 'record')}`,
    `${plural(s.hosts, 'host')} in memory`,
    `${plural(s.devices, 'device')}`,
    `${plural(s.flushes, 'flush', 'flushes')}${s.failedFlushes ? ` (${s.failedFlushes} failed)` : ''}`,
  ];
  if (s.readerIssues) parts.push(`${plural(s.readerIssues, 'bad line')} skipped`);
  if (s.input.rotations) parts.push(`${plural(s.input.rotations, 'rotation')}`);
  if (f?.stored)
    parts.push(
      `last: ${plural(f.hosts, 'host')}, ${plural(f.devices.staged, 'new device')}, findings ${f.findings.created} new/${f.findings.updated + f.findings.reopened} again, ${plural(f.flows, 'conversation')}`,
    );
  if (f?.error) parts.push(`last flush failed: ${f.error}`);
  return `sensor ${s.source} [${s.event}]: ${parts.join(', ')}`;
}
