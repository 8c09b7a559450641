import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FIXTURE_DIR,
  fixtureBytes,
  readAllPackets,
  tsharkFrames,
  tsharkStreams,
} from '../../test/fixtures/captures/capture-fixtures.js';
import { PacketDecoder } from '../decode/decode-packet.js';
import { DecodedPacket, TcpFlag } from '../decode/decoded-packet.js';
import type { TcpConnection } from './tcp-connection.js';
import type { TcpCloseReason, TcpConsumer, TcpRole } from './tcp-consumer.js';
import { TcpTracker, type TcpTrackerOptions } from './tcp-tracker.js';

interface Recorded {
  conn: TcpConnection;
  client: Buffer[];
  server: Buffer[];
  gaps: { from: TcpRole; missing: number; packetIndex: number }[];
  portStates: ('open' | 'closed')[];
  closed?: TcpCloseReason;
  dataPackets: number[];
}

/** A consumer that records everything, copying the bytes (they are only valid during the call). */
class Recorder implements TcpConsumer {
  readonly conns: Recorded[] = [];
  private readonly byId = new Map<number, Recorded>();
  constructor(private readonly stopOnOpen = false) {}
  onOpen(conn: TcpConnection): void {
    const r: Recorded = { conn, client: [], server: [], gaps: [], portStates: [], dataPackets: [] };
    this.conns.push(r);
    this.byId.set(conn.id, r);
    if (this.stopOnOpen) conn.stopDelivery();
  }
  onData(conn: TcpConnection, from: TcpRole, bytes: Uint8Array, packetIndex: number): void {
    const r = this.byId.get(conn.id)!;
    r[from].push(Buffer.from(bytes));
    r.dataPackets.push(packetIndex);
  }
  onGap(conn: TcpConnection, from: TcpRole, missing: number, packetIndex: number): void {
    this.byId.get(conn.id)!.gaps.push({ from, missing, packetIndex });
  }
  onPortState(conn: TcpConnection, state: 'open' | 'closed'): void {
    this.byId.get(conn.id)!.portStates.push(state);
  }
  onClose(conn: TcpConnection, reason: TcpCloseReason): void {
    const r = this.byId.get(conn.id)!;
    expect(r.closed).toBeUndefined();
    r.closed = reason;
  }
}

async function trackFixture(name: string, options: TcpTrackerOptions = {}) {
  const rec = new Recorder();
  const sut = new TcpTracker(rec, options);
  const decoder = new PacketDecoder();
  const { packets } = await readAllPackets(fixtureBytes(name));
  for (const p of packets) {
    const d = decoder.decodeFrame(p.linkType, p.data, 0, p.capturedLength);
    sut.track(d, p.index, p.sec + p.nsec / 1e9);
  }
  sut.finish();
  return { rec, sut };
}

const endpoint = (conn: TcpConnection, role: TcpRole) => {
  const ip = role === 'client' ? conn.clientIp : conn.serverIp;
  const port = role === 'client' ? conn.clientPort : conn.serverPort;
  return conn.ipVersion === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
};
const hex = (chunks: Buffer[]) => Buffer.concat(chunks).toString('hex');

