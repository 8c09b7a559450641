/**
 * @module DICOM upper layer PDUs (PS3.8 §9.3): `parseDicomPdu` reads one PDU from the start of a buffer
 * into a typed record: A-ASSOCIATE-RQ/AC/RJ with their presentation contexts and user information,
 * P-DATA-TF with its presentation data values, A-RELEASE-RQ/RP and A-ABORT. User identity negotiation is
 * recorded by type only; the username and passcode are never decoded. `looksLikeDicom` recognises an
 * association request at the start of a connection on any port.
 *
 * @see DICOM PS3.8 §9.3 (DICOM Upper Layer Protocol for TCP/IP: PDU structure)
 * @see DICOM PS3.7 Annex D.3.3 (Association negotiation: user information sub-items)
 */
import { latin1 } from './byte-cursor.js';
import { malformed, needMore, ok, type ParseResult } from './parse-result.js';

/** PDU types (PS3.8 Table 9-11 ff.). */
export const DICOM_PDU_TYPES = {
  1: 'A-ASSOCIATE-RQ',
  2: 'A-ASSOCIATE-AC',
  3: 'A-ASSOCIATE-RJ',
  4: 'P-DATA-TF',
  5: 'A-RELEASE-RQ',
  6: 'A-RELEASE-RP',
  7: 'A-ABORT',
} as const;
export type DicomPduTypeName = (typeof DICOM_PDU_TYPES)[keyof typeof DICOM_PDU_TYPES];

/** Bytes in a PDU header: type, reserved, 4-byte big-endian length. */
export const DICOM_PDU_HEADER_LENGTH = 6;
/** The fixed part of an A-ASSOCIATE-RQ/AC after the header (PS3.8 §9.3.2): version … reserved. */
const ASSOCIATE_FIXED_LENGTH = 68;
/** Default largest PDU `parseDicomPdu` accepts; a length beyond it is taken as garbage. */
export const DEFAULT_MAX_DICOM_PDU_LENGTH = 16 * 1024 * 1024;

export interface DicomPduOptions {
  /** Largest PDU length field accepted (bytes after the 6-byte header). Default 16 MiB. */
  maxPduLength?: number;
}

/** A presentation context proposed in an A-ASSOCIATE-RQ (PS3.8 §9.3.2.2). */
export interface DicomProposedContext {
  id: number;
  abstractSyntax?: string;
  transferSyntaxes: string[];
}

/** Result of a presentation context in an A-ASSOCIATE-AC (PS3.8 §9.3.3.2, Table 9-18). */
export const DICOM_CONTEXT_RESULTS = {
  0: 'acceptance',
  1: 'user-rejection',
  2: 'no-reason',
  3: 'abstract-syntax-not-supported',
  4: 'transfer-syntaxes-not-supported',
} as const;

export interface DicomAcceptedContext {
  id: number;
  result: number;
  resultName: string;
  /** Present when the result is acceptance (the acceptor may still send one otherwise). */
  transferSyntax?: string;
}

/** SCP/SCU role selection sub-item (PS3.7 §D.3.3.4): in an RQ, proposed roles; in an AC, accepted ones. */
export interface DicomRoleSelection {
  sopClassUid: string;
  scuRole: boolean;
  scpRole: boolean;
}

/** User identity types (PS3.7 Table D.3-14). */
export const DICOM_USER_IDENTITY_TYPES = {
  1: 'username',
  2: 'username-and-passcode',
  3: 'kerberos',
  4: 'saml',
  5: 'jwt',
} as const;

/** That a user identity was sent, never what it was. */
export interface DicomUserIdentity {
  type: number;
  typeName: string;
  positiveResponseRequested: boolean;
  primaryFieldPresent: boolean;
  /** True when a passcode (type 2) or other secondary field was sent. */
  secondaryFieldPresent: boolean;
}

