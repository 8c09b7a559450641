/**
 * @module Passive discovery from Zeek logs: conn, dhcp, dns, http, ssl, x509, software, notice, ftp, ssh and
 * snmp records
 * → hosts, services, fingerprint hints, findings and flows, in the same shapes and by the same rules as the
 * capture analyzer (same hint kinds, finding subjects and minimisation), so a hospital that already runs
 * Zeek feeds Vigil's inventory exactly as a capture would. Evidence names the log file and line
 * (`Evidence.source = 'log'`, `packet` = line number).
 *
 * What each log says:
 * - conn: a responder that answered the handshake (history `h`, or conn_state SF/S1/S2/S3/RSTO/RSTR when
 *   there is no history) offers a service at resp_h:resp_p; Zeek's `service` names the protocol; every
 *   connection is folded into a `FlowSummary`.
 * - dhcp: MAC, assigned address, host name, client FQDN, vendor class (`client_software`).
 * - dns: names of addresses (A/AAAA answers to the name queried, PTR answers for the address).
 * - http: User-Agent of clients, cleartext HTTP service, Basic credentials (that they were sent, never
 *   who), admin and patient-query paths answered in cleartext.
 * - ssl + x509: TLS service, version and cipher → weak-tls, SNI, certificate subject/issuer and problems.
 * - software: Server and User-Agent strings, SSH products, other software as `zeek.software` hints.
 * - notice: each notice name kept as a `zeek.notice` hint on the host it concerns.
 * - ftp: cleartext FTP service (insecure-protocol), and that a login was sent in cleartext (anonymous ones
 *   too, as captures judge them), never who or with what password.
 * - ssh: SSH service with the server banner's product and version, both banners as `ssh.banner` hints.
 * - snmp: SNMP service of the agent; a v1/v2c community in use is cleartext-credentials and
 *   insecure-protocol (never the community itself).
 */

import { open, readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { reverseAddress } from '../dissect/dns.js';
import { adminHint } from '../dissect/http.js';
import { serverProduct } from '../dissect/product-tokens.js';
import { parseSshBanner } from '../dissect/ssh.js';
import { VERSION_WEAKNESSES } from '../dissect/tls.js';
import { CIPHER_SUITE_NAMES } from '../dissect/tls-cipher-registry.js';
import { cipherSuite } from '../dissect/tls-ciphers.js';
import { type CertificateProblem, certificateProblems, type PublicKeyType } from '../dissect/x509.js';
import type { InputIssue } from '../errors.js';
import { looksLikeEve } from '../formats/suricata/eve-reader.js';
import type { NotUtf8 } from '../formats/utf8.js';
import { looksLikeZeekLog, ZeekLogReader } from '../formats/zeek/zeek-log-reader.js';
import type {
  ZeekConn,
  ZeekDhcp,
  ZeekDns,
  ZeekFtp,
  ZeekHttp,
  ZeekNotice,
  ZeekRecord,
  ZeekSnmp,
  ZeekSoftware,
  ZeekSsh,
  ZeekSsl,
  ZeekX509,
} from '../formats/zeek/zeek-records.js';
import { type NotUtf8Line, readLogLines } from '../monitor/follow-log.js';
import { connectionText } from './connection-text.js';
import { FailedLogins } from './failed-logins.js';
import { fingerprintHost } from './fingerprint.js';
import type { Evidence, FindingObservation, FlowSummary, SourceResult } from './host-observation.js';
import { HostTable } from './host-table.js';
import { isLoggedHostAddress, looksLikeIp } from './logged-address.js';

/** Zeek analyzer names (conn.log `service`) → Vigil's protocol names; the first known one wins. */
const ZEEK_SERVICES: Record<string, string> = {
  dicom: 'dicom',
  hl7: 'hl7',
  smb: 'smb',
  http: 'http',
  ssl: 'tls',
  dtls: 'tls',
  ssh: 'ssh',
  ftp: 'ftp',
  'ftp-data': 'ftp-data',
  telnet: 'telnet',
  dns: 'dns',
  dhcp: 'dhcp',
  snmp: 'snmp',
  ntp: 'ntp',
  mqtt: 'mqtt',
  modbus: 'modbus',
  dnp3: 'dnp3',
  rdp: 'rdp',
  rfb: 'vnc',
  sip: 'sip',
  syslog: 'syslog',
  ldap: 'ldap',
  smtp: 'smtp',
  pop3: 'pop3',
  imap: 'imap',
  mysql: 'mysql',
  krb: 'kerberos',
  krb_tcp: 'kerberos',
  dce_rpc: 'msrpc',
  radius: 'radius',
  irc: 'irc',
  socks: 'socks',
  quic: 'quic',
  postgresql: 'postgresql',
  tftp: 'tftp',
  bacnet: 'bacnet',
  enip: 'enip',
  cip: 'enip',
  s7comm: 's7comm',
};
/** Protocols whose name alone means the channel is encrypted. */
const ENCRYPTED = new Set(['tls', 'ssh', 'quic']);
/** TCP states in which the responder answered the handshake (when conn.log has no `history`). */
const ESTABLISHED_STATES = new Set(['SF', 'S1', 'S2', 'S3', 'RSTO', 'RSTR']);

/** Zeek's TLS version spelling → the capture analyzer's (`TLS 1.0`) and the weak-tls subject part. */
const TLS_VERSIONS: Record<string, { display: string; weak?: string }> = {
  SSLv2: { display: 'SSL 2.0', weak: 'SSLv2' },
  SSLv3: { display: 'SSL 3.0', weak: 'SSLv3' },
  TLSv10: { display: 'TLS 1.0', weak: 'TLSv1.0' },
  TLSv11: { display: 'TLS 1.1', weak: 'TLSv1.1' },
  TLSv12: { display: 'TLS 1.2' },
  TLSv13: { display: 'TLS 1.3' },
  DTLSv10: { display: 'DTLS 1.0', weak: 'DTLSv1.0' },
  DTLSv12: { display: 'DTLS 1.2' },
  DTLSv13: { display: 'DTLS 1.3' },
};

/**
 * Request paths of PACS REST and DICOMweb APIs whose answers carry patient demographics (the capture
 * analyzer's rule, same paths). @see DICOM PS3.18 §10.6 (QIDO-RS), §10.4 (WADO-RS)
 */
const PATIENT_API =
  /^\/(patients|studies|series|instances|tools\/find)\b|\/dicom-?web\/|\/rs\/(studies|series|instances)\b|\/wado\b/i;

/** IANA cipher suite name → code point, for the weakness judgement of `tls-ciphers.ts`. */
let cipherCodes: Map<string, number> | undefined;
function cipherCode(name: string): number | undefined {
  cipherCodes ??= new Map([...CIPHER_SUITE_NAMES].map(([code, n]) => [n, code]));
  return cipherCodes.get(name);
}

/** A flows map bigger than this stops growing (further conversations are counted in stats only). */
const FLOW_CAP = 200_000;
const CERT_CAP = 50_000;
const FTP_SESSION_CAP = 50_000;

const seconds = (iso: string) => Date.parse(iso) / 1000;
const unicastMac = (mac: string) =>
  /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac) && (Number.parseInt(mac.slice(0, 2), 16) & 1) === 0;

