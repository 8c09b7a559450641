/**
 * @module Recognises an HTTP/0.9-style answer: a web server (some embedded devices still have one) that
 * answers a request with the page alone, no status line and no header fields. Strict on purpose: only
 * the start of an HTML document counts (`<html`, `<!doctype html`, `<head`, in any case, as a whole tag
 * name), after an optional UTF-8 byte-order mark and white space. Plain text or any other bytes do not.
 * @see RFC 1945 §6 (Simple-Response = [ Entity-Body ]), WHATWG HTML §13.1 (document start)
 */

/** Lower-case starts of an HTML document; each must be followed by a delimiter (`<header` is not `<head`). */
const HTML_STARTS = ['<html', '<!doctype html', '<head'].map((s) =>
  Uint8Array.from(s, (c) => c.charCodeAt(0)),
);
const BOM = [0xef, 0xbb, 0xbf];

/** What may follow a tag name: white space, `>` or `/`. */
const isDelimiter = (b: number): boolean => isSpace(b) || b === 0x3e || b === 0x2f;
/** HTML's ASCII white space: tab, LF, FF, CR, space. */
const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d;

/**
 * Whether a server's first bytes start an HTML document: `html`, `not-html`, or `need-more` when every
 * byte so far could still begin one (a segment ending after `<HT`).
 */
export function bareHtmlStart(bytes: Uint8Array): 'html' | 'not-html' | 'need-more' {
  let i = 0;
  while (i < BOM.length && i < bytes.length && bytes[i] === BOM[i]) i++;
  if (i === bytes.length && i < BOM.length) return 'need-more';
  if (i > 0 && i < BOM.length) return 'not-html';
  while (i < bytes.length && isSpace(bytes[i]!)) i++;
  if (i === bytes.length) return 'need-more';
  let possible = false;
  for (const start of HTML_STARTS) {
    const n = Math.min(start.length, bytes.length - i);
    let k = 0;
    // ASCII letters to lower case (| 0x20) only where the expected byte is a letter.
    while (k < n && (start[k]! >= 0x61 ? bytes[i + k]! | 0x20 : bytes[i + k]!) === start[k]) k++;
    if (k < n) continue;
    const after = i + start.length;
    if (after >= bytes.length) possible = true;
    else if (isDelimiter(bytes[after]!)) return 'html';
  }
  return possible ? 'need-more' : 'not-html';
}
