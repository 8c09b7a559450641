import { describe, expect, it } from 'vitest';
import { fixtureBytes, readAllPackets, tsharkFrames } from '../../test/fixtures/captures/capture-fixtures.js';
import { PcapReader } from './pcap-reader.js';

/** Every classic-pcap fixture: byte orders and precisions come from real tools (see make-fixtures.sh). */
const PCAP_FIXTURES = [
  '01-dhcp-dns-mdns.pcap',
  '04-hl7-mllp.pcap',
  '04-hl7-mllp-vlan30.pcap',
  '07-telnet-ftp-ssh-mqtt.pcap',
  'hl7-usec-be.pcap',
  'hl7-nsec-le.pcap',
  'hl7-nsec-be.pcap',
  'dicom-ct-store.pcap',
  'nmap-legacy-host.pcap',
  'lo-fragments.pcap',
  'sll-http.pcap',
  'sll2-http.pcap',
  'null-le-v4.pcap',
  'null-be-v6.pcap',
  'loop-v6.pcap',
  'raw101-http.pcap',
  'raw229-http.pcap',
  'zeek-q-in-q.pcap',
  'zeek-vlan-qinqinq.pcap',
  'zeek-linux_dlt_sll2.pcap',
  'zeek-nflog-http.pcap',
  'zeek-truncated-header.pcap',
  'zeek-empty.pcap',
];

