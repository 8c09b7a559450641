/**
 * @module The interface through which the TCP tracker hands connections and their reassembled byte streams
 * to whoever analyses them (the application dissectors, via the integrator). Every method is optional.
 */
import type { TcpConnection } from './tcp-connection.js';

/** Who sent the bytes: the connection's client (active opener) or server. */
export type TcpRole = 'client' | 'server';

export type TcpCloseReason =
  /** Both sides sent FIN and every byte up to them was delivered (or declared a gap). */
  | 'fin'
  /** A RST ended the connection (including a RST answering the SYN: `portState` is then `closed`). */
  | 'reset'
  /** No packet for the idle timeout (capture time). */
  | 'idle'
  /** Dropped to respect the connection cap (least recently used first). */
  | 'evicted'
  /** A new SYN reused the 5-tuple of a connection that never closed visibly. */
  | 'reused'
  /** End of the capture ({@link TcpTracker.finish}). */
  | 'end';

/**
 * Callbacks run synchronously inside `TcpTracker.track()`. `bytes` passed to `onData` is a view into the
 * capture buffer or the tracker's out-of-order buffer, **valid only during the call**: parse it or copy it.
 * Data arrive per direction, in sequence order, without duplicates; when bytes are missing `onGap` comes
 * first, then the data that follow the hole, so a stream parser can resynchronise.
 *
 * To stop receiving a connection's data (the protocol is identified, or uninteresting), call
 * `conn.stopDelivery()` (or `conn.stopDelivery('server')` for one direction): the tracker then stops
 * buffering it but keeps counting packets and still reports its close.
 *
 * `time` is the capture time in float seconds since the epoch; `packetIndex` the 1-based packet number in
 * the capture (for data that waited in the out-of-order buffer: the packet that carried it).
 */
export interface TcpConsumer {
  /** A connection appeared (first packet, which may be mid-stream). Attach per-connection state to `conn.userData`. */
  onOpen?(conn: TcpConnection): void;
  /**
   * The server answered the client's SYN: SYN-ACK (`open`: a listening service, even with no payload) or a
   * RST (`closed` port).
   */
  onPortState?(conn: TcpConnection, state: 'open' | 'closed', packetIndex: number, time: number): void;
  onData?(conn: TcpConnection, from: TcpRole, bytes: Uint8Array, packetIndex: number, time: number): void;
  /** `missing` bytes of the `from` stream were never seen (capture loss, snaplen, buffer cap). */
  onGap?(conn: TcpConnection, from: TcpRole, missing: number, packetIndex: number, time: number): void;
  onClose?(conn: TcpConnection, reason: TcpCloseReason): void;
}
