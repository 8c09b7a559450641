/**
 * @module Follows every TCP connection in a capture by its 5-tuple: tells client from server, notes
 * handshakes (listening services, closed ports), reassembles both byte streams in order for a
 * {@link TcpConsumer}, and keeps memory bounded (idle eviction by capture time, a connection cap with LRU
 * eviction, capped out-of-order buffers).
 *
 * @see RFC 9293 §3.5 (establishing a connection), §3.6 (closing), §3.5.2 (reset generation)
 */
import type { DecodedPacket } from '../decode/decoded-packet.js';
import { IpProtocol, TcpFlag } from '../decode/decoded-packet.js';
import { formatIp } from '../decode/ip-address.js';
import { formatMac } from '../decode/mac-address.js';
import { FlowTable } from './flow-table.js';
import { serverByPort } from './server-by-port.js';
import { TcpConnection, type TcpRoleEvidence } from './tcp-connection.js';
import type { TcpCloseReason, TcpConsumer } from './tcp-consumer.js';
import type { TcpStream, TcpStreamContext } from './tcp-stream.js';

export interface TcpTrackerOptions {
  /** Capture-time seconds without a packet before an open connection is dropped (default 600). */
  idleTimeoutSec?: number;
  /** Seconds a closed connection is remembered, to absorb its last ACKs and retransmissions (default 30). */
  closedTimeoutSec?: number;
  /** Connections remembered at once (default 65,536); the least recently used goes first. */
  maxConnections?: number;
  /** Out-of-order bytes one connection may hold, both directions together (default 64 KiB). */
  maxPendingPerConnection?: number;
  /** Out-of-order bytes all connections may hold (default 64 MiB). */
  maxPendingTotal?: number;
  /**
   * Capture seconds to wait, once the peer has acknowledged bytes that were not captured, before declaring
   * them a gap (default 1: longer than Linux's 200 ms minimum retransmission timeout, so a retransmission or a
   * reordered segment still fills the hole; short enough that a request after a lost segment is not held back
   * until the connection closes or the buffer fills).
   */
  ackedHoleWaitSec?: number;
}

export interface TcpTrackerStats {
  /** TCP packets given to track(). */
  packets: number;
  connections: number;
  /** Connections ended, by reason. */
  closed: Record<TcpCloseReason, number>;
  /** Handshakes answered: SYN-ACK (open) / RST (closed). */
  portsOpen: number;
  portsClosed: number;
  gaps: number;
  gapBytes: number;
  deliveredBytes: number;
  /** Largest total of out-of-order bytes held at once. */
  peakPendingBytes: number;
}

const OPEN = 0;
const CLOSED = 1;

/**
 * Usage: call {@link TcpTracker.track} for each decoded TCP packet in capture order, then
 * {@link TcpTracker.finish} at the end of the capture (it delivers what is buffered and closes everything).
 */
export class TcpTracker {
  readonly stats: TcpTrackerStats = {
    packets: 0,
    connections: 0,
    closed: { fin: 0, reset: 0, idle: 0, evicted: 0, reused: 0, end: 0 },
    portsOpen: 0,
    portsClosed: 0,
    gaps: 0,
    gapBytes: 0,
    deliveredBytes: 0,
    peakPendingBytes: 0,
  };
  private readonly table = new FlowTable<TcpConnection>(2);
  private readonly ctx: TcpStreamContext;
  private readonly idleTimeout: number;
  private readonly closedTimeout: number;
  private readonly maxConnections: number;
  /** Capture-time watermark: time never runs backwards for eviction, even if packets are out of order. */
  private now = Number.NEGATIVE_INFINITY;
  private nextId = 1;

  constructor(
    readonly consumer: TcpConsumer = {},
    options: TcpTrackerOptions = {},
  ) {
    this.idleTimeout = options.idleTimeoutSec ?? 600;
    this.closedTimeout = options.closedTimeoutSec ?? 30;
    this.maxConnections = Math.max(1, options.maxConnections ?? 65536);
    this.ctx = {
      consumer,
      maxPendingPerConnection: options.maxPendingPerConnection ?? 64 * 1024,
      maxPendingTotal: options.maxPendingTotal ?? 64 * 1024 * 1024,
      ackedHoleWaitSec: options.ackedHoleWaitSec ?? 1,
      pendingTotal: 0,
      gaps: 0,
      gapBytes: 0,
      deliveredBytes: 0,
    };
  }

  /** Connections currently remembered (open and recently closed). */
  get size(): number {
    return this.table.size;
  }

  /** Out-of-order bytes held right now. */
  get pendingBytes(): number {
    return this.ctx.pendingTotal;
  }

