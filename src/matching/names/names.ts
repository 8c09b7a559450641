/**
 * @module Name normalisation for the vulnerability matcher: which manufacturer a vendor string means
 * (aliases and acquisition chains, kept as data in `manufacturers.json`), and how close a device's model
 * as the hospital recorded it is to an advisory's product name.
 *
 * Pure functions, no I/O at run time. The lookup maps are built once at module load because
 * {@link resolveManufacturer} and {@link modelKey} sit on the matcher's hot path (~100k calls per run).
 *
 * Rules that keep false positives out (decided from the real ICSMA product names):
 * - A model number is never an identity on its own: compare models only within one manufacturer.
 * - Model-number-like tokens (any token with a digit: `8015`, `mx40`, `722k`, the `7` of `LOGIQ 7`) must match
 *   exactly; when each side has one the other lacks (`Alaris 8015` vs `Alaris 8100`, `LOGIQ 5` vs
 *   `LOGIQ 7`) the answer is `none`, whatever the other words say.
 * - Generic words (`Monitor`, `Pump`, `System`, `Software`, `Version`, `All`, ...) never count, and
 *   category words (`Infusion`, `Server`, `Viewer`, `DICOM`, ...) count for containment but are not
 *   distinctive enough to make a match by themselves.
 * - A product family word alone (`CareLink`) only makes a `token` match when one name's significant
 *   words are all inside the other; `CareLink 2090` vs `CareLink Express Monitor` is `none`
 *   because the device names a model number the product does not.
 * - Anything approximate is `fuzzy` with confidence 0.5–0.75, never silently 1.
 *
 * Confidence: exact (same after trim) 1.0 · normalized (same {@link modelKey}) 1.0 · token 0.9 when a
 * model number is shared, 0.8 when only a distinctive word is shared, the number is within a range
 * (`MX400-MX850`) or the longer name adds a variant designator after it (`3100-IQ`, `2008 R2`) ·
 * fuzzy 0.75 for one misspelt word, minus 0.1 per further one, or 0.5–0.75 by bigram similarity
 * (≥ 85 %) · none 0.
 */
import { z } from 'zod';
import table from './manufacturers.json' with { type: 'json' };

// ---------------------------------------------------------------------------------------------
// Table validation (once, at load)
// ---------------------------------------------------------------------------------------------

const acquiredSchema = z.object({
  name: z.string().min(1),
  aliases: z.array(z.string().min(1)).optional(),
  year: z.number().int().min(1800).max(2100).optional(),
  /** Intermediate owners, in order, as explanation text ('acquired by Cardinal Health (2004)'). */
  through: z.array(z.string().min(1)).optional(),
  /** 'subsidiary' for companies that were always part of the group rather than bought. */
  relation: z.enum(['acquired', 'subsidiary']).optional(),
});

const manufacturerSchema = z.object({
  key: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  name: z.string().min(1),
  aliases: z.array(z.string().min(1)),
  acquired: z.array(acquiredSchema),
  /** Informational: a holding company that is deliberately NOT an alias (OSI Systems, Asahi Kasei). */
  parent: z.string().optional(),
  note: z.string().optional(),
});

export type ManufacturerEntry = z.infer<typeof manufacturerSchema>;

/** The validated normalisation table (read-only; exported for tests and explanations). */
export const MANUFACTURERS: readonly ManufacturerEntry[] = z.array(manufacturerSchema).parse(table);

// ---------------------------------------------------------------------------------------------
// Shared text folding (regexes compiled once)
// ---------------------------------------------------------------------------------------------