describe('TcpTracker reassembly against tshark (follow tcp stream)', () => {
  it.each([
    '04-hl7-mllp.pcap',
    '07-telnet-ftp-ssh-mqtt.pcap',
    'dicom-ct-store.pcap',
    'sll-http.pcap',
    'sll2-http.pcap',
    '06-http-tls.pcapng',
    'null-be-v6.pcap',
    'zeek-missing-syn.pcapng',
    'nmap-legacy-host.pcap',
  ])('%s: every connection, both directions, byte for byte', async (name) => {
    const streams = tsharkStreams(name);
    const { rec, sut } = await trackFixture(name);
    expect(rec.conns.length).toBe(streams.length);
    rec.conns.forEach((r, i) => {
      const s = streams[i]!;
      const clientIsNode0 = endpoint(r.conn, 'client') === s.node0;
      expect([endpoint(r.conn, 'client'), endpoint(r.conn, 'server')].sort()).toEqual(
        [s.node0, s.node1].sort(),
      );
      expect(hex(r.client)).toBe(clientIsNode0 ? s.fromNode0 : s.fromNode1);
      expect(hex(r.server)).toBe(clientIsNode0 ? s.fromNode1 : s.fromNode0);
      expect(r.gaps).toEqual([]);
      expect(r.closed).toBeDefined();
    });
    expect(sut.size).toBe(0);
    expect(sut.pendingBytes).toBe(0);
  });

  it('tells clients from servers by the handshake, with MACs and VLANs of the first packet', async () => {
    const { rec } = await trackFixture('04-hl7-mllp-vlan30.pcap');
    for (const { conn, portStates, closed } of rec.conns) {
      expect([conn.serverIp, conn.serverPort, conn.roleEvidence, conn.vlanIds]).toEqual([
        '10.30.0.5',
        2575,
        'syn',
        [30],
      ]);
      expect(conn.serverMac).toBe('02:00:5e:30:00:05');
      expect(portStates).toEqual(['open']);
      expect([conn.state, closed]).toEqual(['closed', 'fin']);
    }
    const tcpFrames = tsharkFrames('04-hl7-mllp-vlan30.pcap').filter((f) => f.tcpSrcPort.length > 0);
    const counted = rec.conns.reduce((n, { conn }) => n + conn.clientPackets + conn.serverPackets, 0);
    expect(counted).toBe(tcpFrames.length);
    const payload = rec.conns.reduce((n, { conn }) => n + conn.clientBytes + conn.serverBytes, 0);
    expect(payload).toBe(tcpFrames.reduce((n, f) => n + f.tcpLen[0]!, 0));
  });

  it('takes the server from the SYN-ACK when the SYN was not captured', async () => {
    const { rec } = await trackFixture('zeek-missing-syn.pcapng');
    expect(rec.conns.map((r) => [r.conn.roleEvidence, r.conn.serverPort, r.conn.state])).toEqual([
      ['syn-ack', 80, 'closed'],
    ]);
  });
});

describe('TcpTracker on reordered, duplicated and lost segments (derived from a real capture)', () => {
  const original = tsharkStreams('dicom-ct-store.pcap')[0]!;
  const perturbations = readFileSync(join(FIXTURE_DIR, 'dicom-perturbations.txt'), 'utf8');
  const lostFrame = Number(/lost frame (\d+)/.exec(perturbations)![1]);

  it.each(['dicom-reordered.pcap', 'dicom-retransmitted.pcap'])(
    '%s: the same streams, no gap',
    async (name) => {
      const { rec } = await trackFixture(name);
      const [r] = rec.conns;
      expect(hex(r!.client)).toBe(original.fromNode0);
      expect(hex(r!.server)).toBe(original.fromNode1);
      expect(r!.gaps).toEqual([]);
      if (name.includes('retransmitted')) expect(r!.conn.client.duplicateBytes).toBeGreaterThan(0);
    },
  );

  it('dicom-lost-segment.pcap: reports the gap where the segment was, then resynchronises', async () => {
    const frames = tsharkFrames('dicom-ct-store.pcap');
    const lost = frames[lostFrame - 1]!;
    const fromClient = lost.ipSrc[0] === frames[0]!.ipSrc[0];
    // The initial sequence number of the lost segment's sender: its SYN (client) or SYN-ACK (server).
    const syn = frames.find((f) => f.tcpFlags[0] === (fromClient ? 0x002 : 0x012))!;
    const at = (lost.tcpSeq[0]! - syn.tcpSeq[0]! - 1) >>> 0;
    const len = lost.tcpLen[0]!;
    const full = Buffer.from(fromClient ? original.fromNode0 : original.fromNode1, 'hex');
    const { rec } = await trackFixture('dicom-lost-segment.pcap');
    const [r] = rec.conns;
    const from: TcpRole = fromClient ? 'client' : 'server';
    expect(r!.gaps.map(({ from, missing }) => ({ from, missing }))).toEqual([{ from, missing: len }]);
    const expected = Buffer.concat([full.subarray(0, at), full.subarray(at + len)]);
    expect(Buffer.concat(r![from]).equals(expected)).toBe(true);
    expect(hex(r![fromClient ? 'server' : 'client'])).toBe(
      fromClient ? original.fromNode1 : original.fromNode0,
    );
  });
});

