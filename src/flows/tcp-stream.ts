/**
 * @module Reassembly of one direction of a TCP connection into an in-order byte stream: retransmissions and
 * overlaps are trimmed, segments that arrive early wait in a small bounded buffer, and a hole that cannot be
 * filled (capture loss, snaplen, buffer full, bytes acknowledged but never seen) is reported as a gap after
 * which delivery resumes.
 *
 * @see RFC 9293 §3.4 (sequence numbers, modular comparison), §3.10.7.4 (segment arrival, trimming)
 */
import type { TcpConnection } from './tcp-connection.js';
import type { TcpConsumer, TcpRole } from './tcp-consumer.js';

/** Signed distance a − b between 32-bit sequence numbers (RFC 9293 §3.4: arithmetic modulo 2^32). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** State shared by every stream of one tracker: the consumer and the memory budget for early segments. */
export interface TcpStreamContext {
  consumer: TcpConsumer;
  /** Early (out-of-order) bytes one connection may hold, both directions together. */
  maxPendingPerConnection: number;
  /** Early bytes all connections together may hold. */
  maxPendingTotal: number;
  /** Capture seconds an acknowledged hole may stay open before it is declared a gap. */
  ackedHoleWaitSec: number;
  pendingTotal: number;
  /** Running totals for the tracker's statistics. */
  gaps: number;
  gapBytes: number;
  deliveredBytes: number;
}

/** A segment that arrived before the bytes preceding it: a copy, since capture buffers are reused. */
interface EarlySegment {
  seq: number;
  data: Uint8Array;
  /** Length on the wire (more than data.length when snaplen cut it). */
  wireLength: number;
  packetIndex: number;
  time: number;
}

/** Never added to: `buffer()` gives a stream its own list before the first insert. */
const NO_EARLY: EarlySegment[] = [];

export class TcpStream {
  /** A sequence number anchors the stream (from the SYN, or the first data seen mid-stream). */
  synced = false;
  /** Sequence number of the next byte to deliver. */
  nextSeq = 0;
  /** Initial sequence number from the SYN, or -1. */
  isn = -1;
  finSeen = false;
  /** Sequence number the FIN occupies (the byte after the last data byte). */
  finSeq = 0;
  /** The consumer asked for no more data in this direction. */
  stopped = false;
  /** Bytes handed to `onData`. */
  delivered = 0;
  gapBytes = 0;
  /** Bytes seen again that had already been delivered (retransmissions, overlaps). */
  duplicateBytes = 0;
  /** Early segments, sorted by sequence number. */
  /** Out-of-order segments waiting, by sequence; the shared empty list until the first one arrives. */
  private early: EarlySegment[] = NO_EARLY;
  /** Capture time when the peer first acknowledged bytes not yet seen (null: no such hole). */
  private holeAckedAt: number | null = null;
  /** The highest such acknowledgement. */
  private holeAckedTo = 0;

  constructor(
    private readonly conn: TcpConnection,
    readonly role: TcpRole,
    private readonly ctx: TcpStreamContext,
  ) {}

  /** Bytes waiting in the out-of-order buffer. */
  get pendingBytes(): number {
    let n = 0;
    for (const s of this.early) n += s.data.length;
    return n;
  }

  /** Every byte up to the FIN has been delivered or declared missing. */
  get complete(): boolean {
    return this.finSeen && seqDiff(this.nextSeq, this.finSeq) >= 0;
  }

  /** Anchors the stream at a SYN: data start at isn + 1. A repeated SYN does not move an anchored stream. */
  syn(seq: number): void {
    if (this.isn >= 0 && this.synced) return;
    this.isn = seq;
    this.nextSeq = (seq + 1) >>> 0;
    this.synced = true;
  }

  fin(seq: number): void {
    if (this.finSeen) return;
    this.finSeen = true;
    this.finSeq = seq >>> 0;
  }

  /**
   * One segment's payload: `wireLength` bytes starting at sequence `seq`, of which the first `capLength` are
   * present at `bytes[offset…]`.
   */
  segment(
    seq: number,
    bytes: Uint8Array,
    offset: number,
    capLength: number,
    wireLength: number,
    packetIndex: number,
    time: number,
  ): void {
    if (wireLength <= 0) return;
    if (!this.synced) {
      this.nextSeq = seq;
      this.synced = true;
    }
    if (this.stopped) {
      // Only keep the sequence state, so FIN completion still works.
      if (seqDiff((seq + wireLength) >>> 0, this.nextSeq) > 0) this.nextSeq = (seq + wireLength) >>> 0;
      return;
    }
    let rel = seqDiff(seq, this.nextSeq);
    if (rel > 0) {
      if (this.buffer(seq, bytes, offset, capLength, wireLength, packetIndex, time)) return;
      // No room to wait for the hole: give up on it.
      while (rel > 0 && this.early.length > 0) {
        this.skipToEarly(packetIndex, time);
        rel = seqDiff(seq, this.nextSeq);
      }
      if (rel > 0) {
        this.gap(rel, packetIndex, time);
        this.nextSeq = seq;
        rel = 0;
      }
    }
    this.take(seq, bytes, offset, capLength, wireLength, packetIndex, time);
    this.flush();
  }