  /**
   * One decoded packet. Anything but a decoded TCP segment is ignored. `time` is the capture time in float
   * seconds (e.g. `packet.time`).
   */
  track(d: DecodedPacket, packetIndex: number, time: number): TcpConnection | null {
    if (d.outcome !== 'transport' || d.ipProtocol !== IpProtocol.TCP) return null;
    this.stats.packets++;
    if (time > this.now) {
      this.now = time;
      this.expire();
    }
    const flags = d.tcpFlags;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ack = (flags & TcpFlag.ACK) !== 0;
    let conn = this.table.find(d, IpProtocol.TCP);
    if (conn !== null && syn && !ack && this.isNewIncarnation(conn, d)) {
      this.end(conn, 'reused', packetIndex, time);
      this.table.remove(conn);
      conn = null;
    }
    if (conn === null) {
      conn = this.open(d, packetIndex, time);
      // forward: the packet goes A→B; A is the creating packet's source.
      this.table.forward = true;
    }
    const fromClient = this.table.forward === conn.clientIsA;
    conn.lastPacketIndex = packetIndex;
    if (fromClient) {
      conn.clientPackets++;
      conn.clientBytes += d.segmentLength;
      if (ack && d.segmentLength > 0) conn.clientAckedData = true;
    } else {
      conn.serverPackets++;
      conn.serverBytes += d.segmentLength;
    }
    this.table.touch(conn, time);
    if (conn.closeReason !== undefined) return conn;

    const mine = fromClient ? conn.client : conn.server;
    const other = fromClient ? conn.server : conn.client;
    if ((flags & TcpFlag.RST) !== 0) {
      this.reset(conn, fromClient, packetIndex, time);
      return conn;
    }
    mine.expireAckedHole(packetIndex, time);
    other.expireAckedHole(packetIndex, time);
    let seq = d.tcpSeq;
    if (syn) {
      this.handshake(conn, mine, fromClient, ack, seq, packetIndex, time);
      seq = (seq + 1) >>> 0;
    }
    if (d.segmentLength > 0) {
      if (conn.state === 'midstream' || conn.state === 'syn-sent') {
        if (conn.sawSynAck) conn.state = 'established';
      }
      mine.segment(seq, d.bytes, d.payloadOffset, d.payloadLength, d.segmentLength, packetIndex, time);
    }
    if (ack) other.acknowledged(d.tcpAck, packetIndex, time);
    if ((flags & TcpFlag.FIN) !== 0) {
      if (!mine.synced) {
        mine.synced = true;
        mine.nextSeq = (seq + d.segmentLength) >>> 0;
      }
      mine.fin((seq + d.segmentLength) >>> 0);
      if (conn.state !== 'closing') conn.state = 'closing';
    }
    if (conn.client.finSeen && conn.server.finSeen && conn.client.complete && conn.server.complete) {
      this.end(conn, 'fin', packetIndex, time);
    }
    const pending = this.ctx.pendingTotal;
    if (pending > this.stats.peakPendingBytes) this.stats.peakPendingBytes = pending;
    this.syncStats();
    return conn;
  }

  /** End of capture: delivers what is buffered (reporting holes) and closes every open connection. */
  finish(): void {
    const all = [...this.table.entries()];
    for (const conn of all) {
      if (conn.closeReason === undefined) this.end(conn, 'end', conn.lastPacketIndex, conn.lastTime);
    }
    this.table.clear();
    this.syncStats();
  }

  /** Connections currently remembered, least recently used first (open ones, then closed ones). */
  connections(): TcpConnection[] {
    return [...this.table.entries()];
  }

  private open(d: DecodedPacket, packetIndex: number, time: number): TcpConnection {
    while (this.table.size >= this.maxConnections) this.evictOne(packetIndex, time);
    const conn = new TcpConnection(this.nextId++, this.ctx);
    this.stats.connections++;
    const flags = d.tcpFlags;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ack = (flags & TcpFlag.ACK) !== 0;
    let srcIsClient: boolean;
    let evidence: TcpRoleEvidence;
    if (syn && !ack) {
      srcIsClient = true;
      evidence = 'syn';
    } else if (syn) {
      srcIsClient = false;
      evidence = 'syn-ack';
    } else {
      const server = serverByPort(d.srcPort, d.dstPort);
      srcIsClient = server !== 'src';
      evidence = server === null ? 'first-talker' : 'port';
    }
    conn.clientIsA = srcIsClient;
    conn.roleEvidence = evidence;
    conn.ipVersion = d.ipVersion;
    const srcIp = this.ipText(d.ipVersion, d.srcIp);
    const dstIp = this.ipText(d.ipVersion, d.dstIp);
    conn.clientIp = srcIsClient ? srcIp : dstIp;
    conn.serverIp = srcIsClient ? dstIp : srcIp;
    conn.clientPort = srcIsClient ? d.srcPort : d.dstPort;
    conn.serverPort = srcIsClient ? d.dstPort : d.srcPort;
    conn.clientMac = this.macText(srcIsClient ? d.srcMac : d.dstMac);
    conn.serverMac = this.macText(srcIsClient ? d.dstMac : d.srcMac);
    conn.vlanIds = d.vlans();
    conn.firstPacketIndex = packetIndex;
    conn.firstTime = time;
    conn.lastTime = time;
    this.table.insert(conn, d, OPEN);
    this.consumer.onOpen?.(conn);
    return conn;
  }

