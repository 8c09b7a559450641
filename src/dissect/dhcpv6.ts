/**
 * @module DHCPv6 dissector: one UDP payload (ports 546/547) in, what it says about the client out — its
 * DUID (types 1 LLT and 3 LL carry its MAC, type 2 EN its manufacturer's enterprise number), the
 * addresses the server assigns (IA_NA/IA_TA), its FQDN, vendor and user classes, and the option request
 * list (ORO), whose order is a fingerprint of the client software. Relay messages are unwrapped.
 * @see RFC 8415 §8 (message format), §9 (relay agent messages), §11 (DUIDs), §21.2–21.6 (client/server
 *   identifier, IA_NA, IA_TA, IA Address, ORO), §21.13 (status code), §21.15–21.17 (user class, vendor
 *   class, vendor-specific information); RFC 4704 §4 (client FQDN option 39)
 */
import { ByteCursor, hex, ipv6, mac, Truncated, utf8 } from './byte-cursor.js';
import { malformed, ok, type ParseResult } from './parse-result.js';

/** @see RFC 8415 §7.3 */
export const DHCPV6_MESSAGE_TYPES: Readonly<Record<number, string>> = {
  1: 'SOLICIT',
  2: 'ADVERTISE',
  3: 'REQUEST',
  4: 'CONFIRM',
  5: 'RENEW',
  6: 'REBIND',
  7: 'REPLY',
  8: 'RELEASE',
  9: 'DECLINE',
  10: 'RECONFIGURE',
  11: 'INFORMATION-REQUEST',
  12: 'RELAY-FORW',
  13: 'RELAY-REPL',
};

/** Messages a client sends (the rest come from servers or relays). */
const FROM_CLIENT = new Set([1, 3, 4, 5, 6, 8, 9, 11]);

export interface Dhcpv6Duid {
  /** 1 LLT, 2 EN, 3 LL, 4 UUID (RFC 8415 §11.1). */
  type: number;
  /** The link-layer address of LLT and LL DUIDs with hardware type 1 (Ethernet), lower-case colon form. */
  mac?: string;
  /** EN: the manufacturer's IANA private enterprise number. */
  enterpriseNumber?: number;
  /** The whole DUID in hex (what identifies the client across address changes). */
  hex: string;
}

export interface Dhcpv6Message {
  messageType: number;
  /** SOLICIT, ADVERTISE … (see {@link DHCPV6_MESSAGE_TYPES}); `TYPE-n` for unknown types. */
  messageTypeName: string;
  transactionId: number;
  /** Sent by a client (SOLICIT, REQUEST, RENEW, INFORMATION-REQUEST …). */
  fromClient: boolean;
  /** Unwrapped from RELAY-FORW/RELAY-REPL (the relay's own fields are not kept). */
  relayed: boolean;
  clientId?: Dhcpv6Duid;
  serverId?: Dhcpv6Duid;
  /** IA Address options inside IA_NA and IA_TA: addresses offered or assigned to the client. */
  addresses: string[];
  /** Client FQDN option (39): the name, fully qualified or partial. */
  fqdn?: string;
  vendorClass?: { enterpriseNumber: number; data: string[] };
  userClass?: string[];
  /** Enterprise number of a vendor-specific information option (17). */
  vendorOptsEnterprise?: number;
  /** Option request option (6), in order. */
  requestedOptions?: number[];
  /** Status code option (13) at message level; 0 is success. */
  statusCode?: number;
}

const MAX_RELAY_DEPTH = 8;
const MAX_LIST = 32;

/** Parses one DHCPv6 message (a relay message is unwrapped to the client's or server's message inside). */
export function parseDhcpv6(payload: Uint8Array): ParseResult<Dhcpv6Message> {
  try {
    return parse(payload, 0);
  } catch (e) {
    if (e instanceof Truncated) return malformed(payload.length, 'DHCPv6 option runs past the message');
    return malformed(0, `unexpected: ${String(e)}`);
  }
}

function parse(p: Uint8Array, depth: number): ParseResult<Dhcpv6Message> {
  if (p.length < 4) return malformed(p.length, 'DHCPv6 message needs 4 bytes');
  const type = p[0]!;
  if (type === 0 || type > 13) return malformed(0, `unknown DHCPv6 message type ${type}`);
  if (type === 12 || type === 13) return relay(p, depth);
  const c = new ByteCursor(p, 1);
  const msg: Dhcpv6Message = {
    messageType: type,
    messageTypeName: DHCPV6_MESSAGE_TYPES[type] ?? `TYPE-${type}`,
    transactionId: c.u24(),
    fromClient: FROM_CLIENT.has(type),
    relayed: false,
    addresses: [],
  };
  options(c, msg);
  return ok(msg, p.length);
}

