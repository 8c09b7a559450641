/**
 * @module Streaming reader for classic pcap files (libpcap format): both byte orders, microsecond and
 * nanosecond timestamps, and Kuznetzov's modified-pcap variant.
 *
 * @see draft-ietf-opsawg-pcap §4 File Header, §5 Packet Record
 */
import { ByteWindow } from './byte-window.js';
import { CapturePacket } from './capture-packet.js';
import { type CaptureReader, MAX_RECORD_BYTES, RESYNC_SCAN_BYTES } from './capture-reader.js';
import { CaptureStats } from './capture-stats.js';

/** @see draft-ietf-opsawg-pcap §4: Magic Number, read as a little-endian uint32. */
export const PCAP_MAGIC = {
  MICRO_LE: 0xa1b2c3d4,
  MICRO_BE: 0xd4c3b2a1,
  NANO_LE: 0xa1b23c4d,
  NANO_BE: 0x4d3cb2a1,
  /** Alexey Kuznetzov's patched libpcap: 24-byte record headers (ifindex, protocol, pkt_type, pad). */
  KUZNETZOV_LE: 0xa1b2cd34,
  KUZNETZOV_BE: 0x34cdb2a1,
} as const;

const FILE_HEADER_BYTES = 24;
/** Wireshark's and libpcap's default ceiling for a packet; the snaplen raises it. */
const TYPICAL_MAX_PACKET = 262144;
/** A resynchronisation candidate must be within this many seconds of the last good timestamp. */
const RESYNC_TIME_WINDOW_SEC = 30 * 86400;

// Reader states (plain numbers: a switch over small integers is the cheapest dispatch).
const FILE_HEADER = 0;
const RECORDS = 1;
const RESYNC = 2;
const DONE = 3;

export interface PcapReaderOptions {
  /** Name used in issues. */
  file?: string;
  maxIssues?: number;
  /** Shares a stats object (open-capture passes its own). */
  stats?: CaptureStats;
}

/**
 * Classic pcap as a {@link CaptureReader}. After the file header has been read, `linkType`, `snapLength`,
 * `nanosecond`, `littleEndian` and `fcsLength` describe the file.
 *
 * Bad input: a record whose captured length is absurd (beyond max(snaplen, 256 KiB), or beyond 256 MiB) has
 * no reliable successor, because pcap has no sync marker. The reader then scans forward (at most 1 MiB) for
 * a position where two consecutive record headers are plausible, reports how much it skipped, and goes on;
 * if none is found it stops with an issue. A truncated last record is reported and dropped.
 */
export class PcapReader implements CaptureReader {
  readonly stats: CaptureStats;
  done = false;
  linkType = -1;
  snapLength = 0;
  nanosecond = false;
  littleEndian = true;
  versionMajor = 0;
  versionMinor = 0;
  /** FCS bytes at the end of each packet, from the LinkType field's F bit (§4); usually 0. */
  fcsLength = 0;

  private readonly w = new ByteWindow();
  private readonly packet = new CapturePacket();
  private state: number = FILE_HEADER;
  private recordHeaderBytes = 16;
  private fracToNsec = 1000;
  private fracLimit = 1_000_000;
  private maxCaptured = TYPICAL_MAX_PACKET;
  private resyncFrom = 0;
  private lastTsSec = 0;
  private haveTs = false;

  constructor(options: PcapReaderOptions = {}) {
    this.stats = options.stats ?? new CaptureStats(options.file ?? '', options.maxIssues);
  }

  push(chunk: Uint8Array): void {
    this.stats.bytes += chunk.length;
    this.w.push(chunk);
  }

  end(): void {
    this.w.end();
  }

  next(): CapturePacket | null {
    const w = this.w;
    for (;;) {
      switch (this.state) {
        case FILE_HEADER:
          if (!this.readFileHeader()) return null;
          continue;
        case RESYNC:
          if (!this.resync()) return null;
          continue;
        case DONE:
          return null;
      }
      // RECORDS: the hot path.
      const hl = this.recordHeaderBytes;
      if (!w.ensure(hl)) {
        if (w.eof) this.finishAtEof();
        return null;
      }
      const le = this.littleEndian;
      const view = w.view;
      const at = w.at;
      const capLen = view.getUint32(at + 8, le);
      if (capLen > this.maxCaptured) {
        this.stats.issue(
          w.offset,
          `pcap record claims ${capLen} captured bytes (more than the ${this.maxCaptured} allowed)`,
        );
        this.startResync();
        continue;
      }
      const total = hl + capLen;
      if (!w.ensure(total)) {
        if (w.eof) this.finishAtEof();
        return null;
      }
      // ensure() may have switched to the carry buffer: read everything from w.view/w.at again.
      const p = this.packet;
      const v = w.view;
      const a = w.at;
      p.index = ++this.stats.packets;
      p.offset = w.offset;
      p.linkType = this.linkType;
      p.timestampSec = v.getUint32(a, le);
      const frac = v.getUint32(a + 4, le);
      if (frac < this.fracLimit) p.timestampNsec = frac * this.fracToNsec;
      else {
        // Out of range (some writers, or damage): carry the excess into the seconds, keeping nsec < 1e9.
        p.timestampSec += Math.floor(frac / this.fracLimit);
        p.timestampNsec = (frac % this.fracLimit) * this.fracToNsec;
      }
      p.capturedLength = capLen;
      p.originalLength = v.getUint32(a + 12, le);
      p.bytes = w.bytes;
      p.dataOffset = a + hl;
      this.lastTsSec = p.timestampSec;
      this.haveTs = true;
      w.skip(total);
      return p;
    }
  }

