/**
 * Strict CVSS vector grammar for v2.0, v3.0, v3.1 and v4.0.
 *
 * Scoring libraries are lenient (ae-cvss-calculator scores `CVSS:3.1/AV:X` as 0.0 and silently ignores
 * what it does not understand), so every vector is checked here first and rejected with a message that
 * names the offending metric.
 *
 * Grammar decisions (all deliberate, all tested):
 * - Prefix: `CVSS:3.0/`, `CVSS:3.1/`, `CVSS:4.0/`, upper-case exactly. v2 has no prefix (FIRST v2 guide
 *   §2.4, NVD and CVE JSON 5 `cvssV2_0.vectorString`); `CVSS:2.0/` is rejected rather than guessed at.
 *   A v2 vector wrapped in parentheses, `(AV:N/…)`, as NVD's legacy feeds and web pages print it, is
 *   accepted and the parentheses are dropped from the normalised form.
 * - Metric order: any. v3.0/v3.1 §6 say programs reading vectors "must accept metrics in any order";
 *   v4.0 §7 is ambiguous and real v4 vectors in the wild (e.g. GitHub advisories) are out of order.
 *   The normalised vector lists metrics in the specification's table order.
 * - Every mandatory (base) metric exactly once; no duplicates; no unknown metrics or values; names and
 *   values are case-sensitive (`av:n` is rejected with a hint).
 * - No empty segments, so no leading, doubled or trailing `/`, and no whitespace anywhere: the
 *   caller trims. A trailing slash gets its own message because it is the usual copy-paste slip.
 * - Optional metrics may be given explicitly as Not Defined (`X`, v2 `ND`); they are kept in the
 *   normalised vector because they are part of what the publisher wrote.
 *
 * @see https://www.first.org/cvss/v2/guide (§2.4 vectors, §3.2 equations)
 * @see https://www.first.org/cvss/v3.0/specification-document (§6 vector string)
 * @see https://www.first.org/cvss/v3.1/specification-document (§6 vector string)
 * @see https://www.first.org/cvss/v4.0/specification-document (§7 vector string)
 */

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

export type CvssMetricGroup = 'base' | 'temporal' | 'threat' | 'environmental' | 'supplemental';

export interface CvssMetricDef {
  readonly name: string;
  readonly group: CvssMetricGroup;
  readonly values: readonly string[];
}

export interface CvssParseError {
  ok: false;
  vector: string;
  message: string;
  /** the offending metric (or segment), null when the problem is not tied to one metric */
  metric: string | null;
  /** 0-based character offset in `vector`; -1 when the error is about an argument other than the vector */
  offset: number;
}

export interface ParsedCvss {
  ok: true;
  version: CvssVersion;
  /** normalised: prefix + metrics in specification order, no v2 parentheses */
  vector: string;
  /** metric → value, in specification order */
  metrics: Record<string, string>;
}

const def = (group: CvssMetricGroup, entries: Record<string, readonly string[]>): CvssMetricDef[] =>
  Object.entries(entries).map(([name, values]) => ({ name, group, values }));

const CIA3 = ['N', 'L', 'H'] as const;
const CIA3_X = ['X', 'N', 'L', 'H'] as const;
const REQ = ['X', 'L', 'M', 'H'] as const;

/** v2 guide table in §2.4; `ND` is v2's "Not Defined". */
const V2: readonly CvssMetricDef[] = [
  ...def('base', {
    AV: ['L', 'A', 'N'],
    AC: ['H', 'M', 'L'],
    Au: ['M', 'S', 'N'],
    C: ['N', 'P', 'C'],
    I: ['N', 'P', 'C'],
    A: ['N', 'P', 'C'],
  }),
  ...def('temporal', {
    E: ['U', 'POC', 'F', 'H', 'ND'],
    RL: ['OF', 'TF', 'W', 'U', 'ND'],
    RC: ['UC', 'UR', 'C', 'ND'],
  }),
  ...def('environmental', {
    CDP: ['N', 'L', 'LM', 'MH', 'H', 'ND'],
    TD: ['N', 'L', 'M', 'H', 'ND'],
    CR: ['L', 'M', 'H', 'ND'],
    IR: ['L', 'M', 'H', 'ND'],
    AR: ['L', 'M', 'H', 'ND'],
  }),
];