describe('TcpTracker handshakes', () => {
  it('reports open and closed ports of an nmap SYN scan as tshark sees the answers', async () => {
    const frames = tsharkFrames('nmap-legacy-host.pcap');
    const fromTarget = frames.filter((f) => f.ipSrc[0] === '10.20.0.40' && f.tcpSrcPort.length > 0);
    const openPorts = new Set(fromTarget.filter((f) => f.tcpFlags[0] === 0x012).map((f) => f.tcpSrcPort[0]));
    // A RST-ACK that acknowledges a SYN (ack = its seq + 1) refuses the connection; other RSTs end live ones.
    const syns = new Set(
      frames
        .filter((f) => f.tcpFlags[0] === 0x002)
        .map((f) => `${f.tcpDstPort[0]}/${(f.tcpSeq[0]! + 1) >>> 0}`),
    );
    const refusedPorts = new Set(
      fromTarget
        .filter((f) => f.tcpFlags[0] === 0x014 && syns.has(`${f.tcpSrcPort[0]}/${f.tcpAck[0]}`))
        .map((f) => f.tcpSrcPort[0]),
    );
    const { rec, sut } = await trackFixture('nmap-legacy-host.pcap');
    const seen = (state: string) =>
      new Set(rec.conns.filter((r) => r.portStates.includes(state as 'open')).map((r) => r.conn.serverPort));
    expect(seen('open')).toEqual(openPorts);
    expect(seen('closed')).toEqual(refusedPorts);
    expect(rec.conns.filter((r) => r.conn.state === 'refused').every((r) => r.closed === 'reset')).toBe(true);
    expect(sut.stats.portsOpen).toBe(rec.conns.filter((r) => r.portStates[0] === 'open').length);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Hand-built segments for the corner cases real captures rarely show.

const CLIENT = 0x0a000001;
const SERVER = 0x0a000002;

function segment(
  from: 'c' | 's',
  flags: number,
  seq: number,
  ack: number,
  payload: Uint8Array | string = '',
  clientPort = 40000,
): DecodedPacket {
  const d = new DecodedPacket();
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  d.outcome = 'transport';
  d.ipVersion = 4;
  d.ipProtocol = 6;
  d.srcIp[0] = from === 'c' ? CLIENT : SERVER;
  d.dstIp[0] = from === 'c' ? SERVER : CLIENT;
  d.srcPort = from === 'c' ? clientPort : 104;
  d.dstPort = from === 'c' ? 104 : clientPort;
  d.tcpSeq = seq >>> 0;
  d.tcpAck = ack >>> 0;
  d.tcpFlags = flags;
  d.bytes = bytes;
  d.payloadOffset = 0;
  d.payloadLength = bytes.length;
  d.segmentLength = bytes.length;
  return d;
}

const { SYN, ACK, FIN, RST, PSH } = TcpFlag;

/** Feeds segments with packet numbers 1… and one second apart (unless times are given). */
function feed(sut: TcpTracker, segments: DecodedPacket[], times?: number[]): void {
  segments.forEach((d, i) => {
    sut.track(d, i + 1, times?.[i] ?? i);
  });
}

function handshake(isnC: number, isnS: number, clientPort = 40000): DecodedPacket[] {
  return [
    segment('c', SYN, isnC, 0, '', clientPort),
    segment('s', SYN | ACK, isnS, isnC + 1, '', clientPort),
    segment('c', ACK, isnC + 1, isnS + 1, '', clientPort),
  ];
}

describe('TcpTracker corner cases', () => {
  it('reassembles across the 2^32 sequence wrap', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec);
    const isn = 0xfffffff8;
    feed(sut, [
      ...handshake(isn, 7),
      segment('c', ACK | PSH, isn + 1, 8, 'abcdefgh'),
      segment('c', ACK | PSH, isn + 9, 8, 'ijklmnop'),
    ]);
    expect(Buffer.concat(rec.conns[0]!.client).toString()).toBe('abcdefghijklmnop');
  });

  it('trims retransmissions and overlaps, delivering each byte once', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec);
    feed(sut, [
      ...handshake(100, 500),
      segment('c', ACK, 101, 501, 'hello '),
      segment('c', ACK, 101, 501, 'hello '),
      segment('c', ACK, 104, 501, 'lo world'),
      segment('c', ACK, 113, 501, '!!'),
      segment('c', ACK, 110, 501, 'ld!'),
    ]);
    expect(Buffer.concat(rec.conns[0]!.client).toString()).toBe('hello world!!!');
    expect(rec.conns[0]!.conn.client.duplicateBytes).toBe(6 + 3 + 2);
  });

  it('holds early segments and delivers them once the hole is filled, with their own packet numbers', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec);
    feed(sut, [
      ...handshake(0, 0),
      segment('c', ACK, 7, 1, 'world'),
      segment('c', ACK, 12, 1, '!'),
      segment('c', ACK, 1, 1, 'hello '),
    ]);
    expect(Buffer.concat(rec.conns[0]!.client).toString()).toBe('hello world!');
    expect(rec.conns[0]!.dataPackets).toEqual([6, 4, 5]);
    expect(sut.pendingBytes).toBe(0);
  });

  it('gives up on a hole when the per-connection buffer is full: gap, then delivery resumes', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec, { maxPendingPerConnection: 8 });
    feed(sut, [
      ...handshake(0, 0),
      segment('c', ACK, 11, 1, 'abcde'),
      segment('c', ACK, 16, 1, 'fghij'),
      segment('c', ACK, 21, 1, 'k'),
    ]);
    const r = rec.conns[0]!;
    expect(r.gaps).toEqual([{ from: 'client', missing: 10, packetIndex: 5 }]);
    expect(Buffer.concat(r.client).toString()).toBe('abcdefghijk');
    expect(sut.stats.peakPendingBytes).toBeLessThanOrEqual(8);
  });

  it('declares bytes acknowledged by the peer but never seen as lost after a short wait', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec, { ackedHoleWaitSec: 0.5 });
    feed(
      sut,
      [
        ...handshake(0, 0),
        segment('c', ACK, 1, 1, 'one '),
        // "two " was never captured; the server acknowledges it, and more data follows.
        segment('s', ACK, 1, 9, ''),
        segment('c', ACK, 9, 1, 'three '),
        segment('c', ACK, 15, 1, 'four'),
      ],
      [0, 0, 0, 0, 0.1, 0.2, 0.7],
    );
    const r = rec.conns[0]!;
    expect(r.gaps).toEqual([{ from: 'client', missing: 4, packetIndex: 7 }]);
    expect(r.client.map(String)).toEqual(['one ', 'three ', 'four']);
  });

  it('lets a late segment fill an acknowledged hole within the wait', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec);
    feed(
      sut,
      [
        ...handshake(0, 0),
        segment('c', ACK, 5, 1, 'late'),
        segment('s', ACK, 1, 9, ''),
        segment('c', ACK, 1, 1, 'not '),
      ],
      [0, 0, 0, 0.01, 0.02, 0.05],
    );
    expect([rec.conns[0]!.gaps, String(Buffer.concat(rec.conns[0]!.client))]).toEqual([[], 'not late']);
  });

  it('reports the bytes snaplen cut from a segment as a gap', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec);
    const cut = segment('c', ACK, 1, 1, 'abc');
    cut.segmentLength = 10;
    feed(sut, [...handshake(0, 0), cut, segment('c', ACK, 11, 1, 'next')]);
    expect(rec.conns[0]!.gaps.map((g) => g.missing)).toEqual([7]);
    expect(rec.conns[0]!.client.map(String)).toEqual(['abc', 'next']);
  });

  it('stops delivering when the consumer says it is done, but still reports the close', () => {
    const rec = new Recorder(true);
    const sut = new TcpTracker(rec);
    feed(sut, [
      ...handshake(0, 0),
      segment('c', ACK, 5, 1, 'early'),
      segment('c', ACK | FIN, 1, 1, 'abcd'),
      segment('s', ACK | FIN, 1, 10, ''),
      segment('c', ACK, 11, 2, ''),
    ]);
    const r = rec.conns[0]!;
    expect([r.client.length, r.server.length, r.closed]).toEqual([0, 0, 'fin']);
    expect(sut.pendingBytes).toBe(0);
  });

  it('closes a connection on FIN from both sides once every byte is delivered', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec);
    feed(sut, [
      ...handshake(0, 0),
      segment('c', ACK | FIN, 1, 1, 'bye'),
      segment('s', ACK | FIN, 1, 5, 'ok'),
    ]);
    const r = rec.conns[0]!;
    expect([r.closed, r.conn.state, String(Buffer.concat(r.server))]).toEqual(['fin', 'closed', 'ok']);
    // The last ACK belongs to the closed connection, it does not open a new one.
    feed(sut, [segment('c', ACK, 5, 4, '')]);
    expect(rec.conns.length).toBe(1);
    expect(sut.size).toBe(1);
  });

  it('marks a port closed when the server answers the SYN with RST', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec);
    feed(sut, [segment('c', SYN, 10, 0), segment('s', RST | ACK, 0, 11)]);
    const r = rec.conns[0]!;
    expect([r.portStates, r.conn.state, r.conn.portState, r.closed]).toEqual([
      ['closed'],
      'refused',
      'closed',
      'reset',
    ]);
  });

  it('starts a new connection when a SYN reuses the 5-tuple', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec);
    feed(sut, [...handshake(1000, 0), segment('c', ACK, 1001, 1, 'first'), ...handshake(5000, 0)]);
    expect(rec.conns.map((r) => [r.conn.id, r.closed])).toEqual([
      [1, 'reused'],
      [2, undefined],
    ]);
    // A retransmitted SYN (same ISN) is not a new connection.
    feed(sut, [segment('c', SYN, 5000, 0)]);
    expect(rec.conns.length).toBe(2);
  });

  it('evicts connections idle for longer than the timeout, by capture time', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec, { idleTimeoutSec: 60 });
    feed(sut, [...handshake(0, 0, 40001), ...handshake(0, 0, 40002)], [0, 0, 0, 100, 100, 100]);
    expect(rec.conns.map((r) => r.closed)).toEqual(['idle', undefined]);
    expect(sut.stats.closed.idle).toBe(1);
    expect(sut.size).toBe(1);
  });

  it('keeps at most maxConnections, evicting the least recently used', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec, { maxConnections: 2 });
    feed(sut, [
      segment('c', SYN, 1, 0, '', 1),
      segment('c', SYN, 1, 0, '', 2),
      segment('c', ACK, 2, 0, 'x', 1),
      segment('c', SYN, 1, 0, '', 3),
    ]);
    expect(rec.conns.map((r) => [r.conn.clientPort, r.closed])).toEqual([
      [1, undefined],
      [2, 'evicted'],
      [3, undefined],
    ]);
    expect(sut.size).toBe(2);
  });

  it('bounds the out-of-order bytes held across all connections', () => {
    const rec = new Recorder();
    const sut = new TcpTracker(rec, { maxPendingTotal: 1000, maxPendingPerConnection: 600 });
    for (let port = 1; port <= 20; port++) {
      sut.track(segment('c', SYN, 0, 0, '', port), port * 10, 0);
      sut.track(segment('c', ACK, 100, 0, new Uint8Array(300), port), port * 10 + 1, 0);
      expect(sut.pendingBytes).toBeLessThanOrEqual(1000);
    }
    sut.finish();
    expect(sut.pendingBytes).toBe(0);
    expect(rec.conns.every((r) => r.closed === 'end')).toBe(true);
  });
});

