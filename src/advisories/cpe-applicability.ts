/**
 * @module NVD CVE API 2.0 applicability: evaluates a CVE's `configurations` (AND/OR nodes, negate,
 * cpeMatch with vulnerable flag and version bounds) against one product, with a reason per criterion.
 *
 * Three-valued: what the hospital does not know about a device (its version, its update level, the
 * platform it runs on) makes a criterion `unknown`, never a silent "not affected".
 *
 * @see NISTIR 7696 §6.1–6.2 (name matching, used for each `criteria` CPE)
 * @see NVD CVE API 2.0 schema, `configurations[].nodes[].cpeMatch[]`
 */
import {
  CPE_ATTRIBUTES,
  type Cpe,
  type CpeRelation,
  type CpeValue,
  compareCpeValues,
  cpeLiteral,
  formatCpe,
  parseCpe,
} from './cpe.js';
import { compareVersions, parseVersion } from './version.js';

/** One `cpeMatch` entry as NVD API 2.0 publishes it. */
export interface NvdCpeMatch {
  vulnerable: boolean;
  criteria: string;
  matchCriteriaId?: string;
  versionStartIncluding?: string;
  versionStartExcluding?: string;
  versionEndIncluding?: string;
  versionEndExcluding?: string;
}

export interface NvdNode {
  operator: 'AND' | 'OR';
  negate?: boolean;
  cpeMatch: NvdCpeMatch[];
}

export interface NvdConfiguration {
  operator?: 'AND' | 'OR';
  negate?: boolean;
  nodes: NvdNode[];
}

/**
 * What is known about the product being checked.
 * - `cpes`: the product's own CPEs; when one has version ANY, `version` fills it in.
 * - `platforms`: CPEs of the platform it runs on or with (OS, hardware), taken as written. When
 *   omitted the platform is unknown, so a non-vulnerable platform criterion is `unknown`; when
 *   given (even empty) the list is taken as complete.
 */
export interface ApplicabilityTarget {
  cpes: string[];
  version?: string;
  platforms?: string[];
}

export type Tri = boolean | 'unknown';

export interface CriterionResult {
  criteria: string;
  vulnerable: boolean;
  /** The criterion's `versionEndExcluding`: the first version outside it, i.e. a fix exists. */
  fixedFrom?: string;
  result: Tri;
  reason: string;
}

export interface ApplicabilityResult {
  applies: Tri;
  /** Criteria that held (result true) or might hold (result 'unknown'), with why. */
  matched: CriterionResult[];
  /** The product's or platforms' CPEs that could not be parsed, with reason and offset. */
  problems: string[];
}

const and = (xs: Tri[]): Tri => (xs.includes(false) ? false : xs.includes('unknown') ? 'unknown' : true);
const or = (xs: Tri[]): Tri => (xs.includes(true) ? true : xs.includes('unknown') ? 'unknown' : false);
const not = (x: Tri): Tri => (x === 'unknown' ? 'unknown' : !x);

/**
 * Evaluates a CVE's configurations. Configurations are alternatives (OR). The CVE applies when a
 * configuration holds and a `vulnerable: true` criterion in it matched one of the device's CPEs; a
 * configuration that holds only through non-vulnerable (running-on/with) criteria does not.
 * An empty or missing configuration list is `unknown`: no applicability data is not "not affected".
 */
export function evaluateConfigurations(
  configurations: readonly NvdConfiguration[] | undefined,
  target: ApplicabilityTarget,
): ApplicabilityResult {
  const env = buildEnvironment(target);
  if (!configurations || configurations.length === 0) {
    return { applies: 'unknown', matched: [], problems: env.errors };
  }
  // Every product CPE was malformed: the product cannot be judged, which is not "not affected".
  if (env.products.length === 0 && target.cpes.length > 0) {
    return { applies: 'unknown', matched: [], problems: env.errors };
  }
  const matched: CriterionResult[] = [];
  const perConfig: Tri[] = [];
  for (const config of configurations) {
    const results: CriterionResult[] = [];
    const nodeValues = config.nodes.map((node) => {
      const values = node.cpeMatch.map((m) => {
        const r = evaluateCriterion(m, env);
        results.push(r);
        return r.result;
      });
      const v = node.operator === 'AND' ? and(values) : or(values);
      return node.negate ? not(v) : v;
    });
    let value = config.operator === 'AND' ? and(nodeValues) : or(nodeValues);
    if (config.negate) value = not(value);
    const vulnerable = or(results.filter((r) => r.vulnerable).map((r) => r.result));
    const applies = and([value, vulnerable]);
    perConfig.push(applies);
    if (applies !== false) matched.push(...results.filter((r) => r.result !== false));
  }
  return { applies: or(perConfig), matched, problems: env.errors };
}