  /** @see draft-ietf-opsawg-pcap §4 File Header */
  private readFileHeader(): boolean {
    const w = this.w;
    if (!w.ensure(FILE_HEADER_BYTES)) {
      if (w.eof) {
        const have = w.available();
        this.stats.issue(0, `truncated pcap file header: ${have} of ${FILE_HEADER_BYTES} bytes`);
        this.stats.skippedBytes += have;
        this.stop();
      }
      return false;
    }
    const v = w.view;
    const at = w.at;
    const magic = v.getUint32(at, true);
    switch (magic) {
      case PCAP_MAGIC.MICRO_LE:
      case PCAP_MAGIC.NANO_LE:
      case PCAP_MAGIC.KUZNETZOV_LE:
        this.littleEndian = true;
        break;
      case PCAP_MAGIC.MICRO_BE:
      case PCAP_MAGIC.NANO_BE:
      case PCAP_MAGIC.KUZNETZOV_BE:
        this.littleEndian = false;
        break;
      default:
        this.stats.issue(0, `not a pcap file (magic 0x${magic.toString(16).padStart(8, '0')})`);
        this.stop(true);
        return false;
    }
    this.nanosecond = magic === PCAP_MAGIC.NANO_LE || magic === PCAP_MAGIC.NANO_BE;
    if (this.nanosecond) {
      this.fracToNsec = 1;
      this.fracLimit = 1_000_000_000;
    }
    if (magic === PCAP_MAGIC.KUZNETZOV_LE || magic === PCAP_MAGIC.KUZNETZOV_BE) this.recordHeaderBytes = 24;
    const le = this.littleEndian;
    this.versionMajor = v.getUint16(at + 4, le);
    this.versionMinor = v.getUint16(at + 6, le);
    if (this.versionMajor !== 2) {
      this.stats.issue(
        0,
        `unexpected pcap version ${this.versionMajor}.${this.versionMinor}; reading as 2.4`,
      );
    }
    this.snapLength = v.getUint32(at + 16, le);
    const linkField = v.getUint32(at + 20, le);
    // §4: LinkType in the low 16 bits; bit 26 (F) says bits 28-31 hold the FCS length in 16-bit words.
    this.linkType = linkField & 0xffff;
    this.fcsLength = linkField & 0x04000000 ? ((linkField >>> 28) & 0xf) * 2 : 0;
    this.maxCaptured = Math.min(MAX_RECORD_BYTES, Math.max(this.snapLength, TYPICAL_MAX_PACKET));
    w.skip(FILE_HEADER_BYTES);
    this.state = RECORDS;
    return true;
  }

  private finishAtEof(): void {
    const w = this.w;
    const have = w.available();
    if (have > 0) {
      const hl = this.recordHeaderBytes;
      if (have < hl) {
        this.stats.issue(w.offset, `truncated pcap record header: ${have} of ${hl} bytes at end of file`);
      } else {
        w.ensure(hl);
        const want = w.view.getUint32(w.at + 8, this.littleEndian);
        this.stats.issue(
          w.offset,
          `truncated pcap record: ${have - hl} of ${want} packet bytes at end of file`,
        );
      }
      this.stats.skippedRecords++;
      this.stats.skippedBytes += have;
    }
    this.stop();
  }

  private startResync(): void {
    this.stats.skippedRecords++;
    this.resyncFrom = this.w.offset;
    this.state = RESYNC;
  }

  /** Whether the bytes at `at` look like a record header (stricter than the normal path). */
  private plausible(view: DataView, at: number): boolean {
    const le = this.littleEndian;
    const capLen = view.getUint32(at + 8, le);
    const origLen = view.getUint32(at + 12, le);
    if (capLen === 0 || capLen > this.maxCaptured || origLen < capLen || origLen > this.maxCaptured)
      return false;
    if (view.getUint32(at + 4, le) >= this.fracLimit) return false;
    return !this.haveTs || Math.abs(view.getUint32(at, le) - this.lastTsSec) <= RESYNC_TIME_WINDOW_SEC;
  }

  /** Scans byte by byte for two consecutive plausible record headers. Returns false when input is needed. */
  private resync(): boolean {
    const w = this.w;
    const hl = this.recordHeaderBytes;
    for (;;) {
      if (w.offset - this.resyncFrom > RESYNC_SCAN_BYTES) {
        this.stats.issue(
          this.resyncFrom,
          `no plausible pcap record within ${RESYNC_SCAN_BYTES} bytes; stopped`,
        );
        this.stop(true);
        return false;
      }
      if (!w.ensure(hl)) {
        if (w.eof) {
          this.stats.skippedBytes += w.available();
          this.stats.issue(this.resyncFrom, 'no plausible pcap record before end of file');
          this.stop();
        }
        return false;
      }
      if (this.plausible(w.view, w.at)) {
        const capLen = w.view.getUint32(w.at + 8, this.littleEndian);
        const need = hl + capLen + hl;
        let found: boolean;
        if (w.ensure(need)) found = this.plausible(w.view, w.at + hl + capLen);
        else if (!w.eof) return false;
        else found = w.available() === hl + capLen;
        if (found) {
          const skipped = w.offset - this.resyncFrom;
          this.stats.issue(
            this.resyncFrom,
            `skipped ${skipped} corrupt bytes; resynchronised at ${w.offset}`,
          );
          this.state = RECORDS;
          return true;
        }
      }
      w.skip(1);
      this.stats.skippedBytes++;
    }
  }

  /** `gaveUp`: stopped before the end of the stream because the rest could not be parsed. */
  private stop(gaveUp = false): void {
    if (gaveUp) this.stats.stopped = true;
    this.state = DONE;
    this.done = true;
    this.w.shrink(0);
  }
}
