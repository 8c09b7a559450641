/**
 * @module `DicomStreamDissector` follows one DICOM TCP connection: feed it each direction's bytes as
 * they arrive, in chunks of any size, and it returns events: association requested / accepted /
 * rejected / released / aborted (AE titles, implementation, presentation contexts, role hints), DIMSE
 * commands, what each data set says about the equipment, which patient identifiers a data set carries
 * (tags only, never values), and errors with their byte offset. Events depend only on the bytes, never
 * on how they were split.
 *
 * Memory stays bounded: association PDUs are buffered up to `maxPduBuffer`; P-DATA is streamed, and of
 * each message only the first `maxMessageBytes` are kept for scanning (patient and device attributes
 * come first in a data set; pixel data comes last and is never kept), at most four messages' worth per
 * direction however many presentation contexts interleave.
 *
 * @see DICOM PS3.8 §9.3 (PDU structure), Annex E.2 (message control header)
 * @see DICOM PS3.7 §6.3.1 (DIMSE messages made of a command set and an optional data set)
 */
import {
  checkDicomPduHeader,
  DICOM_PDU_HEADER_LENGTH,
  type DicomAssociateAc,
  type DicomAssociateRq,
  type DicomRoleSelection,
  type DicomUserIdentity,
  parseDicomPdu,
  u32be,
} from './dicom.js';
import {
  type DicomDatasetScan,
  type DicomPatientTag,
  scanDicomDataset,
  sniffExplicitVr,
} from './dicom-dataset.js';
import {
  type DicomRole,
  type DicomRoleImplication,
  dicomService,
  dicomUidName,
  implementationStack,
  impliedDicomRole,
  transferSyntaxEncoding,
} from './dicom-uids.js';

/** Which way bytes flow: `client` is the side that opened the TCP connection. */
export type StreamDirection = 'client' | 'server';
/** Which side of the association: the requestor sent A-ASSOCIATE-RQ. */
export type AssociationSide = 'requestor' | 'acceptor';

export interface DicomStreamOptions {
  /** Largest non-P-DATA PDU buffered (association negotiation). Default 1 MiB. */
  maxPduBuffer?: number;
  /** Largest P-DATA-TF PDU length accepted before the stream is taken as garbage. Default 64 MiB. */
  maxPDataLength?: number;
  /** Bytes of each command or data set message kept for scanning. Default 64 KiB. */
  maxMessageBytes?: number;
}

interface EventBase {
  direction: StreamDirection;
  /** Byte offset in this direction's stream where the PDU (or the message's first PDV item) starts. */
  offset: number;
}

export interface DicomImplementation {
  implementationClassUid?: string;
  implementationVersionName?: string;
  /** Toolkit known from the implementation class UID root (`dcmtk`, `pynetdicom`, …). */
  implementationStack?: string;
  maxPduLength?: number;
}

export interface DicomAssociationRequestedEvent extends EventBase, DicomImplementation {
  type: 'association-requested';
  callingAeTitle: string;
  calledAeTitle: string;
  protocolVersion: number;
  applicationContext?: string;
  presentationContexts: {
    id: number;
    abstractSyntax?: string;
    abstractSyntaxName?: string;
    transferSyntaxes: string[];
  }[];
  asyncOperationsWindow?: { maxInvoked: number; maxPerformed: number };
  roleSelections: DicomRoleSelection[];
  /** That credentials were offered, and of which kind; never the credentials. */
  userIdentity?: DicomUserIdentity;
}

/** A role suggested by what an AE negotiated or did, with the SOP classes behind it. */
export interface DicomRoleHint extends DicomRoleImplication {
  side: AssociationSide;
  aeTitle: string;
  sopClassUids: string[];
}

export interface DicomAssociationAcceptedEvent extends EventBase, DicomImplementation {
  type: 'association-accepted';
  callingAeTitle: string;
  calledAeTitle: string;
  presentationContexts: {
    id: number;
    result: number;
    resultName: string;
    /** From the request, when it was seen. */
    abstractSyntax?: string;
    abstractSyntaxName?: string;
    transferSyntax?: string;
    transferSyntaxName?: string;
  }[];
  /** Accepted SCP/SCU roles (PS3.7 §D.3.3.4). */
  roleSelections: DicomRoleSelection[];
  userIdentityResponse?: { serverResponsePresent: boolean };
  /** What the accepted contexts suggest about each side (needs the request; empty without it). */
  roleHints: DicomRoleHint[];
}

/** The AE titles of the association, when its A-ASSOCIATE-RQ was seen. */
export interface DicomAssociationTitles {
  callingAeTitle?: string;
  calledAeTitle?: string;
}

export interface DicomAssociationRejectedEvent extends EventBase, DicomAssociationTitles {
  type: 'association-rejected';
  result: number;
  resultName: string;
  source: number;
  sourceName: string;
  reason: number;
  reasonName: string;
}

