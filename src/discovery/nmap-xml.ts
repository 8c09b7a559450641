/**
 * @module nmap XML import: `nmap -oX` output (with -sV service and -O OS detection, and the NSE scripts
 * banner, ssl-cert, ssl-enum-ciphers, sslv2, http-title, http-server-header, ftp-anon, snmp-sysdescr,
 * smb-os-discovery, smb-protocols, dicom-ping) → hosts, services, fingerprint hints and findings.
 *
 * Pure: text or bytes in, a SourceResult out; no I/O. The parser streams (saxes), so a scan of a /16 is
 * read host by host and only script outputs Vigil uses are kept, each capped in size. Entities are not
 * expanded beyond XML's own, so a document that declares external entities cannot read files.
 *
 * Bad input: the first XML error stops parsing. Hosts completed before it are returned with an `issues`
 * entry naming the file, line and column; when not one host could be read the whole file is refused
 * (VigilError invalid_input with the same issue). A `<port>` whose portid is not a port number 1–65535
 * is left out with an issue naming the file and line; the rest of the file is imported.
 *
 * Never copied into the result: script output other than banners, titles, server headers, sysDescr and
 * certificate subjects; nmap's `extrainfo` for SNMP (it holds the community string that answered).
 * @see https://nmap.org/book/nmap-dtd.html (nmap.dtd, XML output version 1.05)
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { type InputIssue, VigilError } from '../errors.js';
import { utf8Prefix } from '../formats/utf8.js';
import { normaliseIp, normaliseMac } from '../inventory/identity.js';
import { isStorableEpochSeconds } from '../time-range.js';
import { dicomAnyAeTitleFinding, isAnyAeTitlePing } from './dicom-any-ae.js';
import { fingerprintHost } from './fingerprint.js';
import type {
  Evidence,
  FindingObservation,
  HostObservation,
  ServiceObservation,
  SourceResult,
  Transport,
} from './host-observation.js';

export interface NmapImportOptions {
  /** File name shown in evidence and issues (base name). */
  file: string;
  /** Run fingerprintHost on each host (default true). */
  fingerprint?: boolean;
}

export interface NmapScanInfo {
  scanner: string;
  version: string | null;
  /** The nmap command line, as nmap recorded it. */
  args: string | null;
  start: string | null;
  finished: string | null;
}

export interface NmapImportResult extends SourceResult {
  issues: InputIssue[];
  scan: NmapScanInfo;
}

// ---------------------------------------------------------------------------------------------------
// Vocabulary

/**
 * nmap service names (nmap-services, nmap-service-probes) → Vigil's lower-case protocol names.
 * `encrypted` marks names that mean TLS/SSH by themselves.
 */
const PROTOCOLS: Record<string, { protocol: string; encrypted?: boolean }> = {
  http: { protocol: 'http' },
  'http-alt': { protocol: 'http' },
  'http-proxy': { protocol: 'http' },
  'http-mgmt': { protocol: 'http' },
  https: { protocol: 'http', encrypted: true },
  'https-alt': { protocol: 'http', encrypted: true },
  ssl: { protocol: 'tls', encrypted: true },
  tls: { protocol: 'tls', encrypted: true },
  dicom: { protocol: 'dicom' },
  'acr-nema': { protocol: 'dicom' },
  'dicom-tls': { protocol: 'dicom', encrypted: true },
  'dicom-iscl': { protocol: 'dicom', encrypted: true },
  hl7: { protocol: 'hl7' },
  'hl7-mlp': { protocol: 'hl7' },
  ssh: { protocol: 'ssh', encrypted: true },
  telnet: { protocol: 'telnet' },
  telnets: { protocol: 'telnet', encrypted: true },
  ftp: { protocol: 'ftp' },
  'ftp-data': { protocol: 'ftp' },
  ftps: { protocol: 'ftp', encrypted: true },
  'microsoft-ds': { protocol: 'smb' },
  'netbios-ssn': { protocol: 'smb' },
  smb: { protocol: 'smb' },
  snmp: { protocol: 'snmp' },
  snmptrap: { protocol: 'snmp' },
  domain: { protocol: 'dns' },
  mdns: { protocol: 'mdns' },
  zeroconf: { protocol: 'mdns' },
  llmnr: { protocol: 'llmnr' },
  dhcps: { protocol: 'dhcp' },
  dhcpc: { protocol: 'dhcp' },
  bootps: { protocol: 'dhcp' },
  bootpc: { protocol: 'dhcp' },
  mqtt: { protocol: 'mqtt' },
  'secure-mqtt': { protocol: 'mqtt', encrypted: true },
  'ms-wbt-server': { protocol: 'rdp' },
  vnc: { protocol: 'vnc' },
  ntp: { protocol: 'ntp' },
  ldap: { protocol: 'ldap' },
  ldaps: { protocol: 'ldap', encrypted: true },
  smtp: { protocol: 'smtp' },
  submission: { protocol: 'smtp' },
  imap: { protocol: 'imap' },
  imaps: { protocol: 'imap', encrypted: true },
  pop3: { protocol: 'pop3' },
  pop3s: { protocol: 'pop3', encrypted: true },
  msrpc: { protocol: 'msrpc' },
  'ms-sql-s': { protocol: 'mssql' },
  mysql: { protocol: 'mysql' },
  postgresql: { protocol: 'postgresql' },
  rtsp: { protocol: 'rtsp' },
  sip: { protocol: 'sip' },
  'sip-tls': { protocol: 'sip', encrypted: true },
  syslog: { protocol: 'syslog' },
  tftp: { protocol: 'tftp' },
  ipp: { protocol: 'ipp' },
  jetdirect: { protocol: 'jetdirect' },
  mbap: { protocol: 'modbus' },
  'kerberos-sec': { protocol: 'kerberos' },
  upnp: { protocol: 'ssdp' },
};

