/**
 * @module DNS, mDNS and LLMNR dissector (one wire format): one UDP payload (or one length-prefixed TCP
 * message) in, header, questions and resource records out, plus {@link discoverFromDns}, which turns a
 * response into what passive discovery wants: host names with their addresses and DNS-SD service
 * announcements (instance, service type, host, port, TXT key/values such as `model=`).
 *
 * Names are in presentation format (RFC 1035 §5.1): labels joined by `.`, a `.` or `\` inside a label
 * escaped with `\`, other control bytes as `\DDD`; DNS-SD instance names may hold UTF-8 and dots.
 * @see RFC 1035 §4 (message format), §4.1.4 (compression); RFC 6762 §18 (mDNS: QU / cache-flush bits);
 * @see RFC 6763 §4.1, §6 (DNS-SD names and TXT records); RFC 4795 §2.1 (LLMNR header); RFC 2782 (SRV)
 */
import { ByteCursor, ipv4, ipv6, latin1, TRUNCATED, Truncated, utf8 } from './byte-cursor.js';
import { malformed, needMore, ok, type ParseResult } from './parse-result.js';

export const DNS_TYPES: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  39: 'DNAME',
  41: 'OPT',
  43: 'DS',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  252: 'AXFR',
  255: 'ANY',
  257: 'CAA',
};

export const DNS_RCODES: Readonly<Record<number, string>> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
};

export interface DnsQuestion {
  name: string;
  type: number;
  typeName: string;
  class: number;
  /** mDNS "QU" bit (top bit of the class), RFC 6762 §5.4. */
  unicastResponse: boolean;
}