const COMBINING_MARKS = /\p{M}+/gu;
const DOTS_APOSTROPHES = /['’`.]/g;
const AMPERSAND = /&/g;
const NON_ALNUM = /[^a-z0-9]+/;
const NON_ALNUM_G = /[^a-z0-9]+/g;
const DIGIT = /\d/;
const DECIMAL_POINT = /(\d)[.,](\d)/g;

/** Lower case without diacritics ('Dräger' → 'drager'); compatibility forms folded ('ＭＸ' → 'mx'). */
function fold(text: string): string {
  return text.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Manufacturers
// ---------------------------------------------------------------------------------------------

/** Legal-form words: say nothing about which company it is. Dropped from the END of manufacturer keys. */
const CORPORATE_SUFFIXES = new Set([
  'inc',
  'incorporated',
  'llc',
  'ltd',
  'limited',
  'gmbh',
  'ag',
  'corp',
  'corporation',
  'co',
  'company',
  'sa',
  'plc',
  'nv',
  'bv',
  'kg',
  'kgaa',
  'oy',
  'oyj',
  'ab',
  'spa',
  'srl',
  'pty',
  'pte',
  'lp',
  'llp',
  'se',
  'sas',
  'kk',
  'and',
]);

/**
 * Descriptive words a vendor string may add or omit ('Mindray Medical', 'Philips Healthcare'). Only
 * tried as a fallback, one word at a time from the end, and only accepted when what remains is in the
 * table; never part of the key itself, because 'Smiths Medical' and 'Smiths' are different companies.
 */
const DESCRIPTOR_WORDS = new Set([
  'medical',
  'systems',
  'system',
  'healthcare',
  'health',
  'technologies',
  'technology',
  'tech',
  'scientific',
  'diagnostics',
  'solutions',
  'international',
  'group',
  'holdings',
  'electronics',
  'usa',
  'us',
  'america',
  'americas',
  'north',
]);

function manufacturerTokens(name: string): string[] {
  const tokens = fold(name)
    .replace(AMPERSAND, ' and ')
    .replace(DOTS_APOSTROPHES, '')
    .split(NON_ALNUM)
    .filter((t) => t.length > 0);
  while (tokens[0] === 'the' && tokens.length > 1) tokens.shift();
  while (tokens.length > 1 && CORPORATE_SUFFIXES.has(tokens[tokens.length - 1] ?? '')) tokens.pop();
  return tokens;
}

/**
 * Case/punctuation/whitespace/diacritics-insensitive manufacturer key, hyphen-joined
 * ('B. Braun Melsungen AG' → 'b-braun-melsungen', 'Dräger' → 'drager'). Trailing corporate suffixes
 * (Inc, LLC, Ltd, GmbH, AG, Corp, Co, S.A., plc, N.V., '& Co. KG', ...) are dropped; descriptive words
 * such as 'Medical Systems' are not (see {@link resolveManufacturer} for that fallback).
 */
export function manufacturerKey(name: string): string {
  return manufacturerTokens(name).join('-');
}

export interface ManufacturerIdentity {
  /** Canonical key, e.g. 'abbott'; for unknown names a normalised key of the name itself. */
  key: string;
  /** Display name of the canonical manufacturer ('Abbott'). */
  name: string;
  /** True when the input was found in the table (alias or canonical), false when only normalised. */
  known: boolean;
  /** How the input reached the canonical name, e.g. ['St. Jude Medical', 'acquired by Abbott (2017)'] — for explanations. */
  via: string[];
}

interface LookupTarget {
  entry: ManufacturerEntry;
  /** Explanation steps after the input itself (empty for the canonical name). */
  steps: readonly string[];
}

function acquisitionStep(owner: ManufacturerEntry, acq: z.infer<typeof acquiredSchema>): string {
  if (acq.relation === 'subsidiary') return `part of ${owner.name}`;
  return acq.year === undefined ? `acquired by ${owner.name}` : `acquired by ${owner.name} (${acq.year})`;
}

/** key → target; built once. A key claimed by two entries is a table error and fails at load. */
const LOOKUP: ReadonlyMap<string, LookupTarget> = (() => {
  const map = new Map<string, LookupTarget>();
  const add = (alias: string, target: LookupTarget): void => {
    const key = manufacturerKey(alias);
    if (key === '') return;
    const existing = map.get(key);
    if (existing !== undefined && existing.entry.key !== target.entry.key) {
      throw new Error(
        `manufacturers.json: '${alias}' maps to both '${existing.entry.key}' and '${target.entry.key}'`,
      );
    }
    // First registration wins inside one entry: the canonical name is registered before aliases.
    if (existing === undefined) map.set(key, target);
  };
  for (const entry of MANUFACTURERS) {
    add(entry.name, { entry, steps: [] });
    add(entry.key, { entry, steps: [] });
    for (const alias of entry.aliases) add(alias, { entry, steps: [`alias of ${entry.name}`] });
    for (const acq of entry.acquired) {
      const steps = [...(acq.through ?? []), acquisitionStep(entry, acq)];
      add(acq.name, { entry, steps });
      for (const alias of acq.aliases ?? []) add(alias, { entry, steps: [`alias of ${acq.name}`, ...steps] });
    }
  }
  return map;
})();

/** Every alias key in the table with the entry it maps to (for tests and diagnostics). */
export function manufacturerLookupKeys(): ReadonlyMap<string, string> {
  return new Map([...LOOKUP].map(([k, v]) => [k, v.entry.key]));
}

const PARENTHESES = /\(([^)]*)\)/g;
const COMPOSITE_SEPARATOR = /\s*(?:,|;|\/|&|\band\b)\s*/i;

interface Found {
  target: LookupTarget;
  extra: string[];
}

/** Direct lookup, then without trailing descriptor words ('Mindray Medical' → 'Mindray'). */
function lookupTokens(tokens: readonly string[]): Found | undefined {
  const direct = LOOKUP.get(tokens.join('-'));
  if (direct !== undefined) return { target: direct, extra: [] };
  const rest = [...tokens];
  const dropped: string[] = [];
  while (rest.length > 1 && DESCRIPTOR_WORDS.has(rest[rest.length - 1] ?? '')) {
    dropped.unshift(rest.pop() ?? '');
    while (rest.length > 1 && CORPORATE_SUFFIXES.has(rest[rest.length - 1] ?? '')) rest.pop();
    const target = LOOKUP.get(rest.join('-'));
    if (target !== undefined)
      return { target, extra: [`read as '${rest.join(' ')}' (ignoring '${dropped.join(' ')}')`] };
  }
  return undefined;
}

/** Lookup of one vendor string without splitting joint vendors. */
function lookupSingle(name: string): Found | undefined {
  const found = lookupTokens(manufacturerTokens(name));
  if (found !== undefined) return found;
  if (!name.includes('(')) return undefined;
  // 'Acme Devices (Acme)': try the text outside the parentheses, then inside them.
  const outside = name.replace(PARENTHESES, ' ');
  const o = lookupTokens(manufacturerTokens(outside));
  if (o !== undefined) return { target: o.target, extra: ['ignoring the parenthesised part', ...o.extra] };
  for (const m of name.matchAll(PARENTHESES)) {
    const inner = lookupTokens(manufacturerTokens(m[1] ?? ''));
    if (inner !== undefined) return { target: inner.target, extra: [`read as '${m[1]}'`, ...inner.extra] };
  }
  return undefined;
}

function identity(input: string, found: Found): ManufacturerIdentity {
  return {
    key: found.target.entry.key,
    name: found.target.entry.name,
    known: true,
    via: [input, ...found.extra, ...found.target.steps],
  };
}

/**
 * Every manufacturer a vendor string names. Joint advisories name several
 * ('Silex Technology and GE Healthcare', 'ENEA, Green Hills Software, ITRON, IP Infusion, and Wind
 * River'); they are split only when the whole string is not itself a table name and every part is.
 */
export function resolveManufacturers(name: string): ManufacturerIdentity[] {
  const input = name.trim();
  const single = lookupSingle(input);
  if (single !== undefined) return [identity(input, single)];
  const parts = input
    .split(COMPOSITE_SEPARATOR)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (parts.length > 1) {
    const found = parts.map((p) => ({ part: p, found: lookupSingle(p) }));
    if (found.every((f) => f.found !== undefined)) {
      const seen = new Set<string>();
      const out: ManufacturerIdentity[] = [];
      for (const f of found) {
        if (f.found === undefined || seen.has(f.found.target.entry.key)) continue;
        seen.add(f.found.target.entry.key);
        const id = identity(f.part, f.found);
        out.push({ ...id, via: [input, `joint advisory, vendor '${f.part}'`, ...id.via.slice(1)] });
      }
      return out;
    }
  }
  return [{ key: manufacturerKey(input), name: input, known: false, via: [input] }];
}

/**
 * The canonical manufacturer for a vendor string (advisory vendor or CMMS manufacturer). For a joint
 * advisory the first named vendor is returned; use {@link resolveManufacturers} to get all of them.
 */
export function resolveManufacturer(name: string): ManufacturerIdentity {
  const all = resolveManufacturers(name);
  const first = all[0];
  if (first === undefined)
    return { key: manufacturerKey(name), name: name.trim(), known: false, via: [name.trim()] };
  if (all.length > 1) {
    first.via.push(
      `also names ${all
        .slice(1)
        .map((m) => m.name)
        .join(', ')}`,
    );
  }
  return first;
}

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

/** Brand names of each manufacturer key: its name, aliases and the companies it acquired. Built once. */
const BRANDS: ReadonlyMap<string, readonly string[]> = new Map(
  MANUFACTURERS.map((e) => [
    e.key,
    [e.name, ...e.aliases, ...e.acquired.flatMap((a) => [a.name, ...(a.aliases ?? [])])],
  ]),
);

function nameWords(text: string): string[] {
  return fold(text)
    .replace(DOTS_APOSTROPHES, '')
    .split(NON_ALNUM)
    .filter((t) => t.length > 0);
}

/**
 * An advisory's product name without the brand it starts with ('BD Pyxis MedStation ES',
 * 'GE Aisys', 'Welch Allyn Connex Spot Monitor (CSM)' under vendor Baxter), when the brand is the
 * vendor or one of the manufacturer's names and none of the device's model names carries it: the
 * hospital records the model without the maker's name. Null when there is no such brand, or nothing
 * significant would be left.
 */
export function withoutLeadingBrand(
  productName: string,
  manufacturerKey: string,
  vendor: string | null,
  deviceModels: readonly string[],
): { name: string; brand: string } | null {
  const words = nameWords(productName);
  let best: string[] = [];
  for (const brand of [...(BRANDS.get(manufacturerKey) ?? []), ...(vendor ? [vendor] : [])]) {
    const b = nameWords(brand);
    if (b.length > best.length && b.length < words.length && b.every((w, i) => words[i] === w)) best = b;
  }
  if (best.length === 0) return null;
  const carried = (model: string) => {
    const m = nameWords(model);
    return m.some((_, i) => best.every((w, j) => m[i + j] === w));
  };
  if (deviceModels.some(carried)) return null;
  // Cut the written name after the brand's last word, keeping the rest as written.
  const pattern = new RegExp(`^[^\\p{L}\\p{N}]*${best.map((w) => `${w}[^\\p{L}\\p{N}]*`).join('')}`, 'iu');
  const cut = pattern.exec(productName);
  if (cut === null) return null;
  const rest = productName.slice(cut[0].length).trim();
  if (profile(rest).significant.length === 0) return null;
  return { name: rest, brand: cut[0].trim() };
}

/**
 * Model key: lower case, no diacritics, no punctuation or whitespace at all, so 'Merlin@home',
 * 'merlin @ Home' and 'MERLIN-HOME' are one key and 'MX 400' equals 'MX400'. Idempotent.
 */
export function modelKey(name: string): string {
  return fold(name).replace(NON_ALNUM_G, '');
}

/** Words that never identify a product; a name made only of these never matches anything. */
const GENERIC_WORDS = new Set([
  'monitor',
  'monitors',
  'pump',
  'pumps',
  'system',
  'systems',
  'software',
  'firmware',
  'version',
  'versions',
  'model',
  'models',
  'series',
  'all',
  'any',
  'device',
  'devices',
  'product',
  'products',
  'family',
  'number',
  'no',
  'type',
  'based',
  'and',
  'or',
  'with',
  'without',
  'for',
  'the',
  'of',
  'in',
  'on',
  'to',
  'by',
  'including',
  'incl',
  'only',
  'other',
  'line',
]);

/**
 * Category words: they narrow a name ('Syringe' vs 'Volumetric') and so count when checking that one
 * name's words are inside the other, but sharing only these does not make two names the same product.
 */
const WEAK_WORDS = new Set([
  'infusion',
  'syringe',
  'patient',
  'vital',
  'signs',
  'wireless',
  'station',
  'server',
  'workstation',
  'central',
  'telemetry',
  'receiver',
  'transmitter',
  'programmer',
  'controller',
  'module',
  'gateway',
  'client',
  'viewer',
  'dicom',
  'pacs',
  'imaging',
  'ultrasound',
  'ventilator',
  'anesthesia',
  'analyzer',
  'scanner',
  'battery',
  'pack',
  'wifi',
  'wlan',
  'medical',
  'clinical',
  'portable',
  'bedside',
  'mobile',
  'remote',
  'home',
  'care',
  'data',
  'network',
  'manager',
  'management',
  'application',
  'app',
  'plus',
  'cardiology',
  'cardiac',
  'unit',
  'portal',
  'tool',
  'service',
  'suite',
  'insulin',
  'glucose',
  'meter',
  'windows',
  'express',
  'connect',
  'smart',
  'digital',
  'health',
  'healthcare',
  'hemodialysis',
  'dialysis',
  'cardiographs',
  'generator',
  'interface',
  'integrated',
  'wall',
  'testing',
  'stress',
  'resting',
  'holter',
  'analysis',
  'extended',
  'worn',
  'handheld',
  'hub',
]);

/** Long word followed by a number in one token ('MedStation4000', 'Spot4400'): split. */
const LONG_WORD_THEN_NUMBER = /^([a-z]{4,})(\d[a-z0-9]*)$/;
const SHORT_LETTERS = /^[a-z]{1,4}$/;
const STARTS_WITH_DIGIT = /^\d/;
const RANGE_TEXT_CLEAN = /[^a-z0-9-]+/g;
const RANGE = /(?<![a-z0-9])([a-z]{0,4})(\d+)\s*-\s*([a-z]{0,4})(\d+)(?![a-z0-9])/g;
const PREFIX_NUMBER = /^([a-z]{0,4})(\d+)$/;

interface NumberRange {
  prefix: string;
  lo: number;
  hi: number;
  text: string;
}

interface Profile {
  raw: string;
  /** Significant tokens in order (generic words removed). */
  significant: string[];
  /** Every token, generic or not, plus glued compounds ('MX 400' also covers 'mx400'). */
  covers: Set<string>;
  ranges: NumberRange[];
}

/** Any token with a digit is a model designator ('8015', 'mx40', '722k', and the '7' of 'LOGIQ 7'). */
function isModelish(token: string): boolean {
  return DIGIT.test(token);
}

function isDistinctive(token: string): boolean {
  return isModelish(token) || (token.length >= 4 && !WEAK_WORDS.has(token) && !GENERIC_WORDS.has(token));
}

function baseTokens(name: string): string[] {
  const out: string[] = [];
  for (const t of fold(name).replace(DECIMAL_POINT, '$1$2').split(NON_ALNUM)) {
    if (t === '') continue;
    const m = LONG_WORD_THEN_NUMBER.exec(t);
    if (m?.[1] !== undefined && m[2] !== undefined) out.push(m[1], m[2]);
    else out.push(t);
  }
  return out;
}

function profile(name: string): Profile {
  const tokens = baseTokens(name);
  const covers = new Set(tokens);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    const next = tokens[i + 1];
    // 'MX 400' / 'MMT-1740' can also be written 'MX400' / 'MMT1740'. The reverse (splitting 'CL320'
    // into 'cl' + '320') is deliberately not done: 'Optima 320' is not the 'Optima CL320'.
    if (next !== undefined && SHORT_LETTERS.test(t) && STARTS_WITH_DIGIT.test(next)) covers.add(t + next);
  }
  const ranges: NumberRange[] = [];
  for (const m of fold(name).replace(RANGE_TEXT_CLEAN, ' ').matchAll(RANGE)) {
    const [text, p1 = '', lo = '', p2 = '', hi = ''] = m;
    const loN = Number(lo);
    const hiN = Number(hi);
    if ((p2 === '' || p2 === p1) && loN < hiN && hiN - loN <= 10_000)
      ranges.push({ prefix: p1, lo: loN, hi: hiN, text });
  }
  return { raw: name.trim(), significant: tokens.filter((t) => !GENERIC_WORDS.has(t)), covers, ranges };
}

