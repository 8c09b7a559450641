/**
 * CVSS v2 base, temporal and environmental equations (FIRST v2 guide §3.2), implemented here rather
 * than taken from ae-cvss-calculator because the library rounds with binary floating point:
 * `AV:N/AC:L/Au:S/C:C/I:C/A:C/E:F/RL:U/RC:C` has temporal 9.0 × 0.95 = 8.55, which the guide's
 * round_to_1_decimal makes 8.6 (Red Hat's Decimal-based test vectors agree) but the library computes
 * 8.549999… and returns 8.5.  Base scores from the library and from this file agree on every oracle
 * and Red Hat vector; only half-way temporal/environmental values differ.
 *
 * Input must already have passed the strict grammar (cvss-vector.ts), so every lookup is defined.
 *
 * @see https://www.first.org/cvss/v2/guide
 */

const AV: Record<string, number> = { L: 0.395, A: 0.646, N: 1.0 };
const AC: Record<string, number> = { H: 0.35, M: 0.61, L: 0.71 };
const AU: Record<string, number> = { M: 0.45, S: 0.56, N: 0.704 };
const CIA: Record<string, number> = { N: 0.0, P: 0.275, C: 0.66 };
const E: Record<string, number> = { U: 0.85, POC: 0.9, F: 0.95, H: 1.0, ND: 1.0 };
const RL: Record<string, number> = { OF: 0.87, TF: 0.9, W: 0.95, U: 1.0, ND: 1.0 };
const RC: Record<string, number> = { UC: 0.9, UR: 0.95, C: 1.0, ND: 1.0 };
const CDP: Record<string, number> = { N: 0, L: 0.1, LM: 0.3, MH: 0.4, H: 0.5, ND: 0 };
const TD: Record<string, number> = { N: 0, L: 0.25, M: 0.75, H: 1.0, ND: 1.0 };
const REQ: Record<string, number> = { L: 0.5, M: 1.0, H: 1.51, ND: 1.0 };

/**
 * round_to_1_decimal, half up, on the decimal value the equation denotes: 12 significant digits strip
 * the ~1e-15 binary error (8.549999999999999 → 8.55) but no genuine digit of these equations. `+ 0`
 * turns the guide's "-0.0" (e.g. all impacts None) into 0.
 */
function round1(x: number): number {
  return Math.round(Number((x * 10).toPrecision(12))) / 10 + 0;
}

function lookup(
  table: Record<string, number>,
  metrics: Record<string, string>,
  key: string,
  dflt: string,
): number {
  const v = table[metrics[key] ?? dflt];
  if (v === undefined) throw new Error(`CVSS v2: unvalidated value for ${key}`);
  return v;
}

export interface Cvss2Scores {
  base: number;
  temporal: number;
  environmental: number;
}

export function scoreCvss2(metrics: Record<string, string>): Cvss2Scores {
  const c = lookup(CIA, metrics, 'C', 'N');
  const i = lookup(CIA, metrics, 'I', 'N');
  const a = lookup(CIA, metrics, 'A', 'N');
  const exploitability =
    20 * lookup(AV, metrics, 'AV', 'N') * lookup(AC, metrics, 'AC', 'L') * lookup(AU, metrics, 'Au', 'N');
  // Every group's score ranges from 0 to 10 (guide §3.2), but the base equation goes below 0 for an
  // AdjustedImpact under ~1.9 with the lowest exploitability (AV:L/AC:H/Au:M/C:N/I:N/A:P/AR:L gives
  // -0.2, as ae-cvss-calculator returns): held at 0. A base vector's own impact never gets that low.
  const baseFrom = (impact: number): number =>
    Math.max(0, round1((0.6 * impact + 0.4 * exploitability - 1.5) * (impact === 0 ? 0 : 1.176)));
  const temporalFactor =
    lookup(E, metrics, 'E', 'ND') * lookup(RL, metrics, 'RL', 'ND') * lookup(RC, metrics, 'RC', 'ND');

  const impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a));
  const base = baseFrom(impact);
  const temporal = round1(base * temporalFactor);

  const cr = lookup(REQ, metrics, 'CR', 'ND');
  const ir = lookup(REQ, metrics, 'IR', 'ND');
  const ar = lookup(REQ, metrics, 'AR', 'ND');
  const adjustedImpact = Math.min(10, 10.41 * (1 - (1 - c * cr) * (1 - i * ir) * (1 - a * ar)));
  const adjustedTemporal = round1(baseFrom(adjustedImpact) * temporalFactor);
  const cdp = lookup(CDP, metrics, 'CDP', 'ND');
  const td = lookup(TD, metrics, 'TD', 'ND');
  const environmental = round1((adjustedTemporal + (10 - adjustedTemporal) * cdp) * td);
  return { base, temporal, environmental };
}
