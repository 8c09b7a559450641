/**
 * @module Passive discovery from packets: reads a capture (or any stream of capture bytes), decodes each
 * frame, follows TCP connections, hands each connection to the dissector its first bytes call for, and
 * turns what the dissectors report into hosts, services, protocol details, fingerprint hints and
 * findings. No database and no file writes: the result is a `SourceResult` for `apply-source-result.ts`.
 * A live sensor can drive the same `CaptureAnalyzer` packet by packet.
 *
 * Minimisation: the dissectors never hand out patient values, passwords or community strings, and this
 * module only records *that* they were seen, where and when.
 */
import type { CapturePacket } from '../capture/capture-packet.js';
import { openCapture, readCapture } from '../capture/open-capture.js';
import { PacketDecoder } from '../decode/decode-packet.js';
import { type DecodedPacket, IpProtocol } from '../decode/decoded-packet.js';
import { formatMac, isMulticastMac, readMac } from '../decode/mac-address.js';
import { parseDhcp } from '../dissect/dhcp.js';
import { parseDhcpv6 } from '../dissect/dhcpv6.js';
import { looksLikeDicom, looksLikeDicomAnswer } from '../dissect/dicom.js';
import {
  type DicomAttributePackets,
  type DicomEvent,
  DicomStreamDissector,
} from '../dissect/dicom-stream.js';
import { discoverFromDns, parseDns } from '../dissect/dns.js';
import { FtpDataDissector, type FtpDataEvent, type FtpEvent, FtpStreamDissector } from '../dissect/ftp.js';
import { type Hl7Event, Hl7StreamDissector } from '../dissect/hl7-stream.js';
import { type HttpEvent, HttpStreamDissector } from '../dissect/http.js';
import { looksLikeMllp } from '../dissect/mllp.js';
import {
  isMqttLoginRefused,
  looksLikeMqttConnect,
  type MqttEvent,
  MqttStreamDissector,
} from '../dissect/mqtt.js';
import type { PayloadPhi } from '../dissect/payload-phi.js';
import { serverProduct } from '../dissect/product-tokens.js';
import { type SmbEvent, SmbStreamDissector } from '../dissect/smb.js';
import { parseSnmp } from '../dissect/snmp.js';
import { type SshEvent, SshStreamDissector } from '../dissect/ssh.js';
import { type TelnetEvent, TelnetStreamDissector } from '../dissect/telnet.js';
import { type TlsEvent, TlsStreamDissector, type TlsWeakness, VERSION_WEAKNESSES } from '../dissect/tls.js';
import { cipherSuite } from '../dissect/tls-ciphers.js';
import { certificateProblems } from '../dissect/x509.js';
import { type InputIssue, invalidInput } from '../errors.js';
import type { TcpConnection } from '../flows/tcp-connection.js';
import type { TcpConsumer, TcpRole } from '../flows/tcp-consumer.js';
import { TcpTracker } from '../flows/tcp-tracker.js';
import { UdpFlows } from '../flows/udp-flows.js';
import { connectionText } from './connection-text.js';
import { dicomAnyAeTitleFinding, isProbeAeTitle } from './dicom-any-ae.js';
import { AcceptedCalledTitles } from './dicom-called-titles.js';
import { equipmentHintValue } from './dicom-equipment.js';
import { FailedLogins } from './failed-logins.js';
import { fingerprintHost } from './fingerprint.js';
import { FlowSummaries, type FlowSummaryStats } from './flow-summaries.js';
import type {
  DicomAssociationObservation,
  Evidence,
  FindingObservation,
  SourceResult,
  WithdrawnService,
} from './host-observation.js';
import { HostBuilder, HostTable, iso } from './host-table.js';
import { payloadPhiFinding } from './payload-phi-finding.js';
import { isPlaceholderValue } from './placeholder-value.js';
import {
  clientMessage,
  isClientHalfOnly,
  isReceivingOnlyEvidence,
  RECEIVING_ONLY_NOTE,
  ReceivingOnlyListeners,
  type ReceivingOnlyProtocol,
} from './receiving-only.js';
import { checkDefaultCredential, defaultCredentialFinding } from './rules/default-credentials.js';
import { negotiatedSmb } from './smb-negotiated.js';

export interface CaptureProgress {
  bytes: number;
  packets: number;
  hosts: number;
}

export interface AnalyzeOptions {
  /** Base name used in evidence and issues. */
  file: string;
  onProgress?: (p: CaptureProgress) => void;
}

export interface CaptureAnalysis extends SourceResult {
  issues: InputIssue[];
  stats: {
    format: string | null;
    compressed: boolean;
    packets: number;
    bytes: number;
    seconds: number;
    skippedRecords: number;
    decode: Record<string, number>;
    tcp: { connections: number; gaps: number; portsOpen: number };
    flows: FlowSummaryStats;
  };
}

type Protocol = 'dicom' | 'hl7' | 'http' | 'tls' | 'ssh' | 'telnet' | 'ftp' | 'smb' | 'mqtt' | 'ftp-data';

/** A data connection announced on an FTP control connection (PASV/EPSV reply, PORT/EPRT command). */
interface FtpDataExpected {
  control: string;
  ftpServerIp: string;
  ftpPort: number;
  command: string;
}

interface Dissector {
  feed(direction: 'client' | 'server', bytes: Uint8Array, packet?: number, time?: number): unknown[];
}

interface ConnState {
  protocol: Protocol | 'unknown' | undefined;
  dissector: Dissector | undefined;
  probes: number;
  evidenceBase: string;
  /**
   * The dissector recognised the server's side of the stream: only then does the connection's
   * conversation carry `protocol` (a scanner's HTTP GET to a DICOM port is not HTTP).
   */
  answered?: boolean;
  /** The server has sent bytes: only its first ones can say it speaks another protocol than the client's. */
  serverSpoke?: boolean;
  /**
   * The client's first whole message of the protocol (receiving-only.ts): names the server's protocol only
   * if the capture turns out to hold no packet of the server's.
   */
  clientSent?: { protocol: ReceivingOnlyProtocol; what: string; packet: number; time: number } | undefined;
  /** An HTTP request for an admin-looking path, waiting for the server's answer. */
  pendingAdmin?: { hint: string; path: string } | undefined;
  /** An HTTP request to a patient query API (Orthanc REST, DICOMweb QIDO/WADO), waiting for the answer. */
  pendingPatientApi?: string | undefined;
  /**
   * A patient query answered 200 with JSON/DICOM/XML, waiting for its body: the finding names the packet
   * that carried the body's first byte, the patient data, not the head's.
   */
  pendingPatientBody?: { path: string; status: number; contentType: string } | undefined;
  /** An HTTP request with Basic credentials, waiting for the answer (a 401 is a failed login). */
  pendingBasic?: boolean;
  /** A login with documented default credentials, waiting to see whether the server refuses it. */
  pendingDefault?: { id: string; protocol: string; evidence: Evidence } | undefined;
  /** An MQTT CONNECT carried a user name or password (a refusing CONNACK is then a failed login). */
  mqttLogin?: boolean;
  /** For an FTP data connection: the control connection that announced it. */
  ftpData?: FtpDataExpected;
}

/**
 * Request paths of PACS REST and DICOMweb APIs whose answers carry patient demographics: Orthanc's
 * `/patients`, `/studies`, `/series`, `/instances` and `/tools/find`; DICOMweb QIDO-RS/WADO-RS
 * (`…/dicom-web/studies`, `/rs/studies`, `/wado`).
 * @see DICOM PS3.18 §10.6 (QIDO-RS), §10.4 (WADO-RS)
 */
const PATIENT_API =
  /^\/(patients|studies|series|instances|tools\/find)\b|\/dicom-?web\/|\/rs\/(studies|series|instances)\b|\/wado\b/i;

const HTTP_METHOD = /^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH|CONNECT|TRACE) /;
/** @see RFC 9112 §4 status-line (`HTTP/1.1 200 OK`) */
const HTTP_STATUS = /^HTTP\/\d\.\d /;
const ascii = new TextDecoder('latin1');

/** Which dissector a connection's first bytes (from `from`) call for; port numbers only break ties. */
export function probeProtocol(from: TcpRole, bytes: Uint8Array, serverPort: number): Protocol | undefined {
  const b0 = bytes[0];
  const head = ascii.decode(bytes.subarray(0, 8));
  if (head.startsWith('SSH-')) return 'ssh';
  if (from === 'client') {
    if (b0 === 0x16 && bytes[1] === 0x03) return 'tls';
    if (b0 === 0x80 && bytes[2] === 0x01) return 'tls'; // SSLv2-framed ClientHello
    if (looksLikeMllp(bytes)) return 'hl7';
    if (looksLikeDicom(bytes)) return 'dicom';
    if (HTTP_METHOD.test(head)) return 'http';
    if (b0 === 0x00 && (bytes[4] === 0xff || bytes[4] === 0xfe) && head.slice(5, 8) === 'SMB') return 'smb';
    if (b0 === 0xff && serverPort === 23) return 'telnet';
  } else {
    const p = serverOpening(bytes, serverPort);
    if (p) return p;
  }
  if (serverPort === 23) return 'telnet';
  if (serverPort === 21) return 'ftp';
  if (from === 'client' && looksLikeMqttConnect(bytes)) return 'mqtt';
  if (serverPort === 1883) return 'mqtt';
  return undefined;
}

