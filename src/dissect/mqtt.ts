/**
 * @module MQTT dissector (3.1, 3.1.1 and 5.0 over TCP): the control packets that say who a client is and
 * what it talks about — CONNECT (client id, protocol level, keep-alive, whether a user name and a password
 * are present, the will), CONNACK (return or reason code), PUBLISH (topic, QoS, retain) and SUBSCRIBE
 * (topic filters). Message payloads are never kept: they are only checked, bounded, for HL7 or DICOM
 * patient data ({@link findPatientData}), and only which segments or tags were present is reported. The
 * one exception is the broker's own `$SYS/broker/version` (what it runs, for vulnerability matching): a
 * short printable text, read only from the broker's side. The password of a CONNECT is handed to an
 * optional {@link CredentialCheck} and then dropped.
 * @see MQTT 3.1.1 (OASIS) §2.2 fixed header, §2.2.3 remaining length, §3.1 CONNECT, §3.2 CONNACK,
 *   §3.3 PUBLISH, §3.8 SUBSCRIBE; MQTT 5.0 (OASIS) §2.2.2 properties, §3.1.2.11, §3.2.2.2 reason codes;
 *   MQTT 3.1 (IBM) §3.1 (protocol name `MQIsdp`, version 3)
 */
import { utf8 } from './byte-cursor.js';
import { ByteQueue, type Direction } from './byte-queue.js';
import type { CredentialCheck } from './credential-check.js';
import { findPatientData, type PayloadPhi } from './payload-phi.js';

export type MqttVersion = '3.1' | '3.1.1' | '5.0';

export interface MqttConnect {
  type: 'connect';
  /** `MQTT`, or `MQIsdp` for 3.1. */
  protocolName: string;
  /** 3 (3.1), 4 (3.1.1) or 5 (5.0). */
  protocolLevel: number;
  version: MqttVersion | null;
  clientId: string;
  keepAlive: number;
  cleanSession: boolean;
  /** A user name is present (its value is not reported). */
  usernameFlag: boolean;
  /** A password is present (never kept). */
  passwordFlag: boolean;
  will: { topic: string; qos: number; retain: boolean } | null;
  /** The {@link CredentialCheck} recognised the user name and password as this default entry. */
  defaultCredential?: string;
}

export type MqttEvent =
  | MqttConnect
  /** `accepted` is return code 0 (3.x) or reason code 0 (5.0); `reason` names the code. */
  | { type: 'connack'; code: number; accepted: boolean; reason: string; sessionPresent: boolean }
  | {
      type: 'publish';
      direction: Direction;
      topic: string;
      qos: number;
      retain: boolean;
      dup: boolean;
      payloadLength: number;
      /** HL7 or DICOM patient data found in the payload (which segments or tags, never values). */
      patientData?: PayloadPhi;
    }
  | { type: 'subscribe'; topics: string[] }
  /**
   * The broker published `$SYS/broker/version` to a client subscribed to `$SYS` (mosquitto:
   * `mosquitto version 2.0.11`). `product` and `version` only when the text has exactly the form
   * `<name> version <n.n[.n[.n]]>`; other forms are left as `text`.
   */
  | { type: 'broker-version'; text: string; product?: string; version?: string }
  /** Not MQTT, or a malformed packet: this direction is no longer parsed. `offset` counts from the stream start. */
  | { type: 'error'; direction: Direction; offset: number; reason: string };

export interface MqttOptions {
  checkCredential?: CredentialCheck;
}

/** Packets other than PUBLISH larger than this are skipped unread (nothing worth reading is that big). */
const MAX_PACKET = 64 * 1024;
/** Bytes of each PUBLISH payload kept for the patient-data check, then dropped. */
const PAYLOAD_SCAN = 64 * 1024;
const MAX_TOPICS = 32;
/** The broker's version topic (mosquitto's `$SYS` hierarchy), the only payload Vigil reads as text. */
const BROKER_VERSION_TOPIC = '$SYS/broker/version';
const MAX_VERSION_TEXT = 100;
const BROKER_VERSION = /^([A-Za-z][A-Za-z0-9_-]{0,31}) version (\d{1,4}(?:\.\d{1,4}){1,3})$/;

