/**
 * @module Device identity, written once for every source (CMMS import, manual entry, and later captures
 * and scanners): how identifiers are normalised, and when a sighting is the same device as a record.
 *
 * Strong keys — a MAC address, a serial number (with a compatible manufacturer), a UDI or an asset tag —
 * identify a device. An IP address or hostname is weak evidence (DHCP hands addresses to whoever asks
 * next), so it may only suggest a candidate, never merge on its own. When strong keys point at two
 * different records, or the one record they point at contradicts another strong key, that is reported
 * as a conflict for a person to settle rather than resolved by picking one.
 */
import { isIP } from 'node:net';
import type { Parsed } from './device.js';

// ---------------------------------------------------------------------------------------------------
// Normalisation

const HEX = /^[0-9a-f]+$/i;

/**
 * MAC address in lower-case colon form. Accepts `00:1A:2b:3c:4d:5e`, `00-1a-…`, `0:1a:2b:…` (one-digit
 * octets, as `arp` prints), Cisco `001a.2b3c.4d5e` and bare `001A2B3C4D5E`. Refuses the all-zero,
 * broadcast and multicast addresses: none of them names one network card.
 * @see IEEE 802-2014 §8.2 (individual/group bit)
 */
export function parseMac(input: string): Parsed<string> {
  const s = input.trim();
  let hex: string | undefined;
  if (/^[0-9a-f]{12}$/i.test(s)) hex = s;
  else if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i.test(s)) hex = s.replaceAll('.', '');
  else {
    const sep = s.includes(':') ? ':' : s.includes('-') ? '-' : undefined;
    const parts = sep ? s.split(sep) : [];
    if (parts.length === 6 && parts.every((p) => p.length >= 1 && p.length <= 2 && HEX.test(p))) {
      hex = parts.map((p) => p.padStart(2, '0')).join('');
    }
  }
  if (!hex) return { ok: false, reason: `"${input}" is not a MAC address` };
  hex = hex.toLowerCase();
  if (hex === '000000000000') return { ok: false, reason: `"${input}" is the all-zero MAC address` };
  if (hex === 'ffffffffffff') return { ok: false, reason: `"${input}" is the broadcast MAC address` };
  if (Number.parseInt(hex.slice(0, 2), 16) & 1)
    return { ok: false, reason: `"${input}" is a multicast MAC address, not a device's` };
  return { ok: true, value: hex.match(/../g)!.join(':') };
}

export function normaliseMac(input: string): string | null {
  const r = parseMac(input);
  return r.ok ? r.value : null;
}

/**
 * IP address in canonical text: IPv4 dotted quad, IPv6 per RFC 5952 (lower case, no leading zeros,
 * longest zero run compressed), IPv4-mapped IPv6 as plain IPv4, zone index dropped. Refuses
 * unspecified, loopback, broadcast and multicast addresses, which never identify a device.
 * @see RFC 5952 §4 A Recommendation for IPv6 Text Representation
 */
export function parseIp(input: string): Parsed<string> {
  const canonical = spelled(input);
  if (canonical === null) return { ok: false, reason: `"${input}" is not an IP address` };
  const problem = unusableAddress(canonical);
  if (problem) return { ok: false, reason: `"${input}" is ${problem}` };
  return { ok: true, value: canonical };
}

export function normaliseIp(input: string): string | null {
  const r = parseIp(input);
  return r.ok ? r.value : null;
}

/**
 * The inventory's one spelling of an address (RFC 5952 IPv6, IPv4-mapped IPv6 as IPv4), so flows,
 * devices, rules and sensor logs compare equal and firewalls get forms they parse. Unlike `normaliseIp` it
 * keeps addresses no device has (unspecified, loopback, multicast): nft refuses `::0:0:0:0.0.0.0` where it
 * takes `::`, and `::ffff:127.0.0.1` is 127.0.0.1. Text that is no address comes back as is.
 */
export function canonicalIp(ip: string): string {
  return spelled(ip) ?? withoutZone(ip).toLowerCase();
}

const withoutZone = (input: string): string => input.trim().replace(/%[^%]*$/, '');