interface PendingCert {
  server: string;
  port: number;
  leaf: string;
  ts: string;
  evidence: Evidence;
}

export interface ZeekLogFileStats extends LogFileStats {
  format: ZeekLogReader['format'];
}

export interface ZeekLogsAnalysis extends SourceResult {
  issues: InputIssue[];
  stats: {
    logs: ZeekLogFileStats[];
    records: number;
    flowsDropped: number;
    /** x509 certificates no ssl.log connection pointed at (so no host to attach them to). */
    unlinkedCertificates: number;
  };
}

/**
 * The analysis of a set of Zeek logs from one sensor. Feed records with `record()` (any order: certificates
 * and leases are joined at the end), then call `finish()` once.
 */
export class ZeekLogAnalyzer {
  readonly hosts = new HostTable();
  private readonly flowTable = new FlowTable();
  private readonly certs = new Map<string, ZeekX509>();
  private readonly pendingCerts = new Map<string, PendingCert>();
  /** Live sensor: server|port|leaf already linked by a snapshot (not pended again). */
  private readonly linkedCerts = new Set<string>();
  unlinkedCertificates = 0;
  /** FTP sessions (uid) already counted: ftp.log repeats the login on every command's line. */
  private readonly ftpSessions = new Set<string>();
  private readonly failedLogins = new FailedLogins();

  flowsDropped(): number {
    return this.flowTable.dropped;
  }

  record(r: ZeekRecord, file: string, line: number): void {
    switch (r.log) {
      case 'conn':
        this.conn(r, file, line);
        return;
      case 'dhcp':
        this.dhcp(r, file, line);
        return;
      case 'dns':
        this.dns(r, file, line);
        return;
      case 'http':
        this.http(r, file, line);
        return;
      case 'ssl':
        this.ssl(r, file, line);
        return;
      case 'x509':
        this.x509(r);
        return;
      case 'software':
        this.software(r, file, line);
        return;
      case 'notice':
        this.notice(r, file, line);
        return;
      case 'ftp':
        this.ftp(r, file, line);
        return;
      case 'ssh':
        this.ssh(r, file, line);
        return;
      case 'snmp':
        this.snmp(r, file, line);
        return;
    }
  }

  finish(): SourceResult {
    this.linkCertificates();
    this.failedLogins.flush(this.hosts);
    const { hosts, findings } = this.hosts.finish();
    return {
      hosts: hosts.map((h) => fingerprintHost(h)),
      findings,
      flows: this.flowTable.flows(),
    };
  }

  /**
   * Live sensor (`vigil sensor --zeek-dir`): what was learned since the last snapshot, as
   * `CaptureAnalyzer.snapshot()` gives it: hosts whose state changed (every host with `all`), and only the
   * findings and conversations seen since, so storing every slice counts nothing twice. Certificates are
   * linked as soon as both the ssl.log and the x509.log line are in; a leaf linked once is not judged again
   * for the same server and port (as one import judges it once). The result is a copy.
   */
  snapshot(all = false): SourceResult {
    this.linkCertificates(true);
    this.failedLogins.flush(this.hosts);
    const { hosts, findings } = this.hosts.snapshot(all);
    return structuredClone({
      hosts: hosts.map((h) => fingerprintHost(h)),
      findings,
      flows: this.flowTable.take(),
    });
  }

