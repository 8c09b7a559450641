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
