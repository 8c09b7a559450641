/**
 * @module UDP conversations by 5-tuple: who talks to whom on which port, with counters, for service
 * inventory and for dissectors that pair requests with answers (DNS, DHCP, SNMP). Same bounded table as TCP:
 * idle eviction by capture time and an LRU cap.
 */
import type { DecodedPacket } from '../decode/decoded-packet.js';
import { IpProtocol } from '../decode/decoded-packet.js';
import { formatIp } from '../decode/ip-address.js';
import { formatMac } from '../decode/mac-address.js';
import { FlowEntry, FlowTable } from './flow-table.js';
import { serverByPort } from './server-by-port.js';
import type { TcpRole } from './tcp-consumer.js';

/**
 * A UDP conversation. The client is the sender of the first datagram seen unless the ports say otherwise
 * (exactly one side on a well-known port < 1024, or exactly one side on a non-ephemeral port < 32768, is the
 * server): a capture that starts with a DNS answer still gets the resolver as the server.
 */
export class UdpFlow extends FlowEntry {
  readonly id: number;
  clientIp = '';
  clientPort = 0;
  serverIp = '';
  serverPort = 0;
  clientMac = '';
  serverMac = '';
  vlanIds: number[] = [];
  firstPacketIndex = 0;
  lastPacketIndex = 0;
  firstTime = 0;
  clientPackets = 0;
  serverPackets = 0;
  clientBytes = 0;
  serverBytes = 0;
  /** Free for the consumer. */
  userData: unknown;
  /** @internal */
  clientIsA = true;

  constructor(id: number) {
    super();
    this.id = id;
  }
}

export interface UdpFlowsOptions {
  /** Capture-time seconds without a datagram before a flow ends (default 120). */
  idleTimeoutSec?: number;
  /** Flows remembered at once (default 65,536). */
  maxFlows?: number;
  onOpen?(flow: UdpFlow): void;
  /** The flow ended: idle, evicted for the cap, or end of capture. */
  onClose?(flow: UdpFlow, reason: 'idle' | 'evicted' | 'end'): void;
}

export class UdpFlows {
  /** Set by {@link UdpFlows.track}: who sent the datagram just tracked. */
  from: TcpRole = 'client';
  flowsCreated = 0;
  private readonly table = new FlowTable<UdpFlow>(1);
  private readonly idleTimeout: number;
  private readonly maxFlows: number;
  private now = Number.NEGATIVE_INFINITY;
  private nextId = 1;

  constructor(private readonly options: UdpFlowsOptions = {}) {
    this.idleTimeout = options.idleTimeoutSec ?? 120;
    this.maxFlows = Math.max(1, options.maxFlows ?? 65536);
  }

  get size(): number {
    return this.table.size;
  }

  /** One decoded UDP datagram; returns its flow (and sets `from`), or null for anything else. */
  track(d: DecodedPacket, packetIndex: number, time: number): UdpFlow | null {
    if (d.outcome !== 'transport' || d.ipProtocol !== IpProtocol.UDP) return null;
    if (time > this.now) {
      this.now = time;
      for (let f = this.table.oldest(); f !== null && this.now - f.lastTime > this.idleTimeout; ) {
        this.close(f, 'idle');
        f = this.table.oldest();
      }
    }
    let flow = this.table.find(d, IpProtocol.UDP);
    if (flow === null) {
      while (this.table.size >= this.maxFlows) {
        const oldest = this.table.oldest();
        if (oldest === null) break;
        this.close(oldest, 'evicted');
      }
      flow = this.create(d, packetIndex, time);
      this.table.forward = true;
    }
    const fromClient = this.table.forward === flow.clientIsA;
    this.from = fromClient ? 'client' : 'server';
    if (fromClient) {
      flow.clientPackets++;
      flow.clientBytes += d.segmentLength;
    } else {
      flow.serverPackets++;
      flow.serverBytes += d.segmentLength;
    }
    flow.lastPacketIndex = packetIndex;
    this.table.touch(flow, time);
    return flow;
  }

  /** End of capture: reports every flow closed. */
  finish(): void {
    for (const f of [...this.table.entries()]) this.close(f, 'end');
  }

  private create(d: DecodedPacket, packetIndex: number, time: number): UdpFlow {
    const flow = new UdpFlow(this.nextId++);
    this.flowsCreated++;
    const srcIsClient = serverByPort(d.srcPort, d.dstPort) !== 'src';
    flow.clientIsA = srcIsClient;
    flow.ipVersion = d.ipVersion;
    const srcIp = formatIp(d.ipVersion, d.srcIp);
    const dstIp = formatIp(d.ipVersion, d.dstIp);
    flow.clientIp = srcIsClient ? srcIp : dstIp;
    flow.serverIp = srcIsClient ? dstIp : srcIp;
    flow.clientPort = srcIsClient ? d.srcPort : d.dstPort;
    flow.serverPort = srcIsClient ? d.dstPort : d.srcPort;
    flow.clientMac = formatMac(srcIsClient ? d.srcMac : d.dstMac);
    flow.serverMac = formatMac(srcIsClient ? d.dstMac : d.srcMac);
    flow.vlanIds = d.vlans();
    flow.firstPacketIndex = packetIndex;
    flow.firstTime = time;
    flow.lastTime = time;
    this.table.insert(flow, d);
    this.options.onOpen?.(flow);
    return flow;
  }

  private close(flow: UdpFlow, reason: 'idle' | 'evicted' | 'end'): void {
    this.table.remove(flow);
    this.options.onClose?.(flow, reason);
  }
}
