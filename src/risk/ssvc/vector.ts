/**
 * @module CISA's compact SSVC vector, as published in CSAF notes and the CISA ADP container, e.g.
 * `SSVCv2/E:A/A:N/T:T/P:M/B:A/M:M/D:A/2021-09-29T15:29:44Z/`, mapped onto the current decision points
 * so that CISA's stated decision can be checked against the official CISA Coordinator table.
 *
 * The vector uses the letters and value keys of the SSVC 2.0.3 "computed" format, which differ from the
 * current decision-point keys in places. The mapping (verified in the tests against the archived
 * CERT/CC example `Computed-CVE-2014-0751-Coordinator-with-tree.json`, which carries the tree the
 * letters come from):
 *
 * | letter | point (current id)                 | vector value → current value key                  |
 * |--------|------------------------------------|---------------------------------------------------|
 * | `E`    | Exploitation `ssvc:E:1.1.0`        | N none, P PoC/Public PoC, A active (same keys)    |
 * | `A`    | Automatable `ssvc:A:2.0.0`         | N no, Y yes (same keys)                           |
 * | `T`    | Technical Impact `ssvc:TI:1.0.0`   | P partial, T total (same keys)                    |
 * | `P`    | Mission Prevalence `cisa:MP:1.0.0` | M minimal, S support, E essential (same keys)     |
 * | `B`    | Public Well-Being `ssvc:PWI:1.1.0` | M minimal, **A → MA** material, I irreversible    |
 * | `M`    | Mission and Well-Being `ssvc:MWI`  | L low, M medium, H high (same keys)               |
 * | `D`    | CISA Levels `cisa:CISA:1.1.0`      | T Track, **R → T\*** Track*, **A → AT** Attend, **C → AC** Act |
 *
 * `src/formats/csaf/csaf-advisory.ts` has an older, narrower `parseSsvcVector` (E/A/T only, returns
 * null on anything unexpected) used by the CSAF reader; this one is the full, table-aware version.
 * @see https://www.cisa.gov/ssvc
 * @see https://certcc.github.io/SSVC/
 */
import { type DecideResult, decide } from './decide.js';
import { CISA_EXTRA_POINTS, type DecisionPointDef, describe, loadTable } from './model.js';

interface VectorLetter {
  /** Current decision-point key. */
  point: string;
  /** Vector value key → current value key. */
  values: Readonly<Record<string, string>>;
}

/** Vector letter → current decision point and value keys (see the module comment). */
export const SSVC_VECTOR_LETTERS: Readonly<Record<string, VectorLetter>> = {
  E: { point: 'E', values: { N: 'N', P: 'P', A: 'A' } },
  A: { point: 'A', values: { N: 'N', Y: 'Y' } },
  T: { point: 'TI', values: { P: 'P', T: 'T' } },
  P: { point: 'MP', values: { M: 'M', S: 'S', E: 'E' } },
  B: { point: 'PWI', values: { M: 'M', A: 'MA', I: 'I' } },
  M: { point: 'MWI', values: { L: 'L', M: 'M', H: 'H' } },
  D: { point: 'CISA', values: { T: 'T', R: 'T*', A: 'AT', C: 'AC' } },
};

const CISA_TABLE = loadTable('cisa');
const VECTOR_POINTS: readonly DecisionPointDef[] = [
  ...CISA_TABLE.decisionPoints,
  ...CISA_EXTRA_POINTS,
  CISA_TABLE.outcome,
];

function currentPoint(key: string): DecisionPointDef {
  const p = VECTOR_POINTS.find((x) => x.key === key);
  if (!p) throw new Error(`SSVC vector: no decision point with key ${key}`);
  return p;
}

// Every mapped value must exist in the current definitions (checked once at load).
for (const [letter, m] of Object.entries(SSVC_VECTOR_LETTERS)) {
  const p = currentPoint(m.point);
  for (const v of Object.values(m.values)) {
    if (!p.values.some((x) => x.key === v))
      throw new Error(`SSVC vector: ${letter} maps to unknown ${p.key}:${v}`);
  }
}

export interface SsvcVectorPart {
  /** As published, e.g. `B` and `A`. */
  letter: string;
  vectorValue: string;
  /** Current decision point and value, e.g. `PWI` / `MA` (Material). */
  point: string;
  pointName: string;
  value: string;
  valueName: string;
}

