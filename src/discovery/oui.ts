/**
 * @module MAC address → the organisation the IEEE assigned its prefix to (MA-L, MA-M and MA-S registries),
 * from the `oui-data` package. The 5.6 MB table is read once, on the first lookup, so commands that never
 * look up a MAC start as fast as before; it stays as bytes, searched per lookup (see `Registry`).
 *
 * A NIC vendor is a hint, not the device maker: a GE scanner may carry an Intel card. Randomised and
 * locally administered addresses (the U/L bit set) were never assigned by the IEEE, so they have no vendor.
 *
 * @see IEEE 802-2014 §8.2 (U/L and I/G bits of the first octet)
 * @see https://standards.ieee.org/products-programs/regauth/ (MA-L 24-bit, MA-M 28-bit, MA-S 36-bit prefixes)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface MacVendor {
  /** Organisation name as registered (first line of the registry entry; the postal address is dropped). */
  vendor: string;
  /** The matched prefix in colon form: `00:a0:aa` (MA-L), `70:b3:d5:0` (MA-M), `70:b3:d5:00:1` (MA-S). */
  prefix: string;
  registry: 'MA-L' | 'MA-M' | 'MA-S';
}

export type MacVendorLookup =
  | ({ ok: true } & MacVendor)
  | {
      ok: false;
      reason: 'invalid' | 'multicast' | 'locally-administered' | 'unassigned';
      detail: string;
    };

/** Hex digits of a MAC in any common notation (`00:A0:aa:…`, `00-a0-…`, `00a0.aa5b.0040`, bare), or null. */
function macHex(mac: string): string | null {
  const s = mac.trim();
  let hex: string | undefined;
  if (/^[0-9a-f]{12}$/i.test(s)) hex = s;
  else if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i.test(s)) hex = s.replaceAll('.', '');
  else {
    const parts = s.split(/[:-]/);
    if (parts.length === 6 && parts.every((p) => /^[0-9a-f]{1,2}$/i.test(p)))
      hex = parts.map((p) => p.padStart(2, '0')).join('');
  }
  return hex ? hex.toUpperCase() : null;
}

/**
 * The registry file, as bytes, with the start of each entry's line. `oui-data` writes one entry per line
 * (` "PREFIX": "name\naddress…",`), sorted by prefix length then prefix (MA-L, MA-M, MA-S), so a lookup is
 * a binary search over the lines and only the entry found is decoded. Parsing the whole 5.6 MB JSON instead
 * cost ~50 ms and left ~20 MB of strings on the heap for the garbage collector to walk for the rest of a
 * capture analysis. Should a release change that layout, the file is parsed as JSON after all
 * (`scripts/refresh-oui.mjs` and the tests check the layout).
 */
interface Registry {
  bytes: Buffer;
  lines: Uint32Array;
}
let lineRegistry: Registry | undefined;
let parsedRegistry: Record<string, string> | undefined;

/** Reads `oui-data` once. Resolved through the package so the bundle in dist/ finds it too. */
function registry(): Registry | Record<string, string> {
  if (lineRegistry) return lineRegistry;
  if (parsedRegistry) return parsedRegistry;
  const path = createRequire(import.meta.url).resolve('oui-data');
  const bytes = readFileSync(path);
  const lines = entryLines(bytes);
  if (lines) lineRegistry = { bytes, lines };
  else parsedRegistry = JSON.parse(bytes.toString('utf8')) as Record<string, string>;
  return lineRegistry ?? parsedRegistry!;
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;

/** Start offsets of the entry lines, or undefined when the file is not laid out one sorted entry per line. */
export function entryLines(bytes: Buffer): Uint32Array | undefined {
  if (bytes[0] !== 0x7b /* { */ || bytes[1] !== NEWLINE) return undefined;
  const starts: number[] = [];
  let at = 2;
  let previous = '';
  while (at < bytes.length) {
    const end = bytes.indexOf(NEWLINE, at);
    const stop = end < 0 ? bytes.length : end;
    if (bytes[at] === 0x7d /* } */) break;
    const key = keyAt(bytes, at, stop);
    if (key === undefined || !keyBefore(previous, key)) return undefined;
    previous = key;
    starts.push(at);
    at = stop + 1;
  }
  return starts.length > 0 ? Uint32Array.from(starts) : undefined;
}

/** The prefix of the entry line at `at` (` "0050C2": …`), or undefined if the line is not an entry. */
function keyAt(bytes: Buffer, at: number, stop: number): string | undefined {
  if (bytes[at] !== 0x20 || bytes[at + 1] !== QUOTE) return undefined;
  const close = bytes.indexOf(QUOTE, at + 2);
  if (close < 0 || close > stop || close - at - 2 > 9) return undefined;
  return bytes.toString('latin1', at + 2, close);
}

/** The registry's order: shorter prefixes (MA-L) before longer ones, then by the hex digits. */
const keyBefore = (a: string, b: string) => a.length < b.length || (a.length === b.length && a < b);

function lookup(reg: Registry | Record<string, string>, key: string): string | undefined {
  if (!('lines' in reg)) return (reg as Record<string, string>)[key];
  const { bytes, lines } = reg as Registry;
  let lo = 0;
  let hi = lines.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = lines[mid]!;
    const k = keyAt(bytes, at, bytes.length)!;
    if (k === key) {
      const end = bytes.indexOf(NEWLINE, at);
      const line = bytes.toString('utf8', at, end < 0 ? bytes.length : end).trimEnd();
      return JSON.parse(line.slice(line.indexOf(':') + 1).replace(/,$/, '')) as string;
    }
    if (keyBefore(k, key)) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** The registry entry (name and postal address) of a prefix in hex capitals, as the file has it. */
export function registryEntry(prefix: string): string | undefined {
  return lookup(registry(), prefix);
}

const colon = (hex: string) =>
  hex
    .match(/.{1,2}/g)!
    .join(':')
    .toLowerCase();

/**
 * Looks a MAC up in the IEEE registries, longest prefix first (MA-S and MA-M blocks are carved out of MA-L
 * blocks registered to "IEEE Registration Authority"), and says why when there is no vendor.
 */
export function lookupMacVendor(mac: string): MacVendorLookup {
  const hex = macHex(mac);
  if (!hex) return { ok: false, reason: 'invalid', detail: `"${mac}" is not a MAC address` };
  const first = Number.parseInt(hex.slice(0, 2), 16);
  if (first & 0x01)
    return { ok: false, reason: 'multicast', detail: 'group (multicast) address, not one interface' };
  if (first & 0x02)
    return {
      ok: false,
      reason: 'locally-administered',
      detail: 'locally administered or randomised address: no IEEE-assigned vendor',
    };
  const data = registry();
  for (const [len, reg] of [
    [9, 'MA-S'],
    [7, 'MA-M'],
    [6, 'MA-L'],
  ] as const) {
    const entry = lookup(data, hex.slice(0, len));
    if (entry !== undefined) {
      const vendor = entry.split('\n', 1)[0]!.trim();
      return { ok: true, vendor, prefix: colon(hex.slice(0, len)), registry: reg };
    }
  }
  return {
    ok: false,
    reason: 'unassigned',
    detail: `prefix ${colon(hex.slice(0, 6))} is not in the registry`,
  };
}

/** The registered vendor of a MAC's prefix, or null (invalid, multicast, locally administered, unassigned). */
export function macVendor(mac: string): { vendor: string; prefix: string } | null {
  const r = lookupMacVendor(mac);
  return r.ok ? { vendor: r.vendor, prefix: r.prefix } : null;
}