/** Names nmap gives when it knows nothing: not a protocol. */
const NO_PROTOCOL = new Set(['unknown', 'tcpwrapped']);

/** nmap osfamily values → the names Vigil shows. */
const OS_FAMILY: Record<string, string> = { 'Mac OS X': 'macOS', 'OS X': 'macOS', IOS: 'Cisco IOS' };

/** Page titles of management interfaces (login pages, device configuration, admin consoles). */
const ADMIN_TITLE =
  /\b(admin|administration|administrator|login|log ?in|sign ?in|management|manager|configuration|config|setup|settings|control panel|dashboard|console|explorer|web ?ui)\b/i;

/** Cipher suites the issue lists as weak: export, NULL, RC4, (3)DES, anonymous, and MD5-MAC relics. */
const WEAK_CIPHER = /(_EXPORT|_NULL_|_WITH_NULL|_RC4_|_3DES_|_DES_|_DES40_|_RC2_|_anon_|_IDEA_)/i;
const WEAK_TLS_VERSIONS = new Set(['SSLv2', 'SSLv3', 'TLSv1.0', 'TLSv1.1']);

/** Script outputs Vigil reads (others are dropped on sight). Structured = keep `<elem>`/`<table>` content. */
const SCRIPTS_KEPT = new Set([
  'banner',
  'http-title',
  'http-server-header',
  'http-auth',
  'ftp-anon',
  'snmp-sysdescr',
  'smb-os-discovery',
  'smb-protocols',
  'dicom-ping',
  'sslv2',
  'ssl-cert',
  'ssl-enum-ciphers',
]);
const SCRIPTS_STRUCTURED = new Set([
  'ssl-cert',
  'ssl-enum-ciphers',
  'smb-os-discovery',
  'smb-protocols',
  'dicom-ping',
]);
/** Elements of ssl-cert never kept: key material and fingerprints are not identity and can be large. */
const SSL_CERT_DROPPED = new Set(['pem', 'modulus', 'exponent', 'md5', 'sha1', 'sha256']);

const MAX_TEXT = 4096;
const MAX_ELEMS_PER_SCRIPT = 500;

// ---------------------------------------------------------------------------------------------------
// Parse state

interface ScriptElem {
  /** Keys of the enclosing tables and of the elem itself; '' for unkeyed ones. */
  path: string[];
  value: string;
}

interface ScriptOut {
  id: string;
  output: string;
  elems: ScriptElem[];
}

interface PortBuild {
  transport: string;
  port: number;
  state: string | null;
  service: Record<string, string> | null;
  cpes: string[];
  scripts: ScriptOut[];
}

interface OsClassBuild {
  attrs: Record<string, string>;
  cpes: string[];
}

interface OsMatchBuild {
  name: string;
  accuracy: number;
  classes: OsClassBuild[];
}

interface HostBuild {
  startLine: number;
  status: string | null;
  start: string | null;
  end: string | null;
  ipv4: string[];
  ipv6: string[];
  macs: { addr: string; vendor: string | null }[];
  hostnames: string[];
  ports: PortBuild[];
  osMatches: OsMatchBuild[];
  /** XML output before 1.04 puts <osclass> beside <osmatch>, not inside it. */
  looseOsClasses: OsClassBuild[];
  hostScripts: ScriptOut[];
}

/** Epoch seconds as ISO-8601; missing, zero or outside 1970–9999 (see time-range.ts) is unknown. */
const unixToIso = (s: string | undefined): string | null => {
  const n = s === undefined ? Number.NaN : Number(s);
  return n > 0 && isStorableEpochSeconds(n) ? new Date(n * 1000).toISOString() : null;
};

const cap = (s: string, n = MAX_TEXT) => (s.length > n ? s.slice(0, n) : s);

// ---------------------------------------------------------------------------------------------------
// Reader

/**
 * Incremental reader: `write` chunks as they arrive (text or UTF-8 bytes), then `end()`. For one-shot use
 * see parseNmapXml; for streams, readNmapXml.
 */
export class NmapXmlReader {
  private readonly parser: SaxesParser;
  private readonly decoder = new TextDecoder('utf-8');
  /** Bytes handed to the parser so far, and the start of a character the last chunk cut in two. */
  private bytesRead = 0;
  private pending: Uint8Array = new Uint8Array(0);
  private readonly hosts: HostObservation[] = [];
  private readonly findings: FindingObservation[] = [];
  private readonly issues: InputIssue[] = [];
  private readonly scan: NmapScanInfo = {
    scanner: 'nmap',
    version: null,
    args: null,
    start: null,
    finished: null,
  };
  private failed = false;
  private sawRoot = false;
  private ended = false;
  /** Depth inside an element whose content is ignored (hosthint, unkept scripts …); 0 = not skipping. */
  private skipDepth = 0;
  private host: HostBuild | null = null;
  private port: PortBuild | null = null;
  private osMatch: OsMatchBuild | null = null;
  private osClass: OsClassBuild | null = null;
  private script: ScriptOut | null = null;
  private tablePath: string[] = [];
  private text: string | null = null;
  private textTarget: 'service-cpe' | 'osclass-cpe' | 'elem' | null = null;
  private elemKey = '';
  /** When this file was read: the date of hosts in a scan that carries no time at all. */
  private readonly importedAt = new Date().toISOString();

