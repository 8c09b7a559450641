/**
 * @module Test-only loaders for the network dissector fixtures in test/fixtures/dissect/: payloads
 * and expected values that tshark, Zeek and openssl produced from real captures (see each folder's
 * PROVENANCE.md and extract-network.sh). Also the shared fuzz properties every dissector runs.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Direction } from './byte-queue.js';

const ROOT = new URL('../../test/fixtures/dissect/', import.meta.url);

export function fixtureText(path: string): string {
  return readFileSync(new URL(path, ROOT), 'utf8');
}

export function fixtureBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(path, ROOT)));
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export interface Datagram {
  frame: number;
  payload: Uint8Array;
}

/** `tshark -T fields -e frame.number -e udp.payload` output. */
export function loadDatagrams(path: string): Datagram[] {
  return fixtureText(path)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [frame, payload] = l.split('\t');
      return { frame: Number(frame), payload: fromHex(payload ?? '') };
    });
}

export interface Segment {
  direction: Direction;
  bytes: Uint8Array;
}

/**
 * `tshark -q -z follow,tcp,raw,N` output: lines indented by a tab are node 1's. `clientNode` says which
 * node opened the connection (node 0 unless the capture missed the SYN).
 */
export function loadFollow(path: string, clientNode: 0 | 1 = 0): Segment[] {
  const lines = fixtureText(path).split('\n');
  const out: Segment[] = [];
  let inData = false;
  for (const line of lines) {
    if (line.startsWith('Node 1:')) {
      inData = true;
      continue;
    }
    if (!inData) continue;
    if (line.startsWith('====')) break;
    if (line.trim() === '') continue;
    const node = line.startsWith('\t') ? 1 : 0;
    out.push({ direction: node === clientNode ? 'client' : 'server', bytes: fromHex(line) });
  }
  return out;
}

/** A TSV with a header row (tshark `-E header=y`). */
export function loadTsv(path: string): Record<string, string>[] {
  const [head, ...rows] = fixtureText(path)
    .split('\n')
    .filter((l) => l !== '');
  const cols = (head ?? '').split('\t');
  return rows.map((r) => {
    const cells = r.split('\t');
    return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']));
  });
}

/** A Zeek ASCII log (`#fields` header; `-` unset, `(empty)` empty). */
export function loadZeekLog(path: string): Record<string, string>[] {
  let cols: string[] = [];
  const out: Record<string, string>[] = [];
  for (const line of fixtureText(path).split('\n')) {
    if (line.startsWith('#fields\t')) cols = line.split('\t').slice(1);
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split('\t');
    out.push(Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? ''])));
  }
  return out;
}

export interface StreamDissector<E> {
  feed(direction: Direction, bytes: Uint8Array): E[];
}

export function feedAll<E>(sut: StreamDissector<E>, segments: readonly Segment[]): E[] {
  const events: E[] = [];
  for (const s of segments) events.push(...sut.feed(s.direction, s.bytes));
  return events;
}

/** Splits `bytes` at the given cut points (taken modulo its length). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (bytes.length === 0) return [bytes];
  const points = [...new Set(cuts.map((c) => c % bytes.length))].filter((c) => c > 0).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.slice(prev, p));
    prev = p;
  }
  out.push(bytes.slice(prev));
  return out;
}

const FUZZ_RUNS = 150;

/** Random bytes and byte-flipped real payloads never make a datagram parser throw. */
export function fuzzDatagram(parse: (p: Uint8Array) => unknown, samples: readonly Uint8Array[]): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      parse(b);
    }),
    { numRuns: FUZZ_RUNS },
  );
  if (samples.length === 0) return;
  fc.assert(
    fc.property(
      fc.nat(samples.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.nat(),
      (i, flips, cut) => {
        const b = samples[i]!.slice();
        for (const [at, v] of flips) if (b.length) b[at % b.length] = v;
        parse(b);
        parse(b.subarray(0, b.length ? cut % (b.length + 1) : 0));
      },
    ),
    { numRuns: FUZZ_RUNS },
  );
}

/**
 * For a stream dissector: (1) random chunks in both directions and mutated real sessions never throw;
 * (2) feeding each real segment cut at random points gives the same events as feeding it whole.
 */
export function fuzzStream<E>(
  make: () => StreamDissector<E>,
  sessions: readonly (readonly Segment[])[],
): void {
  const dir = fc.constantFrom<Direction>('client', 'server');
  fc.assert(
    fc.property(fc.array(fc.tuple(dir, fc.uint8Array({ maxLength: 300 })), { maxLength: 12 }), (chunks) => {
      const sut = make();
      for (const [d, b] of chunks) sut.feed(d, b);
    }),
    { numRuns: FUZZ_RUNS },
  );
  if (sessions.length === 0) return;
  fc.assert(
    fc.property(
      fc.nat(sessions.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      (i, flips) => {
        const segs = sessions[i]!.map((s) => ({ direction: s.direction, bytes: s.bytes.slice() }));
        for (const [si, at, v] of flips) {
          const s = segs[si % segs.length];
          if (s?.bytes.length) s.bytes[at % s.bytes.length] = v;
        }
        feedAll(make(), segs);
      },
    ),
    { numRuns: FUZZ_RUNS },
  );
  fc.assert(
    fc.property(fc.nat(sessions.length - 1), fc.array(fc.nat(), { maxLength: 40 }), (i, cuts) => {
      const session = sessions[i]!;
      const whole = feedAll(make(), session);
      const sut = make();
      const pieces: E[] = [];
      let k = 0;
      for (const s of session) {
        const mine = cuts.slice(k, k + 3);
        k += 3;
        for (const part of splitAt(s.bytes, mine)) pieces.push(...sut.feed(s.direction, part));
      }
      return JSON.stringify(pieces) === JSON.stringify(whole);
    }),
    { numRuns: 60 },
  );
  // consecutive segments of one direction fed as one chunk (as a reassembler may deliver them), plus a
  // large trailing chunk: same events, no throw
  for (const session of sessions) {
    const merged: Segment[] = [];
    for (const s of session) {
      const last = merged[merged.length - 1];
      if (last && last.direction === s.direction) {
        const joined = new Uint8Array(last.bytes.length + s.bytes.length);
        joined.set(last.bytes);
        joined.set(s.bytes, last.bytes.length);
        last.bytes = joined;
      } else merged.push({ direction: s.direction, bytes: s.bytes });
    }
    const sut = make();
    const events = feedAll(sut, merged);
    if (JSON.stringify(events) !== JSON.stringify(feedAll(make(), session))) {
      throw new Error('merging same-direction segments changed the events');
    }
    sut.feed('client', new Uint8Array(300_000).fill(0x41));
    sut.feed('server', new Uint8Array(300_000).fill(0x41));
  }
}

/** True when none of `secrets` occurs in the JSON of `value` (case-insensitive). */
export function leaksNone(value: unknown, secrets: readonly string[]): boolean {
  const json = JSON.stringify(value).toLowerCase();
  return secrets.every((s) => !json.includes(s.toLowerCase()));
}
