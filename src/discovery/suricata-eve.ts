/**
 * @module Passive discovery from Suricata EVE JSON: flow, dhcp, dns, http, tls, alert, ftp, ssh, snmp,
 * mqtt and smb events → hosts, services, fingerprint hints, findings and flows, by the capture analyzer's
 * rules (same hint kinds, finding subjects and minimisation) so a hospital that runs Suricata feeds the
 * inventory as a capture would. Evidence names the EVE file and line (`Evidence.source = 'log'`,
 * `packet` = line number).
 *
 * What each event says:
 * - flow: the server answered the handshake (SYN+ACK in `tcp.tcp_flags_tc`) → a service at dest_ip:dest_port,
 *   named by `app_proto`; every flow is folded into a `FlowSummary` (src = client, dest = server).
 * - dhcp: MAC, assigned address (ACK), host name, vendor class (with `extended: yes`).
 * - dns: names of addresses (A/AAAA answers under their own owner name, PTR answers).
 * - http: User-Agent, cleartext HTTP service, Server header when logged, admin and patient-query paths.
 * - tls: TLS service and version → weak-tls, SNI, certificate subject/issuer, expired/self-signed certificates
 *   (EVE has no key size or signature algorithm, so those two checks need Zeek or a capture).
 * - alert: each signature kept as a `suricata.alert` hint on the host it targets.
 * - ftp: the server's greeting (product and version), a password sent in cleartext (cleartext-credentials,
 *   anonymous or not), logins refused with 530 (failed-login), as captures judge them.
 * - ssh: both identification lines as `ssh.banner` hints; the server's product and version on its service.
 * - snmp: the agent's service and version; a v1/v2c community → cleartext-credentials and insecure-protocol.
 * - mqtt: the client id, credentials in cleartext, refused and default logins, the broker's cleartext
 *   service, patient data published in cleartext (cleartext-phi), as captures judge them.
 * - smb: the negotiated dialect on the server's SMB service, SMBv1 → insecure-protocol `smbv1:PORT`, and
 *   the native OS strings of SMB1 session setup as `smb.os` hints.
 */

import { basename } from 'node:path';
import { reverseAddress } from '../dissect/dns.js';
import { ftpProduct } from '../dissect/ftp.js';
import { isMqttLoginRefused } from '../dissect/mqtt.js';
import { certificateProblems } from '../dissect/x509.js';
import type { InputIssue } from '../errors.js';
import { EveReader } from '../formats/suricata/eve-reader.js';
import type {
  EveAlert,
  EveDhcp,
  EveDns,
  EveFlow,
  EveFtp,
  EveHttp,
  EveMqtt,
  EveRecord,
  EveSmb,
  EveSnmp,
  EveSsh,
  EveTls,
} from '../formats/suricata/eve-records.js';
import { canonicalIp } from '../inventory/identity.js';
import { readLogLines } from '../monitor/follow-log.js';
import { connectionText } from './connection-text.js';
import { FailedLogins } from './failed-logins.js';
import { fingerprintHost } from './fingerprint.js';
import type { Evidence, FindingObservation, SourceResult } from './host-observation.js';
import { HostTable } from './host-table.js';
import { isLoggedHostAddress, looksLikeIp } from './logged-address.js';
import { payloadPhiFinding } from './payload-phi-finding.js';
import { checkDefaultCredential, defaultCredentialFinding } from './rules/default-credentials.js';
import { negotiatedSmb } from './smb-negotiated.js';
import {
  FlowTable,
  type LogFileStats,
  type LogSource,
  loggedDhcp,
  loggedHttp,
  loggedSnmpCommunity,
  loggedSsh,
  readLogSources,
} from './zeek-logs.js';

/** Suricata app-layer names → Vigil's protocol names (`failed`: detection gave up, no protocol). */
const APP_PROTOCOLS: Record<string, string | null> = {
  http: 'http',
  http1: 'http',
  http2: 'http',
  tls: 'tls',
  ssh: 'ssh',
  ftp: 'ftp',
  'ftp-data': 'ftp-data',
  telnet: 'telnet',
  smb: 'smb',
  dns: 'dns',
  dhcp: 'dhcp',
  snmp: 'snmp',
  ntp: 'ntp',
  mqtt: 'mqtt',
  modbus: 'modbus',
  dnp3: 'dnp3',
  enip: 'enip',
  rdp: 'rdp',
  rfb: 'vnc',
  sip: 'sip',
  smtp: 'smtp',
  imap: 'imap',
  krb5: 'kerberos',
  dcerpc: 'msrpc',
  nfs: 'nfs',
  tftp: 'tftp',
  pgsql: 'postgresql',
  quic: 'quic',
  ike: 'ike',
  bittorrent_dht: 'bittorrent',
  failed: null,
};
const ENCRYPTED = new Set(['tls', 'ssh', 'quic']);