  constructor(private readonly opts: NmapImportOptions) {
    this.parser = new SaxesParser({ position: true });
    this.parser.on('error', (err) => this.fail(err.message));
    this.parser.on('opentag', (tag) => this.open(tag));
    this.parser.on('closetag', (tag) => this.close(tag.name));
    this.parser.on('text', (t) => {
      if (this.text !== null && this.skipDepth === 0) this.text = cap(this.text + t);
    });
  }

  write(chunk: string | Uint8Array): this {
    if (this.failed || this.ended) return this;
    if (typeof chunk === 'string') {
      if (chunk) this.parser.write(chunk);
      return this;
    }
    // XML in UTF-8 must be well-formed UTF-8: a damaged byte would otherwise become U+FFFD inside an
    // address or a product name and be stored as if nmap had reported it.
    const bytes = this.pending.length ? concatBytes(this.pending, chunk) : chunk;
    const { valid, incomplete } = utf8Prefix(bytes);
    if (valid > 0) this.parser.write(this.decoder.decode(bytes.subarray(0, valid)));
    this.bytesRead += valid;
    this.pending = new Uint8Array(0);
    if (valid < bytes.length && !this.failed) {
      if (incomplete) this.pending = bytes.slice(valid);
      else this.notUtf8(bytes[valid]!);
    }
    return this;
  }

  /** The byte at `bytesRead` is not UTF-8: the document ends there, as at any XML well-formedness error. */
  private notUtf8(byte: number | null): void {
    const what =
      byte === null
        ? 'the file ends inside a UTF-8 character'
        : `byte 0x${byte.toString(16).padStart(2, '0')} is not UTF-8`;
    this.fail(`${what}: nothing from here on is read`, this.bytesRead);
  }

  end(): NmapImportResult {
    if (!this.ended) {
      this.ended = true;
      if (!this.failed && this.pending.length) this.notUtf8(null);
      if (!this.failed) this.parser.close();
      if (!this.failed && !this.sawRoot) this.fail('empty document: no <nmaprun> element');
    }
    if (this.failed && this.hosts.length === 0) {
      throw new VigilError('invalid_input', `${this.opts.file} is not readable nmap XML output`, {
        issues: this.issues,
      });
    }
    // Hosts without their own times take the scan's (nmap omits starttime on some host records). A file
    // with no time at all (a hand-edited or damaged one) dates them by this import, and says so: an
    // empty time would sort before every real one and blank the device's first-seen date in the store.
    let undated = false;
    for (const h of this.hosts) {
      if (!h.firstSeen && this.scan.start === null && this.scan.finished === null) undated = true;
      h.firstSeen ||= this.scan.start ?? this.scan.finished ?? this.importedAt;
      h.lastSeen ||= this.scan.finished ?? h.firstSeen;
    }
    if (undated) {
      this.issues.push({
        file: this.opts.file,
        reason: 'the scan carries no start or end time: hosts without their own are dated by this import',
      });
    }
    const hosts = this.opts.fingerprint === false ? this.hosts : this.hosts.map((h) => fingerprintHost(h));
    return { hosts, findings: this.findings, issues: this.issues, scan: this.scan };
  }

  /** `byteOffset`: where the damage is, when known in bytes (saxes counts characters). */
  private fail(message: string, byteOffset?: number): void {
    if (this.failed) return;
    this.failed = true;
    // saxes prefixes "line:column: "; keep the reason, report the position as fields.
    const reason = message.replace(/^[^:]*?\d+:\d+: /, '');
    const issue: InputIssue = {
      file: this.opts.file,
      line: this.parser.line,
      offset: byteOffset ?? this.parser.position,
      reason: byteOffset === undefined ? `${reason} (column ${this.parser.column + 1})` : reason,
    };
    this.issues.push(issue);
    if (this.host) {
      this.issues.push({
        file: this.opts.file,
        line: this.host.startLine,
        reason: 'the host record starting here was cut off and is not imported',
      });
      this.host = null;
    }
  }

