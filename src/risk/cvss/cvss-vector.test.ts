/**
 * Strict CVSS grammar: decisions documented in cvss-vector.ts, plus fast-check properties
 * (never throws, re-serialisation round-trips, scores stay in [0, 10] with one decimal).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scoreCvss } from './cvss.js';
import {
  CVSS_METRICS,
  type CvssParseError,
  type CvssVersion,
  formatCvssVector,
  type ParsedCvss,
  parseCvssVector,
} from './cvss-vector.js';

const V31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V30 = 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
const V2 = 'AV:N/AC:L/Au:N/C:P/I:P/A:P';

function ok(v: string): ParsedCvss {
  const r = parseCvssVector(v);
  if (!r.ok) throw new Error(`expected ${v} to parse: ${r.message}`);
  return r;
}

function err(v: string): CvssParseError {
  const r = parseCvssVector(v);
  if (r.ok) throw new Error(`expected ${v} to be rejected`);
  return r;
}

describe('parseCvssVector: valid vectors', () => {
  it.each([
    [V2, '2.0'],
    [V30, '3.0'],
    [V31, '3.1'],
    [V40, '4.0'],
  ] as const)('%s is CVSS %s and already normalised', (v, version) => {
    const p = ok(v);
    expect(p.version).toBe(version);
    expect(p.vector).toBe(v);
  });

  it('returns metrics in specification order', () => {
    const p = ok('CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H/MAV:L/E:P');
    expect(Object.keys(p.metrics)).toEqual(['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A', 'E', 'MAV']);
    expect(p.vector).toBe(`${V31}/E:P/MAV:L`);
  });

  it('accepts metrics in any order (v3 §6 "must accept metrics in any order"; v4 out-of-order in the wild)', () => {
    expect(ok('CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/SC:N/VI:H/SI:N/VA:H/SA:N').vector).toBe(
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
    );
  });

  it("accepts NVD's parenthesised v2 form and drops the parentheses", () => {
    expect(ok(`(${V2})`).vector).toBe(V2);
    expect(err(`(${V2}`).message).toMatch(/unbalanced/);
  });

  it('keeps explicit Not Defined values', () => {
    expect(ok(`${V31}/E:X/CR:X`).vector).toBe(`${V31}/E:X/CR:X`);
    expect(ok(`${V2}/E:ND/CDP:ND`).metrics['CDP']).toBe('ND');
  });

  it('accepts v4 supplemental metrics, Safety and mixed-case provider urgency values', () => {
    const p = ok(`${V40}/MSI:S/S:P/AU:Y/U:Amber`);
    expect(p.metrics).toMatchObject({ MSI: 'S', S: 'P', AU: 'Y', U: 'Amber' });
  });
});

describe('parseCvssVector: malformed vectors name the problem', () => {
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', 'missing mandatory metric A', 'A'],
    ['CVSS:3.1/AV:N/AC:L', 'missing mandatory metrics PR, UI, S, C, I, A', 'PR'],
    [`${V31}/AV:N`, 'duplicate metric AV', 'AV'],
    ['CVSS:3.1/AV:N/AC:X/PR:N/UI:N/S:U/C:H/I:H/A:H', 'unknown value X for metric AC', 'AC'],
    ['CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'unknown value X for metric AV', 'AV'],
    [`${V31}/ZZ:1`, 'unknown metric ZZ', 'ZZ'],
    [`${V31}/AT:N`, 'unknown metric AT for CVSS 3.1', 'AT'],
    [`${V40}/RL:O`, 'unknown metric RL for CVSS 4.0', 'RL'],
    [`${V2}/E:P`, 'unknown value P for metric E', 'E'],
    ['CVSS:3.1/av:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'did you mean AV?', 'av'],
    ['CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'unknown value n for metric AV', 'AV'],
    [`${V40}/U:clear`, 'unknown value clear for metric U', 'U'],
    [`${V31}/E`, "malformed metric 'E'", 'E'],
    [`${V31}/E:P:X`, "malformed metric 'E:P:X'", 'E:P:X'],
    [`${V31}/E:`, "unknown value '' for metric E", 'E'],
    ['AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', "need a 'CVSS:3.1/' or 'CVSS:4.0/' prefix", 'PR'],
  ])('%s → %s', (v, message, metric) => {
    const e = err(v);
    expect(e.message).toContain(message);
    expect(e.metric).toBe(metric);
    expect(e.vector).toBe(v);
  });

  it.each([
    ['', /empty CVSS vector/],
    [`${V31}/`, /trailing '\/'/],
    [`${V31}//E:P`, /doubled '\/'/],
    ['CVSS:3.1//AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /leading '\/'/],
    ['CVSS:3.1/', /no metrics/],
    ['CVSS:3.1', /no metrics after prefix/],
    ['CVSS:3.2/AV:N', /unsupported CVSS version prefix 'CVSS:3.2'/],
    ['CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P', /v2 vectors have no prefix/],
    ['cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /upper-case 'CVSS:'/],
    [` ${V31}`, /whitespace at offset 0/],
    [`${V31}\n`, /whitespace/],
    ['CVSS:3.1/AV:N /AC:L', /whitespace at offset 13/],
  ])('%j is rejected: %s', (v, message) => {
    expect(err(v).message).toMatch(message);
  });

  it('points the offset at the offending segment or value', () => {
    const v = 'CVSS:3.1/AV:N/AC:Q/PR:N/UI:N/S:U/C:H/I:H/A:H';
    expect(v.slice(err(v).offset)).toMatch(/^Q\//);
    const d = `${V31}/AV:N`;
    expect(d.slice(err(d).offset)).toBe('AV:N');
    expect(err(`${V31}/`).offset).toBe(V31.length);
  });

  it('does not throw on non-string input from untyped callers', () => {
    expect(parseCvssVector(undefined as unknown as string).ok).toBe(false);
  });
});

// ---------------------------------------------------------------- properties

const VERSIONS: readonly CvssVersion[] = ['2.0', '3.0', '3.1', '4.0'];

/** A valid vector: every base metric, a random subset of optional ones, in a random order. */
const validVector: fc.Arbitrary<string> = fc.constantFrom(...VERSIONS).chain((version) => {
  const defs = CVSS_METRICS[version];
  const picks = defs.map((m) =>
    m.group === 'base'
      ? fc.constantFrom(...m.values).map((v) => `${m.name}:${v}`)
      : fc.option(
          fc.constantFrom(...m.values).map((v) => `${m.name}:${v}`),
          { nil: undefined },
        ),
  );
  return fc
    .tuple(...picks)
    .chain((segs) =>
      fc.shuffledSubarray(
        segs.filter((s): s is string => s !== undefined),
        { minLength: segs.filter((s) => s !== undefined).length },
      ),
    )
    .map((segs) => (version === '2.0' ? '' : `CVSS:${version}/`) + segs.join('/'));
});