export interface DicomAssociationReleasedEvent extends EventBase, DicomAssociationTitles {
  type: 'association-released';
  phase: 'request' | 'reply';
}

export interface DicomAssociationAbortedEvent extends EventBase, DicomAssociationTitles {
  type: 'association-aborted';
  source: number;
  sourceName: string;
  reason: number;
  reasonName: string;
}

export interface DicomCommandEvent extends EventBase {
  type: 'command';
  contextId: number;
  sender: AssociationSide;
  commandField: number;
  commandName: string;
  isResponse: boolean;
  messageId?: number;
  messageIdBeingRespondedTo?: number;
  affectedSopClassUid?: string;
  requestedSopClassUid?: string;
  sopClassName?: string;
  priority?: number;
  hasDataSet: boolean;
  status?: number;
  statusCategory?: string;
  moveDestination?: string;
  moveOriginatorAeTitle?: string;
  /** What sending this command suggests about the sender. */
  impliedRole?: DicomRoleImplication & { role: DicomRole };
}

export interface DicomDatasetEvent extends EventBase {
  type: 'dataset';
  contextId: number;
  sender: AssociationSide;
  /** The command this data set belongs to (`C-STORE-RQ`: the sender's own object; `C-FIND-RSP`: a match). */
  commandName?: string;
  /** See `DicomDatasetScan.status`; `unsupported-transfer-syntax` for deflated or big endian data sets. */
  status: DicomDatasetScan['status'] | 'unsupported-transfer-syntax';
  reason?: string;
  transferSyntax?: string;
  /** How the encoding was chosen: from the accepted presentation context, or guessed from the bytes. */
  encoding: 'implicit-le' | 'explicit-le' | 'unsupported';
  encodingFrom: 'negotiated' | 'sniffed';
  /** Bytes of the message scanned (at most `maxMessageBytes`). */
  scannedBytes: number;
  sopClassUid?: string;
  sopClassName?: string;
  modality?: string;
  manufacturer?: string;
  modelName?: string;
  softwareVersions?: string[];
  stationName?: string;
  deviceSerialNumber?: string;
  /**
   * For each of those attributes: the `packet` label given to `feed()` with the bytes that hold its tag
   * (not the packet that completed the message), and the `time` given with it; only when the caller
   * labels its bytes.
   */
  attributePackets?: DicomAttributePackets;
}

/** The packet (and its capture time) whose bytes hold an attribute's tag, by identity field. */
export type DicomAttributePackets = Partial<
  Record<keyof DicomDatasetScan['identity'], { packet: number; time: number }>
>;

export interface DicomPatientDataEvent extends EventBase {
  type: 'patient-data-present';
  contextId: number;
  sender: AssociationSide;
  commandName?: string;
  /** Which identifying attributes had a value; the values themselves are never kept. */
  tags: DicomPatientTag[];
  /**
   * The `packet` label given to `feed()` with the bytes that hold the first of those attributes' tag (not
   * the packet that completed the message), and the `time` given with it; only when the caller labels its bytes.
   */
  packet?: number;
  time?: number;
}

export interface DicomErrorEvent extends EventBase {
  type: 'error';
  reason: string;
  /** True when the direction stopped being dissected (garbage, overflow). */
  fatal: boolean;
}

export type DicomEvent =
  | DicomAssociationRequestedEvent
  | DicomAssociationAcceptedEvent
  | DicomAssociationRejectedEvent
  | DicomAssociationReleasedEvent
  | DicomAssociationAbortedEvent
  | DicomCommandEvent
  | DicomDatasetEvent
  | DicomPatientDataEvent
  | DicomErrorEvent;

/** A command or data set being reassembled from PDV fragments. */
interface Message {
  offset: number;
  chunks: Uint8Array[];
  /** The `feed()` packet and time labels of each chunk (same index), to name the packet holding an attribute. */
  chunkPackets: number[];
  chunkTimes: number[];
  size: number;
  /** Scanned already (the cap was reached); later fragments are only counted. */
  scanned: boolean;
}

type Mode = 'pdu-header' | 'pdu-body' | 'pdv-header' | 'pdv-value';

class DirectionState {
  /** Stream offset of the next byte. */
  offset = 0;
  stopped = false;
  mode: Mode = 'pdu-header';
  readonly header = new Uint8Array(DICOM_PDU_HEADER_LENGTH);
  fill = 0;
  pduOffset = 0;
  body: Uint8Array = EMPTY;
  /** Length field of the current P-DATA-TF PDU, and the bytes of it not yet read. */
  pduLength = 0;
  pduRemaining = 0;
  /** Bytes left in the current PDV value. */
  pdvRemaining = 0;
  pdvContext = 0;
  pdvIsCommand = false;
  pdvIsLast = false;
  readonly messages = new Map<number, Message>();
  /** Bytes held in `messages`. */
  buffered = 0;
  /** Last command per presentation context, to name the data set that follows it. */
  readonly lastCommand = new Map<number, string>();
  /** The caller's labels for the bytes being fed (packet number, capture time); packet -1 when it gives none. */
  packet = -1;
  time = 0;
}