  private open(tag: SaxesTagPlain): void {
    if (this.failed) return;
    if (this.skipDepth > 0) {
      this.skipDepth++;
      return;
    }
    const a = tag.attributes as Record<string, string>;
    if (!this.sawRoot) {
      this.sawRoot = true;
      if (tag.name !== 'nmaprun') {
        this.fail(`not nmap XML output: the root element is <${tag.name}>, not <nmaprun>`);
        return;
      }
      this.scan.scanner = a.scanner ?? 'nmap';
      this.scan.version = a.version ?? null;
      this.scan.args = a.args ?? null;
      this.scan.start = unixToIso(a.start);
      return;
    }
    const host = this.host;
    switch (tag.name) {
      case 'hosthint':
        this.skipDepth = 1;
        return;
      case 'finished':
        this.scan.finished = unixToIso(a.time);
        return;
      case 'host':
        this.host = {
          startLine: this.parser.line,
          status: null,
          start: unixToIso(a.starttime),
          end: unixToIso(a.endtime),
          ipv4: [],
          ipv6: [],
          macs: [],
          hostnames: [],
          ports: [],
          osMatches: [],
          looseOsClasses: [],
          hostScripts: [],
        };
        return;
    }
    if (!host) return;
    switch (tag.name) {
      case 'status':
        if (!this.port) host.status = a.state ?? null;
        return;
      case 'address': {
        const addr = a.addr?.trim();
        if (!addr) return;
        if (a.addrtype === 'mac')
          host.macs.push({ addr: normaliseMac(addr) ?? addr.toLowerCase(), vendor: a.vendor ?? null });
        else (a.addrtype === 'ipv6' ? host.ipv6 : host.ipv4).push(normaliseIp(addr) ?? addr.toLowerCase());
        return;
      }
      case 'hostname':
        if (a.name && !host.hostnames.includes(a.name.toLowerCase()))
          host.hostnames.push(a.name.toLowerCase());
        return;
      case 'port': {
        const port = Number(a.portid);
        if (!Number.isInteger(port) || port < 1 || port > 65_535) {
          // A damaged file: say so rather than drop the port unseen; the rest of the scan still counts.
          this.issues.push({
            file: this.opts.file,
            line: this.parser.line,
            reason: `<port portid="${cap(a.portid ?? '', 20)}"> is not a port number 1–65535: this port is not imported`,
          });
          this.skipDepth = 1;
          return;
        }
        this.port = {
          transport: a.protocol ?? 'tcp',
          port,
          state: null,
          service: null,
          cpes: [],
          scripts: [],
        };
        return;
      }
      case 'state':
        if (this.port) this.port.state = a.state ?? null;
        return;
      case 'service':
        if (this.port) this.port.service = { ...a };
        return;
      case 'osmatch':
        this.osMatch = { name: a.name ?? '', accuracy: Number(a.accuracy) || 0, classes: [] };
        return;
      case 'osclass':
        this.osClass = { attrs: { ...a }, cpes: [] };
        (this.osMatch ? this.osMatch.classes : host.looseOsClasses).push(this.osClass);
        return;
      case 'cpe':
        if (this.script) return;
        this.text = '';
        this.textTarget = this.osClass ? 'osclass-cpe' : this.port ? 'service-cpe' : null;
        return;
      case 'script': {
        const id = a.id ?? '';
        if (!SCRIPTS_KEPT.has(id)) {
          this.skipDepth = 1;
          return;
        }
        this.script = { id, output: cap(a.output ?? ''), elems: [] };
        this.tablePath = [];
        if (!SCRIPTS_STRUCTURED.has(id)) this.skipDepth = 1;
        return;
      }
      case 'table':
        if (this.script) this.tablePath.push(a.key ?? '');
        return;
      case 'elem':
        if (this.script) {
          this.elemKey = a.key ?? '';
          this.text = '';
          this.textTarget = 'elem';
        }
        return;
    }
  }

  private close(name: string): void {
    if (this.failed) return;
    if (this.skipDepth > 0) {
      this.skipDepth--;
      // A skipped kept script (unstructured) still ends here and must be stored.
      if (this.skipDepth === 0 && name === 'script') this.endScript();
      return;
    }
    const host = this.host;
    switch (name) {
      case 'host':
        if (host) this.finishHost(host);
        this.host = null;
        return;
      case 'port':
        if (host && this.port) host.ports.push(this.port);
        this.port = null;
        return;
      case 'osmatch':
        if (host && this.osMatch) host.osMatches.push(this.osMatch);
        this.osMatch = null;
        return;
      case 'osclass':
        this.osClass = null;
        return;
      case 'cpe': {
        const v = this.text?.trim();
        if (v && this.textTarget === 'service-cpe') this.port?.cpes.push(v);
        if (v && this.textTarget === 'osclass-cpe') this.osClass?.cpes.push(v);
        this.text = null;
        this.textTarget = null;
        return;
      }
      case 'script':
        this.endScript();
        return;
      case 'table':
        if (this.script) this.tablePath.pop();
        return;
      case 'elem':
        if (this.script && this.textTarget === 'elem') {
          const path = [...this.tablePath, this.elemKey];
          const dropped = this.script.id === 'ssl-cert' && path.some((k) => SSL_CERT_DROPPED.has(k));
          if (!dropped && this.script.elems.length < MAX_ELEMS_PER_SCRIPT)
            this.script.elems.push({ path, value: (this.text ?? '').trim() });
        }
        this.text = null;
        this.textTarget = null;
        return;
    }
  }

  private endScript(): void {
    const s = this.script;
    this.script = null;
    this.tablePath = [];
    if (!s || !this.host) return;
    if (this.port) this.port.scripts.push(s);
    else this.host.hostScripts.push(s);
  }

  // -------------------------------------------------------------------------------------------------
  // Host → observation

