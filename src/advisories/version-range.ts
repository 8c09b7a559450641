/**
 * @module Parses the version ranges found in advisories (`vers:` and the free forms CISA writes in CSAF
 * `product_version_range` / `product_version`) and decides whether a device's version is in one.
 *
 * Nothing is dropped: text that cannot be read becomes `{ kind: 'unparsed', raw, reason }`, and
 * {@link versionInRange} answers `'unknown'` for it, so the matcher shows it for review.
 *
 * Conventions read from the real ICSMA files (see test/fixtures/advisories/version-ranges/):
 * - `|` separates constraints as in `vers:`: a lower bound followed by an upper bound is one interval
 *   (`>= 1.0.0 | <= 1.1.1` is 1.0.0 to 1.1.1, not "anything"), everything else is a union
 *   (`<= U61 |<= L81`, `4.X | 5.X`).
 * - Trailing parenthesised remarks (`<= 1.54 (integrated into GE MobileLink)`) are kept as `notes`,
 *   not interpreted.
 * - Text naming a month (`< august 28`, `shipped between 26-June-2017 through 07-August 2018`) is a
 *   scope by date, `kind: 'date'`: it can only be decided from a manufacture date, never from a version.
 * - Lists of model numbers in the version slot (`MMT-1740 | MMT-1741`, icsma-22-263-01) are `unparsed`
 *   with reason `looks like model numbers`, not a `list`: they identify products, not versions, and
 *   the matcher must move them to the product identity (and a person must see that), while a `list`
 *   would quietly never match any firmware version.
 *
 * @see https://github.com/package-url/purl-spec/blob/master/VERSION-RANGE-SPEC.rst (vers)
 * @see CSAF 2.0 §3.1.2.3.2 product_version_range, §3.1.2.3.1 product_version
 */
import { compareVersions, parseVersion, type Version } from './version.js';

export type Comparator = '<' | '<=' | '>' | '>=' | '=' | '!=';

export interface VersionConstraint {
  readonly comparator: Comparator;
  /** The version as written (without the comparator); compared with {@link compareVersions}. */
  readonly version: string;
}

/** A calendar date of which any part may be missing (`august 28`, `May 2018`). Month is 1–12. */
export interface PartialDate {
  readonly year?: number;
  readonly month?: number;
  readonly day?: number;
}

export interface DateBound {
  readonly date: PartialDate;
  readonly inclusive: boolean;
}

export type VersionRange =
  | { readonly kind: 'all'; readonly raw: string; readonly notes: readonly string[] }
  | {
      readonly kind: 'constraints';
      readonly raw: string;
      /** Disjunction of conjunctions: in range if every constraint of some alternative holds. */
      readonly alternatives: readonly (readonly VersionConstraint[])[];
      /** The `vers:` scheme when given (`generic`, `semver`, …); all schemes are compared generically. */
      readonly scheme?: string;
      readonly notes: readonly string[];
    }
  | {
      readonly kind: 'list';
      readonly raw: string;
      /** Exact versions or prefix patterns (`4.X`). */
      readonly versions: readonly string[];
      readonly notes: readonly string[];
    }
  | {
      readonly kind: 'date';
      readonly raw: string;
      readonly after?: DateBound;
      readonly before?: DateBound;
      /** Text that restricts the scope besides the date (`with wireless option`). */
      readonly qualifier?: string;
    }
  | { readonly kind: 'unparsed'; readonly raw: string; readonly reason: string };

export type RangeVerdict = 'in' | 'out' | 'unknown';

const MAX_RANGE_LENGTH = 500;

const MONTHS: readonly [RegExp, number][] = [
  [/^jan(uary)?$/, 1],
  [/^feb(ruary)?$/, 2],
  [/^mar(ch)?$/, 3],
  [/^apr(il)?$/, 4],
  [/^may$/, 5],
  [/^june?$/, 6],
  [/^july?$/, 7],
  [/^aug(ust)?$/, 8],
  [/^sep(t|tember)?$/, 9],
  [/^oct(ober)?$/, 10],
  [/^nov(ember)?$/, 11],
  [/^dec(ember)?$/, 12],
];
// Letter lookarounds rather than \b, because CISA also writes `<July_2026` and `_` is a word character.
const MONTH_WORD =
  /(?<![a-z])(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])/i;
const DATE_SCOPE = /\b(?:shipped|distributed|manufactured|produced)\b/i;

/** Bare model designations: letters, optionally hyphenated, then a 3+ digit number (`MMT-1740`, `CR-IR 357`). */
const MODEL_NUMBER = /^[A-Za-z]{2,}(?:-[A-Za-z]+)*[-\s]\d{3,}[A-Za-z]?$/;

