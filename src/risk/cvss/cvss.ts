/**
 * CVSS scoring facade: strict grammar (cvss-vector.ts) first, then numbers.
 *
 * - v3.0, v3.1, v4.0 scores come from ae-cvss-calculator, which agrees with every published score in
 *   the oracle (NVD, CNA, CISA-ADP, CSAF; test/fixtures/cvss) and every Red Hat test vector. It is only
 *   ever given a normalised, grammar-checked vector because it scores malformed input as 0.
 * - v2 is computed in cvss-v2.ts: the library's binary-float rounding gets half-way temporal and
 *   environmental values wrong (8.55 → 8.5).
 *
 * Score semantics:
 * - `baseScore` is always the base-metrics-only score (v4.0 nomenclature CVSS-B), whatever else the
 *   vector carries.
 * - `temporalScore` (v2/v3) is present when a temporal metric is defined (not X/ND).
 * - `threatScore` (v4.0) is CVSS-BT, present when E is defined; environmental metrics are ignored for it.
 * - `environmentalScore` is present when an environmental metric is defined. It is the score of the
 *   whole vector: for v3 it includes temporal metrics (spec §7.3), for v4.0 it is CVSS-BE or, with E
 *   defined, CVSS-BTE.
 * - Severity is the qualitative rating of `baseScore`: v3/v4 bands (spec §5 / v4 §6), and for v2
 *   NVD's bands LOW 0–3.9, MEDIUM 4–6.9, HIGH 7–10 (the v2 guide defines none).
 *
 * Note: CNAs publishing v4.0 put the score of the full vector in `baseScore` (4 oracle rows carry E:U
 * or E:P and a "baseScore" that is really CVSS-BT); compare such numbers with
 * `environmentalScore ?? threatScore ?? baseScore`, see `overallScore`.
 *
 * @see https://www.first.org/cvss/v2/guide
 * @see https://www.first.org/cvss/v3.0/specification-document
 * @see https://www.first.org/cvss/v3.1/specification-document
 * @see https://www.first.org/cvss/v4.0/specification-document
 * @see https://nvd.nist.gov/vuln-metrics/cvss (v2 severity bands)
 */
import cvssLib from 'ae-cvss-calculator';
import { scoreCvss2 } from './cvss-v2.js';
import {
  type CvssParseError,
  type CvssVersion,
  formatCvssVector,
  metricDef,
  notDefinedValue,
  type ParsedCvss,
  parseCvssVector,
} from './cvss-vector.js';

export type CvssSeverity = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

export interface CvssScore {
  version: CvssVersion;
  /** normalised vector */
  vector: string;
  baseScore: number;
  baseSeverity: CvssSeverity | null;
  temporalScore?: number;
  environmentalScore?: number;
  /** v4.0 CVSS-BT, only when the vector has threat metrics */
  threatScore?: number;
}

/** Qualitative severity of a score (v3.x/v4.0 bands; v2 uses NVD's three bands). */
export function cvssSeverity(version: CvssVersion, score: number): CvssSeverity {
  if (version === '2.0') return score < 4 ? 'LOW' : score < 7 ? 'MEDIUM' : 'HIGH';
  if (score === 0) return 'NONE';
  return score < 4 ? 'LOW' : score < 7 ? 'MEDIUM' : score < 9 ? 'HIGH' : 'CRITICAL';
}

/** The most specific score the vector yields: what a publisher's single "score" usually is. */
export function overallScore(score: CvssScore): number {
  return score.environmentalScore ?? score.threatScore ?? score.temporalScore ?? score.baseScore;
}

function hasDefined(parsed: ParsedCvss, groups: readonly string[]): boolean {
  const nd = notDefinedValue(parsed.version);
  return Object.entries(parsed.metrics).some(
    ([name, value]) => value !== nd && groups.includes(metricDef(parsed.version, name)?.group ?? ''),
  );
}

/** Scores a grammar-checked vector; the library is never handed anything the grammar did not accept. */
export function scoreParsedCvss(parsed: ParsedCvss): CvssScore {
  const { version, vector } = parsed;
  const hasTemporal = hasDefined(parsed, ['temporal']);
  const hasThreat = hasDefined(parsed, ['threat']);
  const hasEnvironmental = hasDefined(parsed, ['environmental']);
  let out: CvssScore;
  if (version === '2.0') {
    const s = scoreCvss2(parsed.metrics);
    out = { version, vector, baseScore: s.base, baseSeverity: cvssSeverity(version, s.base) };
    if (hasTemporal) out.temporalScore = s.temporal;
    if (hasEnvironmental) out.environmentalScore = s.environmental;
  } else if (version === '4.0') {
    const s = new cvssLib.Cvss4P0(vector).calculateScores();
    const base = s.baseMetricsOnly ?? s.overall;
    out = { version, vector, baseScore: base, baseSeverity: cvssSeverity(version, base) };
    if (hasThreat) out.threatScore = s.threat ?? s.overall;
    // The library's `environmental` drops threat metrics (CVSS-BE); the full vector is CVSS-BTE.
    if (hasEnvironmental) out.environmentalScore = s.overall;
  } else {
    const s = (
      version === '3.0' ? new cvssLib.Cvss3P0(vector) : new cvssLib.Cvss3P1(vector)
    ).calculateScores();
    const base = s.base ?? s.overall;
    out = { version, vector, baseScore: base, baseSeverity: cvssSeverity(version, base) };
    if (hasTemporal) out.temporalScore = s.temporal ?? s.overall;
    if (hasEnvironmental) out.environmentalScore = s.environmental ?? s.overall;
  }
  return out;
}

export function scoreCvss(vector: string): { ok: true; score: CvssScore } | CvssParseError {
  const parsed = parseCvssVector(vector);
  if (!parsed.ok) return parsed;
  return { ok: true, score: scoreParsedCvss(parsed) };
}

/**
 * Set environmental (and, for v4.0, supplemental, e.g. S = Safety) metrics on a vector and return the
 * normalised result. Setting a metric to Not Defined (X; v2 ND) removes it. Base metrics are refused:
 * the environmental way to change them is the Modified metric (MAV for AV), which keeps the published
 * base score intact. Temporal/threat metrics are refused too: they describe the exploit landscape,
 * not the hospital's environment.
 */
export function withEnvironmental(
  vector: string,
  metrics: Record<string, string>,
): { ok: true; vector: string } | CvssParseError {
  const parsed = parseCvssVector(vector);
  if (!parsed.ok) return parsed;
  const { version } = parsed;
  const next: Record<string, string> = { ...parsed.metrics };
  for (const [name, value] of Object.entries(metrics)) {
    const m = metricDef(version, name);
    if (!m) return argError(vector, `unknown metric ${name} for CVSS ${version}`, name);
    if (m.group === 'base') {
      const modified = metricDef(version, `M${name}`);
      const hint = modified ? `; set ${modified.name} instead` : '';
      return argError(vector, `${name} is a base metric and cannot be set as environmental${hint}`, name);
    }
    if (m.group === 'temporal' || m.group === 'threat') {
      return argError(vector, `${name} is a ${m.group} metric, not an environmental one`, name);
    }
    if (typeof value !== 'string' || !m.values.includes(value)) {
      return argError(
        vector,
        `unknown value ${String(value)} for metric ${name} (allowed: ${m.values.join(', ')})`,
        name,
      );
    }
    if (value === notDefinedValue(version)) delete next[name];
    else next[name] = value;
  }
  return { ok: true, vector: formatCvssVector(version, next) };
}

function argError(vector: string, message: string, metric: string): CvssParseError {
  return { ok: false, vector, message, metric, offset: -1 };
}
