/**
 * @module The few BER/DER reading primitives the ASN.1-based dissectors share (X.509 certificates,
 * SNMP messages): one tag-length-value at a time, definite lengths only, every length checked against
 * its parent so a hostile length can never read past the buffer.
 * @see ITU-T X.690 §8.1 (identifier and length octets), §8.19 (object identifier), §10.1 (DER lengths)
 */

export class DerError extends Error {}

export interface Tlv {
  tag: number;
  /** Index of the first content byte. */
  start: number;
  /** Index just past the content. */
  end: number;
  /** Index of the tag byte (for raw comparisons of whole elements). */
  header: number;
}

const MAX_DEPTH_ITEMS = 10_000;

export function readTlv(b: Uint8Array, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new DerError('truncated element');
  const header = pos;
  let tag = b[pos++]!;
  if ((tag & 0x1f) === 0x1f) {
    // high tag number form: fold into one number, keeping class/constructed bits apart
    let n = 0;
    let k = 0;
    do {
      if (pos >= limit || ++k > 4) throw new DerError('bad tag');
      n = (n << 7) | (b[pos]! & 0x7f);
    } while (b[pos++]! & 0x80);
    tag = ((tag & 0xe0) << 24) | n;
  }
  if (pos >= limit) throw new DerError('truncated length');
  let len = b[pos++]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported length form');
    if (pos + n > limit) throw new DerError('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[pos++]!;
  }
  if (pos + len > limit) throw new DerError('element overruns its parent');
  return { tag, start: pos, end: pos + len, header };
}

export function children(b: Uint8Array, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.start; p < t.end; ) {
    const c = readTlv(b, p, t.end);
    out.push(c);
    p = c.end;
    if (out.length > MAX_DEPTH_ITEMS) throw new DerError('too many elements');
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new DerError(`expected ${what}`);
  return t;
}

export function oid(b: Uint8Array, t: Tlv): string {
  if (t.tag !== 0x06 || t.end === t.start) throw new DerError('expected OBJECT IDENTIFIER');
  const parts: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}