/** Suricata's TLS version spelling → the capture analyzer's, and the weak-tls subject part. */
const TLS_VERSIONS: Record<string, { display: string; weak?: string }> = {
  SSLv2: { display: 'SSL 2.0', weak: 'SSLv2' },
  SSLv3: { display: 'SSL 3.0', weak: 'SSLv3' },
  TLSv1: { display: 'TLS 1.0', weak: 'TLSv1.0' },
  'TLS 1.0': { display: 'TLS 1.0', weak: 'TLSv1.0' },
  'TLSv1.1': { display: 'TLS 1.1', weak: 'TLSv1.1' },
  'TLS 1.1': { display: 'TLS 1.1', weak: 'TLSv1.1' },
  'TLS 1.2': { display: 'TLS 1.2' },
  'TLS 1.3': { display: 'TLS 1.3' },
};

/** FTP flows remembered at once (their anonymous USER, what was already counted); the oldest go first. */
const FTP_FLOW_CAP = 50_000;

/** Adds `key` to a set bounded by {@link FTP_FLOW_CAP} (oldest out first); false when it was there already. */
function firstTime<K>(set: Set<K>, key: K): boolean {
  if (set.has(key)) return false;
  if (set.size >= FTP_FLOW_CAP) set.delete(set.values().next().value as K);
  set.add(key);
  return true;
}

/** Ports MQTT brokers listen on (1883 cleartext, 8883 TLS): EVE logs each message in its own direction. */
const MQTT_BROKER_PORTS = new Set([1883, 8883]);

const SYN = 0x02;
const ACK = 0x10;
const seconds = (iso: string) => Date.parse(iso) / 1000;

/**
 * Suricata prints certificate names in OpenSSL's one-line order (`O=Example, CN=host`); Vigil's hints use
 * RFC 4514 order (`CN=host,O=Example`), as the capture analyzer and nmap give them.
 */
export function rfc4514(oneLine: string): string {
  const parts = oneLine.split(/,\s+(?=[A-Za-z][\w.-]*=)/);
  return parts.reverse().join(',');
}

export interface EveAnalysis extends SourceResult {
  issues: InputIssue[];
  stats: {
    logs: LogFileStats[];
    records: number;
    flowsDropped: number;
  };
}

/** The analysis of one sensor's EVE events. Feed with `record()`, then `finish()` once. */
export class EveAnalyzer {
  readonly hosts = new HostTable();
  private readonly flowTable = new FlowTable();
  private readonly failedLogins = new FailedLogins();
  /** FTP flows (flow_id) whose USER was anonymous: the PASS that follows is an anonymous login. */
  private readonly anonymousFtp = new Set<number>();
  /** FTP flows (flow_id) whose login was counted: once per connection, as in captures. */
  private readonly ftpLogins = new Set<number>();

  flowsDropped(): number {
    return this.flowTable.dropped;
  }

  record(r: EveRecord, file: string, line: number): void {
    const connection = connectionText(r.srcIp, r.srcPort ?? 0, r.destIp, r.destPort ?? 0, r.proto);
    const ev = (summary: string, time = r.ts): Evidence => ({
      source: 'log',
      file,
      connection,
      packet: line,
      time,
      summary,
    });
    switch (r.event) {
      case 'flow':
        this.flow(r, ev);
        return;
      case 'dhcp':
        this.dhcp(r, ev);
        return;
      case 'dns':
        this.dns(r);
        return;
      case 'http':
        this.http(r, ev);
        return;
      case 'tls':
        this.tls(r, ev);
        return;
      case 'alert':
        this.alert(r, ev);
        return;
      case 'ftp':
        this.ftp(r, ev);
        return;
      case 'ssh':
        this.ssh(r, ev);
        return;
      case 'snmp':
        this.snmp(r, ev);
        return;
      case 'mqtt':
        this.mqtt(r, ev);
        return;
      case 'smb':
        this.smb(r, ev);
        return;
    }
  }