function inRange(token: string, ranges: readonly NumberRange[]): NumberRange | undefined {
  if (ranges.length === 0) return undefined;
  const m = PREFIX_NUMBER.exec(token);
  if (m?.[2] === undefined) return undefined;
  const n = Number(m[2]);
  return ranges.find((r) => r.prefix === (m[1] ?? '') && n >= r.lo && n <= r.hi);
}

interface Containment {
  contained: boolean;
  sharedModelNumber: boolean;
  sharedDistinctive: string | undefined;
  viaRange: NumberRange | undefined;
}

/**
 * Is `a`'s i-th significant token in `b`: as a token, or glued to its short neighbour ('MX 400' in a
 * name that says 'MX400')?
 */
function tokenCovered(a: Profile, i: number, b: Profile): boolean {
  const t = a.significant[i] ?? '';
  if (b.covers.has(t)) return true;
  const prev = a.significant[i - 1];
  if (prev !== undefined && SHORT_LETTERS.test(prev) && STARTS_WITH_DIGIT.test(t) && b.covers.has(prev + t)) {
    return true;
  }
  const next = a.significant[i + 1];
  return (
    next !== undefined && SHORT_LETTERS.test(t) && STARTS_WITH_DIGIT.test(next) && b.covers.has(t + next)
  );
}