/** User information item (PS3.8 §9.3.2.3, PS3.7 Annex D.3.3). */
export interface DicomUserInformation {
  maxPduLength?: number;
  implementationClassUid?: string;
  implementationVersionName?: string;
  asyncOperationsWindow?: { maxInvoked: number; maxPerformed: number };
  roleSelections: DicomRoleSelection[];
  /** SOP classes with SOP class extended negotiation (0x56); the service-class-specific bytes are skipped. */
  extendedNegotiations: string[];
  /** SOP classes with SOP class common extended negotiation (0x57). */
  commonExtendedNegotiations: string[];
  /** A-ASSOCIATE-RQ only. */
  userIdentity?: DicomUserIdentity;
  /** A-ASSOCIATE-AC only: the acceptor answered a user identity request (content not kept). */
  userIdentityResponse?: { serverResponsePresent: boolean };
  /** Item types not understood, in order. */
  unknownItems: number[];
}

interface DicomAssociateCommon {
  length: number;
  protocolVersion: number;
  /** AE titles with the space padding removed. */
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext?: string;
  userInformation: DicomUserInformation;
}
export interface DicomAssociateRq extends DicomAssociateCommon {
  type: 'A-ASSOCIATE-RQ';
  presentationContexts: DicomProposedContext[];
}
export interface DicomAssociateAc extends DicomAssociateCommon {
  type: 'A-ASSOCIATE-AC';
  presentationContexts: DicomAcceptedContext[];
}

/** A-ASSOCIATE-RJ (PS3.8 §9.3.4, Table 9-21). */
export interface DicomAssociateRj {
  type: 'A-ASSOCIATE-RJ';
  length: number;
  result: number;
  resultName: string;
  source: number;
  sourceName: string;
  reason: number;
  reasonName: string;
}

/** One presentation data value item (PS3.8 §9.3.5.1, Annex E.2). */
export interface DicomPdv {
  contextId: number;
  isCommand: boolean;
  isLast: boolean;
  /** Offset of the PDV item (its 4-byte length) within the buffer given to `parseDicomPdu`. */
  offset: number;
  /** The fragment, as a view into the caller's buffer: it may hold patient data, so never store it. */
  value: Uint8Array;
}
export interface DicomPData {
  type: 'P-DATA-TF';
  length: number;
  pdvs: DicomPdv[];
}
export interface DicomRelease {
  type: 'A-RELEASE-RQ' | 'A-RELEASE-RP';
  length: number;
}
/** A-ABORT (PS3.8 §9.3.8, Table 9-26). */
export interface DicomAbort {
  type: 'A-ABORT';
  length: number;
  source: number;
  sourceName: string;
  /** Meaningful only when the source is the service provider. */
  reason: number;
  reasonName: string;
}

export type DicomPdu =
  | DicomAssociateRq
  | DicomAssociateAc
  | DicomAssociateRj
  | DicomPData
  | DicomRelease
  | DicomAbort;

const REJECT_RESULTS: Record<number, string> = { 1: 'rejected-permanent', 2: 'rejected-transient' };
const REJECT_SOURCES: Record<number, string> = {
  1: 'service-user',
  2: 'service-provider-acse',
  3: 'service-provider-presentation',
};
/** Reasons by source (PS3.8 Table 9-21). */
const REJECT_REASONS: Record<number, Record<number, string>> = {
  1: {
    1: 'no-reason-given',
    2: 'application-context-name-not-supported',
    3: 'calling-ae-title-not-recognized',
    7: 'called-ae-title-not-recognized',
  },
  2: { 1: 'no-reason-given', 2: 'protocol-version-not-supported' },
  3: { 0: 'reserved', 1: 'temporary-congestion', 2: 'local-limit-exceeded' },
};
const ABORT_SOURCES: Record<number, string> = { 0: 'service-user', 1: 'reserved', 2: 'service-provider' };
const ABORT_REASONS: Record<number, string> = {
  0: 'reason-not-specified',
  1: 'unrecognized-pdu',
  2: 'unexpected-pdu',
  3: 'reserved',
  4: 'unrecognized-pdu-parameter',
  5: 'unexpected-pdu-parameter',
  6: 'invalid-pdu-parameter-value',
};

const nameOf = (table: Record<number, string>, value: number): string => table[value] ?? `unknown-${value}`;

export const u16be = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
export const u32be = (b: Uint8Array, at: number): number =>
  b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);

/**
 * Bytes as text, one character per byte (AE titles and UIDs are ASCII), without the padding DICOM
 * allows: spaces around AE titles, a trailing NUL after odd-length UIDs.
 */