const PACKET_TYPES = [
  '',
  'CONNECT',
  'CONNACK',
  'PUBLISH',
  'PUBACK',
  'PUBREC',
  'PUBREL',
  'PUBCOMP',
  'SUBSCRIBE',
  'SUBACK',
  'UNSUBSCRIBE',
  'UNSUBACK',
  'PINGREQ',
  'PINGRESP',
  'DISCONNECT',
  'AUTH',
] as const;

/** 3.1.1 §3.2.2.3 CONNACK return codes. */
const RETURN_CODES: Record<number, string> = {
  0: 'accepted',
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/** 5.0 §3.2.2.2 CONNACK reason codes. */
const REASON_CODES: Record<number, string> = {
  0: 'success',
  128: 'unspecified error',
  129: 'malformed packet',
  130: 'protocol error',
  131: 'implementation specific error',
  132: 'unsupported protocol version',
  133: 'client identifier not valid',
  134: 'bad user name or password',
  135: 'not authorized',
  136: 'server unavailable',
  137: 'server busy',
  138: 'banned',
  140: 'bad authentication method',
  144: 'topic name invalid',
  149: 'packet too large',
  151: 'quota exceeded',
  153: 'payload format invalid',
  154: 'retain not supported',
  155: 'QoS not supported',
  156: 'use another server',
  157: 'server moved',
  159: 'connection rate exceeded',
};

/** CONNACK codes that refuse the login itself (counted as failed logins). */
export function isMqttLoginRefused(code: number): boolean {
  return code === 4 || code === 5 || code === 0x86 || code === 0x87;
}

/** CONNECT protocol level → MQTT version. */
export const MQTT_VERSIONS: Readonly<Record<number, MqttVersion>> = { 3: '3.1', 4: '3.1.1', 5: '5.0' };

/**
 * The remaining-length field at `at` (3.1.1 §2.2.3: 7 bits per byte, least significant first, at most
 * four bytes): its value and size, `null` when more bytes are needed, or an error reason.
 */
export function readRemainingLength(
  b: Uint8Array,
  at: number,
): { value: number; size: number } | null | string {
  let value = 0;
  let mult = 1;
  for (let i = 0; i < 4; i++) {
    if (at + i >= b.length) return null;
    const byte = b[at + i]!;
    value += (byte & 0x7f) * mult;
    if ((byte & 0x80) === 0) return { value, size: i + 1 };
    mult *= 128;
  }
  return 'remaining length longer than 4 bytes';
}

class Malformed extends Error {}

/** Sequential reads inside one packet; a read past its end is a malformed packet. */
class Reader {
  constructor(
    readonly b: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}
  u8(): number {
    if (this.pos >= this.end) throw new Malformed('packet ends early');
    return this.b[this.pos++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  bytes(): Uint8Array {
    const n = this.u16();
    if (this.pos + n > this.end) throw new Malformed('field runs past the packet');
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  string(): string {
    return utf8(this.bytes());
  }
  varint(): number {
    const r = readRemainingLength(this.b.subarray(0, this.end), this.pos);
    if (r === null || typeof r === 'string') throw new Malformed('bad variable byte integer');
    this.pos += r.size;
    return r.value;
  }
  /** 5.0 §2.2.2: a property length and the properties, skipped. */
  skipProperties(): void {
    const n = this.varint();
    if (this.pos + n > this.end) throw new Malformed('properties run past the packet');
    this.pos += n;
  }
}

interface PayloadState {
  topic: string;
  qos: number;
  retain: boolean;
  dup: boolean;
  payloadLength: number;
  /** Payload bytes still to come. */
  remaining: number;
  /** The first {@link PAYLOAD_SCAN} bytes, for the patient-data check. */
  kept: Uint8Array[];
  keptLength: number;
}

class MqttDirection {
  readonly queue = new ByteQueue(MAX_PACKET + 8);
  /** Stream offset of the queue's first byte. */
  offset = 0;
  stopped = false;
  /** Inside a packet's body that is not buffered: a PUBLISH payload, or a packet skipped unread. */
  body: { remaining: number; publish?: PayloadState } | undefined;
  constructor(readonly direction: Direction) {}
}

/** Follows one MQTT connection. Feed each direction's bytes in capture order; never throws. */
export class MqttStreamDissector {
  private readonly dirs = { client: new MqttDirection('client'), server: new MqttDirection('server') };
  /** The protocol level from CONNECT: 5.0 packets carry properties. */
  private level = 0;

  constructor(private readonly options: MqttOptions = {}) {}

  get done(): boolean {
    return this.dirs.client.stopped && this.dirs.server.stopped;
  }

  feed(direction: Direction, bytes: Uint8Array): MqttEvent[] {
    const d = this.dirs[direction];
    const events: MqttEvent[] = [];
    if (d.stopped) return events;
    try {
      let input = bytes;
      while (!d.stopped && input.length > 0) {
        if (d.body) {
          const n = this.body(d, input, events);
          input = input.subarray(n);
          continue;
        }
        const took = d.queue.pushSome(input);
        input = input.subarray(took);
        const before = d.queue.length;
        this.packets(d, events);
        if (took === 0 && !d.body && d.queue.length === before && !d.stopped)
          this.fail(d, events, 'packet larger than the buffer'); // cannot happen; never loop forever
      }
    } catch (e) {
      this.fail(d, events, `unexpected: ${String(e)}`);
    }
    d.queue.release();
    return events;
  }

  private fail(d: MqttDirection, events: MqttEvent[], reason: string, at = d.offset): void {
    events.push({ type: 'error', direction: d.direction, offset: at, reason });
    d.stopped = true;
    d.body = undefined;
    d.queue.clear();
  }

  /** Takes body bytes of the current unbuffered packet from `input`; returns how many it took. */
  private body(d: MqttDirection, input: Uint8Array, events: MqttEvent[]): number {
    const body = d.body!;
    const n = Math.min(body.remaining, input.length);
    const p = body.publish;
    if (p && p.keptLength < PAYLOAD_SCAN && n > 0) {
      const take = Math.min(n, PAYLOAD_SCAN - p.keptLength);
      p.kept.push(input.slice(0, take));
      p.keptLength += take;
    }
    body.remaining -= n;
    d.offset += n;
    if (body.remaining === 0) {
      d.body = undefined;
      if (p) this.publishDone(d, p, events);
    }
    return n;
  }

  private packets(d: MqttDirection, events: MqttEvent[]): void {
    while (!d.stopped && !d.body) {
      const buf = d.queue.view();
      if (buf.length < 2) return;
      const first = buf[0]!;
      const type = first >> 4;
      const flags = first & 0x0f;
      if (type === 0) {
        this.fail(d, events, 'reserved packet type 0');
        return;
      }
      // 3.1.1 §2.2.2: PUBREL, SUBSCRIBE and UNSUBSCRIBE have flags 0010, others (but PUBLISH) 0000.
      const expectFlags = type === 6 || type === 8 || type === 10 ? 2 : 0;
      if (type !== 3 && flags !== expectFlags && !(this.level < 4 && flags === (expectFlags | 8))) {
        this.fail(d, events, `invalid flags ${flags} for ${PACKET_TYPES[type]}`);
        return;
      }
      if (type === 3 && (flags & 6) === 6) {
        this.fail(d, events, 'PUBLISH with QoS 3');
        return;
      }
      const rl = readRemainingLength(buf, 1);
      if (rl === null) return;
      if (typeof rl === 'string') {
        this.fail(d, events, rl);
        return;
      }
      const headerLength = 1 + rl.size;
      const total = headerLength + rl.value;
      if (type === 3 && total > buf.length) {
        // A PUBLISH is read from its variable header on; the payload streams past, bounded.
        if (!this.publishHead(d, buf, headerLength, rl.value, flags, events)) {
          if (d.queue.room === 0) this.fail(d, events, 'PUBLISH topic longer than the buffer');
          return;
        }
        continue;
      }
      if (total > buf.length) {
        if (total > MAX_PACKET) {
          // Too big to buffer and nothing we read: skip it.
          d.queue.consume(buf.length);
          d.offset += buf.length;
          d.body = { remaining: total - buf.length };
        }
        return;
      }
      try {
        this.packet(d, type, flags, buf, headerLength, total, events);
      } catch (e) {
        if (e instanceof Malformed) {
          this.fail(d, events, `${PACKET_TYPES[type]}: ${e.message}`);
          return;
        }
        throw e;
      }
      d.queue.consume(total);
      d.offset += total;
    }
  }

  /**
   * The variable header of a PUBLISH whose payload is not all buffered yet: when it is complete, starts
   * streaming the payload and returns true; false when more bytes are needed first.
   */
  private publishHead(
    d: MqttDirection,
    buf: Uint8Array,
    headerLength: number,
    remaining: number,
    flags: number,
    events: MqttEvent[],
  ): boolean {
    let head: { state: PayloadState; end: number };
    try {
      head = this.readPublish(
        buf,
        headerLength,
        headerLength + remaining,
        flags,
        Math.min(buf.length, headerLength + remaining),
      );
    } catch (e) {
      if (e instanceof Malformed) return false;
      throw e;
    }
    const inQueue = buf.length - head.end;
    d.queue.consume(head.end);
    d.offset += head.end;
    head.state.remaining = headerLength + remaining - head.end;
    d.body = { remaining: head.state.remaining, publish: head.state };
    if (inQueue > 0) {
      const rest = d.queue.view().slice(0, inQueue);
      d.queue.consume(inQueue);
      this.body(d, rest, events);
    }
    return true;
  }

  private readPublish(
    b: Uint8Array,
    start: number,
    end: number,
    flags: number,
    available: number,
  ): { state: PayloadState; end: number } {
    const r = new Reader(b, start, available);
    const topic = r.string();
    const qos = (flags >> 1) & 3;
    if (qos > 0) r.u16(); // packet identifier
    if (this.level === 5) r.skipProperties();
    if (r.pos > end) throw new Malformed('variable header runs past the packet');
    return {
      end: r.pos,
      state: {
        topic,
        qos,
        retain: (flags & 1) === 1,
        dup: (flags & 8) === 8,
        payloadLength: end - r.pos,
        remaining: 0,
        kept: [],
        keptLength: 0,
      },
    };
  }

  private publishDone(d: MqttDirection, p: PayloadState, events: MqttEvent[]): void {
    let payload: Uint8Array;
    if (p.kept.length === 1) payload = p.kept[0]!;
    else {
      payload = new Uint8Array(p.keptLength);
      let at = 0;
      for (const k of p.kept) {
        payload.set(k, at);
        at += k.length;
      }
    }
    this.emitPublish(d, p, payload, events);
  }

  private emitPublish(d: MqttDirection, p: PayloadState, payload: Uint8Array, events: MqttEvent[]): void {
    const ev: Extract<MqttEvent, { type: 'publish' }> = {
      type: 'publish',
      direction: d.direction,
      topic: p.topic,
      qos: p.qos,
      retain: p.retain,
      dup: p.dup,
      payloadLength: p.payloadLength,
    };
    const phi = payload.length ? findPatientData(payload) : undefined;
    if (phi) ev.patientData = phi;
    events.push(ev);
    // Only the broker publishes $SYS (mosquitto refuses clients' $SYS PUBLISHes); any other payload stays unread.
    if (d.direction === 'server' && p.topic === BROKER_VERSION_TOPIC) {
      const version = brokerVersion(payload, p.payloadLength);
      if (version) events.push(version);
    }
  }

  private packet(
    d: MqttDirection,
    type: number,
    flags: number,
    b: Uint8Array,
    start: number,
    end: number,
    events: MqttEvent[],
  ): void {
    switch (type) {
      case 1:
        if (d.direction === 'client') this.connect(new Reader(b, start, end), events);
        return;
      case 2:
        if (d.direction === 'server') this.connack(new Reader(b, start, end), end - start, events);
        return;
      case 3: {
        const { state, end: payloadStart } = this.readPublish(b, start, end, flags, end);
        this.emitPublish(
          d,
          state,
          b.subarray(payloadStart, Math.min(end, payloadStart + PAYLOAD_SCAN)),
          events,
        );
        return;
      }
      case 8:
        if (d.direction === 'client') this.subscribe(new Reader(b, start, end), events);
        return;
      default:
        return;
    }
  }

  /** 3.1.1 §3.1, 5.0 §3.1. */
  private connect(r: Reader, events: MqttEvent[]): void {
    const protocolName = r.string();
    const protocolLevel = r.u8();
    if (protocolName !== 'MQTT' && protocolName !== 'MQIsdp')
      throw new Malformed(`unknown protocol name ${JSON.stringify(protocolName.slice(0, 16))}`);
    this.level = protocolLevel;
    const flags = r.u8();
    const keepAlive = r.u16();
    if (protocolLevel === 5) r.skipProperties();
    const clientId = r.string();
    let will: MqttConnect['will'] = null;
    if (flags & 0x04) {
      if (protocolLevel === 5) r.skipProperties();
      const topic = r.string();
      r.bytes(); // will message: a payload, never kept
      will = { topic, qos: (flags >> 3) & 3, retain: (flags & 0x20) !== 0 };
    }
    const usernameFlag = (flags & 0x80) !== 0;
    const passwordFlag = (flags & 0x40) !== 0;
    const ev: MqttConnect = {
      type: 'connect',
      protocolName,
      protocolLevel,
      version: MQTT_VERSIONS[protocolLevel] ?? null,
      clientId: clientId.slice(0, 256),
      keepAlive,
      cleanSession: (flags & 0x02) !== 0,
      usernameFlag,
      passwordFlag,
      will,
    };
    // The user name is read only to be checked with the password; neither is reported.
    const username = usernameFlag ? r.string() : undefined;
    if (passwordFlag) {
      const password = r.bytes();
      const match = this.options.checkCredential?.(username, password);
      if (match !== undefined) ev.defaultCredential = match;
    }
    events.push(ev);
  }

  /** 3.1.1 §3.2 (2 bytes), 5.0 §3.2 (flags, reason code, properties). */
  private connack(r: Reader, length: number, events: MqttEvent[]): void {
    const ackFlags = r.u8();
    const code = r.u8();
    const v5 = this.level === 5 || (this.level === 0 && length > 2);
    const reason = (v5 ? REASON_CODES[code] : RETURN_CODES[code]) ?? `code ${code}`;
    events.push({
      type: 'connack',
      code,
      accepted: code === 0,
      reason,
      sessionPresent: (ackFlags & 1) === 1,
    });
  }

  /** 3.1.1 §3.8: packet identifier, (5.0: properties), then topic filters each with an options byte. */
  private subscribe(r: Reader, events: MqttEvent[]): void {
    r.u16();
    if (this.level === 5) r.skipProperties();
    const topics: string[] = [];
    while (r.pos < r.end && topics.length < MAX_TOPICS) {
      topics.push(r.string());
      r.u8();
    }
    events.push({ type: 'subscribe', topics });
  }
}

/**
 * The text of a `$SYS/broker/version` payload when it is short printable ASCII (anything else is not a
 * version announcement and is not kept), with product and version when it has mosquitto's form.
 */
export function brokerVersion(
  payload: Uint8Array,
  length = payload.length,
): Extract<MqttEvent, { type: 'broker-version' }> | undefined {
  if (length === 0 || length > MAX_VERSION_TEXT || payload.length !== length) return undefined;
  for (const b of payload) if (b < 0x20 || b > 0x7e) return undefined;
  const text = String.fromCharCode(...payload);
  const m = BROKER_VERSION.exec(text);
  return m
    ? { type: 'broker-version', text, product: m[1]!, version: m[2]! }
    : { type: 'broker-version', text };
}

/**
 * Whether a client's first bytes are an MQTT CONNECT (type 1, a remaining length, then the protocol
 * name `MQTT` or `MQIsdp`): cheap enough to run once per connection.
 */
export function looksLikeMqttConnect(b: Uint8Array): boolean {
  if (b[0] !== 0x10) return false;
  const rl = readRemainingLength(b, 1);
  if (rl === null || typeof rl === 'string') return false;
  const at = 1 + rl.size;
  if (b[at] !== 0 || b[at + 2] !== 0x4d || b[at + 3] !== 0x51) return false;
  const n = b[at + 1];
  return (n === 4 && b[at + 4] === 0x54 && b[at + 5] === 0x54) || (n === 6 && b[at + 4] === 0x49);
}
