/**
 * @module Streaming reader for pcapng files: any number of sections in either byte order, several interfaces
 * each with its own link type, snaplen, timestamp resolution and offset; Enhanced, Simple and the obsolete
 * Packet Blocks. Other blocks (name resolution, statistics, decryption secrets, custom, unknown) are skipped
 * by their length without being buffered.
 *
 * @see draft-ietf-opsawg-pcapng §3.1 General Block Structure, §3.5 Options, §4 Block Definition
 */

import { isStorableEpochSeconds } from '../time-range.js';
import { ByteWindow } from './byte-window.js';
import { CapturePacket } from './capture-packet.js';
import { type CaptureReader, MAX_RECORD_BYTES, RESYNC_SCAN_BYTES } from './capture-reader.js';
import { CaptureStats } from './capture-stats.js';

/** @see draft-ietf-opsawg-pcapng §3.2 Block Types (and §4.x for each). */
export const PcapngBlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  /** Obsolete (Appendix A), still written by old tools. */
  PACKET: 0x00000002,
  SIMPLE_PACKET: 0x00000003,
  NAME_RESOLUTION: 0x00000004,
  INTERFACE_STATISTICS: 0x00000005,
  ENHANCED_PACKET: 0x00000006,
  SYSTEMD_JOURNAL_EXPORT: 0x00000009,
  DECRYPTION_SECRETS: 0x0000000a,
  CUSTOM: 0x00000bad,
  CUSTOM_NO_COPY: 0x40000bad,
} as const;

/** @see draft-ietf-opsawg-pcapng §4.1: Byte-Order Magic. */
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** §4.2 IDB options. */
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
/** Skipped blocks up to this size are read whole so their trailer can be checked; larger ones are skipped blind. */
const CHECK_SKIPPED_BLOCK_BYTES = 64 * 1024;

// Reader states.
const BLOCK = 0;
const RESYNC = 1;
const DONE = 2;
// checkTrailer() answers.
const TRAILER_OK = 0;
const DROPPED = 1;
const NEED_INPUT = 2;

/** What the reader keeps from an Interface Description Block (§4.2). */
export interface PcapngInterface {
  linkType: number;
  /** 0 means no limit. */
  snapLength: number;
  /** Timestamp units per second (10^n or 2^n from if_tsresol; default 10^6). */
  unitsPerSecond: number;
  /** if_tsoffset: seconds added to every timestamp (default 0). */
  offsetSeconds: number;
}

export interface PcapngReaderOptions {
  file?: string;
  maxIssues?: number;
  stats?: CaptureStats;
}

/**
 * pcapng as a {@link CaptureReader}. `interfaces` lists the interfaces of the current section; `sections`
 * counts Section Header Blocks seen.
 *
 * Bad input: a block whose total length is absurd (< 12, not a multiple of 4, > 256 MiB) or whose trailer
 * disagrees with its header cannot be trusted. When the block after a trailer mismatch looks sound, only
 * the bad block is dropped; otherwise the reader scans forward (at most 1 MiB) for a block of a known type
 * whose trailer matches its length and resumes there, or stops with an issue. A packet block with an
 * inconsistent captured length, or referring to an interface not described, is dropped and counted.
 */
export class PcapngReader implements CaptureReader {
  readonly stats: CaptureStats;
  done = false;
  interfaces: PcapngInterface[] = [];
  sections = 0;

  private readonly w = new ByteWindow();
  private readonly packet = new CapturePacket();
  private state = BLOCK;
  private le = true;
  /** Inside a section whose major version we cannot read: skip blocks until the next SHB. */
  private skippingSection = false;
  private resyncFrom = 0;