  /**
   * IPv4 and MAC texts by number: connections come and go between the same few hosts, and formatting their
   * addresses for every one was a measurable share of the time and garbage. Bounded; cleared when full.
   */
  private readonly ipv4Texts = new Map<number, string>();
  private readonly macTexts = new Map<number, string>();

  private ipText(version: number, words: Uint32Array): string {
    if (version !== 4) return formatIp(version, words);
    return cachedText(this.ipv4Texts, words[0]!, (a) => formatIp(4, [a]));
  }

  private macText(mac: number): string {
    return cachedText(this.macTexts, mac, formatMac);
  }

  /** A SYN (with or without ACK) from one side. */
  private handshake(
    conn: TcpConnection,
    mine: TcpStream,
    fromClient: boolean,
    ack: boolean,
    seq: number,
    packetIndex: number,
    time: number,
  ): void {
    mine.syn(seq);
    if (!ack) {
      if (fromClient) {
        conn.sawSyn = true;
        if (conn.state === 'midstream') conn.state = 'syn-sent';
      }
      return;
    }
    if (fromClient) return;
    conn.sawSynAck = true;
    if (conn.state === 'syn-sent' || conn.state === 'midstream') conn.state = 'established';
    if (conn.portState === 'unknown') {
      conn.portState = 'open';
      this.stats.portsOpen++;
      this.consumer.onPortState?.(conn, 'open', packetIndex, time);
    }
  }

  private reset(conn: TcpConnection, fromClient: boolean, packetIndex: number, time: number): void {
    conn.resetBy = fromClient ? 'client' : 'server';
    // RST from the server before any SYN-ACK, in answer to a SYN: nothing listens on that port.
    if (!fromClient && conn.sawSyn && !conn.sawSynAck && conn.serverBytes === 0) {
      conn.state = 'refused';
      if (conn.portState === 'unknown') {
        conn.portState = 'closed';
        this.stats.portsClosed++;
        this.consumer.onPortState?.(conn, 'closed', packetIndex, time);
      }
    } else {
      conn.state = 'reset';
    }
    this.end(conn, 'reset', packetIndex, time);
  }

  /**
   * A SYN without ACK on a known 5-tuple starts a new connection unless it repeats a SYN already seen
   * (same initial sequence number): port reuse after a close we saw, or one we missed.
   */
  private isNewIncarnation(conn: TcpConnection, d: DecodedPacket): boolean {
    const fromClient = this.table.forward === conn.clientIsA;
    if (fromClient) return conn.client.isn !== d.tcpSeq;
    // From the server side: simultaneous open on a live connection, else a new connection the other way.
    return conn.closeReason !== undefined || (conn.server.isn >= 0 && conn.server.isn !== d.tcpSeq);
  }

  /** Ends a connection: flushes both streams, reports the close, and keeps it briefly among the closed. */
  private end(conn: TcpConnection, reason: TcpCloseReason, packetIndex: number, time: number): void {
    if (conn.closeReason !== undefined) return;
    conn.client.drain(packetIndex, time);
    conn.server.drain(packetIndex, time);
    conn.closeReason = reason;
    if (reason === 'fin') conn.state = 'closed';
    this.stats.closed[reason]++;
    this.consumer.onClose?.(conn, reason);
    if (conn.list >= 0) this.table.touch(conn, conn.lastTime, CLOSED);
    this.syncStats();
  }

  /** Drops idle connections, oldest first: open ones after the idle timeout, closed ones after a short while. */
  private expire(): void {
    const now = this.now;
    for (let c = this.table.oldest(CLOSED); c !== null && now - c.lastTime > this.closedTimeout; ) {
      this.table.remove(c);
      c = this.table.oldest(CLOSED);
    }
    for (let c = this.table.oldest(OPEN); c !== null && now - c.lastTime > this.idleTimeout; ) {
      this.end(c, 'idle', c.lastPacketIndex, c.lastTime);
      this.table.remove(c);
      c = this.table.oldest(OPEN);
    }
  }

  private evictOne(packetIndex: number, time: number): void {
    const closed = this.table.oldest(CLOSED);
    if (closed !== null) {
      this.table.remove(closed);
      return;
    }
    const open = this.table.oldest(OPEN);
    if (open === null) return;
    this.end(open, 'evicted', packetIndex, time);
    this.table.remove(open);
  }

  private syncStats(): void {
    this.stats.gaps = this.ctx.gaps;
    this.stats.gapBytes = this.ctx.gapBytes;
    this.stats.deliveredBytes = this.ctx.deliveredBytes;
  }
}

function cachedText(cache: Map<number, string>, key: number, format: (key: number) => string): string {
  let text = cache.get(key);
  if (text === undefined) {
    text = format(key);
    if (cache.size >= 16_384) cache.clear();
    cache.set(key, text);
  }
  return text;
}
