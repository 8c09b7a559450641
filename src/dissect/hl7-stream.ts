/**
 * @module `Hl7StreamDissector` follows one HL7-over-MLLP connection: MLLP framing (mllp.ts) plus
 * `parseHl7Message` (hl7.ts) on each frame. Its events carry message summaries, never message bytes,
 * so nothing it returns holds patient values.
 *
 * @see HL7 Version 2 Minimal Lower Layer Protocol (MLLP) Release 2
 */
import { type Hl7Summary, parseHl7Message } from './hl7.js';
import { type MllpDirection, type MllpOptions, MllpStreamDissector } from './mllp.js';

export interface Hl7MessageEvent {
  type: 'message';
  direction: MllpDirection;
  /** Stream offset of the frame's start block. */
  offset: number;
  /** Payload bytes of the frame. */
  length: number;
  terminator: 'fs-cr' | 'fs';
  summary: Hl7Summary;
}

export interface Hl7ErrorEvent {
  type: 'error';
  direction: MllpDirection;
  offset: number;
  reason: string;
}

export interface Hl7GarbageEvent {
  type: 'garbage';
  direction: MllpDirection;
  offset: number;
  length: number;
}

export type Hl7Event = Hl7MessageEvent | Hl7ErrorEvent | Hl7GarbageEvent;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** HL7 payload bytes as text: UTF-8 when valid (ASCII included), else one character per byte. */
export function decodeHl7Payload(payload: Uint8Array): string {
  try {
    return utf8.decode(payload);
  } catch {
    return latin1.decode(payload);
  }
}

/**
 * Dissects one HL7 v2 connection framed with MLLP.
 * @example
 * const sut = new Hl7StreamDissector();
 * const events = [...sut.feed('client', segment1), ...sut.feed('server', segment2), ...sut.end()];
 */
export class Hl7StreamDissector {
  private readonly mllp: MllpStreamDissector;

  constructor(options: MllpOptions = {}) {
    this.mllp = new MllpStreamDissector(options);
  }

  /** Frame, garbage and error counts over the connection. */
  get stats(): MllpStreamDissector['stats'] {
    return this.mllp.stats;
  }

  feed(direction: MllpDirection, bytes: Uint8Array): Hl7Event[] {
    return this.translate(this.mllp.feed(direction, bytes));
  }

  end(): Hl7Event[] {
    return this.translate(this.mllp.end());
  }

  private translate(events: ReturnType<MllpStreamDissector['feed']>): Hl7Event[] {
    const out: Hl7Event[] = [];
    for (const event of events) {
      if (event.type !== 'frame') {
        out.push(event);
        continue;
      }
      const parsed = parseHl7Message(decodeHl7Payload(event.payload));
      if (parsed.kind === 'ok') {
        out.push({
          type: 'message',
          direction: event.direction,
          offset: event.offset,
          length: event.payload.length,
          terminator: event.terminator,
          summary: parsed.value,
        });
      } else {
        const reason = parsed.kind === 'error' ? parsed.reason : 'incomplete message';
        // The frame's payload starts one byte after the start block.
        const offset = event.offset + 1 + (parsed.kind === 'error' ? parsed.offset : 0);
        out.push({ type: 'error', direction: event.direction, offset, reason });
      }
    }
    return out;
  }
}
