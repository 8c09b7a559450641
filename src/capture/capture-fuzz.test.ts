/**
 * Fuzzing the capture readers: random bytes behind every magic number, and real captures with random byte
 * flips, overwritten length fields and truncations, in random chunk sizes. Whatever the input, reading
 * terminates, never throws, and hands out packets with increasing indexes and offsets and in-bounds bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunked, fixtureBytes } from '../../test/fixtures/captures/capture-fixtures.js';
import { isStorableEpochSeconds } from '../time-range.js';
import { readCapture } from './open-capture.js';

const REAL = [
  '04-hl7-mllp.pcap',
  'hl7-nsec-be.pcap',
  'zeek-q-in-q.pcap',
  '06-http-tls.pcapng',
  'telnet-be.pcapng',
  'zeek-pcapng-multi-interface.pcapng',
  'multi-linktype.pcapng',
].map((name) => ({ name, bytes: fixtureBytes(name) }));

const PREFIXES: Uint8Array[] = [
  new Uint8Array(0),
  Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0),
  Uint8Array.of(0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1),
  Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 255, 255, 255, 255),
  Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d, 0, 1, 0, 0, 255, 255, 255, 255),
  Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3),
];

async function readChecked(bytes: Uint8Array, sizes: number[]): Promise<number> {
  const capture = readCapture(chunked(bytes, sizes), { file: 'fuzz', maxIssues: 10 });
  let n = 0;
  let lastOffset = -1;
  await capture.forEach((p) => {
    n++;
    expect(p.index).toBe(n);
    expect(p.offset).toBeGreaterThan(lastOffset);
    lastOffset = p.offset;
    expect(p.dataOffset).toBeGreaterThanOrEqual(0);
    expect(p.dataOffset + p.capturedLength).toBeLessThanOrEqual(p.bytes.length);
    expect(p.timestampNsec >= 0 && p.timestampNsec < 1e9).toBe(true);
    // Every time must be one the store and reports take (1970–9999).
    expect(isStorableEpochSeconds(p.timestampSec)).toBe(true);
  });
  const s = capture.stats;
  expect(s.packets).toBe(n);
  expect(s.issues.length).toBeLessThanOrEqual(10);
  expect(s.issueCount).toBeGreaterThanOrEqual(s.issues.length);
  expect(s.skippedBytes).toBeGreaterThanOrEqual(0);
  return n;
}

const chunkSizes = fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 5 });

describe('capture readers under fuzzing', () => {
  it('survive random bytes behind every magic number', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PREFIXES),
        fc.uint8Array({ maxLength: 3000 }),
        chunkSizes,
        async (prefix, tail, sizes) => {
          const bytes = new Uint8Array(prefix.length + tail.length);
          bytes.set(prefix);
          bytes.set(tail, prefix.length);
          await readChecked(bytes, sizes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('survive real captures with random byte flips and truncation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: REAL.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 8 }),
        fc.option(fc.nat()),
        chunkSizes,
        async (which, flips, cut, sizes) => {
          const { bytes } = REAL[which]!;
          const bad = bytes.slice(0, cut === null ? bytes.length : cut % (bytes.length + 1));
          for (const [at, value] of flips) if (bad.length > 0) bad[at % bad.length] = value;
          await readChecked(bad, sizes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('survive absurd and off-by-some length fields in real captures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: REAL.length - 1 }),
        fc.nat(),
        fc.oneof(fc.constant(0xffffffff), fc.constant(0x10000000), fc.integer({ min: -64, max: 64 })),
        chunkSizes,
        async (which, where, delta, sizes) => {
          const { name, bytes } = REAL[which]!;
          const bad = bytes.slice();
          const view = new DataView(bad.buffer);
          const pcapng = name.endsWith('.pcapng');
          const le =
            view.getUint32(pcapng ? 8 : 0, true) === (pcapng ? 0x1a2b3c4d : 0xa1b2c3d4) ||
            name.includes('-le');
          // Pick a record: walk to the n-th record or block and damage its length field.
          const lengthAt: number[] = [];
          if (pcapng) {
            for (let o = 0; o + 8 <= bad.length; o += view.getUint32(o + 4, le)) lengthAt.push(o + 4);
          } else {
            for (let o = 24; o + 16 <= bad.length; o += 16 + view.getUint32(o + 8, le)) lengthAt.push(o + 8);
          }
          const at = lengthAt[where % lengthAt.length]!;
          const old = view.getUint32(at, le);
          view.setUint32(at, delta < 0 || delta > 64 ? delta >>> 0 : (old + delta) >>> 0, le);
          // A wrong but plausible length misaligns the next header, which may then pass as a record: the
          // count can differ either way; what matters is that reading goes on and stays well-formed.
          await readChecked(bad, sizes);
        },
      ),
      { numRuns: 300 },
    );
  });
});