/** @see RFC 8415 §9: msg-type, hop-count, link-address, peer-address, options (the message in option 9). */
function relay(p: Uint8Array, depth: number): ParseResult<Dhcpv6Message> {
  if (depth >= MAX_RELAY_DEPTH) return malformed(0, 'relay messages nested too deeply');
  if (p.length < 34) return malformed(p.length, 'DHCPv6 relay message needs 34 bytes');
  const c = new ByteCursor(p, 34);
  while (c.remaining > 0) {
    const code = c.u16();
    const body = c.take(c.u16());
    if (code === 9) {
      const inner = parse(body, depth + 1);
      if (inner.kind !== 'ok')
        return inner.kind === 'error' ? malformed(c.pos - body.length + inner.offset, inner.reason) : inner;
      inner.value.relayed = true;
      return ok(inner.value, p.length);
    }
  }
  return malformed(p.length, 'relay message without a Relay Message option');
}

function options(c: ByteCursor, msg: Dhcpv6Message): void {
  while (c.remaining > 0) {
    const code = c.u16();
    const o = c.sub(c.u16());
    switch (code) {
      case 1:
        msg.clientId = duid(o.take(o.remaining));
        break;
      case 2:
        msg.serverId = duid(o.take(o.remaining));
        break;
      case 3: // IA_NA: IAID, T1, T2, options
        o.skip(12);
        iaOptions(o, msg);
        break;
      case 4: // IA_TA: IAID, options
        o.skip(4);
        iaOptions(o, msg);
        break;
      case 6: {
        const list: number[] = [];
        while (o.remaining >= 2) list.push(o.u16());
        msg.requestedOptions = list.slice(0, 64);
        break;
      }
      case 13:
        msg.statusCode = o.u16();
        break;
      case 15:
        msg.userClass = opaqueList(o);
        break;
      case 16:
        msg.vendorClass = { enterpriseNumber: o.u32(), data: opaqueList(o) };
        break;
      case 17:
        msg.vendorOptsEnterprise = o.u32();
        break;
      case 39:
        o.u8(); // flags
        msg.fqdn = domainName(o.take(o.remaining));
        break;
      default:
        break;
    }
  }
}

/** Options inside IA_NA/IA_TA: IA Address (5) = address, preferred and valid lifetimes, options. */
function iaOptions(o: ByteCursor, msg: Dhcpv6Message): void {
  while (o.remaining > 0) {
    const code = o.u16();
    const body = o.sub(o.u16());
    if (code === 5 && msg.addresses.length < MAX_LIST) {
      const addr = ipv6(body.take(16), 0);
      if (!msg.addresses.includes(addr)) msg.addresses.push(addr);
    }
  }
}

/** @see RFC 8415 §11.2 (LLT: type, hardware type, time, address), §11.3 (EN), §11.4 (LL) */
function duid(b: Uint8Array): Dhcpv6Duid {
  const d: Dhcpv6Duid = { type: b.length >= 2 ? (b[0]! << 8) | b[1]! : 0, hex: hex(b) };
  const hwType = b.length >= 4 ? (b[2]! << 8) | b[3]! : -1;
  if (d.type === 1 && hwType === 1 && b.length === 14) d.mac = mac(b, 8);
  else if (d.type === 3 && hwType === 1 && b.length === 10) d.mac = mac(b, 4);
  else if (d.type === 2 && b.length >= 6)
    d.enterpriseNumber = ((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0;
  return d;
}

/** user-class-data / vendor-class-data: each a 2-byte length and opaque bytes, shown as text. */
function opaqueList(o: ByteCursor): string[] {
  const out: string[] = [];
  while (o.remaining >= 2 && out.length < MAX_LIST) out.push(printableText(o.take(o.u16())));
  return out;
}

function printableText(b: Uint8Array): string {
  return (
    utf8(b)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to strip them
      .replace(/[\u0000-\u001f\u007f\ufffd]/g, '')
      .slice(0, 256)
  );
}

/** DNS wire-format name (RFC 1035 §3.1, no compression); a partial name has no terminating zero. */
function domainName(b: Uint8Array): string {
  const labels: string[] = [];
  let i = 0;
  while (i < b.length) {
    const n = b[i]!;
    if (n === 0 || n > 63 || i + 1 + n > b.length) break;
    labels.push(printableText(b.subarray(i + 1, i + 1 + n)));
    i += 1 + n;
  }
  return labels.join('.').toLowerCase();
}