export interface SsvcVector {
  raw: string;
  timestamp: string | null;
  parts: SsvcVectorPart[];
  /** Current point key → value key for every point in the vector except the decision (`D`). */
  selections: Record<string, string>;
  /** CISA's stated decision as a CISA Levels value, if the vector has `D`. */
  decision: { key: string; name: string } | null;
}

export type ParseSsvcVectorResult = { ok: true; vector: SsvcVector } | { ok: false; message: string };

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses `SSVCv2/…` into current decision-point selections; letters and values are matched exactly. */
export function parseSsvcVector(text: string): ParseSsvcVectorResult {
  if (typeof text !== 'string') return { ok: false, message: 'SSVC vector must be a string' };
  const raw = text.trim();
  if (!raw.startsWith('SSVCv2/'))
    return { ok: false, message: `not an SSVC v2 vector (expected 'SSVCv2/…'): '${raw}'` };
  const parts: SsvcVectorPart[] = [];
  const selections: Record<string, string> = {};
  let decision: SsvcVector['decision'] = null;
  let timestamp: string | null = null;
  const seen = new Set<string>();
  for (const part of raw.slice('SSVCv2/'.length).split('/')) {
    if (part === '') continue;
    if (timestamp !== null) return { ok: false, message: `unexpected '${part}' after the timestamp` };
    if (TIMESTAMP.test(part)) {
      timestamp = part;
      continue;
    }
    const m = /^([^:]+):([^:]+)$/.exec(part);
    if (!m) return { ok: false, message: `expected LETTER:VALUE or a timestamp, got '${part}'` };
    const [, letter, vectorValue] = m as unknown as [string, string, string];
    const map = SSVC_VECTOR_LETTERS[letter];
    if (!map || !Object.hasOwn(SSVC_VECTOR_LETTERS, letter)) {
      return {
        ok: false,
        message: `unknown SSVC vector letter '${letter}'; allowed: ${Object.entries(SSVC_VECTOR_LETTERS)
          .map(([l, x]) => `${l} (${currentPoint(x.point).name})`)
          .join(', ')}`,
      };
    }
    if (seen.has(letter)) return { ok: false, message: `SSVC vector letter '${letter}' appears twice` };
    seen.add(letter);
    const point = currentPoint(map.point);
    const valueKey = Object.hasOwn(map.values, vectorValue) ? map.values[vectorValue] : undefined;
    if (valueKey === undefined) {
      return {
        ok: false,
        message: `unknown value '${vectorValue}' for ${letter} (${point.name}); allowed: ${Object.entries(
          map.values,
        )
          .map(([vv, k]) => `${vv} (${point.values.find((x) => x.key === k)!.name})`)
          .join(', ')}`,
      };
    }
    const value = point.values.find((x) => x.key === valueKey)!;
    parts.push({
      letter,
      vectorValue,
      point: point.key,
      pointName: point.name,
      value: value.key,
      valueName: value.name,
    });
    if (point === CISA_TABLE.outcome) decision = { key: value.key, name: value.name };
    else selections[point.key] = value.key;
  }
  return { ok: true, vector: { raw, timestamp, parts, selections, decision } };
}

export type CheckSsvcVectorResult =
  | {
      ok: true;
      vector: SsvcVector;
      table: Extract<DecideResult, { ok: true }>;
      /** null when the vector states no decision. */
      agrees: boolean | null;
    }
  | { ok: false; message: string };

/**
 * Re-derives CISA's decision from a vector's E, A, T and M through the CISA Coordinator table and compares
 * it with the vector's `D`. Vectors without `M` (the CISA ADP ones carry only E/A/T) cannot be decided.
 */
export function checkSsvcVector(text: string): CheckSsvcVectorResult {
  const parsed = parseSsvcVector(text);
  if (!parsed.ok) return parsed;
  const inputs: Record<string, string> = {};
  for (const p of CISA_TABLE.decisionPoints) {
    const v = parsed.vector.selections[p.key];
    if (v !== undefined) inputs[p.key] = v;
  }
  const result = decide('cisa', inputs);
  if (!result.ok) return { ok: false, message: `cannot decide from the vector: ${result.message}` };
  const d = parsed.vector.decision;
  return {
    ok: true,
    vector: parsed.vector,
    table: result,
    agrees: d === null ? null : d.key === result.outcome.key,
  };
}

/** `Mission Prevalence (MP)` etc. for the letters, for help text. */
export function describeVectorLetters(): { letter: string; point: string }[] {
  return Object.entries(SSVC_VECTOR_LETTERS).map(([letter, m]) => ({
    letter,
    point: describe(currentPoint(m.point)),
  }));
}
