/**
 * @module Opens a capture from a path, standard input (`-`) or any stream of chunks: detects the format by
 * its magic number (pcap in either byte order and precision, pcapng, gzip-compressed either), decompresses
 * on the fly, and hands out packets with running statistics.
 *
 * @see draft-ietf-opsawg-pcap §4 (magic numbers), draft-ietf-opsawg-pcapng §4.1 (Section Header Block),
 *   RFC 1952 §2.3.1 (gzip ID1 ID2 = 0x1f 0x8b)
 */
import { createReadStream } from 'node:fs';
import { describeUtf16, utf16Of } from '../formats/utf16.js';
import type { CapturePacket } from './capture-packet.js';
import type { CaptureReader } from './capture-reader.js';
import { CaptureStats, DEFAULT_MAX_ISSUES } from './capture-stats.js';
import { gunzipChunks } from './gunzip-chunks.js';
import { PCAP_MAGIC, PcapReader } from './pcap-reader.js';
import { PcapngBlockType, PcapngReader } from './pcapng-reader.js';

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureOptions {
  /** Name used in issues (defaults to the path, or "stdin"). */
  file?: string;
  /** Issues kept in `stats.issues` (all are counted in `stats.issueCount`). */
  maxIssues?: number;
  /** Read size for files; larger chunks mean fewer records straddling a boundary. */
  chunkBytes?: number;
  /** What `-` reads (default `process.stdin`). */
  stdin?: AsyncIterable<Uint8Array>;
}

const PCAP_MAGICS = new Set<number>(Object.values(PCAP_MAGIC));

/** Which reader the first four bytes call for (as a little-endian uint32), or undefined. */
export function detectCaptureFormat(magicLe: number): CaptureFormat | undefined {
  if (magicLe === PcapngBlockType.SECTION_HEADER) return 'pcapng';
  if (PCAP_MAGICS.has(magicLe)) return 'pcap';
  return undefined;
}

/**
 * A capture being read: iterate it once, with `for await` or the faster {@link Capture.forEach}. Packets are
 * reused objects (see {@link CapturePacket}): copy what you keep.
 *
 * Errors: bad data never throws (see `stats.issues`, `stats.stopped`); only I/O errors of the source (file
 * missing, read failure) reject the iteration.
 */
export class Capture implements AsyncIterable<CapturePacket> {
  readonly stats: CaptureStats;
  /** Known once the first bytes have been read. */
  format: CaptureFormat | undefined;
  compressed = false;
  /** The reader in use (PcapReader or PcapngReader), once the format is known. */
  reader: CaptureReader | undefined;
  private used = false;