/** The spelling `canonicalIp` gives an address, or null when the text is none; what it names is not judged. */
function spelled(input: string): string | null {
  const s = withoutZone(input);
  const version = isIP(s);
  if (version === 0) return null;
  if (version === 4) return s;
  const groups = ipv6Groups(s);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  return mapped
    ? [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.')
    : compressIpv6(groups);
}

/** The eight 16-bit groups of a valid IPv6 address (which may end in dotted IPv4). */
export function ipv6Groups(s: string): number[] {
  let text = s.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => Number.parseInt(g, 16));
}

/** RFC 5952 text of eight 16-bit groups. */
export function compressIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  // RFC 5952 §4.2.2: a single zero group is not shortened to `::`.
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function unusableAddress(ip: string): string | undefined {
  if (ip.includes(':')) {
    if (ip === '::') return 'the unspecified address';
    if (ip === '::1') return 'the loopback address';
    if (ip.startsWith('ff')) return 'a multicast address';
    return undefined;
  }
  const first = Number(ip.split('.')[0]);
  if (ip === '0.0.0.0') return 'the unspecified address';
  if (ip === '255.255.255.255') return 'the broadcast address';
  if (first === 127) return 'a loopback address';
  if (first >= 224 && first <= 239) return 'a multicast address';
  return undefined;
}

/**
 * Host name in lower case without a trailing dot. Letters, digits, hyphens and underscores (Windows
 * names have them) in dot-separated labels of up to 63 characters, 253 in all.
 * @see RFC 1123 §2.1
 */
export function parseHostname(input: string): Parsed<string> {
  const s = input.trim().toLowerCase().replace(/\.$/, '');
  const label = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
  if (s.length === 0 || s.length > 253 || !s.split('.').every((l) => label.test(l))) {
    return { ok: false, reason: `"${input}" is not a host name` };
  }
  return { ok: true, value: s };
}

export function normaliseHostname(input: string): string | null {
  const r = parseHostname(input);
  return r.ok ? r.value : null;
}

/** Display form of a free-text key or name: Unicode-normalised, trimmed, inner whitespace collapsed. */
export function cleanText(input: string | null | undefined): string | null {
  if (input === null || input === undefined) return null;
  // NUL becomes U+FFFD here as the store makes it (store/text-without-nul.ts), so a key built from an
  // input equals the key stored for it (else one device could be inserted twice under one UDI).
  const s = input.normalize('NFKC').replaceAll('\u0000', '\uFFFD').trim().replace(/\s+/g, ' ');
  return s === '' ? null : s;
}

/** Lookup key of an asset tag, serial number or UDI: the clean text, case-folded. */
export function identifierKey(input: string | null | undefined): string | null {
  return cleanText(input)?.toLowerCase() ?? null;
}

const LEGAL_SUFFIXES = new Set([
  'inc',
  'incorporated',
  'llc',
  'ltd',
  'limited',
  'corp',
  'corporation',
  'co',
  'gmbh',
  'ag',
  'plc',
  'sa',
  'bv',
  'nv',
]);

/**
 * Lookup key of a manufacturer or model name: case-folded words without punctuation, and without a
 * trailing legal form, so `Medtronic, Inc.` and `MEDTRONIC` are one manufacturer and `B. Braun` is
 * `B Braun`.
 */
