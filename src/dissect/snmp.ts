/**
 * @module SNMP dissector (v1, v2c, v3 over UDP 161/162): version, PDU type, OIDs asked for, and the
 * device identity a response or trap carries (sysDescr, sysObjectID, sysName …). For v1/v2c the
 * community string is a clear-text password: Vigil records that one was used, its length and whether
 * it is a well-known default, and never the string. Variable values outside the system group are not
 * kept either (they may be anything, including secrets written by a SET).
 * @see RFC 1157 §4 (v1 message and PDUs), RFC 3416 §3 (v2 PDUs), RFC 3412 §6 (v3 message), RFC 3414 §2.4 (USM)
 * @see RFC 3418 §2 (system group: sysDescr 1.3.6.1.2.1.1.1 …)
 */
import { children, DerError, oid, readTlv, type Tlv } from './ber.js';
import { hex, utf8 } from './byte-cursor.js';
import { malformed, ok, type ParseResult } from './parse-result.js';

export const SNMP_PDU_TYPES: Readonly<Record<number, string>> = {
  160: 'get-request',
  161: 'get-next-request',
  162: 'get-response',
  163: 'set-request',
  164: 'trap',
  165: 'get-bulk-request',
  166: 'inform-request',
  167: 'snmpv2-trap',
  168: 'report',
};

/** Community strings shipped as factory defaults (lower case). `public`/`private` are reported by name. */
export const DEFAULT_COMMUNITIES: ReadonlySet<string> = new Set([
  'public',
  'private',
  'community',
  'snmp',
  'snmpd',
  'admin',
  'manager',
  'monitor',
  'read',
  'write',
  'secret',
  'default',
  'cisco',
  'all private',
  'ilmi',
  'internal',
  'system',
  'test',
  'guest',
]);

export interface SnmpCommunity {
  length: number;
  /** One of {@link DEFAULT_COMMUNITIES}. */
  defaultCommunity: boolean;
  /** `public` / `private` by name; any other default as `other-default`; else `custom`. */
  kind: 'public' | 'private' | 'other-default' | 'custom';
}

export interface SnmpVarbind {
  oid: string;
  /** `INTEGER`, `OCTET STRING`, `OID`, `NULL`, `TimeTicks`, `noSuchObject` … */
  type: string;
  /** Only for system-group objects (1.3.6.1.2.1.1.*) in responses, traps and reports. */
  value?: string | number;
}

export interface SnmpSystemInfo {
  sysDescr?: string;
  sysObjectID?: string;
  sysUpTime?: number;
  sysContact?: string;
  sysName?: string;
  sysLocation?: string;
  sysServices?: number;
}

export interface SnmpV3Info {
  msgId: number;
  authenticated: boolean;
  encrypted: boolean;
  reportable: boolean;
  securityModel: number;
  /** USM authoritative engine id, hex. */
  engineId?: string;
  /** USM user name (an identity, not a secret). */
  userName?: string;
}

export interface SnmpMessage {
  version: 'v1' | 'v2c' | 'v3';
  /** v1/v2c: that a community was sent, and what kind — never the string. */
  community?: SnmpCommunity;
  /** PDU type name, or `encrypted` for a v3 message with privacy. */
  pduType: string;
  requestId?: number;
  errorStatus?: number;
  errorIndex?: number;
  varbinds: SnmpVarbind[];
  /** System-group values carried by a response, trap or report. */
  system: SnmpSystemInfo;
  /** SNMPv1 Trap-PDU header. */
  trap?: { enterprise: string; agentAddress: string; genericTrap: number; specificTrap: number };
  v3?: SnmpV3Info;
}

const MAX_VARBINDS = 1000;
const SYSTEM_PREFIX = '1.3.6.1.2.1.1.';
const SYSTEM_NAMES: Readonly<Record<string, keyof SnmpSystemInfo>> = {
  '1': 'sysDescr',
  '2': 'sysObjectID',
  '3': 'sysUpTime',
  '4': 'sysContact',
  '5': 'sysName',
  '6': 'sysLocation',
  '7': 'sysServices',
};