  private finishHost(h: HostBuild): void {
    if (h.status !== 'up') return;
    const file = this.opts.file;
    const time = h.start ?? this.scan.start ?? undefined;
    const addr = h.ipv4[0] ?? h.ipv6[0] ?? h.macs[0]?.addr ?? '?';
    const hostEvidence = (summary: string): Evidence => ({
      source: 'scanner',
      file,
      ...(time ? { time } : {}),
      summary,
    });
    const obs: HostObservation = {
      macs: h.macs.map((m) => m.addr),
      ips: [...h.ipv4, ...h.ipv6],
      hostnames: h.hostnames,
      firstSeen: h.start ?? '',
      lastSeen: h.end ?? h.start ?? '',
      services: [],
      protocols: [],
      identity: {},
      hints: [],
    };
    const hint = (kind: string, value: string | null | undefined, evidence: Evidence) => {
      const v = value?.trim();
      if (v && !obs.hints.some((x) => x.kind === kind && x.value === v))
        obs.hints.push({ kind, value: cap(v, 500), evidence });
    };
    const findingHost = {
      ...((h.ipv4[0] ?? h.ipv6[0]) ? { ip: h.ipv4[0] ?? h.ipv6[0] } : {}),
      ...(h.macs[0] ? { mac: h.macs[0].addr } : {}),
    };
    const finding = (f: Omit<FindingObservation, 'host'>) => this.findings.push({ ...f, host: findingHost });

    for (const m of h.macs)
      if (m.vendor) hint('nmap.macVendor', m.vendor, hostEvidence(`nmap: MAC ${m.addr} vendor ${m.vendor}`));

    for (const p of h.ports) {
      if (p.state !== 'open') continue;
      const service = this.serviceOf(p, hostEvidence, addr);
      obs.services.push(service);
      if (service.protocol && !obs.protocols.includes(service.protocol)) obs.protocols.push(service.protocol);
      this.portHints(p, service, hint);
      this.portFindings(p, service, finding);
    }

    this.osIdentity(h, obs, hostEvidence, hint);
    for (const s of h.hostScripts) this.hostScript(s, h, obs, hostEvidence, hint, finding);
    this.hosts.push(obs);
  }

  private serviceOf(
    p: PortBuild,
    hostEvidence: (summary: string) => Evidence,
    addr: string,
  ): ServiceObservation {
    const svc = p.service ?? {};
    let name = (svc.name ?? '').toLowerCase();
    let product = svc.product?.trim() || null;
    let version = svc.version?.trim() || null;
    // nmap 7.93 names an MQTT broker after its $SYS/broker/version ("mosquitto version 2.0.11").
    const mosquitto = /^mosquitto(?: version ([\w.]+))?$/.exec(name);
    if (mosquitto) {
      name = 'mqtt';
      product ??= 'mosquitto';
      version ??= mosquitto[1] ?? null;
    }
    const known = PROTOCOLS[name];
    const probed = svc.method === 'probed';
    const protocol = known?.protocol ?? (probed && name && !NO_PROTOCOL.has(name) ? name : null);
    const tls = svc.tunnel === 'ssl';
    const encrypted = tls || known?.encrypted === true ? true : probed ? false : null;
    const transport: Transport = p.transport === 'udp' ? 'udp' : 'tcp';
    const what = [tls ? `ssl/${name || 'unknown'}` : name || 'unknown', product, version]
      .filter(Boolean)
      .join(' ');
    const extra = protocol === 'snmp' ? '' : safeExtra(svc.extrainfo);
    const guess = probed ? '' : ' (port-number guess)';
    const service: ServiceObservation = {
      port: p.port,
      transport,
      protocol,
      product,
      version,
      encrypted,
      evidence: hostEvidence(`nmap -sV: ${addr} ${p.port}/${transport} open ${what}${extra}${guess}`),
    };
    if (p.cpes.length > 0) service.cpes = [...p.cpes];
    return service;
  }

