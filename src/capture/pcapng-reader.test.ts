import { describe, expect, it } from 'vitest';
import { fixtureBytes, readAllPackets, tsharkFrames } from '../../test/fixtures/captures/capture-fixtures.js';
import { PcapngBlockType, PcapngReader } from './pcapng-reader.js';

const PCAPNG_FIXTURES = [
  '06-http-tls.pcapng',
  'zeek-pcapng-multi-interface.pcapng',
  'multi-linktype.pcapng',
  'telnet-be.pcapng',
  'two-sections.pcapng',
  'zeek-missing-syn.pcapng',
];

function readWithReader(bytes: Uint8Array, size: number) {
  const sut = new PcapngReader({ file: 'x.pcapng' });
  const out: {
    index: number;
    offset: number;
    linkType: number;
    iface: number;
    sec: number;
    nsec: number;
    capLen: number;
    origLen: number;
    data: number[];
  }[] = [];
  const drain = () => {
    for (let p = sut.next(); p !== null; p = sut.next()) {
      out.push({
        index: p.index,
        offset: p.offset,
        linkType: p.linkType,
        iface: p.interfaceId,
        sec: p.timestampSec,
        nsec: p.timestampNsec,
        capLen: p.capturedLength,
        origLen: p.originalLength,
        data: [...p.data],
      });
    }
  };
  for (let i = 0; i < bytes.length; i += size) {
    sut.push(bytes.subarray(i, i + size));
    drain();
  }
  sut.end();
  drain();
  return { sut, out };
}

/** Offsets of every block, walked by hand (single little-endian section). */
function blockOffsets(bytes: Uint8Array): { offset: number; type: number }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { offset: number; type: number }[] = [];
  for (let o = 0; o + 8 <= bytes.length; o += view.getUint32(o + 4, true)) {
    out.push({ offset: o, type: view.getUint32(o, true) });
  }
  return out;
}

/**
 * A minimal pcapng writer for the block kinds real tools here do not produce (SPB, obsolete PB, power-of-two
 * resolutions, custom/unknown blocks). Layouts per draft-ietf-opsawg-pcapng §3.1, §3.5, §4.
 */
class PcapngBuilder {
  private readonly parts: Uint8Array[] = [];
  constructor(private readonly le: boolean) {}

  block(type: number, body: Uint8Array): this {
    const padded = (body.length + 3) & ~3;
    const total = 12 + padded;
    const out = new Uint8Array(total);
    const v = new DataView(out.buffer);
    v.setUint32(0, type, this.le);
    v.setUint32(4, total, this.le);
    out.set(body, 8);
    v.setUint32(total - 4, total, this.le);
    this.parts.push(out);
    return this;
  }

  private fields(spec: [number, number][]): Uint8Array {
    const size = spec.reduce((n, [bytes]) => n + bytes, 0);
    const out = new Uint8Array(size);
    const v = new DataView(out.buffer);
    let o = 0;
    for (const [bytes, value] of spec) {
      if (bytes === 1) v.setUint8(o, value);
      else if (bytes === 2) v.setUint16(o, value, this.le);
      else if (bytes === 4) v.setUint32(o, value, this.le);
      else v.setBigInt64(o, BigInt(value), this.le);
      o += bytes;
    }
    return out;
  }

  option(code: number, value: Uint8Array): Uint8Array {
    const out = new Uint8Array(4 + ((value.length + 3) & ~3));
    const v = new DataView(out.buffer);
    v.setUint16(0, code, this.le);
    v.setUint16(2, value.length, this.le);
    out.set(value, 4);
    return out;
  }

  shb(major = 1): this {
    const body = this.fields([
      [4, 0x1a2b3c4d],
      [2, major],
      [2, 0],
      [8, -1],
    ]);
    return this.block(PcapngBlockType.SECTION_HEADER, body);
  }

  idb(linkType: number, snapLength: number, options: Uint8Array[] = []): this {
    const head = this.fields([
      [2, linkType],
      [2, 0],
      [4, snapLength],
    ]);
    return this.block(PcapngBlockType.INTERFACE_DESCRIPTION, concat([head, ...options, new Uint8Array(4)]));
  }

  epb(iface: number, high: number, low: number, data: Uint8Array, origLen = data.length): this {
    const head = this.fields([
      [4, iface],
      [4, high],
      [4, low],
      [4, data.length],
      [4, origLen],
    ]);
    return this.block(PcapngBlockType.ENHANCED_PACKET, concat([head, pad(data)]));
  }

  pb(iface: number, high: number, low: number, data: Uint8Array): this {
    const head = this.fields([
      [2, iface],
      [2, 0],
      [4, high],
      [4, low],
      [4, data.length],
      [4, data.length],
    ]);
    return this.block(PcapngBlockType.PACKET, concat([head, pad(data)]));
  }

