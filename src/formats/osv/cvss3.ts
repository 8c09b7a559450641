/**
 * @module CVSS 3.0/3.1 base score from a vector string. OSV `severity[]` gives only the vector, while
 * {@link CvssMetric} needs a base score; the base equations are short and fully specified, so they
 * are computed here rather than dropping the metric. (3.0 and 3.1 differ only in Roundup's floating-
 * point guard, which the integer form below implements for both.)
 * @see https://www.first.org/cvss/v3.1/specification-document §7.1, Appendix A (Roundup)
 */

const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  S: { U: 'U', C: 'C' },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
} as const;

const PR_UNCHANGED = { N: 0.85, L: 0.62, H: 0.27 } as const;
const PR_CHANGED = { N: 0.85, L: 0.68, H: 0.5 } as const;

function roundup(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

function pick<T extends Record<string, unknown>>(table: T, v: string | undefined): T[keyof T] | undefined {
  return v !== undefined && Object.hasOwn(table, v) ? (table[v as keyof T] as T[keyof T]) : undefined;
}

/** The base score, or null when the vector is not a complete CVSS 3.x base vector. */
export function cvss3BaseScore(
  vector: string,
): { version: '3.0' | '3.1'; baseScore: number; severity: string } | null {
  const m = /^CVSS:(3\.[01])\/(.*)$/.exec(vector.trim());
  if (!m) return null;
  const metrics = new Map<string, string>();
  for (const part of m[2]!.split('/')) {
    const [k, v, extra] = part.split(':');
    if (k === undefined || v === undefined || extra !== undefined || metrics.has(k)) return null;
    metrics.set(k, v);
  }
  const scope = pick(WEIGHTS.S, metrics.get('S'));
  const av = pick(WEIGHTS.AV, metrics.get('AV'));
  const ac = pick(WEIGHTS.AC, metrics.get('AC'));
  const ui = pick(WEIGHTS.UI, metrics.get('UI'));
  const pr = pick(scope === 'C' ? PR_CHANGED : PR_UNCHANGED, metrics.get('PR'));
  const c = pick(WEIGHTS.C, metrics.get('C'));
  const i = pick(WEIGHTS.I, metrics.get('I'));
  const a = pick(WEIGHTS.A, metrics.get('A'));
  if (scope === undefined || av === undefined || ac === undefined || ui === undefined || pr === undefined)
    return null;
  if (c === undefined || i === undefined || a === undefined) return null;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * av * ac * pr * ui;
  const baseScore =
    impact <= 0
      ? 0
      : scope === 'U'
        ? roundup(Math.min(impact + exploitability, 10))
        : roundup(Math.min(1.08 * (impact + exploitability), 10));
  const severity =
    baseScore === 0
      ? 'NONE'
      : baseScore < 4
        ? 'LOW'
        : baseScore < 7
          ? 'MEDIUM'
          : baseScore < 9
            ? 'HIGH'
            : 'CRITICAL';
  return { version: m[1] as '3.0' | '3.1', baseScore, severity };
}