interface Environment {
  products: { cpe: Cpe; text: string }[];
  platforms: { cpe: Cpe; text: string }[];
  platformsKnown: boolean;
  errors: string[];
}

function buildEnvironment(target: ApplicabilityTarget): Environment {
  const errors: string[] = [];
  const products: { cpe: Cpe; text: string }[] = [];
  for (const text of target.cpes) {
    const p = parseCpe(text);
    if (!p.ok) {
      errors.push(`${text}: ${p.reason} at ${p.offset}`);
      continue;
    }
    // The product's version usually lives outside its CPE (inventory field); put it in the name.
    // Not into a hardware CPE: the recorded version is the firmware's/software's, not the board's.
    const cpe =
      target.version !== undefined &&
      target.version !== '' &&
      p.cpe.version.kind === 'any' &&
      !isHardware(p.cpe)
        ? { ...p.cpe, version: cpeLiteral(target.version) }
        : p.cpe;
    products.push({ cpe, text: formatCpe(cpe) });
  }
  const platforms: { cpe: Cpe; text: string }[] = [];
  for (const text of target.platforms ?? []) {
    const p = parseCpe(text);
    if (p.ok) platforms.push({ cpe: p.cpe, text: formatCpe(p.cpe) });
    else errors.push(`${text}: ${p.reason} at ${p.offset}`);
  }
  return { products, platforms, platformsKnown: target.platforms !== undefined, errors };
}

const hasRange = (m: NvdCpeMatch): boolean =>
  m.versionStartIncluding !== undefined ||
  m.versionStartExcluding !== undefined ||
  m.versionEndIncluding !== undefined ||
  m.versionEndExcluding !== undefined;

function evaluateCriterion(m: NvdCpeMatch, env: Environment): CriterionResult {
  const base = {
    criteria: m.criteria,
    vulnerable: m.vulnerable,
    ...(m.versionEndExcluding !== undefined ? { fixedFrom: m.versionEndExcluding } : {}),
  };
  const parsed = parseCpe(m.criteria);
  if (!parsed.ok) {
    return {
      ...base,
      result: 'unknown',
      reason: `criteria not parseable (${parsed.reason} at ${parsed.offset})`,
    };
  }
  // Any CPE of the device may satisfy a criterion: its own (firmware, hardware) or a declared
  // platform. A vulnerable platform (say the embedded Windows) makes the device affected as well;
  // the reason names which CPE matched so the explanation shows it.
  const candidates = [
    ...env.products.map((p) => ({ ...p, label: '' })),
    ...env.platforms.map((p) => ({ ...p, label: 'platform ' })),
  ];
  let best: CriterionResult | undefined;
  for (const cand of candidates) {
    const r = matchOne(parsed.cpe, m, cand.cpe);
    const res = { ...base, result: r.result, reason: `${cand.label}${cand.text}: ${r.reason}` };
    if (r.result === true) return res;
    if (r.result === 'unknown' && best?.result !== 'unknown') best = res;
    if (!best) best = res;
  }
  if (!m.vulnerable && !env.platformsKnown && best?.result !== true) {
    return { ...base, result: 'unknown', reason: 'platform not recorded for this product' };
  }
  return best ?? { ...base, result: false, reason: 'no CPE given for the product' };
}

const VERSIONLESS_RELATIONS: readonly CpeRelation[] = ['SUPERSET', 'EQUAL'];