export function dicomText(b: Uint8Array, start: number, end: number): string {
  let s = start;
  let e = end;
  while (s < e && (b[s] === 0x20 || b[s] === 0)) s++;
  while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0)) e--;
  return latin1(b, s, e);
}

/**
 * Reads one PDU from the start of `buf`.
 * @example
 * const r = parseDicomPdu(bytes);
 * if (r.kind === 'ok' && r.value.type === 'A-ASSOCIATE-RQ') console.log(r.value.callingAeTitle);
 */
export function parseDicomPdu(buf: Uint8Array, options: DicomPduOptions = {}): ParseResult<DicomPdu> {
  if (buf.length < DICOM_PDU_HEADER_LENGTH) return needMore(DICOM_PDU_HEADER_LENGTH);
  const header = checkDicomPduHeader(buf, options.maxPduLength ?? DEFAULT_MAX_DICOM_PDU_LENGTH);
  if (typeof header === 'string') return malformed(0, header);
  const total = DICOM_PDU_HEADER_LENGTH + header.length;
  if (buf.length < total) return needMore(total);
  const pdu = buf.subarray(0, total);
  const value = decodePduBody(pdu, header.type);
  return 'type' in value ? ok(value, total) : malformed(value.offset, value.reason);
}

/**
 * Checks a PDU header: a known type and a length that makes sense for it.
 * @returns the type and length, or why the header is not a DICOM PDU.
 */
export function checkDicomPduHeader(
  buf: Uint8Array,
  maxPduLength: number,
): { type: number; length: number } | string {
  const type = buf[0]!;
  const length = u32be(buf, 2);
  if (type < 1 || type > 7) return `not a DICOM PDU: type 0x${type.toString(16).padStart(2, '0')}`;
  if (type >= 3 && type !== 4) {
    if (length !== 4) return `${DICOM_PDU_TYPES[type as 3]} length ${length}, expected 4`;
  } else if (type === 4) {
    if (length < 6) return `P-DATA-TF length ${length} is shorter than one PDV item`;
  } else if (length < ASSOCIATE_FIXED_LENGTH) {
    return `${DICOM_PDU_TYPES[type as 1]} length ${length} is shorter than its fixed fields`;
  }
  if (length > maxPduLength) return `PDU length ${length} exceeds the limit of ${maxPduLength}`;
  return { type, length };
}

type BodyError = { offset: number; reason: string };

function decodePduBody(pdu: Uint8Array, type: number): DicomPdu | BodyError {
  const length = pdu.length - DICOM_PDU_HEADER_LENGTH;
  switch (type) {
    case 1:
    case 2:
      return decodeAssociate(pdu, type);
    case 3: {
      const result = pdu[7]!;
      const source = pdu[8]!;
      const reason = pdu[9]!;
      return {
        type: 'A-ASSOCIATE-RJ',
        length,
        result,
        resultName: nameOf(REJECT_RESULTS, result),
        source,
        sourceName: nameOf(REJECT_SOURCES, source),
        reason,
        reasonName: nameOf(REJECT_REASONS[source] ?? {}, reason),
      };
    }
    case 4:
      return decodePData(pdu);
    case 5:
    case 6:
      return { type: type === 5 ? 'A-RELEASE-RQ' : 'A-RELEASE-RP', length };
    default: {
      const source = pdu[8]!;
      const reason = pdu[9]!;
      return {
        type: 'A-ABORT',
        length,
        source,
        sourceName: nameOf(ABORT_SOURCES, source),
        reason,
        reasonName: nameOf(ABORT_REASONS, reason),
      };
    }
  }
}