/**
 * Parses a version range or single version as written in an advisory. Never throws.
 *
 * @example parseVersionRange('vers:generic/>=1.0.0|<1.1.1') // constraints [[>=1.0.0, <1.1.1]]
 * @example parseVersionRange('2.3.6 and  below') // constraints [[<=2.3.6]]
 * @example parseVersionRange('< august 28') // date, before { month: 8, day: 28 }
 */
export function parseVersionRange(text: string): VersionRange {
  const raw = text.trim();
  if (raw === '') return unparsed(raw, 'empty');
  if (raw.length > MAX_RANGE_LENGTH) return unparsed(raw, 'too long for a version range');
  if (/^vers:/i.test(raw)) return parseVers(raw);

  const { core, notes } = splitNotes(raw);
  if (MONTH_WORD.test(core) || DATE_SCOPE.test(raw) || (core === '' && MONTH_WORD.test(raw))) {
    return parseDateScope(raw);
  }
  if (core === '') return unparsed(raw, 'only a remark, no version');

  const between = parseBetween(core);
  if (between)
    return between.ok ? withNotes(constraints(raw, [between.value]), notes) : unparsed(raw, between.reason);

  const pieces = core
    .split('|')
    .map((piece) => piece.trim())
    .filter((piece) => piece !== '');
  if (pieces.length === 0) return unparsed(raw, 'no version');
  if (pieces.every((piece) => MODEL_NUMBER.test(piece))) {
    return unparsed(raw, 'looks like model numbers');
  }
  const parsed: Piece[] = [];
  for (const piece of pieces) {
    const result = parsePiece(piece);
    if (!result.ok) return unparsed(raw, `${result.reason}: ${JSON.stringify(piece)}`);
    parsed.push(result.value);
  }
  if (parsed.some((piece) => piece.type === 'all')) return { kind: 'all', raw, notes };
  if (parsed.every((piece) => piece.type === 'exact')) {
    return {
      kind: 'list',
      raw,
      versions: parsed.flatMap((piece) => (piece.type === 'exact' ? piece.versions : [])),
      notes,
    };
  }
  return withNotes(
    constraints(
      raw,
      pairBounds(
        parsed.flatMap((piece) =>
          piece.type === 'exact'
            ? piece.versions.map((version) => [{ comparator: '=' as const, version }])
            : piece.type === 'constraints'
              ? [piece.constraints]
              : [],
        ),
      ),
    ),
    notes,
  );
}

/**
 * Decides whether `version` is in `range`. A device with no recorded version is `in` only for `all`;
 * unparsed and date ranges are always `unknown`, as is any comparison across numbering schemes.
 */
export function versionInRange(version: string | null, range: VersionRange): RangeVerdict {
  if (range.kind === 'all') return 'in';
  if (version === null || range.kind === 'unparsed' || range.kind === 'date') return 'unknown';
  if (!parseVersion(version)) return 'unknown';
  if (range.kind === 'list') {
    let unknown = false;
    for (const listed of range.versions) {
      const order = compareVersions(version, advisoryVersion(listed));
      if (order === 0) return 'in';
      if (order === undefined) unknown = true;
    }
    return unknown ? 'unknown' : 'out';
  }
  let unknown = false;
  for (const alternative of range.alternatives) {
    const verdict = allHold(version, alternative);
    if (verdict === 'in') return 'in';
    if (verdict === 'unknown') unknown = true;
  }
  return unknown ? 'unknown' : 'out';
}

function allHold(version: string, alternative: readonly VersionConstraint[]): RangeVerdict {
  let unknown = false;
  for (const constraint of alternative) {
    const holds = satisfies(version, constraint);
    if (holds === false) return 'out';
    if (holds === undefined) unknown = true;
  }
  return unknown ? 'unknown' : 'in';
}

function satisfies(version: string, { comparator, version: bound }: VersionConstraint): boolean | undefined {
  const order = compareVersions(version, advisoryVersion(bound));
  if (order === undefined) return undefined;
  switch (comparator) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
  }
}

/**
 * A version as an advisory names it. A lone revision letter (`Rev M`, the `N` of `<=N`) names the
 * revision with all its releases, the way Philips numbers IntelliVue firmware (`M.00.03` is a release of
 * revision M): it is the pattern `M.*`, so `Rev J-M` includes `M.00.03`. Only on the advisory's side: a
 * device recorded as just `M` is not thereby every release of M.
 */