  constructor(options: PcapngReaderOptions = {}) {
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
      if (this.state !== BLOCK) {
        if (this.state === DONE || !this.resync()) return null;
        continue;
      }
      // §3.1: every block starts with Block Type and Block Total Length.
      if (!w.ensure(8)) {
        if (w.eof) this.finishAtEof(8);
        return null;
      }
      let type = w.view.getUint32(w.at, this.le);
      if (type === PcapngBlockType.SECTION_HEADER) {
        if (!this.readSectionHeader()) return null;
        continue;
      }
      if (this.sections === 0) {
        this.stats.issue(w.offset, 'not a pcapng file (no Section Header Block first)');
        this.stop(true);
        return null;
      }
      const len = w.view.getUint32(w.at + 4, this.le);
      if (len < 12 || (len & 3) !== 0 || len > MAX_RECORD_BYTES) {
        this.stats.issue(
          w.offset,
          `pcapng block type 0x${type.toString(16)} has an absurd total length ${len}`,
        );
        this.startResync();
        continue;
      }
      const isPacket =
        type === PcapngBlockType.ENHANCED_PACKET ||
        type === PcapngBlockType.SIMPLE_PACKET ||
        type === PcapngBlockType.PACKET;
      if (!isPacket && type !== PcapngBlockType.INTERFACE_DESCRIPTION) {
        // Blocks we do not use: skip by length; read small ones whole to check the trailer.
        if (len <= CHECK_SKIPPED_BLOCK_BYTES) {
          if (!w.ensure(len)) {
            if (w.eof) this.finishAtEof(len);
            return null;
          }
          const t = this.checkTrailer(len);
          if (t === NEED_INPUT) return null;
          if (t === DROPPED) continue;
        }
        this.stats.ignoredBlocks++;
        w.skip(len);
        continue;
      }
      if (!w.ensure(len)) {
        if (w.eof) this.finishAtEof(len);
        return null;
      }
      const t = this.checkTrailer(len);
      if (t === NEED_INPUT) return null;
      if (t === DROPPED) continue;
      if (this.skippingSection) {
        this.stats.ignoredBlocks++;
        w.skip(len);
        continue;
      }
      type = w.view.getUint32(w.at, this.le);
      if (type === PcapngBlockType.INTERFACE_DESCRIPTION) {
        this.readInterface(len);
        w.skip(len);
        continue;
      }
      const p = this.readPacketBlock(type, len);
      w.skip(len);
      if (p !== null) return p;
    }
  }

  /** @see draft-ietf-opsawg-pcapng §4.1 Section Header Block */
  private readSectionHeader(): boolean {
    const w = this.w;
    if (!w.ensure(12)) {
      if (w.eof) this.finishAtEof(12);
      return false;
    }
    const magic = w.view.getUint32(w.at + 8, true);
    let le: boolean;
    if (magic === BYTE_ORDER_MAGIC) le = true;
    else if (magic === 0x4d3c2b1a) le = false;
    else {
      this.stats.issue(
        w.offset,
        `pcapng Section Header Block with bad byte-order magic 0x${magic.toString(16)}`,
      );
      if (this.sections === 0) this.stop(true);
      else this.startResync();
      return false;
    }
    const len = w.view.getUint32(w.at + 4, le);
    if (len < 28 || (len & 3) !== 0 || len > MAX_RECORD_BYTES) {
      this.stats.issue(w.offset, `pcapng Section Header Block has an absurd total length ${len}`);
      if (this.sections === 0) this.stop(true);
      else this.startResync();
      return false;
    }
    if (!w.ensure(len)) {
      if (w.eof) this.finishAtEof(len);
      return false;
    }
    const v = w.view;
    const at = w.at;
    if (v.getUint32(at + len - 4, le) !== len) {
      this.stats.issue(w.offset, 'pcapng Section Header Block trailer length differs from its header');
      if (this.sections === 0) {
        this.stop(true);
        return false;
      }
      this.startResync();
      return false;
    }
    this.le = le;
    this.sections++;
    this.interfaces = [];
    const major = v.getUint16(at + 12, le);
    const minor = v.getUint16(at + 14, le);
    // §4.1: a reader that does not know the major version must skip the whole section.
    this.skippingSection = major !== 1;
    if (this.skippingSection) {
      this.stats.issue(w.offset, `unsupported pcapng version ${major}.${minor}; section skipped`);
    }
    w.skip(len);
    return true;
  }

  /** @see draft-ietf-opsawg-pcapng §4.2 Interface Description Block, options if_tsresol and if_tsoffset */
  private readInterface(len: number): void {
    const w = this.w;
    const v = w.view;
    const at = w.at;
    const le = this.le;
    if (len < 20) {
      this.stats.issue(w.offset, `pcapng Interface Description Block too short (${len} bytes)`);
      this.stats.skippedRecords++;
      this.stats.skippedBytes += len;
      // Keep interface numbering aligned with the writer's: later blocks refer to ids by position.
      this.interfaces.push({ linkType: -1, snapLength: 0, unitsPerSecond: 1e6, offsetSeconds: 0 });
      return;
    }
    const iface: PcapngInterface = {
      linkType: v.getUint16(at + 8, le),
      snapLength: v.getUint32(at + 12, le),
      unitsPerSecond: 1e6,
      offsetSeconds: 0,
    };
    // §3.5 Options: code (2), length (2), value padded to 32 bits; opt_endofopt (0) ends the list.
    let o = at + 16;
    const end = at + len - 4;
    while (o + 4 <= end) {
      const code = v.getUint16(o, le);
      const olen = v.getUint16(o + 2, le);
      if (code === 0) break;
      if (o + 4 + olen > end) {
        this.stats.issue(w.offset + (o - at), `pcapng option ${code} overruns its block; rest ignored`);
        break;
      }
      if (code === IF_TSRESOL && olen >= 1) {
        const r = w.bytes[o + 4]!;
        // MSB clear: 10^-r seconds; set: 2^-(r & 0x7f). Beyond 2^-63 / 10^-19 cannot be held in 64 bits.
        const pow2 = (r & 0x80) !== 0;
        const exp = r & 0x7f;
        if ((pow2 && exp > 63) || (!pow2 && exp > 19)) {
          this.stats.issue(w.offset + (o - at), `pcapng if_tsresol ${r} out of range; using microseconds`);
        } else {
          iface.unitsPerSecond = pow2 ? 2 ** exp : 10 ** exp;
        }
      } else if (code === IF_TSOFFSET && olen >= 8) {
        iface.offsetSeconds = Number(v.getBigInt64(o + 4, le));
      }
      o += 4 + ((olen + 3) & ~3);
    }
    this.interfaces.push(iface);
  }

  /**
   * @see draft-ietf-opsawg-pcapng §4.3 Enhanced Packet Block, §4.4 Simple Packet Block,
   *   Appendix A Packet Block (obsolete)
   */
  private readPacketBlock(type: number, len: number): CapturePacket | null {
    const w = this.w;
    const v = w.view;
    const at = w.at;
    const le = this.le;
    const p = this.packet;
    let ifaceId: number;
    let capLen: number;
    let origLen: number;
    let dataAt: number;
    let iface: PcapngInterface | undefined;
    if (type === PcapngBlockType.SIMPLE_PACKET) {
      // §4.4: no interface id, the packet belongs to interface 0; captured length is what fits the snaplen.
      ifaceId = 0;
      iface = this.interfaces[0];
      origLen = v.getUint32(at + 8, le);
      capLen = Math.min(origLen, len - 16);
      if (iface !== undefined && iface.snapLength > 0) capLen = Math.min(capLen, iface.snapLength);
      dataAt = at + 12;
    } else {
      if (len < 32) {
        this.dropBlock(len, `pcapng packet block too short (${len} bytes)`, false);
        return null;
      }
      ifaceId = type === PcapngBlockType.PACKET ? v.getUint16(at + 8, le) : v.getUint32(at + 8, le);
      iface = this.interfaces[ifaceId];
      capLen = v.getUint32(at + 20, le);
      origLen = v.getUint32(at + 24, le);
      dataAt = at + 28;
      if (28 + capLen + 4 > len) {
        this.dropBlock(
          len,
          `pcapng packet captured length ${capLen} does not fit its ${len}-byte block`,
          false,
        );
        return null;
      }
    }
    if (iface === undefined || iface.linkType < 0) {
      this.dropBlock(len, `pcapng packet refers to undescribed interface ${ifaceId}`, false);
      return null;
    }
    p.index = ++this.stats.packets;
    p.offset = w.offset;
    p.linkType = iface.linkType;
    p.interfaceId = ifaceId;
    if (type !== PcapngBlockType.SIMPLE_PACKET) {
      const sec = p.timestampSec;
      const nsec = p.timestampNsec;
      this.setTimestamp(v.getUint32(at + 12, le), v.getUint32(at + 16, le), iface);
      // A corrupt timestamp (or if_tsresol/if_tsoffset) can date a packet before 1970 or after 9999, or
      // past what a date holds at all: its bytes are still good, so it keeps the previous packet's time,
      // as a Simple Packet Block does, rather than making every later time on the way to a report invalid.
      if (!isStorableEpochSeconds(p.timestampSec)) {
        this.stats.issue(
          w.offset,
          `pcapng packet ${p.index} timestamp is out of range (${p.timestampSec} s since 1970, not 1970–9999); the previous packet's time is used`,
        );
        p.timestampSec = sec;
        p.timestampNsec = nsec;
      }
    }
    // A Simple Packet Block has no timestamp: the previous packet's time is kept, so time never jumps.
    p.capturedLength = capLen;
    p.originalLength = origLen;
    p.bytes = w.bytes;
    p.dataOffset = dataAt;
    return p;
  }

  /**
   * Splits the 64-bit timestamp (units since the epoch) into seconds and nanoseconds without a bigint on
   * the common paths.
   */
  private setTimestamp(high: number, low: number, iface: PcapngInterface): void {
    const p = this.packet;
    const units = iface.unitsPerSecond;
    if (units === 1e6 && high < 0x200000) {
      // Below 2^53 the value is exact in a double (microseconds up to the year 2255).
      const total = high * 4294967296 + low;
      const sec = Math.floor(total / 1e6);
      p.timestampSec = sec + iface.offsetSeconds;
      p.timestampNsec = (total - sec * 1e6) * 1000;
      return;
    }
    if (units <= 2 ** 37) {
      // Long division over four 16-bit limbs: remainder * 2^16 stays below 2^53.
      let q = 0;
      let r = 0;
      for (let i = 0; i < 4; i++) {
        const limb = i === 0 ? high >>> 16 : i === 1 ? high & 0xffff : i === 2 ? low >>> 16 : low & 0xffff;
        const cur = r * 65536 + limb;
        const d = Math.floor(cur / units);
        r = cur - d * units;
        q = q * 65536 + d;
      }
      p.timestampSec = q + iface.offsetSeconds;
      p.timestampNsec = units === 1e9 ? r : Math.floor((r * 1e9) / units);
      return;
    }
    const total = (BigInt(high) << 32n) | BigInt(low);
    const u = BigInt(units);
    p.timestampSec = Number(total / u) + iface.offsetSeconds;
    p.timestampNsec = Number(((total % u) * 1_000_000_000n) / u);
  }

  /**
   * Checks the trailing Block Total Length (§3.1). On mismatch, drops the block or starts resynchronising
   * (DROPPED), or asks for more input to decide (NEED_INPUT).
   */
  private checkTrailer(len: number): number {
    const w = this.w;
    if (w.view.getUint32(w.at + len - 4, this.le) === len) return TRAILER_OK;
    const offset = w.offset;
    const type = w.view.getUint32(w.at, this.le);
    // Which length is wrong? If a sound block follows at offset + len, only the trailer was damaged.
    if (w.ensure(len + 12) && this.plausibleHeader(w.view, w.at + len)) {
      this.stats.issue(
        offset,
        `pcapng block type 0x${type.toString(16)}: trailer length differs; block dropped`,
      );
      this.dropBlock(len, null);
    } else if (w.eof && w.available() === len) {
      this.stats.issue(offset, 'pcapng last block: trailer length differs; block dropped');
      this.dropBlock(len, null);
    } else if (!w.eof && w.available() < len + 12) {
      // Need the next block's header to decide; next() retries this block after more input arrives.
      return NEED_INPUT;
    } else {
      this.stats.issue(offset, `pcapng block type 0x${type.toString(16)}: trailer length differs`);
      this.startResync();
    }
    return DROPPED;
  }

  /** Counts a block as skipped; `consume` also moves past it (readPacketBlock's caller does that itself). */
  private dropBlock(len: number, reason: string | null, consume = true): void {
    if (reason !== null) this.stats.issue(this.w.offset, reason);
    this.stats.skippedRecords++;
    this.stats.skippedBytes += len;
    if (consume) this.w.skip(len);
  }

  /** Block header at `at` of a known type with a sane length (the trailer is checked separately). */
  private plausibleHeader(view: DataView, at: number): boolean {
    const type = view.getUint32(at, this.le);
    if (type === PcapngBlockType.SECTION_HEADER) {
      const magic = view.getUint32(at + 8, true);
      return magic === BYTE_ORDER_MAGIC || magic === 0x4d3c2b1a;
    }
    const len = view.getUint32(at + 4, this.le);
    if (len < 12 || (len & 3) !== 0 || len > MAX_RECORD_BYTES) return false;
    return (
      (type >= PcapngBlockType.INTERFACE_DESCRIPTION && type <= PcapngBlockType.ENHANCED_PACKET) ||
      type === PcapngBlockType.SYSTEMD_JOURNAL_EXPORT ||
      type === PcapngBlockType.DECRYPTION_SECRETS ||
      type === PcapngBlockType.CUSTOM ||
      type === PcapngBlockType.CUSTOM_NO_COPY
    );
  }

  private startResync(): void {
    this.stats.skippedRecords++;
    this.resyncFrom = this.w.offset;
    this.state = RESYNC;
  }

  /** Scans for a known block whose trailer matches its header. Returns false when input is needed. */
  private resync(): boolean {
    const w = this.w;
    for (;;) {
      if (w.offset - this.resyncFrom > RESYNC_SCAN_BYTES) {
        this.stats.issue(this.resyncFrom, `no sound pcapng block within ${RESYNC_SCAN_BYTES} bytes; stopped`);
        this.stop(true);
        return false;
      }
      if (!w.ensure(12)) {
        if (w.eof) {
          this.stats.skippedBytes += w.available();
          this.stats.issue(this.resyncFrom, 'no sound pcapng block before end of file');
          this.stop();
        }
        return false;
      }
      if (w.offset !== this.resyncFrom && this.plausibleHeader(w.view, w.at)) {
        let le = this.le;
        if (w.view.getUint32(w.at, le) === PcapngBlockType.SECTION_HEADER) {
          le = w.view.getUint32(w.at + 8, true) === BYTE_ORDER_MAGIC;
        }
        const len = w.view.getUint32(w.at + 4, le);
        if (len <= RESYNC_SCAN_BYTES) {
          if (!w.ensure(len)) {
            if (!w.eof) return false;
          } else if (len >= 12 && w.view.getUint32(w.at + len - 4, le) === len) {
            this.stats.issue(
              this.resyncFrom,
              `skipped ${w.offset - this.resyncFrom} corrupt bytes; resynchronised at ${w.offset}`,
            );
            this.state = BLOCK;
            return true;
          }
        }
      }
      w.skip(1);
      this.stats.skippedBytes++;
    }
  }

  private finishAtEof(wanted: number): void {
    const w = this.w;
    const have = w.available();
    if (w.skipOutstanding > 0) {
      // The stream ended inside a large block that was being skipped unread.
      const end = w.offset - w.skipOutstanding;
      this.stats.issue(end, `truncated pcapng block: file ends ${w.skipOutstanding} bytes short of its end`);
      this.stats.skippedRecords++;
    } else if (have > 0) {
      this.stats.issue(w.offset, `truncated pcapng block: ${have} of ${wanted} bytes at end of file`);
      this.stats.skippedRecords++;
      this.stats.skippedBytes += have;
    } else if (this.sections === 0) {
      this.stats.issue(0, 'empty input: no pcapng Section Header Block');
    }
    this.stop();
  }

  private stop(gaveUp = false): void {
    if (gaveUp) this.stats.stopped = true;
    this.state = DONE;
    this.done = true;
    this.w.shrink(0);
  }
}
