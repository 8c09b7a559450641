/**
 * @module MLLP framing for HL7 v2 over TCP: `MllpStreamDissector` takes each direction's bytes in chunks
 * of any size and returns the complete frames (start block 0x0B, payload, end block 0x1C 0x0D). Bytes
 * outside frames are counted and reported once per run; a frame longer than the cap is reported and
 * skipped up to the next start block. Frames are the same however the bytes were split.
 *
 * @see HL7 Version 2 Minimal Lower Layer Protocol (MLLP) Release 2, §1.2 (block format)
 */

/** Start block (VT). */
export const MLLP_START = 0x0b;
/** End block: FS followed by CR. */
export const MLLP_END = 0x1c;
export const MLLP_END_CR = 0x0d;

export type MllpDirection = 'client' | 'server';

export interface MllpOptions {
  /** Largest payload kept; a longer frame is reported and skipped. Default 1 MiB. */
  maxFrameBytes?: number;
}

export interface MllpFrameEvent {
  type: 'frame';
  direction: MllpDirection;
  /** Stream offset of the start block. */
  offset: number;
  /** The payload between the start and end blocks (a copy; it holds patient data, so never store it). */
  payload: Uint8Array;
  /** `fs-cr` is the standard end block; `fs` means the CR after the FS was missing (lenient senders). */
  terminator: 'fs-cr' | 'fs';
}

export interface MllpGarbageEvent {
  type: 'garbage';
  direction: MllpDirection;
  offset: number;
  /** Bytes outside any frame in this run. */
  length: number;
}

export interface MllpErrorEvent {
  type: 'error';
  direction: MllpDirection;
  /** Offset of the start block of the frame in question. */
  offset: number;
  reason: string;
}

export type MllpEvent = MllpFrameEvent | MllpGarbageEvent | MllpErrorEvent;

type Mode = 'between' | 'in-frame' | 'after-fs' | 'skipping';

class DirectionState {
  offset = 0;
  mode: Mode = 'between';
  garbageStart = 0;
  garbageLength = 0;
  frameStart = 0;
  chunks: Uint8Array[] = [];
  size = 0;
}

/**
 * Splits one connection's byte streams into MLLP frames.
 * @example
 * const sut = new MllpStreamDissector();
 * for (const e of sut.feed('client', bytes)) if (e.type === 'frame') parseHl7Message(decode(e.payload));
 */
export class MllpStreamDissector {
  private readonly maxFrameBytes: number;
  private readonly directions = { client: new DirectionState(), server: new DirectionState() };
  /** Totals over the connection. */
  readonly stats = { frames: 0, garbageBytes: 0, oversizedFrames: 0, unterminatedFrames: 0 };

  constructor(options: MllpOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  }

  feed(direction: MllpDirection, bytes: Uint8Array): MllpEvent[] {
    const st = this.directions[direction];
    const events: MllpEvent[] = [];
    let i = 0;
    while (i < bytes.length) {
      const at = st.offset + i;
      switch (st.mode) {
        case 'between':
        case 'skipping': {
          const start = bytes.indexOf(MLLP_START, i);
          const stop = start === -1 ? bytes.length : start;
          if (stop > i && st.mode === 'between') {
            if (st.garbageLength === 0) st.garbageStart = at;
            st.garbageLength += stop - i;
          }
          i = stop;
          if (start !== -1) {
            this.flushGarbage(direction, st, events);
            this.beginFrame(st, st.offset + start);
            i = start + 1;
          }
          break;
        }
        case 'in-frame': {
          const fs = bytes.indexOf(MLLP_END, i);
          const stop = fs === -1 ? bytes.length : fs;
          const startInside = bytes.subarray(i, stop).indexOf(MLLP_START);
          const restart = startInside === -1 ? -1 : i + startInside;
          const partEnd = restart === -1 ? stop : restart;
          // Appending before looking at a restart keeps the cap check at the same byte however the
          // stream was chunked.
          if (!this.append(direction, st, bytes.subarray(i, partEnd), events)) {
            i = partEnd;
            break;
          }
          if (restart !== -1) {
            // A new start block before the end block: the frame was never terminated.
            this.stats.unterminatedFrames++;
            events.push({ type: 'error', direction, offset: st.frameStart, reason: 'frame not terminated' });
            this.beginFrame(st, st.offset + restart);
            i = restart + 1;
            break;
          }
          i = stop;
          if (fs !== -1) {
            st.mode = 'after-fs';
            i = fs + 1;
          }
          break;
        }
        case 'after-fs': {
          const terminator = bytes[i] === MLLP_END_CR ? 'fs-cr' : 'fs';
          if (terminator === 'fs-cr') i++;
          this.emitFrame(direction, st, terminator, events);
          break;
        }
      }
    }
    st.offset += bytes.length;
    return events;
  }

  /** The connection ended: reports a trailing run of garbage and an unterminated frame. */
  end(): MllpEvent[] {
    const events: MllpEvent[] = [];
    for (const direction of ['client', 'server'] as const) {
      const st = this.directions[direction];
      if (st.mode === 'after-fs') {
        this.emitFrame(direction, st, 'fs', events);
      } else if (st.mode === 'in-frame') {
        this.stats.unterminatedFrames++;
        events.push({ type: 'error', direction, offset: st.frameStart, reason: 'frame not terminated' });
        st.chunks = [];
        st.size = 0;
      }
      this.flushGarbage(direction, st, events);
      st.mode = 'between';
    }
    return events;
  }

  private beginFrame(st: DirectionState, offset: number): void {
    st.mode = 'in-frame';
    st.frameStart = offset;
    st.chunks = [];
    st.size = 0;
  }

  /** Adds payload bytes; false when the frame grew past the cap and is being skipped. */
  private append(
    direction: MllpDirection,
    st: DirectionState,
    part: Uint8Array,
    events: MllpEvent[],
  ): boolean {
    if (part.length === 0) return true;
    if (st.size + part.length > this.maxFrameBytes) {
      this.stats.oversizedFrames++;
      events.push({
        type: 'error',
        direction,
        offset: st.frameStart,
        reason: `frame longer than ${this.maxFrameBytes} bytes`,
      });
      st.chunks = [];
      st.size = 0;
      st.mode = 'skipping';
      return false;
    }
    st.chunks.push(part.slice());
    st.size += part.length;
    return true;
  }

  private emitFrame(
    direction: MllpDirection,
    st: DirectionState,
    terminator: 'fs-cr' | 'fs',
    events: MllpEvent[],
  ) {
    const payload = new Uint8Array(st.size);
    let at = 0;
    for (const chunk of st.chunks) {
      payload.set(chunk, at);
      at += chunk.length;
    }
    this.stats.frames++;
    events.push({ type: 'frame', direction, offset: st.frameStart, payload, terminator });
    st.chunks = [];
    st.size = 0;
    st.mode = 'between';
  }

  private flushGarbage(direction: MllpDirection, st: DirectionState, events: MllpEvent[]): void {
    if (st.garbageLength === 0) return;
    this.stats.garbageBytes += st.garbageLength;
    events.push({ type: 'garbage', direction, offset: st.garbageStart, length: st.garbageLength });
    st.garbageLength = 0;
  }
}

/** Whether `buf` starts like an MLLP-framed HL7 message (start block then `MSH`, `BHS` or `FHS`). */
export function looksLikeMllp(buf: Uint8Array): boolean {
  if (buf.length < 4 || buf[0] !== MLLP_START) return false;
  const id = String.fromCharCode(buf[1]!, buf[2]!, buf[3]!);
  return id === 'MSH' || id === 'BHS' || id === 'FHS';
}
