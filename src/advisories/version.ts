/**
 * @module Parses and compares firmware/software versions as medical-device manufacturers write them
 * (`12.2.0.1`, `v15.0.0`, `R2.1A`, `S4 A.07.107`, `1.2.3 build 45`, `Rev B`, `12.2.x.x`).
 *
 * A version is tokenised into numeric and alphabetic segments; the separators (`.`, `-`, `_`, space,
 * `/`, `+`, `:`) only delimit segments. Ordering rules, and why:
 *
 * 1. Numeric segments compare as integers of any size (`1.10 > 1.9`, `8.01.01 = 8.1.1`): manufacturers
 *    number releases, they do not write decimal fractions. Big values (`4107600010.23`) are compared as
 *    digit strings so no precision is lost.
 * 2. Missing numeric segments count as zero (`1.2 = 1.2.0`, `1.2 < 1.2.1`): advisories write `< 1.10`
 *    and inventories record `1.10.0` for the same release.
 * 3. A trailing word or letter makes a version *later* (`1.2a > 1.2`, `R2.1A > R2.1`,
 *    `1.2.3 build 45 > 1.2.3`, `V14 SP1 > V14`): in device firmware a suffix letter, build, service pack
 *    or update is a later revision of the same release. The exception is a pre-release keyword
 *    (`dev`, `snapshot`, `alpha`, `beta`, `pre`, `preview`, `rc`), which sorts *before* its release, as
 *    in semver (`1.0.0-rc1 < 1.0.0`), and in that order among themselves.
 * 4. Single letters compare alphabetically (`Rev B < Rev M`, `A.07 < B.02`): revision letters.
 *    Equal words compare equal (`SP1 < SP2`, `BT03 < BT06`).
 * 5. Anything else is **incomparable** and yields `undefined`: a number against a word (`8.0.4` vs
 *    `R8.0.3`, `BT03` vs `2.1`) or two different multi-letter words (`build 4` vs `sp 1`). These are
 *    different numbering schemes; guessing would silently mark a device affected or not.
 * 6. `x`, `X` or `*` as a whole segment is a wildcard that ends the version: `12.2.x.x` is the prefix
 *    pattern `12.2.*`. Comparing against a pattern gives `0` when the other version lies inside it
 *    (`12.2.7` vs `12.2.x.x`), otherwise the order of the prefixes (`12.3 > 12.2.x.x`). So `0` means
 *    "equal or matched by the pattern", which makes `<= 12.2.x.x` and `4.X` read as manufacturers mean.
 *    With patterns the order is not transitive; that is the price of reading them literally.
 * 7. Leading `v`/`V` before a digit and leading words `Version`, `Ver.`, `Rev`, `Revision`, `Release`
 *    are dropped (`v15.0.0 = 15.0.0`, `Rev B = B`); letters compare case-insensitively (`4.X = 4.x`).
 *
 * {@link parseVersion} refuses text that does not look like a version (product names, sentences): a
 * word longer than three letters must be one of the known version words (`build`, `update`, …), and
 * there must be a number or a lone revision letter (`TCP` is not a version, `N` is).
 * Semver build metadata (`+sha`) is *not* ignored: manufacturers use `+`/`-` for build numbers.
 */

/** One token of a version: a run of digits or a run of letters (lower-cased). */
export type VersionSegment =
  | { readonly kind: 'number'; readonly digits: string }
  | { readonly kind: 'word'; readonly text: string };

export interface Version {
  /** The text as given, trimmed. */
  readonly raw: string;
  /** Segments before any wildcard. */
  readonly segments: readonly VersionSegment[];
  /** True for prefix patterns such as `12.2.x.x`, `4.X`, `5.*`. */
  readonly wildcard: boolean;
}

export type VersionOrder = -1 | 0 | 1;

/** Longest text we try to read as a version; longer is prose, and bounding it bounds the work. */
const MAX_VERSION_LENGTH = 120;

const PRE_RELEASE_RANK: ReadonlyMap<string, number> = new Map([
  ['dev', 0],
  ['snapshot', 0],
  ['alpha', 1],
  ['beta', 2],
  ['pre', 3],
  ['preview', 3],
  ['rc', 4],
]);

/**
 * Words that occur inside real version strings. Anything longer than three letters and not listed
 * here means the text is a product name or a sentence, not a version (`882160 Gemini Dual`).
 */
const VERSION_WORDS: ReadonlySet<string> = new Set([
  ...PRE_RELEASE_RANK.keys(),
  'build',
  'service',
  'pack',
  'update',
  'patch',
  'hotfix',
  'fix',
  'final',
  'release',
]);