  spb(origLen: number, data: Uint8Array): this {
    return this.block(PcapngBlockType.SIMPLE_PACKET, concat([this.fields([[4, origLen]]), pad(data)]));
  }

  bytes(): Uint8Array {
    return concat(this.parts);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function pad(data: Uint8Array): Uint8Array {
  const out = new Uint8Array((data.length + 3) & ~3);
  out.set(data);
  return out;
}

const frame = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('PcapngReader on real captures', () => {
  it.each(PCAPNG_FIXTURES)('%s: packet numbers, times and lengths equal tshark', async (name) => {
    const expected = tsharkFrames(name);
    const { packets, capture } = await readAllPackets(fixtureBytes(name), [65536], name);
    expect(capture.format).toBe('pcapng');
    expect(capture.stats.issues).toEqual([]);
    expect(packets.length).toBe(expected.length);
    packets.forEach((p, i) => {
      const t = expected[i]!;
      expect([p.index, p.sec, p.nsec, p.capturedLength, p.originalLength]).toEqual([
        t.number,
        t.sec,
        t.nsec,
        t.capLen,
        t.len,
      ]);
    });
  });

  it('keeps each interface’s link type and timestamp resolution (mergecap of three captures)', async () => {
    const { packets, capture } = await readAllPackets(fixtureBytes('multi-linktype.pcapng'), [999]);
    const reader = capture.reader as PcapngReader;
    expect(reader.interfaces.map((i) => [i.linkType, i.unitsPerSecond])).toEqual([
      [1, 1e9],
      [276, 1e6],
      [228, 1e6],
    ]);
    const byInterface = new Map<string, number>();
    for (const p of packets) {
      const key = `${p.interfaceId}/${p.linkType}`;
      byInterface.set(key, (byInterface.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(byInterface)).toEqual({ '0/1': 78, '1/276': 6, '2/228': 12 });
  });

  it('reads nanosecond and microsecond interfaces side by side (zeek multi-interface trace)', async () => {
    const { capture } = await readAllPackets(fixtureBytes('zeek-pcapng-multi-interface.pcapng'));
    const reader = capture.reader as PcapngReader;
    expect(reader.interfaces.map((i) => i.unitsPerSecond)).toEqual([1e9, 1e6]);
  });

  it('reads a little-endian section followed by a big-endian one', async () => {
    const { packets, capture } = await readAllPackets(fixtureBytes('two-sections.pcapng'), [4093]);
    expect((capture.reader as PcapngReader).sections).toBe(2);
    const second = await readAllPackets(fixtureBytes('07-telnet-ftp-ssh-mqtt.pcap'));
    expect(packets.slice(135).map((p) => p.data)).toEqual(second.packets.map((p) => p.data));
    expect(packets.slice(135).map((p) => [p.sec, p.nsec])).toEqual(
      second.packets.map((p) => [p.sec, p.nsec]),
    );
  });

  it('gives the same packets and block offsets whatever the chunk size', async () => {
    const bytes = fixtureBytes('06-http-tls.pcapng');
    const epbOffsets = blockOffsets(bytes)
      .filter((b) => b.type === PcapngBlockType.ENHANCED_PACKET)
      .map((b) => b.offset);
    for (const size of [1, 5, 12, 28, 1500, 1 << 20]) {
      const { out, sut } = readWithReader(bytes, size);
      expect(out.map((p) => p.offset)).toEqual(epbOffsets);
      expect(sut.stats.ignoredBlocks).toBe(blockOffsets(bytes).length - epbOffsets.length - 2);
    }
  });
});

describe('PcapngReader block kinds (hand-built, both byte orders)', () => {
  for (const le of [true, false]) {
    it(`${le ? 'little' : 'big'}-endian: SPB, obsolete PB, if_tsresol 2^-20 and 10^-3, if_tsoffset, skipped blocks`, () => {
      const b = new PcapngBuilder(le);
      const file = b
        .shb()
        .idb(1, 64, [
          b.option(9, Uint8Array.of(0x80 | 20)),
          b.option(14, new Uint8Array(new BigInt64Array([1000n]).buffer).reverse().reverse()),
        ])
        .block(PcapngBlockType.NAME_RESOLUTION, frame(20, 0))
        .epb(0, 0, (3 << 20) | (1 << 19), frame(60, 1))
        .block(PcapngBlockType.INTERFACE_STATISTICS, frame(24, 0))
        .idb(101, 0, [b.option(9, Uint8Array.of(3)), b.option(2, new TextEncoder().encode('eth1'))])
        .spb(100, frame(100, 2))
        .pb(1, 0, 1234567, frame(40, 3))
        .block(PcapngBlockType.CUSTOM, frame(16, 9))
        .block(0x12345678, frame(8, 9))
        .block(PcapngBlockType.DECRYPTION_SECRETS, frame(12, 0))
        .epb(7, 0, 1, frame(20, 4))
        .epb(1, 0, 5, frame(21, 5))
        .bytes();
      // The if_tsoffset value must be in the section's byte order.
      const tsOffset = new DataView(new ArrayBuffer(8));
      tsOffset.setBigInt64(0, 1000n, le);
      const view = new DataView(file.buffer);
      const optAt = 28 + 16 + 8 + 4; // after the SHB, the IDB fixed part, the if_tsresol option, the tsoffset header
      for (let i = 0; i < 8; i++) view.setUint8(optAt + i, tsOffset.getUint8(i));

      const { sut, out } = readWithReader(file, 13);
      expect(sut.stats.issues.map((i) => i.reason)).toEqual([
        'pcapng packet refers to undescribed interface 7',
      ]);
      expect(sut.stats.ignoredBlocks).toBe(5);
      expect(sut.stats.skippedRecords).toBe(1);
      expect(out.map(({ data, offset, ...rest }) => rest)).toEqual([
        // 3.5 s in units of 2^-20 s, plus 1000 s of if_tsoffset.
        { index: 1, linkType: 1, iface: 0, sec: 1003, nsec: 500_000_000, capLen: 60, origLen: 60 },
        // SPB: interface 0, cut to its 64-byte snaplen, no timestamp of its own (the previous one is kept).
        { index: 2, linkType: 1, iface: 0, sec: 1003, nsec: 500_000_000, capLen: 64, origLen: 100 },
        // Obsolete Packet Block on interface 1 (milliseconds).
        { index: 3, linkType: 101, iface: 1, sec: 1234, nsec: 567_000_000, capLen: 40, origLen: 40 },
        { index: 4, linkType: 101, iface: 1, sec: 0, nsec: 5_000_000, capLen: 21, origLen: 21 },
      ]);
      expect(out[1]!.data).toEqual([...frame(64, 2)]);
      expect(out[3]!.data).toEqual([...frame(21, 5)]);
    });
  }

  it('splits nanosecond and picosecond timestamps exactly', () => {
    const b = new PcapngBuilder(true);
    const ns = 1795910107335243123n;
    const ps = 1795910107335243123456n & 0xffffffffffffffffn;
    const file = b
      .shb()
      .idb(1, 0, [b.option(9, Uint8Array.of(9))])
      .idb(1, 0, [b.option(9, Uint8Array.of(12))])
      .epb(0, Number(ns >> 32n), Number(ns & 0xffffffffn), frame(14, 0))
      .epb(1, Number(ps >> 32n), Number(ps & 0xffffffffn), frame(14, 0))
      .bytes();
    const { out } = readWithReader(file, 4096);
    expect(out.map((p) => [p.sec, p.nsec])).toEqual([
      [1795910107, 335243123],
      [Number(ps / 10n ** 12n), Number(((ps % 10n ** 12n) * 10n ** 9n) / 10n ** 12n)],
    ]);
  });

  it('skips a section whose major version it does not know, then reads the next section', () => {
    const file = concat([
      new PcapngBuilder(true).shb(2).idb(1, 0).epb(0, 0, 1, frame(20, 1)).bytes(),
      new PcapngBuilder(false).shb().idb(1, 0).epb(0, 0, 2, frame(20, 2)).bytes(),
    ]);
    const { sut, out } = readWithReader(file, 17);
    expect(out.map((p) => p.data[0])).toEqual([2]);
    expect(sut.stats.issues[0]!.reason).toBe('unsupported pcapng version 2.0; section skipped');
    expect(sut.sections).toBe(2);
  });
});

describe('PcapngReader on bad input', () => {
  const good = fixtureBytes('zeek-pcapng-multi-interface.pcapng');
  const blocks = blockOffsets(good);
  const epbs = blocks.filter((b) => b.type === PcapngBlockType.ENHANCED_PACKET).map((b) => b.offset);

  it('drops a block whose trailer disagrees when the next block is sound', () => {
    const bad = good.slice();
    const view = new DataView(bad.buffer);
    const at = epbs[2]!;
    const len = view.getUint32(at + 4, true);
    view.setUint32(at + len - 4, len + 4, true);
    const { sut, out } = readWithReader(bad, 50);
    expect(out.map((p) => p.offset)).toEqual(epbs.filter((o) => o !== at));
    expect(out.map((p) => p.index)).toEqual([1, 2, 3, 4, 5]);
    expect(sut.stats.issues).toEqual([
      {
        file: 'x.pcapng',
        offset: at,
        reason: 'pcapng block type 0x6: trailer length differs; block dropped',
      },
    ]);
    expect([sut.stats.skippedRecords, sut.stats.skippedBytes]).toEqual([1, len]);
  });

  it('keeps a packet dated past 9999 (or past any date) with the previous packet’s time', () => {
    // Found by fuzzing the analyzer. Packets 3 and 5 are on the microsecond interface: the high word
    // 0xffff0000 is year ~600,000, past JavaScript's dates (every report that printed the host's
    // last-seen time threw a RangeError); 0x04000000 is year ~11,100, which printed as "+011160-…".
    const bad = good.slice();
    const view = new DataView(bad.buffer);
    view.setUint32(epbs[2]! + 12, 0xffff0000, true);
    view.setUint32(epbs[4]! + 12, 0x04000000, true);
    const clean = readWithReader(good, 50).out;
    const { sut, out } = readWithReader(bad, 50);
    expect(out.map((p) => p.data)).toEqual(clean.map((p) => p.data));
    expect(out.map((p) => [p.sec, p.nsec])).toEqual(
      [0, 1, 1, 3, 3, 5].map((i) => [clean[i]!.sec, clean[i]!.nsec]),
    );
    expect(sut.stats.issues.map((i) => [i.offset, i.reason])).toEqual([
      [
        epbs[2],
        expect.stringMatching(
          /^pcapng packet 3 timestamp is out of range \(\d+ s since 1970, not 1970–9999\); the previous packet's time is used$/,
        ),
      ],
      [epbs[4], expect.stringMatching(/^pcapng packet 5 timestamp is out of range \(28\d{10} s since 1970/)],
    ]);
  });

  it('resynchronises on the next sound block after an absurd length', () => {
    const bad = good.slice();
    const at = epbs[1]!;
    new DataView(bad.buffer).setUint32(at + 4, 0xfffffff0, true);
    const { sut, out } = readWithReader(bad, 64);
    expect(out.map((p) => p.offset)).toEqual(epbs.filter((o) => o !== at));
    expect(sut.stats.issues.map((i) => [i.offset, i.reason.split(' ').slice(0, 2).join(' ')])).toEqual([
      [at, 'pcapng block'],
      [at, `skipped ${epbs[2]! - at}`],
    ]);
  });

  it('resynchronises when a length field is wrong but plausible', () => {
    const bad = good.slice();
    const at = epbs[0]!;
    const view = new DataView(bad.buffer);
    view.setUint32(at + 4, view.getUint32(at + 4, true) + 8, true);
    const { sut, out } = readWithReader(bad, 64);
    expect(out.map((p) => p.offset)).toEqual(epbs.slice(1));
    expect(sut.stats.issueCount).toBe(2);
  });

  it('terminates on every truncation of a real file and reports the cut block', () => {
    for (let cut = 0; cut <= good.length; cut++) {
      const { sut, out } = readWithReader(good.subarray(0, cut), 97);
      expect(sut.done).toBe(true);
      const whole = epbs.filter((o) => {
        const next = blocks.find((b) => b.offset > o)?.offset ?? good.length;
        return next <= cut;
      });
      expect(out.map((p) => p.offset)).toEqual(whole);
      const atBoundary = cut === good.length || blocks.some((b) => b.offset === cut);
      expect(sut.stats.issueCount === 0).toBe(atBoundary && cut > 0);
    }
  });

  it('skips a large unknown block without buffering it, and reports a file that ends inside one', () => {
    const b = new PcapngBuilder(true);
    const big = b
      .shb()
      .idb(1, 0)
      .block(0x00000bad, new Uint8Array(300_000))
      .epb(0, 0, 1, frame(20, 7))
      .bytes();
    const whole = readWithReader(big, 4096);
    expect(whole.out.map((p) => p.data[0])).toEqual([7]);
    expect(whole.sut.stats.issues).toEqual([]);
    const cut = readWithReader(big.subarray(0, 100_000), 4096);
    expect(cut.out).toEqual([]);
    expect(cut.sut.stats.issues.map((i) => i.reason)).toEqual([
      `truncated pcapng block: file ends ${big.length - 100_000 - 52} bytes short of its end`,
    ]);
  });

  it('refuses a stream that does not start with a Section Header Block', () => {
    const { sut, out } = readWithReader(good.subarray(blocks[1]!.offset), 100);
    expect(out).toEqual([]);
    expect(sut.stats.stopped).toBe(true);
    expect(sut.stats.issues[0]!.reason).toBe('not a pcapng file (no Section Header Block first)');
  });
});