  /**
   * The peer acknowledged up to `ack`. Bytes before it that were never seen are a hole the capture missed,
   * unless they are merely late (SPAN ports reorder the two directions; a retransmission may still come). So
   * the hole is only given up after `ackedHoleWaitSec` of capture time (see {@link TcpStream.expireAckedHole}),
   * instead of waiting for the buffer to fill or the connection to close.
   */
  acknowledged(ack: number, packetIndex: number, time: number): void {
    if (!this.synced || this.stopped) return;
    let point = ack;
    if (this.finSeen && seqDiff(point, this.finSeq) > 0) point = this.finSeq;
    const ahead = seqDiff(point, this.nextSeq);
    // Far ahead means the ACK belongs to something else (another incarnation, garbage): ignore it.
    if (ahead <= 0 || ahead > 0x40000000) return;
    if (this.holeAckedAt === null) {
      this.holeAckedAt = time;
      this.holeAckedTo = point >>> 0;
    } else if (seqDiff(point, this.holeAckedTo) > 0) {
      this.holeAckedTo = point >>> 0;
    }
    this.expireAckedHole(packetIndex, time);
  }

  /** Gives up on an acknowledged hole that stayed open for `ackedHoleWaitSec`: gap, then deliver what follows. */
  expireAckedHole(packetIndex: number, time: number): void {
    if (this.holeAckedAt === null) return;
    const point = this.holeAckedTo;
    if (this.stopped || seqDiff(this.nextSeq, point) >= 0) {
      this.holeAckedAt = null;
      return;
    }
    if (time - this.holeAckedAt < this.ctx.ackedHoleWaitSec) return;
    this.holeAckedAt = null;
    while (
      this.early.length > 0 &&
      seqDiff(this.early[0]!.seq, point) <= 0 &&
      seqDiff(point, this.nextSeq) > 0
    ) {
      this.skipToEarly(packetIndex, time);
    }
    const ahead = seqDiff(point, this.nextSeq);
    if (ahead > 0) {
      this.gap(ahead, packetIndex, time);
      this.nextSeq = point;
      this.flush();
    }
  }

  /** Delivers what can be delivered and reports the holes before the rest (end of connection). */
  drain(packetIndex: number, time: number): void {
    while (this.early.length > 0 && !this.stopped) this.skipToEarly(packetIndex, time);
    this.release();
  }

  /** Stops delivery and frees the buffer. */
  stop(): void {
    this.stopped = true;
    this.release();
  }

  private release(): void {
    const n = this.pendingBytes;
    this.ctx.pendingTotal -= n;
    this.conn.pendingBytes -= n;
    this.early.length = 0;
  }

  /** Delivers the part of a segment at or after nextSeq (the caller ensured seq <= nextSeq). */
  private take(
    seq: number,
    bytes: Uint8Array,
    offset: number,
    capLength: number,
    wireLength: number,
    packetIndex: number,
    time: number,
  ): void {
    const skip = -seqDiff(seq, this.nextSeq);
    if (skip >= wireLength) {
      this.duplicateBytes += wireLength;
      return;
    }
    this.duplicateBytes += skip;
    if (skip < capLength) {
      const n = capLength - skip;
      this.delivered += n;
      this.ctx.deliveredBytes += n;
      this.ctx.consumer.onData?.(
        this.conn,
        this.role,
        bytes.subarray(offset + skip, offset + capLength),
        packetIndex,
        time,
      );
    }
    if (capLength < wireLength) this.gap(wireLength - Math.max(capLength, skip), packetIndex, time);
    this.nextSeq = (seq + wireLength) >>> 0;
  }

  /** Delivers early segments that have become in order. */
  private flush(): void {
    const early = this.early;
    while (early.length > 0 && !this.stopped) {
      const s = early[0]!;
      if (seqDiff(s.seq, this.nextSeq) > 0) return;
      early.shift();
      this.ctx.pendingTotal -= s.data.length;
      this.conn.pendingBytes -= s.data.length;
      this.take(s.seq, s.data, 0, s.data.length, s.wireLength, s.packetIndex, s.time);
    }
  }

  /** Declares the hole before the first early segment missing and delivers from there. */
  private skipToEarly(packetIndex: number, time: number): void {
    const first = this.early[0]!;
    const hole = seqDiff(first.seq, this.nextSeq);
    if (hole > 0) {
      this.gap(hole, packetIndex, time);
      this.nextSeq = first.seq;
    }
    this.flush();
  }

  private gap(missing: number, packetIndex: number, time: number): void {
    this.gapBytes += missing;
    this.ctx.gaps++;
    this.ctx.gapBytes += missing;
    this.ctx.consumer.onGap?.(this.conn, this.role, missing, packetIndex, time);
  }

  /** Keeps a copy of an early segment if the budgets allow; false when they do not. */
  private buffer(
    seq: number,
    bytes: Uint8Array,
    offset: number,
    capLength: number,
    wireLength: number,
    packetIndex: number,
    time: number,
  ): boolean {
    const ctx = this.ctx;
    if (
      this.conn.pendingBytes + capLength > ctx.maxPendingPerConnection ||
      ctx.pendingTotal + capLength > ctx.maxPendingTotal
    ) {
      return false;
    }
    // Most streams never see a segment early: their list is allocated only now.
    if (this.early === NO_EARLY) this.early = [];
    const early = this.early;
    let i = early.length;
    while (i > 0 && seqDiff(early[i - 1]!.seq, seq) > 0) i--;
    const prev = early[i - 1];
    // The same segment again (retransmitted while still early): keep the first copy.
    if (prev !== undefined && prev.seq === seq && prev.wireLength >= wireLength) {
      this.duplicateBytes += wireLength;
      return true;
    }
    early.splice(i, 0, {
      seq,
      data: bytes.slice(offset, offset + capLength),
      wireLength,
      packetIndex,
      time,
    });
    ctx.pendingTotal += capLength;
    this.conn.pendingBytes += capLength;
    return true;
  }
}