/** Are all of `a`'s significant tokens found in `b`? */
function containment(a: Profile, b: Profile): Containment {
  let sharedModelNumber = false;
  let sharedDistinctive: string | undefined;
  let viaRange: NumberRange | undefined;
  for (let i = 0; i < a.significant.length; i++) {
    const t = a.significant[i] ?? '';
    let ok = tokenCovered(a, i, b);
    if (!ok) {
      const r = inRange(t, b.ranges);
      if (r !== undefined) {
        ok = true;
        viaRange = r;
      }
    }
    if (!ok)
      return {
        contained: false,
        sharedModelNumber: false,
        sharedDistinctive: undefined,
        viaRange: undefined,
      };
    if (isModelish(t)) sharedModelNumber = true;
    if (sharedDistinctive === undefined && isDistinctive(t)) sharedDistinctive = t;
  }
  return { contained: a.significant.length > 0, sharedModelNumber, sharedDistinctive, viaRange };
}

/** Model-number tokens of `a` that `b` does not contain (directly or within a range). */
function unmatchedModelNumbers(a: Profile, b: Profile): string[] {
  return a.significant.filter(
    (t, i) => isModelish(t) && !tokenCovered(a, i, b) && inRange(t, b.ranges) === undefined,
  );
}

/**
 * A short designator that the longer name adds right after a shared model number ('Innova 3100-IQ',
 * 'Windows Server 2008 R2', 'MedStation 4000 T2'): often a different variant, so the match is weaker.
 */