const LEADING_WORDS = /^(?:version|ver\.?|revision|rev\.?|release)\s*/i;
const SEPARATORS = /[.\-_\s/+:]+/;
const WILDCARD = /^[xX*]$/;
const TOKEN = /\d+|[a-z]+/g;
const ALLOWED = /^[A-Za-z0-9.\-_\s/+:*]+$/;

/**
 * Parses a version, or returns `undefined` when the text is not a version.
 *
 * @example parseVersion('R2.1A')?.segments // r, 2, 1, a
 * @example parseVersion('12.2.x.x') // { segments: 12, 2; wildcard: true }
 * @example parseVersion('882160 Gemini Dual') // undefined: a model number and name
 */
export function parseVersion(text: string): Version | undefined {
  const raw = text.trim();
  if (raw === '' || raw.length > MAX_VERSION_LENGTH || !ALLOWED.test(raw)) return undefined;
  let rest = raw.replace(LEADING_WORDS, '');
  // `v15` and `V2.5` but not `VX.223` (a product prefix) or `vers`.
  rest = rest.replace(/^[vV](?=\d)/, '');
  const segments: VersionSegment[] = [];
  let wildcard = false;
  for (const piece of rest.split(SEPARATORS)) {
    if (piece === '') continue;
    if (WILDCARD.test(piece)) {
      wildcard = true;
      continue;
    }
    // Only more wildcards may follow one (`12.2.x.x`); `MCE_3.x_Cert_Edition` is a name.
    if (wildcard || piece.includes('*')) return undefined;
    for (const token of piece.toLowerCase().match(TOKEN) ?? []) {
      if (/^\d/.test(token)) segments.push({ kind: 'number', digits: token.replace(/^0+(?=\d)/, '') });
      else if (token.length <= 3 || VERSION_WORDS.has(token)) segments.push({ kind: 'word', text: token });
      else return undefined;
    }
  }
  // A version has a number, or is a bare revision letter (`Rev B`, `N`); `TCP` or `DNS` is not one.
  const revisionLetter =
    segments.length === 1 && segments[0]?.kind === 'word' && segments[0].text.length === 1;
  if (!revisionLetter && !segments.some((segment) => segment.kind === 'number')) return undefined;
  return { raw, segments, wildcard };
}

/**
 * Orders two versions: -1 if `a` is earlier, 1 if later, 0 if equal (or one is a pattern matching the
 * other), `undefined` if either is not a version or they use different numbering schemes.
 *
 * @example compareVersions('1.2', '1.2.1') // -1
 * @example compareVersions('R2.1A', 'R2.1') // 1
 * @example compareVersions('12.2.5', '12.2.x.x') // 0
 * @example compareVersions('BT03', '2.1') // undefined
 */
export function compareVersions(a: string | Version, b: string | Version): VersionOrder | undefined {
  const left = typeof a === 'string' ? parseVersion(a) : a;
  const right = typeof b === 'string' ? parseVersion(b) : b;
  if (!left || !right) return undefined;
  const sa = left.segments;
  const sb = right.segments;
  const length = Math.max(sa.length, sb.length);
  for (let i = 0; i < length; i++) {
    const x = sa[i];
    const y = sb[i];
    if (x && y) {
      const order = compareSegments(x, y);
      if (order !== 0) return order;
      continue;
    }
    // One side ran out. A pattern matches everything that extends its prefix.
    if (!x && left.wildcard) return 0;
    if (!y && right.wildcard) return 0;
    const extra = (x ?? y)!;
    const sign: VersionOrder = x ? 1 : -1;
    if (extra.kind === 'number') {
      if (extra.digits === '0') continue;
      return sign;
    }
    return PRE_RELEASE_RANK.has(extra.text) ? (-sign as VersionOrder) : sign;
  }
  return 0;
}

function compareSegments(x: VersionSegment, y: VersionSegment): VersionOrder | undefined {
  if (x.kind === 'number' && y.kind === 'number') return compareDigits(x.digits, y.digits);
  if (x.kind === 'word' && y.kind === 'word') {
    if (x.text === y.text) return 0;
    const rx = PRE_RELEASE_RANK.get(x.text);
    const ry = PRE_RELEASE_RANK.get(y.text);
    if (rx !== undefined && ry !== undefined) return rx === ry ? undefined : rx < ry ? -1 : 1;
    if (x.text.length === 1 && y.text.length === 1) return x.text < y.text ? -1 : 1;
    return undefined;
  }
  // A pre-release keyword sorts before any number at its position (`1.0-rc1 < 1.0.1`).
  const word = x.kind === 'word' ? x.text : (y as { text: string }).text;
  if (!PRE_RELEASE_RANK.has(word)) return undefined;
  return x.kind === 'word' ? -1 : 1;
}

/** Compares unsigned integers written without leading zeros, of any length. */
function compareDigits(a: string, b: string): VersionOrder {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}
