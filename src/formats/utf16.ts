/**
 * @module Telling a UTF-16 text file from its first bytes, so that every importer that reads UTF-8 (the CSV
 * importers, the advisory and document readers, the capture reader for a file that is no capture) names
 * the encoding instead of reporting "not UTF-8 at offset 0", a NUL in the header or an unknown format.
 * Windows writes UTF-16 more often than one would think: Excel's "Unicode Text", Notepad's "Unicode",
 * PowerShell 5's `>` and `Out-File`. Pure.
 * @see Unicode 15.0 §3.10 D98 (UTF-16 encoding schemes), §23.8 (U+FEFF byte order mark)
 */

export interface Utf16 {
  endian: 'little' | 'big';
  /** Whether the text starts with a byte order mark (FF FE or FE FF). */
  bom: boolean;
}

/** How many bytes the guess without a byte order mark looks at: a few hundred characters. */
const SAMPLE_BYTES = 1024;

/**
 * The UTF-16 scheme `bytes` (the file's first bytes; more than a few hundred are not read) are written in,
 * or null. With a byte order mark that decides. Without one, the text must look like mostly-ASCII UTF-16:
 * the first character and at least nine in ten of the sampled ones have a zero high byte and a non-zero
 * low byte. No UTF-8 text holds a NUL, so a CSV or JSON file in UTF-8 is never taken for UTF-16.
 */
export function utf16Of(bytes: Uint8Array): Utf16 | null {
  if (bytes.length >= 2) {
    // FF FE 00 00 would be UTF-32LE's mark, which no export of ours meets: still not UTF-8, named as UTF-16.
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return { endian: 'little', bom: true };
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return { endian: 'big', bom: true };
  }
  const units = Math.floor(Math.min(bytes.length, SAMPLE_BYTES) / 2);
  if (units < 2) return null;
  let little = 0;
  let big = 0;
  for (let i = 0; i < units; i++) {
    const a = bytes[2 * i]!;
    const b = bytes[2 * i + 1]!;
    if (a !== 0 && b === 0) little++;
    else if (a === 0 && b !== 0) big++;
  }
  const enough = (n: number) => n * 10 >= units * 9;
  if (bytes[0] !== 0 && bytes[1] === 0 && enough(little)) return { endian: 'little', bom: false };
  if (bytes[0] === 0 && bytes[1] !== 0 && enough(big)) return { endian: 'big', bom: false };
  return null;
}

/** `UTF-16 (little-endian, with a byte order mark)`. */
export const describeUtf16 = (u: Utf16): string =>
  `UTF-16 (${u.endian}-endian, ${u.bom ? 'with' : 'without'} a byte order mark)`;

/** The reason an importer that reads UTF-8 gives for a UTF-16 file. */
export const utf16Reason = (u: Utf16): string => `is ${describeUtf16(u)}; save it as UTF-8`;