function qualifierAfterModelNumber(longer: Profile, shorter: Profile): string | undefined {
  const sig = longer.significant;
  for (let i = 0; i < sig.length - 1; i++) {
    const t = sig[i] ?? '';
    const next = sig[i + 1] ?? '';
    if (!isModelish(t) || !shorter.covers.has(t)) continue;
    if (shorter.covers.has(next) || inRange(t, longer.ranges) !== undefined) continue;
    // 'MiniMed 523K/723K', 'FM20/FM30/FM40': a sibling of the same shape is a list, not a qualifier.
    if (isModelish(next) && shape(next) === shape(t)) continue;
    if (isModelish(next) || next.length <= 3) return next;
  }
  return undefined;
}

const LETTERS_G = /[a-z]/g;
const DIGITS_G = /\d/g;

/** 'mx400' → 'aa999': list siblings ('fm20', 'fm30') share a shape, qualifiers ('2008', 'r2') do not. */
function shape(token: string): string {
  return token.replace(LETTERS_G, 'a').replace(DIGITS_G, '9');
}

/** Tokens of `a` that `b` lacks and that are short designators ('gs' vs 'gh', 'a' vs 'i'). */
function unsharedShortTokens(a: Profile, b: Profile): boolean {
  return a.significant.some((t, i) => t.length < 4 && !tokenCovered(a, i, b));
}

