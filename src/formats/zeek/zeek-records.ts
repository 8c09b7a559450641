/**
 * @module Typed records for the Zeek logs Vigil reads (conn, dns, dhcp, http, ssl, x509, software, notice,
 * ftp, ssh, snmp)
 * from the field values of either log format. Field names are Zeek's; the record shapes are Vigil's
 * (camelCase, times as ISO-8601 text). Only the fields discovery uses are kept, and values that could be
 * secrets never leave here: http.log's `username`/`password` and ftp.log's `user`/`password` become flags,
 * snmp.log's `community` becomes flags, URIs lose their query string.
 * @see https://docs.zeek.org/en/master/scripts/base/protocols/conn/main.zeek.html (Conn::Info)
 * @see https://docs.zeek.org/en/master/scripts/base/protocols/dhcp/main.zeek.html (DHCP::Info; Zeek < 2.6
 *      logged `uid`, `id`, `assigned_ip` instead)
 * @see https://docs.zeek.org/en/master/scripts/base/protocols/ssl/main.zeek.html (SSL::Info)
 * @see https://docs.zeek.org/en/master/scripts/base/files/x509/main.zeek.html (X509::Info)
 * @see https://docs.zeek.org/en/master/scripts/base/protocols/ftp/info.zeek.html (FTP::Info)
 * @see https://docs.zeek.org/en/master/scripts/base/protocols/ssh/main.zeek.html (SSH::Info)
 * @see https://docs.zeek.org/en/master/scripts/base/protocols/snmp/main.zeek.html (SNMP::Info)
 */
import { z } from 'zod';
import { FTP_ANONYMOUS_USERS } from '../../dissect/ftp.js';
import { DEFAULT_COMMUNITIES } from '../../dissect/snmp.js';
import { isStorableEpochSeconds } from '../../time-range.js';
import { ipAddress } from '../ip-address.js';
import type { ZeekFields } from './zeek-tsv.js';