function advisoryVersion(text: string): Version | string {
  const parsed = parseVersion(text);
  if (parsed === undefined) return text;
  const first = parsed.segments[0];
  return parsed.segments.length === 1 && first?.kind === 'word' && first.text.length === 1
    ? { ...parsed, wildcard: true }
    : parsed;
}

// --- vers -----------------------------------------------------------------------------------------

/**
 * `vers:<scheme>/<constraint>|<constraint>…`. Every scheme is compared with the generic rules of
 * {@link compareVersions}; the scheme is kept so a caller can tell. Lenient where CISA is not
 * conformant (`vers:all/<VX.223.0 Update 2`: spaces, and constraints under `all`).
 *
 * @see VERSION-RANGE-SPEC "Version constraints" and "Version range containment"
 */
function parseVers(raw: string): VersionRange {
  const slash = raw.indexOf('/');
  if (slash < 0) return unparsed(raw, 'vers: without "/"');
  const scheme = raw.slice('vers:'.length, slash).trim().toLowerCase();
  const body = raw.slice(slash + 1).trim();
  if (scheme === '') return unparsed(raw, 'vers: without a scheme');
  if (body === '*') return { kind: 'all', raw, notes: [] };
  if (body === '') return unparsed(raw, 'vers: without constraints');
  const parsed: VersionConstraint[] = [];
  for (const part of body.split('|')) {
    const match = /^\s*(<=|>=|!=|<|>|=)?\s*(.*?)\s*$/.exec(part)!;
    let version = match[2]!;
    try {
      version = decodeURIComponent(version);
    } catch {
      return unparsed(raw, `bad percent-encoding in ${JSON.stringify(part)}`);
    }
    if (!parseVersion(version)) return unparsed(raw, `not a version: ${JSON.stringify(version)}`);
    parsed.push({ comparator: (match[1] ?? '=') as Comparator, version });
  }
  // `!=` removes a version from the whole range, so it joins every alternative.
  const exclusions = parsed.filter((c) => c.comparator === '!=');
  const others = parsed.filter((c) => c.comparator !== '!=');
  const alternatives = others.length === 0 ? [[]] : pairBounds(others.map((c) => [c]));
  return {
    kind: 'constraints',
    raw,
    scheme,
    alternatives: alternatives.map((alternative) => [...alternative, ...exclusions]),
    notes: [],
  };
}

/**
 * Joins a lone lower bound followed by a lone upper bound into one interval, as vers reads a sorted
 * constraint list and as CISA writes `>= 1.0.0 | <= 1.1.1`; everything else stays its own alternative.
 */
function pairBounds(alternatives: VersionConstraint[][]): VersionConstraint[][] {
  const result: VersionConstraint[][] = [];
  for (let i = 0; i < alternatives.length; i++) {
    const current = alternatives[i]!;
    const next = alternatives[i + 1];
    if (current.length === 1 && isLower(current[0]!) && next?.length === 1 && isUpper(next[0]!)) {
      result.push([current[0]!, next[0]!]);
      i++;
    } else result.push(current);
  }
  return result;
}

const isLower = (c: VersionConstraint) => c.comparator === '>' || c.comparator === '>=';
const isUpper = (c: VersionConstraint) => c.comparator === '<' || c.comparator === '<=';

// --- free forms -----------------------------------------------------------------------------------

type Result<T> = { ok: true; value: T } | { ok: false; reason: string };
type Piece =
  | { type: 'all' }
  | { type: 'exact'; versions: string[] }
  | { type: 'constraints'; constraints: VersionConstraint[] };

const VERSIONS_PREFIX = /^(?:all\s+)?(?:versions?\s+|releases?\s+)?/i;
const OPERATOR = /^(<=|>=|!=|==|=<|=>|<|>|=)\s*/;

