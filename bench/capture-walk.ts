/**
 * @module Throughput of the capture hot path, for bench/run.ts: read + decode + TCP/UDP flow tracking with
 * stream reassembly (`readerThroughput`), against a bare loop that only walks the record headers
 * (`bareWalk`, the practical ceiling of a JavaScript reader).
 *
 * Run alone through `bench/capture-child.ts` (`npm run bench -- --only capture` builds it).
 */
import { createReadStream, readFileSync } from 'node:fs';
import { openCapture } from '../src/capture/open-capture.js';
import { PacketDecoder } from '../src/decode/decode-packet.js';
import { IpProtocol } from '../src/decode/decoded-packet.js';
import type { TcpConsumer } from '../src/flows/tcp-consumer.js';
import { TcpTracker } from '../src/flows/tcp-tracker.js';
import { UdpFlows } from '../src/flows/udp-flows.js';

export interface WalkResult {
  /** Bytes of the capture file. */
  bytes: number;
  packets: number;
  ms: number;
  /** Highest resident set size sampled during the run (MB), and the process's peak so far. */
  peakRssMb: number;
  processPeakRssMb: number;
  mbPerSec: number;
  packetsPerSec: number;
}

export interface ThroughputResult extends WalkResult {
  tcpConnections: number;
  udpFlows: number;
  /** TCP payload bytes handed to the consumer in order. */
  reassembledBytes: number;
  malformed: number;
  issues: number;
}

const now = () => process.hrtime.bigint();
const mb = (bytes: number) => bytes / 1e6;

function finish<T extends object>(bytes: number, packets: number, t0: bigint, peakRss: number, extra: T) {
  const ms = Number(now() - t0) / 1e6;
  return {
    bytes,
    packets,
    ms,
    peakRssMb: Math.round(mb(Math.max(peakRss, process.memoryUsage.rss()))),
    processPeakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    mbPerSec: Math.round(mb(bytes) / (ms / 1000)),
    packetsPerSec: Math.round(packets / (ms / 1000)),
    ...extra,
  };
}

/**
 * Reads, decodes and tracks every packet of `file` (pcap, pcapng, gzip), with a consumer that receives every
 * reassembled TCP byte (and does nothing with it): what the dissectors will sit on.
 */
export async function readerThroughput(file: string): Promise<ThroughputResult> {
  const t0 = now();
  let reassembled = 0;
  const consumer: TcpConsumer = {
    onData(_conn, _from, bytes) {
      reassembled += bytes.length;
    },
  };
  const tcp = new TcpTracker(consumer);
  const udp = new UdpFlows();
  const decoder = new PacketDecoder();
  const capture = openCapture(file);
  let peakRss = 0;
  let n = 0;
  await capture.forEach((p) => {
    const d = decoder.decode(p);
    if (d.outcome === 'transport') {
      const time = p.timestampSec + p.timestampNsec / 1e9;
      if (d.ipProtocol === IpProtocol.TCP) tcp.track(d, p.index, time);
      else if (d.ipProtocol === IpProtocol.UDP) udp.track(d, p.index, time);
    }
    // Sample memory now and then (the call itself is not free).
    if ((++n & 0xffff) === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  });
  tcp.finish();
  udp.finish();
  return finish(capture.stats.sourceBytes, capture.stats.packets, t0, peakRss, {
    tcpConnections: tcp.stats.connections,
    udpFlows: udp.flowsCreated,
    reassembledBytes: reassembled,
    malformed: decoder.stats.outcomes.malformed,
    issues: capture.stats.issueCount,
  });
}

/**
 * Walks only the record headers of a classic pcap file (or the block headers of a pcapng file): no packet
 * object, no decoding. `mode` `stream` reads 1 MiB chunks as the reader does; `readFileSync` loads the whole
 * file first (memory grows with the file: for comparison only).
 */
export async function bareWalk(
  file: string,
  mode: 'stream' | 'readFileSync' = 'stream',
): Promise<WalkResult> {
  const t0 = now();
  let packets = 0;
  let bytes = 0;
  let peakRss = 0;
  if (mode === 'readFileSync') {
    const buf = readFileSync(file);
    bytes = buf.length;
    const format = walkFormat(buf);
    if (format !== null) packets = walkFrom(buf, format.pcapng ? 0 : 24, format).packets;
    peakRss = process.memoryUsage.rss();
    return finish(bytes, packets, t0, peakRss, {});
  }
  let format: WalkFormat | null = null;
  // Bytes of a record body still to pass, and the (header-sized at most) tail of the previous chunk.
  let skip = 0;
  let carry: Buffer | null = null;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    bytes += (chunk as Buffer).length;
    const buf: Buffer = carry === null ? (chunk as Buffer) : Buffer.concat([carry, chunk as Buffer]);
    carry = null;
    let at = 0;
    if (skip > 0) {
      if (skip >= buf.length) {
        skip -= buf.length;
        continue;
      }
      at = skip;
      skip = 0;
    }
    if (format === null) {
      format = walkFormat(buf);
      if (format === null) {
        carry = buf;
        continue;
      }
      at = format.pcapng ? 0 : 24;
    }
    const r = walkFrom(buf, at, format);
    packets += r.packets;
    if (r.next > buf.length) skip = r.next - buf.length;
    else if (r.next < buf.length) carry = Buffer.from(buf.subarray(r.next));
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  return finish(bytes, packets, t0, peakRss, {});
}

interface WalkFormat {
  le: boolean;
  pcapng: boolean;
}

function walkFormat(buf: Buffer): WalkFormat | null {
  if (buf.length < 24) return null;
  const magic = buf.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) return { le: buf.readUInt32LE(8) === 0x1a2b3c4d, pcapng: true };
  return { le: magic === 0xa1b2c3d4 || magic === 0xa1b23c4d, pcapng: false };
}

/** Counts the records whose header lies in `buf` from `at`; `next` is where the next header starts. */
function walkFrom(buf: Buffer, at: number, format: WalkFormat): { packets: number; next: number } {
  let o = at;
  let packets = 0;
  const end = buf.length;
  const le = format.le;
  if (format.pcapng) {
    while (o + 8 <= end) {
      const type = le ? buf.readUInt32LE(o) : buf.readUInt32BE(o);
      const len = le ? buf.readUInt32LE(o + 4) : buf.readUInt32BE(o + 4);
      if (len < 12) return { packets, next: end };
      if (type === 6 || type === 3 || type === 2) packets++;
      o += len;
    }
  } else {
    while (o + 16 <= end) {
      packets++;
      o += 16 + (le ? buf.readUInt32LE(o + 8) : buf.readUInt32BE(o + 8));
    }
  }
  return { packets, next: o };
}