export type DnsRecordData =
  | { kind: 'A'; address: string }
  | { kind: 'AAAA'; address: string }
  | { kind: 'PTR' | 'CNAME' | 'NS' | 'DNAME'; target: string }
  | { kind: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { kind: 'TXT'; strings: string[] }
  | { kind: 'HINFO'; cpu: string; os: string }
  | { kind: 'MX'; preference: number; exchange: string }
  | { kind: 'OPT'; udpPayloadSize: number }
  | { kind: 'other'; length: number };

export interface DnsRecord {
  name: string;
  type: number;
  typeName: string;
  class: number;
  /** mDNS cache-flush bit (top bit of the class), RFC 6762 §10.2. */
  cacheFlush: boolean;
  ttl: number;
  data: DnsRecordData;
}

export interface DnsMessage {
  id: number;
  /** QR bit: false for a query, true for a response. */
  response: boolean;
  opcode: number;
  /** AA in DNS; C (conflict) in LLMNR. */
  authoritative: boolean;
  truncatedFlag: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  rcode: number;
  rcodeName: string;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  /** A question or record ran past the end of the payload; what came before it was kept. */
  truncated: boolean;
}

class BadName extends Error {}

const MAX_POINTER_HOPS = 32;

/** Parses one DNS/mDNS/LLMNR message (a whole UDP payload). Never throws. */
export function parseDns(payload: Uint8Array): ParseResult<DnsMessage> {
  if (payload.length < 12) return malformed(payload.length, 'DNS header needs 12 bytes');
  try {
    return ok(parseMessage(payload), payload.length);
  } catch (e) {
    if (e instanceof Truncated) return malformed(payload.length, 'truncated DNS header');
    return malformed(0, `unexpected: ${String(e)}`);
  }
}

/** One DNS message over TCP (RFC 1035 §4.2.2: a two-byte length first). */
export function parseDnsTcp(bytes: Uint8Array): ParseResult<DnsMessage> {
  if (bytes.length < 2) return needMore(2);
  const len = (bytes[0]! << 8) | bytes[1]!;
  if (bytes.length < 2 + len) return needMore(2 + len);
  const r = parseDns(bytes.subarray(2, 2 + len));
  if (r.kind === 'ok') return ok(r.value, 2 + len);
  if (r.kind === 'error') return malformed(r.offset + 2, r.reason);
  return r;
}

function parseMessage(p: Uint8Array): DnsMessage {
  const c = new ByteCursor(p);
  const id = c.u16();
  const flags = c.u16();
  const qd = c.u16();
  const an = c.u16();
  const ns = c.u16();
  const ar = c.u16();
  const msg: DnsMessage = {
    id,
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncatedFlag: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    rcodeName: DNS_RCODES[flags & 0xf] ?? String(flags & 0xf),
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
    truncated: false,
  };
  try {
    for (let i = 0; i < qd; i++) {
      const name = readName(p, c);
      const type = c.u16();
      const cls = c.u16();
      msg.questions.push({
        name,
        type,
        typeName: DNS_TYPES[type] ?? `TYPE${type}`,
        class: cls & 0x7fff,
        unicastResponse: (cls & 0x8000) !== 0,
      });
    }
    readRecords(p, c, an, msg.answers);
    readRecords(p, c, ns, msg.authorities);
    readRecords(p, c, ar, msg.additionals);
  } catch (e) {
    if (!(e instanceof Truncated) && !(e instanceof BadName)) throw e;
    msg.truncated = true;
  }
  return msg;
}

function readRecords(p: Uint8Array, c: ByteCursor, count: number, into: DnsRecord[]): void {
  for (let i = 0; i < count; i++) {
    const name = readName(p, c);
    const type = c.u16();
    const cls = c.u16();
    const ttl = c.u32();
    const rdlen = c.u16();
    const rd = c.sub(rdlen);
    into.push({
      name,
      type,
      typeName: DNS_TYPES[type] ?? `TYPE${type}`,
      class: type === 41 ? cls : cls & 0x7fff,
      cacheFlush: type !== 41 && (cls & 0x8000) !== 0,
      ttl,
      data: readData(p, type, cls, rd),
    });
  }
}

function readData(p: Uint8Array, type: number, cls: number, rd: ByteCursor): DnsRecordData {
  const len = rd.remaining;
  try {
    switch (type) {
      case 1:
        if (len === 4) return { kind: 'A', address: ipv4(p, rd.pos) };
        break;
      case 28:
        if (len === 16) return { kind: 'AAAA', address: ipv6(p, rd.pos) };
        break;
      case 2:
      case 5:
      case 12:
      case 39:
        return { kind: DNS_TYPES[type] as 'PTR', target: readName(p, rd) };
      case 33: {
        const priority = rd.u16();
        const weight = rd.u16();
        const port = rd.u16();
        return { kind: 'SRV', priority, weight, port, target: readName(p, rd) };
      }
      case 15: {
        const preference = rd.u16();
        return { kind: 'MX', preference, exchange: readName(p, rd) };
      }
      case 16:
        return { kind: 'TXT', strings: readCharacterStrings(rd) };
      case 13: {
        const [cpu = '', os = ''] = readCharacterStrings(rd);
        return { kind: 'HINFO', cpu, os };
      }
      case 41:
        return { kind: 'OPT', udpPayloadSize: cls };
    }
  } catch (e) {
    if (!(e instanceof Truncated) && !(e instanceof BadName)) throw e;
  }
  return { kind: 'other', length: len };
}

function readCharacterStrings(rd: ByteCursor): string[] {
  const out: string[] = [];
  while (rd.remaining > 0) {
    const n = rd.u8();
    const s = rd.take(n);
    out.push(utf8(s));
  }
  return out;
}

/**
 * Reads a possibly compressed name at the cursor and moves the cursor past it (past the first pointer).
 * Loop-safe: at most {@link MAX_POINTER_HOPS} pointers and 255 bytes of name.
 */
function readName(p: Uint8Array, c: ByteCursor): string {
  const labels: string[] = [];
  let pos = c.pos;
  let end = c.end;
  let jumped = false;
  let hops = 0;
  let total = 0;
  for (;;) {
    if (pos >= end) throw TRUNCATED;
    const len = p[pos]!;
    if (len === 0) {
      if (!jumped) c.pos = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= end) throw TRUNCATED;
      const target = ((len & 0x3f) << 8) | p[pos + 1]!;
      if (!jumped) c.pos = pos + 2;
      if (++hops > MAX_POINTER_HOPS || target >= p.length) throw new BadName('bad compression pointer');
      jumped = true;
      pos = target;
      end = p.length;
      continue;
    }
    if (len & 0xc0) throw new BadName('reserved label type');
    if (pos + 1 + len > end) throw TRUNCATED;
    total += len + 1;
    if (total > 255) throw new BadName('name longer than 255 bytes');
    labels.push(labelText(p, pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return labels.length === 0 ? '.' : labels.join('.');
}

function labelText(p: Uint8Array, start: number, end: number): string {
  let simple = true;
  for (let i = start; i < end; i++) {
    const b = p[i]!;
    if (b <= 0x20 || b >= 0x7f || b === 0x2e || b === 0x5c) {
      simple = false;
      break;
    }
  }
  if (simple) return latin1(p, start, end);
  let out = '';
  for (const ch of utf8(p, start, end)) {
    const code = ch.codePointAt(0)!;
    if (ch === '.' || ch === '\\') out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) out += `\\${String(code).padStart(3, '0')}`;
    else out += ch;
  }
  return out;
}

/** Splits a presentation-format name into labels, honouring `\.` and `\DDD` escapes (unescaped). */
export function nameLabels(name: string): string[] {
  if (name === '.' || name === '') return [];
  const labels: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch === '\\' && i + 1 < name.length) {
      const digits = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(digits)) {
        cur += String.fromCharCode(Number(digits));
        i += 3;
      } else {
        cur += name[i + 1];
        i += 1;
      }
    } else if (ch === '.') {
      labels.push(cur);
      cur = '';
    } else cur += ch;
  }
  labels.push(cur);
  return labels;
}

