/**
 * @module Finding the first byte that is not UTF-8, for readers that decode leniently (fast, and never
 * throws) and must still refuse or report such bytes rather than store U+FFFD in their place. Pure.
 */
import { isUtf8 } from 'node:buffer';

/** The first byte that is not UTF-8: its offset in the bytes given, and its value. */
export interface NotUtf8 {
  offset: number;
  byte: number;
}

/**
 * Null when `bytes` are UTF-8, else the first bad byte. `text` is their lenient decoding: only a U+FFFD
 * in it can hide a bad byte (usually there is none, so this costs one scan), and a U+FFFD the input
 * really holds is valid UTF-8, so the bytes decide.
 */
export function firstNotUtf8(bytes: Uint8Array, text: string): NotUtf8 | null {
  let i = text.indexOf('\uFFFD');
  if (i === -1 || isUtf8(bytes)) return null;
  // Every U+FFFD before the first bad byte is a real one (EF BF BD), so the text before it re-encodes to
  // exactly the bytes before it.
  let chars = 0;
  let offset = 0;
  for (; i !== -1; i = text.indexOf('\uFFFD', i + 1)) {
    offset += Buffer.byteLength(text.slice(chars, i));
    chars = i;
    if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd))
      return { offset, byte: bytes[offset] ?? 0 };
  }
  return { offset: 0, byte: bytes[0] ?? 0 };
}

/** `0xE9 at offset 87`: the bad byte as issues name it. */
export const describeNotUtf8 = (n: NotUtf8): string =>
  `byte 0x${n.byte.toString(16).toUpperCase().padStart(2, '0')} at offset ${n.offset}`;

/** The reason a line-oriented reader gives for a line whose bytes are not UTF-8 (offset within the line). */
export const notUtf8LineReason = (n: NotUtf8): string =>
  `not valid UTF-8 (${describeNotUtf8(n)} of the line)`;

/**
 * The length of the longest well-formed UTF-8 prefix (the Unicode/WHATWG rules: no overlong forms, no
 * surrogates, nothing past U+10FFFF), and whether what follows is only a character cut off by the end.
 */
export function utf8Prefix(b: Uint8Array): { valid: number; incomplete: boolean } {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return { valid: i, incomplete: false };
    for (let k = 1; k <= need; k++) {
      if (i + k >= b.length) return { valid: i, incomplete: true };
      const d = b[i + k]!;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return { valid: i, incomplete: false };
    }
    i += need + 1;
  }
  return { valid: i, incomplete: false };
}