export function nameKey(input: string | null | undefined): string | null {
  const w = (cleanText(input) ?? '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  while (w.length > 1 && LEGAL_SUFFIXES.has(w.at(-1)!)) w.pop();
  return w.length ? w.join(' ') : null;
}

// ---------------------------------------------------------------------------------------------------
// Resolution

export type StrongKey = 'assetTag' | 'udi' | 'serialNumber' | 'mac';
export type WeakKey = 'ip' | 'hostname';

/** What a sighting or a CMMS row says about identity, already normalised (see `candidateKeys`). */
export interface CandidateKeys {
  assetTagKey: string | null;
  udiKey: string | null;
  serialKey: string | null;
  manufacturerKey: string | null;
  macs: string[];
  ips: string[];
  hostnames: string[];
}

/** A record as identity resolution needs to see it. */
export interface KnownDevice {
  id: string;
  assetTagKey: string | null;
  udiKey: string | null;
  serialKey: string | null;
  manufacturerKey: string | null;
}

/**
 * Where keys point. Implementations leave out records in state `merged` (they live on in the record
 * they were merged into) but include retired and ignored ones, so a device seen again is recognised.
 */
export interface IdentityLookup {
  byAssetTag(key: string): readonly KnownDevice[];
  byUdi(key: string): readonly KnownDevice[];
  bySerial(key: string): readonly KnownDevice[];
  byMac(mac: string): readonly KnownDevice[];
  byIp(ip: string): readonly KnownDevice[];
  byHostname(hostname: string): readonly KnownDevice[];
}

export type IdentityResolution =
  /** Strong keys point at exactly one record and nothing contradicts it. */
  | { kind: 'match'; deviceId: string; matchedBy: StrongKey[] }
  /** No record has any of the keys. */
  | { kind: 'new' }
  /** Only weak keys (IP, hostname) point at records: candidates to suggest, not to merge with. */
  | { kind: 'weak'; deviceIds: string[]; matchedBy: WeakKey[] }
  /** Strong keys disagree: several records, or a record whose own strong key differs. */
  | { kind: 'conflict'; deviceIds: string[]; reason: string };

export interface RawKeys {
  assetTag?: string | null | undefined;
  udi?: string | null | undefined;
  serialNumber?: string | null | undefined;
  manufacturer?: string | null | undefined;
  macs?: readonly string[] | undefined;
  ips?: readonly string[] | undefined;
  hostnames?: readonly string[] | undefined;
}

/** Normalises raw keys; identifiers that do not parse are dropped (validate them first to report them). */
export function candidateKeys(raw: RawKeys): CandidateKeys {
  const uniq = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))];
  return {
    assetTagKey: identifierKey(raw.assetTag),
    udiKey: identifierKey(raw.udi),
    serialKey: identifierKey(raw.serialNumber),
    manufacturerKey: manufacturerKeyOrNull(raw.manufacturer),
    macs: uniq((raw.macs ?? []).map(normaliseMac)),
    ips: uniq((raw.ips ?? []).map(normaliseIp)),
    hostnames: uniq((raw.hostnames ?? []).map(normaliseHostname)),
  };
}

function manufacturerKeyOrNull(name: string | null | undefined): string | null {
  const k = nameKey(name);
  return k === 'unknown' ? null : k;
}

/** Serial numbers are unique only per manufacturer; an unknown manufacturer is compatible with any. */
export function compatibleManufacturers(a: string | null, b: string | null): boolean {
  return a === null || b === null || a === b;
}

export function hasStrongKey(keys: CandidateKeys): boolean {
  return Boolean(keys.assetTagKey || keys.udiKey || keys.serialKey || keys.macs.length);
}

const KEY_LABEL: Record<StrongKey, string> = {
  assetTag: 'asset tag',
  udi: 'UDI',
  serialNumber: 'serial number',
  mac: 'MAC',
};

export function resolveIdentity(keys: CandidateKeys, lookup: IdentityLookup): IdentityResolution {
  const strong = new Map<string, { device: KnownDevice; by: Set<StrongKey> }>();
  const add = (devices: readonly KnownDevice[], by: StrongKey) => {
    for (const d of devices) {
      const hit = strong.get(d.id) ?? { device: d, by: new Set<StrongKey>() };
      hit.by.add(by);
      strong.set(d.id, hit);
    }
  };
  if (keys.assetTagKey) add(lookup.byAssetTag(keys.assetTagKey), 'assetTag');
  if (keys.udiKey) add(lookup.byUdi(keys.udiKey), 'udi');
  if (keys.serialKey) {
    add(
      lookup
        .bySerial(keys.serialKey)
        .filter((d) => compatibleManufacturers(d.manufacturerKey, keys.manufacturerKey)),
      'serialNumber',
    );
  }
  for (const mac of keys.macs) add(lookup.byMac(mac), 'mac');

  if (strong.size > 1) {
    const hits = [...strong.values()].sort((a, b) => a.device.id.localeCompare(b.device.id));
    const reason = `the keys point at ${hits.length} different devices: ${hits
      .map((h) => `${h.device.id} (by ${[...h.by].map((k) => KEY_LABEL[k]).join(', ')})`)
      .join('; ')}`;
    return { kind: 'conflict', deviceIds: hits.map((h) => h.device.id), reason };
  }
  if (strong.size === 1) {
    const { device, by } = [...strong.values()][0]!;
    const contradiction = contradictingKey(keys, device);
    if (contradiction) {
      const matched = [...by].map((k) => KEY_LABEL[k]).join(', ');
      return {
        kind: 'conflict',
        deviceIds: [device.id],
        reason: `matched device ${device.id} by ${matched}, but its ${contradiction}`,
      };
    }
    return { kind: 'match', deviceId: device.id, matchedBy: [...by].sort() };
  }

  const weak = new Set<string>();
  const weakBy = new Set<WeakKey>();
  for (const ip of keys.ips) {
    for (const d of lookup.byIp(ip)) {
      weak.add(d.id);
      weakBy.add('ip');
    }
  }
  for (const h of keys.hostnames) {
    for (const d of lookup.byHostname(h)) {
      weak.add(d.id);
      weakBy.add('hostname');
    }
  }
  if (weak.size) return { kind: 'weak', deviceIds: [...weak].sort(), matchedBy: [...weakBy].sort() };
  return { kind: 'new' };
}

