/**
 * @module Typed records for the Suricata EVE JSON events Vigil reads: flow, alert, dns, http, tls, dhcp, ftp,
 * ssh, snmp, mqtt and smb.
 * Field names follow Suricata's EVE schema; record shapes are Vigil's (camelCase, ISO-8601 UTC times,
 * IPv6 in RFC 5952 text: Suricata writes it uncompressed). Only what discovery uses is kept; URLs lose their
 * query string; FTP command arguments, SNMP communities and MQTT message payloads are judged here
 * (anonymous user, default community, patient data) and never leave this file; MQTT and FTP passwords are
 * judged by `EveReader` (default credentials) and never kept.
 * @see https://docs.suricata.io/en/suricata-7.0.10/output/eve/eve-json-format.html
 * @see suricata/etc/schema.json (the EVE schema shipped with Suricata 7)
 */
import { z } from 'zod';
import { FTP_ANONYMOUS_USERS } from '../../dissect/ftp.js';
import { MQTT_VERSIONS } from '../../dissect/mqtt.js';
import { findPatientData } from '../../dissect/payload-phi.js';
import { DEFAULT_COMMUNITIES } from '../../dissect/snmp.js';
import { isStorableEpochSeconds } from '../../time-range.js';
import { ipAddress } from '../ip-address.js';
import { pathOnly } from '../zeek/zeek-records.js';