  finish(): SourceResult {
    this.failedLogins.flush(this.hosts);
    const { hosts, findings } = this.hosts.finish();
    return { hosts: hosts.map((h) => fingerprintHost(h)), findings, flows: this.flowTable.flows() };
  }

  /**
   * Live sensor (`vigil sensor --eve`): hosts whose state changed since the last snapshot (every host with
   * `all`), and only the findings and conversations seen since, so storing every slice counts nothing
   * twice (as `CaptureAnalyzer.snapshot()`). The result is a copy.
   */
  snapshot(all = false): SourceResult {
    this.failedLogins.flush(this.hosts);
    const { hosts, findings } = this.hosts.snapshot(all);
    return structuredClone({
      hosts: hosts.map((h) => fingerprintHost(h)),
      findings,
      flows: this.flowTable.take(),
    });
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

  private flow(r: EveFlow, ev: (s: string, t?: string) => Evidence): void {
    const transport =
      r.proto === 'tcp' || r.proto === 'udp' ? r.proto : r.proto.includes('icmp') ? 'icmp' : null;
    const protocol = r.appProto
      ? (APP_PROTOCOLS[r.appProto] ?? (r.appProto === 'failed' ? null : r.appProto))
      : null;
    const answered = r.pktsToClient > 0;
    const established =
      transport === 'tcp'
        ? r.tcpFlagsToClient !== null && (r.tcpFlagsToClient & (SYN | ACK)) === (SYN | ACK)
        : answered;
    const start = seconds(r.start);
    const end = seconds(r.end);
    if (isLoggedHostAddress(r.srcIp) && r.pktsToServer > 0) {
      const client = this.hosts.ip(r.srcIp);
      client.talked = true;
      client.seen(start);
      client.seen(end);
      if (protocol && established) client.protocols.add(protocol);
    }
    if (isLoggedHostAddress(r.destIp) && answered && r.destPort !== null) {
      const server = this.hosts.ip(r.destIp);
      server.talked = true;
      server.seen(start);
      server.seen(end);
      const offers =
        transport === 'tcp' ? established : transport === 'udp' && (protocol !== null || r.destPort < 1024);
      if (offers) {
        const e = ev(
          transport === 'tcp'
            ? `flow ${r.state ?? ''}: SYN-ACK, ${r.destPort}/tcp is listening`
            : `flow: ${r.destPort}/udp answered`,
          r.start,
        );
        server.service(
          r.destPort,
          transport === 'udp' ? 'udp' : 'tcp',
          {
            ...(protocol ? { protocol } : {}),
            ...(protocol && ENCRYPTED.has(protocol) ? { encrypted: true } : {}),
          },
          e,
        );
        if (transport === 'tcp' && (protocol === 'telnet' || protocol === 'ftp')) {
          server.service(r.destPort, 'tcp', { encrypted: false }, e);
          this.finding(
            'insecure-protocol',
            r.destIp,
            `${protocol}:${r.destPort}`,
            { ...e, summary: `${protocol.toUpperCase()} in use (cleartext)` },
            { protocol, port: r.destPort },
          );
        }
      }
    }
    if (transport) {
      this.flowTable.add({
        client: r.srcIp,
        server: r.destIp,
        port: transport === 'icmp' ? 0 : (r.destPort ?? 0),
        transport,
        protocol,
        packets: r.pktsToServer + r.pktsToClient,
        bytes: r.bytesToServer + r.bytesToClient,
        firstSeen: r.start,
        lastSeen: r.end,
        established,
        evidence: ev(`flow ${r.state ?? ''}`.trim(), r.start),
      });
    }
  }

  private dhcp(r: EveDhcp, ev: (s: string) => Evidence): void {
    loggedDhcp(this.hosts, {
      server: r.type === 'reply' && r.srcPort === 67 ? r.srcIp : null,
      clientMac: r.clientMac,
      hostname: r.hostname,
      vendorClass: r.vendorClass,
      address: r.type === 'reply' && r.dhcpType === 'ack' ? r.assignedIp : r.clientIp,
      time: seconds(r.ts),
      evidence: ev(`DHCP ${r.dhcpType ?? r.type ?? 'message'}`),
    });
  }

  private dns(r: EveDns): void {
    if (!r.isAnswer || (r.rcode !== null && r.rcode !== 'NOERROR')) return;
    const protocol = r.destPort === 5353 ? 'mdns' : r.destPort === 5355 ? 'llmnr' : 'dns';
    if (isLoggedHostAddress(r.destIp)) {
      const responder = this.hosts.ip(r.destIp);
      responder.talked = true;
      responder.seen(seconds(r.ts));
      responder.protocols.add(protocol);
    }
    for (const a of r.answers) {
      if (a.type === 'A' || a.type === 'AAAA') {
        const ip = looksLikeIp(a.data) ? canonicalIp(a.data) : null;
        // An answer carries its own owner name (after a CNAME, the target's); grouped answers only the query.
        if (ip && isLoggedHostAddress(ip) && a.name) this.hosts.ip(ip).addHostname(a.name);
      } else if (a.type === 'PTR') {
        const address = reverseAddress(a.name || r.query || '');
        if (address && isLoggedHostAddress(address) && !looksLikeIp(a.data))
          this.hosts.ip(address).addHostname(a.data);
      }
    }
  }

  private http(r: EveHttp, ev: (s: string) => Evidence): void {
    loggedHttp(this.hosts, {
      client: r.srcIp,
      server: r.destIp,
      port: r.destPort ?? 80,
      time: seconds(r.ts),
      userAgent: r.userAgent,
      credentials: r.credentials ? 'HTTP authorization sent in cleartext' : null,
      status: r.status,
      serverHeader: r.server,
      path: r.path,
      contentTypes: r.contentType ? [r.contentType] : [],
      ev,
    });
  }

  private tls(r: EveTls, ev: (s: string) => Evidence): void {
    if (!isLoggedHostAddress(r.destIp) || r.destPort === null) return;
    const port = r.destPort;
    const server = this.hosts.ip(r.destIp);
    if (r.sni) server.addHint('tls.sni', r.sni, ev('TLS ClientHello SNI'));
    const v =
      r.version && r.version !== 'UNDETERMINED'
        ? (TLS_VERSIONS[r.version] ?? { display: r.version })
        : undefined;
    server.talked = true;
    server.seen(seconds(r.ts));
    server.service(
      port,
      'tcp',
      { protocol: 'tls', encrypted: true, ...(v ? { version: v.display } : {}) },
      ev(`TLS ${v?.display ?? 'handshake'}`),
    );
    if (v?.weak) {
      this.finding('weak-tls', r.destIp, `tls:${port}:${v.weak}`, ev(`${v.display} negotiated`), {
        protocol: 'tls',
        port,
        version: v.display,
      });
    }
    if (!r.subject) return;
    const subject = rfc4514(r.subject);
    const issuer = r.issuer ? rfc4514(r.issuer) : '';
    server.addHint('tls.certSubject', subject, ev('TLS certificate'));
    if (issuer) server.addHint('tls.certIssuer', issuer, ev('TLS certificate'));
    const problems = certificateProblems(
      {
        version: 3,
        serial: r.serial ?? '',
        signatureAlgorithm: '',
        issuer: { dn: issuer },
        subject: { dn: subject },
        notBefore: r.notBefore ?? '',
        notAfter: r.notAfter ?? '',
        publicKey: { algorithm: '', type: 'unknown' },
        selfSigned: subject === issuer,
        subjectAltNames: { dns: [], ip: [], email: [], uri: [] },
        sha256: '',
      },
      Date.parse(r.ts),
    );
    if (problems.length === 0) return;
    const cn = /(?:^|,)CN=([^,]*)/.exec(subject)?.[1];
    this.finding(
      'certificate-problem',
      r.destIp,
      `cert:${port}`,
      ev(`certificate ${cn ?? subject}: ${problems.join(', ')}`),
      { protocol: 'tls', port, problems, expired: problems.includes('expired') },
    );
  }

  private alert(r: EveAlert, ev: (s: string) => Evidence): void {
    const ip = r.targetIp ?? r.destIp;
    if (!isLoggedHostAddress(ip)) return;
    this.hosts
      .ip(ip)
      .addHint(
        'suricata.alert',
        `${r.signatureId} ${r.signature}`.trim(),
        ev(`Suricata alert ${r.signatureId}`),
      );
  }
  private ftp(r: EveFtp, ev: (s: string) => Evidence): void {
    if (!isLoggedHostAddress(r.destIp) || r.destPort === null) return;
    const port = r.destPort;
    const flow = r.flowId;
    const server = this.hosts.ip(r.destIp);
    server.talked = true;
    server.seen(seconds(r.ts));
    server.protocols.add('ftp');
    if (isLoggedHostAddress(r.srcIp)) this.hosts.ip(r.srcIp).protocols.add('ftp');
    if (r.greeting !== null) {
      const p = ftpProduct(r.greeting);
      server.addHint('ftp.banner', r.greeting, ev('FTP banner'));
      server.service(
        port,
        'tcp',
        { protocol: 'ftp', encrypted: false, product: p.product ?? null, version: p.version ?? null },
        ev('FTP banner'),
      );
    } else if (r.replyCodes.length > 0) {
      server.service(port, 'tcp', { protocol: 'ftp', encrypted: false }, ev('FTP server answered'));
    }
    if (r.command === 'USER' && flow !== null) {
      if (r.anonymousUser) firstTime(this.anonymousFtp, flow);
      else this.anonymousFtp.delete(flow);
    }
    // A password sent: a login in cleartext, anonymous ones included (the capture dissector's rule).
    // `insecure-protocol` comes from the flow event, once per connection, as for Telnet.
    if (r.command === 'PASS' && (flow === null || firstTime(this.ftpLogins, flow))) {
      const anonymous = flow !== null && this.anonymousFtp.has(flow);
      this.finding(
        'cleartext-credentials',
        r.destIp,
        `ftp:${port}`,
        ev(`FTP ${anonymous ? 'anonymous ' : ''}login sent in cleartext`),
        { protocol: 'ftp', port, anonymous },
      );
    }
    // A documented default login (matched by the reader while the password was in memory), unless refused.
    if (r.command === 'PASS' && r.defaultCredential !== null && !r.replyCodes.includes(530)) {
      const f = defaultCredentialFinding(r.defaultCredential, {
        protocol: 'ftp',
        ip: r.destIp,
        port,
        evidence: ev('FTP login'),
        outcome: r.replyCodes.includes(230) ? 'accepted' : 'not refused',
      });
      if (f) this.hosts.finding(f);
    }
    if (
      (r.command === 'USER' || r.command === 'PASS') &&
      r.replyCodes.includes(530) &&
      isLoggedHostAddress(r.srcIp)
    )
      this.failedLogins.refused('ftp', r.srcIp, r.destIp, port, ev('FTP login refused (530)'));
  }

  private ssh(r: EveSsh, ev: (s: string) => Evidence): void {
    if (r.destPort === null) return;
    loggedSsh(this.hosts, {
      client: r.srcIp,
      server: r.destIp,
      port: r.destPort,
      time: seconds(r.ts),
      clientBanner: r.clientBanner,
      serverBanner: r.serverBanner,
      ev,
    });
  }

  private snmp(r: EveSnmp, ev: (s: string) => Evidence): void {
    if (r.version === null) return;
    // EVE logs each PDU with its own direction: the agent is the side on port 161.
    const response = r.srcPort === 161 && r.pduType === 'response';
    if (!response && r.destPort !== 161) return;
    const agentIp = response ? r.srcIp : r.destIp;
    if (!isLoggedHostAddress(agentIp)) return;
    const agent = this.hosts.ip(agentIp);
    agent.protocols.add('snmp');
    if (response) {
      agent.talked = true;
      agent.seen(seconds(r.ts));
      agent.service(
        161,
        'udp',
        { protocol: 'snmp', version: r.version, encrypted: r.version === 'v3' ? null : false },
        ev(`SNMP ${r.version} response`),
      );
      return;
    }
    if (r.communitySent)
      loggedSnmpCommunity(this.hosts, {
        agent: agentIp,
        port: 161,
        version: r.version,
        defaultCommunity: r.defaultCommunity,
        ev,
      });
  }

  private mqtt(r: EveMqtt, ev: (s: string) => Evidence): void {
    // A broker's message to a subscriber is logged from the broker: its port is then the source port.
    const fromBroker =
      r.srcPort !== null && MQTT_BROKER_PORTS.has(r.srcPort) && !MQTT_BROKER_PORTS.has(r.destPort ?? -1);
    const broker = fromBroker ? r.srcIp : r.destIp;
    const client = fromBroker ? r.destIp : r.srcIp;
    const port = (fromBroker ? r.srcPort : r.destPort) ?? 1883;
    if (!isLoggedHostAddress(broker)) return;
    const server = this.hosts.ip(broker);
    server.protocols.add('mqtt');
    const c = r.connect;
    if (c && !fromBroker) {
      if (isLoggedHostAddress(client)) {
        const h = this.hosts.ip(client);
        h.protocols.add('mqtt');
        if (c.clientId) h.addHint('mqtt.clientId', c.clientId, ev('MQTT CONNECT client identifier'));
      }
      if (c.passwordSent)
        this.finding(
          'cleartext-credentials',
          broker,
          `mqtt:${port}`,
          ev(`MQTT${c.version ? ` ${c.version}` : ''} CONNECT with user name and password in cleartext`),
          { protocol: 'mqtt', port, usernameSent: c.usernameSent, passwordSent: true },
        );
    }
    if (r.connackCode !== null) {
      server.talked = true;
      server.seen(seconds(r.ts));
      server.service(port, 'tcp', { protocol: 'mqtt', encrypted: false }, ev('MQTT server answered'));
      this.finding('insecure-protocol', broker, `mqtt:${port}`, ev('MQTT in use (cleartext)'), {
        protocol: 'mqtt',
        port,
      });
      const refused = isMqttLoginRefused(r.connackCode);
      if (refused && c && (c.usernameSent || c.passwordSent) && isLoggedHostAddress(client))
        this.failedLogins.refused('mqtt', client, broker, port, ev(`MQTT CONNACK ${r.connackCode}`));
    }
    // A documented default login, unless the broker refused it (any CONNACK but 0; none logged: not refused).
    if (r.defaultCredential !== null && (r.connackCode === null || r.connackCode === 0)) {
      const f = defaultCredentialFinding(r.defaultCredential, {
        protocol: 'mqtt',
        ip: broker,
        port,
        evidence: ev('MQTT CONNECT'),
        outcome: r.connackCode === 0 ? 'accepted' : 'not refused',
      });
      if (f) this.hosts.finding(f);
    }
    const p = r.publish;
    if (p?.patientData) {
      const sender = fromBroker ? broker : client;
      if (isLoggedHostAddress(sender))
        this.hosts.finding(
          payloadPhiFinding(
            sender,
            `mqtt:${port}`,
            p.patientData,
            ev,
            `MQTT PUBLISH to ${p.topic.slice(0, 100)}`,
            {
              protocol: 'mqtt',
              port,
              topic: p.topic,
            },
          ),
        );
    }
  }

  private smb(r: EveSmb, ev: (s: string) => Evidence): void {
    // Suricata logs each SMB transaction with the client as source, whatever the packet direction.
    if (!isLoggedHostAddress(r.destIp) || r.destPort === null) return;
    const server = this.hosts.ip(r.destIp);
    if (r.negotiated && r.dialect !== null) {
      server.talked = true;
      server.seen(seconds(r.ts));
      negotiatedSmb(this.hosts, server, {
        ip: r.destIp,
        port: r.destPort,
        dialect: r.dialect,
        smb1: r.smb1,
        ev,
      });
    }
    if (r.serverOs) server.addHint('smb.os', r.serverOs, ev('SMB session setup'));
    if (r.clientOs && isLoggedHostAddress(r.srcIp))
      this.hosts.ip(r.srcIp).addHint('smb.os', r.clientOs, ev('SMB session setup'));
  }
}

/** Reads EVE files (one sensor's) to the end and returns what they showed. */
export async function analyzeEve(sources: LogSource[]): Promise<EveAnalysis> {
  const analyzer = new EveAnalyzer();
  const { issues, logs, records } = await readLogSources(
    sources,
    (file) => new EveReader(file, { credentialCheck: checkDefaultCredential }),
    (record, file, line) => analyzer.record(record, file, line),
    (base) => base,
  );
  return { ...analyzer.finish(), issues, stats: { logs, records, flowsDropped: analyzer.flowsDropped() } };
}

/** An EVE file (plain or gzip). */
export async function analyzeEvePath(path: string): Promise<EveAnalysis> {
  const r = readLogLines(path);
  return analyzeEve([{ file: basename(path), lines: r.lines, sha256: r.sha256 }]);
}