/** The JavaScript type each system-group object must decode to (RFC 3418: DisplayString, OID, TimeTicks, INTEGER). */
const SYSTEM_TYPES: Readonly<Record<keyof SnmpSystemInfo, 'string' | 'number'>> = {
  sysDescr: 'string',
  sysObjectID: 'string',
  sysUpTime: 'number',
  sysContact: 'string',
  sysName: 'string',
  sysLocation: 'string',
  sysServices: 'number',
};

/** Parses one SNMP UDP payload. Never throws. */
export function parseSnmp(payload: Uint8Array): ParseResult<SnmpMessage> {
  try {
    const top = readTlv(payload, 0, payload.length);
    if (top.tag !== 0x30) return malformed(0, 'SNMP message is not a SEQUENCE');
    return ok(parseMessage(payload, top), top.end);
  } catch (e) {
    if (e instanceof DerError) return malformed(0, e.message);
    return malformed(0, `unexpected: ${String(e)}`);
  }
}

/** A signed INTEGER of at most 6 bytes (request ids are signed 32-bit). */
function int(b: Uint8Array, t: Tlv | undefined): number {
  if (t?.tag !== 0x02 || t.end === t.start || t.end - t.start > 6) throw new DerError('expected INTEGER');
  let v = 0;
  for (let i = t.start; i < t.end; i++) v = v * 256 + b[i]!;
  if (b[t.start]! & 0x80) v -= 256 ** (t.end - t.start);
  return v;
}

function parseMessage(b: Uint8Array, top: Tlv): SnmpMessage {
  const parts = children(b, top);
  const v = int(b, parts[0]);
  if (v === 3) return parseV3(b, parts);
  if (v !== 0 && v !== 1) throw new DerError(`unknown SNMP version ${v}`);
  const communityT = parts[1];
  if (communityT?.tag !== 0x04) throw new DerError('expected community OCTET STRING');
  const msg: SnmpMessage = {
    version: v === 0 ? 'v1' : 'v2c',
    community: classifyCommunity(b, communityT),
    pduType: '',
    varbinds: [],
    system: {},
  };
  const pdu = parts[2];
  if (!pdu) throw new DerError('missing PDU');
  readPdu(b, pdu, msg);
  return msg;
}

function classifyCommunity(b: Uint8Array, t: Tlv): SnmpCommunity {
  const length = t.end - t.start;
  // compared in place, never copied into the result
  const lower = utf8(b, t.start, t.end).toLowerCase();
  const defaultCommunity = DEFAULT_COMMUNITIES.has(lower);
  const kind =
    lower === 'public'
      ? 'public'
      : lower === 'private'
        ? 'private'
        : defaultCommunity
          ? 'other-default'
          : 'custom';
  return { length, defaultCommunity, kind };
}

function readPdu(b: Uint8Array, pdu: Tlv, msg: SnmpMessage): void {
  const name = SNMP_PDU_TYPES[pdu.tag];
  if (!name) throw new DerError(`unknown PDU tag 0x${pdu.tag.toString(16)}`);
  msg.pduType = name;
  const f = children(b, pdu);
  let bindings: Tlv | undefined;
  if (pdu.tag === 0xa4) {
    const [enterprise, agent, generic, specific, , vb] = f;
    msg.trap = {
      enterprise: enterprise?.tag === 0x06 ? oid(b, enterprise) : '',
      agentAddress:
        agent && agent.end - agent.start === 4
          ? `${b[agent.start]}.${b[agent.start + 1]}.${b[agent.start + 2]}.${b[agent.start + 3]}`
          : '',
      genericTrap: int(b, generic),
      specificTrap: int(b, specific),
    };
    bindings = vb;
  } else {
    msg.requestId = int(b, f[0]);
    // for GetBulk these are non-repeaters and max-repetitions
    msg.errorStatus = int(b, f[1]);
    msg.errorIndex = int(b, f[2]);
    bindings = f[3];
  }
  if (bindings?.tag !== 0x30) throw new DerError('expected variable-bindings');
  const carriesValues =
    pdu.tag === 0xa2 || pdu.tag === 0xa4 || pdu.tag === 0xa6 || pdu.tag === 0xa7 || pdu.tag === 0xa8;
  for (const vb of children(b, bindings)) {
    if (msg.varbinds.length >= MAX_VARBINDS) break;
    const [nameT, valueT] = children(b, vb);
    if (nameT?.tag !== 0x06 || !valueT) throw new DerError('bad VarBind');
    const id = oid(b, nameT);
    const binding: SnmpVarbind = { oid: id, type: typeName(valueT.tag) };
    if (carriesValues && id.startsWith(SYSTEM_PREFIX)) {
      const value = decodeValue(b, valueT);
      const key = SYSTEM_NAMES[id.slice(SYSTEM_PREFIX.length).replace(/\.0$/, '')];
      if (value !== undefined) {
        binding.value = value;
        // The OID names the object, the BER tag its type: a sysDescr sent as an INTEGER (a broken or
        // hostile agent) is kept in the varbind, not handed on as the device's description.
        if (key && id.endsWith('.0') && typeof value === SYSTEM_TYPES[key])
          (msg.system as Record<string, string | number>)[key] = value;
      }
    }
    msg.varbinds.push(binding);
  }
}

