/**
 * @module The interface every live packet source implements (a capture tool's pipe, standard input, a
 * directory of rotating capture files), and the sink they feed: the live analysis. A source only moves
 * packets; what they mean and when they reach the database is the sink's business.
 */
import type { CapturePacket } from '../../capture/capture-packet.js';
import type { CaptureIssue } from '../../capture/capture-stats.js';

export interface PacketSink {
  /**
   * A new capture stream starts (a tool run, the next followed file): evidence names it from now on, and
   * packet numbers in evidence count from 1 in it.
   */
  beginStream(name: string): void;
  /** One packet; a reused object, valid only during the call (see CapturePacket). */
  packet(p: CapturePacket): void;
  /** Problems a stream's reader met (truncated records …); reported, never fatal. */
  issues(list: readonly CaptureIssue[]): void;
  /**
   * Runs `fn` after the next flush that has applied everything handed over so far (a followed file is
   * marked done only once its packets are in the database).
   */
  afterApplied(fn: () => Promise<void>): void;
}

export interface PacketSource {
  readonly mode: 'interface' | 'stdin' | 'follow-dir';
  /** Interface name, `stdin` or the directory: what status lines and evidence call the source. */
  readonly label: string;
  /**
   * Feeds the sink until the input ends (stdin) or `signal` aborts (the others run forever). Rejects only
   * on a hard failure (tool missing, interface unknown, input not a capture): a clear VigilError.
   */
  run(sink: PacketSink, signal: AbortSignal): Promise<void>;
  /** Source-specific figures for the status line (tool pid and restarts, files done …). */
  status(): Record<string, unknown>;
}

/** Resolves after `ms`, or at once when `signal` aborts; what the sources wait with (tests pass a fake). */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
