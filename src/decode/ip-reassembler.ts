/**
 * @module Small, bounded reassembly of fragmented IPv4 and IPv6 datagrams, so that a fragmented UDP message
 * (a large DNS or DHCP answer, SNMP, syslog) reaches its dissector whole. Fragments are rare on a LAN, so
 * this favours simplicity: copies of the fragments, a map keyed by a string, a few hard caps.
 *
 * @see RFC 791 §3.2 (fragmentation and reassembly), RFC 8200 §4.5 (IPv6 Fragment Header)
 */

export interface ReassemblyOptions {
  /** Datagrams being reassembled at once; the oldest is dropped beyond this. */
  maxDatagrams?: number;
  /** Fragments per datagram. */
  maxFragments?: number;
  /** Bytes held across all datagrams. */
  maxBytes?: number;
  /** Capture-time seconds after the first fragment before an incomplete datagram is dropped (RFC 791: 15 s+). */
  timeoutSec?: number;
}

interface Fragment {
  offset: number;
  data: Uint8Array;
}

interface Pending {
  firstTime: number;
  fragments: Fragment[];
  /** Known once the last fragment (more-fragments clear) arrived. */
  totalLength: number;
  /** Upper-layer protocol, from the fragment at offset 0 (for IPv6 only that one is authoritative). */
  protocol: number;
  bytes: number;
}

/** The largest datagram payload IP can describe (16-bit length / 13-bit offset × 8). */
const MAX_DATAGRAM = 65535;

export class IpReassembler {
  /** Datagrams completed. */
  completed = 0;
  /** Incomplete datagrams dropped for age or to respect a cap. */
  dropped = 0;
  /** Fragments refused (beyond 64 KiB, too many, or after a datagram was dropped). */
  refused = 0;
  /** Upper-layer protocol of the last completed datagram. */
  protocol = 0;

  private readonly pending = new Map<string, Pending>();
  private heldBytes = 0;
  private readonly maxDatagrams: number;
  private readonly maxFragments: number;
  private readonly maxBytes: number;
  private readonly timeoutSec: number;

  constructor(options: ReassemblyOptions = {}) {
    this.maxDatagrams = options.maxDatagrams ?? 256;
    this.maxFragments = options.maxFragments ?? 64;
    this.maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
    this.timeoutSec = options.timeoutSec ?? 30;
  }

  /** Datagrams currently incomplete. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Adds one fragment (the bytes after the IP header, or after the IPv6 Fragment Header) and returns the whole
   * upper-layer payload once every byte from 0 to the end is present, else null. `key` identifies the
   * datagram (addresses, identification and, for IPv4, the protocol). `protocol` counts only for offset 0.
   * The data is copied: the caller's buffer may be reused.
   */
  add(
    key: string,
    offset: number,
    more: boolean,
    protocol: number,
    bytes: Uint8Array,
    start: number,
    length: number,
    time: number,
  ): Uint8Array | null {
    this.expire(time);
    if (offset + length > MAX_DATAGRAM) {
      this.refused++;
      this.drop(key);
      return null;
    }
    let p = this.pending.get(key);
    if (p === undefined) {
      while (this.pending.size >= this.maxDatagrams) this.dropOldest();
      p = { firstTime: time, fragments: [], totalLength: -1, protocol: -1, bytes: 0 };
      this.pending.set(key, p);
    }
    if (p.fragments.length >= this.maxFragments) {
      this.refused++;
      this.drop(key);
      return null;
    }
    while (this.heldBytes + length > this.maxBytes && this.pending.size > 1) this.dropOldestExcept(key);
    p.fragments.push({ offset, data: bytes.slice(start, start + length) });
    p.bytes += length;
    this.heldBytes += length;
    if (offset === 0) p.protocol = protocol;
    if (!more) p.totalLength = offset + length;
    if (p.totalLength < 0 || p.protocol < 0) return null;
    // Complete when the fragments cover [0, totalLength) without a hole.
    p.fragments.sort((a, b) => a.offset - b.offset);
    let covered = 0;
    for (const f of p.fragments) {
      if (f.offset > covered) return null;
      covered = Math.max(covered, f.offset + f.data.length);
    }
    if (covered < p.totalLength) return null;
    const out = new Uint8Array(p.totalLength);
    // Overlaps (rare, and a classic evasion trick): the fragment at the lower offset is written last and wins.
    for (let i = p.fragments.length - 1; i >= 0; i--) {
      const f = p.fragments[i]!;
      const room = p.totalLength - f.offset;
      if (room > 0) out.set(room < f.data.length ? f.data.subarray(0, room) : f.data, f.offset);
    }
    this.protocol = p.protocol;
    this.completed++;
    this.heldBytes -= p.bytes;
    this.pending.delete(key);
    return out;
  }

  /** Drops datagrams whose first fragment is older than the timeout (Map order is arrival order). */
  expire(time: number): void {
    for (const [key, p] of this.pending) {
      if (time - p.firstTime <= this.timeoutSec) break;
      this.drop(key);
    }
  }

  private drop(key: string): void {
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.heldBytes -= p.bytes;
    this.pending.delete(key);
    this.dropped++;
  }

  private dropOldest(): void {
    const first = this.pending.keys().next();
    if (!first.done) this.drop(first.value);
  }

  private dropOldestExcept(keep: string): void {
    for (const key of this.pending.keys()) {
      if (key !== keep) {
        this.drop(key);
        return;
      }
    }
  }
}