/**
 * The protocol a server's first bytes open like on their own, whatever the client sent: a banner (SSH,
 * FTP `220`, not on the SMTP ports), Telnet option negotiation (IAC), a TLS handshake or alert record, an
 * HTTP status line, a DICOM A-ASSOCIATE-AC/RJ or A-ABORT, an HL7 message in its MLLP frame. By the bytes:
 * the port only keeps an SMTP greeting from reading as FTP.
 */
function serverOpening(bytes: Uint8Array, serverPort: number): Protocol | undefined {
  const b0 = bytes[0];
  const head = ascii.decode(bytes.subarray(0, 9));
  if (head.startsWith('SSH-')) return 'ssh';
  if (head.startsWith('220') && serverPort !== 25 && serverPort !== 587) return 'ftp';
  if (b0 === 0xff && (serverPort === 23 || opensTelnetNegotiation(bytes))) return 'telnet';
  // @see RFC 8446 §5.1 TLSPlaintext: content type 22 handshake or 21 alert, legacy version 3.x
  if ((b0 === 0x16 || b0 === 0x15) && bytes[1] === 0x03 && bytes[2]! <= 0x04) return 'tls';
  if (HTTP_STATUS.test(head)) return 'http';
  if (looksLikeDicomAnswer(bytes)) return 'dicom';
  // An HL7 answer (ACK) in its MLLP frame: the client's message may not be in the capture (one direction).
  if (looksLikeMllp(bytes)) return 'hl7';
  return undefined;
}

/**
 * IAC WILL/WONT/DO/DONT of an assigned option (0–49), then the end of the segment or the next IAC, as
 * telnetd opens (`FF FB 25 FF FB 26 FF FD 18 …`). Off port 23 one 0xFF is not enough: a UTF-16LE text
 * starts `FF FE 3C 00`.
 * @see RFC 854 (commands 251–254), IANA Telnet options registry
 */
function opensTelnetNegotiation(bytes: Uint8Array): boolean {
  const command = bytes[1]!;
  return command >= 251 && command <= 254 && bytes[2]! <= 49 && (bytes.length === 3 || bytes[3] === 0xff);
}

/** An event a dissector made of the server's bytes that is not a complaint about them. */
function isServerAnswer(e: unknown): boolean {
  const type = (e as { type?: unknown }).type;
  return type !== 'error' && type !== 'garbage';
}

/**
 * The protocol a connection's conversation is labelled with: the one the server answered in. A data
 * connection its FTP control connection announced is FTP data whichever side sends.
 */
function conversationProtocol(st: ConnState): Protocol | null {
  if (st.protocol === 'ftp-data') return st.protocol;
  return st.answered && st.protocol !== undefined && st.protocol !== 'unknown' ? st.protocol : null;
}

function newDissector(p: Protocol): Dissector {
  switch (p) {
    case 'dicom':
      return new DicomStreamDissector();
    case 'hl7':
      return new Hl7StreamDissector();
    case 'http':
      return new HttpStreamDissector({ checkCredential: checkDefaultCredential });
    case 'tls':
      return new TlsStreamDissector();
    case 'ssh':
      return new SshStreamDissector();
    case 'telnet':
      return new TelnetStreamDissector({ checkCredential: checkDefaultCredential });
    case 'ftp':
      return new FtpStreamDissector({ checkCredential: checkDefaultCredential });
    case 'ftp-data':
      return new FtpDataDissector();
    case 'mqtt':
      return new MqttStreamDissector({ checkCredential: checkDefaultCredential });
    case 'smb':
      return new SmbStreamDissector();
  }
}

const TLS_VERSION_SUBJECT: Record<string, string> = {
  'SSL 2.0': 'SSLv2',
  'SSL 3.0': 'SSLv3',
  'TLS 1.0': 'TLSv1.0',
  'TLS 1.1': 'TLSv1.1',
};

/**
 * The analysis of one capture. Feed it with `packet()` (a reader's reused packet objects are fine), then
 * `finish()` once. Memory stays bounded: connections are evicted by the tracker, hosts and lists are capped.
 */
export class CaptureAnalyzer implements TcpConsumer {
  readonly decoder = new PacketDecoder();
  readonly tracker: TcpTracker;
  readonly hosts = new HostTable();
  private packetIndex = 0;
  private packetTime = 0;
  private readonly v4Hosts = new Map<number, HostBuilder | null>();
  /** FTP data connections announced and not yet seen, by the endpoint that listens (`ip|port`). */
  private readonly ftpData = new Map<string, FtpDataExpected>();
  /** Refused logins per client, service and protocol. */
  private readonly failedLogins = new FailedLogins();
  /** Conversations (who talks to whom) for the baseline and the flow rules. */
  flows = new FlowSummaries(isHostAddress);
  /** DICOM associations since the last snapshot, and the one each connection is negotiating. */
  private dicomAssociations: DicomAssociationObservation[] = [];
  private readonly associationOf = new WeakMap<TcpConnection, DicomAssociationObservation>();
  /** Called AE titles each SCP accepted: which are its own is settled when results are taken. */
  private readonly calledTitles = new AcceptedCalledTitles();
  private readonly udpFlows = new UdpFlows({ onClose: (f) => this.flows.udp(f) });
  /** Servers seen only receiving (a capture of one direction), recorded once the capture is read. */
  private readonly receivingOnly = new ReceivingOnlyListeners();
  /** Live sensor: receiving-only services of earlier snapshots the servers refused since. */
  private withdrawnServices: WithdrawnService[] = [];

  /** `evidenceSource`: `live` when a sensor captures from an interface (see `vigil sensor`). */
  constructor(
    private file: string,
    private readonly evidenceSource: Evidence['source'] = 'capture',
  ) {
    this.tracker = new TcpTracker(this);
  }

  packet(p: CapturePacket): void {
    this.packetIndex = p.index;
    this.packetTime = p.time;
    const d = this.decoder.decode(p);
    if (d.outcome !== 'transport' && d.outcome !== 'network') return;
    const h = this.sourceHost(d);
    if (h !== null) {
      h.talked = true;
      // Made once per host (and again only for an earlier packet read out of order).
      if (p.time < h.firstSeen) h.firstEvidence = this.evidence('first packet from this host');
      h.seen(p.time);
    }
    if (d.outcome !== 'transport') return;
    if (d.ipProtocol === IpProtocol.UDP) {
      this.udpFlows.track(d, p.index, p.time);
      this.udp(d, d.srcIpText());
    } else if (d.ipProtocol === IpProtocol.TCP) this.tracker.track(d, p.index, p.time);
    else if (d.ipProtocol === IpProtocol.ICMP || d.ipProtocol === IpProtocol.ICMPV6) {
      // No usable frame source MAC (none on this link type, or a multicast one a rewriting tool left):
      // an ND message still names its sender's MAC.
      if (h !== null && d.ipProtocol === IpProtocol.ICMPV6 && (d.srcMac < 0 || isMulticastMac(d.srcMac)))
        this.ndSourceMac(d, h);
      this.flows.icmp(d, p.index, p.time);
    }
  }

  /**
   * Binds the Source Link-Layer Address option of a Router Solicitation, Router Advertisement or Neighbor
   * Solicitation (RFC 4861 §4.1-4.3, §4.6.1) to its sender's address.
   */
  private ndSourceMac(d: DecodedPacket, h: HostBuilder): void {
    const t = d.icmpType;
    // Fixed fields after the 4-byte ICMPv6 header: RS 4 reserved, RA 12, NS 4 reserved + 16 target.
    const fixed = t === 133 ? 4 : t === 134 ? 12 : t === 135 ? 20 : -1;
    if (fixed < 0) return;
    const b = d.bytes;
    const end = d.payloadOffset + d.payloadLength;
    let o = d.payloadOffset + fixed;
    while (end - o >= 8) {
      const len = b[o + 1]! * 8;
      if (len === 0) return;
      if (b[o] === 1) {
        const mac = readMac(b, o + 2);
        if (mac !== 0 && !isMulticastMac(mac) && h.lastMac !== mac) {
          h.lastMac = mac;
          this.hosts.bind(formatMac(mac), h.ips[0]!, true);
        }
        return;
      }
      o += len;
    }
  }

  /**
   * The host that sent this packet, or null for addresses that are no device. The hot path: IPv4 sources
   * are looked up by their number, so no address text is formatted and no MAC binding repeated per packet.
   */
  private sourceHost(d: DecodedPacket): HostBuilder | null {
    const v4 = d.ipVersion === 4;
    let h: HostBuilder | null | undefined = v4 ? this.v4Hosts.get(d.srcIp[0]!) : undefined;
    if (h === undefined) {
      const src = d.srcIpText();
      h = isHostAddress(src) ? this.hosts.ip(src) : null;
      if (v4) this.v4Hosts.set(d.srcIp[0]!, h);
    }
    if (h !== null && d.srcMac >= 0 && (d.srcMac / 2 ** 40) % 2 < 1 && h.lastMac !== d.srcMac) {
      // Unicast source MAC (the I/G bit is clear): that MAC carried this IP.
      h.lastMac = d.srcMac;
      this.hosts.bind(d.srcMacText(), h.ips[0]!);
    }
    return h;
  }

