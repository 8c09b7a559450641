/**
 * @module Folds a capture's TCP connections, UDP flows and ICMP exchanges into conversation summaries
 * (`FlowSummary`, one per client → server:port/transport). TCP and UDP arrive once per connection or flow,
 * when the tracker closes it; ICMP per packet, looked up by numeric IPv4 addresses so the hot path formats
 * no text. Bounded: past `maxSummaries` new conversations are folded into counted overflow totals.
 * Pure: no I/O, no database.
 */

import type { DecodedPacket } from '../decode/decoded-packet.js';
import type { TcpConnection } from '../flows/tcp-connection.js';
import type { UdpFlow } from '../flows/udp-flows.js';
import { plural } from '../format-count.js';
import type { FlowSummary } from './host-observation.js';
import { iso } from './host-table.js';

export interface FlowSummaryStats {
  /** Conversations kept. */
  summaries: number;
  /** The cap that applied. */
  maxSummaries: number;
  /** What did not fit under the cap, folded together ("other"): never silently dropped. */
  overflow: { connections: number; packets: number; bytes: number };
  /** Connections or flows left out because an end is no unicast host (broadcast, multicast, 0.0.0.0). */
  nonUnicast: number;
}

interface Conversation {
  client: string;
  server: string;
  port: number;
  transport: FlowSummary['transport'];
  protocol: string | null;
  connections: number;
  packets: number;
  bytes: number;
  first: number;
  last: number;
  established: boolean | undefined;
  evidencePacket: number;
  evidenceTime: number;
  evidenceConnection: string;
}

interface Lingering {
  conn: TcpConnection;
  conversation: Conversation;
  packets: number;
  bytes: number;
}

/** Closed connections watched for trailing ACKs; past this the oldest is settled (long after it left the tracker). */
const LINGER_MAX = 4096;

/**
 * UDP application protocols as the capture analyzer recognises them (by port, as it dispatches its UDP
 * dissectors); anything else stays null rather than guessed.
 */
const UDP_PROTOCOL: Record<number, string> = {
  53: 'dns',
  67: 'dhcp',
  68: 'dhcp',
  161: 'snmp',
  162: 'snmp',
  5353: 'mdns',
  5355: 'llmnr',
};

/** ICMP echo replies travel server → client; ICMPv6 neighbour discovery and MLD are link plumbing, not conversations. */
const ICMP4_REPLY = 0;
const ICMP6_REPLY = 129;
const isIcmp6Plumbing = (type: number) => (type >= 130 && type <= 137) || type === 143;

export class FlowSummaries {
  readonly stats: FlowSummaryStats;
  /** Every conversation, in the order first seen (the order of the result). */
  private readonly byKey = new Map<string, Conversation>();
  /** TCP and UDP conversations by client, server and port (UDP ports negative). */
  private readonly byClient = new Map<string, Map<string, Map<number, Conversation>>>();
  /**
   * Recently closed TCP connections whose trailing packets are still to be added: a FIFO ring of
   * `LINGER_MAX` (an array's `shift()` would move all of them on every connection).
   */
  private readonly lingering: (Lingering | undefined)[] = new Array(LINGER_MAX);
  private lingerHead = 0;
  private lingerCount = 0;
  /** ICMPv4 by source then destination address number: no key text per packet. */
  private readonly icmp4 = new Map<number, Map<number, Conversation | null>>(); // null: not unicast

  constructor(
    private readonly isHostAddress: (ip: string) => boolean,
    readonly maxSummaries = 20_000,
  ) {
    this.stats = {
      summaries: 0,
      maxSummaries,
      overflow: { connections: 0, packets: 0, bytes: 0 },
      nonUnicast: 0,
    };
  }