describe('TcpTracker under fuzzing', () => {
  it('reassembles any order of overlapping, duplicated segments into the original stream', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 300 })), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.infiniteStream(fc.nat()),
        (data, cuts, isn, order) => {
          // Segments covering the data (one pass in order) plus random extra pieces, shuffled.
          const pieces: [number, number][] = [];
          for (let at = 0, i = 0; at < data.length; i++) {
            const len = Math.min(cuts[i % cuts.length]![1], data.length - at);
            pieces.push([at, len]);
            at += len;
          }
          for (const [at, len] of cuts)
            pieces.push([at % data.length, Math.min(len, data.length - (at % data.length))]);
          const shuffled = pieces
            .map((p) => ({ p, k: order.next().value as number }))
            .sort((a, b) => a.k - b.k);
          const rec = new Recorder();
          const sut = new TcpTracker(rec, { maxPendingPerConnection: 1 << 20 });
          sut.track(segment('c', SYN, isn, 0), 1, 0);
          shuffled.forEach(({ p: [at, len] }, i) => {
            sut.track(segment('c', ACK, isn + 1 + at, 0, data.subarray(at, at + len)), i + 2, 0);
          });
          sut.finish();
          const r = rec.conns[0]!;
          expect(r.gaps).toEqual([]);
          expect(Buffer.concat(r.client).equals(Buffer.from(data))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws and keeps its bounds on random segments of a few connections', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            conn: fc.integer({ min: 1, max: 4 }),
            fromClient: fc.boolean(),
            flags: fc.integer({ min: 0, max: 0xff }),
            seq: fc.integer({ min: 0, max: 0xffffffff }),
            ack: fc.integer({ min: 0, max: 0xffffffff }),
            len: fc.integer({ min: 0, max: 400 }),
            dt: fc.integer({ min: 0, max: 400 }),
          }),
          { maxLength: 80 },
        ),
        (steps) => {
          const sut = new TcpTracker(new Recorder(), {
            maxConnections: 3,
            maxPendingPerConnection: 1000,
            maxPendingTotal: 2000,
            idleTimeoutSec: 300,
          });
          let t = 0;
          steps.forEach((s, i) => {
            t += s.dt;
            const d = segment(s.fromClient ? 'c' : 's', s.flags, s.seq, s.ack, new Uint8Array(s.len), s.conn);
            sut.track(d, i + 1, t);
            expect(sut.pendingBytes).toBeLessThanOrEqual(2000);
            expect(sut.size).toBeLessThanOrEqual(3);
          });
          sut.finish();
          expect(sut.pendingBytes).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