/** Optimal string alignment distance, bounded: returns max+1 as soon as it is certainly exceeded. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (prevPrev[j - 2] ?? 0) + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prevPrev = prev;
    prev = cur;
  }
  return prev[b.length] ?? max + 1;
}

function bigrams(s: string): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < s.length - 1; i++) {
    const g = s.slice(i, i + 2);
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/** Sørensen–Dice coefficient over character bigrams. */
function dice(a: string, b: string): number {
  if (a.length < 2 || b.length < 2) return 0;
  const ga = bigrams(a);
  const gb = bigrams(b);
  let common = 0;
  for (const [g, n] of ga) common += Math.min(n, gb.get(g) ?? 0);
  return (2 * common) / (a.length - 1 + (b.length - 1));
}

interface TokenFuzzy {
  approx: [string, string][];
  distinctive: boolean;
}

/** Every significant token of `a` is in `b` exactly or within a small edit distance (words ≥ 4 only). */
function tokenFuzzy(a: Profile, b: Profile): TokenFuzzy | undefined {
  const approx: [string, string][] = [];
  let distinctive = false;
  for (const t of a.significant) {
    if (b.covers.has(t)) {
      if (isDistinctive(t)) distinctive = true;
      continue;
    }
    if (isModelish(t) || t.length < 4) return undefined;
    const max = t.length >= 8 ? 2 : 1;
    const hit = b.significant.find((u) => !isModelish(u) && u.length >= 4 && editDistance(t, u, max) <= max);
    if (hit === undefined) return undefined;
    approx.push([t, hit]);
    if (isDistinctive(t) || isDistinctive(hit)) distinctive = true;
  }
  return approx.length > 0 && a.significant.length > 0 ? { approx, distinctive } : undefined;
}

export type NameMatchKind = 'exact' | 'normalized' | 'token' | 'fuzzy' | 'none';
export interface NameMatch {
  kind: NameMatchKind;
  confidence: number;
  reason: string;
}

const EXCLUSION_MARKER =
  /\s*[,;]?\s*\(?\s*\b(?:not including|excluding|except for|except|other than|but not)\b\s*:?\s*/i;
const EXCLUSION_LIST_SEPARATOR = /\s*(?:;|,\s*(?:and|or)\s+|,|\band\b|\bor\b)\s*/i;
const TRAILING_QUALIFIER = /\s*(?::\s*all versions?|\)|\.)\s*$/i;
const ALL_MODELS = /^all(?:\s+(?:models|products|devices|versions|systems))?$/i;

/**
 * 'All models, not including X and Y' / 'all versions except …' → { base, excluded: ['X','Y'] };
 * no exclusion → { base: productName (trimmed), excluded: [] }. Trailing ': all versions' and closing
 * parentheses are removed from the excluded names.
 */
export function productExclusions(productName: string): { base: string; excluded: string[] } {
  const text = productName.trim();
  const m = EXCLUSION_MARKER.exec(text);
  if (m === null || m.index === 0) return { base: text, excluded: [] };
  const base = text.slice(0, m.index).trim();
  let tail = text.slice(m.index + m[0].length);
  for (let prev = ''; prev !== tail; ) {
    prev = tail;
    tail = tail.replace(TRAILING_QUALIFIER, '');
  }
  const excluded = tail
    .split(EXCLUSION_LIST_SEPARATOR)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return { base: base === '' ? text : base, excluded };
}

const NONE_CONFIDENCE = 0;