function parsePiece(text: string): Result<Piece> {
  if (/^(?:\*|all|all versions|any|any version)$/i.test(text)) return { ok: true, value: { type: 'all' } };

  const operator = OPERATOR.exec(text);
  if (operator) {
    const comparator = normaliseOperator(operator[1]!);
    const rest = text.slice(operator[0].length);
    // `>= V2.5 < V2.6.1`: two constraints in one piece, both must hold.
    const second = /^(.+?)\s*(<=|<|>=|>)\s*(.+)$/.exec(rest);
    if (second && parseVersion(second[1]!) && parseVersion(second[3]!)) {
      return ok([
        { comparator, version: second[1]!.trim() },
        { comparator: normaliseOperator(second[2]!), version: second[3]!.trim() },
      ]);
    }
    return version(rest)
      ? ok([{ comparator, version: rest.trim() }])
      : fail('not a version after the operator');
  }

  // `A10 < A11`, `0 < 8.0.1`: from the first to the second.
  const infix = /^(.+?)\s*(<=|<)\s*(.+)$/.exec(text);
  if (infix) {
    const [, low, op, high] = infix;
    // The left side must be a version of the same scheme: `NMC2 <= 6.9.6` names a card, not a bound.
    const order = compareVersions(low!, high!);
    if (order === -1 || order === 0) {
      return ok([
        { comparator: '>=', version: low!.trim() },
        { comparator: normaliseOperator(op!), version: high!.trim() },
      ]);
    }
    return fail('text before the operator is not a version (a product qualifier?)');
  }

  const rest = text.replace(VERSIONS_PREFIX, '');
  let match = /^(?:prior to|before|earlier than|older than|lower than|less than|below)\s+(.+)$/i.exec(rest);
  if (match)
    return version(match[1]!) ? ok([{ comparator: '<', version: match[1]! }]) : fail('not a version');
  match = /^(?:up to(?: and including)?|through|until)\s+(.+)$/i.exec(rest);
  if (match)
    return version(match[1]!) ? ok([{ comparator: '<=', version: match[1]! }]) : fail('not a version');
  match = /^(.+?)\s+(?:and|or)\s+(?:below|prior|earlier|older|lower|before)$/i.exec(rest);
  if (match)
    return version(match[1]!) ? ok([{ comparator: '<=', version: match[1]! }]) : fail('not a version');
  match = /^(.+?)\s+(?:and|or)\s+(?:above|later|newer|higher|after)$/i.exec(rest);
  if (match)
    return version(match[1]!) ? ok([{ comparator: '>=', version: match[1]! }]) : fail('not a version');
  // `1.0 - 2.0` with spaces is a range (as in npm); without spaces `1.2.3-45` is one version.
  match = /^(.+?)\s+(?:to|through|thru|-)\s+(.+)$/i.exec(rest);
  if (match) {
    return version(match[1]!) && version(match[2]!)
      ? ok([
          { comparator: '>=', version: match[1]! },
          { comparator: '<=', version: match[2]! },
        ])
      : fail('not a version range');
  }
  // `Rev B-M`: revisions B through M. Only with `Rev`, because `1.2.3-45` is one version.
  match = /^(rev(?:ision)?\.?\s*)([A-Za-z0-9.]+)\s*-\s*([A-Za-z0-9.]+)$/i.exec(text);
  if (match) {
    return ok([
      { comparator: '>=', version: `${match[1]}${match[2]}` },
      { comparator: '<=', version: `${match[1]}${match[3]}` },
    ]);
  }
  // `Release 1.3.2 1.4.0 1.4.1`: a list written with spaces (only dotted numbers, so `HD 16` stays one).
  const words = rest.split(/\s+/);
  if (words.length > 1 && words.every((word) => /^\d+(?:\.\d+)+$/.test(word))) {
    return { ok: true, value: { type: 'exact', versions: words } };
  }
  if (version(text)) return { ok: true, value: { type: 'exact', versions: [text] } };
  return fail('not a version');
}

/** `All versions between V2.5 (including) and V2.7 (excluding)`; bounds are inclusive unless marked. */
function parseBetween(text: string): Result<VersionConstraint[]> | undefined {
  const match =
    /^(?:all\s+)?(?:versions?\s+)?between\s+(.+?)\s*(?:\((in|ex)cluding\))?\s+and\s+(.+?)\s*(?:\((in|ex)cluding\))?$/i.exec(
      text,
    );
  if (!match) return undefined;
  const [, low, lowMode, high, highMode] = match;
  if (!version(low!) || !version(high!)) return fail('not a version range');
  return {
    ok: true,
    value: [
      { comparator: lowMode?.toLowerCase() === 'ex' ? '>' : '>=', version: low! },
      { comparator: highMode?.toLowerCase() === 'ex' ? '<' : '<=', version: high! },
    ],
  };
}

function normaliseOperator(op: string): Comparator {
  if (op === '==') return '=';
  if (op === '=<') return '<=';
  if (op === '=>') return '>=';
  return op as Comparator;
}

/**
 * Splits trailing parenthesised remarks off (`<= 2.01 (end-of-life Nov 2017)`). A piece that is
 * wholly a remark (`| (X3/MX100 for Rev M only)`) is a remark too; a remark that is the whole text
 * and starts with `Release` is unwrapped, since that is a list (`(Release 1.3.2 1.4.0)`).
 */