// ---------------------------------------------------------------------------------------------------
// Discovery: what a response tells about the devices on the network.

export interface DnsHostAddress {
  name: string;
  address: string;
}

/** One DNS-SD service instance (RFC 6763 §4.1: `<Instance>.<_service>.<_proto>.<domain>`). */
export interface DnsSdService {
  /** The user-visible instance name, unescaped: `Infusion Pump E-214`. */
  instance: string;
  /** `_http._tcp` */
  serviceType: string;
  /** `local` for mDNS. */
  domain: string;
  /** The full owner name (presentation format). */
  fullName: string;
  /** From the SRV record. */
  host?: string;
  port?: number;
  /** From the TXT record (RFC 6763 §6.3–6.4): keys lower-cased, first occurrence wins, `true` for a bare key. */
  txt?: Record<string, string | true>;
}

export interface DnsDiscovery {
  /** A and AAAA answers: name → address. */
  addresses: DnsHostAddress[];
  /** PTR answers under in-addr.arpa / ip6.arpa: address → name. */
  reverse: DnsHostAddress[];
  /** CNAME answers: alias → canonical name. */
  aliases: { name: string; target: string }[];
  services: DnsSdService[];
  /** Service types seen (PTR owners such as `_http._tcp.local` and `_services._dns-sd._udp` targets). */
  serviceTypes: string[];
  hinfo: { name: string; cpu: string; os: string }[];
}

/**
 * What one message says about devices. Only responses count (queries carry known answers that are
 * someone else's claims); the caller attributes the result to the responder's address.
 */