function none(reason: string): NameMatch {
  return { kind: 'none', confidence: NONE_CONFIDENCE, reason };
}

function quote(s: string): string {
  return `'${s}'`;
}

function compareCore(device: Profile, product: Profile, label: string): NameMatch {
  const d = quote(device.raw);
  if (device.significant.length === 0) return none(`model ${d} has only generic words`);
  if (product.significant.length === 0) return none(`product ${label} has only generic words`);

  const dMissing = unmatchedModelNumbers(device, product);
  const pMissing = unmatchedModelNumbers(product, device);
  if (dMissing.length > 0 && pMissing.length > 0) {
    return none(`model numbers differ: ${dMissing.join(', ')} vs ${pMissing.join(', ')}`);
  }

  const candidates: NameMatch[] = [];
  for (const [a, b, dir] of [
    [device, product, 'model words are all in the product name'],
    [product, device, 'product words are all in the model'],
  ] as const) {
    const c = containment(a, b);
    if (!c.contained || c.sharedDistinctive === undefined) continue;
    // Without a shared model number the contained name is less specific than the other one (device
    // 'Alaris PC Unit', product '... Model 8015'): a candidate at 0.8, not a confirmation.
    let confidence = c.sharedModelNumber ? 0.9 : 0.8;
    let why = c.sharedModelNumber ? 'same model number' : `shared ${quote(c.sharedDistinctive)}`;
    if (c.viaRange !== undefined) {
      confidence = 0.8;
      why = `model number within range ${quote(c.viaRange.text)}`;
    }
    const qualifier = c.sharedModelNumber ? qualifierAfterModelNumber(b, a) : undefined;
    if (qualifier !== undefined) {
      confidence = 0.8;
      why = `same model number, but ${a === device ? 'the product' : 'the model'} adds ${quote(qualifier)}`;
    }
    candidates.push({ kind: 'token', confidence, reason: `model ${d} ~ product ${label} (${dir}; ${why})` });
  }
  const bestToken = candidates.sort((x, y) => y.confidence - x.confidence)[0];
  if (bestToken !== undefined) return bestToken;

  // Beyond this point the names differ in words; any model number left unmatched on either side means
  // a different product (CareLink 2090 vs CareLink Express Monitor).
  if (dMissing.length > 0 || pMissing.length > 0) {
    return none(`model number ${[...dMissing, ...pMissing].join(', ')} not in the other name`);
  }

  const fuzzies: NameMatch[] = [];
  for (const [a, b] of [
    [device, product],
    [product, device],
  ] as const) {
    const f = tokenFuzzy(a, b);
    if (f === undefined || !f.distinctive) continue;
    const confidence = Math.max(0.5, 0.75 - 0.1 * (f.approx.length - 1));
    const pairs = f.approx.map(([x, y]) => `${quote(x)}≈${quote(y)}`).join(', ');
    fuzzies.push({
      kind: 'fuzzy',
      confidence,
      reason: `model ${d} ≈ product ${label} (spelling differs: ${pairs})`,
    });
  }
  const bestFuzzy = fuzzies.sort((x, y) => y.confidence - x.confidence)[0];
  if (bestFuzzy !== undefined) return bestFuzzy;

  const dk = device.significant.join('');
  const pk = product.significant.join('');
  // Whole-name similarity only when the difference is in long words: short designators that differ
  // ('Alaris GS' vs 'Alaris GH', 'Signa HDxt' vs 'Signa HDx') name different products.
  if (
    dk.length >= 6 &&
    pk.length >= 6 &&
    device.significant.some(isDistinctive) &&
    !unsharedShortTokens(device, product) &&
    !unsharedShortTokens(product, device)
  ) {
    const s = dice(dk, pk);
    if (s >= 0.85) {
      const confidence = Math.min(0.75, 0.5 + ((s - 0.85) / 0.15) * 0.25);
      return {
        kind: 'fuzzy',
        confidence: Math.round(confidence * 100) / 100,
        reason: `model ${d} ≈ product ${label} (similar spelling, ${Math.round(s * 100)}% bigram overlap)`,
      };
    }
  }
  return none(`model ${d} and product ${label} share no distinctive word or model number`);
}

/**
 * Compare a device's model (as the hospital recorded it) with an advisory's product name, both under
 * the same manufacturer. Confidence: exact/normalized 1.0; token 0.8 (shared distinctive word) or 0.9
 * (shared model number); fuzzy 0.5–0.75; none 0.
 */