function decodePData(pdu: Uint8Array): DicomPData | BodyError {
  const pdvs: DicomPdv[] = [];
  let at = DICOM_PDU_HEADER_LENGTH;
  while (at < pdu.length) {
    if (pdu.length - at < 6) return { offset: at, reason: 'truncated PDV item header' };
    const itemLength = u32be(pdu, at);
    if (itemLength < 2)
      return { offset: at, reason: `PDV item length ${itemLength} is shorter than its header` };
    if (itemLength > pdu.length - at - 4) return { offset: at, reason: 'PDV item overruns its PDU' };
    const flags = pdu[at + 5]!;
    pdvs.push({
      contextId: pdu[at + 4]!,
      isCommand: (flags & 1) !== 0,
      isLast: (flags & 2) !== 0,
      offset: at,
      value: pdu.subarray(at + 6, at + 4 + itemLength),
    });
    at += 4 + itemLength;
  }
  return { type: 'P-DATA-TF', length: pdu.length - DICOM_PDU_HEADER_LENGTH, pdvs };
}

/** Items of an A-ASSOCIATE-RQ/AC (PS3.8 Tables 9-12, 9-17): 1-byte type, reserved, 2-byte length. */
const ITEM_APPLICATION_CONTEXT = 0x10;
const ITEM_PRESENTATION_CONTEXT_RQ = 0x20;
const ITEM_PRESENTATION_CONTEXT_AC = 0x21;
const ITEM_ABSTRACT_SYNTAX = 0x30;
const ITEM_TRANSFER_SYNTAX = 0x40;
const ITEM_USER_INFORMATION = 0x50;

function decodeAssociate(pdu: Uint8Array, type: 1 | 2): DicomAssociateRq | DicomAssociateAc | BodyError {
  const userInformation: DicomUserInformation = {
    roleSelections: [],
    extendedNegotiations: [],
    commonExtendedNegotiations: [],
    unknownItems: [],
  };
  const proposed: DicomProposedContext[] = [];
  const accepted: DicomAcceptedContext[] = [];
  let applicationContext: string | undefined;
  let at = DICOM_PDU_HEADER_LENGTH + ASSOCIATE_FIXED_LENGTH;
  while (at < pdu.length) {
    if (pdu.length - at < 4) return { offset: at, reason: 'truncated item header' };
    const itemType = pdu[at]!;
    const itemLength = u16be(pdu, at + 2);
    const start = at + 4;
    const end = start + itemLength;
    if (end > pdu.length) return { offset: at, reason: `item 0x${itemType.toString(16)} overruns its PDU` };
    if (itemType === ITEM_APPLICATION_CONTEXT) {
      applicationContext = dicomText(pdu, start, end);
    } else if (itemType === ITEM_PRESENTATION_CONTEXT_RQ && type === 1) {
      const context = decodeProposedContext(pdu, start, end);
      if ('reason' in context) return context;
      proposed.push(context);
    } else if (itemType === ITEM_PRESENTATION_CONTEXT_AC && type === 2) {
      const context = decodeAcceptedContext(pdu, start, end);
      if ('reason' in context) return context;
      accepted.push(context);
    } else if (itemType === ITEM_USER_INFORMATION) {
      const error = decodeUserInformation(pdu, start, end, userInformation);
      if (error !== undefined) return error;
    } else {
      userInformation.unknownItems.push(itemType);
    }
    at = end;
  }
  const common = {
    length: pdu.length - DICOM_PDU_HEADER_LENGTH,
    protocolVersion: u16be(pdu, 6),
    calledAeTitle: dicomText(pdu, 10, 26),
    callingAeTitle: dicomText(pdu, 26, 42),
    ...(applicationContext === undefined ? {} : { applicationContext }),
    userInformation,
  };
  return type === 1
    ? { type: 'A-ASSOCIATE-RQ', ...common, presentationContexts: proposed }
    : { type: 'A-ASSOCIATE-AC', ...common, presentationContexts: accepted };
}

/** PS3.8 §9.3.2.2: context id, 3 reserved bytes, then one abstract syntax and transfer syntax sub-items. */
function decodeProposedContext(
  pdu: Uint8Array,
  start: number,
  end: number,
): DicomProposedContext | BodyError {
  if (end - start < 4) return { offset: start, reason: 'presentation context item too short' };
  const context: DicomProposedContext = { id: pdu[start]!, transferSyntaxes: [] };
  let at = start + 4;
  while (at < end) {
    if (end - at < 4) return { offset: at, reason: 'truncated sub-item header' };
    const subType = pdu[at]!;
    const subEnd = at + 4 + u16be(pdu, at + 2);
    if (subEnd > end) return { offset: at, reason: 'sub-item overruns its presentation context' };
    if (subType === ITEM_ABSTRACT_SYNTAX) context.abstractSyntax = dicomText(pdu, at + 4, subEnd);
    else if (subType === ITEM_TRANSFER_SYNTAX) context.transferSyntaxes.push(dicomText(pdu, at + 4, subEnd));
    at = subEnd;
  }
  return context;
}

