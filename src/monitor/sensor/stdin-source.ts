/**
 * @module Packets from a capture on standard input (`tcpdump -i eth0 -U -w - | vigil sensor --read-stdin`):
 * pcap or pcapng, gzip or not, read as it arrives until the writer closes the pipe.
 */
import { readCapture } from '../../capture/open-capture.js';
import { invalidInput } from '../../errors.js';
import type { PacketSink, PacketSource } from './packet-source.js';

export class StdinSource implements PacketSource {
  readonly mode = 'stdin' as const;
  readonly label = 'stdin';
  private packets = 0;
  private ended = false;

  constructor(private readonly input: AsyncIterable<Uint8Array> & { destroy?: () => void } = process.stdin) {}

  async run(sink: PacketSink, signal: AbortSignal): Promise<void> {
    const capture = readCapture(this.input, { file: this.label });
    // Ctrl-C or SIGTERM: stop reading so the final flush can run; what was read is kept.
    const stop = () => this.input.destroy?.();
    signal.addEventListener('abort', stop, { once: true });
    sink.beginStream(this.label);
    try {
      const stats = await capture.forEach((p) => {
        this.packets++;
        sink.packet(p);
      });
      sink.issues(stats.issues);
      if (!capture.format && !signal.aborted) {
        throw invalidInput(
          'standard input is not a pcap or pcapng capture (gzip-compressed or not)',
          stats.issues.map((i) => ({ file: 'stdin', offset: i.offset, reason: i.reason })),
        );
      }
    } catch (e) {
      // A destroyed stdin ends the iteration with a premature-close error: that is the requested stop.
      if (!signal.aborted) throw e;
    } finally {
      this.ended = true;
      signal.removeEventListener('abort', stop);
    }
  }

  status(): Record<string, unknown> {
    return { packetsRead: this.packets, ended: this.ended };
  }
}
