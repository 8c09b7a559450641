/**
 * @module DHCPv4 (BOOTP) dissector: one UDP payload (ports 67/68) in, the client's identity out —
 * hardware address, hostname, vendor class, client identifier and the parameter request list, whose
 * order is a well-known fingerprint of the DHCP client software.
 * @see RFC 2131 §2 (message format), RFC 2132 (options), RFC 3396 (long options), RFC 4702 (client FQDN)
 */
import { ByteCursor, hex, ipv4, mac, Truncated, utf8 } from './byte-cursor.js';
import { malformed, ok, type ParseResult } from './parse-result.js';

/** @see RFC 2132 §9.6, RFC 3203 (FORCERENEW), RFC 4388 (LEASEQUERY), RFC 6926 (BULKLEASEQUERY) */
export const DHCP_MESSAGE_TYPES: Readonly<Record<number, string>> = {
  1: 'DISCOVER',
  2: 'OFFER',
  3: 'REQUEST',
  4: 'DECLINE',
  5: 'ACK',
  6: 'NAK',
  7: 'RELEASE',
  8: 'INFORM',
  9: 'FORCERENEW',
  10: 'LEASEQUERY',
  11: 'LEASEUNASSIGNED',
  12: 'LEASEUNKNOWN',
  13: 'LEASEACTIVE',
  14: 'BULKLEASEQUERY',
  15: 'LEASEQUERYDONE',
  16: 'ACTIVELEASEQUERY',
  17: 'LEASEQUERYSTATUS',
  18: 'TLS',
};

export interface DhcpClientId {
  /** RFC 2132 §9.14 type byte: 1 = Ethernet MAC follows, 255 = RFC 4361 IAID + DUID, 0 = free-form. */
  type: number;
  /** The identifier after the type byte, hex. */
  hex: string;
  /** The MAC when `type` is 1 and six bytes follow. */
  mac?: string;
}

/** @see RFC 4702 §2 */
export interface DhcpClientFqdn {
  flags: number;
  /** Decoded from DNS wire format when the E flag is set, else the ASCII the client sent. */
  name: string;
}

export interface DhcpMessage {
  op: 'request' | 'reply';
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  broadcast: boolean;
  /** ciaddr, yiaddr, siaddr, giaddr (dotted quads, `0.0.0.0` when unset). */
  clientAddress: string;
  yourAddress: string;
  nextServerAddress: string;
  relayAddress: string;
  /** chaddr as a MAC when htype 1 / hlen 6 (Ethernet). */
  clientMac?: string;
  /** chaddr's first `hlen` bytes (at most 16), hex. */
  clientHardwareAddress: string;
  /** sname / file fields when not overloaded with options. */
  serverName?: string;
  bootFile?: string;
  /** False for plain BOOTP (no magic cookie, so no options). */
  isDhcp: boolean;
  messageType?: string;
  messageTypeCode?: number;
  /** Option 12. */
  hostname?: string;
  /** Option 60. */
  vendorClassId?: string;
  /** Option 61. */
  clientId?: DhcpClientId;
  /** Option 55, in the client's order (a fingerprint). */
  parameterRequestList?: number[];
  /** Option 50. */
  requestedAddress?: string;
  /** Option 54. */
  serverId?: string;
  /** Option 51, seconds. */
  leaseTime?: number;
  /** Option 1. */
  subnetMask?: string;
  /** Option 3. */
  routers?: string[];
  /** Option 6. */
  dnsServers?: string[];
  /** Option 15. */
  domainName?: string;
  /** Option 56 (an error text from server or client). */
  message?: string;
  /** Option 57. */
  maxMessageSize?: number;
  /** Option 77 (RFC 3004), as text. */
  userClass?: string;
  /** Option 81. */
  fqdn?: DhcpClientFqdn;
  /** Option codes in order of appearance (without pad/end): a second fingerprint. */
  optionCodes: number[];
  /** An option ran past the end of the packet; everything before it was kept. */
  truncated: boolean;
}

const MAGIC_COOKIE = 0x63825363;
const BOOTP_FIXED = 236;

/** Parses one DHCPv4/BOOTP UDP payload. Never throws. */
export function parseDhcp(payload: Uint8Array): ParseResult<DhcpMessage> {
  try {
    return parse(payload);
  } catch (e) {
    if (e instanceof Truncated) return malformed(payload.length, 'truncated BOOTP header');
    return malformed(0, `unexpected: ${String(e)}`);
  }
}

function parse(p: Uint8Array): ParseResult<DhcpMessage> {
  if (p.length < BOOTP_FIXED) return malformed(p.length, `BOOTP header needs ${BOOTP_FIXED} bytes`);
  const c = new ByteCursor(p);
  const opCode = c.u8();
  if (opCode !== 1 && opCode !== 2) return malformed(0, `op ${opCode} is neither BOOTREQUEST nor BOOTREPLY`);
  const htype = c.u8();
  const hlen = c.u8();
  const hops = c.u8();
  const xid = c.u32();
  const secs = c.u16();
  const flags = c.u16();
  const msg: DhcpMessage = {
    op: opCode === 1 ? 'request' : 'reply',
    htype,
    hlen,
    hops,
    xid,
    secs,
    broadcast: (flags & 0x8000) !== 0,
    clientAddress: ipv4(p, 12),
    yourAddress: ipv4(p, 16),
    nextServerAddress: ipv4(p, 20),
    relayAddress: ipv4(p, 24),
    clientHardwareAddress: hex(p, 28, 28 + Math.min(hlen, 16)),
    isDhcp: false,
    optionCodes: [],
    truncated: false,
  };
  if (htype === 1 && hlen === 6) msg.clientMac = mac(p, 28);

  if (p.length < BOOTP_FIXED + 4 || new ByteCursor(p, BOOTP_FIXED).u32() !== MAGIC_COOKIE) {
    setBootpStrings(msg, p, true, true);
    return ok(msg, p.length);
  }
  msg.isDhcp = true;
  const options = new Map<number, Uint8Array>();
  msg.truncated = readOptions(p, BOOTP_FIXED + 4, p.length, options, msg.optionCodes);
  // @see RFC 2132 §9.3: option 52 moves more options into the file and/or sname fields
  const overload = options.get(52)?.[0] ?? 0;
  if (overload & 1) msg.truncated = readOptions(p, 108, 236, options, msg.optionCodes) || msg.truncated;
  if (overload & 2) msg.truncated = readOptions(p, 44, 108, options, msg.optionCodes) || msg.truncated;
  setBootpStrings(msg, p, (overload & 2) === 0, (overload & 1) === 0);
  applyOptions(msg, options);
  return ok(msg, p.length);
}