  private evidence(file: string, line: number, time: string, summary: string, connection?: string): Evidence {
    return { source: 'log', file, ...(connection ? { connection } : {}), packet: line, time, summary };
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

  private conn(r: ZeekConn, file: string, line: number): void {
    const transport = r.proto === 'tcp' || r.proto === 'udp' || r.proto === 'icmp' ? r.proto : null;
    const connection = connectionText(r.origH, r.origP, r.respH, r.respP, r.proto);
    const start = seconds(r.ts);
    const end = start + (r.duration ?? 0);
    const protocol = serviceProtocol(r.service);
    const answered = (r.respPkts ?? 0) > 0 || (r.respBytes ?? 0) > 0;
    const established =
      transport === 'tcp'
        ? r.history !== null
          ? r.history.includes('h')
          : ESTABLISHED_STATES.has(r.connState ?? '')
        : answered;

    if (isLoggedHostAddress(r.origH)) {
      const client = this.hosts.ip(r.origH);
      client.talked = true;
      client.seen(start);
      client.seen(end);
      if (protocol && established) client.protocols.add(protocol);
      if (r.origMac && unicastMac(r.origMac)) this.hosts.bind(r.origMac.toLowerCase(), r.origH);
    }
    if (isLoggedHostAddress(r.respH) && (answered || established)) {
      const server = this.hosts.ip(r.respH);
      server.talked = true;
      server.seen(start);
      server.seen(end);
      if (r.respMac && unicastMac(r.respMac)) this.hosts.bind(r.respMac.toLowerCase(), r.respH);
      // TCP: the handshake was answered. UDP: the responder replied and Zeek recognised the protocol, or it
      // replied on a system port (Zeek puts the well-known port on the responder side).
      const offers =
        transport === 'tcp'
          ? established
          : transport === 'udp' && answered && (protocol !== null || r.respP < 1024);
      if (offers) {
        // Telnet has no Zeek analyzer that names it; an answered port 23 is telnet, as in captures.
        const p =
          protocol ?? (transport === 'tcp' && r.respP === 23 && (r.respBytes ?? 0) > 0 ? 'telnet' : null);
        const ev = this.evidence(
          file,
          line,
          r.ts,
          transport === 'tcp'
            ? `conn ${r.connState ?? ''} ${r.history ?? ''}: ${r.respP}/tcp is listening`.replace(/\s+/g, ' ')
            : `conn: ${r.respP}/udp answered`,
          connection,
        );
        server.service(
          r.respP,
          transport === 'udp' ? 'udp' : 'tcp',
          { ...(p ? { protocol: p } : {}), ...(p && ENCRYPTED.has(p) ? { encrypted: true } : {}) },
          ev,
        );
        if (p === 'telnet' || p === 'ftp') {
          server.service(r.respP, 'tcp', { encrypted: false }, ev);
          this.finding(
            'insecure-protocol',
            r.respH,
            `${p}:${r.respP}`,
            { ...ev, summary: `${p.toUpperCase()} in use (cleartext)` },
            {
              protocol: p,
              port: r.respP,
            },
          );
        }
      }
    }
    if (transport) this.flow(r, transport, protocol, established, start, end, file, line, connection);
  }

  private flow(
    r: ZeekConn,
    transport: 'tcp' | 'udp' | 'icmp',
    protocol: string | null,
    established: boolean,
    start: number,
    end: number,
    file: string,
    line: number,
    connection: string,
  ): void {
    this.flowTable.add({
      client: r.origH,
      server: r.respH,
      port: transport === 'icmp' ? 0 : r.respP,
      transport,
      protocol,
      packets: (r.origPkts ?? 0) + (r.respPkts ?? 0),
      bytes: (r.origIpBytes ?? r.origBytes ?? 0) + (r.respIpBytes ?? r.respBytes ?? 0),
      firstSeen: new Date(start * 1000).toISOString(),
      lastSeen: new Date(end * 1000).toISOString(),
      established,
      evidence: this.evidence(file, line, r.ts, `conn ${r.connState ?? ''}`.trim(), connection),
    });
  }

  private dhcp(r: ZeekDhcp, file: string, line: number): void {
    // msg_types lists the exchange's messages in order: a DECLINE after the last ACK means the client
    // found the leased address in use by another host (RFC 2131 §4.4.1), so it is not the client's; the
    // capture analyzer does the same with the packets.
    const declined =
      r.msgTypes.lastIndexOf('DECLINE') > r.msgTypes.lastIndexOf('ACK')
        ? (r.requestedAddr ?? r.assignedAddr)
        : null;
    const address = r.msgTypes.includes('ACK') && r.assignedAddr ? r.assignedAddr : r.clientAddr;
    loggedDhcp(this.hosts, {
      server: r.serverAddr,
      clientMac: r.mac,
      hostname: r.hostName,
      clientFqdn: r.clientFqdn,
      vendorClass: r.clientSoftware,
      // An acknowledged lease says which address this MAC uses; a client that already has one (INFORM,
      // renewal) says so in ciaddr.
      address: address === declined ? null : address,
      declined,
      time: seconds(r.ts),
      evidence: this.evidence(file, line, r.ts, `DHCP ${r.msgTypes.join(',') || 'exchange'}`),
    });
  }

  private dns(r: ZeekDns, _file: string, _line: number): void {
    if (r.rcode !== 'NOERROR' || r.answers.length === 0 || !r.query) return;
    const protocol = r.respP === 5353 ? 'mdns' : r.respP === 5355 ? 'llmnr' : 'dns';
    if (isLoggedHostAddress(r.respH)) {
      const responder = this.hosts.ip(r.respH);
      responder.talked = true;
      responder.seen(seconds(r.ts));
      responder.protocols.add(protocol);
    }
    if (r.qtype === 'A' || r.qtype === 'AAAA') {
      // Answers are the CNAME chain then the addresses: the addresses belong to the chain's last name.
      const name = r.answers.filter((a) => !looksLikeIp(a)).at(-1) ?? r.query;
      for (const a of r.answers)
        if (looksLikeIp(a) && isLoggedHostAddress(a)) this.hosts.ip(a).addHostname(name);
    } else if (r.qtype === 'PTR') {
      const address = reverseAddress(r.query);
      if (!address || !isLoggedHostAddress(address)) return;
      for (const name of r.answers) if (!looksLikeIp(name)) this.hosts.ip(address).addHostname(name);
    }
  }

  private http(r: ZeekHttp, file: string, line: number): void {
    const connection = connectionText(r.origH, r.origP, r.respH, r.respP, 'tcp');
    loggedHttp(this.hosts, {
      client: r.origH,
      server: r.respH,
      port: r.respP,
      time: seconds(r.ts),
      userAgent: r.userAgent,
      credentials: r.credentials ? 'HTTP Basic authorization sent in cleartext' : null,
      status: r.status,
      serverHeader: r.server,
      path: r.path,
      contentTypes: r.respMimeTypes,
      ev: (summary) => this.evidence(file, line, r.ts, summary, connection),
    });
  }

  private ssl(r: ZeekSsl, file: string, line: number): void {
    if (!isLoggedHostAddress(r.respH)) return;
    const transport = r.version?.startsWith('DTLS') ? 'udp' : 'tcp';
    const connection = connectionText(r.origH, r.origP, r.respH, r.respP, transport);
    const ev = (summary: string) => this.evidence(file, line, r.ts, summary, connection);
    const port = r.respP;
    const server = this.hosts.ip(r.respH);
    if (r.serverName) server.addHint('tls.sni', r.serverName, ev('TLS ClientHello SNI'));
    if (r.established === false && r.version === null) return;
    server.talked = true;
    server.seen(seconds(r.ts));
    const v = r.version ? (TLS_VERSIONS[r.version] ?? { display: r.version }) : undefined;
    server.service(
      port,
      transport,
      { protocol: 'tls', encrypted: true, ...(v ? { version: v.display } : {}) },
      ev(`TLS ${v?.display ?? 'handshake'}`),
    );
    if (v?.weak) {
      this.finding(
        'weak-tls',
        r.respH,
        `tls:${port}:${v.weak}`,
        ev(`${v.display} negotiated (${r.cipher ?? 'cipher unknown'})`),
        {
          protocol: 'tls',
          port,
          version: v.display,
          ...(r.cipher ? { cipherSuite: r.cipher } : {}),
        },
      );
    }
    const code = r.cipher ? cipherCode(r.cipher) : undefined;
    if (r.cipher && code !== undefined) {
      const weak = cipherSuite(code).weaknesses.filter((w) => !VERSION_WEAKNESSES.has(w));
      if (weak.length) {
        this.finding('weak-tls', r.respH, `tls-cipher:${port}`, ev(`weak cipher suite ${r.cipher}`), {
          protocol: 'tls',
          port,
          cipherSuite: r.cipher,
          weaknesses: weak,
        });
      }
    }
    // Zeek < 4 logged the leaf's subject and issuer in ssl.log itself.
    if (r.subject) server.addHint('tls.certSubject', r.subject, ev('TLS certificate'));
    if (r.issuer) server.addHint('tls.certIssuer', r.issuer, ev('TLS certificate'));
    const leaf = r.certChain[0];
    if (leaf) {
      const key = `${r.respH}|${port}|${leaf}`;
      if (!this.pendingCerts.has(key) && !this.linkedCerts.has(key) && this.pendingCerts.size < CERT_CAP)
        this.pendingCerts.set(key, {
          server: r.respH,
          port,
          leaf,
          ts: r.ts,
          evidence: ev('TLS certificate'),
        });
    }
  }

  private x509(r: ZeekX509): void {
    // Only certificates servers presented (Zeek ≥ 5 marks both; one seen on both sides counts).
    if ((r.clientCert === true && r.hostCert !== true) || this.certs.size >= CERT_CAP) return;
    if (r.fingerprint) this.certs.set(r.fingerprint, r);
    if (r.fileId) this.certs.set(r.fileId, r);
  }

  /** Each server's leaf certificate (ssl.log points at it; x509.log describes it) → hints and problems. */
  private linkCertificates(live = false): void {
    const used = new Set<ZeekX509>();
    for (const [key, p] of this.pendingCerts) {
      const c = this.certs.get(p.leaf);
      if (!c) continue;
      used.add(c);
      if (live) {
        // Linked now: judged once; the oldest memories go first when the bounds are reached.
        this.pendingCerts.delete(key);
        if (this.linkedCerts.size >= CERT_CAP)
          this.linkedCerts.delete(this.linkedCerts.values().next().value!);
        this.linkedCerts.add(key);
      }
      const server = this.hosts.ip(p.server);
      // It presented the certificate (a live sensor may have forgotten it as idle since its ssl.log line).
      server.talked = true;
      server.seen(seconds(p.ts));
      if (c.subject) server.addHint('tls.certSubject', c.subject, p.evidence);
      if (c.issuer) server.addHint('tls.certIssuer', c.issuer, p.evidence);
      const problems = x509Problems(c, Date.parse(p.ts));
      if (problems.length === 0) continue;
      const cn = /(?:^|,)CN=((?:\\,|[^,])*)/.exec(c.subject ?? '')?.[1];
      this.finding(
        'certificate-problem',
        p.server,
        `cert:${p.port}`,
        {
          ...p.evidence,
          summary: `certificate ${cn ?? c.subject ?? c.fingerprint ?? ''}: ${problems.join(', ')}`,
        },
        {
          protocol: 'tls',
          port: p.port,
          problems,
          expired: problems.includes('expired'),
          signatureAlgorithm: c.signatureAlgorithm ?? '',
          keyType: keyType(c.keyType),
          ...(c.keyLength ? { keyBits: c.keyLength } : {}),
        },
      );
    }
    this.unlinkedCertificates = new Set([...this.certs.values()].filter((c) => !used.has(c))).size;
    if (live) {
      // A sensor runs for months: keep the newest certificates and waiting connections, not the first ones.
      for (const map of [this.certs, this.pendingCerts] as Map<string, unknown>[])
        for (const k of map.keys()) {
          if (map.size < CERT_CAP * 0.9) break;
          map.delete(k);
        }
    }
  }

  private software(r: ZeekSoftware, file: string, line: number): void {
    if (!isLoggedHostAddress(r.host)) return;
    const h = this.hosts.ip(r.host);
    // Zeek saw this software in what the host sent (a Server or User-Agent header, an SSH banner).
    h.talked = true;
    h.seen(seconds(r.ts));
    const ev = this.evidence(file, line, r.ts, `Zeek software ${r.softwareType}`);
    const raw = r.unparsedVersion ?? r.name;
    switch (r.softwareType) {
      case 'HTTP::SERVER': {
        // `Apache/2.4.2 (Win32) OpenSSL/1.0.1c` names Apache 2.4.2, as in captures; the whole value is the hint.
        h.addHint('http.server', raw, ev);
        const software = serverProduct(raw);
        if (r.port !== null)
          h.service(
            r.port,
            'tcp',
            { protocol: 'http', product: software?.name ?? null, version: software?.version ?? null },
            ev,
          );
        return;
      }
      case 'HTTP::BROWSER':
        h.addHint('http.userAgent', raw, ev);
        return;
      case 'SSH::SERVER':
        if (r.port !== null)
          h.service(
            r.port,
            'tcp',
            {
              protocol: 'ssh',
              encrypted: true,
              product: r.name,
              version: raw.replace(/^[^_]*_/, '') || null,
            },
            ev,
          );
        h.addHint('zeek.software', `${r.softwareType} ${raw}`, ev);
        return;
      default:
        h.addHint('zeek.software', `${r.softwareType} ${raw}`, ev);
    }
  }

  private notice(r: ZeekNotice, file: string, line: number): void {
    // Scans and guessing are about the source; certificate, protocol and service notices about the server.
    const aboutSource = /^Scan::|Guessing|Bruteforc|Scanner/i.test(r.note);
    const ip = aboutSource ? (r.src ?? r.origH) : (r.dst ?? r.respH ?? r.src);
    if (!ip || !isLoggedHostAddress(ip)) return;
    const connection =
      r.origH && r.respH
        ? connectionText(r.origH, r.origP ?? 0, r.respH, r.respP ?? 0, r.proto ?? 'tcp')
        : undefined;
    const h = this.hosts.ip(ip);
    // The host a notice is about sent what Zeek judged (a certificate, a scan, a login attempt).
    h.talked = true;
    h.seen(seconds(r.ts));
    h.addHint('zeek.notice', r.note, this.evidence(file, line, r.ts, `Zeek notice ${r.note}`, connection));
  }

  private ftp(r: ZeekFtp, file: string, line: number): void {
    if (!isLoggedHostAddress(r.respH)) return;
    const connection = connectionText(r.origH, r.origP, r.respH, r.respP, 'tcp');
    const ev = (summary: string) => this.evidence(file, line, r.ts, summary, connection);
    const port = r.respP;
    if (isLoggedHostAddress(r.origH)) {
      const client = this.hosts.ip(r.origH);
      client.talked = true;
      client.seen(seconds(r.ts));
      client.protocols.add('ftp');
    }
    // Zeek writes a line per command, each repeating the session's login: a finding counts once per
    // session (uid), as captures count it once per connection.
    const once = (what: string): boolean => {
      if (r.uid === null) return true;
      const key = `${r.uid}|${r.respH}|${port}|${what}`;
      if (this.ftpSessions.has(key)) return false;
      // Bounded for a live sensor: the oldest sessions are forgotten first.
      if (this.ftpSessions.size >= FTP_SESSION_CAP)
        this.ftpSessions.delete(this.ftpSessions.values().next().value!);
      this.ftpSessions.add(key);
      return true;
    };
    // A logged reply: the server answered FTP. Cleartext by itself, as captures judge it.
    if (r.replyCode !== null) {
      const server = this.hosts.ip(r.respH);
      server.talked = true;
      server.seen(seconds(r.ts));
      server.protocols.add('ftp');
      server.service(port, 'tcp', { protocol: 'ftp', encrypted: false }, ev('FTP server answered'));
      if (once('service'))
        this.finding('insecure-protocol', r.respH, `ftp:${port}`, ev('FTP in use (cleartext)'), {
          protocol: 'ftp',
          port,
        });
    }
    // A password was sent: a login in cleartext. Anonymous ones count too (the capture dissector's rule):
    // anyone on the path sees the server hands files to whoever asks.
    if (r.credentials && once('login'))
      this.finding(
        'cleartext-credentials',
        r.respH,
        `ftp:${port}`,
        ev(`FTP ${r.anonymous ? 'anonymous ' : ''}login sent in cleartext`),
        { protocol: 'ftp', port, anonymous: r.anonymous },
      );
    // A refused login (530 to USER or PASS), as captures count it. Zeek logs these commands only when a
    // site adds them to `FTP::logged_commands`; by default ftp.log holds transfers, not logins.
    if ((r.command === 'PASS' || r.command === 'USER') && r.replyCode === 530 && isLoggedHostAddress(r.origH))
      this.failedLogins.refused('ftp', r.origH, r.respH, port, ev('FTP login refused (530)'));
  }

  private ssh(r: ZeekSsh, file: string, line: number): void {
    const connection = connectionText(r.origH, r.origP, r.respH, r.respP, 'tcp');
    loggedSsh(this.hosts, {
      client: r.origH,
      server: r.respH,
      port: r.respP,
      time: seconds(r.ts),
      clientBanner: r.clientBanner,
      serverBanner: r.serverBanner,
      ev: (summary) => this.evidence(file, line, r.ts, summary, connection),
    });
  }

  private snmp(r: ZeekSnmp, file: string, line: number): void {
    // Traps go to the manager (162): the agent is the originator there; captures read 161 only, so do we.
    if (r.respP === 162 || !isLoggedHostAddress(r.respH) || r.version === null) return;
    const connection = connectionText(r.origH, r.origP, r.respH, r.respP, 'udp');
    const ev = (summary: string) => this.evidence(file, line, r.ts, summary, connection);
    const agent = this.hosts.ip(r.respH);
    agent.protocols.add('snmp');
    if (r.responses > 0) {
      agent.talked = true;
      agent.seen(seconds(r.ts));
      agent.service(
        r.respP,
        'udp',
        { protocol: 'snmp', version: r.version, encrypted: r.version === 'v3' ? null : false },
        ev(`SNMP ${r.version} response`),
      );
      if (r.sysDescr) agent.addHint('snmp.sysDescr', r.sysDescr, ev(`SNMP ${r.version} response`));
    }
    if (r.communitySent)
      loggedSnmpCommunity(this.hosts, {
        agent: r.respH,
        port: r.respP,
        version: r.version,
        defaultCommunity: r.defaultCommunity,
        ev,
      });
  }
}

/** Conversations folded per client, server, port and transport (bounded). */
export class FlowTable {
  private readonly byKey = new Map<string, FlowSummary>();
  dropped = 0;

