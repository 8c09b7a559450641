/**
 * @module Servers a capture shows only receiving: a SPAN port or TAP that delivers one direction (RX-only,
 * asymmetric routing, `tcpdump -Q in`) holds the client's half of a connection and nothing of the
 * server's. What the client sent still names the protocol when it parses as a whole message of it (an HL7
 * message over MLLP, a DICOM A-ASSOCIATE-RQ, an HTTP request …): the server is then recorded as a
 * listener of that protocol, with evidence that says so, unless the capture shows it refusing that port.
 *
 * A two-sided capture cannot hold such a connection: a client that acknowledges the server and sends data
 * has had a SYN-ACK, and the server acknowledges the data. An unanswered probe (a SYN, a SYN with data)
 * carries no acknowledgement and stays what it was: no service.
 */
import type { TcpConnection } from '../flows/tcp-connection.js';
import type { Evidence } from './host-observation.js';
import type { HostBuilder } from './host-table.js';

/** What the evidence summary of such a service adds, so that a person can tell it from an answered one. */
export const RECEIVING_ONLY_NOTE = 'seen only receiving: the capture holds one direction';

/** Evidence that stands only on a client's half (its summary carries {@link RECEIVING_ONLY_NOTE}). */
export const isReceivingOnlyEvidence = (e: { summary: string }): boolean =>
  e.summary.includes(RECEIVING_ONLY_NOTE);

/** Protocols whose server a client's message alone may name. */
export type ReceivingOnlyProtocol = 'dicom' | 'hl7' | 'http' | 'tls' | 'ssh' | 'telnet' | 'ftp' | 'mqtt';

/** Cleartext protocols that are a finding by themselves once in use (as when their server answers). */
const INSECURE: ReadonlySet<ReceivingOnlyProtocol> = new Set(['telnet', 'ftp', 'mqtt']);

/**
 * What a client's event says its bytes were, when they parse as a whole message of the protocol and so
 * name it whatever the other direction shows; undefined for anything less (errors, a lone byte pattern).
 */
export function clientMessage(protocol: string, e: unknown): string | undefined {
  const ev = e as { type?: string; direction?: string };
  switch (protocol) {
    case 'dicom':
      return ev.type === 'association-requested' ? 'A-ASSOCIATE-RQ received' : undefined;
    case 'hl7':
      return ev.type === 'message' && ev.direction === 'client'
        ? 'HL7 message over MLLP received'
        : undefined;
    case 'http':
      return ev.type === 'request' ? 'HTTP request received' : undefined;
    case 'tls':
      return ev.type === 'client-hello' ? 'TLS ClientHello received' : undefined;
    case 'ssh':
      return ev.type === 'banner' && ev.direction === 'client'
        ? 'SSH client identification received'
        : undefined;
    case 'telnet':
      // TERMINAL-TYPE IS <name>: a Telnet subnegotiation only a Telnet client sends (RFC 1091).
      return ev.type === 'terminal-type' ? 'Telnet terminal type negotiation received' : undefined;
    case 'ftp':
      return ev.type === 'command' || ev.type === 'credentials' ? 'FTP commands received' : undefined;
    case 'mqtt':
      return ev.type === 'connect' ? 'MQTT CONNECT received' : undefined;
    default:
      return undefined;
  }
}

/**
 * Only the client's half of this connection was captured: the client acknowledged the server while sending
 * data, yet not one packet from the server (SYN-ACK, ACK, data or RST) is in the capture.
 */
export function isClientHalfOnly(conn: TcpConnection): boolean {
  return conn.serverPackets === 0 && conn.clientAckedData;
}

interface Listener {
  ip: string;
  port: number;
  protocol: ReceivingOnlyProtocol;
  evidence: Evidence;
  firstTime: number;
  lastTime: number;
  /** DICOM: the called AE title of the A-ASSOCIATE-RQ (what the caller takes the SCP's title to be). */
  calledAeTitle?: string | undefined;
}

/** Bounds per capture or sensor slice. */
const MAX_LISTENERS = 10_000;

/** A listener recorded from an earlier sensor slice that the server has since been seen refusing. */
export interface WithdrawnListener {
  ip: string;
  port: number;
  protocol: ReceivingOnlyProtocol;
  /** The refusal (RST to a SYN, or a reset connection). */
  evidence: Evidence;
}