/** Matches one criteria name (plus its version bounds) against one product name. */
function matchOne(source: Cpe, m: NvdCpeMatch, target: Cpe): { result: Tri; reason: string } {
  const ranged = hasRange(m);
  let unknown: string | undefined;
  for (const a of CPE_ATTRIBUTES) {
    // With bounds, NVD leaves the criteria version at "*" and the bounds decide.
    if (a === 'version' && ranged) continue;
    // NVD writes an unversioned hardware platform as version "-" (or "*"): any revision of that
    // hardware qualifies, so the version is not compared (NISTIR 7696 alone would make "-" DISJOINT
    // from a recorded revision).
    if (a === 'version' && isHardware(source) && source.version.kind !== 'value') continue;
    const rel = compareCpeValues(source[a], target[a]);
    if (VERSIONLESS_RELATIONS.includes(rel)) continue;
    if (rel === 'DISJOINT') {
      if (a === 'version' && versionsEqual(source.version, target.version)) continue;
      return { result: false, reason: `${a} differs (${show(source[a])} vs ${show(target[a])})` };
    }
    // SUBSET: the criteria is specific where the product is ANY (unrecorded) → cannot decide.
    unknown ??= `${a} ${show(source[a])} required but the product's ${a} is not recorded`;
  }
  if (ranged) {
    const v = target.version;
    if (v.kind !== 'value' || v.leading !== '' || v.trailing !== '') {
      return {
        result: 'unknown',
        reason: `version bounds ${describeRange(m)} but the product's version is not recorded`,
      };
    }
    const inRange = versionInRange(v.literal, m);
    if (inRange === 'unknown') {
      return {
        result: 'unknown',
        reason: `version ${v.literal} cannot be compared with ${describeRange(m)}`,
      };
    }
    if (!inRange) return { result: false, reason: `version ${v.literal} outside ${describeRange(m)}` };
    if (unknown) return { result: 'unknown', reason: unknown };
    return { result: true, reason: `matches, version ${v.literal} in ${describeRange(m)}` };
  }
  if (unknown) return { result: 'unknown', reason: unknown };
  const why = source.version.kind === 'any' ? 'any version' : `version ${show(source.version)}`;
  return { result: true, reason: `matches (${why})` };
}

const isHardware = (c: Cpe): boolean => c.part.kind === 'value' && c.part.literal.toLowerCase() === 'h';

const show = (v: CpeValue): string =>
  v.kind === 'any' ? '*' : v.kind === 'na' ? '-' : v.leading + v.literal + v.trailing;

function versionsEqual(a: CpeValue, b: CpeValue): boolean {
  // "8.1" and "8.1.0" name the same release; NISTIR 7696 compares strings, NVD data mixes both.
  if (a.kind !== 'value' || b.kind !== 'value') return false;
  if (a.leading || a.trailing || b.leading || b.trailing) return false;
  // compareVersions answers 0 for "inside a pattern" too (`4.x`); only exact releases count here.
  const x = parseVersion(a.literal);
  const y = parseVersion(b.literal);
  if (!x || !y || x.wildcard || y.wildcard) return false;
  return compareVersions(x, y) === 0;
}

export function describeRange(m: NvdCpeMatch): string {
  const lo =
    m.versionStartIncluding !== undefined
      ? `>= ${m.versionStartIncluding}`
      : m.versionStartExcluding !== undefined
        ? `> ${m.versionStartExcluding}`
        : undefined;
  const hi =
    m.versionEndIncluding !== undefined
      ? `<= ${m.versionEndIncluding}`
      : m.versionEndExcluding !== undefined
        ? `< ${m.versionEndExcluding}`
        : undefined;
  return [lo, hi].filter((x) => x !== undefined).join(', ');
}

/**
 * Checks NVD bounds with the shared manufacturer-version comparator (version.ts), so NVD and CSAF
 * matches order versions alike (`9.8P7 > 9.8`, `1.0rc1 < 1.0`). A version the comparator cannot
 * read, or a pattern such as `4.x` that may straddle a bound, is `unknown`.
 */
function versionInRange(text: string, m: NvdCpeMatch): Tri {
  const v = parseVersion(text);
  if (!v || v.wildcard) return 'unknown';
  const checks: [string | undefined, (c: number) => boolean][] = [
    [m.versionStartIncluding, (c) => c >= 0],
    [m.versionStartExcluding, (c) => c > 0],
    [m.versionEndIncluding, (c) => c <= 0],
    [m.versionEndExcluding, (c) => c < 0],
  ];
  for (const [bound, ok] of checks) {
    if (bound === undefined) continue;
    const c = compareVersions(v, bound);
    if (c === undefined) return 'unknown';
    if (!ok(c)) return false;
  }
  return true;
}