/** v3.0 and v3.1 share the metric table (v3.1 §6 Table 15); only the formulas differ. */
const V3: readonly CvssMetricDef[] = [
  ...def('base', {
    AV: ['N', 'A', 'L', 'P'],
    AC: ['L', 'H'],
    PR: ['N', 'L', 'H'],
    UI: ['N', 'R'],
    S: ['U', 'C'],
    C: CIA3,
    I: CIA3,
    A: CIA3,
  }),
  ...def('temporal', {
    E: ['X', 'H', 'F', 'P', 'U'],
    RL: ['X', 'U', 'W', 'T', 'O'],
    RC: ['X', 'C', 'R', 'U'],
  }),
  ...def('environmental', {
    CR: REQ,
    IR: REQ,
    AR: REQ,
    MAV: ['X', 'N', 'A', 'L', 'P'],
    MAC: ['X', 'L', 'H'],
    MPR: ['X', 'N', 'L', 'H'],
    MUI: ['X', 'N', 'R'],
    MS: ['X', 'U', 'C'],
    MC: CIA3_X,
    MI: CIA3_X,
    MA: CIA3_X,
  }),
];

/** v4.0 §7 Table 23. MSI/MSA additionally allow S (Safety); supplemental metrics never change scores. */
const V4: readonly CvssMetricDef[] = [
  ...def('base', {
    AV: ['N', 'A', 'L', 'P'],
    AC: ['L', 'H'],
    AT: ['N', 'P'],
    PR: ['N', 'L', 'H'],
    UI: ['N', 'P', 'A'],
    VC: ['H', 'L', 'N'],
    VI: ['H', 'L', 'N'],
    VA: ['H', 'L', 'N'],
    SC: ['H', 'L', 'N'],
    SI: ['H', 'L', 'N'],
    SA: ['H', 'L', 'N'],
  }),
  ...def('threat', { E: ['X', 'A', 'P', 'U'] }),
  ...def('environmental', {
    CR: REQ,
    IR: REQ,
    AR: REQ,
    MAV: ['X', 'N', 'A', 'L', 'P'],
    MAC: ['X', 'L', 'H'],
    MAT: ['X', 'N', 'P'],
    MPR: ['X', 'N', 'L', 'H'],
    MUI: ['X', 'N', 'P', 'A'],
    MVC: ['X', 'H', 'L', 'N'],
    MVI: ['X', 'H', 'L', 'N'],
    MVA: ['X', 'H', 'L', 'N'],
    MSC: ['X', 'H', 'L', 'N'],
    MSI: ['X', 'S', 'H', 'L', 'N'],
    MSA: ['X', 'S', 'H', 'L', 'N'],
  }),
  ...def('supplemental', {
    S: ['X', 'N', 'P'],
    AU: ['X', 'N', 'Y'],
    R: ['X', 'A', 'U', 'I'],
    V: ['X', 'D', 'C'],
    RE: ['X', 'L', 'M', 'H'],
    U: ['X', 'Clear', 'Green', 'Amber', 'Red'],
  }),
];

export const CVSS_METRICS: Readonly<Record<CvssVersion, readonly CvssMetricDef[]>> = {
  '2.0': V2,
  '3.0': V3,
  '3.1': V3,
  '4.0': V4,
};

const PREFIX: Readonly<Record<CvssVersion, string>> = {
  '2.0': '',
  '3.0': 'CVSS:3.0/',
  '3.1': 'CVSS:3.1/',
  '4.0': 'CVSS:4.0/',
};

/** Value meaning "Not Defined" for optional metrics of a version. */
export function notDefinedValue(version: CvssVersion): string {
  return version === '2.0' ? 'ND' : 'X';
}

export function metricDef(version: CvssVersion, name: string): CvssMetricDef | undefined {
  return CVSS_METRICS[version].find((m) => m.name === name);
}

function fail(vector: string, message: string, metric: string | null, offset: number): CvssParseError {
  return { ok: false, vector, message, metric, offset };
}

/** Serialise metrics in specification order (the normalised form). Unknown keys are ignored. */
export function formatCvssVector(version: CvssVersion, metrics: Readonly<Record<string, string>>): string {
  const parts: string[] = [];
  for (const m of CVSS_METRICS[version]) {
    const value = metrics[m.name];
    if (value !== undefined) parts.push(`${m.name}:${value}`);
  }
  return PREFIX[version] + parts.join('/');
}

function caseHint(version: CvssVersion, name: string): string {
  const match = CVSS_METRICS[version].find((m) => m.name.toLowerCase() === name.toLowerCase());
  return match ? ` (metric names are case-sensitive; did you mean ${match.name}?)` : '';
}

