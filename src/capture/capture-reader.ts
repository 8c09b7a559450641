/**
 * @module The interface every capture file reader implements (pcap, pcapng): a synchronous push parser, so
 * the same code serves a file, a gunzip stream, standard input or, later, a live capture.
 */
import type { CapturePacket } from './capture-packet.js';
import type { CaptureStats } from './capture-stats.js';

/**
 * Drive it like this (see `readCapture` in open-capture.ts):
 *
 * ```ts
 * for await (const chunk of source) {
 *   reader.push(chunk);
 *   for (let p = reader.next(); p !== null; p = reader.next()) use(p);
 * }
 * reader.end();
 * for (let p = reader.next(); p !== null; p = reader.next()) use(p);
 * ```
 *
 * `next()` never throws on bad input: problems become `stats.issues`, corrupt records are skipped and
 * counted, and the reader resynchronises where the format allows it or stops (`done`, `stats.stopped`).
 */
export interface CaptureReader {
  readonly stats: CaptureStats;
  /** True once the reader will produce no more packets (end of stream reached, or it gave up). */
  readonly done: boolean;
  /** Feeds the next chunk. Call only after `next()` returned null. */
  push(chunk: Uint8Array): void;
  /** Marks the end of the stream; afterwards `next()` drains what is left and reports a truncated tail. */
  end(): void;
  /**
   * The next packet, or null when more input is needed (or `done`). The returned object and its bytes are
   * reused: valid until the next call.
   */
  next(): CapturePacket | null;
}

/** Largest record or block accepted; anything claiming more is treated as a corrupt length field. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;
/** How far a reader scans for the next plausible record after corruption before giving up. */
export const RESYNC_SCAN_BYTES = 1024 * 1024;