/**
 * Collects the receiving-only listeners of a capture and records them once the whole capture (or sensor
 * slice) is read, when it is known whether the server refused the port anywhere in it.
 */
export class ReceivingOnlyListeners {
  private readonly listeners = new Map<string, Listener>();
  /** `ip|port` the server refused (RST to a SYN) or reset a connection on. */
  private readonly refused = new Set<string>();
  /**
   * Live sensor: listeners an earlier slice recorded. A capture file is settled once, when every refusal
   * is known; a sensor settles each slice, so a refusal in a later slice withdraws what an earlier one
   * recorded, and the sensor's inventory ends as a whole capture of the same packets would.
   */
  private readonly recorded = new Map<string, ReceivingOnlyProtocol>();
  private withdrawn: WithdrawnListener[] = [];

  /** A client's message reached `conn`'s server and nothing came back. */
  received(
    conn: TcpConnection,
    protocol: ReceivingOnlyProtocol,
    evidence: Evidence,
    calledAeTitle?: string,
  ): void {
    const key = `${conn.serverIp}|${conn.serverPort}`;
    const known = this.listeners.get(key);
    if (known) {
      known.firstTime = Math.min(known.firstTime, conn.firstTime);
      known.lastTime = Math.max(known.lastTime, conn.lastTime);
      known.calledAeTitle ??= calledAeTitle;
      return;
    }
    if (this.listeners.size >= MAX_LISTENERS) return;
    this.listeners.set(key, {
      ip: conn.serverIp,
      port: conn.serverPort,
      protocol,
      evidence: { ...evidence, summary: `${evidence.summary} (${RECEIVING_ONLY_NOTE})` },
      firstTime: conn.firstTime,
      lastTime: conn.lastTime,
      calledAeTitle,
    });
  }

  /**
   * The server refused or reset a connection on this port: it is not taken as listening there. The
   * refusal's evidence is built only for a listener to withdraw (a live sensor's earlier slice): a capture
   * file settles at its end, and a port scan gives one refusal per probe.
   */
  refusedBy(ip: string, port: number, evidence: () => Evidence): void {
    const key = `${ip}|${port}`;
    if (this.refused.size < MAX_LISTENERS * 10) this.refused.add(key);
    const protocol = this.recorded.get(key);
    if (protocol === undefined) return;
    this.recorded.delete(key);
    this.withdrawn.push({ ip, port, protocol, evidence: evidence() });
  }

  /**
   * Records each listener nothing contradicted on its host (`hostOf`): the service, the host as a device
   * (it never sent a packet, yet the client's acknowledgements show it there), and for Telnet, FTP and
   * MQTT the `insecure-protocol` finding that their answer would give.
   */
  settle(
    hostOf: (ip: string) => HostBuilder,
    insecure: (ip: string, port: number, protocol: string, evidence: Evidence) => void,
  ): void {
    for (const [key, l] of this.listeners) {
      if (this.refused.has(key)) continue;
      // The most recent ones: a sensor running for weeks keeps withdrawing what it recorded lately.
      this.recorded.delete(key);
      if (this.recorded.size >= MAX_LISTENERS) this.recorded.delete(this.recorded.keys().next().value!);
      this.recorded.set(key, l.protocol);
      const server = hostOf(l.ip);
      server.talked = true;
      server.seen(l.firstTime);
      server.seen(l.lastTime);
      const encrypted = l.protocol === 'tls' || l.protocol === 'ssh';
      server.service(l.port, 'tcp', { protocol: l.protocol, encrypted }, l.evidence);
      if (l.calledAeTitle?.trim())
        server.addHint('dicom.calledAeTitle', l.calledAeTitle.trim(), {
          ...l.evidence,
          summary: `A-ASSOCIATE-RQ called AE title (${RECEIVING_ONLY_NOTE})`,
        });
      if (INSECURE.has(l.protocol))
        insecure(l.ip, l.port, l.protocol, {
          ...l.evidence,
          summary: `${l.protocol.toUpperCase()} in use (cleartext; ${RECEIVING_ONLY_NOTE})`,
        });
    }
    this.listeners.clear();
  }

  /** Listeners recorded by earlier settles that the server refused since (live sensor), each once. */
  takeWithdrawn(): WithdrawnListener[] {
    const out = this.withdrawn;
    this.withdrawn = [];
    return out;
  }
}
