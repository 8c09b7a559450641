/**
 * @module One TCP connection as the tracker follows it: endpoints and roles, link-layer context, handshake
 * and port state, counters per direction, and the two reassembled streams.
 */
import { FlowEntry } from './flow-table.js';
import type { TcpCloseReason, TcpRole } from './tcp-consumer.js';
import { TcpStream, type TcpStreamContext } from './tcp-stream.js';

/**
 * - `syn-sent`: the client's SYN was seen, no answer yet.
 * - `established`: the server answered with SYN-ACK (data may follow).
 * - `midstream`: picked up without seeing the handshake (capture started late, or the SYN was lost).
 * - `closing`: one side sent FIN.
 * - `closed`: both sides sent FIN.
 * - `reset`: a RST ended it.
 * - `refused`: the server answered the SYN with RST (closed port).
 */
export type TcpState = 'syn-sent' | 'established' | 'midstream' | 'closing' | 'closed' | 'reset' | 'refused';

/**
 * How the client was told from the server:
 * - `syn`: the sender of a SYN without ACK is the client.
 * - `syn-ack`: the sender of a SYN-ACK is the server (the SYN itself was missed).
 * - `port`: no handshake seen; exactly one side used a well-known port (< 1024), or exactly one an ephemeral
 *   port (≥ 32768, the start of Linux's default range; IANA's is 49152+): that side is the client's opposite.
 * - `first-talker`: nothing else to go by; the sender of the first packet seen is taken as the client.
 */
export type TcpRoleEvidence = 'syn' | 'syn-ack' | 'port' | 'first-talker';

export class TcpConnection extends FlowEntry {
  /** Unique within a tracker, increasing in order of first packet. */
  readonly id: number;
  clientIp = '';
  clientPort = 0;
  serverIp = '';
  serverPort = 0;
  /** Link-layer addresses as text (`aa:bb:…`), '' when the link type has none (raw IP, loopback). */
  clientMac = '';
  serverMac = '';
  /** VLAN ids of the first packet, outermost first. */
  vlanIds: number[] = [];
  roleEvidence: TcpRoleEvidence = 'first-talker';
  state: TcpState = 'midstream';
  /** What the handshake says about the server port. */
  portState: 'unknown' | 'open' | 'closed' = 'unknown';
  /** A SYN from the client was seen. */
  sawSyn = false;
  /** A SYN-ACK from the server was seen. */
  sawSynAck = false;
  firstPacketIndex = 0;
  lastPacketIndex = 0;
  /** Capture times, float seconds since the epoch (`lastTime` is inherited). */
  firstTime = 0;
  clientPackets = 0;
  serverPackets = 0;
  /** TCP payload bytes on the wire, retransmissions included. */
  clientBytes = 0;
  serverBytes = 0;
  /**
   * The client sent data with the ACK flag: it acknowledges the server, so the server was there (a capture
   * that holds no packet of the server's holds one direction only).
   */
  clientAckedData = false;
  /** Who sent the RST that ended the connection, if one did. */
  resetBy: TcpRole | undefined;
  /** Set once the connection is over and `onClose` has been called. */
  closeReason: TcpCloseReason | undefined;
  /** Early bytes held for this connection (both directions). */
  pendingBytes = 0;
  /** Free for the consumer: per-connection parser state, for example. */
  userData: unknown;
  /** What the client sent. */
  readonly client: TcpStream;
  /** What the server sent. */
  readonly server: TcpStream;
  /** @internal endpoint A of the flow table is the client */
  clientIsA = true;

  constructor(id: number, ctx: TcpStreamContext) {
    super();
    this.id = id;
    this.client = new TcpStream(this, 'client', ctx);
    this.server = new TcpStream(this, 'server', ctx);
  }

  /**
   * Stops delivering data of one direction (or both): the consumer has what it needs. Packets are still
   * counted and the close still reported.
   */
  stopDelivery(from?: TcpRole): void {
    if (from === undefined || from === 'client') this.client.stop();
    if (from === undefined || from === 'server') this.server.stop();
  }

  /** The stream of bytes sent by `from`. */
  stream(from: TcpRole): TcpStream {
    return from === 'client' ? this.client : this.server;
  }

  /** `client ip:port → server ip:port`, IPv6 in brackets; for logs and evidence lines. */
  describe(): string {
    const ep = (ip: string, port: number) => (this.ipVersion === 6 ? `[${ip}]:${port}` : `${ip}:${port}`);
    return `${ep(this.clientIp, this.clientPort)} → ${ep(this.serverIp, this.serverPort)}`;
  }
}