  constructor(
    private readonly source: AsyncIterable<Uint8Array>,
    options: CaptureOptions = {},
  ) {
    this.stats = new CaptureStats(options.file ?? '', options.maxIssues ?? DEFAULT_MAX_ISSUES);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<CapturePacket, void, undefined> {
    for await (const reader of this.feed()) {
      for (let p = reader.next(); p !== null; p = reader.next()) yield p;
    }
  }

  /**
   * Calls `onPacket` for every packet, synchronously within each chunk: no promise per packet, which is what
   * the hot path wants. Resolves with the final statistics.
   */
  async forEach(onPacket: (packet: CapturePacket) => void): Promise<CaptureStats> {
    for await (const reader of this.feed()) {
      for (let p = reader.next(); p !== null; p = reader.next()) onPacket(p);
    }
    return this.stats;
  }

  /**
   * Pushes the decompressed stream into the reader chosen by the magic number and yields the reader each time
   * it may have packets (after each chunk, and once more after the end of the stream).
   */
  private async *feed(): AsyncGenerator<CaptureReader, void, undefined> {
    if (this.used) throw new Error('a Capture can be iterated only once');
    this.used = true;
    const head: Uint8Array[] = [];
    let headBytes = 0;
    let reader: CaptureReader | undefined;
    for await (const chunk of this.decompressed()) {
      if (reader === undefined) {
        head.push(chunk);
        headBytes += chunk.length;
        if (headBytes < 4) continue;
        reader = this.chooseReader(head);
        if (reader === undefined) return;
        reader.push(plainBytes(head.length === 1 ? head[0]! : Buffer.concat(head)));
      } else {
        reader.push(plainBytes(chunk));
      }
      yield reader;
      // Not a capture, or corrupt beyond repair: stop reading (a 10 GB file of garbage is not read through).
      if (reader.done) return;
    }
    if (reader === undefined) {
      if (headBytes === 0) this.stats.issue(0, 'empty input');
      else this.stats.issue(0, `input too short to be a capture (${headBytes} bytes)`);
      this.stats.skippedBytes += headBytes;
      this.stats.bytes += headBytes;
      return;
    }
    reader.end();
    yield reader;
  }

  private chooseReader(head: Uint8Array[]): CaptureReader | undefined {
    const magic = new Uint8Array(4);
    let n = 0;
    for (const c of head) {
      for (let i = 0; i < c.length && n < 4; i++) magic[n++] = c[i]!;
    }
    const magicLe = new DataView(magic.buffer).getUint32(0, true);
    this.format = detectCaptureFormat(magicLe);
    if (this.format === 'pcap') this.reader = new PcapReader({ stats: this.stats });
    else if (this.format === 'pcapng') this.reader = new PcapngReader({ stats: this.stats });
    else {
      // Only once no capture magic matched: Wireshark's "Export Packet Dissections" as text, or a Zeek log
      // or nmap XML re-saved by a Windows editor as "Unicode", would otherwise be an unknown magic.
      const utf16 = utf16Of(head.length === 1 ? head[0]! : Buffer.concat(head));
      this.stats.issue(
        0,
        utf16
          ? `${describeUtf16(utf16)} text, not a capture (pcap, pcapng or gzip): save the capture itself (Wireshark: File › Save As), or a Zeek log or nmap XML as UTF-8`
          : `unknown capture format (magic 0x${magicLe.toString(16).padStart(8, '0')}); expected pcap, pcapng or gzip`,
      );
      this.stats.stopped = true;
    }
    return this.reader;
  }

  /** The source, gunzipped when it starts with the gzip magic (RFC 1952 §2.3.1). */
  private async *decompressed(): AsyncGenerator<Uint8Array, void, undefined> {
    const stats = this.stats;
    const it = this.source[Symbol.asyncIterator]();
    let exhausted = false;
    const head: Uint8Array[] = [];
    // The whole source, counting what is read (for progress), head first.
    const all = async function* (): AsyncGenerator<Uint8Array, void, undefined> {
      yield* head;
      while (!exhausted) {
        const r = await it.next();
        if (r.done) {
          exhausted = true;
          return;
        }
        stats.sourceBytes += r.value.length;
        yield r.value;
      }
    };
    try {
      for (let have = 0; have < 2; ) {
        const r = await it.next();
        if (r.done) {
          exhausted = true;
          break;
        }
        stats.sourceBytes += r.value.length;
        head.push(r.value);
        have += r.value.length;
      }
      const b0 = head[0]?.[0];
      const b1 = head[0] !== undefined && head[0].length > 1 ? head[0][1] : head[1]?.[0];
      if (b0 === 0x1f && b1 === 0x8b) {
        this.compressed = true;
        yield* gunzipChunks(all(), (reason) => stats.issue(stats.bytes, `gzip: ${reason}`));
      } else {
        yield* all();
      }
    } finally {
      // The consumer stopped early (break, or the reader gave up): release the file or pipe.
      if (!exhausted) await it.return?.();
    }
  }
}

/**
 * The same bytes as a plain `Uint8Array` view. File and gunzip chunks are Node `Buffer`s, and every
 * `subarray()` of a Buffer builds another Buffer through its species constructor: several times slower
 * than a typed-array view, and the readers, the TCP reassembly and the dissectors take views of every
 * packet and segment.
 */
function plainBytes(chunk: Uint8Array): Uint8Array {
  return Buffer.isBuffer(chunk) ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : chunk;
}

/** Reads a capture from any stream of chunks (a gunzip stream, a socket, a test's array of buffers). */
export function readCapture(source: AsyncIterable<Uint8Array>, options: CaptureOptions = {}): Capture {
  return new Capture(source, options);
}

/**
 * Opens a capture file, or standard input for `-` (so `tcpdump -w - | vigil import -` works). The file is
 * opened lazily when iteration starts; a missing file rejects the iteration.
 */
export function openCapture(path: string, options: CaptureOptions = {}): Capture {
  const file = options.file ?? (path === '-' ? 'stdin' : path);
  const source: AsyncIterable<Uint8Array> =
    path === '-' ? (options.stdin ?? process.stdin) : fileChunks(path, options.chunkBytes ?? 1 << 20);
  return new Capture(source, { ...options, file });
}

/** Opens the file only when the first chunk is asked for, so an unused Capture holds no descriptor. */
async function* fileChunks(path: string, chunkBytes: number): AsyncGenerator<Uint8Array, void, undefined> {
  yield* createReadStream(path, { highWaterMark: chunkBytes });
}
