import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mllpSegments, tsharkHl7 } from './hl7-test-fixtures.js';
import {
  looksLikeMllp,
  type MllpDirection,
  type MllpEvent,
  type MllpOptions,
  MllpStreamDissector,
} from './mllp.js';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

function run(feeds: { direction: MllpDirection; bytes: Uint8Array }[], options?: MllpOptions) {
  const sut = new MllpStreamDissector(options);
  const events: MllpEvent[] = [];
  for (const f of feeds) events.push(...sut.feed(f.direction, f.bytes));
  events.push(...sut.end());
  return { sut, events };
}
/** Frames as text so that events compare by content. */
const comparable = (events: MllpEvent[]) =>
  events.map((e) => (e.type === 'frame' ? { ...e, payload: Buffer.from(e.payload).toString('latin1') } : e));

const segs = mllpSegments();
/** The client's frame of the ADT^A01 connection (simple-hl7), and the server's ACK of it. */
const adt = segs.find((s) => s.frame === 62)!.bytes;
const ack = segs.find((s) => s.frame === 64)!.bytes;

describe('MllpStreamDissector on the captured HL7 connections', () => {
  it('finds one frame in every segment tshark decoded as HL7, with the payload between the blocks', () => {
    const tshark = tsharkHl7();
    for (const seg of segs) {
      const { events } = run([seg]);
      expect(tshark.has(seg.frame)).toBe(true);
      expect(events).toEqual([
        {
          type: 'frame',
          direction: seg.direction,
          offset: 0,
          payload: seg.bytes.subarray(1, seg.bytes.length - 2),
          terminator: 'fs-cr',
        },
      ]);
      expect(Buffer.from((events[0] as { payload: Uint8Array }).payload).toString('latin1')).toMatch(
        /^MSH\|/,
      );
    }
  });

  it('counts frames per connection as tshark does', () => {
    const sut = new MllpStreamDissector();
    for (const seg of segs.filter((s) => s.stream === 6)) sut.feed(seg.direction, seg.bytes);
    expect(sut.stats).toEqual({ frames: 2, garbageBytes: 0, oversizedFrames: 0, unterminatedFrames: 0 });
  });
});

describe('MllpStreamDissector framing errors', () => {
  it('reports bytes between frames once per run, with offset and length, and keeps the frames', () => {
    const junk1 = bytes('\r\n');
    const junk2 = bytes('GET / HTTP/1.1\r\n\r\n');
    const { events, sut } = run([{ direction: 'client', bytes: concat(junk2, adt, junk1, adt, junk1) }]);
    expect(events.map((e) => [e.type, e.offset, e.type === 'garbage' ? e.length : undefined])).toEqual([
      ['garbage', 0, junk2.length],
      ['frame', junk2.length, undefined],
      ['garbage', junk2.length + adt.length, 2],
      ['frame', junk2.length + adt.length + 2, undefined],
      ['garbage', junk2.length + 2 * adt.length + 2, 2], // reported when the connection ends
    ]);
    expect(sut.stats.garbageBytes).toBe(junk2.length + 4);
  });

  it('reports a frame cut off by a new start block and keeps the next one', () => {
    const cut = adt.subarray(0, 300);
    const { events } = run([{ direction: 'client', bytes: concat(cut, ack) }]);
    expect(comparable(events)).toEqual([
      { type: 'error', direction: 'client', offset: 0, reason: 'frame not terminated' },
      expect.objectContaining({ type: 'frame', offset: 300, terminator: 'fs-cr' }),
    ]);
  });

  it('reports a frame left open when the connection ends', () => {
    const { events, sut } = run([{ direction: 'server', bytes: ack.subarray(0, 50) }]);
    expect(events).toEqual([
      { type: 'error', direction: 'server', offset: 0, reason: 'frame not terminated' },
    ]);
    expect(sut.stats.unterminatedFrames).toBe(1);
  });

  it('accepts an end block without its CR', () => {
    const noCr = ack.subarray(0, ack.length - 1);
    const { events } = run([{ direction: 'server', bytes: concat(noCr, ack) }]);
    expect(events.map((e) => (e.type === 'frame' ? e.terminator : e.type))).toEqual(['fs', 'fs-cr']);
  });

  it('skips a frame longer than the cap up to the next start block', () => {
    const { events, sut } = run([{ direction: 'client', bytes: concat(adt, ack) }], { maxFrameBytes: 200 });
    expect(comparable(events)).toEqual([
      { type: 'error', direction: 'client', offset: 0, reason: 'frame longer than 200 bytes' },
      expect.objectContaining({ type: 'frame', offset: adt.length }),
    ]);
    expect(sut.stats.oversizedFrames).toBe(1);
  });

  it('gives the same events however the bytes are split', () => {
    const stream = concat(
      bytes('junk'),
      adt,
      bytes('\n'),
      ack.subarray(0, 60),
      adt,
      ack.subarray(0, ack.length - 1),
      ack,
    );
    for (const maxFrameBytes of [200, 1024 * 1024]) {
      const expected = comparable(run([{ direction: 'client', bytes: stream }], { maxFrameBytes }).events);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 30 }), (sizes) => {
          const feeds: { direction: MllpDirection; bytes: Uint8Array }[] = [];
          for (let at = 0, k = 0; at < stream.length; k++) {
            const size = sizes[k % sizes.length]!;
            feeds.push({ direction: 'client', bytes: stream.subarray(at, at + size) });
            at += size;
          }
          expect(comparable(run(feeds, { maxFrameBytes }).events)).toEqual(expected);
        }),
        { numRuns: 200 },
      );
    }
  });

  it('never throws on random bytes rich in block characters, and accounts for every byte at most once', () => {
    const byte = fc.oneof(fc.constantFrom(0x0b, 0x1c, 0x0d), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(fc.array(byte, { maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        const feeds = chunks.map((c) => ({ direction: 'client' as const, bytes: Uint8Array.from(c) }));
        const total = feeds.reduce((n, f) => n + f.bytes.length, 0);
        const { events } = run(feeds, { maxFrameBytes: 64 });
        let accounted = 0;
        for (const e of events) {
          if (e.type === 'frame') accounted += e.payload.length + 2;
          if (e.type === 'garbage') accounted += e.length;
          expect(e.offset).toBeLessThanOrEqual(total);
        }
        expect(accounted).toBeLessThanOrEqual(total);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('looksLikeMllp', () => {
  it('recognises the first segment of every captured connection, and nothing else', () => {
    for (const seg of segs) expect(looksLikeMllp(seg.bytes)).toBe(true);
    expect(looksLikeMllp(bytes('MSH|^~\\&|no start block'))).toBe(false);
    expect(looksLikeMllp(bytes('GET / HTTP/1.1'))).toBe(false);
    expect(looksLikeMllp(Uint8Array.from([0x0b]))).toBe(false);
  });
});