export function compareModelNames(deviceModel: string, productName: string): NameMatch {
  const d = deviceModel.trim();
  const p = productName.trim();
  if (d === '' || p === '') return none('empty name');
  if (d === p) return { kind: 'exact', confidence: 1, reason: `model ${quote(d)} = product ${quote(p)}` };
  const dk = modelKey(d);
  if (dk !== '' && dk === modelKey(p)) {
    return {
      kind: 'normalized',
      confidence: 1,
      reason: `model ${quote(d)} = product ${quote(p)} (case/punctuation ignored)`,
    };
  }

  const device = profile(d);
  const { base, excluded } = productExclusions(p);
  for (const ex of excluded) {
    const exProfile = profile(ex);
    const same = modelKey(ex) === dk || containment(exProfile, device).contained;
    if (same) return none(`product ${quote(p)} excludes ${quote(ex)}, which model ${quote(d)} is`);
  }
  if (excluded.length > 0 && ALL_MODELS.test(base)) {
    return {
      kind: 'token',
      confidence: 0.8,
      reason: `product ${quote(p)} covers every model of the manufacturer except the ones named`,
    };
  }
  const label = excluded.length > 0 ? `${quote(base)} (of ${quote(p)})` : quote(p);
  if (excluded.length > 0 && modelKey(base) === dk && dk !== '') {
    // Not 'normalized': that kind is reserved for whole-name equality, which is symmetric.
    return {
      kind: 'token',
      confidence: 0.9,
      reason: `model ${quote(d)} = product ${label} apart from the exclusions`,
    };
  }
  return compareCore(device, profile(base), label);
}

/** A long text prepared once for {@link nameWordsIn}: a recall's product description, say. */
export interface NameText {
  readonly profile: Profile;
}

export function nameText(text: string): NameText {
  return { profile: profile(text) };
}

/** Words of a manufacturer's names (its own, aliases, acquired brands) by manufacturer key. Built once. */
const BRAND_WORDS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  [...BRANDS].map(([key, names]) => [key, new Set(names.flatMap(baseTokens))]),
);

/** The words naming these manufacturers: each name's own, and those of its table entry when it has one. */
function makerWords(makers: readonly string[]): Set<string> {
  const words = new Set<string>();
  for (const maker of makers) {
    for (const t of baseTokens(maker)) words.add(t);
    for (const t of BRAND_WORDS.get(resolveManufacturer(maker).key) ?? []) words.add(t);
  }
  return words;
}

/**
 * Does `name` say which product it is: a word with a digit, or a distinctive word that does not name
 * one of `makers` (their aliases and acquired brands included)? 'Ventilator' and 'Covidien Ventilator'
 * under Covidien or Medtronic do not: they name a maker and a kind of device, which every product of
 * that maker shares; 'RotoProne' and '980 Ventilator' do.
 */
export function namesProduct(name: string, makers: readonly string[]): boolean {
  const brand = makerWords(makers);
  return profile(name).significant.some((t) => isDistinctive(t) && !brand.has(t));
}

/**
 * Does `text` use every significant word of `name` (generic words such as System or Monitor aside), in
 * any order, with at least one distinctive one that is not the maker's ({@link namesProduct}: the
 * `makers` are the device's manufacturer and the recalling firm): 'RotoProne Bed' and 'RotoProne
 * 209500' in "RotoProne powered patient rotation bed, part #209500", but not 'Philips Patient Monitor'
 * in a recall of Philips's "IntelliVue MX40 patient worn monitor". A name with a word shorter than 3
 * characters (the 7 of 'LOGIQ 7', the A of 'Sigma A') is never found this way: such a word turns up
 * anywhere in prose, so only the name as a phrase can be trusted.
 */
export function nameWordsIn(name: string, text: NameText, makers: readonly string[]): boolean {
  const p = profile(name);
  if (p.significant.length === 0 || p.significant.some((t) => t.length < 3)) return false;
  return namesProduct(name, makers) && p.significant.every((_, i) => tokenCovered(p, i, text.profile));
}

/**
 * For indexing: short keys a model name can be found under — its {@link modelKey}, its model-number
 * tokens (also glued/split forms: 'MMT-1740' → 'mmt1740', '1740') and its distinctive words (≥ 4
 * letters, not generic). Any pair that {@link compareModelNames} calls exact, normalized or token
 * (except via a number range) shares at least one key. 'All models, not including …' products get '*'.
 */
export function modelIndexKeys(name: string): string[] {
  const { base, excluded } = productExclusions(name);
  const keys = new Set<string>();
  const full = modelKey(name);
  if (full !== '') keys.add(full);
  if (excluded.length > 0 && ALL_MODELS.test(base)) keys.add('*');
  const p = profile(base);
  const bk = modelKey(base);
  if (bk !== '') keys.add(bk);
  for (const t of p.covers) {
    if (GENERIC_WORDS.has(t)) continue;
    if (isDistinctive(t)) keys.add(t);
  }
  return [...keys].sort();
}