  finish(): SourceResult {
    this.tracker.finish();
    this.udpFlows.finish();
    this.failedLogins.flush(this.hosts);
    this.settleCalledTitles();
    this.settleReceivingOnly();
    const { hosts, findings } = this.hosts.finish();
    return {
      hosts: hosts.map((h) => fingerprintHost(h)),
      findings,
      flows: this.flows.finish(this.file),
      ...(this.dicomAssociations.length ? { dicomAssociations: this.dicomAssociations } : {}),
    };
  }

  /** Each SCP's own AE titles, known only once all its accepts were seen (dicom-called-titles.ts). */
  private settleCalledTitles(): void {
    for (const s of this.calledTitles.settle()) {
      const server = this.hosts.ip(s.ip);
      const d = server.dicomProfile();
      for (const title of s.own) HostBuilder.addTo(d.aeTitles, title);
      for (const o of s.others) server.addHint('dicom.acceptedAeTitle', o.title, o.evidence);
    }
  }

  /** Servers only seen receiving whose port the capture never showed them refuse (receiving-only.ts). */
  private settleReceivingOnly(): void {
    this.receivingOnly.settle(
      (ip) => this.hosts.ip(ip),
      (ip, port, protocol, evidence) =>
        this.finding('insecure-protocol', ip, `${protocol}:${port}`, evidence, { protocol, port }),
    );
    // Only a sensor settles more than once: what an earlier slice recorded, a later refusal withdraws,
    // unless the server has since been seen answering on that port (its service then stands on that).
    for (const w of this.receivingOnly.takeWithdrawn()) {
      if (!this.hosts.ip(w.ip).withdrawReceivingOnly(w.port, 'tcp')) continue;
      const { ip, port, protocol, evidence } = w;
      this.withdrawnServices.push({ host: { ip }, port, transport: 'tcp', protocol, evidence });
    }
  }

  /** Evidence of a server refusing a port (RST to its SYN, or resetting a connection). */
  private refusal(conn: TcpConnection, packet: number, time: number, summary: string): Evidence {
    return {
      source: this.evidenceSource,
      file: this.file,
      connection: tcpConnectionText(conn),
      packet,
      time: iso(time),
      summary,
    };
  }

  // -------------------------------------------------------------------------------------------------
  // Live sensor (`vigil sensor`): the capture never ends, so results are taken in slices.

  /**
   * What was learned since the last snapshot, without ending the capture (connections stay open): hosts
   * whose state changed (every host with `all`, after a slice that could not be stored), and only the
   * findings and conversations seen since, so storing every slice counts nothing twice. `final` first
   * ends every connection and flow, as `finish()` does (shutdown). The result is a copy: packets that
   * arrive while it is being stored do not change it.
   */
  snapshot(opts: { all?: boolean; final?: boolean } = {}): SourceResult {
    if (opts.final) {
      this.tracker.finish();
      this.udpFlows.finish();
    }
    this.failedLogins.flush(this.hosts);
    this.settleCalledTitles();
    this.settleReceivingOnly();
    const { hosts, findings } = this.hosts.snapshot(opts.all);
    const flows = this.flows.finish(this.file, this.evidenceSource);
    this.flows = new FlowSummaries(isHostAddress);
    const dicomAssociations = this.dicomAssociations;
    this.dicomAssociations = [];
    const withdrawnServices = this.withdrawnServices;
    this.withdrawnServices = [];
    return structuredClone({
      hosts: hosts.map((h) => fingerprintHost(h)),
      findings,
      flows,
      ...(dicomAssociations.length ? { dicomAssociations } : {}),
      ...(withdrawnServices.length ? { withdrawnServices } : {}),
    });
  }

  /** The next packets come from another stream (a restarted capture tool, the next followed file). */
  nextStream(file: string): void {
    this.file = file;
  }

  /** After a snapshot was stored: forgets hosts idle for `idleSeconds` of capture time (bounded memory). */
  evictIdle(idleSeconds: number): number {
    const n = this.hosts.evictIdle(this.packetTime - idleSeconds, this.packetTime);
    // The address cache points at builders just forgotten (and grows with every non-host address).
    if (n || this.v4Hosts.size > 65_536) this.v4Hosts.clear();
    return n;
  }

  private evidence(summary: string, connection?: string): Evidence {
    return {
      source: this.evidenceSource,
      file: this.file,
      ...(connection ? { connection } : {}),
      packet: this.packetIndex,
      time: iso(this.packetTime),
      summary,
    };
  }

  private finding(
    type: FindingObservation['type'],
    ip: string,
    subject: string,
    evidence: Evidence,
    details: FindingObservation['details'],
  ): void {
    this.hosts.finding({ type, host: { ip }, subject, evidence, details });
  }

  // -------------------------------------------------------------------------------------------------
  // UDP: DHCP, DNS/mDNS/LLMNR, SNMP

  private udp(d: DecodedPacket, src: string): void {
    const payload = d.bytes.subarray(d.payloadOffset, d.payloadOffset + d.payloadLength);
    const dst = d.dstIpText();
    const conn = connectionText(src, d.srcPort, dst, d.dstPort, 'udp');
    const { srcPort, dstPort } = d;
    if ((srcPort === 67 || srcPort === 68) && (dstPort === 67 || dstPort === 68))
      this.dhcp(payload, src, srcPort, conn);
    else if (srcPort === 53 || srcPort === 5353 || srcPort === 5355 || dstPort === 5353)
      this.dns(payload, src, srcPort, dstPort, conn);
    else if (dstPort === 161 || srcPort === 161) this.snmp(payload, src, dst, srcPort, dstPort, conn);
    else if ((srcPort === 546 || srcPort === 547) && (dstPort === 546 || dstPort === 547))
      this.dhcpv6(payload, src, srcPort, conn);
  }

  private dhcp(payload: Uint8Array, src: string, srcPort: number, conn: string): void {
    const r = parseDhcp(payload);
    if (r.kind !== 'ok') return;
    const m = r.value;
    const ev = this.evidence(`DHCP ${m.messageType ?? m.op}`, conn);
    if (m.op === 'request' && m.clientMac) {
      const h = this.hosts.mac(m.clientMac);
      h.talked = true;
      // Before it has an address, a DHCP client's first packet is its request (from 0.0.0.0).
      if (this.packetTime < h.firstSeen) h.firstEvidence = this.evidence('first packet from this host');
      h.seen(this.packetTime);
      h.protocols.add('dhcp');
      if (m.hostname) {
        h.addHostname(m.hostname);
        h.addHint('dhcp.hostname', m.hostname, ev);
      }
      if (m.vendorClassId) h.addHint('dhcp.vendorClass', m.vendorClassId, ev);
      if (m.parameterRequestList?.length) h.addHint('dhcp.paramList', m.parameterRequestList.join(','), ev);
      // A DECLINE undoes the ACK's binding (the address is in use by another host); a RELEASE does not:
      // the address was the client's until then, so what the capture showed it do from it stays its own.
      if (m.messageTypeCode === 4) {
        const declined = this.hosts.decline(m.clientMac, m.requestedAddress);
        if (declined) h.addHint('dhcp.declinedAddress', declined, ev);
      }
    } else if (m.op === 'reply' && srcPort === 67) {
      if (isHostAddress(src)) {
        const server = this.hosts.ip(src);
        server.protocols.add('dhcp');
        server.service(67, 'udp', { protocol: 'dhcp', encrypted: false }, ev);
      }
      // An ACK (or OFFER) says which address the server gives to which MAC.
      if (
        m.clientMac &&
        m.yourAddress &&
        m.yourAddress !== '0.0.0.0' &&
        (m.messageType === 'ACK' || m.messageType === 'DHCPACK' || m.messageTypeCode === 5)
      ) {
        this.hosts.lease(m.clientMac, m.yourAddress);
        // The client may never send from that address in the capture (a quiet ECG cart): the ACK alone makes
        // it the client's, as a DHCPv6 REPLY does, so its MAC-only host carries it (merged by MAC later).
        if (isHostAddress(m.yourAddress)) {
          const client = this.hosts.mac(m.clientMac);
          HostBuilder.addTo(client.ips, m.yourAddress);
          client.addHint('dhcp.leasedAddress', m.yourAddress, ev);
        }
      }
    }
  }