function splitNotes(raw: string): { core: string; notes: string[] } {
  const notes: string[] = [];
  let core = raw;
  const wrapped = /^\((releases?\s.*)\)$/i.exec(core);
  if (wrapped) return { core: wrapped[1]!, notes };
  for (;;) {
    const match = /\s*\|?\s*\(([^()]*)\)\s*$/.exec(core);
    if (!match || /^\((in|ex)cluding\)$/i.test(match[0].trim())) break;
    notes.unshift(match[1]!.trim());
    core = core.slice(0, match.index).trim();
  }
  return { core, notes };
}

function version(text: string): boolean {
  return parseVersion(text) !== undefined;
}

function ok(constraintList: VersionConstraint[]): Result<Piece> {
  return { ok: true, value: { type: 'constraints', constraints: constraintList } };
}

function fail<T>(reason: string): Result<T> {
  return { ok: false, reason };
}

function unparsed(raw: string, reason: string): VersionRange {
  return { kind: 'unparsed', raw, reason };
}

function constraints(raw: string, alternatives: VersionConstraint[][]): VersionRange {
  return { kind: 'constraints', raw, alternatives, notes: [] };
}

function withNotes(range: VersionRange, notes: string[]): VersionRange {
  return range.kind === 'constraints' ? { ...range, notes } : range;
}

// --- dates ----------------------------------------------------------------------------------------

/**
 * Scopes by date: `< august 28`, `<May 2018`, `with wireless option (shipped between 2016-August 2018)`,
 * `…, between November 2017 and November 2018`. Only the bounds are read; the decision needs a
 * manufacture or UDI production date, which the caller has and this module does not.
 */
function parseDateScope(raw: string): VersionRange {
  const bounded = /^(<=|<|>=|>|before|prior to|after|since)\s*(.+)$/i.exec(raw);
  if (bounded) {
    const date = parseDate(bounded[2]!);
    if (!date) return unparsed(raw, 'mentions a date that could not be read');
    const op = bounded[1]!.toLowerCase();
    const bound = { date, inclusive: op.endsWith('=') || op === 'since' };
    return op.startsWith('<') || op === 'before' || op === 'prior to'
      ? { kind: 'date', raw, before: bound }
      : { kind: 'date', raw, after: bound };
  }
  const between =
    /^(.*?)[\s,(]*\b(?:(?:shipped|distributed|manufactured|produced)\s+)?between\s+(.+?)\)?$/i.exec(raw);
  if (between) {
    const span = splitDateSpan(between[2]!);
    if (span) {
      const qualifier = between[1]!.replace(/[\s,(]+$/, '').trim();
      return {
        kind: 'date',
        raw,
        after: { date: span[0], inclusive: true },
        before: { date: span[1], inclusive: true },
        ...(qualifier ? { qualifier } : {}),
      };
    }
  }
  return unparsed(raw, 'mentions a date that could not be read');
}

/** Tries every `and`/`through`/`to`/`-` in `text` as the split between two dates. */
function splitDateSpan(text: string): [PartialDate, PartialDate] | undefined {
  const separator = /\s+(?:and|through|to|until)\s+|\s*-\s*/gi;
  for (const match of text.matchAll(separator)) {
    const from = parseDate(text.slice(0, match.index));
    const to = parseDate(text.slice(match.index + match[0].length));
    if (from && to) return [from, to];
  }
  return undefined;
}

function parseDate(text: string): PartialDate | undefined {
  let year: number | undefined;
  let month: number | undefined;
  let day: number | undefined;
  const tokens = text
    .trim()
    .toLowerCase()
    .split(/[\s,\-/._]+/)
    .filter((token) => token !== '');
  if (tokens.length === 0 || tokens.length > 3) return undefined;
  for (const token of tokens) {
    const monthNumber = MONTHS.find(([pattern]) => pattern.test(token))?.[1];
    if (monthNumber !== undefined && month === undefined) month = monthNumber;
    else if (/^(19|20)\d\d$/.test(token) && year === undefined) year = Number(token);
    else if (/^\d{1,2}(st|nd|rd|th)?$/.test(token) && day === undefined) {
      day = Number.parseInt(token, 10);
      if (day < 1 || day > 31) return undefined;
    } else return undefined;
  }
  if (month === undefined && year === undefined) return undefined;
  if (day !== undefined && month === undefined) return undefined;
  return {
    ...(year !== undefined ? { year } : {}),
    ...(month !== undefined ? { month } : {}),
    ...(day !== undefined ? { day } : {}),
  };
}