const INSERTABLE: readonly string[] = '/:XNLHAPCU 0('.split('');
const PREFIXISH: readonly string[] = 'CVS:3.14/ANLHXP'.split('');

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), ch: fc.constantFrom(...INSERTABLE) }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    ch: fc.string({ minLength: 1, maxLength: 2 }),
  }),
  fc.record({ kind: fc.constant('dupSegment' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('lower' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(v: string, m: Mutation): string {
  const at = v.length === 0 ? 0 : m.at % v.length;
  switch (m.kind) {
    case 'delete':
      return v.slice(0, at) + v.slice(at + 1);
    case 'insert':
      return v.slice(0, at) + m.ch + v.slice(at);
    case 'replace':
      return v.slice(0, at) + m.ch + v.slice(at + 1);
    case 'lower':
      return v.slice(0, at) + v.slice(at).toLowerCase();
    case 'dupSegment': {
      const segs = v.split('/');
      const s = segs[m.at % segs.length] ?? '';
      return `${v}/${s}`;
    }
  }
}

function isOneDecimalScore(x: number | undefined): boolean {
  return x === undefined || (x >= 0 && x <= 10 && Math.round(x * 10) / 10 === x && !Object.is(x, -0));
}

function checkResult(v: string): void {
  const r = scoreCvss(v);
  if (r.ok) {
    const s = r.score;
    for (const x of [s.baseScore, s.temporalScore, s.environmentalScore, s.threatScore]) {
      expect(isOneDecimalScore(x), `${v}: ${x}`).toBe(true);
    }
  } else {
    expect(typeof r.message).toBe('string');
    expect(r.message.length).toBeGreaterThan(0);
    expect(r.offset).toBeGreaterThanOrEqual(0);
    expect(r.offset).toBeLessThanOrEqual(v.length);
  }
}

describe('properties', () => {
  it('random strings never throw and either parse or explain why not', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.string({ unit: fc.constantFrom(...PREFIXISH) }),
        ),
        (s) => {
          checkResult(s);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('generated valid vectors parse, normalise idempotently and score within [0, 10]', () => {
    fc.assert(
      fc.property(validVector, (v) => {
        const p = ok(v);
        expect(ok(p.vector)).toEqual(p);
        expect(formatCvssVector(p.version, p.metrics)).toBe(p.vector);
        // Same metric set, regardless of input order.
        expect(p.vector.split('/').sort()).toEqual(v.split('/').sort());
        checkResult(v);
      }),
      { numRuns: 300 },
    );
  });

  it('mutated valid vectors never throw; whatever parses is valid and re-serialises to itself', () => {
    fc.assert(
      fc.property(validVector, fc.array(mutation, { minLength: 1, maxLength: 3 }), (v, ms) => {
        const mutated = ms.reduce(mutate, v);
        checkResult(mutated);
        const p = parseCvssVector(mutated);
        if (p.ok) expect(ok(p.vector).vector).toBe(p.vector);
      }),
      { numRuns: 500 },
    );
  });
});