  /** DHCPv6 like DHCPv4: the client by the MAC in its DUID, its names and classes, the address it is given. */
  private dhcpv6(payload: Uint8Array, src: string, srcPort: number, conn: string): void {
    const r = parseDhcpv6(payload);
    if (r.kind !== 'ok') return;
    const m = r.value;
    const ev = this.evidence(`DHCPv6 ${m.messageTypeName}`, conn);
    const clientMac = m.clientId?.mac;
    const client = clientMac ? this.hosts.mac(clientMac) : undefined;
    if (m.fromClient) {
      const h = client ?? (isHostAddress(src) ? this.hosts.ip(src) : undefined);
      if (!h) return;
      h.talked = true;
      h.seen(this.packetTime);
      h.protocols.add('dhcpv6');
      if (m.fqdn) {
        h.addHostname(m.fqdn);
        h.addHint('dhcpv6.fqdn', m.fqdn, ev);
      }
      if (m.clientId?.enterpriseNumber !== undefined)
        h.addHint('dhcpv6.duidEnterprise', String(m.clientId.enterpriseNumber), ev);
      if (m.vendorClass) {
        h.addHint('dhcpv6.vendorEnterprise', String(m.vendorClass.enterpriseNumber), ev);
        for (const v of m.vendorClass.data) h.addHint('dhcpv6.vendorClass', v, ev);
      }
      if (m.vendorOptsEnterprise !== undefined)
        h.addHint('dhcpv6.vendorEnterprise', String(m.vendorOptsEnterprise), ev);
      for (const u of m.userClass ?? []) h.addHint('dhcpv6.userClass', u, ev);
      if (m.requestedOptions?.length) h.addHint('dhcpv6.oro', m.requestedOptions.join(','), ev);
      return;
    }
    if (srcPort !== 547 || m.relayed) return;
    if (isHostAddress(src)) {
      const server = this.hosts.ip(src);
      server.protocols.add('dhcpv6');
      server.service(547, 'udp', { protocol: 'dhcpv6', encrypted: false }, ev);
      if (m.serverId?.enterpriseNumber !== undefined)
        server.addHint('dhcpv6.duidEnterprise', String(m.serverId.enterpriseNumber), ev);
    }
    // A REPLY with addresses confirms what the client may use (an ADVERTISE only offers).
    if (client && m.messageTypeName === 'REPLY' && (m.statusCode ?? 0) === 0) {
      for (const a of m.addresses) if (isHostAddress(a)) HostBuilder.addTo(client.ips, a);
      if (m.fqdn) client.addHostname(m.fqdn);
    }
  }

  private dns(payload: Uint8Array, src: string, srcPort: number, dstPort: number, conn: string): void {
    const r = parseDns(payload);
    if (r.kind !== 'ok' || !isHostAddress(src)) return;
    const protocol = srcPort === 5353 || dstPort === 5353 ? 'mdns' : srcPort === 5355 ? 'llmnr' : 'dns';
    const responder = this.hosts.ip(src);
    responder.protocols.add(protocol);
    const found = discoverFromDns(r.value);
    const ev = this.evidence(`${protocol.toUpperCase()} response`, conn);
    if (protocol === 'dns' && srcPort === 53 && (found.addresses.length || found.reverse.length)) {
      responder.service(53, 'udp', { protocol: 'dns', encrypted: false }, ev);
    }
    // Unicast DNS names hosts it knows; mDNS/LLMNR responders name themselves: both are names of addresses.
    for (const a of [...found.addresses, ...found.reverse]) {
      if (isHostAddress(a.address)) this.hosts.ip(a.address).addHostname(a.name);
    }
    if (protocol !== 'mdns') return;
    for (const s of found.services) {
      responder.addHint('mdns.service', s.serviceType, ev);
      responder.addHint('mdns.instance', s.instance, ev);
      for (const [k, v] of Object.entries(s.txt ?? {}))
        responder.addHint('mdns.txt', v === true ? k : `${k}=${v}`, ev);
      // An SRV record is what the device claims, not a port anything was seen answering on: a hint only, so
      // it raises no unnecessary-service or insecure-protocol finding.
      if (s.port) responder.addHint('mdns.advertisedPort', `${s.serviceType} ${s.port}`, ev);
    }
  }

