/**
 * @module MAC address → the organisation the IEEE assigned its prefix to (MA-L, MA-M and MA-S registries),
 * from the `oui-data` package. The 5.6 MB table is read once, on the first lookup, so commands that never
 * look up a MAC start as fast as before.
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

let table: Record<string, string> | undefined;

/** Reads `oui-data` once. Resolved through the package so the bundle in dist/ finds it too. */
function registry(): Record<string, string> {
  if (!table) {
    const path = createRequire(import.meta.url).resolve('oui-data');
    table = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
  }
  return table;
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
    const entry = data[hex.slice(0, len)];
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
