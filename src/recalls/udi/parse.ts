/**
 * @module One entry point for a UDI as entered or scanned: decides the issuing agency from the
 * syntax (GS1 AIs or symbology identifier, HIBCC `+`, ISBT 128 `=`/`&`) and hands it to that parser.
 * Never throws anything but an `invalid_input` VigilError.
 */
import { VigilError } from '../../errors.js';
import { looksLikeGs1, looksLikeGs1DigitalLink, parseGs1, parseGs1DigitalLink } from './gs1.js';
import { looksLikeHibcc, parseHibcc } from './hibcc.js';
import { looksLikeIccbba, parseIccbba } from './iccbba.js';
import { type ParsedUdi, udiError } from './udi-types.js';

export type { ParsedUdi } from './udi-types.js';

/** Longest UDI accepted: GS1 and HIBCC carriers stay well below this. */
const MAX_UDI = 512;

export function parseUdi(raw: string, now: Date = new Date()): ParsedUdi {
  // Scanners in keyboard mode often send GS as the caret notation or a visible symbol.
  // Trailing spaces stay: a HIBCC check character can be a space.
  const s = raw
    .replace(/[\r\n\t]+$/, '')
    .replace(/\u241d|<GS>|\{GS\}/g, '\x1d')
    .trimStart();
  if (!s.trim()) throw udiError(0, 'empty UDI');
  if (s.length > MAX_UDI) throw udiError(MAX_UDI, `longer than ${MAX_UDI} characters`);
  try {
    if (/^https?:\/\//i.test(s)) {
      if (looksLikeGs1DigitalLink(s)) return parseGs1DigitalLink(s, now);
      throw udiError(0, 'a URI that is not a GS1 Digital Link (no /01/ GTIN in its path)');
    }
    if (looksLikeHibcc(s)) return parseHibcc(s);
    if (looksLikeIccbba(s)) return parseIccbba(s);
    if (looksLikeGs1(s)) return parseGs1(s, now);
  } catch (e) {
    if (e instanceof VigilError) throw e;
    throw udiError(0, `unreadable (${(e as Error).message})`);
  }
  throw udiError(
    0,
    'not a GS1 ("(01)…", "01…", "]d2…" or a Digital Link URI), HIBCC ("+…") or ICCBBA ("=/…") UDI',
  );
}

/** The DI of a device's recorded UDI, or null when the text is not a parseable UDI. */
export function udiDeviceIdentifier(udi: string | null | undefined): string | null {
  if (!udi) return null;
  try {
    return parseUdi(udi).di;
  } catch {
    return null;
  }
}
