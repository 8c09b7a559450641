/**
 * @module A CEF reader written from the standard, for tests only: it checks that what cef.ts writes is
 * read back the way a SIEM reads it. Independent of cef.ts on purpose (no shared helpers).
 * @see ArcSight CEF Implementation Standard rev. 25 — "CEF Header", "Character Encoding"
 */

export interface ParsedCef {
  version: string;
  vendor: string;
  product: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: string;
  extension: Record<string, string>;
}

/** Parses one `CEF:…` line; throws with the character offset on anything the standard does not allow. */
export function parseCef(line: string): ParsedCef {
  if (!line.startsWith('CEF:')) throw new Error('offset 0: not a CEF line (no "CEF:" prefix)');
  const fields: string[] = [];
  let cur = '';
  let i = 4;
  // Header: seven `|`-terminated fields; `\|` and `\\` are the only escapes.
  while (fields.length < 7) {
    if (i >= line.length) throw new Error(`offset ${i}: header has ${fields.length} of 7 fields`);
    const c = line[i]!;
    if (c === '\\') {
      const n = line[i + 1];
      if (n !== '|' && n !== '\\') throw new Error(`offset ${i}: bad header escape \\${n ?? ''}`);
      cur += n;
      i += 2;
    } else if (c === '|') {
      fields.push(cur);
      cur = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      throw new Error(`offset ${i}: line break in header`);
    } else {
      cur += c;
      i++;
    }
  }
  const [version, vendor, product, deviceVersion, signatureId, name, severity] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    version,
    vendor,
    product,
    deviceVersion,
    signatureId,
    name,
    severity,
    extension: parseExtension(line.slice(i), i),
  };
}

function parseExtension(text: string, base: number): Record<string, string> {
  // Each unescaped `=` ends a key: the run of key characters right before it, after a space or the start.
  const equals: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '=') equals.push(i);
  }
  const out: Record<string, string> = {};
  const keyStart = (eq: number) => {
    let s = eq;
    while (s > 0 && /[A-Za-z0-9_.[\]-]/.test(text[s - 1]!)) s--;
    if (s === eq || (s > 0 && text[s - 1] !== ' ')) throw new Error(`offset ${base + eq}: "=" without a key`);
    return s;
  };
  for (let k = 0; k < equals.length; k++) {
    const eq = equals[k]!;
    const start = keyStart(eq);
    const key = text.slice(start, eq);
    const end = k + 1 < equals.length ? keyStart(equals[k + 1]!) - 1 : text.length;
    if (key in out) throw new Error(`offset ${base + start}: key ${key} twice`);
    out[key] = unescapeValue(text.slice(eq + 1, end), base + eq + 1).trim();
  }
  if (equals.length === 0 && text.trim() !== '')
    throw new Error(`offset ${base}: extension without key=value`);
  return out;
}

function unescapeValue(raw: string, base: number): string {
  let v = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      if (c === '\n' || c === '\r') throw new Error(`offset ${base + i}: raw line break in a value`);
      v += c;
      continue;
    }
    const n = raw[++i];
    if (n === '\\' || n === '=') v += n;
    else if (n === 'n') v += '\n';
    else if (n === 'r') v += '\r';
    else throw new Error(`offset ${base + i - 1}: bad extension escape \\${n ?? ''}`);
  }
  return v;
}