/** Epoch seconds (TSV, default JSON) or ISO-8601 text (`JSON::TS_ISO8601`) → ISO-8601. */
const zeekTime = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v * 1000 : /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  if (!isStorableEpochSeconds(ms / 1000)) {
    ctx.addIssue({ code: 'custom', message: `not a time: ${String(v).slice(0, 40)}` });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** A connection's length in seconds: at most ~31 years, so start + duration is still a date. */
const interval = z.number().nonnegative().max(1e9);
const port = z.number().int().min(0).max(65535);
const text = z.string();
const texts = z.array(z.union([z.string(), z.number(), z.boolean()]).transform(String));
/** Zeek writes a `set[string]` column; some JSON shippers flatten it to one comma-joined string. */
const textList = z.union([texts, z.string().transform((s) => (s ? s.split(',') : []))]);

/** A Zeek `addr` (IPv6 without brackets), checked and spelled as the inventory does (formats/ip-address). */
const addr = ipAddress;
/** dhcp.log's `mac` (a string Zeek formats as six colon-separated bytes): the client's identity key. */
const mac = z.string().refine((s) => /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(s), {
  error: (i) => `not a MAC address: ${String(i.input).slice(0, 40)}`,
});

const endpoints = {
  'id.orig_h': addr,
  'id.orig_p': port,
  'id.resp_h': addr,
  'id.resp_p': port,
};

/** The connection a record belongs to, in the names every Zeek record type shares. */
function connectionOf(r: {
  uid?: string | undefined;
  'id.orig_h': string;
  'id.orig_p': number;
  'id.resp_h': string;
  'id.resp_p': number;
}) {
  return {
    uid: r.uid ?? null,
    origH: r['id.orig_h'],
    origP: r['id.orig_p'],
    respH: r['id.resp_h'],
    respP: r['id.resp_p'],
  };
}

const connSchema = z
  .object({
    ts: zeekTime,
    uid: text.optional(),
    ...endpoints,
    proto: text,
    service: textList.optional(),
    duration: interval.optional(),
    orig_bytes: count.optional(),
    resp_bytes: count.optional(),
    conn_state: text.optional(),
    history: text.optional(),
    orig_pkts: count.optional(),
    orig_ip_bytes: count.optional(),
    resp_pkts: count.optional(),
    resp_ip_bytes: count.optional(),
    orig_l2_addr: text.optional(),
    resp_l2_addr: text.optional(),
  })
  .transform((r) => ({
    log: 'conn' as const,
    ts: r.ts,
    ...connectionOf(r),
    proto: r.proto.toLowerCase(),
    /** Analyzers that confirmed the protocol, lower case; `-name` entries (violations) dropped. */
    service: (r.service ?? []).map((s) => s.toLowerCase()).filter((s) => s && !s.startsWith('-')),
    duration: r.duration ?? null,
    origBytes: r.orig_bytes ?? null,
    respBytes: r.resp_bytes ?? null,
    connState: r.conn_state ?? null,
    history: r.history ?? null,
    origPkts: r.orig_pkts ?? null,
    origIpBytes: r.orig_ip_bytes ?? null,
    respPkts: r.resp_pkts ?? null,
    respIpBytes: r.resp_ip_bytes ?? null,
    origMac: r.orig_l2_addr ?? null,
    respMac: r.resp_l2_addr ?? null,
  }));

const dnsSchema = z
  .object({
    ts: zeekTime,
    uid: text.optional(),
    ...endpoints,
    proto: text.optional(),
    query: text.optional(),
    qtype_name: text.optional(),
    rcode_name: text.optional(),
    rcode: count.optional(),
    answers: texts.optional(),
  })
  .transform((r) => ({
    log: 'dns' as const,
    ts: r.ts,
    ...connectionOf(r),
    proto: r.proto?.toLowerCase() ?? null,
    query: r.query ?? null,
    qtype: r.qtype_name ?? null,
    rcode: r.rcode_name ?? (r.rcode === 0 ? 'NOERROR' : r.rcode !== undefined ? String(r.rcode) : null),
    answers: r.answers ?? [],
  }));

const dhcpSchema = z
  .object({
    ts: zeekTime,
    // Zeek ≥ 2.6 (one record per exchange)
    client_addr: addr.optional(),
    server_addr: addr.optional(),
    mac: mac.optional(),
    host_name: text.optional(),
    client_fqdn: text.optional(),
    domain: text.optional(),
    requested_addr: addr.optional(),
    assigned_addr: addr.optional(),
    msg_types: texts.optional(),
    client_software: text.optional(),
    server_software: text.optional(),
    // Zeek < 2.6 (one record per ACK)
    'id.orig_h': addr.optional(),
    'id.resp_h': addr.optional(),
    assigned_ip: addr.optional(),
  })
  .transform((r) => ({
    log: 'dhcp' as const,
    ts: r.ts,
    mac: r.mac?.toLowerCase() ?? null,
    clientAddr: r.client_addr ?? r['id.orig_h'] ?? null,
    serverAddr: r.server_addr ?? r['id.resp_h'] ?? null,
    hostName: r.host_name ?? null,
    clientFqdn: r.client_fqdn ?? null,
    domain: r.domain ?? null,
    requestedAddr: r.requested_addr ?? null,
    assignedAddr: r.assigned_addr ?? r.assigned_ip ?? null,
    /** Message types of the exchange in order; the old format logged only ACKed leases. */
    msgTypes: r.msg_types ?? (r.assigned_ip !== undefined ? ['ACK'] : []),
    clientSoftware: r.client_software ?? null,
    serverSoftware: r.server_software ?? null,
  }));

/** The path of a request target without its query string or fragment (they can carry identifiers). */
export function pathOnly(uri: string): string {
  const cut = uri.search(/[?#;]/);
  return (cut < 0 ? uri : uri.slice(0, cut)).slice(0, 200);
}

const httpSchema = z
  .object({
    ts: zeekTime,
    uid: text.optional(),
    ...endpoints,
    method: text.optional(),
    host: text.optional(),
    uri: text.optional(),
    user_agent: text.optional(),
    status_code: count.optional(),
    username: text.optional(),
    password: text.optional(),
    resp_mime_types: texts.optional(),
    server: text.optional(),
  })
  .transform((r) => ({
    log: 'http' as const,
    ts: r.ts,
    ...connectionOf(r),
    method: r.method ?? null,
    host: r.host ?? null,
    path: r.uri !== undefined ? pathOnly(r.uri) : null,
    userAgent: r.user_agent ?? null,
    status: r.status_code ?? null,
    /** The request carried credentials (Zeek logs the Basic user name, and the password if configured to). */
    credentials: Boolean(r.username || r.password),
    respMimeTypes: r.resp_mime_types ?? [],
    /** Only when a site script logs the Server header (not in the default http.log). */
    server: r.server ?? null,
  }));

const sslSchema = z
  .object({
    ts: zeekTime,
    uid: text.optional(),
    ...endpoints,
    version: text.optional(),
    cipher: text.optional(),
    server_name: text.optional(),
    established: z.boolean().optional(),
    cert_chain_fps: texts.optional(),
    cert_chain_fuids: texts.optional(),
    subject: text.optional(),
    issuer: text.optional(),
    validation_status: text.optional(),
  })
  .transform((r) => ({
    log: 'ssl' as const,
    ts: r.ts,
    ...connectionOf(r),
    /** Zeek's spelling: `SSLv3`, `TLSv10`, `TLSv12`, `TLSv13`, `DTLSv12` … */
    version: r.version ?? null,
    /** IANA cipher suite name: `TLS_RSA_WITH_RC4_128_SHA`. */
    cipher: r.cipher ?? null,
    serverName: r.server_name ?? null,
    established: r.established ?? null,
    /** The server's certificate chain, leaf first: SHA-256 fingerprints (Zeek ≥ 4.2) or file ids (older). */
    certChain: r.cert_chain_fps ?? r.cert_chain_fuids ?? [],
    subject: r.subject ?? null,
    issuer: r.issuer ?? null,
    validationStatus: r.validation_status ?? null,
  }));

const x509Schema = z
  .object({
    ts: zeekTime,
    id: text.optional(),
    fingerprint: text.optional(),
    'certificate.version': count.optional(),
    'certificate.serial': text.optional(),
    'certificate.subject': text.optional(),
    'certificate.issuer': text.optional(),
    'certificate.not_valid_before': zeekTime.optional(),
    'certificate.not_valid_after': zeekTime.optional(),
    'certificate.key_alg': text.optional(),
    'certificate.sig_alg': text.optional(),
    'certificate.key_type': text.optional(),
    'certificate.key_length': count.optional(),
    'certificate.exponent': text.optional(),
    'certificate.curve': text.optional(),
    'san.dns': texts.optional(),
    'san.ip': z.array(addr).optional(),
    'basic_constraints.ca': z.boolean().optional(),
    host_cert: z.boolean().optional(),
    client_cert: z.boolean().optional(),
  })
  .transform((r) => ({
    log: 'x509' as const,
    ts: r.ts,
    /** What ssl.log's `cert_chain_fps` (fingerprint) or `cert_chain_fuids` (file id) point at. */
    fingerprint: r.fingerprint ?? null,
    fileId: r.id ?? null,
    version: r['certificate.version'] ?? null,
    serial: r['certificate.serial'] ?? null,
    subject: r['certificate.subject'] ?? null,
    issuer: r['certificate.issuer'] ?? null,
    notBefore: r['certificate.not_valid_before'] ?? null,
    notAfter: r['certificate.not_valid_after'] ?? null,
    keyAlgorithm: r['certificate.key_alg'] ?? null,
    signatureAlgorithm: r['certificate.sig_alg'] ?? null,
    keyType: r['certificate.key_type'] ?? null,
    keyLength: r['certificate.key_length'] ?? null,
    exponent: r['certificate.exponent'] ?? null,
    curve: r['certificate.curve'] ?? null,
    sanDns: r['san.dns'] ?? [],
    sanIp: r['san.ip'] ?? [],
    isCa: r['basic_constraints.ca'] ?? null,
    hostCert: r.host_cert ?? null,
    clientCert: r.client_cert ?? null,
  }));

const softwareSchema = z
  .object({
    ts: zeekTime,
    host: addr,
    host_p: port.optional(),
    software_type: text,
    name: text,
    'version.major': count.optional(),
    'version.minor': count.optional(),
    'version.minor2': count.optional(),
    'version.minor3': count.optional(),
    'version.addl': text.optional(),
    unparsed_version: text.optional(),
  })
  .transform((r) => {
    const nums = [r['version.major'], r['version.minor'], r['version.minor2'], r['version.minor3']];
    const end = nums.indexOf(undefined);
    const dotted = (end < 0 ? nums : nums.slice(0, end)).join('.');
    return {
      log: 'software' as const,
      ts: r.ts,
      host: r.host,
      port: r.host_p ?? null,
      /** `HTTP::SERVER`, `HTTP::BROWSER`, `SSH::SERVER`, `FTP::SERVER`, `OS::WINDOWS` … */
      softwareType: r.software_type,
      name: r.name,
      /** `7.5`, `15.0.0.4420`, with Zeek's `addl` part after a space; null when Zeek parsed none. */
      version: dotted ? (r['version.addl'] ? `${dotted} ${r['version.addl']}` : dotted) : null,
      unparsedVersion: r.unparsed_version ?? null,
    };
  });

const noticeSchema = z
  .object({
    ts: zeekTime,
    uid: text.optional(),
    'id.orig_h': addr.optional(),
    'id.orig_p': port.optional(),
    'id.resp_h': addr.optional(),
    'id.resp_p': port.optional(),
    proto: text.optional(),
    note: text,
    src: addr.optional(),
    dst: addr.optional(),
    p: port.optional(),
  })
  .transform((r) => ({
    log: 'notice' as const,
    ts: r.ts,
    uid: r.uid ?? null,
    origH: r['id.orig_h'] ?? null,
    origP: r['id.orig_p'] ?? null,
    respH: r['id.resp_h'] ?? null,
    respP: r['id.resp_p'] ?? null,
    proto: r.proto?.toLowerCase() ?? null,
    /** `SSL::Invalid_Server_Cert`, `Scan::Port_Scan` …; the free-text `msg`/`sub` are not kept. */
    note: r.note,
    src: r.src ?? null,
    dst: r.dst ?? null,
    port: r.p ?? null,
  }));

const ftpSchema = z
  .object({
    ts: zeekTime,
    uid: text.optional(),
    ...endpoints,
    user: text.optional(),
    password: text.optional(),
    command: text.optional(),
    reply_code: count.optional(),
  })
  .transform((r) => ({
    log: 'ftp' as const,
    ts: r.ts,
    ...connectionOf(r),
    /** The command verb only (its argument can be a path or, for PASS, the password). */
    command: r.command?.toUpperCase() ?? null,
    replyCode: r.reply_code ?? null,
    /**
     * A password was sent (Zeek logs it, or `<hidden>` when told to hide it); the user name and the
     * password themselves are never kept.
     */
    credentials: Boolean(r.password),
    anonymous: FTP_ANONYMOUS_USERS.has((r.user ?? '').toLowerCase()),
  }));

const sshSchema = z
  .object({
    ts: zeekTime,
    uid: text.optional(),
    ...endpoints,
    version: count.optional(),
    client: text.optional(),
    server: text.optional(),
  })
  .transform((r) => ({
    log: 'ssh' as const,
    ts: r.ts,
    ...connectionOf(r),
    /** SSH major protocol version Zeek settled on (1 or 2). */
    version: r.version ?? null,
    /** Identification lines: `SSH-2.0-OpenSSH_7.6p1 Debian-4`. */
    clientBanner: r.client ?? null,
    serverBanner: r.server ?? null,
  }));

/** snmp.log's version spelling → the capture dissector's. */
const SNMP_VERSIONS: Record<string, 'v1' | 'v2c' | 'v3'> = { '1': 'v1', '2c': 'v2c', '2': 'v2c', '3': 'v3' };

const snmpSchema = z
  .object({
    ts: zeekTime,
    uid: text.optional(),
    ...endpoints,
    version: z.union([text, z.number().transform(String)]).optional(),
    community: text.optional(),
    get_responses: count.optional(),
    display_string: text.optional(),
  })
  .transform((r) => {
    const version = SNMP_VERSIONS[r.version ?? ''] ?? null;
    // SNMPv3 has no community (Zeek puts the USM user name in that column); v1/v2c send it in cleartext.
    const community = version !== 'v3' && r.community ? r.community : null;
    return {
      log: 'snmp' as const,
      ts: r.ts,
      ...connectionOf(r),
      version,
      /** A v1/v2c community string was sent; the string itself is never kept. */
      communitySent: community !== null,
      /** It is a well-known default (`public`, `private` …). */
      defaultCommunity: community !== null && DEFAULT_COMMUNITIES.has(community.toLowerCase()),
      /** Response PDUs the agent sent. */
      responses: r.get_responses ?? 0,
      /** sysDescr, when Zeek saw the agent report it. */
      sysDescr: r.display_string ?? null,
    };
  });

export const ZEEK_LOG_SCHEMAS = {
  conn: connSchema,
  dns: dnsSchema,
  dhcp: dhcpSchema,
  http: httpSchema,
  ssl: sslSchema,
  x509: x509Schema,
  software: softwareSchema,
  notice: noticeSchema,
  ftp: ftpSchema,
  ssh: sshSchema,
  snmp: snmpSchema,
} as const;

export type ZeekLogPath = keyof typeof ZEEK_LOG_SCHEMAS;
export const ZEEK_LOG_PATHS = Object.keys(ZEEK_LOG_SCHEMAS) as ZeekLogPath[];

export type ZeekConn = z.output<typeof connSchema>;
export type ZeekDns = z.output<typeof dnsSchema>;
export type ZeekDhcp = z.output<typeof dhcpSchema>;
export type ZeekHttp = z.output<typeof httpSchema>;
export type ZeekSsl = z.output<typeof sslSchema>;
export type ZeekX509 = z.output<typeof x509Schema>;
export type ZeekSoftware = z.output<typeof softwareSchema>;
export type ZeekNotice = z.output<typeof noticeSchema>;
export type ZeekFtp = z.output<typeof ftpSchema>;
export type ZeekSsh = z.output<typeof sshSchema>;
export type ZeekSnmp = z.output<typeof snmpSchema>;
export type ZeekRecord =
  | ZeekConn
  | ZeekDns
  | ZeekDhcp
  | ZeekHttp
  | ZeekSsl
  | ZeekX509
  | ZeekSoftware
  | ZeekNotice
  | ZeekFtp
  | ZeekSsh
  | ZeekSnmp;

export function isZeekLogPath(path: string): path is ZeekLogPath {
  return Object.hasOwn(ZEEK_LOG_SCHEMAS, path);
}

/** The typed record of one log line, or the reasons it does not fit (at most three, with field names). */
export function toZeekRecord(
  path: ZeekLogPath,
  fields: ZeekFields,
): { record: ZeekRecord } | { error: string } {
  const r = ZEEK_LOG_SCHEMAS[path].safeParse(fields);
  if (r.success) return { record: r.data };
  const reasons = r.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`)
    .join('; ');
  return { error: `${path} record: ${reasons}` };
}