/** PS3.8 §9.3.3.2: context id, reserved, result/reason, reserved, then one transfer syntax sub-item. */
function decodeAcceptedContext(
  pdu: Uint8Array,
  start: number,
  end: number,
): DicomAcceptedContext | BodyError {
  if (end - start < 4) return { offset: start, reason: 'presentation context item too short' };
  const result = pdu[start + 2]!;
  const context: DicomAcceptedContext = {
    id: pdu[start]!,
    result,
    resultName: nameOf(DICOM_CONTEXT_RESULTS, result),
  };
  let at = start + 4;
  while (at < end) {
    if (end - at < 4) return { offset: at, reason: 'truncated sub-item header' };
    const subEnd = at + 4 + u16be(pdu, at + 2);
    if (subEnd > end) return { offset: at, reason: 'sub-item overruns its presentation context' };
    if (pdu[at] === ITEM_TRANSFER_SYNTAX) context.transferSyntax = dicomText(pdu, at + 4, subEnd);
    at = subEnd;
  }
  return context;
}

/** User information sub-items (PS3.8 Annex D, PS3.7 Annex D.3.3). */
const SUB_MAX_LENGTH = 0x51;
const SUB_IMPLEMENTATION_CLASS_UID = 0x52;
const SUB_ASYNC_OPERATIONS_WINDOW = 0x53;
const SUB_ROLE_SELECTION = 0x54;
const SUB_IMPLEMENTATION_VERSION_NAME = 0x55;
const SUB_EXTENDED_NEGOTIATION = 0x56;
const SUB_COMMON_EXTENDED_NEGOTIATION = 0x57;
const SUB_USER_IDENTITY_RQ = 0x58;
const SUB_USER_IDENTITY_AC = 0x59;

function decodeUserInformation(
  pdu: Uint8Array,
  start: number,
  end: number,
  info: DicomUserInformation,
): BodyError | undefined {
  let at = start;
  while (at < end) {
    if (end - at < 4) return { offset: at, reason: 'truncated user information sub-item header' };
    const subType = pdu[at]!;
    const valueStart = at + 4;
    const subEnd = valueStart + u16be(pdu, at + 2);
    if (subEnd > end)
      return { offset: at, reason: `user information sub-item 0x${subType.toString(16)} overruns` };
    const size = subEnd - valueStart;
    const bad = (what: string): BodyError => ({ offset: at, reason: `malformed ${what} sub-item` });
    switch (subType) {
      case SUB_MAX_LENGTH:
        if (size !== 4) return bad('maximum length');
        info.maxPduLength = u32be(pdu, valueStart);
        break;
      case SUB_IMPLEMENTATION_CLASS_UID:
        info.implementationClassUid = dicomText(pdu, valueStart, subEnd);
        break;
      case SUB_IMPLEMENTATION_VERSION_NAME:
        info.implementationVersionName = dicomText(pdu, valueStart, subEnd);
        break;
      case SUB_ASYNC_OPERATIONS_WINDOW:
        if (size !== 4) return bad('asynchronous operations window');
        info.asyncOperationsWindow = {
          maxInvoked: u16be(pdu, valueStart),
          maxPerformed: u16be(pdu, valueStart + 2),
        };
        break;
      case SUB_ROLE_SELECTION: {
        // UID length (2), UID, SCU-role (1), SCP-role (1): PS3.7 Table D.3-9
        if (size < 2) return bad('role selection');
        const uidEnd = valueStart + 2 + u16be(pdu, valueStart);
        if (uidEnd + 2 !== subEnd) return bad('role selection');
        info.roleSelections.push({
          sopClassUid: dicomText(pdu, valueStart + 2, uidEnd),
          scuRole: pdu[uidEnd] === 1,
          scpRole: pdu[uidEnd + 1] === 1,
        });
        break;
      }
      case SUB_EXTENDED_NEGOTIATION:
      case SUB_COMMON_EXTENDED_NEGOTIATION: {
        // Both start with a 2-byte SOP class UID length and the UID (PS3.7 Tables D.3-11, D.3-12)
        if (size < 2) return bad('extended negotiation');
        const uidEnd = valueStart + 2 + u16be(pdu, valueStart);
        if (uidEnd > subEnd) return bad('extended negotiation');
        const uid = dicomText(pdu, valueStart + 2, uidEnd);
        (subType === SUB_EXTENDED_NEGOTIATION
          ? info.extendedNegotiations
          : info.commonExtendedNegotiations
        ).push(uid);
        break;
      }
      case SUB_USER_IDENTITY_RQ: {
        // type (1), positive-response-requested (1), primary length (2), primary, secondary length (2),
        // secondary (PS3.7 Table D.3-14). Only the lengths are looked at.
        if (size < 6) return bad('user identity');
        const identityType = pdu[valueStart]!;
        const primaryLength = u16be(pdu, valueStart + 2);
        const secondaryAt = valueStart + 4 + primaryLength;
        if (secondaryAt + 2 > subEnd) return bad('user identity');
        const secondaryLength = u16be(pdu, secondaryAt);
        if (secondaryAt + 2 + secondaryLength !== subEnd) return bad('user identity');
        info.userIdentity = {
          type: identityType,
          typeName: nameOf(DICOM_USER_IDENTITY_TYPES, identityType),
          positiveResponseRequested: pdu[valueStart + 1] === 1,
          primaryFieldPresent: primaryLength > 0,
          secondaryFieldPresent: secondaryLength > 0,
        };
        break;
      }
      case SUB_USER_IDENTITY_AC:
        if (size < 2) return bad('user identity response');
        info.userIdentityResponse = { serverResponsePresent: u16be(pdu, valueStart) > 0 };
        break;
      default:
        info.unknownItems.push(subType);
    }
    at = subEnd;
  }
  return undefined;
}