  private snmp(
    payload: Uint8Array,
    src: string,
    dst: string,
    srcPort: number,
    dstPort: number,
    conn: string,
  ): void {
    const r = parseSnmp(payload);
    if (r.kind !== 'ok') return;
    const m = r.value;
    const agentIp = dstPort === 161 ? dst : src;
    if (!isHostAddress(agentIp)) return;
    const agent = this.hosts.ip(agentIp);
    const ev = this.evidence(`SNMP ${m.version} ${m.pduType}`, conn);
    agent.protocols.add('snmp');
    if (srcPort === 161)
      agent.service(
        161,
        'udp',
        { protocol: 'snmp', version: m.version, encrypted: m.version === 'v3' ? null : false },
        ev,
      );
    if (m.system.sysDescr) agent.addHint('snmp.sysDescr', m.system.sysDescr, ev);
    if (m.system.sysObjectID) agent.addHint('snmp.sysObjectID', m.system.sysObjectID, ev);
    if (m.community) {
      const details = {
        protocol: 'snmp',
        port: 161,
        version: m.version,
        defaultCommunity: m.community.defaultCommunity,
      };
      this.finding(
        'cleartext-credentials',
        agentIp,
        'snmp:161',
        this.evidence(`SNMP ${m.version} community string sent in cleartext`, conn),
        details,
      );
      this.finding('insecure-protocol', agentIp, 'snmp:161', ev, details);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // TCP (TcpConsumer)

  onPortState(conn: TcpConnection, state: 'open' | 'closed', packetIndex: number, time: number): void {
    if (state === 'closed')
      this.receivingOnly.refusedBy(conn.serverIp, conn.serverPort, () =>
        this.refusal(conn, packetIndex, time, `RST to SYN: ${conn.serverPort}/tcp refused`),
      );
    if (state !== 'open' || !isHostAddress(conn.serverIp)) return;
    // A data connection an FTP control connection announced (PASV, EPSV, PORT, EPRT) listens on an
    // ephemeral port for one transfer: the service is FTP on its control port, not this port.
    if (this.ftpData.size && this.ftpData.has(`${conn.serverIp}|${conn.serverPort}`)) return;
    const server = this.hosts.ip(conn.serverIp);
    // Every connection to a known port would build evidence (text, time) only for it to be dropped; one
    // known only from a client's half (receiving-only.ts) takes the SYN-ACK as its evidence instead.
    const known = server.services.get(`tcp/${conn.serverPort}`);
    if (known && !isReceivingOnlyEvidence(known.evidence)) return;
    const ev: Evidence = {
      source: this.evidenceSource,
      file: this.file,
      connection: tcpConnectionText(conn),
      packet: packetIndex,
      time: iso(time),
      summary: `SYN-ACK: ${conn.serverPort}/tcp is listening`,
    };
    server.service(conn.serverPort, 'tcp', {}, ev);
  }

  onData(conn: TcpConnection, from: TcpRole, bytes: Uint8Array, packetIndex: number, time: number): void {
    let st = conn.userData as ConnState | undefined;
    if (!st) {
      st = { protocol: undefined, dissector: undefined, probes: 0, evidenceBase: tcpConnectionText(conn) };
      conn.userData = st;
    }
    const ftpData = st.protocol === undefined && this.ftpData.size ? this.takeFtpData(conn) : undefined;
    if (ftpData) {
      st.protocol = 'ftp-data';
      st.dissector = new FtpDataDissector();
      st.ftpData = ftpData;
    } else if (st.protocol === undefined) {
      const p = probeProtocol(from, bytes, conn.serverPort);
      if (p) {
        // What the client sent only says what it tried (a scanner tries everything); the server's own
        // answers, in the event handlers below, name the service, and the client's protocol with it.
        st.protocol = p;
        st.dissector = newDissector(p);
      } else if (++st.probes >= 4) {
        st.protocol = 'unknown';
        conn.stopDelivery();
        return;
      } else return;
    }
    if (!st.dissector) return;
    this.packetIndex = packetIndex;
    this.packetTime = time;
    const events = st.dissector.feed(from, bytes, packetIndex, time);
    if (from === 'client' && st.clientSent === undefined && !st.serverSpoke) this.clientSent(st, events);
    if (from === 'server') {
      const first = !st.serverSpoke;
      st.serverSpoke = true;
      if (!st.answered) {
        // The server's bytes are its protocol when they open like it (Telnet option negotiation, without
        // a line of text yet) or when the dissector made something of them.
        const opening = serverOpening(bytes, conn.serverPort);
        st.answered = opening === st.protocol || events.some(isServerAnswer);
        if (st.answered) this.clientTookPart(conn, st);
        // A server that opens in another protocol than the client's probe called for (an SSH banner to
        // nmap's HTTP GET, vsFTPd's 220 to a TLS ClientHello) is that protocol's server: the connection
        // is followed, and labelled, as what it answered. An FTP data connection carries any bytes.
        if (!st.answered && first && opening !== undefined && st.protocol !== 'ftp-data') {
          for (const e of events) this.onEvent(conn, st, e as AnyEvent);
          this.serverAnswersOtherwise(conn, st, opening, bytes, packetIndex, time);
          return;
        }
      }
    }
    for (const e of events) this.onEvent(conn, st, e as AnyEvent);
  }

  /** Notes the client's first whole message of the connection's protocol (receiving-only.ts). */
  private clientSent(st: ConnState, events: unknown[]): void {
    const protocol = st.protocol as ReceivingOnlyProtocol;
    for (const e of events) {
      const what = clientMessage(protocol, e);
      if (what === undefined) continue;
      // Evidence is made only for a connection that turns out one-sided, not for every connection.
      st.clientSent = { protocol, what, packet: this.packetIndex, time: this.packetTime };
      return;
    }
  }

  /**
   * The client took part in the conversation's protocol once the server answered in it, whoever spoke
   * first (Telnet and FTP servers do): not what a client's probe or the port merely suggested.
   */
  private clientTookPart(conn: TcpConnection, st: ConnState): void {
    const p = conversationProtocol(st);
    if (p && p !== 'ftp-data' && isHostAddress(conn.clientIp)) this.hosts.ip(conn.clientIp).protocols.add(p);
  }

  /** Hands the connection to the dissector of the protocol its server opened in (`serverOpening`). */
  private serverAnswersOtherwise(
    conn: TcpConnection,
    st: ConnState,
    protocol: Protocol,
    bytes: Uint8Array,
    packetIndex: number,
    time: number,
  ): void {
    st.protocol = protocol;
    st.dissector = newDissector(protocol);
    st.answered = true;
    this.clientTookPart(conn, st);
    // What the client's probe left waiting for an answer is no longer in question.
    st.pendingAdmin = undefined;
    st.pendingPatientApi = undefined;
    st.pendingPatientBody = undefined;
    st.pendingBasic = false;
    st.pendingDefault = undefined;
    st.mqttLogin = false;
    for (const e of st.dissector.feed('server', bytes, packetIndex, time))
      this.onEvent(conn, st, e as AnyEvent);
  }

  onClose(conn: TcpConnection): void {
    const st = conn.userData as ConnState | undefined;
    const end = (st?.dissector as { end?: () => unknown[] } | undefined)?.end;
    if (st && end) for (const e of end.call(st.dissector)) this.onEvent(conn, st, e as AnyEvent);
    // A default login the server never refused (Telnet has no success message) counts as in use.
    if (st?.pendingDefault) this.loginOutcome(conn, st, 'not refused');
    if (conn.resetBy === 'server')
      this.receivingOnly.refusedBy(conn.serverIp, conn.serverPort, () =>
        this.refusal(
          conn,
          conn.lastPacketIndex,
          conn.lastTime,
          `the server reset the connection: ${conn.serverPort}/tcp refused`,
        ),
      );
    // Only the client's half was captured: what it sent names the conversation (receiving-only.ts).
    const sent = st?.clientSent !== undefined && isClientHalfOnly(conn) ? st.clientSent : undefined;
    if (st && sent) {
      this.receivedOnly(conn, sent.protocol, this.connEvidence(st, sent.packet, sent.time, sent.what));
      if (st.dissector instanceof TelnetStreamDissector) this.unpromptedTelnetLogin(conn, st, st.dissector);
    }
    this.flows.tcp(
      conn,
      st === undefined ? null : (sent?.protocol ?? conversationProtocol(st)),
      sent !== undefined,
    );
    // The tracker keeps a closed connection a while longer (its last ACKs), and the conversation
    // summaries until those are counted, but delivers nothing more: the dissector and its buffers can go
    // now rather than after thousands more connections (they were most of what the collector had to move).
    conn.userData = undefined;
  }

  /**
   * A Telnet session of which only the client's side was captured: no prompt to say which line is which,
   * but a login comes first, so two lines typed in cleartext are a name and a password.
   */
  private unpromptedTelnetLogin(conn: TcpConnection, st: ConnState, telnet: TelnetStreamDissector): void {
    if (telnet.unpromptedLines < 2) return;
    const port = conn.serverPort;
    this.finding(
      'cleartext-credentials',
      conn.serverIp,
      `telnet:${port}`,
      this.connEvidence(
        st,
        conn.lastPacketIndex,
        conn.lastTime,
        `Telnet session typed in cleartext, ${telnet.unpromptedLines} lines: the first are the login (${RECEIVING_ONLY_NOTE}, so no prompt was seen)`,
      ),
      { protocol: 'telnet', port, loginPromptSeen: false },
    );
  }

  /** A client's message its server was only seen receiving: the client speaks it, the server may listen. */
  private receivedOnly(conn: TcpConnection, protocol: ReceivingOnlyProtocol, evidence: Evidence): void {
    if (isHostAddress(conn.clientIp)) this.hosts.ip(conn.clientIp).protocols.add(protocol);
    if (
      !isHostAddress(conn.serverIp) ||
      (this.ftpData.size && this.ftpData.has(`${conn.serverIp}|${conn.serverPort}`))
    )
      return;
    const called = protocol === 'dicom' ? this.associationOf.get(conn)?.calledAeTitle : undefined;
    this.receivingOnly.received(
      conn,
      protocol,
      evidence,
      called && !isProbeAeTitle(called) ? called : undefined,
    );
  }

  private connEvidence(st: ConnState, packet: number, time: number, summary: string): Evidence {
    return {
      source: this.evidenceSource,
      file: this.file,
      connection: st.evidenceBase,
      packet,
      time: iso(time),
      summary,
    };
  }

  private onEvent(conn: TcpConnection, st: ConnState, e: AnyEvent): void {
    const ev = (summary: string) => this.connEvidence(st, this.packetIndex, this.packetTime, summary);
    const server = this.hosts.ip(conn.serverIp);
    const client = isHostAddress(conn.clientIp) ? this.hosts.ip(conn.clientIp) : undefined;
    const port = conn.serverPort;
    switch (st.protocol) {
      case 'dicom':
        this.dicomEvent(conn, e as DicomEvent, server, client, ev);
        return;
      case 'hl7':
        this.hl7Event(conn, e as Hl7Event, server, client, ev);
        return;
      case 'http': {
        const h = e as HttpEvent;
        if (h.type === 'request') {
          if (h.request.userAgent && client)
            client.addHint('http.userAgent', h.request.userAgent, ev('HTTP request'));
          if (h.request.basicAuth) {
            this.finding(
              'cleartext-credentials',
              conn.serverIp,
              `http-basic:${port}`,
              ev('HTTP Basic authorization sent in cleartext'),
              { protocol: 'http', port, username: h.request.basicAuth.username },
            );
            const match = h.request.basicAuth.defaultCredential;
            if (match)
              st.pendingDefault = { id: match, protocol: 'http-basic', evidence: ev('HTTP Basic login') };
          }
          st.pendingBasic = h.request.basicAuth?.passwordSent === true;
          st.pendingAdmin = h.request.adminHint
            ? { hint: h.request.adminHint, path: h.request.target.slice(0, 100) }
            : undefined;
          st.pendingPatientApi = PATIENT_API.test(h.request.target)
            ? h.request.target.slice(0, 100)
            : undefined;
        } else if (h.type === 'response') {
          // `Server: SimpleHTTP/0.6 Python/3.11.2` names SimpleHTTP 0.6; the whole value is the hint below.
          const software = h.response.server === undefined ? null : serverProduct(h.response.server);
          server.service(
            port,
            'tcp',
            {
              protocol: 'http',
              encrypted: false,
              product: software?.name ?? null,
              version: software?.version ?? null,
            },
            ev('HTTP response'),
          );
          if (st.pendingBasic) {
            st.pendingBasic = false;
            const refused = h.response.status === 401 || h.response.status === 403;
            if (h.response.status === 401)
              this.failedLogin(conn, 'http-basic', ev('HTTP 401 after Basic credentials'));
            this.loginOutcome(conn, st, refused ? 'refused' : 'accepted');
          }
          // An admin path counts when the device answers it (or asks for a login), not when a scanner asks.
          const admin = st.pendingAdmin;
          st.pendingAdmin = undefined;
          if (admin && (h.response.status < 400 || h.response.status === 401 || h.response.status === 403)) {
            this.finding(
              'insecure-protocol',
              conn.serverIp,
              `http-admin:${port}`,
              ev(`cleartext HTTP ${admin.hint} interface answered ${h.response.status}`),
              { protocol: 'http', port, path: admin.path, status: h.response.status },
            );
          }
          // A PACS REST or DICOMweb query answered in cleartext returns patient demographics by design,
          // in the body: the finding waits for it (a HEAD or empty answer carried no patient data).
          const patientApi = st.pendingPatientApi;
          st.pendingPatientApi = undefined;
          st.pendingPatientBody =
            patientApi && h.response.status === 200 && /json|dicom|xml/i.test(h.response.contentType ?? '')
              ? { path: patientApi, status: h.response.status, contentType: h.response.contentType! }
              : undefined;
          if (h.response.server) server.addHint('http.server', h.response.server, ev('HTTP Server header'));
        } else if (h.type === 'response-body') {
          const answer = st.pendingPatientBody;
          st.pendingPatientBody = undefined;
          if (answer)
            this.finding(
              'cleartext-phi',
              conn.serverIp,
              `http:${port}`,
              ev(
                `HTTP ${answer.status} ${answer.contentType} body for ${answer.path} (patient query API) in cleartext`,
              ),
              { protocol: 'http', port, path: answer.path },
            );
        } else if (h.type === 'simple-response') {
          server.service(
            port,
            'tcp',
            { protocol: 'http', encrypted: false },
            ev('HTTP answer without a status line (HTTP/0.9 style): an HTML page'),
          );
          // Without a status there is no telling a refusal, an error page or the page asked for: what the
          // request left waiting makes no finding.
          st.pendingAdmin = undefined;
          st.pendingPatientApi = undefined;
          st.pendingPatientBody = undefined;
          st.pendingBasic = false;
        }
        return;
      }
      case 'tls':
        this.tlsEvent(conn, e as TlsEvent, server, ev);
        return;
      case 'ssh': {
        const s = e as SshEvent;
        if (s.type !== 'banner') return;
        const who = s.direction === 'server' ? server : client;
        who?.addHint('ssh.banner', s.banner.line, ev('SSH identification'));
        if (s.direction === 'server') {
          server.service(
            port,
            'tcp',
            {
              protocol: 'ssh',
              encrypted: true,
              product: s.banner.product ?? s.banner.softwareVersion,
              version: s.banner.productVersion ?? null,
            },
            ev('SSH banner'),
          );
          // `SSH-1.99-` (or `SSH-1.x-`): the server still speaks SSH protocol 1 (RFC 4253 §5.1), broken
          // by design (CRC-32 integrity, session hijacking); a client's 1.99 says nothing of the server.
          if (s.banner.protoVersion.startsWith('1.'))
            this.finding(
              'insecure-protocol',
              conn.serverIp,
              `ssh-v1:${port}`,
              ev(`SSH server announces protocol ${s.banner.protoVersion}: SSH-1 accepted`),
              { protocol: 'ssh', port, protoVersion: s.banner.protoVersion },
            );
        }
        return;
      }
      case 'telnet': {
        const t = e as TelnetEvent;
        // Option negotiation alone is a Telnet server answering (nmap -sV's probe gets no further).
        if (
          t.type === 'banner' ||
          t.type === 'login-prompt' ||
          t.type === 'password-prompt' ||
          t.type === 'negotiation'
        )
          this.cleartextService(conn, server, 'telnet', ev);
        if (t.type === 'banner') server.addHint('telnet.banner', t.text.slice(0, 200), ev('Telnet banner'));
        if (t.type === 'credentials') {
          this.finding(
            'cleartext-credentials',
            conn.serverIp,
            `telnet:${port}`,
            ev('Telnet login sent in cleartext'),
            { protocol: 'telnet', port, ...(t.username ? { username: t.username } : {}) },
          );
          if (t.defaultCredential)
            st.pendingDefault = { id: t.defaultCredential, protocol: 'telnet', evidence: ev('Telnet login') };
        }
        if (t.type === 'login-failed') {
          this.failedLogin(conn, 'telnet', ev('Telnet login refused'));
          this.loginOutcome(conn, st, 'refused');
        }
        return;
      }
      case 'ftp': {
        const f = e as FtpEvent;
        if (f.type === 'banner') {
          this.cleartextService(conn, server, 'ftp', ev);
          server.addHint('ftp.banner', f.text.slice(0, 200), ev('FTP banner'));
          server.service(
            port,
            'tcp',
            { protocol: 'ftp', encrypted: false, product: f.product ?? null, version: f.version ?? null },
            ev('FTP banner'),
          );
        }
        if (f.type === 'credentials') {
          this.finding(
            'cleartext-credentials',
            conn.serverIp,
            `ftp:${port}`,
            ev(`FTP ${f.anonymous ? 'anonymous ' : ''}login sent in cleartext`),
            {
              protocol: 'ftp',
              port,
              anonymous: f.anonymous,
              ...(f.username ? { username: f.username } : {}),
            },
          );
          if (f.defaultCredential)
            st.pendingDefault = { id: f.defaultCredential, protocol: 'ftp', evidence: ev('FTP login') };
        }
        if (f.type === 'login') {
          if (!f.success) this.failedLogin(conn, 'ftp', ev('FTP login refused (530)'));
          this.loginOutcome(conn, st, f.success ? 'accepted' : 'refused');
        }
        if (f.type === 'data-channel')
          this.expectFtpData(
            conn,
            st,
            f.ip ?? (f.mode === 'passive' ? conn.serverIp : conn.clientIp),
            f.port,
            f.command,
          );
        return;
      }
      case 'mqtt':
        this.mqttEvent(conn, st, e as MqttEvent, server, client, ev);
        return;
      case 'ftp-data':
        this.ftpDataEvent(conn, st, e as FtpDataEvent, ev);
        return;
      case 'smb': {
        const s = e as SmbEvent;
        if (s.type === 'negotiate-response')
          negotiatedSmb(this.hosts, server, {
            ip: conn.serverIp,
            port,
            dialect: s.dialect,
            smb1: s.smb1InUse,
            ev,
          });
        if (s.type === 'session-setup' && s.nativeOs)
          (s.direction === 'server' ? server : client)?.addHint(
            'smb.os',
            s.nativeOs,
            ev('SMB session setup'),
          );
        return;
      }
      default:
        return;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // MQTT, FTP data connections, failed logins, default credentials

  private mqttEvent(
    conn: TcpConnection,
    st: ConnState,
    e: MqttEvent,
    server: HostBuilder,
    client: HostBuilder | undefined,
    ev: (s: string) => Evidence,
  ): void {
    const port = conn.serverPort;
    if (e.type === 'connect') {
      client?.addHint('mqtt.clientId', e.clientId, ev('MQTT CONNECT client identifier'));
      st.mqttLogin = e.usernameFlag || e.passwordFlag;
      if (e.passwordFlag) {
        this.finding(
          'cleartext-credentials',
          conn.serverIp,
          `mqtt:${port}`,
          ev(`MQTT ${e.version ?? e.protocolLevel} CONNECT with user name and password in cleartext`),
          { protocol: 'mqtt', port, usernameSent: e.usernameFlag, passwordSent: true },
        );
      }
      if (e.defaultCredential)
        st.pendingDefault = { id: e.defaultCredential, protocol: 'mqtt', evidence: ev('MQTT CONNECT') };
    } else if (e.type === 'connack') {
      this.cleartextService(conn, server, 'mqtt', ev);
      if (!e.accepted && st.mqttLogin && isMqttLoginRefused(e.code))
        this.failedLogin(conn, 'mqtt', ev(`MQTT CONNACK ${e.code} (${e.reason})`));
      if (st.pendingDefault) this.loginOutcome(conn, st, e.accepted ? 'accepted' : 'refused');
    } else if (e.type === 'broker-version') {
      // The broker's own $SYS/broker/version: product and version (strict form only) for vulnerability matching
      const evidence = ev('MQTT $SYS/broker/version');
      server.addHint('mqtt.brokerVersion', e.text, evidence);
      if (e.product && e.version)
        server.service(
          port,
          'tcp',
          { protocol: 'mqtt', encrypted: false, product: e.product, version: e.version },
          evidence,
        );
    } else if (e.type === 'publish' && e.patientData) {
      const senderIp = e.direction === 'client' ? conn.clientIp : conn.serverIp;
      this.phiFinding(
        senderIp,
        `mqtt:${port}`,
        e.patientData,
        ev,
        `MQTT PUBLISH to ${e.topic.slice(0, 100)}`,
        {
          protocol: 'mqtt',
          port,
          topic: e.topic.slice(0, 200),
        },
      );
    }
  }

  private ftpDataEvent(
    conn: TcpConnection,
    st: ConnState,
    e: FtpDataEvent,
    ev: (s: string) => Evidence,
  ): void {
    const ctl = st.ftpData;
    if (!ctl || e.type !== 'patient-data') return;
    const senderIp = e.direction === 'client' ? conn.clientIp : conn.serverIp;
    const data = tcpConnectionText(conn);
    const evidence = { ...ev(''), connection: ctl.control };
    // The file is checked when the connection closes: name the packet that carried the identifier.
    if (e.packet !== undefined && e.time !== undefined) {
      evidence.packet = e.packet;
      evidence.time = iso(e.time);
    }
    this.phiFinding(
      senderIp,
      `ftp-data:${e.patientData.kind}`,
      e.patientData,
      (summary) => ({ ...evidence, summary }),
      `FTP data connection ${data} (after ${ctl.command})`,
      { protocol: 'ftp-data', port: ctl.ftpPort, dataConnection: data, controlConnection: ctl.control },
    );
  }

  /** `cleartext-phi` for patient data inside an opaque payload: segments, fields or tags, never values. */
  private phiFinding(
    ip: string,
    subject: string,
    phi: PayloadPhi,
    ev: (s: string) => Evidence,
    where: string,
    details: FindingObservation['details'],
  ): void {
    this.hosts.finding(payloadPhiFinding(ip, subject, phi, ev, where, details));
  }

  /** Remembers where an announced FTP data connection will go, so its bytes can be checked. */
  private expectFtpData(conn: TcpConnection, st: ConnState, ip: string, port: number, command: string): void {
    if (this.ftpData.size >= 10_000) this.ftpData.delete(this.ftpData.keys().next().value!);
    const expected = {
      control: st.evidenceBase,
      ftpServerIp: conn.serverIp,
      ftpPort: conn.serverPort,
      command,
    };
    this.ftpData.set(`${ip}|${port}`, expected);
    // Behind NAT a PASV reply names an address the client never uses; the control server's is the same host.
    if (command === 'PASV' && ip !== conn.serverIp) this.ftpData.set(`${conn.serverIp}|${port}`, expected);
  }

  private takeFtpData(conn: TcpConnection): FtpDataExpected | undefined {
    const key = `${conn.serverIp}|${conn.serverPort}`;
    const expected = this.ftpData.get(key);
    if (expected) this.ftpData.delete(key);
    return expected;
  }

  /** One refused login from this connection's client to its server. */
  private failedLogin(conn: TcpConnection, protocol: string, evidence: Evidence): void {
    this.failedLogins.refused(protocol, conn.clientIp, conn.serverIp, conn.serverPort, evidence);
  }

  /** The server's answer to a login that used default credentials: refused ones are dropped. */
  private loginOutcome(
    conn: TcpConnection,
    st: ConnState,
    outcome: 'accepted' | 'refused' | 'not refused',
  ): void {
    const pending = st.pendingDefault;
    st.pendingDefault = undefined;
    if (!pending || outcome === 'refused') return;
    const f = defaultCredentialFinding(pending.id, {
      protocol: pending.protocol,
      ip: conn.serverIp,
      port: conn.serverPort,
      evidence: pending.evidence,
      outcome,
    });
    if (f) this.hosts.finding(f);
  }

  /** Telnet, FTP and MQTT answered: a cleartext service, which is a finding by itself. */
  private cleartextService(
    conn: TcpConnection,
    server: HostBuilder,
    protocol: 'telnet' | 'ftp' | 'mqtt',
    ev: (s: string) => Evidence,
  ): void {
    const port = conn.serverPort;
    server.service(
      port,
      'tcp',
      { protocol, encrypted: false },
      ev(`${protocol.toUpperCase()} server answered`),
    );
    this.finding(
      'insecure-protocol',
      conn.serverIp,
      `${protocol}:${port}`,
      ev(`${protocol.toUpperCase()} in use (cleartext)`),
      { protocol, port },
    );
  }

  private dicomEvent(
    conn: TcpConnection,
    e: DicomEvent,
    server: HostBuilder,
    client: HostBuilder | undefined,
    ev: (s: string) => Evidence,
  ): void {
    const hostOf = (side: 'requestor' | 'acceptor') => (side === 'requestor' ? client : server);
    const port = conn.serverPort;
    switch (e.type) {
      case 'association-requested': {
        const a: DicomAssociationObservation = {
          client: conn.clientIp,
          server: conn.serverIp,
          port,
          callingAeTitle: e.callingAeTitle,
          calledAeTitle: e.calledAeTitle,
          outcome: 'unanswered',
          evidence: ev('A-ASSOCIATE-RQ'),
        };
        this.dicomAssociations.push(a);
        this.associationOf.set(conn, a);
        if (!client) return;
        const d = client.dicomProfile();
        // A tool's default title (echoscu's ECHOSCU) names the tool, not the host.
        if (isProbeAeTitle(e.callingAeTitle))
          client.addHint(
            'dicom.probeAeTitle',
            e.callingAeTitle.trim(),
            ev('A-ASSOCIATE-RQ calling AE title'),
          );
        else HostBuilder.addTo(d.aeTitles, e.callingAeTitle);
        d.implementationClassUid ??= e.implementationClassUid ?? null;
        d.implementationVersionName ??= e.implementationVersionName ?? null;
        return;
      }
      case 'association-rejected': {
        const a = this.associationOf.get(conn);
        if (a) a.outcome = 'rejected';
        server.service(port, 'tcp', { protocol: 'dicom', encrypted: false }, ev('A-ASSOCIATE-RJ'));
        return;
      }
      case 'association-aborted': {
        // A server that aborts in the DICOM upper layer speaks it on this port, whatever the client sent
        // (storescp aborts nmap's RDP probe). Inside an association the AC recorded the port already, and
        // `service()` only fills in what is unknown. A client's abort says nothing about the server.
        if (e.direction !== 'server') return;
        server.service(
          port,
          'tcp',
          { protocol: 'dicom', encrypted: false },
          ev(`A-ABORT from the server (source ${e.sourceName}, reason ${e.reasonName})`),
        );
        return;
      }
      case 'association-accepted': {
        const a = this.associationOf.get(conn);
        if (a) a.outcome = 'accepted';
        server.service(port, 'tcp', { protocol: 'dicom', encrypted: false }, ev('A-ASSOCIATE-AC'));
        const d = server.dicomProfile();
        // The title the requestor asked for; the AC only echoes it (PS3.8 §9.3.3, not to be tested).
        const called = a?.calledAeTitle ?? e.calledAeTitle;
        if (isProbeAeTitle(called)) {
          // Accepted under a tool's default title: the SCP does not check who it is called, and the
          // title is not its own.
          server.addHint('dicom.probeAeTitle', called.trim(), ev('A-ASSOCIATE-AC to a probe AE title'));
          this.hosts.finding({
            ...dicomAnyAeTitleFinding({
              port,
              evidence: ev(
                `A-ASSOCIATE-AC to called AE title "${called.trim()}", a tool's default: the SCP accepts an association whatever called AE title it is given`,
              ),
              detection: 'association',
              calledAeTitle: called,
            }),
            host: { ip: conn.serverIp },
          });
        } else {
          const f = this.calledTitles.accepted({
            server: conn.serverIp,
            port,
            client: conn.clientIp,
            calledAeTitle: called,
            evidence: ev(`A-ASSOCIATE-AC to called AE title "${called.trim()}"`),
          });
          if (f) this.hosts.finding({ ...f, host: { ip: conn.serverIp } });
        }
        d.implementationClassUid ??= e.implementationClassUid ?? null;
        d.implementationVersionName ??= e.implementationVersionName ?? null;
        if (e.implementationVersionName) {
          server.service(
            port,
            'tcp',
            { protocol: 'dicom', encrypted: false, product: e.implementationVersionName },
            ev('A-ASSOCIATE-AC'),
          );
        }
        for (const hint of (
          e as { roleHints?: { side: 'requestor' | 'acceptor'; role: string; confidence: string }[] }
        ).roleHints ?? []) {
          if (hint.confidence === 'low') continue;
          const h = hostOf(hint.side);
          if (h) HostBuilder.addTo(h.dicomProfile().roles, hint.role);
        }
        return;
      }
      case 'command': {
        const uid = e.affectedSopClassUid ?? e.requestedSopClassUid;
        if (uid && !e.isResponse) {
          if (client) HostBuilder.addTo(client.dicomProfile().sopClasses, uid);
          HostBuilder.addTo(server.dicomProfile().sopClasses, uid);
        }
        if (e.impliedRole && e.impliedRole.confidence !== 'low') {
          const h = hostOf(e.sender);
          if (h) HostBuilder.addTo(h.dicomProfile().roles, e.impliedRole.role);
        }
        return;
      }
      case 'dataset': {
        // Only a C-STORE request describes the sender's own equipment; a C-FIND match describes a record.
        if (e.commandName !== 'C-STORE-RQ' || e.sender !== 'requestor' || !client) return;
        // The data set is scanned once complete, many packets later: each hint names the packet that
        // carried its attribute's tag.
        const evd = (summary: string, ...fields: (keyof DicomAttributePackets)[]) => {
          const evidence = ev(`C-STORE data set ${summary}`);
          const at = fields.map((f) => e.attributePackets?.[f]).find((p) => p !== undefined);
          if (at !== undefined) {
            evidence.packet = at.packet;
            evidence.time = iso(at.time);
          }
          return evidence;
        };
        if (e.manufacturer)
          client.addHint(
            'dicom.manufacturer',
            e.manufacturer,
            evd('Manufacturer (0008,0070)', 'manufacturer'),
          );
        if (e.modelName)
          client.addHint(
            'dicom.model',
            e.modelName,
            evd("Manufacturer's Model Name (0008,1090)", 'modelName'),
          );
        // A template's equipment ("Manufacturer name here") comes with a template's version: it is no
        // device's, and would become the host's software version and feed vulnerability matching.
        const template =
          (e.manufacturer !== undefined && isPlaceholderValue(e.manufacturer)) ||
          (e.modelName !== undefined && isPlaceholderValue(e.modelName));
        if (!template)
          for (const v of e.softwareVersions ?? [])
            client.addHint(
              'dicom.softwareVersion',
              v,
              evd('Software Versions (0018,1020)', 'softwareVersions'),
            );
        if (e.modality) client.addHint('dicom.modality', e.modality, evd('Modality (0008,0060)', 'modality'));
        // Which equipment made this object, as one value: a sender whose objects name different
        // equipment forwards them, and their attributes are not its own (dicom-equipment.ts).
        const equipment = equipmentHintValue({
          manufacturer: e.manufacturer,
          model: e.modelName,
          serialNumber: e.deviceSerialNumber,
          station: e.stationName,
        });
        // Several attributes make one value: the packet of the one it starts with (its first part).
        if (equipment)
          client.addHint(
            'dicom.equipment',
            equipment,
            evd('equipment attributes', 'manufacturer', 'modelName', 'deviceSerialNumber', 'stationName'),
          );
        return;
      }
      case 'patient-data-present': {
        const senderIp = e.sender === 'requestor' ? conn.clientIp : conn.serverIp;
        const tags = e.tags.map((t) => `${t.tag} ${t.keyword}`);
        const evidence = ev(
          `DICOM ${e.commandName ?? 'message'} with ${e.tags.map((t) => t.keyword).join(', ')} in cleartext`,
        );
        // The message is scanned once it is complete, many packets later: name the one carrying the tag.
        if (e.packet !== undefined && e.time !== undefined) {
          evidence.packet = e.packet;
          evidence.time = iso(e.time);
        }
        this.finding('cleartext-phi', senderIp, `dicom:${port}`, evidence, {
          protocol: 'dicom',
          port,
          tags,
        });
        return;
      }
      default:
        return;
    }
  }

  private hl7Event(
    conn: TcpConnection,
    e: Hl7Event,
    server: HostBuilder,
    client: HostBuilder | undefined,
    ev: (s: string) => Evidence,
  ): void {
    if (e.type !== 'message') return;
    const s = e.summary;
    const senderIsClient = e.direction === 'client';
    const sender = senderIsClient ? client : server;
    const receiver = senderIsClient ? server : client;
    const type = s.messageType ? `${s.messageType}${s.triggerEvent ? `^${s.triggerEvent}` : ''}` : undefined;
    const app = (d?: { namespaceId?: string; universalId?: string }) => d?.namespaceId || d?.universalId;
    if (sender) {
      const p = sender.hl7Profile();
      HostBuilder.addTo(p.sendingApplications, app(s.sendingApplication));
      HostBuilder.addTo(p.sendingFacilities, app(s.sendingFacility));
      HostBuilder.addTo(p.messageTypes, type);
      HostBuilder.addTo(p.versions, s.version);
      for (const profile of s.messageProfiles ?? [])
        sender.addHint('hl7.messageProfile', profile, ev('HL7 MSH-21'));
    }
    if (receiver && s.messageType !== 'ACK') {
      const p = receiver.hl7Profile();
      HostBuilder.addTo(p.receivingApplications, app(s.receivingApplication));
      HostBuilder.addTo(p.receivingFacilities, app(s.receivingFacility));
    }
    if (!senderIsClient)
      server.service(
        conn.serverPort,
        'tcp',
        { protocol: 'hl7', encrypted: false },
        ev('HL7 answer over MLLP'),
      );
    if (s.hasPatientData) {
      const senderIp = senderIsClient ? conn.clientIp : conn.serverIp;
      const segments = [...new Set(s.patientData.map((p) => p.segment))];
      this.finding(
        'cleartext-phi',
        senderIp,
        `hl7:${conn.serverPort}`,
        ev(`HL7 ${type ?? 'message'} with ${segments.join(', ')} in cleartext`),
        {
          protocol: 'hl7',
          port: conn.serverPort,
          segments,
          fields: [...new Set(s.patientData.flatMap((p) => p.fields))],
        },
      );
    }
  }

  /** `weak-tls` `tls-cipher:PORT` for the suite in use when it is weak in itself (not by its version). */
  private weakCipher(
    conn: TcpConnection,
    suite: string,
    weaknesses: readonly TlsWeakness[],
    ev: (s: string) => Evidence,
    how: string,
  ): void {
    const cipherWeak = weaknesses.filter((w) => !VERSION_WEAKNESSES.has(w));
    if (!cipherWeak.length) return;
    const port = conn.serverPort;
    this.finding('weak-tls', conn.serverIp, `tls-cipher:${port}`, ev(`weak cipher suite ${suite}${how}`), {
      protocol: 'tls',
      port,
      cipherSuite: suite,
      weaknesses: cipherWeak,
    });
  }

  private tlsEvent(conn: TcpConnection, e: TlsEvent, server: HostBuilder, ev: (s: string) => Evidence): void {
    const port = conn.serverPort;
    if (e.type === 'server-hello') {
      const h = e.hello;
      server.service(
        port,
        'tcp',
        { protocol: 'tls', encrypted: true, version: h.version },
        ev(`TLS ServerHello ${h.version}`),
      );
      const old = TLS_VERSION_SUBJECT[h.version];
      if (old) {
        // SSL 2.0's SERVER-HELLO only offers cipher kinds: the client's CLIENT-MASTER-KEY picks one
        const suite = h.cipherSuite?.name;
        const offered = h.ssl2CipherKinds?.map((k) => cipherSuite(k).name);
        this.finding(
          'weak-tls',
          conn.serverIp,
          `tls:${port}:${old}`,
          ev(`${h.version} negotiated${suite ? ` (${suite})` : ''}`),
          {
            protocol: 'tls',
            port,
            version: h.version,
            ...(suite ? { cipherSuite: suite } : {}),
            ...(offered ? { offeredCipherSuites: offered } : {}),
          },
        );
      }
      if (h.cipherSuite) this.weakCipher(conn, h.cipherSuite.name, h.weaknesses, ev, '');
    } else if (e.type === 'client-master-key') {
      const k = e.masterKey;
      this.weakCipher(conn, k.cipherSuite.name, k.weaknesses, ev, ' (SSL 2.0 CLIENT-MASTER-KEY)');
    } else if (e.type === 'client-hello') {
      if (e.hello.sni && isHostAddress(conn.serverIp))
        server.addHint('tls.sni', e.hello.sni, ev('TLS ClientHello SNI'));
    } else if (e.type === 'certificates' && e.direction === 'server') {
      const leaf = e.chain[0];
      if (!leaf) return;
      server.addHint('tls.certSubject', leaf.subject.dn, ev('TLS certificate'));
      server.addHint('tls.certIssuer', leaf.issuer.dn, ev('TLS certificate'));
      const problems = certificateProblems(leaf, this.packetTime * 1000);
      if (problems.length) {
        this.finding(
          'certificate-problem',
          conn.serverIp,
          `cert:${port}`,
          ev(`certificate ${leaf.subject.commonName ?? leaf.subject.dn}: ${problems.join(', ')}`),
          {
            protocol: 'tls',
            port,
            problems,
            expired: problems.includes('expired'),
            signatureAlgorithm: leaf.signatureAlgorithm,
            keyType: leaf.publicKey.type,
            ...(leaf.publicKey.bits ? { keyBits: leaf.publicKey.bits } : {}),
          },
        );
      }
    }
  }
}

type AnyEvent =
  | DicomEvent
  | Hl7Event
  | HttpEvent
  | TlsEvent
  | SshEvent
  | TelnetEvent
  | FtpEvent
  | SmbEvent
  | MqttEvent
  | FtpDataEvent;

function tcpConnectionText(conn: TcpConnection): string {
  return connectionText(conn.clientIp, conn.clientPort, conn.serverIp, conn.serverPort, 'tcp');
}

/** A unicast address a device could have (not unspecified, loopback, broadcast or multicast). */
export function isHostAddress(ip: string): boolean {
  // Called for both ends of every connection and flow: read the first octet in place, no substring.
  let first = 0;
  let i = 0;
  for (; i < ip.length && i < 4; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) break; // '.'
    if (c < 48 || c > 57) return isHostAddress6(ip);
    first = first * 10 + c - 48;
  }
  if (i === 0 || i === ip.length || i === 4) return isHostAddress6(ip);
  if (ip === '0.0.0.0') return false;
  // x.x.x.255 (a subnet broadcast, as far as a /24 goes) is not a host either.
  const n = ip.length;
  const lastOctet255 =
    n > 4 &&
    ip.charCodeAt(n - 4) === 46 &&
    ip.charCodeAt(n - 3) === 50 &&
    ip.charCodeAt(n - 2) === 53 &&
    ip.charCodeAt(n - 1) === 53;
  return first !== 127 && first < 224 && !lastOctet255;
}

/** The rest of `isHostAddress`: IPv6 (not unspecified, loopback or multicast) and anything else (no). */
function isHostAddress6(ip: string): boolean {
  if (!ip.includes(':')) return false;
  if (ip === '::' || ip === '::1') return false;
  return !/^ff/i.test(ip);
}

/**
 * Reads a capture file (`-` for standard input, or any stream of its bytes) to the end and returns what it showed. Bad records are
 * skipped and reported in `issues`; a file that is not a capture at all is an error naming it.
 */
export async function analyzeCapture(
  source: string | AsyncIterable<Uint8Array>,
  opts: AnalyzeOptions,
): Promise<CaptureAnalysis> {
  const started = performance.now();
  const capture =
    typeof source !== 'string'
      ? readCapture(source, { file: opts.file })
      : source === '-'
        ? readCapture(process.stdin, { file: opts.file })
        : openCapture(source, { file: opts.file });
  const analyzer = new CaptureAnalyzer(opts.file);
  let sinceProgress = 0;
  const stats = await capture.forEach((p) => {
    analyzer.packet(p);
    if (opts.onProgress && ++sinceProgress >= 2048) {
      sinceProgress = 0;
      opts.onProgress({
        bytes: capture.stats.sourceBytes,
        packets: capture.stats.packets,
        hosts: analyzer.hosts.size,
      });
    }
  });
  const issues: InputIssue[] = stats.issues.map((i) => ({
    file: opts.file,
    offset: i.offset,
    reason: i.reason,
  }));
  if (!capture.format) {
    throw invalidInput(
      `${opts.file} is not a pcap or pcapng capture (gzip-compressed or not)`,
      issues.length ? issues : [{ file: opts.file, offset: 0, reason: 'unknown file format' }],
    );
  }
  const result = analyzer.finish();
  opts.onProgress?.({ bytes: stats.sourceBytes, packets: stats.packets, hosts: analyzer.hosts.size });
  const ts = analyzer.tracker.stats;
  return {
    ...result,
    issues,
    stats: {
      format: capture.format ?? null,
      compressed: capture.compressed,
      packets: stats.packets,
      bytes: stats.sourceBytes,
      seconds: (performance.now() - started) / 1000,
      skippedRecords: stats.skippedRecords,
      decode: { ...(analyzer.decoder.stats as unknown as Record<string, number>) },
      tcp: { connections: ts.connections, gaps: ts.gaps, portsOpen: ts.portsOpen },
      flows: analyzer.flows.stats,
    },
  };
}