function setBootpStrings(msg: DhcpMessage, p: Uint8Array, sname: boolean, file: boolean): void {
  if (sname) {
    const s = cString(p, 44, 108);
    if (s) msg.serverName = s;
  }
  if (file) {
    const s = cString(p, 108, 236);
    if (s) msg.bootFile = s;
  }
}

/**
 * Reads code/length/value options into `into`, concatenating repeats (RFC 3396). Returns true when an
 * option overran `end`.
 */
function readOptions(
  p: Uint8Array,
  start: number,
  end: number,
  into: Map<number, Uint8Array>,
  order: number[],
) {
  let i = start;
  while (i < end) {
    const code = p[i]!;
    if (code === 0) {
      i++;
      continue;
    }
    if (code === 255) return false;
    if (i + 1 >= end) return true;
    const len = p[i + 1]!;
    if (i + 2 + len > end) return true;
    const value = p.subarray(i + 2, i + 2 + len);
    const prev = into.get(code);
    if (prev) {
      const joined = new Uint8Array(prev.length + value.length);
      joined.set(prev);
      joined.set(value, prev.length);
      into.set(code, joined);
    } else {
      into.set(code, value);
      order.push(code);
    }
    i += 2 + len;
  }
  return false;
}

function applyOptions(msg: DhcpMessage, o: Map<number, Uint8Array>): void {
  const t = o.get(53);
  if (t && t.length >= 1) {
    msg.messageTypeCode = t[0]!;
    msg.messageType = DHCP_MESSAGE_TYPES[t[0]!] ?? `unknown-${t[0]}`;
  }
  const text = (code: number) => {
    const v = o.get(code);
    if (!v || v.length === 0) return undefined;
    let e = v.length;
    while (e > 0 && v[e - 1] === 0) e--;
    return e > 0 ? utf8(v, 0, e) : undefined;
  };
  const addr = (code: number) => {
    const v = o.get(code);
    return v && v.length >= 4 ? ipv4(v, 0) : undefined;
  };
  const addrs = (code: number) => {
    const v = o.get(code);
    if (!v || v.length < 4) return undefined;
    const out: string[] = [];
    for (let i = 0; i + 4 <= v.length; i += 4) out.push(ipv4(v, i));
    return out;
  };
  const set = <K extends keyof DhcpMessage>(key: K, value: DhcpMessage[K] | undefined) => {
    if (value !== undefined) msg[key] = value;
  };
  set('hostname', text(12));
  set('vendorClassId', text(60));
  set('domainName', text(15));
  set('message', text(56));
  set('userClass', text(77));
  set('requestedAddress', addr(50));
  set('serverId', addr(54));
  set('subnetMask', addr(1));
  set('routers', addrs(3));
  set('dnsServers', addrs(6));
  const prl = o.get(55);
  if (prl) msg.parameterRequestList = Array.from(prl);
  const lease = o.get(51);
  if (lease && lease.length >= 4) msg.leaseTime = new ByteCursor(lease).u32();
  const mms = o.get(57);
  if (mms && mms.length >= 2) msg.maxMessageSize = new ByteCursor(mms).u16();
  const cid = o.get(61);
  if (cid && cid.length >= 1) {
    const id: DhcpClientId = { type: cid[0]!, hex: hex(cid, 1) };
    if (cid[0] === 1 && cid.length === 7) id.mac = mac(cid, 1);
    msg.clientId = id;
  }
  const fqdn = o.get(81);
  if (fqdn && fqdn.length >= 3) {
    const flags = fqdn[0]!;
    // E flag (0x04): canonical wire format; otherwise the deprecated ASCII form
    const name = flags & 0x04 ? wireName(fqdn, 3) : (text81(fqdn) ?? '');
    msg.fqdn = { flags, name };
  }
}

function text81(v: Uint8Array): string | undefined {
  let e = v.length;
  while (e > 3 && v[e - 1] === 0) e--;
  return utf8(v, 3, e);
}

/** An uncompressed DNS name (RFC 4702 forbids compression here). */
function wireName(v: Uint8Array, start: number): string {
  const labels: string[] = [];
  let i = start;
  while (i < v.length) {
    const len = v[i]!;
    if (len === 0 || len > 63 || i + 1 + len > v.length) break;
    labels.push(utf8(v, i + 1, i + 1 + len));
    i += 1 + len;
  }
  return labels.join('.');
}

function cString(p: Uint8Array, start: number, end: number): string | undefined {
  let e = start;
  while (e < end && p[e] !== 0) e++;
  return e > start ? utf8(p, start, e) : undefined;
}
