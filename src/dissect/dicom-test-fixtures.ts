/**
 * @module Test support (not shipped): loads the DICOM fixtures of test/fixtures/dissect/dicom (real dcmtk
 * and Orthanc traffic, see PROVENANCE.md there) and tshark's dissection of the same packets.
 */
import { readFileSync } from 'node:fs';
import { type DicomPdu, parseDicomPdu, u32be } from './dicom.js';

const DIR = new URL('../../test/fixtures/dissect/dicom/', import.meta.url);
const SERVER_PORTS = new Set(['104', '4242', '11112', '11113', '11114']);

export type Direction = 'client' | 'server';

export interface Segment {
  frame: number;
  direction: Direction;
  bytes: Uint8Array;
}

/** The payload-bearing TCP segments of one fixture connection, in capture order. */
export function segments(name: string): Segment[] {
  return readFileSync(new URL(name, DIR), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [frame, src, , hex] = line.split('\t');
      return {
        frame: Number(frame),
        direction: SERVER_PORTS.has(src!) ? 'server' : 'client',
        bytes: new Uint8Array(Buffer.from(hex!, 'hex')),
      };
    });
}

/** One direction's bytes, concatenated. */
export function stream(name: string, direction: Direction): Uint8Array {
  return new Uint8Array(
    Buffer.concat(
      segments(name)
        .filter((s) => s.direction === direction)
        .map((s) => s.bytes),
    ),
  );
}

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, DIR), 'utf8');
}

/** Splits a direction's bytes into complete PDUs, with the frame in which each ends (where tshark shows it). */
export function pdus(
  name: string,
  direction: Direction,
): { pdu: DicomPdu; frame: number; bytes: Uint8Array }[] {
  const segs = segments(name).filter((s) => s.direction === direction);
  const ends: { end: number; frame: number }[] = [];
  let total = 0;
  for (const s of segs) {
    total += s.bytes.length;
    ends.push({ end: total, frame: s.frame });
  }
  const all = stream(name, direction);
  const out: { pdu: DicomPdu; frame: number; bytes: Uint8Array }[] = [];
  let at = 0;
  while (at < all.length) {
    const r = parseDicomPdu(all.subarray(at));
    if (r.kind !== 'ok') break;
    const end = at + r.consumed;
    out.push({ pdu: r.value, frame: ends.find((e) => e.end >= end)!.frame, bytes: all.subarray(at, end) });
    at = end;
  }
  return out;
}

/**
 * The messages (command or data set) of one direction, reassembled from their PDV fragments. A P-DATA
 * PDU cut off by the end of the fixture contributes what it holds, and its message is `complete: false`.
 */
export function messages(
  name: string,
  direction: Direction,
): { isCommand: boolean; bytes: Uint8Array; complete: boolean }[] {
  const all = stream(name, direction);
  const out: { isCommand: boolean; bytes: Uint8Array; complete: boolean }[] = [];
  const open = new Map<number, Uint8Array[]>();
  let at = 0;
  while (at + 6 <= all.length) {
    const type = all[at]!;
    const end = Math.min(all.length, at + 6 + u32be(all, at + 2));
    if (type === 4) {
      let pdv = at + 6;
      while (pdv + 6 <= end) {
        const valueEnd = Math.min(end, pdv + 4 + u32be(all, pdv));
        const key = (all[pdv + 4]! << 1) | (all[pdv + 5]! & 1);
        const parts = open.get(key) ?? [];
        parts.push(all.subarray(pdv + 6, valueEnd));
        open.set(key, parts);
        if ((all[pdv + 5]! & 2) !== 0 && valueEnd === pdv + 4 + u32be(all, pdv)) {
          out.push({
            isCommand: (key & 1) === 1,
            bytes: new Uint8Array(Buffer.concat(parts)),
            complete: true,
          });
          open.delete(key);
        }
        pdv = valueEnd;
      }
    }
    at = end;
  }
  for (const [key, parts] of open) {
    out.push({ isCommand: (key & 1) === 1, bytes: new Uint8Array(Buffer.concat(parts)), complete: false });
  }
  return out;
}

/** One element as tshark -V prints it (extract.sh `elements`). */
export interface TsharkElement {
  tag: string;
  depth: number;
  length: number;
  name: string;
  vr?: string;
  /** Value as printed, trimmed; '' for <Empty>. */
  value: string;
}

/** tshark's DICOM blocks: a `DICOM, …` title and the elements printed under it. */
export function tsharkBlocks(file: string): { title: string; elements: TsharkElement[] }[] {
  const blocks: { title: string; elements: TsharkElement[] }[] = [];
  for (const line of fixtureText(file).split('\n')) {
    if (line.startsWith('DICOM, ')) {
      blocks.push({ title: line.slice(7).trim(), elements: [] });
      continue;
    }
    const m = /^(\s+)\(([0-9a-f]{4},[0-9a-f]{4})\)\s+(\d+) (.*?)\s{2,}(?:\[([A-Z]{2})\] ?)?(.*)$/.exec(line);
    if (m === null || blocks.length === 0) continue;
    const value = m[6]!.trim();
    const element: TsharkElement = {
      tag: `(${m[2]})`,
      depth: (m[1]!.length - 8) / 8,
      length: Number(m[3]),
      name: m[4]!,
      value: value === '<Empty>' ? '' : value,
    };
    if (m[5] !== undefined) element.vr = m[5];
    blocks.at(-1)!.elements.push(element);
  }
  return blocks;
}

/** The data set blocks (elements outside group 0000) with a given title, in order. */
export function tsharkDataSets(file: string, title: string): TsharkElement[][] {
  return tsharkBlocks(file)
    .filter((b) => b.title === title && b.elements.some((e) => !e.tag.startsWith('(0000,')))
    .map((b) => b.elements);
}

/** Values tshark printed for the given tags (≥ 3 characters, each PN component too): what must never leak. */
export function tsharkValues(file: string, tags: Iterable<string>): string[] {
  const wanted = new Set(tags);
  const values = new Set<string>();
  for (const block of tsharkBlocks(file)) {
    for (const e of block.elements) {
      if (!wanted.has(e.tag) || e.value.length < 3) continue;
      values.add(e.value);
      for (const part of e.value.split(/[\^=\\]/)) if (part.trim().length >= 4) values.add(part.trim());
    }
  }
  return [...values];
}