  private portHints(
    p: PortBuild,
    s: ServiceObservation,
    hint: (kind: string, value: string | null | undefined, e: Evidence) => void,
  ): void {
    const ev = (what: string): Evidence => ({
      ...s.evidence,
      summary: `nmap ${what} on ${s.port}/${s.transport}`,
    });
    const svc = p.service ?? {};
    hint('nmap.serviceOs', svc.ostype, ev(`service OS "${svc.ostype}"`));
    hint('nmap.deviceType', svc.devicetype, ev(`device type "${svc.devicetype}"`));
    for (const c of p.cpes) hint('cpe', c, ev(`service CPE ${c}`));
    for (const sc of p.scripts) {
      const out = sc.output.trim();
      switch (sc.id) {
        case 'banner': {
          const banner = decodeNmapBanner(out);
          if (!banner) break;
          const kind =
            s.protocol === 'ssh' || /^SSH-\d/.test(banner)
              ? 'ssh.banner'
              : s.protocol === 'ftp' && /^220[ -]/.test(banner)
                ? 'ftp.banner'
                : s.protocol === 'telnet'
                  ? 'telnet.banner'
                  : null;
          if (kind) hint(kind, banner.split('\n')[0], ev(`banner "${banner.split('\n')[0]}"`));
          break;
        }
        case 'http-server-header':
          for (const line of out.split('\n'))
            hint('http.server', line, ev(`HTTP Server header "${line.trim()}"`));
          break;
        case 'http-title':
          if (!/^(Site doesn't have a title|Did not follow redirect)/.test(out))
            hint('http.title', out.split('\n')[0], ev(`HTTP page title "${out.split('\n')[0]}"`));
          break;
        case 'ssl-cert': {
          const subject = certName(sc.elems, 'subject');
          const issuer = certName(sc.elems, 'issuer');
          hint('tls.certSubject', subject, ev(`TLS certificate subject ${subject}`));
          hint('tls.certIssuer', issuer, ev(`TLS certificate issuer ${issuer}`));
          break;
        }
        case 'snmp-sysdescr':
          hint('snmp.sysDescr', out.split('\n')[0], ev('SNMP sysDescr'));
          break;
        case 'dicom-ping': {
          const config = sc.elems.find((e) => e.path.at(-1) === 'config')?.value;
          hint('dicom.ping', config, ev(`dicom-ping "${config}"`));
          break;
        }
      }
    }
  }

  private portFindings(
    p: PortBuild,
    s: ServiceObservation,
    finding: (f: Omit<FindingObservation, 'host'>) => void,
  ): void {
    const at = `${s.port}/${s.transport}`;
    const ev = (summary: string): Evidence => ({ ...s.evidence, summary });
    const method = p.service?.method === 'probed' ? 'probed' : 'port-table';
    const script = (id: string) => p.scripts.find((x) => x.id === id);
    const ping = script('dicom-ping')?.elems.find((e) => e.path.at(-1) === 'config')?.value;
    if (isAnyAeTitlePing(ping)) {
      finding(
        dicomAnyAeTitleFinding({
          port: s.port,
          evidence: ev(
            `nmap dicom-ping: "${ping}" on ${at}: the SCP accepts an association whatever called AE title it is given`,
          ),
          detection: 'dicom-ping',
        }),
      );
    }
    if (s.protocol === 'telnet' && s.encrypted !== true) {
      finding({
        type: 'insecure-protocol',
        subject: `telnet:${s.port}`,
        evidence: ev(`nmap: Telnet open on ${at}: logins and sessions travel in cleartext`),
        details: { protocol: 'telnet', port: s.port, transport: s.transport, detection: method },
      });
    }
    if (s.protocol === 'ftp' && s.encrypted !== true) {
      const anon = /Anonymous FTP login allowed/i.test(script('ftp-anon')?.output ?? '');
      finding({
        type: 'insecure-protocol',
        subject: `ftp:${s.port}`,
        evidence: ev(
          `nmap: FTP open on ${at}${s.product ? ` (${s.product}${s.version ? ` ${s.version}` : ''})` : ''}: credentials and files travel in cleartext${anon ? '; anonymous login allowed' : ''}`,
        ),
        details: {
          protocol: 'ftp',
          port: s.port,
          transport: s.transport,
          detection: method,
          anonymousLogin: anon,
        },
      });
    }
    if (s.protocol === 'snmp') {
      // nmap's SNMP probe is an SNMPv1 get with a well-known community: a v1 product means it answered.
      const product = s.product ?? '';
      const v1 = /SNMPv1/i.test(product) || script('snmp-sysdescr') !== undefined;
      const v2c = /SNMPv2c?/i.test(product);
      if (v1 || v2c) {
        const versions = [v1 ? 'v1' : null, v2c ? 'v2c' : null].filter((v) => v !== null);
        finding({
          type: 'insecure-protocol',
          subject: `snmp:${s.port}`,
          evidence: ev(
            `nmap: SNMP${versions.join('/')} answered on ${at}: community-based SNMP sends its password in cleartext${v1 ? ', and a well-known default community was accepted' : ''}`,
          ),
          details: {
            protocol: 'snmp',
            port: s.port,
            transport: s.transport,
            versions,
            defaultCommunityAccepted: v1,
          },
        });
      }
    }
    if (s.protocol === 'http' && s.encrypted !== true) {
      const title = script('http-title')?.output.split('\n')[0]?.trim() ?? '';
      const auth = script('http-auth') !== undefined;
      if ((title && ADMIN_TITLE.test(title)) || auth) {
        finding({
          type: 'insecure-protocol',
          subject: `http-admin:${s.port}`,
          evidence: ev(
            `nmap: management web interface over plain HTTP on ${at}${title ? ` (title "${title}")` : ''}${auth ? ', asks for HTTP authentication' : ''}`,
          ),
          details: {
            protocol: 'http',
            port: s.port,
            transport: s.transport,
            ...(title ? { title } : {}),
            authentication: auth,
          },
        });
      }
    }
    this.tlsFindings(p, s, finding);
  }

  private tlsFindings(
    p: PortBuild,
    s: ServiceObservation,
    finding: (f: Omit<FindingObservation, 'host'>) => void,
  ): void {
    const at = `${s.port}/${s.transport}`;
    const ev = (summary: string): Evidence => ({ ...s.evidence, summary });
    for (const sc of p.scripts) {
      if (sc.id === 'sslv2' && /supports SSLv2/i.test(sc.output)) {
        finding({
          type: 'weak-tls',
          subject: `tls:${s.port}:SSLv2`,
          evidence: ev(`nmap sslv2: ${at} still accepts SSLv2`),
          details: { port: s.port, version: 'SSLv2' },
        });
      }
      if (sc.id === 'ssl-enum-ciphers') {
        const versions = [...new Set(sc.elems.map((e) => e.path[0] ?? ''))].filter((v) =>
          WEAK_TLS_VERSIONS.has(v),
        );
        for (const v of versions)
          finding({
            type: 'weak-tls',
            subject: `tls:${s.port}:${v}`,
            evidence: ev(`nmap ssl-enum-ciphers: ${at} accepts ${v}`),
            details: { port: s.port, version: v },
          });
        const weak = [
          ...new Set(
            sc.elems
              .filter((e) => e.path[1] === 'ciphers' && e.path.at(-1) === 'name' && WEAK_CIPHER.test(e.value))
              .map((e) => e.value),
          ),
        ].sort();
        if (weak.length > 0)
          finding({
            type: 'weak-tls',
            subject: `tls-cipher:${s.port}`,
            evidence: ev(`nmap ssl-enum-ciphers: ${at} accepts weak cipher suites ${weak.join(', ')}`),
            details: { port: s.port, ciphers: weak },
          });
      }
      if (sc.id === 'ssl-cert') {
        const problems = certProblems(sc.elems, s.evidence.time);
        if (problems.length > 0) {
          const get = (...path: string[]) => sc.elems.find((e) => e.path.join('/') === path.join('/'))?.value;
          const cn = get('subject', 'commonName');
          finding({
            type: 'certificate-problem',
            subject: `cert:${s.port}`,
            evidence: ev(
              `nmap ssl-cert: certificate on ${at}${cn ? ` (CN=${cn})` : ''}: ${problems.join(', ')}`,
            ),
            details: {
              port: s.port,
              problems,
              ...(cn ? { commonName: cn } : {}),
              ...(get('pubkey', 'bits') ? { keyBits: Number(get('pubkey', 'bits')) } : {}),
              ...(get('pubkey', 'type') ? { keyType: get('pubkey', 'type')! } : {}),
              ...(get('sig_algo') ? { signatureAlgorithm: get('sig_algo')! } : {}),
              ...(get('validity', 'notAfter') ? { notAfter: get('validity', 'notAfter')! } : {}),
            },
          });
        }
      }
    }
  }

  private osIdentity(
    h: HostBuild,
    obs: HostObservation,
    hostEvidence: (summary: string) => Evidence,
    hint: (kind: string, value: string | null | undefined, e: Evidence) => void,
  ): void {
    if (h.osMatches.length === 0) return;
    // nmap lists matches best first; keep that order among equal accuracies.
    let best = h.osMatches[0]!;
    for (const m of h.osMatches) if (m.accuracy > best.accuracy) best = m;
    for (const m of h.osMatches.slice(0, 3))
      hint(
        'nmap.os',
        `${m.name} (${m.accuracy}%)`,
        hostEvidence(`nmap -O: OS match "${m.name}" at ${m.accuracy}%`),
      );
    const classes = best.classes.length > 0 ? best.classes : h.looseOsClasses;
    for (const c of classes) {
      const { vendor = '', osfamily = '', osgen = '' } = c.attrs;
      hint(
        'nmap.osClass',
        `${vendor}|${osfamily}|${osgen}|${c.attrs.type ?? ''}`,
        hostEvidence(`nmap -O: OS class of "${best.name}"`),
      );
      for (const cpe of c.cpes) hint('cpe', cpe, hostEvidence(`nmap -O: CPE ${cpe} (${best.name})`));
    }
    // A device type only when every class of the match agrees: "Mac OS X or iOS" says neither phone nor PC.
    const types = new Set(classes.map((c) => c.attrs.type ?? ''));
    const [type] = types;
    if (types.size === 1 && type && type !== 'general purpose')
      hint('nmap.deviceType', type, hostEvidence(`nmap -O: device type "${type}" (${best.name})`));
    const cls = [...classes]
      .sort((x, y) => (Number(y.attrs.accuracy) || 0) - (Number(x.attrs.accuracy) || 0))
      .find((c) => c.attrs.osfamily && c.attrs.osfamily !== 'embedded');
    const family = cls?.attrs.osfamily;
    const os = family ? (OS_FAMILY[family] ?? family) : best.name;
    const confidence = Math.min(1, Math.max(0, best.accuracy / 100));
    const evidence = hostEvidence(`nmap -O: OS match "${best.name}" at ${best.accuracy}% accuracy`);
    if (os) obs.identity.os = { value: os, confidence, evidence };
    if (cls?.attrs.osgen) obs.identity.osVersion = { value: cls.attrs.osgen, confidence, evidence };
  }

  private hostScript(
    sc: ScriptOut,
    h: HostBuild,
    obs: HostObservation,
    hostEvidence: (summary: string) => Evidence,
    hint: (kind: string, value: string | null | undefined, e: Evidence) => void,
    finding: (f: Omit<FindingObservation, 'host'>) => void,
  ): void {
    if (sc.id === 'smb-os-discovery') {
      const os = sc.elems.find((e) => e.path.at(-1) === 'os')?.value ?? /OS: ([^\n]+)/.exec(sc.output)?.[1];
      hint('smb.os', os, hostEvidence(`nmap smb-os-discovery: OS "${os}"`));
      const cpe = sc.elems.find((e) => e.path.at(-1) === 'cpe')?.value;
      hint('cpe', cpe, hostEvidence(`nmap smb-os-discovery: CPE ${cpe}`));
    }
    if (sc.id === 'smb-protocols') {
      const dialects = sc.elems.filter((e) => e.path[0] === 'dialects').map((e) => e.value);
      const text = dialects.length > 0 ? dialects.join('\n') : sc.output;
      if (/SMBv1|NT LM 0\.12/.test(text)) {
        const smbPort =
          h.ports.find((p) => p.state === 'open' && (p.port === 445 || p.port === 139))?.port ?? 445;
        finding({
          type: 'insecure-protocol',
          subject: `smbv1:${smbPort}`,
          evidence: hostEvidence(`nmap smb-protocols: ${obs.ips[0] ?? '?'} accepts SMBv1 (NT LM 0.12)`),
          details: {
            protocol: 'smb',
            port: smbPort,
            dialects: dialects.length > 0 ? dialects : ['NT LM 0.12'],
          },
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Script output helpers

/** nmap's `extrainfo`, unless it might carry something secret (it names SNMP communities, users …). */
function safeExtra(extra: string | undefined): string {
  const e = extra?.trim();
  if (!e || /pass|community|secret|token|key|user|login|auth/i.test(e)) return '';
  return ` (${e.length > 80 ? `${e.slice(0, 79)}…` : e})`;
}

/**
 * The text of an nmap `banner` script output. nmap escapes non-printable bytes as `\xHH` and wraps long
 * output with newlines (even inside an escape), so: unwrap, decode the escapes, drop Telnet option
 * negotiation (IAC sequences), and keep the printable lines.
 * @see RFC 854 (IAC = 255; WILL/WONT/DO/DONT take one option byte; SB … IAC SE)
 */
export function decodeNmapBanner(output: string): string {
  const s = output.replace(/\n[ \t]*/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hex = s[i] === '\\' && s[i + 1] === 'x' ? /^[0-9a-f]{2}/i.exec(s.slice(i + 2, i + 4)) : null;
    if (hex) {
      bytes.push(Number.parseInt(hex[0], 16));
      i += 3;
    } else bytes.push(s.charCodeAt(i) & 0xff);
  }
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0xff) {
      text +=
        b === 0x0d || b === 0x0a || (b >= 0x20 && b < 0x7f) ? String.fromCharCode(b) : b === 0x09 ? ' ' : '';
      continue;
    }
    const cmd = bytes[i + 1];
    if (cmd === undefined) break;
    if (cmd >= 0xfb && cmd <= 0xfe) i += 2;
    else if (cmd === 0xfa) {
      let j = i + 2;
      while (j < bytes.length && !(bytes[j] === 0xff && bytes[j + 1] === 0xf0)) j++;
      i = j + 1;
    } else i += 1;
  }
  return text
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => /[A-Za-z0-9]{2}/.test(l))
    .join('\n');
}

const DN_KEYS: [nmapKey: string, rfc4514: string][] = [
  ['commonName', 'CN'],
  ['organizationalUnitName', 'OU'],
  ['organizationName', 'O'],
  ['localityName', 'L'],
  ['stateOrProvinceName', 'ST'],
  ['countryName', 'C'],
];

/** ssl-cert's subject/issuer table as an RFC 4514 string, most specific first; e-mail addresses left out. */
function certName(elems: ScriptElem[], table: 'subject' | 'issuer'): string | null {
  const parts: string[] = [];
  for (const [key, short] of DN_KEYS) {
    const v = elems.find((e) => e.path.length === 2 && e.path[0] === table && e.path[1] === key)?.value;
    if (v) parts.push(`${short}=${v.replace(/([,+"\\<>;])/g, '\\$1')}`);
  }
  return parts.length > 0 ? parts.join(',') : null;
}

/**
 * What is wrong with a certificate nmap read: RSA/DSA keys under 2048 bits, MD5/SHA-1 signatures, self-signed,
 * expired or not yet valid at scan time.
 * @see NIST SP 800-131A Rev. 2 §3 (key lengths), §9 (SHA-1 for signatures disallowed)
 */
function certProblems(elems: ScriptElem[], scanTime: string | undefined): string[] {
  const get = (path: string) => elems.find((e) => e.path.join('/') === path)?.value;
  const problems: string[] = [];
  const type = get('pubkey/type')?.toLowerCase();
  const bits = Number(get('pubkey/bits'));
  if ((type === 'rsa' || type === 'dsa') && Number.isFinite(bits) && bits > 0 && bits < 2048)
    problems.push(`${type}-${bits}-bit-key`);
  const sig = get('sig_algo') ?? '';
  if (/md5|md2|sha1With|with-?SHA1\b/i.test(sig)) problems.push(`weak-signature:${sig}`);
  const name = (t: string) =>
    elems
      .filter((e) => e.path[0] === t && e.path.length === 2)
      .map((e) => `${e.path[1]}=${e.value}`)
      .sort()
      .join(',');
  const subject = name('subject');
  if (subject && subject === name('issuer')) problems.push('self-signed');
  const at = scanTime ? Date.parse(scanTime) : Number.NaN;
  // nmap prints validity in UTC without a zone designator.
  const utc = (s: string | undefined) =>
    s ? Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`) : Number.NaN;
  const notAfter = utc(get('validity/notAfter'));
  const notBefore = utc(get('validity/notBefore'));
  if (Number.isFinite(at) && Number.isFinite(notAfter) && notAfter < at) problems.push('expired');
  if (Number.isFinite(at) && Number.isFinite(notBefore) && notBefore > at) problems.push('not-yet-valid');
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// UTF-8

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Entry points

/** Parses a whole nmap XML document. Throws VigilError invalid_input when nothing could be read. */
export function parseNmapXml(input: string | Uint8Array, opts: NmapImportOptions): NmapImportResult {
  return new NmapXmlReader(opts).write(input).end();
}

/** Parses nmap XML from a stream of chunks (a file read stream, standard input …). */
export async function readNmapXml(
  source: AsyncIterable<string | Uint8Array>,
  opts: NmapImportOptions,
): Promise<NmapImportResult> {
  const reader = new NmapXmlReader(opts);
  for await (const chunk of source) reader.write(chunk);
  return reader.end();
}