/** `2026-11-28T23:54:45.843713+0000` (Suricata's own offset form) or any ISO-8601 → ISO-8601 UTC. */
const eveTime = z.string().transform((v, ctx) => {
  const fixed = v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  // Suricata's tls.notbefore/notafter carry no zone: they are UTC.
  const ms = Date.parse(/T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(fixed) ? `${fixed}Z` : fixed);
  if (!isStorableEpochSeconds(ms / 1000)) {
    ctx.addIssue({ code: 'custom', message: `not a time: ${v.slice(0, 40)}` });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

/** Suricata prints IPv6 with every zero: the inventory's spelling makes it the same address as everywhere else. */
const ip = ipAddress;
const port = z.number().int().min(0).max(65535);
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const common = {
  timestamp: eveTime,
  flow_id: z.number().optional(),
  src_ip: ip,
  src_port: port.optional(),
  dest_ip: ip,
  dest_port: port.optional(),
  /** `TCP`, `UDP`, `ICMP`, `IPv6-ICMP` … */
  proto: z.union([z.string(), z.number()]).transform((p) => String(p).toLowerCase()),
  app_proto: z.string().optional(),
};

function base(r: z.output<z.ZodObject<typeof common>>) {
  return {
    ts: r.timestamp,
    flowId: r.flow_id ?? null,
    srcIp: r.src_ip,
    srcPort: r.src_port ?? null,
    destIp: r.dest_ip,
    destPort: r.dest_port ?? null,
    proto: r.proto,
    appProto: r.app_proto ?? null,
  };
}

const flowSchema = z
  .object({
    ...common,
    flow: z.object({
      pkts_toserver: count.default(0),
      pkts_toclient: count.default(0),
      bytes_toserver: count.default(0),
      bytes_toclient: count.default(0),
      start: eveTime.optional(),
      end: eveTime.optional(),
      state: z.string().optional(),
    }),
    tcp: z.object({ tcp_flags_ts: z.string().optional(), tcp_flags_tc: z.string().optional() }).optional(),
  })
  .transform((r) => ({
    event: 'flow' as const,
    ...base(r),
    pktsToServer: r.flow.pkts_toserver,
    pktsToClient: r.flow.pkts_toclient,
    bytesToServer: r.flow.bytes_toserver,
    bytesToClient: r.flow.bytes_toclient,
    start: r.flow.start ?? r.timestamp,
    end: r.flow.end ?? r.timestamp,
    /** `new`, `established`, `closed`, `bypassed`. */
    state: r.flow.state ?? null,
    /** TCP flags the server side sent (union over the flow), as a number; null when not TCP. */
    tcpFlagsToClient: r.tcp?.tcp_flags_tc !== undefined ? Number.parseInt(r.tcp.tcp_flags_tc, 16) : null,
  }));

const alertSchema = z
  .object({
    ...common,
    alert: z.object({
      action: z.string().optional(),
      signature_id: z.number(),
      rev: z.number().optional(),
      signature: z.string().default(''),
      category: z.string().optional(),
      severity: z.number().optional(),
      /** Set when the rule has the `target` keyword. */
      source: z.object({ ip: ip.optional() }).optional(),
      target: z.object({ ip: ip.optional() }).optional(),
    }),
  })
  .transform((r) => ({
    event: 'alert' as const,
    ...base(r),
    signatureId: r.alert.signature_id,
    signature: r.alert.signature,
    category: r.alert.category ?? null,
    severity: r.alert.severity ?? null,
    action: r.alert.action ?? null,
    targetIp: r.alert.target?.ip ?? null,
  }));

const answer = z.object({
  rrname: z.string().optional(),
  rrtype: z.string().optional(),
  rdata: z.string().optional(),
});
const dnsSchema = z
  .object({
    ...common,
    dns: z.object({
      /** EVE DNS v2: `query` or `answer`; v3 (Suricata 8) logs `queries` and `answers` in one event. */
      type: z.string().optional(),
      rrname: z.string().optional(),
      rrtype: z.string().optional(),
      rcode: z.string().optional(),
      answers: z.array(answer).optional(),
      queries: z.array(answer).optional(),
      grouped: z.record(z.string(), z.array(z.unknown())).optional(),
    }),
  })
  .transform((r) => {
    const d = r.dns;
    const query = d.rrname ?? d.queries?.[0]?.rrname ?? null;
    const qtype = d.rrtype ?? d.queries?.[0]?.rrtype ?? null;
    const answers = (d.answers ?? []).flatMap((a) =>
      a.rrtype && a.rdata !== undefined
        ? [{ name: a.rrname ?? query ?? '', type: a.rrtype, data: a.rdata }]
        : [],
    );
    if (answers.length === 0 && d.grouped) {
      for (const [type, values] of Object.entries(d.grouped))
        for (const v of values) if (typeof v === 'string') answers.push({ name: query ?? '', type, data: v });
    }
    return {
      event: 'dns' as const,
      ...base(r),
      isAnswer: d.type === 'answer' || d.answers !== undefined || d.grouped !== undefined,
      query,
      qtype,
      rcode: d.rcode ?? null,
      answers,
    };
  });

const httpSchema = z
  .object({
    ...common,
    http: z.object({
      hostname: z.string().optional(),
      url: z.string().optional(),
      http_user_agent: z.string().optional(),
      http_content_type: z.string().optional(),
      http_method: z.string().optional(),
      status: z.union([z.number(), z.string()]).optional(),
      /** Only with `extended` or custom header logging. */
      server: z.string().optional(),
      response_headers: z.array(z.object({ name: z.string(), value: z.string().optional() })).optional(),
      request_headers: z.array(z.object({ name: z.string(), value: z.string().optional() })).optional(),
    }),
  })
  .transform((r) => {
    const h = r.http;
    const status = h.status === undefined ? null : Number(h.status);
    const header = (list: typeof h.request_headers, name: string) =>
      list?.find((x) => x.name.toLowerCase() === name)?.value ?? null;
    return {
      event: 'http' as const,
      ...base(r),
      hostname: h.hostname ?? null,
      path: h.url !== undefined ? pathOnly(h.url) : null,
      userAgent: h.http_user_agent ?? null,
      contentType: h.http_content_type ?? null,
      method: h.http_method ?? null,
      status: status !== null && Number.isFinite(status) ? status : null,
      server: h.server ?? header(h.response_headers, 'server'),
      /** That an Authorization header was sent (only visible with header logging); never its value. */
      credentials: header(h.request_headers, 'authorization') !== null,
    };
  });

const tlsSchema = z
  .object({
    ...common,
    tls: z.object({
      version: z.string().optional(),
      sni: z.string().optional(),
      subject: z.string().optional(),
      issuerdn: z.string().optional(),
      serial: z.string().optional(),
      fingerprint: z.string().optional(),
      notbefore: eveTime.optional(),
      notafter: eveTime.optional(),
      ja3s: z.object({ hash: z.string().optional() }).optional(),
    }),
  })
  .transform((r) => ({
    event: 'tls' as const,
    ...base(r),
    /** Suricata's spelling: `SSLv2`, `SSLv3`, `TLSv1`, `TLS 1.1`, `TLS 1.2`, `TLS 1.3`, `UNDETERMINED`. */
    version: r.tls.version ?? null,
    sni: r.tls.sni ?? null,
    /** OpenSSL one-line order as Suricata prints it: `O=Example, CN=host.example`. */
    subject: r.tls.subject ?? null,
    issuer: r.tls.issuerdn ?? null,
    serial: r.tls.serial ?? null,
    fingerprint: r.tls.fingerprint ?? null,
    notBefore: r.tls.notbefore ?? null,
    notAfter: r.tls.notafter ?? null,
  }));

const dhcpSchema = z
  .object({
    ...common,
    dhcp: z.object({
      type: z.string().optional(),
      client_mac: z.string().optional(),
      assigned_ip: ip.optional(),
      client_ip: ip.optional(),
      dhcp_type: z.string().optional(),
      hostname: z.string().optional(),
      /** `extended: yes` only. */
      vendor_class_identifier: z.string().optional(),
      params: z.array(z.string()).optional(),
    }),
  })
  .transform((r) => ({
    event: 'dhcp' as const,
    ...base(r),
    /** `request` (client → server) or `reply`. */
    type: r.dhcp.type ?? null,
    clientMac: r.dhcp.client_mac?.toLowerCase() ?? null,
    assignedIp: r.dhcp.assigned_ip && r.dhcp.assigned_ip !== '0.0.0.0' ? r.dhcp.assigned_ip : null,
    clientIp: r.dhcp.client_ip && r.dhcp.client_ip !== '0.0.0.0' ? r.dhcp.client_ip : null,
    /** `discover`, `offer`, `request`, `ack`, `nak`, `inform` … */
    dhcpType: r.dhcp.dhcp_type?.toLowerCase() ?? null,
    hostname: r.dhcp.hostname ?? null,
    vendorClass: r.dhcp.vendor_class_identifier ?? null,
  }));

const ftpSchema = z
  .object({
    ...common,
    ftp: z.object({
      command: z.string().optional(),
      /** The argument: a path, a user name, or for PASS the password. Read below, never kept. */
      command_data: z.string().optional(),
      completion_code: z.array(z.string()).optional(),
      reply: z.array(z.string()).optional(),
    }),
  })
  .transform((r) => {
    const command = r.ftp.command?.toUpperCase() ?? null;
    const codes = (r.ftp.completion_code ?? []).map(Number).filter((c) => Number.isInteger(c));
    return {
      event: 'ftp' as const,
      ...base(r),
      /** The command verb only; null for the server's greeting (a reply with no command). */
      command,
      /** Reply codes to the command (a multi-line reply repeats its code). */
      replyCodes: codes,
      /** The greeting's text (220 before any command), which names the server software. */
      greeting: command === null && codes[0] === 220 ? (r.ftp.reply ?? []).join(' ').slice(0, 200) : null,
      /** USER named an anonymous login (`anonymous`, `ftp`); the user name itself is not kept. */
      anonymousUser:
        command === 'USER' && FTP_ANONYMOUS_USERS.has((r.ftp.command_data ?? '').trim().toLowerCase()),
      /**
       * PASS only: the default-credential entry the login matched, set by `EveReader` when given a
       * `CredentialCheck` (the password is compared there and never kept).
       */
      defaultCredential: null as string | null,
    };
  });

const sshSchema = z
  .object({
    ...common,
    ssh: z.object({
      client: z
        .object({ proto_version: z.string().optional(), software_version: z.string().optional() })
        .optional(),
      server: z
        .object({ proto_version: z.string().optional(), software_version: z.string().optional() })
        .optional(),
    }),
  })
  .transform((r) => {
    // The identification line as sent (`SSH-2.0-OpenSSH_9.2p1`), the form captures and Zeek record.
    const banner = (side?: { proto_version?: string | undefined; software_version?: string | undefined }) =>
      side?.proto_version && side.software_version
        ? `SSH-${side.proto_version}-${side.software_version}`
        : null;
    return {
      event: 'ssh' as const,
      ...base(r),
      clientBanner: banner(r.ssh.client),
      serverBanner: banner(r.ssh.server),
    };
  });

const SNMP_VERSIONS: Record<number, 'v1' | 'v2c' | 'v3'> = { 1: 'v1', 2: 'v2c', 3: 'v3' };

const snmpSchema = z
  .object({
    ...common,
    snmp: z.object({
      version: z.number().optional(),
      pdu_type: z.string().optional(),
      community: z.string().optional(),
    }),
  })
  .transform((r) => {
    const version = SNMP_VERSIONS[r.snmp.version ?? 0] ?? null;
    const community = version !== 'v3' && r.snmp.community ? r.snmp.community : null;
    return {
      event: 'snmp' as const,
      ...base(r),
      version,
      /** `get_request`, `response`, `trap`, `snmpv2_trap` … */
      pduType: r.snmp.pdu_type ?? null,
      /** A v1/v2c community string was sent; the string itself is never kept. */
      communitySent: community !== null,
      /** It is a well-known default (`public`, `private` …). */
      defaultCommunity: community !== null && DEFAULT_COMMUNITIES.has(community.toLowerCase()),
    };
  });

/** Suricata's SMB2/3 dialect spelling → the capture dissector's (`3.11` → `3.1.1`); SMB1 strings as they are. */
const SMB2_DIALECTS: Record<string, string> = {
  '2.02': '2.0.2',
  '2.10': '2.1',
  '2.22': '2.2.2',
  '2.24': '2.2.4',
  '2.??': '2.???',
  '3.00': '3.0',
  '3.02': '3.0.2',
  '3.10': '3.1',
  '3.11': '3.1.1',
};

const smbSchema = z
  .object({
    ...common,
    smb: z.object({
      command: z.string().optional(),
      dialect: z.string().optional(),
      request: z.object({ native_os: z.string().optional() }).optional(),
      response: z.object({ native_os: z.string().optional() }).optional(),
    }),
  })
  .transform((r) => {
    const command = r.smb.command ?? '';
    const dialect = r.smb.dialect && r.smb.dialect !== 'unknown' ? r.smb.dialect : null;
    return {
      event: 'smb' as const,
      ...base(r),
      /** The server's answer to a NEGOTIATE: the dialect the connection speaks. */
      negotiated: /_NEGOTIATE_PROTOCOL$/.test(command) && dialect !== null,
      dialect: dialect === null ? null : (SMB2_DIALECTS[dialect] ?? dialect),
      /** SMB1 chosen (an SMB1 dialect string such as `NT LM 0.12`, not `2.??` or `3.11`). */
      smb1: dialect !== null && !/^\d\./.test(dialect),
      /** Session setup's native OS strings (SMB1 only): the server's and the client's. */
      serverOs: r.smb.response?.native_os || null,
      clientOs: r.smb.request?.native_os || null,
    };
  });

const mqttSchema = z
  .object({
    ...common,
    mqtt: z.object({
      connect: z
        .object({
          protocol_version: z.number().optional(),
          client_id: z.string().optional(),
          flags: z.object({ username: z.boolean().optional(), password: z.boolean().optional() }).optional(),
        })
        .optional(),
      connack: z.object({ return_code: z.number().int().min(0).max(255).optional() }).optional(),
      publish: z.object({ topic: z.string().optional(), message: z.string().optional() }).optional(),
    }),
  })
  .transform((r) => {
    const { connect, connack, publish } = r.mqtt;
    return {
      event: 'mqtt' as const,
      ...base(r),
      connect: connect
        ? {
            version: MQTT_VERSIONS[connect.protocol_version ?? 0] ?? null,
            clientId: connect.client_id ?? null,
            usernameSent: connect.flags?.username ?? false,
            passwordSent: connect.flags?.password ?? false,
          }
        : null,
      /** The broker's CONNACK code (3.x return code or 5.0 reason code); 0 accepts. */
      connackCode: connack ? (connack.return_code ?? 0) : null,
      publish: publish
        ? {
            topic: (publish.topic ?? '').slice(0, 200),
            /** Patient data in the message as far as Suricata logged it; the message itself is not kept. */
            patientData:
              publish.message !== undefined
                ? (findPatientData(new TextEncoder().encode(publish.message)) ?? null)
                : null,
          }
        : null,
      /** CONNECT only: the default-credential entry the login matched, set by `EveReader` (see ftp). */
      defaultCredential: null as string | null,
    };
  });

export const EVE_SCHEMAS = {
  flow: flowSchema,
  alert: alertSchema,
  dns: dnsSchema,
  http: httpSchema,
  tls: tlsSchema,
  dhcp: dhcpSchema,
  ftp: ftpSchema,
  ssh: sshSchema,
  snmp: snmpSchema,
  mqtt: mqttSchema,
  smb: smbSchema,
} as const;

export type EveEventType = keyof typeof EVE_SCHEMAS;
export type EveFlow = z.output<typeof flowSchema>;
export type EveAlert = z.output<typeof alertSchema>;
export type EveDns = z.output<typeof dnsSchema>;
export type EveHttp = z.output<typeof httpSchema>;
export type EveTls = z.output<typeof tlsSchema>;
export type EveDhcp = z.output<typeof dhcpSchema>;
export type EveFtp = z.output<typeof ftpSchema>;
export type EveSsh = z.output<typeof sshSchema>;
export type EveSnmp = z.output<typeof snmpSchema>;
export type EveMqtt = z.output<typeof mqttSchema>;
export type EveSmb = z.output<typeof smbSchema>;
export type EveRecord =
  | EveFlow
  | EveAlert
  | EveDns
  | EveHttp
  | EveTls
  | EveDhcp
  | EveFtp
  | EveSsh
  | EveSnmp
  | EveMqtt
  | EveSmb;

export function isEveEventType(t: string): t is EveEventType {
  return Object.hasOwn(EVE_SCHEMAS, t);
}