  /**
   * A TCP connection the tracker closed; `protocol` as the analyzer identified it (null when unknown).
   * `receivingOnly`: the capture holds only the client's half, whose acknowledgements show that the server
   * accepted (receiving-only.ts).
   */
  tcp(conn: TcpConnection, protocol: string | null, receivingOnly = false): void {
    const packets = conn.clientPackets + conn.serverPackets;
    const bytes = conn.clientBytes + conn.serverBytes;
    // The server accepted (SYN-ACK), or, picked up mid-stream, it sent data.
    const established = conn.sawSynAck || (!conn.sawSyn && conn.serverBytes > 0) || receivingOnly;
    const c = this.conversation(conn.clientIp, conn.serverIp, conn.serverPort, 'tcp', conn, packets, bytes);
    if (c === null) return;
    c.protocol ??= protocol;
    c.established = (c.established ?? false) || established;
    // The tracker reports the close before the last ACKs it still counts: settle those later.
    const l: Lingering = { conn, conversation: c, packets, bytes };
    if (this.lingerCount < LINGER_MAX) {
      this.lingering[(this.lingerHead + this.lingerCount++) % LINGER_MAX] = l;
    } else {
      this.settle(this.lingering[this.lingerHead]!);
      this.lingering[this.lingerHead] = l;
      this.lingerHead = (this.lingerHead + 1) % LINGER_MAX;
    }
  }

  private settle(l: Lingering): void {
    const { conn, conversation: c } = l;
    c.packets += conn.clientPackets + conn.serverPackets - l.packets;
    c.bytes += conn.clientBytes + conn.serverBytes - l.bytes;
    if (conn.lastTime > c.last) c.last = conn.lastTime;
  }

  /** A UDP flow that ended (idle, evicted or end of capture). */
  udp(flow: UdpFlow): void {
    // Both DHCP ports are well known, so the port heuristic cannot tell; the server is on 67.
    const swap = flow.clientPort === 67 && flow.serverPort === 68;
    const c = this.conversation(
      swap ? flow.serverIp : flow.clientIp,
      swap ? flow.clientIp : flow.serverIp,
      swap ? 67 : flow.serverPort,
      'udp',
      flow,
      flow.clientPackets + flow.serverPackets,
      flow.clientBytes + flow.serverBytes,
    );
    if (c === null) return;
    c.protocol ??= UDP_PROTOCOL[flow.serverPort] ?? UDP_PROTOCOL[flow.clientPort] ?? null;
  }

  /** One ICMP or ICMPv6 packet (per packet: the hot path for IPv4 is two numeric map lookups). */
  icmp(d: DecodedPacket, packetIndex: number, time: number): void {
    const v6 = d.ipVersion === 6;
    if (v6 && isIcmp6Plumbing(d.icmpType)) return;
    const reply = d.icmpType === (v6 ? ICMP6_REPLY : ICMP4_REPLY);
    const bytes = d.segmentLength;
    if (!v6) {
      const a = reply ? d.dstIp[0]! : d.srcIp[0]!;
      const b = reply ? d.srcIp[0]! : d.dstIp[0]!;
      let inner = this.icmp4.get(a);
      if (inner === undefined) {
        inner = new Map();
        this.icmp4.set(a, inner);
      }
      const c = inner.get(b);
      if (c === null) return; // an end is not unicast
      if (c !== undefined) {
        this.touch(c, reply ? 0 : 1, 1, bytes, time);
        return;
      }
      const made = this.icmpConversation(d, reply, packetIndex, time);
      // Over the cap nothing is cached: each later packet is folded into the overflow again.
      if (made === 'non-unicast') inner.set(b, null);
      else if (made !== 'over-cap') inner.set(b, made);
      return;
    }
    this.icmpConversation(d, reply, packetIndex, time);
  }

  /** The conversations, busiest first within each client; evidence names the first connection seen. */
  finish(file: string, source: FlowSummary['evidence']['source'] = 'capture'): FlowSummary[] {
    for (let i = 0; i < this.lingerCount; i++) {
      const at = (this.lingerHead + i) % LINGER_MAX;
      this.settle(this.lingering[at]!);
      this.lingering[at] = undefined;
    }
    this.lingerHead = 0;
    this.lingerCount = 0;
    const out: FlowSummary[] = [];
    for (const c of this.byKey.values()) {
      out.push({
        client: c.client,
        server: c.server,
        port: c.port,
        transport: c.transport,
        protocol: c.protocol,
        connections: c.connections,
        packets: c.packets,
        bytes: c.bytes,
        firstSeen: iso(c.first),
        lastSeen: iso(c.last),
        ...(c.transport === 'tcp' ? { established: c.established ?? false } : {}),
        evidence: {
          source,
          file,
          connection: c.evidenceConnection,
          packet: c.evidencePacket,
          time: iso(c.evidenceTime),
          summary: `${plural(c.connections, c.transport === 'tcp' ? 'connection' : 'flow')}, ${plural(c.packets, 'packet')}, ${plural(c.bytes, 'byte')}`,
        },
      });
    }
    return out;
  }