function typeName(tag: number): string {
  switch (tag) {
    case 0x02:
      return 'INTEGER';
    case 0x04:
      return 'OCTET STRING';
    case 0x05:
      return 'NULL';
    case 0x06:
      return 'OID';
    case 0x40:
      return 'IpAddress';
    case 0x41:
      return 'Counter32';
    case 0x42:
      return 'Gauge32';
    case 0x43:
      return 'TimeTicks';
    case 0x44:
      return 'Opaque';
    case 0x46:
      return 'Counter64';
    case 0x80:
      return 'noSuchObject';
    case 0x81:
      return 'noSuchInstance';
    case 0x82:
      return 'endOfMibView';
    default:
      return `tag-0x${tag.toString(16)}`;
  }
}

function decodeValue(b: Uint8Array, t: Tlv): string | number | undefined {
  switch (t.tag) {
    case 0x02:
      return int(b, t);
    case 0x41:
    case 0x42:
    case 0x43: {
      let v = 0;
      for (let i = t.start; i < t.end && i < t.start + 5; i++) v = v * 256 + b[i]!;
      return v;
    }
    case 0x06:
      return oid(b, t);
    case 0x04: {
      const s = utf8(b, t.start, t.end);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: binary strings are shown as hex
      return /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(s) ? hex(b, t.start, t.end) : s.replace(/\0+$/, '');
    }
    default:
      return undefined;
  }
}

/** @see RFC 3412 §6, RFC 3414 §2.4 */
function parseV3(b: Uint8Array, parts: Tlv[]): SnmpMessage {
  const [, global, secParams, data] = parts;
  if (global?.tag !== 0x30) throw new DerError('expected msgGlobalData');
  const g = children(b, global);
  const flagsT = g[2];
  const flags = flagsT && flagsT.tag === 0x04 && flagsT.end > flagsT.start ? b[flagsT.start]! : 0;
  const v3: SnmpV3Info = {
    msgId: int(b, g[0]),
    authenticated: (flags & 1) !== 0,
    encrypted: (flags & 2) !== 0,
    reportable: (flags & 4) !== 0,
    securityModel: int(b, g[3]),
  };
  if (secParams?.tag === 0x04 && secParams.end > secParams.start && v3.securityModel === 3) {
    const usm = readTlv(b, secParams.start, secParams.end);
    if (usm.tag === 0x30) {
      const u = children(b, usm);
      if (u[0]?.tag === 0x04 && u[0].end > u[0].start) v3.engineId = hex(b, u[0].start, u[0].end);
      if (u[3]?.tag === 0x04 && u[3].end > u[3].start) v3.userName = utf8(b, u[3].start, u[3].end);
    }
  }
  const msg: SnmpMessage = { version: 'v3', pduType: 'encrypted', varbinds: [], system: {}, v3 };
  if (data?.tag === 0x30) {
    const scoped = children(b, data);
    if (scoped[2]) readPdu(b, scoped[2], msg);
  } else if (data?.tag !== 0x04) {
    throw new DerError('expected ScopedPDU or encryptedPDU');
  }
  return msg;
}