  add(f: Omit<FlowSummary, 'connections'>): void {
    const key = `${f.client}|${f.server}|${f.port}|${f.transport}`;
    const prev = this.byKey.get(key);
    if (prev) {
      prev.connections++;
      prev.packets += f.packets;
      prev.bytes += f.bytes;
      if (f.firstSeen < prev.firstSeen) prev.firstSeen = f.firstSeen;
      if (f.lastSeen > prev.lastSeen) prev.lastSeen = f.lastSeen;
      prev.protocol ??= f.protocol;
      if (f.established) prev.established = true;
      return;
    }
    if (this.byKey.size >= FLOW_CAP) {
      this.dropped++;
      return;
    }
    const { established, ...rest } = f;
    this.byKey.set(key, {
      ...rest,
      connections: 1,
      ...(f.transport === 'tcp' ? { established: Boolean(established) } : {}),
    });
  }

  flows(): FlowSummary[] {
    return [...this.byKey.values()];
  }

  /** Live sensor: the conversations folded since the last call; the table starts empty again. */
  take(): FlowSummary[] {
    const out = this.flows();
    this.byKey.clear();
    return out;
  }
}

/**
 * One DHCP exchange as a sensor's log reports it (Zeek dhcp.log, Suricata's EVE dhcp event): the server
 * offers DHCP on 67/udp; the client, known by its MAC, gives its host name, FQDN and vendor class (hints
 * for fingerprinting) and the address it was leased or already uses.
 */
export function loggedDhcp(
  hosts: HostTable,
  d: {
    server: string | null;
    clientMac: string | null;
    hostname: string | null;
    clientFqdn?: string | null;
    vendorClass: string | null;
    address: string | null;
    /** An address the client declined (in use by another host): no longer its own. */
    declined?: string | null;
    time: number;
    evidence: Evidence;
  },
): void {
  const e = d.evidence;
  if (d.server && isLoggedHostAddress(d.server)) {
    const server = hosts.ip(d.server);
    server.talked = true;
    server.seen(d.time);
    server.protocols.add('dhcp');
    server.service(67, 'udp', { protocol: 'dhcp', encrypted: false }, e);
  }
  if (!d.clientMac) return;
  const client = hosts.mac(d.clientMac);
  client.talked = true;
  client.seen(d.time);
  client.protocols.add('dhcp');
  if (d.hostname) {
    client.addHostname(d.hostname);
    client.addHint('dhcp.hostname', d.hostname, e);
  }
  if (d.clientFqdn) {
    client.addHostname(d.clientFqdn);
    client.addHint('dhcp.clientFqdn', d.clientFqdn, e);
  }
  if (d.vendorClass) client.addHint('dhcp.vendorClass', d.vendorClass, e);
  if (d.declined && isLoggedHostAddress(d.declined)) {
    const dropped = hosts.decline(d.clientMac, d.declined);
    if (dropped) client.addHint('dhcp.declinedAddress', dropped, e);
  }
  if (d.address && isLoggedHostAddress(d.address)) {
    hosts.lease(d.clientMac, d.address);
    const h = hosts.ip(d.address);
    h.talked = true;
    h.seen(d.time);
  }
}

/**
 * One SSH connection's identification lines as a sensor's log reports them (Zeek ssh.log, Suricata's EVE
 * ssh event): each side's line as an `ssh.banner` hint, and the server's SSH service with the product and
 * version its line names, as the capture analyzer keeps them (SSH raises no finding there either).
 */
export function loggedSsh(
  hosts: HostTable,
  s: {
    client: string;
    server: string;
    port: number;
    time: number;
    clientBanner: string | null;
    serverBanner: string | null;
    ev: (summary: string) => Evidence;
  },
): void {
  if (s.clientBanner && isLoggedHostAddress(s.client)) {
    const client = hosts.ip(s.client);
    client.talked = true;
    client.seen(s.time);
    client.protocols.add('ssh');
    client.addHint('ssh.banner', s.clientBanner, s.ev('SSH identification'));
  }
  if (!s.serverBanner || !isLoggedHostAddress(s.server)) return;
  const server = hosts.ip(s.server);
  server.talked = true;
  server.seen(s.time);
  server.protocols.add('ssh');
  server.addHint('ssh.banner', s.serverBanner, s.ev('SSH identification'));
  const b = parseSshBanner(s.serverBanner);
  server.service(
    s.port,
    'tcp',
    {
      protocol: 'ssh',
      encrypted: true,
      ...(b ? { product: b.product ?? b.softwareVersion, version: b.productVersion ?? null } : {}),
    },
    s.ev('SSH banner'),
  );
}

/**
 * An SNMP v1/v2c request as a sensor's log reports it (Zeek snmp.log, Suricata's EVE snmp event): the
 * community string crossed the network in cleartext, so `cleartext-credentials` and `insecure-protocol`
 * on the agent, as the capture analyzer raises them; never the string itself.
 */
export function loggedSnmpCommunity(
  hosts: HostTable,
  c: {
    agent: string;
    port: number;
    version: string;
    defaultCommunity: boolean;
    ev: (summary: string) => Evidence;
  },
): void {
  const details = {
    protocol: 'snmp',
    port: c.port,
    version: c.version,
    defaultCommunity: c.defaultCommunity,
  };
  const subject = `snmp:${c.port}`;
  hosts.finding({
    type: 'cleartext-credentials',
    host: { ip: c.agent },
    subject,
    evidence: c.ev(`SNMP ${c.version} community string sent in cleartext`),
    details,
  });
  hosts.finding({
    type: 'insecure-protocol',
    host: { ip: c.agent },
    subject,
    evidence: c.ev(`SNMP ${c.version}`),
    details,
  });
}

/**
 * One HTTP transaction as a sensor's log reports it (Zeek http.log, Suricata's EVE http event): the
 * client's User-Agent, credentials sent in cleartext, and, once the server answered, its cleartext HTTP
 * service, Server header and what `answeredHttp` finds in the answer. Both logs are written before the
 * connection's own record (conn.log, the EVE flow event), so the hosts are marked seen here.
 */
export function loggedHttp(
  hosts: HostTable,
  t: {
    client: string;
    server: string;
    port: number;
    /** Capture seconds. */
    time: number;
    userAgent: string | null;
    /** The evidence summary when the request carried credentials, else null. */
    credentials: string | null;
    /** Null when the log has no answer. */
    status: number | null;
    serverHeader: string | null;
    path: string | null;
    contentTypes: string[];
    ev: (s: string) => Evidence;
  },
): void {
  const { port, ev } = t;
  if (t.userAgent && isLoggedHostAddress(t.client)) {
    const client = hosts.ip(t.client);
    client.talked = true;
    client.seen(t.time);
    client.protocols.add('http');
    client.addHint('http.userAgent', t.userAgent, ev('HTTP request'));
  }
  if (!isLoggedHostAddress(t.server)) return;
  if (t.credentials) {
    hosts.finding({
      type: 'cleartext-credentials',
      host: { ip: t.server },
      subject: `http-basic:${port}`,
      evidence: ev(t.credentials),
      details: { protocol: 'http', port },
    });
  }
  if (t.status === null) return;
  // The server answered: a cleartext HTTP service (an HTTPS-inspecting sensor would log TLS too).
  const server = hosts.ip(t.server);
  server.talked = true;
  server.seen(t.time);
  // The Server header's first product names the software (as in captures); the whole value is the hint.
  const software = t.serverHeader ? serverProduct(t.serverHeader) : null;
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
  if (t.serverHeader) server.addHint('http.server', t.serverHeader, ev('HTTP Server header'));
  answeredHttp(hosts, {
    server: t.server,
    port,
    path: t.path ?? '',
    status: t.status,
    contentTypes: t.contentTypes,
    ev,
  });
}

/**
 * What an answered cleartext HTTP request says beyond the service itself, by the capture analyzer's rules:
 * an admin or login path the server answered (or asked credentials for), and a PACS/DICOMweb patient query
 * answered with data.
 */
function answeredHttp(
  hosts: HostTable,
  a: {
    server: string;
    port: number;
    path: string;
    status: number;
    contentTypes: string[];
    ev: (s: string) => Evidence;
  },
): void {
  const { server, port, status } = a;
  const path = a.path.slice(0, 100);
  const admin = adminHint(a.path);
  if (admin && (status < 400 || status === 401 || status === 403)) {
    hosts.finding({
      type: 'insecure-protocol',
      host: { ip: server },
      subject: `http-admin:${port}`,
      evidence: a.ev(`cleartext HTTP ${admin} interface answered ${status}`),
      details: { protocol: 'http', port, path, status },
    });
  }
  if (PATIENT_API.test(a.path) && status === 200 && a.contentTypes.some((m) => /json|dicom|xml/i.test(m))) {
    hosts.finding({
      type: 'cleartext-phi',
      host: { ip: server },
      subject: `http:${port}`,
      evidence: a.ev(
        `HTTP ${status} ${a.contentTypes.join(',')} for ${path} (patient query API) in cleartext`,
      ),
      details: { protocol: 'http', port, path },
    });
  }
}

function serviceProtocol(service: string[]): string | null {
  let best: string | null = null;
  let rank = Number.POSITIVE_INFINITY;
  const order = Object.keys(ZEEK_SERVICES);
  for (const s of service) {
    const i = order.indexOf(s);
    if (i >= 0 && i < rank) {
      rank = i;
      best = ZEEK_SERVICES[s]!;
    }
  }
  // An analyzer Vigil has no name for still names the protocol better than nothing.
  return best ?? service[0] ?? null;
}

function keyType(t: string | null): PublicKeyType {
  if (t === 'rsa' || t === 'dsa' || t === 'dh') return t;
  if (t === 'ecdsa' || t === 'ec') return 'ec';
  return 'unknown';
}

/** The capture analyzer's certificate judgement (`certificateProblems`) applied to an x509.log record. */
export function x509Problems(c: ZeekX509, atMs: number): CertificateProblem[] {
  return certificateProblems(
    {
      version: c.version ?? 3,
      serial: c.serial ?? '',
      signatureAlgorithm: c.signatureAlgorithm ?? '',
      issuer: { dn: c.issuer ?? '' },
      subject: { dn: c.subject ?? '' },
      notBefore: c.notBefore ?? '',
      notAfter: c.notAfter ?? '',
      publicKey: {
        algorithm: c.keyAlgorithm ?? '',
        type: keyType(c.keyType),
        ...(c.keyLength ? { bits: c.keyLength } : {}),
      },
      // Zeek does not log whether the signature verifies with the subject key; equal names are the same test
      // the capture analyzer makes.
      selfSigned: c.subject !== null && c.subject === c.issuer,
      subjectAltNames: { dns: c.sanDns, ip: c.sanIp, email: [], uri: [] },
      sha256: c.fingerprint ?? '',
    },
    atMs,
  );
}

/** One log file's lines as they are read. */
export interface LogSource {
  /** Base name, used in evidence and issues. */
  file: string;
  /** Lines as `readLogLines` hands them out: a line whose bytes are not UTF-8 comes as `{ notUtf8 }`. */
  lines: AsyncIterable<string | NotUtf8Line>;
  /** SHA-256 of the file's bytes, asked once its lines are read (the reader hashes as it goes). */
  sha256?: () => string | null;
}

/** What a line reader of a sensor log format (Zeek TSV/JSON, Suricata EVE) keeps while it reads. */
interface LogLineReader<R> {
  readonly issues: InputIssue[];
  moreIssues: number;
  records: number;
  readonly skipped: Map<string, number>;
  line(text: string, lineNo: number): { record: R; line: number } | null;
  /** A line whose bytes are not UTF-8 (`text` decoded leniently, to tell a header from a data line). */
  notUtf8Line(text: string, lineNo: number, bad: NotUtf8): null;
}

/** Per-file statistics every sensor log format reports. */
export interface LogFileStats {
  file: string;
  lines: number;
  records: number;
  /** Lines Vigil does not read, by log path or event type. */
  skipped: Record<string, number>;
  issues: number;
  sha256?: string;
}

/**
 * Reads each source to the end through a fresh reader of its format, handing every record to `onRecord`,
 * and gathers the readers' issues and per-file statistics (`extra` adds format-specific fields).
 */
export async function readLogSources<Rd extends LogLineReader<unknown>, S extends LogFileStats>(
  sources: LogSource[],
  newReader: (file: string) => Rd,
  onRecord: (record: NonNullable<ReturnType<Rd['line']>>['record'], file: string, line: number) => void,
  stats: (base: LogFileStats, reader: Rd) => S,
): Promise<{ issues: InputIssue[]; logs: S[]; records: number }> {
  const issues: InputIssue[] = [];
  const logs: S[] = [];
  let records = 0;
  for (const src of sources) {
    const reader = newReader(src.file);
    let n = 0;
    for await (const text of src.lines) {
      n++;
      if (typeof text !== 'string') {
        reader.notUtf8Line(text.text, n, text.notUtf8);
        continue;
      }
      const r = reader.line(text, n);
      if (r) onRecord(r.record, src.file, r.line);
    }
    issues.push(...reader.issues);
    if (reader.moreIssues)
      issues.push({ file: src.file, reason: `${reader.moreIssues} further bad lines not listed` });
    records += reader.records;
    const sha256 = src.sha256?.() ?? null;
    logs.push(
      stats(
        {
          file: src.file,
          lines: n,
          records: reader.records,
          skipped: Object.fromEntries(reader.skipped),
          issues: reader.issues.length + reader.moreIssues,
          ...(sha256 ? { sha256 } : {}),
        },
        reader,
      ),
    );
  }
  return { issues, logs, records };
}

/** Reads Zeek logs (one sensor's, any mix of TSV and JSON) to the end and returns what they showed. */
export async function analyzeZeekLogs(sources: LogSource[]): Promise<ZeekLogsAnalysis> {
  const analyzer = new ZeekLogAnalyzer();
  const { issues, logs, records } = await readLogSources(
    sources,
    (file) => new ZeekLogReader(file),
    (record, file, line) => analyzer.record(record, file, line),
    ({ file, ...rest }, reader): ZeekLogFileStats => ({ file, format: reader.format, ...rest }),
  );
  const result = analyzer.finish();
  return {
    ...result,
    issues,
    stats: {
      logs,
      records,
      flowsDropped: analyzer.flowsDropped(),
      unlinkedCertificates: analyzer.unlinkedCertificates,
    },
  };
}

/** Names a sensor log may have (`conn.log`, `conn.09:00:00-10:00:00.log.gz`, `eve.json`, `dns.ndjson`). */
export const SENSOR_LOG_NAME = /\.(log|json|ndjson)(\.gz)?$/i;

/**
 * The start of a gzip stream, inflated. Only the first line matters, but zlib refuses (throws) rather
 * than truncates when the output passes `maxOutputLength`, and Zeek logs compress 5–20 times: 16 KiB of a
 * rotated `conn.log.gz` inflates past 64 KiB. So less input is tried until the output fits.
 */
function inflateHead(head: Buffer): Buffer | null {
  for (const input of [16 * 1024, 2 * 1024, 512]) {
    try {
      return gunzipSync(head.subarray(0, input), {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: 64 * 1024,
      });
    } catch {
      // Output too large for this much input, or corrupt data: try less, then give up.
    }
  }
  return null;
}

/** Whether a file is a Zeek log, an EVE file or neither, by its first line (gzip-compressed or not). */
export async function sensorLogKind(path: string): Promise<'zeek' | 'eve' | null> {
  const fh = await open(path, 'r');
  let head: Buffer;
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(16 * 1024), 0, 16 * 1024, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const inflated = inflateHead(head);
    if (inflated === null) return null;
    head = inflated;
  }
  const text = head.toString('utf8');
  if (looksLikeEve(text)) return 'eve';
  if (looksLikeZeekLog(text)) return 'zeek';
  return null;
}

/** The sensor logs among these files, by kind (files that are neither are left out). */
export async function sensorLogs(paths: string[]): Promise<{ zeek: string[]; eve: string[] }> {
  const out = { zeek: [] as string[], eve: [] as string[] };
  for (const p of paths) {
    const kind = await sensorLogKind(p).catch(() => null);
    if (kind) out[kind].push(p);
  }
  return out;
}

/** A Zeek log file, or a directory of one sensor's Zeek logs (recursive, rotated `.gz` archives included). */
export async function analyzeZeekPath(path: string): Promise<ZeekLogsAnalysis> {
  let files = [path];
  if ((await stat(path)).isDirectory()) {
    const entries = await readdir(path, { recursive: true, withFileTypes: true });
    const candidates = entries
      .filter((e) => e.isFile() && SENSOR_LOG_NAME.test(e.name))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    files = (await sensorLogs(candidates)).zeek;
  }
  return analyzeZeekLogs(
    files.map((f) => {
      const r = readLogLines(f);
      // Within a directory, `2024-01-01/conn.log` and `2024-01-02/conn.log` must stay apart in evidence.
      return { file: files.length > 1 ? relative(path, f) : basename(f), lines: r.lines, sha256: r.sha256 };
    }),
  );
}