/** A strong key the candidate states that the matched record already has with a different value. */
function contradictingKey(keys: CandidateKeys, d: KnownDevice): string | undefined {
  if (keys.assetTagKey && d.assetTagKey && keys.assetTagKey !== d.assetTagKey) {
    return `asset tag is "${d.assetTagKey}", not "${keys.assetTagKey}"`;
  }
  if (keys.udiKey && d.udiKey && keys.udiKey !== d.udiKey)
    return `UDI is "${d.udiKey}", not "${keys.udiKey}"`;
  if (
    keys.serialKey &&
    d.serialKey &&
    keys.serialKey !== d.serialKey &&
    compatibleManufacturers(d.manufacturerKey, keys.manufacturerKey)
  ) {
    return `serial number is "${d.serialKey}", not "${keys.serialKey}"`;
  }
  return undefined;
}

type IndexKind = 'assetTag' | 'udi' | 'serial' | 'mac' | 'ip' | 'hostname';

/**
 * An in-memory IdentityLookup. Imports preload the records a file's keys can reach into one of these
 * (one query per key kind instead of one per row); the import also adds each row as it goes, so two
 * rows of one file that name the same device are caught.
 */
export class IdentityIndex implements IdentityLookup {
  readonly #maps: Record<IndexKind, Map<string, KnownDevice[]>> = {
    assetTag: new Map(),
    udi: new Map(),
    serial: new Map(),
    mac: new Map(),
    ip: new Map(),
    hostname: new Map(),
  };

  /** Indexes a record under its own strong keys and the given identifiers. */
  add(
    device: KnownDevice,
    identifiers: { macs?: readonly string[]; ips?: readonly string[]; hostnames?: readonly string[] } = {},
  ): void {
    if (device.assetTagKey) this.#put('assetTag', device.assetTagKey, device);
    if (device.udiKey) this.#put('udi', device.udiKey, device);
    if (device.serialKey) this.#put('serial', device.serialKey, device);
    for (const m of identifiers.macs ?? []) this.#put('mac', m, device);
    for (const ip of identifiers.ips ?? []) this.#put('ip', ip, device);
    for (const h of identifiers.hostnames ?? []) this.#put('hostname', h, device);
  }

  /** Indexes one identifier of a record already added. */
  addIdentifier(kind: 'mac' | 'ip' | 'hostname', value: string, device: KnownDevice): void {
    this.#put(kind, value, device);
  }

  #put(map: IndexKind, key: string, device: KnownDevice): void {
    const list = this.#maps[map].get(key);
    if (!list) this.#maps[map].set(key, [device]);
    else if (!list.some((d) => d.id === device.id)) list.push(device);
  }

  byAssetTag = (key: string) => this.#maps.assetTag.get(key) ?? [];
  byUdi = (key: string) => this.#maps.udi.get(key) ?? [];
  bySerial = (key: string) => this.#maps.serial.get(key) ?? [];
  byMac = (mac: string) => this.#maps.mac.get(mac) ?? [];
  byIp = (ip: string) => this.#maps.ip.get(ip) ?? [];
  byHostname = (hostname: string) => this.#maps.hostname.get(hostname) ?? [];
}