/**
 * Whether `buf` starts like a DICOM association request: PDU type 1, a plausible length, protocol
 * version 1 and printable AE titles. For recognising DICOM on ports other than 104/11112 (Orthanc's
 * 4242, vendor ports) from the first bytes a client sends.
 */
export function looksLikeDicom(buf: Uint8Array): boolean {
  return looksLikeAssociate(buf, 1);
}

/**
 * Whether `buf` starts like an acceptor's answer to an association request: an A-ASSOCIATE-AC (laid out
 * as the request, PS3.8 §9.3.3), an A-ASSOCIATE-RJ (length 4, a defined result and source, §9.3.4) or an
 * A-ABORT (length 4, source 0 or 2, §9.3.8). For recognising a DICOM server by its own bytes, whatever
 * the client sent first (a scanner's RDP probe that storescp aborts).
 */
export function looksLikeDicomAnswer(buf: Uint8Array): boolean {
  const type = buf[0];
  if (type === 2) return looksLikeAssociate(buf, 2);
  if ((type !== 3 && type !== 7) || buf.length < 10 || buf[1] !== 0) return false;
  if (u32be(buf, 2) !== 4 || buf[6] !== 0) return false;
  if (type === 3) return (buf[7] === 1 || buf[7] === 2) && buf[8]! >= 1 && buf[8]! <= 3;
  return buf[7] === 0 && (buf[8] === 0 || buf[8] === 2) && buf[9]! <= 6;
}

/** An A-ASSOCIATE-RQ (type 1) or -AC (type 2): a plausible length, protocol version 1, printable AE titles. */
function looksLikeAssociate(buf: Uint8Array, type: 1 | 2): boolean {
  if (buf.length < 42 || buf[0] !== type || buf[1] !== 0) return false;
  const length = u32be(buf, 2);
  if (length < ASSOCIATE_FIXED_LENGTH || length > 1024 * 1024) return false;
  if ((u16be(buf, 6) & 1) !== 1) return false;
  for (let i = 10; i < 42; i++) {
    const c = buf[i]!;
    if (c !== 0 && (c < 0x20 || c > 0x7e)) return false;
  }
  return true;
}