export function discoverFromDns(msg: DnsMessage): DnsDiscovery {
  const out: DnsDiscovery = {
    addresses: [],
    reverse: [],
    aliases: [],
    services: [],
    serviceTypes: [],
    hinfo: [],
  };
  if (!msg.response) return out;
  const records = [...msg.answers, ...msg.additionals];
  const services = new Map<string, DnsSdService>();
  const types = new Set<string>();
  const serviceFor = (fullName: string): DnsSdService | undefined => {
    const key = fullName.toLowerCase();
    const known = services.get(key);
    if (known) return known;
    const parsed = splitServiceName(fullName);
    if (!parsed) return undefined;
    services.set(key, parsed);
    return parsed;
  };
  for (const r of records) {
    const d = r.data;
    switch (d.kind) {
      case 'A':
      case 'AAAA':
        pushUnique(out.addresses, { name: r.name, address: d.address });
        break;
      case 'CNAME':
        out.aliases.push({ name: r.name, target: d.target });
        break;
      case 'PTR': {
        const address = reverseAddress(r.name);
        if (address) {
          pushUnique(out.reverse, { name: d.target, address });
          break;
        }
        const owner = nameLabels(r.name);
        if (owner.length >= 3 && owner[0] === '_services' && owner[1] === '_dns-sd') {
          types.add(d.target);
          break;
        }
        if (isServiceType(owner)) {
          types.add(r.name);
          serviceFor(d.target);
        }
        break;
      }
      case 'SRV': {
        const s = serviceFor(r.name);
        if (s) {
          s.host = d.target;
          s.port = d.port;
        }
        break;
      }
      case 'TXT': {
        const s = serviceFor(r.name);
        if (s) s.txt = { ...parseTxt(d.strings), ...s.txt };
        break;
      }
      case 'HINFO':
        out.hinfo.push({ name: r.name, cpu: d.cpu, os: d.os });
        break;
    }
  }
  out.services = [...services.values()];
  out.serviceTypes = [...types];
  return out;
}

function pushUnique(list: DnsHostAddress[], item: DnsHostAddress): void {
  if (!list.some((x) => x.name === item.name && x.address === item.address)) list.push(item);
}

/** `_http._tcp.local` style: a `_service` label then `_tcp`/`_udp`. */
function isServiceType(labels: string[]): boolean {
  return labels.length >= 2 && labels[0]!.startsWith('_') && (labels[1] === '_tcp' || labels[1] === '_udp');
}

function splitServiceName(fullName: string): DnsSdService | undefined {
  const labels = nameLabels(fullName);
  for (let i = 1; i + 1 < labels.length; i++) {
    if (isServiceType(labels.slice(i))) {
      const instance = labels.slice(0, i).join('.');
      return {
        instance,
        serviceType: `${labels[i]}.${labels[i + 1]}`,
        domain: labels.slice(i + 2).join('.'),
        fullName,
      };
    }
  }
  return undefined;
}

/** @see RFC 6763 §6.3 (key=value, a key without `=` is a boolean attribute), §6.4 (keys are case-insensitive). */
export function parseTxt(strings: readonly string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (const s of strings) {
    if (s === '') continue;
    const eq = s.indexOf('=');
    if (eq === 0) continue;
    const key = (eq < 0 ? s : s.slice(0, eq)).toLowerCase();
    if (Object.hasOwn(out, key)) continue;
    out[key] = eq < 0 ? true : s.slice(eq + 1);
  }
  return out;
}

/** `10.0.20.10.in-addr.arpa` → `10.20.0.10`; nibble form under ip6.arpa → IPv6 text. */
export function reverseAddress(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.in-addr.arpa')) {
    const parts = lower.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || !parts.every((x) => /^\d{1,3}$/.test(x) && Number(x) < 256)) return undefined;
    return parts.reverse().join('.');
  }
  if (lower.endsWith('.ip6.arpa')) {
    const nibbles = lower.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return undefined;
    const bytes = new Uint8Array(16);
    const hexs = nibbles.reverse().join('');
    for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hexs.slice(2 * i, 2 * i + 2), 16);
    return ipv6(bytes, 0);
  }
  return undefined;
}
