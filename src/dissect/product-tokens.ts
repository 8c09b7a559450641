/**
 * @module HTTP `Server` and `User-Agent` field values as product tokens: `SimpleHTTP/0.6 Python/3.11.2`,
 * `Apache/2.4.57 (Debian) OpenSSL/3.0.11`. The first product names the software (product and version, as
 * an FTP or SSH banner's do); the others, and the comments, are what it runs on. Lenient where servers
 * are: a version in a comment glued to the name (`Jetty(9.4.53.v20231009)`) is taken; a value that
 * opens with no token has no product.
 * @see RFC 9110 §10.2.4 Server, §10.1.5 User-Agent, §5.6.2 token, §5.6.5 comment
 */

export interface ProductToken {
  name: string;
  version: string | null;
}

/** RFC 9110 §5.6.2 tchar. */
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

const isTchar = (c: string | undefined) => c !== undefined && TCHAR.test(c);

/** Reads a token from `at`; returns its end (== `at` when there is none). */
function tokenEnd(s: string, at: number): number {
  let i = at;
  while (i < s.length && isTchar(s[i])) i++;
  return i;
}

/** Reads a (possibly nested) comment opening at `at`; returns its text and end, or null if unclosed. */
function comment(s: string, at: number): { text: string; end: number } | null {
  let depth = 0;
  for (let i = at; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return { text: s.slice(at + 1, i), end: i + 1 };
  }
  return null;
}

/** Products in order; comments skipped. Parsing stops at the first thing that is neither. */
export function productTokens(value: string): ProductToken[] {
  const out: ProductToken[] = [];
  const s = value;
  let i = 0;
  while (i < s.length && out.length < 16) {
    const c = s[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '(') {
      const k = comment(s, i);
      if (!k) break;
      i = k.end;
      continue;
    }
    const nameEnd = tokenEnd(s, i);
    if (nameEnd === i) break;
    const name = s.slice(i, nameEnd);
    i = nameEnd;
    let version: string | null = null;
    if (s[i] === '/') {
      const vEnd = tokenEnd(s, i + 1);
      if (vEnd > i + 1) version = s.slice(i + 1, vEnd);
      i = vEnd;
    } else if (s[i] === '(') {
      // `Jetty(9.4.53.v20231009)`: no space, a comment that is only a version.
      const k = comment(s, i);
      if (k && /^\d[\w.+-]*$/.test(k.text)) {
        version = k.text;
        i = k.end;
      }
    }
    out.push({ name, version });
  }
  return out;
}

/** The software a `Server` value names: its first product, or nothing when it opens with no token. */
export function serverProduct(value: string): ProductToken | null {
  return productTokens(value.trim())[0] ?? null;
}