/** How many full-size messages one direction may hold at once (command + data set, with room to spare). */
const MESSAGES_BUFFERED_PER_DIRECTION = 4;
const DEFAULTS = { maxPduBuffer: 1024 * 1024, maxPDataLength: 64 * 1024 * 1024, maxMessageBytes: 64 * 1024 };

/**
 * Dissects one DICOM connection.
 * @example
 * const sut = new DicomStreamDissector();
 * for (const { direction, bytes } of segments) events.push(...sut.feed(direction, bytes));
 * events.push(...sut.end());
 */
export class DicomStreamDissector {
  private readonly options: Required<DicomStreamOptions>;
  private readonly directions = { client: new DirectionState(), server: new DirectionState() };
  private request?: DicomAssociateRq;
  /** The association cache's id of `request`, when it came from the cache. */
  private requestCacheId: number | undefined;
  private requestor: StreamDirection = 'client';
  /** Accepted transfer syntax per presentation context id. */
  private readonly transferSyntaxes = new Map<number, string>();

  constructor(options: DicomStreamOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Whether a direction has stopped after a fatal error (its further bytes are ignored). */
  stopped(direction: StreamDirection): boolean {
    return this.directions[direction].stopped;
  }

  /** Bytes seen so far in a direction. */
  bytesSeen(direction: StreamDirection): number {
    return this.directions[direction].offset;
  }

  /** `packet` and `time` label these bytes for `patient-data-present` events; optional. */
  feed(direction: StreamDirection, bytes: Uint8Array, packet = -1, time = 0): DicomEvent[] {
    const st = this.directions[direction];
    st.packet = packet;
    st.time = time;
    const events: DicomEvent[] = [];
    let i = 0;
    while (i < bytes.length && !st.stopped) {
      switch (st.mode) {
        case 'pdu-header': {
          const take = Math.min(DICOM_PDU_HEADER_LENGTH - st.fill, bytes.length - i);
          st.header.set(bytes.subarray(i, i + take), st.fill);
          st.fill += take;
          i += take;
          if (st.fill === DICOM_PDU_HEADER_LENGTH) this.startPdu(direction, st, st.offset + i, events);
          break;
        }
        case 'pdu-body': {
          const take = Math.min(st.body.length - st.fill, bytes.length - i);
          st.body.set(bytes.subarray(i, i + take), st.fill);
          st.fill += take;
          i += take;
          if (st.fill === st.body.length) {
            this.finishPdu(direction, st, events);
            st.mode = 'pdu-header';
            st.fill = 0;
          }
          break;
        }
        case 'pdv-header': {
          const take = Math.min(6 - st.fill, bytes.length - i);
          st.header.set(bytes.subarray(i, i + take), st.fill);
          st.fill += take;
          i += take;
          if (st.fill === 6) this.startPdv(direction, st, events);
          break;
        }
        case 'pdv-value': {
          const take = Math.min(st.pdvRemaining, bytes.length - i);
          this.appendValue(direction, st, bytes.subarray(i, i + take), events);
          st.pdvRemaining -= take;
          st.pduRemaining -= take;
          i += take;
          if (st.pdvRemaining === 0) this.finishPdv(direction, st, events);
          break;
        }
      }
    }
    st.offset += bytes.length;
    return events;
  }

  /** The connection ended: scans messages still being reassembled (reported as truncated). */
  end(): DicomEvent[] {
    const events: DicomEvent[] = [];
    for (const direction of ['client', 'server'] as const) {
      const st = this.directions[direction];
      const pending = [...st.messages.entries()].sort((a, b) => a[1].offset - b[1].offset);
      for (const [key, message] of pending) {
        if (!message.scanned && message.size > 0) this.scanMessage(direction, st, key, message, true, events);
      }
      st.messages.clear();
      st.buffered = 0;
    }
    return events;
  }

  private stop(
    direction: StreamDirection,
    st: DirectionState,
    offset: number,
    reason: string,
    events: DicomEvent[],
  ) {
    st.stopped = true;
    st.messages.clear();
    st.buffered = 0;
    events.push({ type: 'error', direction, offset, reason, fatal: true });
  }

  private startPdu(direction: StreamDirection, st: DirectionState, end: number, events: DicomEvent[]): void {
    st.pduOffset = end - DICOM_PDU_HEADER_LENGTH;
    const isPData = st.header[0] === 4;
    const limit = isPData ? this.options.maxPDataLength : this.options.maxPduBuffer;
    const checked = checkDicomPduHeader(st.header, limit);
    if (typeof checked === 'string') {
      this.stop(direction, st, st.pduOffset, checked, events);
      return;
    }
    st.fill = 0;
    if (isPData) {
      st.pduLength = checked.length;
      st.pduRemaining = checked.length;
      st.mode = 'pdv-header';
    } else {
      st.body = new Uint8Array(DICOM_PDU_HEADER_LENGTH + checked.length);
      st.body.set(st.header);
      st.fill = DICOM_PDU_HEADER_LENGTH;
      st.mode = 'pdu-body';
    }
  }

  private startPdv(direction: StreamDirection, st: DirectionState, events: DicomEvent[]): void {
    const itemLength = u32be(st.header, 0);
    // The item starts after the PDU header and the bytes of the PDU already gone by.
    const itemOffset = st.pduOffset + DICOM_PDU_HEADER_LENGTH + (st.pduLength - st.pduRemaining);
    if (st.pduRemaining < 6 || itemLength < 2 || itemLength > st.pduRemaining - 4) {
      this.stop(
        direction,
        st,
        itemOffset,
        `PDV item length ${itemLength} does not fit its P-DATA-TF PDU`,
        events,
      );
      return;
    }
    st.pduRemaining -= 6;
    st.pdvRemaining = itemLength - 2;
    st.pdvContext = st.header[4]!;
    st.pdvIsCommand = (st.header[5]! & 1) !== 0;
    st.pdvIsLast = (st.header[5]! & 2) !== 0;
    st.fill = 0;
    const key = (st.pdvContext << 1) | (st.pdvIsCommand ? 1 : 0);
    if (!st.messages.has(key))
      st.messages.set(key, {
        offset: itemOffset,
        chunks: [],
        chunkPackets: [],
        chunkTimes: [],
        size: 0,
        scanned: false,
      });
    st.mode = 'pdv-value';
    if (st.pdvRemaining === 0) this.finishPdv(direction, st, events);
  }

  private appendValue(
    direction: StreamDirection,
    st: DirectionState,
    value: Uint8Array,
    events: DicomEvent[],
  ): void {
    const key = (st.pdvContext << 1) | (st.pdvIsCommand ? 1 : 0);
    const message = st.messages.get(key)!;
    if (message.scanned) return;
    // Messages interleaved on many presentation contexts share one budget per direction, so 256
    // contexts cannot each hold maxMessageBytes.
    const budget = this.options.maxMessageBytes * MESSAGES_BUFFERED_PER_DIRECTION - st.buffered;
    const room = Math.min(this.options.maxMessageBytes - message.size, budget);
    const kept = value.length <= room ? value : value.subarray(0, Math.max(0, room));
    if (kept.length > 0) {
      // The last fragment of a message that arrives whole (a command set, a small data set) is scanned
      // before feed() returns, so it can stay a view of the caller's bytes; anything else is copied.
      const whole = message.size === 0 && st.pdvIsLast && kept.length === st.pdvRemaining;
      message.chunks.push(whole ? kept : kept.slice());
      message.chunkPackets.push(st.packet);
      message.chunkTimes.push(st.time);
      message.size += kept.length;
      st.buffered += kept.length;
    }
    if (message.size >= this.options.maxMessageBytes || kept.length < value.length) {
      this.scanMessage(direction, st, key, message, false, events);
    }
  }

  private finishPdv(direction: StreamDirection, st: DirectionState, events: DicomEvent[]): void {
    const key = (st.pdvContext << 1) | (st.pdvIsCommand ? 1 : 0);
    const message = st.messages.get(key);
    if (st.pdvIsLast && message !== undefined) {
      if (!message.scanned) this.scanMessage(direction, st, key, message, false, events);
      st.messages.delete(key);
    }
    st.fill = 0;
    st.mode = st.pduRemaining > 0 ? 'pdv-header' : 'pdu-header';
  }

  private finishPdu(direction: StreamDirection, st: DirectionState, events: DicomEvent[]): void {
    const offset = st.pduOffset;
    const body = st.body;
    st.body = EMPTY;
    const type = body[0];
    if ((type === 1 || type === 2) && body.length <= ASSOCIATION_CACHE_MAX_PDU) {
      if (this.cachedAssociation(direction, offset, body, events)) return;
    }
    const parsed = parseDicomPdu(body, { maxPduLength: this.options.maxPduBuffer });
    if (parsed.kind !== 'ok') {
      const reason = parsed.kind === 'error' ? parsed.reason : 'incomplete PDU';
      const at = parsed.kind === 'error' ? offset + parsed.offset : offset;
      this.stop(direction, st, at, reason, events);
      return;
    }
    const pdu = parsed.value;
    switch (pdu.type) {
      case 'A-ASSOCIATE-RQ':
        this.onRequest(direction, pdu, requestedEvent(direction, offset, pdu), undefined, events);
        break;
      case 'A-ASSOCIATE-AC':
        this.onAccept(direction, pdu, acceptedEvent(direction, offset, pdu, this.request), events);
        break;
      case 'A-ASSOCIATE-RJ':
        events.push({
          type: 'association-rejected',
          direction,
          offset,
          ...this.titles(),
          result: pdu.result,
          resultName: pdu.resultName,
          source: pdu.source,
          sourceName: pdu.sourceName,
          reason: pdu.reason,
          reasonName: pdu.reasonName,
        });
        break;
      case 'A-RELEASE-RQ':
      case 'A-RELEASE-RP':
        events.push({
          type: 'association-released',
          direction,
          offset,
          ...this.titles(),
          phase: pdu.type === 'A-RELEASE-RQ' ? 'request' : 'reply',
        });
        break;
      case 'A-ABORT':
        events.push({
          type: 'association-aborted',
          direction,
          offset,
          ...this.titles(),
          source: pdu.source,
          sourceName: pdu.sourceName,
          reason: pdu.reason,
          reasonName: pdu.reasonName,
        });
        break;
      case 'P-DATA-TF':
        break; // streamed, never buffered whole
    }
  }

  private onRequest(
    direction: StreamDirection,
    pdu: DicomAssociateRq,
    event: DicomAssociationRequestedEvent,
    cacheId: number | undefined,
    events: DicomEvent[],
  ): void {
    this.request = pdu;
    this.requestCacheId = cacheId;
    this.requestor = direction;
    this.transferSyntaxes.clear();
    events.push(event);
  }

  private onAccept(
    direction: StreamDirection,
    pdu: DicomAssociateAc,
    event: DicomAssociationAcceptedEvent,
    events: DicomEvent[],
  ): void {
    for (const context of pdu.presentationContexts) {
      if (context.result === 0 && context.transferSyntax !== undefined) {
        this.transferSyntaxes.set(context.id, context.transferSyntax);
      }
    }
    if (this.request === undefined) this.requestor = direction === 'client' ? 'server' : 'client';
    events.push(event);
  }

  /**
   * An A-ASSOCIATE-RQ/AC whose bytes (and, for an AC, whose request) were decoded before: its cached,
   * frozen PDU and event. Decodes and caches it otherwise; false for a PDU that does not decode (the
   * caller reports the error).
   */
  private cachedAssociation(
    direction: StreamDirection,
    offset: number,
    body: Uint8Array,
    events: DicomEvent[],
  ): boolean {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
    if (body[0] === 1) {
      const key = `${direction}${offset}:${bytes}`;
      let hit = associationCache.requests.get(key);
      if (hit === undefined) {
        const parsed = parseDicomPdu(body, { maxPduLength: this.options.maxPduBuffer });
        if (parsed.kind !== 'ok' || parsed.value.type !== 'A-ASSOCIATE-RQ') return false;
        hit = {
          id: associationCache.nextId++,
          pdu: deepFreeze(parsed.value),
          event: deepFreeze(requestedEvent(direction, offset, parsed.value)),
        };
        associationCache.room(key, hit.pdu.presentationContexts.length);
        associationCache.requests.set(key, hit);
      }
      this.onRequest(direction, hit.pdu, hit.event, hit.id, events);
      return true;
    }
    // An AC's event depends on the request it answers (abstract syntaxes, role hints).
    const request = this.request === undefined ? 'none' : (this.requestCacheId ?? 'uncached');
    if (request === 'uncached') return false;
    const key = `${request}|${direction}${offset}:${bytes}`;
    let hit = associationCache.accepts.get(key);
    if (hit === undefined) {
      const parsed = parseDicomPdu(body, { maxPduLength: this.options.maxPduBuffer });
      if (parsed.kind !== 'ok' || parsed.value.type !== 'A-ASSOCIATE-AC') return false;
      hit = {
        pdu: deepFreeze(parsed.value),
        event: deepFreeze(acceptedEvent(direction, offset, parsed.value, this.request)),
      };
      associationCache.room(key, hit.pdu.presentationContexts.length);
      associationCache.accepts.set(key, hit);
    }
    this.onAccept(direction, hit.pdu, hit.event, events);
    return true;
  }

  private titles(): DicomAssociationTitles {
    return this.request === undefined
      ? {}
      : { callingAeTitle: this.request.callingAeTitle, calledAeTitle: this.request.calledAeTitle };
  }

  private sideOf(direction: StreamDirection): AssociationSide {
    return direction === this.requestor ? 'requestor' : 'acceptor';
  }

  private scanMessage(
    direction: StreamDirection,
    st: DirectionState,
    key: number,
    message: Message,
    connectionEnded: boolean,
    events: DicomEvent[],
  ): void {
    message.scanned = true;
    const bytes = concat(message.chunks, message.size);
    const chunks = message.chunks;
    message.chunks = [];
    st.buffered -= message.size;
    const contextId = key >> 1;
    const isCommand = (key & 1) === 1;
    const sender = this.sideOf(direction);
    const base = { direction, offset: message.offset, contextId, sender };
    if (isCommand) {
      // Command sets are always implicit VR little endian (PS3.7 §6.3.1).
      const scan = scanDicomDataset(bytes, false);
      const command = scan.command;
      if (command === undefined) {
        events.push({ ...base, type: 'error', reason: 'command set without a command field', fatal: false });
        return;
      }
      st.lastCommand.set(contextId, command.commandName);
      const sopClassUid = command.affectedSopClassUid ?? command.requestedSopClassUid;
      const event: DicomCommandEvent = { ...base, type: 'command', ...command };
      if (sopClassUid !== undefined) {
        const name = dicomUidName(sopClassUid);
        if (name !== undefined) event.sopClassName = name;
        const implied = this.impliedByCommand(
          sopClassUid,
          command.commandField,
          sender,
          command.moveOriginatorAeTitle,
        );
        if (implied !== undefined) event.impliedRole = implied;
      }
      events.push(event);
      return;
    }
    const commandName = st.lastCommand.get(contextId);
    const named = commandName === undefined ? base : { ...base, commandName };
    const transferSyntax = this.transferSyntaxes.get(contextId);
    const encoding = transferSyntax === undefined ? undefined : transferSyntaxEncoding(transferSyntax);
    const withSyntax = transferSyntax === undefined ? named : { ...named, transferSyntax };
    if (encoding === 'deflated' || encoding === 'explicit-be' || encoding === 'not-a-dataset') {
      events.push({
        ...withSyntax,
        type: 'dataset',
        status: 'unsupported-transfer-syntax',
        reason: `${dicomUidName(transferSyntax!) ?? transferSyntax} is not scanned`,
        encoding: 'unsupported',
        encodingFrom: 'negotiated',
        scannedBytes: 0,
      });
      return;
    }
    const explicit =
      encoding === 'explicit-le' ? true : encoding === 'implicit-le' ? false : sniffExplicitVr(bytes);
    const scan = scanDicomDataset(bytes, explicit);
    // A message cut short by the end of the connection is truncated even when it ends between elements.
    const status = connectionEnded && scan.status === 'complete' ? 'truncated' : scan.status;
    const event: DicomDatasetEvent = {
      ...withSyntax,
      type: 'dataset',
      status,
      encoding: explicit ? 'explicit-le' : 'implicit-le',
      encodingFrom: encoding === undefined ? 'sniffed' : 'negotiated',
      scannedBytes: bytes.length,
      ...scan.identity,
    };
    if (scan.error !== undefined)
      event.reason = `${scan.error.reason} at data set offset ${scan.error.offset}`;
    if (scan.identity.sopClassUid !== undefined) {
      const name = dicomUidName(scan.identity.sopClassUid);
      if (name !== undefined) event.sopClassName = name;
    }
    // Scanned once the message is complete, many packets later: each attribute names the packet of its tag.
    const attributePackets: DicomAttributePackets = {};
    for (const [field, offset] of Object.entries(scan.identityOffsets) as [
      keyof DicomAttributePackets,
      number,
    ][]) {
      const at = packetAt(chunks, message, offset);
      if (at !== undefined) attributePackets[field] = at;
    }
    if (Object.keys(attributePackets).length > 0) event.attributePackets = attributePackets;
    events.push(event);
    if (scan.patientTags.length > 0) {
      const at = packetAt(chunks, message, scan.patientOffset ?? 0);
      events.push({
        ...named,
        type: 'patient-data-present',
        tags: scan.patientTags,
        ...(at === undefined ? {} : at),
      });
    }
  }

  /**
   * The sender of a request is the SCU of its SOP class and the sender of a response the SCP, except
   * N-EVENT-REPORT, which the SCP sends. A C-STORE is taken as a modality's only when the association
   * requestor sends it on its own (not a C-MOVE or C-GET sub-operation, which a PACS performs).
   */
  private impliedByCommand(
    sopClassUid: string,
    commandField: number,
    sender: AssociationSide,
    moveOriginator: string | undefined,
  ): DicomRoleImplication | undefined {
    const isResponse = (commandField & 0x8000) !== 0;
    const isEventReport = (commandField & 0x7fff) === 0x0100;
    const as = isResponse !== isEventReport ? 'scp' : 'scu';
    if (
      dicomService(sopClassUid) === 'storage' &&
      as === 'scu' &&
      (sender !== 'requestor' || moveOriginator)
    ) {
      return undefined;
    }
    return impliedDicomRole(sopClassUid, as);
  }
}

const EMPTY = new Uint8Array(0);

/** Association PDUs larger than this are decoded every time (a proposal of ~120 contexts is ~14 KB). */
const ASSOCIATION_CACHE_MAX_PDU = 64 * 1024;

/**
 * Decoded A-ASSOCIATE-RQ/AC PDUs and their events, by their bytes. The same devices negotiate the same
 * association again and again, byte for byte (a modality proposes the same presentation contexts to the
 * same PACS on every connection), and decoding one with its UID names and role hints is the costliest
 * part of a DICOM connection. Bounded by entries and estimated bytes; cleared whole when full. The cached
 * values are frozen because every connection that repeats the negotiation gets the same objects.
 */
const associationCache = {
  requests: new Map<string, { id: number; pdu: DicomAssociateRq; event: DicomAssociationRequestedEvent }>(),
  accepts: new Map<string, { pdu: DicomAssociateAc; event: DicomAssociationAcceptedEvent }>(),
  nextId: 0,
  bytes: 0,
  /**
   * Makes room for an entry: its key plus an estimate of the decoded objects (a few hundred bytes per
   * presentation context), so crafted PDUs of thousands of tiny contexts cannot make it large.
   */
  room(key: string, contexts: number): void {
    const cost = key.length + 256 * contexts;
    if (this.requests.size + this.accepts.size >= 512 || this.bytes + cost > 8 * 1024 * 1024) {
      this.requests.clear();
      this.accepts.clear();
      this.bytes = 0;
    }
    this.bytes += cost;
  },
};

/** Empties the association cache (tests compare decoding with and without it). */
export function clearDicomAssociationCache(): void {
  associationCache.requests.clear();
  associationCache.accepts.clear();
  associationCache.bytes = 0;
}

/** Entries and estimated bytes held by the association cache (tests check its bounds). */
export function dicomAssociationCacheSize(): { entries: number; bytes: number } {
  return {
    entries: associationCache.requests.size + associationCache.accepts.size,
    bytes: associationCache.bytes,
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The `feed()` labels of the chunk holding byte `offset` of a message; undefined when none were given. */
function packetAt(
  chunks: Uint8Array[],
  message: Message,
  offset: number,
): { packet: number; time: number } | undefined {
  const i = chunkAt(chunks, offset);
  const packet = i < 0 ? -1 : message.chunkPackets[i]!;
  return packet >= 0 ? { packet, time: message.chunkTimes[i]! } : undefined;
}

/** Index of the chunk holding byte `offset` of the concatenated chunks (the last one past the end). */
function chunkAt(chunks: Uint8Array[], offset: number): number {
  let end = 0;
  for (let i = 0; i < chunks.length; i++) {
    end += chunks[i]!.length;
    if (offset < end) return i;
  }
  return chunks.length - 1;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function implementationOf(pdu: DicomAssociateRq | DicomAssociateAc): DicomImplementation {
  const info = pdu.userInformation;
  const out: DicomImplementation = {};
  if (info.implementationClassUid !== undefined) {
    out.implementationClassUid = info.implementationClassUid;
    const stack = implementationStack(info.implementationClassUid);
    if (stack !== undefined) out.implementationStack = stack;
  }
  if (info.implementationVersionName !== undefined)
    out.implementationVersionName = info.implementationVersionName;
  if (info.maxPduLength !== undefined) out.maxPduLength = info.maxPduLength;
  return out;
}

function requestedEvent(
  direction: StreamDirection,
  offset: number,
  pdu: DicomAssociateRq,
): DicomAssociationRequestedEvent {
  const info = pdu.userInformation;
  const event: DicomAssociationRequestedEvent = {
    type: 'association-requested',
    direction,
    offset,
    callingAeTitle: pdu.callingAeTitle,
    calledAeTitle: pdu.calledAeTitle,
    protocolVersion: pdu.protocolVersion,
    ...implementationOf(pdu),
    presentationContexts: pdu.presentationContexts.map((context) => {
      const name = context.abstractSyntax === undefined ? undefined : dicomUidName(context.abstractSyntax);
      return {
        id: context.id,
        ...(context.abstractSyntax === undefined ? {} : { abstractSyntax: context.abstractSyntax }),
        ...(name === undefined ? {} : { abstractSyntaxName: name }),
        transferSyntaxes: context.transferSyntaxes,
      };
    }),
    roleSelections: info.roleSelections,
  };
  if (pdu.applicationContext !== undefined) event.applicationContext = pdu.applicationContext;
  if (info.asyncOperationsWindow !== undefined) event.asyncOperationsWindow = info.asyncOperationsWindow;
  if (info.userIdentity !== undefined) event.userIdentity = info.userIdentity;
  return event;
}

function acceptedEvent(
  direction: StreamDirection,
  offset: number,
  pdu: DicomAssociateAc,
  request: DicomAssociateRq | undefined,
): DicomAssociationAcceptedEvent {
  const proposed = new Map(request?.presentationContexts.map((c) => [c.id, c.abstractSyntax]));
  const event: DicomAssociationAcceptedEvent = {
    type: 'association-accepted',
    direction,
    offset,
    callingAeTitle: pdu.callingAeTitle,
    calledAeTitle: pdu.calledAeTitle,
    ...implementationOf(pdu),
    presentationContexts: pdu.presentationContexts.map((context) => {
      const abstractSyntax = proposed.get(context.id);
      const abstractSyntaxName = abstractSyntax === undefined ? undefined : dicomUidName(abstractSyntax);
      const transferSyntaxName =
        context.transferSyntax === undefined ? undefined : dicomUidName(context.transferSyntax);
      return {
        id: context.id,
        result: context.result,
        resultName: context.resultName,
        ...(abstractSyntax === undefined ? {} : { abstractSyntax }),
        ...(abstractSyntaxName === undefined ? {} : { abstractSyntaxName }),
        ...(context.transferSyntax === undefined ? {} : { transferSyntax: context.transferSyntax }),
        ...(transferSyntaxName === undefined ? {} : { transferSyntaxName }),
      };
    }),
    roleSelections: pdu.userInformation.roleSelections,
    roleHints: request === undefined ? [] : associationRoleHints(request, pdu),
  };
  if (pdu.userInformation.userIdentityResponse !== undefined) {
    event.userIdentityResponse = pdu.userInformation.userIdentityResponse;
  }
  return event;
}

const CONFIDENCE_RANK = { low: 0, medium: 1, high: 2 } as const;
const MAX_HINT_SOP_CLASSES = 32;

/**
 * Roles suggested by the accepted presentation contexts: by default the requestor is the SCU and the
 * acceptor the SCP of each; an accepted role selection can make the requestor SCP as well (C-GET
 * receivers) or instead. Storage SCU hints from negotiation alone are `low`: toolkits propose every
 * storage class by default.
 */
export function associationRoleHints(request: DicomAssociateRq, accept: DicomAssociateAc): DicomRoleHint[] {
  const proposed = new Map(request.presentationContexts.map((c) => [c.id, c.abstractSyntax]));
  const roles = new Map(accept.userInformation.roleSelections.map((r) => [r.sopClassUid, r]));
  const proposedRoles = new Set(request.userInformation.roleSelections.map((r) => r.sopClassUid));
  const hints = new Map<string, DicomRoleHint>();
  const add = (side: AssociationSide, implication: DicomRoleImplication | undefined, uid: string) => {
    if (implication === undefined) return;
    const key = `${side}|${implication.role}|${implication.deviceClass ?? ''}`;
    const hint = hints.get(key);
    if (hint === undefined) {
      hints.set(key, {
        side,
        aeTitle: side === 'requestor' ? request.callingAeTitle : request.calledAeTitle,
        ...implication,
        sopClassUids: [uid],
      });
      return;
    }
    if (CONFIDENCE_RANK[implication.confidence] > CONFIDENCE_RANK[hint.confidence]) {
      hint.confidence = implication.confidence;
    }
    if (!hint.sopClassUids.includes(uid) && hint.sopClassUids.length < MAX_HINT_SOP_CLASSES)
      hint.sopClassUids.push(uid);
  };
  for (const context of accept.presentationContexts) {
    const uid = proposed.get(context.id);
    if (context.result !== 0 || uid === undefined) continue;
    const role = roles.get(uid);
    // Roles proposed but left unanswered fall back to the defaults (PS3.7 §D.3.3.4), which is not what
    // the requestor meant to do (getscu asks to be storage SCP): no hint either way.
    if (role === undefined && proposedRoles.has(uid)) continue;
    const requestorScu = role === undefined ? true : role.scuRole;
    const requestorScp = role === undefined ? false : role.scpRole;
    const weak = (implication: DicomRoleImplication | undefined): DicomRoleImplication | undefined =>
      implication !== undefined && dicomService(uid) === 'storage'
        ? { ...implication, confidence: 'low' }
        : implication;
    if (requestorScu) {
      add('requestor', weak(impliedDicomRole(uid, 'scu')), uid);
      add('acceptor', impliedDicomRole(uid, 'scp'), uid);
    }
    // A requestor taking the SCP role receives C-GET sub-operations: a viewer or workstation pulling
    // images, so a storage SCP role there says nothing about a PACS, nor the sender about a modality.
    if (requestorScp && dicomService(uid) !== 'storage') {
      add('requestor', impliedDicomRole(uid, 'scp'), uid);
      add('acceptor', impliedDicomRole(uid, 'scu'), uid);
    }
  }
  return [...hints.values()];
}