  private icmpConversation(
    d: DecodedPacket,
    reply: boolean,
    packetIndex: number,
    time: number,
  ): Conversation | 'non-unicast' | 'over-cap' {
    const src = d.srcIpText();
    const dst = d.dstIpText();
    const client = reply ? dst : src;
    const server = reply ? src : dst;
    if (!this.isHostAddress(client) || !this.isHostAddress(server)) {
      this.stats.nonUnicast++;
      return 'non-unicast';
    }
    const key = `${client}|${server}|0|icmp`;
    const known = this.byKey.get(key);
    if (known) {
      this.touch(known, reply ? 0 : 1, 1, d.segmentLength, time);
      return known;
    }
    if (this.stats.summaries >= this.maxSummaries) {
      this.fold(reply ? 0 : 1, 1, d.segmentLength);
      return 'over-cap';
    }
    const c: Conversation = {
      client,
      server,
      port: 0,
      transport: 'icmp',
      protocol: d.ipVersion === 6 ? 'icmpv6' : 'icmp',
      connections: reply ? 0 : 1,
      packets: 1,
      bytes: d.segmentLength,
      first: time,
      last: time,
      established: undefined,
      evidencePacket: packetIndex,
      evidenceTime: time,
      evidenceConnection: `${client} → ${server}/icmp`,
    };
    this.byKey.set(key, c);
    this.stats.summaries++;
    return c;
  }

  private conversation(
    client: string,
    server: string,
    port: number,
    transport: 'tcp' | 'udp',
    f: TcpConnection | UdpFlow,
    packets: number,
    bytes: number,
  ): Conversation | null {
    if (!this.isHostAddress(client) || !this.isHostAddress(server)) {
      this.stats.nonUnicast++;
      return null;
    }
    // Looked up by the address texts themselves (the trackers hand out the same string per address, its
    // hash already computed), not by a key text built for every connection.
    let byServer = this.byClient.get(client);
    if (byServer === undefined) {
      byServer = new Map();
      this.byClient.set(client, byServer);
    }
    const portKey = transport === 'tcp' ? port : -1 - port;
    let byPort = byServer.get(server);
    const known = byPort?.get(portKey);
    if (known) {
      this.touch(known, 1, packets, bytes, f.lastTime);
      if (f.firstTime < known.first) known.first = f.firstTime;
      return known;
    }
    if (this.stats.summaries >= this.maxSummaries) {
      this.fold(1, packets, bytes);
      return null;
    }
    const v6 = f.ipVersion === 6;
    const ep = (ip: string, p: number) => (v6 ? `[${ip}]:${p}` : `${ip}:${p}`);
    const c: Conversation = {
      client,
      server,
      port,
      transport,
      protocol: null,
      connections: 1,
      packets,
      bytes,
      first: f.firstTime,
      last: f.lastTime,
      established: undefined,
      evidencePacket: f.firstPacketIndex,
      evidenceTime: f.firstTime,
      evidenceConnection: `${ep(client, port === f.serverPort ? f.clientPort : f.serverPort)} → ${ep(server, port)}/${transport}`,
    };
    if (byPort === undefined) {
      byPort = new Map();
      byServer.set(server, byPort);
    }
    byPort.set(portKey, c);
    this.byKey.set(`${client}|${server}|${port}|${transport}`, c);
    this.stats.summaries++;
    return c;
  }

  private touch(c: Conversation, connections: number, packets: number, bytes: number, time: number): void {
    c.connections += connections;
    c.packets += packets;
    c.bytes += bytes;
    if (time > c.last) c.last = time;
  }

  private fold(connections: number, packets: number, bytes: number): void {
    this.stats.overflow.connections += connections;
    this.stats.overflow.packets += packets;
    this.stats.overflow.bytes += bytes;
  }
}