/** Reads a file through the bare reader, pushing it in chunks of `size`. */
function readWithReader(bytes: Uint8Array, size: number) {
  const sut = new PcapReader({ file: 'x.pcap' });
  const out: { index: number; offset: number; capLen: number; first: number }[] = [];
  const drain = () => {
    for (let p = sut.next(); p !== null; p = sut.next()) {
      out.push({
        index: p.index,
        offset: p.offset,
        capLen: p.capturedLength,
        first: p.bytes[p.dataOffset] ?? -1,
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

/** Offsets of the record headers, walked by hand with the byte order given. */
function recordOffsets(bytes: Uint8Array, le: boolean): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets: number[] = [];
  for (let o = 24; o + 16 <= bytes.length; o += 16 + view.getUint32(o + 8, le)) offsets.push(o);
  return offsets;
}

describe('PcapReader on real captures', () => {
  it.each(PCAP_FIXTURES)('%s: packet numbers, times and lengths equal tshark', async (name) => {
    const expected = tsharkFrames(name);
    const { packets, capture } = await readAllPackets(fixtureBytes(name), [65536], name);
    expect(capture.format).toBe('pcap');
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

  it('reads the same packets from little- and big-endian, microsecond and nanosecond files', async () => {
    const variants = ['04-hl7-mllp.pcap', 'hl7-usec-be.pcap', 'hl7-nsec-le.pcap', 'hl7-nsec-be.pcap'];
    const reads = await Promise.all(variants.map((v) => readAllPackets(fixtureBytes(v))));
    const headers = reads.map(({ capture }) => {
      const r = capture.reader as PcapReader;
      return [r.littleEndian, r.nanosecond, r.linkType];
    });
    expect(headers).toEqual([
      [true, false, 1],
      [false, false, 1],
      [true, true, 1],
      [false, true, 1],
    ]);
    const [base, ...others] = reads.map((r) => r.packets);
    for (const other of others) {
      expect(other!.map((p) => p.data)).toEqual(base!.map((p) => p.data));
      expect(other!.map((p) => p.sec)).toEqual(base!.map((p) => p.sec));
    }
  });

  it('gives the same packets and record offsets whatever the chunk size', async () => {
    const bytes = fixtureBytes('04-hl7-mllp-vlan30.pcap');
    const offsets = recordOffsets(bytes, true);
    for (const sizes of [[1], [3, 7, 11], [16], [24], [1000], [1 << 20]]) {
      const { packets } = await readAllPackets(bytes, sizes);
      expect(packets.map((p) => p.offset)).toEqual(offsets);
      expect(packets.map((p) => p.index)).toEqual(offsets.map((_, i) => i + 1));
    }
    const be = fixtureBytes('hl7-nsec-be.pcap');
    const { out } = readWithReader(be, 5);
    expect(out.map((p) => p.offset)).toEqual(recordOffsets(be, false));
  });

  it('hands out views of the pushed chunk when a record lies inside it (no copy)', () => {
    const bytes = fixtureBytes('04-hl7-mllp.pcap');
    const sut = new PcapReader();
    sut.push(bytes);
    const p = sut.next()!;
    expect(p.bytes.buffer).toBe(bytes.buffer);
    expect(p.dataOffset).toBe(24 + 16);
  });
});

describe('PcapReader on bad input', () => {
  const good = fixtureBytes('zeek-q-in-q.pcap');
  const offsets = recordOffsets(good, true);

  it('reports a truncated last record at every possible cut, with its offset, and never throws', () => {
    for (let cut = 0; cut < good.length; cut++) {
      const { sut, out } = readWithReader(good.subarray(0, cut), 64);
      expect(sut.done).toBe(true);
      const complete = offsets.filter((o, i) => (offsets[i + 1] ?? good.length) <= cut && o < cut);
      expect(out.map((p) => p.offset)).toEqual(complete);
      const partial = cut < 24 || !offsets.concat(good.length).includes(cut);
      expect(sut.stats.issueCount > 0).toBe(partial);
      if (partial && cut >= 24) {
        expect(sut.stats.issues[0]!.offset).toBe(offsets.filter((o) => o < cut).at(-1));
        expect(sut.stats.issues[0]!.reason).toMatch(/truncated pcap record/);
        expect(sut.stats.skippedRecords).toBe(1);
      }
    }
  });

  it('skips a record with an absurd length and resynchronises on the next one', () => {
    const bad = good.slice();
    const at = offsets[2]!;
    new DataView(bad.buffer).setUint32(at + 8, 0x7fffffff, true);
    const { sut, out } = readWithReader(bad, 100);
    expect(out.map((p) => p.offset)).toEqual([offsets[0], offsets[1], offsets[3], offsets[4]]);
    expect(out.map((p) => p.index)).toEqual([1, 2, 3, 4]);
    expect(sut.stats.skippedRecords).toBe(1);
    expect(sut.stats.skippedBytes).toBe(offsets[3]! - at);
    expect(sut.stats.issues.map((i) => i.offset)).toEqual([at, at]);
    expect(sut.stats.issues[0]!.reason).toMatch(/claims 2147483647 captured bytes/);
    expect(sut.stats.issues[1]!.reason).toMatch(/resynchronised/);
  });

  it('resynchronises after garbage inserted between two records', () => {
    const at = offsets[1]!;
    const junk = new Uint8Array(37).fill(0xee);
    const bad = new Uint8Array(good.length + junk.length);
    bad.set(good.subarray(0, at));
    bad.set(junk, at);
    bad.set(good.subarray(at), at + junk.length);
    const { sut, out } = readWithReader(bad, 7);
    // The scan finds the record right after the garbage: nothing but the garbage is lost.
    expect(out.map((p) => p.offset)).toEqual(offsets.map((o) => (o >= at ? o + junk.length : o)));
    expect(sut.stats.skippedBytes).toBe(junk.length);
    expect(sut.stats.issues.map((i) => i.offset)).toEqual([at, at]);
  });

  it('stops with an issue when nothing plausible follows a corrupt record', () => {
    const bad = good.slice(0, offsets[1]! + 16);
    new DataView(bad.buffer).setUint32(offsets[1]! + 8, 0xfffffff0, true);
    const { sut, out } = readWithReader(bad, 1000);
    expect(out.length).toBe(1);
    expect(sut.done).toBe(true);
    expect(sut.stats.issues.at(-1)!.reason).toMatch(/no plausible pcap record/);
  });

  it('rejects a file that is not pcap without reading further', () => {
    const { sut, out } = readWithReader(new TextEncoder().encode('this is not a capture file at all'), 8);
    expect(out).toEqual([]);
    expect(sut.stats.stopped).toBe(true);
    expect(sut.stats.issues[0]).toEqual({
      file: 'x.pcap',
      offset: 0,
      reason: 'not a pcap file (magic 0x73696874)',
    });
  });

  it('reports a truncated file header', () => {
    const { sut } = readWithReader(good.subarray(0, 10), 4);
    expect(sut.stats.issues[0]!.reason).toBe('truncated pcap file header: 10 of 24 bytes');
  });
});