export function parseCvssVector(vector: string): ParsedCvss | CvssParseError {
  // The signature says string, but the CLI and JSON importers hand us whatever they got.
  if (typeof vector !== 'string') return fail(String(vector), 'CVSS vector must be a string', null, 0);
  if (vector.length === 0) return fail(vector, 'empty CVSS vector', null, 0);
  const ws = vector.search(/\s/);
  if (ws !== -1) return fail(vector, `whitespace at offset ${ws} is not allowed in a CVSS vector`, null, ws);

  let version: CvssVersion;
  let bodyStart: number;
  let bodyEnd = vector.length;
  if (vector.startsWith('CVSS:')) {
    const slash = vector.indexOf('/');
    const label = slash === -1 ? vector : vector.slice(0, slash);
    const v = label.slice('CVSS:'.length);
    if (v !== '3.0' && v !== '3.1' && v !== '4.0') {
      const hint = v === '2.0' || v === '2' ? ' (CVSS v2 vectors have no prefix: AV:N/AC:L/Au:N/…)' : '';
      return fail(vector, `unsupported CVSS version prefix '${label}'${hint}`, null, 0);
    }
    if (slash === -1) return fail(vector, `no metrics after prefix '${label}'`, null, vector.length);
    version = v;
    bodyStart = slash + 1;
  } else if (/^cvss:/i.test(vector)) {
    return fail(vector, `prefix must be upper-case 'CVSS:' (got '${vector.slice(0, 5)}')`, null, 0);
  } else {
    version = '2.0';
    bodyStart = 0;
    if (vector.startsWith('(')) {
      if (!vector.endsWith(')')) return fail(vector, "unbalanced '(' around CVSS v2 vector", null, 0);
      bodyStart = 1;
      bodyEnd = vector.length - 1;
    }
  }

  const body = vector.slice(bodyStart, bodyEnd);
  if (body.length === 0) return fail(vector, 'no metrics in CVSS vector', null, bodyStart);

  const found = new Map<string, string>();
  let offset = bodyStart;
  const segments = body.split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] ?? '';
    const segOffset = offset;
    offset += seg.length + 1;
    if (seg.length === 0) {
      const msg =
        i === segments.length - 1
          ? "trailing '/' at end of CVSS vector"
          : i === 0
            ? "leading '/' before the first metric"
            : "empty metric segment (doubled '/')";
      // Point at the superfluous '/' itself.
      const at = i === 0 ? segOffset : segOffset - 1;
      return fail(vector, `${msg} at offset ${at}`, null, at);
    }
    const colon = seg.indexOf(':');
    if (colon === -1 || seg.indexOf(':', colon + 1) !== -1) {
      return fail(vector, `malformed metric '${seg}' (expected METRIC:VALUE)`, seg, segOffset);
    }
    const name = seg.slice(0, colon);
    const value = seg.slice(colon + 1);
    const m = metricDef(version, name);
    if (!m) {
      let hint = caseHint(version, name);
      if (!hint && version === '2.0' && metricDef('3.1', name)) {
        hint = " (CVSS v3/v4 vectors need a 'CVSS:3.1/' or 'CVSS:4.0/' prefix)";
      }
      return fail(vector, `unknown metric ${name} for CVSS ${version}${hint}`, name, segOffset);
    }
    if (found.has(name)) return fail(vector, `duplicate metric ${name}`, name, segOffset);
    if (!m.values.includes(value)) {
      const shown = value === '' ? "''" : value;
      return fail(
        vector,
        `unknown value ${shown} for metric ${name} (allowed: ${m.values.join(', ')})`,
        name,
        segOffset + colon + 1,
      );
    }
    found.set(name, value);
  }

  const missing = CVSS_METRICS[version].filter((m) => m.group === 'base' && !found.has(m.name));
  const first = missing[0];
  if (first) {
    const names = missing.map((m) => m.name).join(', ');
    const msg =
      missing.length === 1 ? `missing mandatory metric ${names}` : `missing mandatory metrics ${names}`;
    return fail(vector, msg, first.name, vector.length);
  }

  const metrics: Record<string, string> = {};
  for (const m of CVSS_METRICS[version]) {
    const value = found.get(m.name);
    if (value !== undefined) metrics[m.name] = value;
  }
  return { ok: true, version, vector: formatCvssVector(version, metrics), metrics };
}
