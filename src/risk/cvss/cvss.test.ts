/**
 * Scoring against real published data (test/fixtures/cvss, see PROVENANCE.md there):
 * every row of the NVD/CNA/ADP/CSAF oracle and every Red Hat `cvss` test vector.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type CvssScore, cvssSeverity, overallScore, scoreCvss, withEnvironmental } from './cvss.js';
import type { CvssVersion } from './cvss-vector.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/cvss/', import.meta.url));

function score(v: string): CvssScore {
  const r = scoreCvss(v);
  if (!r.ok) throw new Error(`${v}: ${r.message}`);
  return r.score;
}

// ---------------------------------------------------------------- oracle

interface OracleRow {
  cve_id: string;
  origin: string;
  scorer: string;
  cvss_version: string;
  vector: string;
  base_score: string;
  base_severity: string;
  reference_check: string;
}

function readOracle(): OracleRow[] {
  const [header, ...lines] = readFileSync(`${FIXTURES}cvss-oracle.csv`, 'utf8').trimEnd().split('\n');
  const cols = (header ?? '').split(',');
  return lines.map((line) => {
    // No field in this file contains a comma or quote; assert rather than pull in a CSV parser.
    const fields = line.split(',');
    if (fields.length !== cols.length) throw new Error(`malformed oracle row: ${line}`);
    return Object.fromEntries(cols.map((c, i) => [c, fields[i] ?? ''])) as unknown as OracleRow;
  });
}

const oracle = readOracle();

/**
 * What a publisher's "baseScore" corresponds to. v2/v3: the base score (NVD and CNAs publish temporal
 * metrics in the vector but the base score in `baseScore`). v4.0: CNAs publish the score of the whole
 * vector, which is CVSS-BT when E is present (4 rows).
 */
function publishedEquivalent(s: CvssScore): number {
  return s.version === '4.0' ? overallScore(s) : s.baseScore;
}

describe('oracle: published NVD/CNA/ADP/CSAF scores (test/fixtures/cvss/cvss-oracle.csv)', () => {
  it('has every row of the shared oracle', () => {
    expect(oracle).toHaveLength(4261);
    const byVersion: Record<string, number> = {};
    for (const r of oracle) byVersion[r.cvss_version] = (byVersion[r.cvss_version] ?? 0) + 1;
    expect(byVersion).toEqual({ '2.0': 1259, '3.0': 544, '3.1': 1851, '4.0': 607 });
  });

  it('parses every vector of every row', () => {
    const failures = oracle.flatMap((r) => {
      const res = scoreCvss(r.vector);
      return res.ok ? [] : [`${r.cve_id} ${r.vector}: ${res.message}`];
    });
    expect(failures).toEqual([]);
  });

  for (const version of ['2.0', '3.0', '3.1', '4.0'] as const) {
    const rows = oracle.filter(
      (r) => r.cvss_version === version && !r.reference_check.startsWith('disagree'),
    );
    it(`CVSS ${version}: all ${rows.length} agree/not-checked rows match the published score and severity`, () => {
      const mismatches: string[] = [];
      for (const r of rows) {
        const s = score(r.vector);
        const got = publishedEquivalent(s);
        if (got !== Number(r.base_score)) {
          mismatches.push(`${r.cve_id} ${r.origin} ${r.vector}: published ${r.base_score}, computed ${got}`);
        }
        // CVE 5 v2 entries carry no severity; every other row does.
        if (r.base_severity !== '' && cvssSeverity(version, got) !== r.base_severity) {
          mismatches.push(
            `${r.cve_id} ${r.vector}: severity ${r.base_severity} vs ${cvssSeverity(version, got)}`,
          );
        }
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('the 3 rows the provenance marks `disagree(ref=…)` are publisher errors: we compute the reference', () => {
    const rows = oracle.filter((r) => r.reference_check.startsWith('disagree'));
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      const ref = Number(/ref=([\d.]+)/.exec(r.reference_check)?.[1]);
      const s = score(r.vector);
      expect(s.baseScore, r.cve_id).toBe(ref);
      expect(s.baseScore, r.cve_id).not.toBe(Number(r.base_score));
    }
    // Fortinet published the temporal score as baseScore.
    const fortinet = rows.filter((r) => /\/E:/.test(r.vector));
    expect(fortinet.map((r) => r.cve_id).sort()).toEqual(['CVE-2022-42475', 'CVE-2023-47540']);
    for (const r of fortinet) expect(score(r.vector).temporalScore).toBe(Number(r.base_score));
  });

  it('v4.0 rows with threat metrics: published "baseScore" is CVSS-BT, our baseScore is CVSS-B', () => {
    const s = score('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/E:U'); // CVE-2024-41128
    expect(s).toEqual({
      version: '4.0',
      vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/E:U',
      baseScore: 8.7,
      baseSeverity: 'HIGH',
      threatScore: 6.6,
    });
  });
});

// ---------------------------------------------------------------- Red Hat test vectors

interface RedHatCase {
  file: string;
  vector: string;
  expected: (number | null)[];
}

function readRedHat(): RedHatCase[] {
  const dir = `${FIXTURES}redhat/`;
  return readdirSync(dir)
    .filter((f) => f.startsWith('vectors_'))
    .flatMap((file) =>
      readFileSync(dir + file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((line) => {
          const [vector = '', rest = ''] = line.split(' - ');
          const expected = rest
            .replace(/[()]/g, '')
            .split(',')
            .map((x) => x.trim())
            .filter((x) => x !== '')
            .map((x) => (x === 'None' ? null : Number(x) + 0)); // "-0.0" → 0
          return { file, vector, expected };
        }),
    );
}

describe('Red Hat cvss test vectors (test/fixtures/cvss/redhat)', () => {
  const cases = readRedHat();
  const byVersion = (prefix: string): RedHatCase[] =>
    cases.filter((c) => (prefix === '' ? !c.vector.startsWith('CVSS:') : c.vector.startsWith(prefix)));

  it('has all files', () => {
    expect(cases).toHaveLength(5514);
  });

  /** Red Hat's environmental score exists for every vector; ours only when env metrics are set. */
  function environmental(v: string, s: CvssScore): number {
    if (s.environmentalScore !== undefined) return s.environmentalScore;
    // CR/IR/AR:M weigh exactly like Not Defined (v2 §3.2.3, v3 §7.3), so this computes the
    // environmental equation with nothing modified. For v3.1 with S:C it can differ from the base
    // score (9.6 → 9.7) because the v3.1 modified-impact equation has the 0.9731 factor.
    const w = withEnvironmental(v, { CR: 'M', IR: 'M', AR: 'M' });
    if (!w.ok) throw new Error(w.message);
    return score(w.vector).environmentalScore ?? Number.NaN;
  }

  for (const [label, prefix] of [
    ['2.0', ''],
    ['3.0', 'CVSS:3.0/'],
    ['3.1', 'CVSS:3.1/'],
  ] as const) {
    it(`CVSS ${label}: base, temporal and environmental scores`, () => {
      const rows = byVersion(prefix);
      expect(rows.length).toBeGreaterThan(700);
      const mismatches: string[] = [];
      for (const c of rows) {
        const s = score(c.vector);
        const got = [s.baseScore, s.temporalScore ?? s.baseScore, environmental(c.vector, s)];
        c.expected.forEach((e, i) => {
          if (e !== null && got[i] !== e) mismatches.push(`${c.file} ${c.vector}: [${i}] ${e} vs ${got[i]}`);
        });
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('CVSS 4.0: score of the full vector (base, threat, environmental, supplemental)', () => {
    const rows = byVersion('CVSS:4.0/');
    expect(rows).toHaveLength(866);
    const mismatches = rows.flatMap((c) => {
      const got = overallScore(score(c.vector));
      return got === c.expected[0] ? [] : [`${c.file} ${c.vector}: ${c.expected[0]} vs ${got}`];
    });
    expect(mismatches).toEqual([]);
  });

  it('v2 half-way rounding follows the guide, not binary floating point (library returns 8.5)', () => {
    expect(score('AV:N/AC:L/Au:S/C:C/I:C/A:C/E:F/RL:U/RC:C').temporalScore).toBe(8.6);
  });

  it('v2 environmental stays within 0–10 where the equation dips below 0 (found by the property test)', () => {
    // AdjustedImpact 10.41 × 0.275 × 0.5 = 1.43 with exploitability 1.24: the base equation gives -0.17.
    const s = score('AV:L/AC:H/Au:M/C:N/I:N/A:P/AR:L');
    expect(s).toMatchObject({ baseScore: 0.8, environmentalScore: 0 });
    expect(Object.is(s.environmentalScore, -0)).toBe(false);
    // With collateral damage the environmental score starts from that 0, not from -0.2.
    expect(score('AV:L/AC:H/Au:M/C:N/I:N/A:P/AR:L/CDP:L/TD:H').environmentalScore).toBe(1);
  });
});

// ---------------------------------------------------------------- facade behaviour

describe('scoreCvss', () => {
  it('reports scores only for metric groups the vector defines', () => {
    expect(score('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/CR:X')).toEqual({
      version: '3.1',
      vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/CR:X',
      baseScore: 9.8,
      baseSeverity: 'CRITICAL',
    });
    expect(score('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/CR:L/MAV:L')).toMatchObject({
      baseScore: 9.8,
      temporalScore: 9.3,
      environmentalScore: 7.7, // spec §7.3 by hand: roundup(8.1 × 0.94)
    });
  });

  it('v4.0: threatScore is CVSS-BT, environmentalScore the full vector (CVSS-BTE)', () => {
    const s = score('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/CR:L/MAV:L');
    expect(s).toMatchObject({ baseScore: 9.3, threatScore: 8.1, environmentalScore: 6 });
    expect(
      score('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P').environmentalScore,
    ).toBe(undefined);
  });

  it.each([
    ['2.0', 0, 'LOW'],
    ['2.0', 3.9, 'LOW'],
    ['2.0', 4, 'MEDIUM'],
    ['2.0', 7, 'HIGH'],
    ['2.0', 10, 'HIGH'],
    ['3.1', 0, 'NONE'],
    ['3.1', 0.1, 'LOW'],
    ['3.1', 6.9, 'MEDIUM'],
    ['3.1', 8.9, 'HIGH'],
    ['4.0', 9, 'CRITICAL'],
  ] as const)('severity of CVSS %s score %d is %s', (version: CvssVersion, s, sev) => {
    expect(cvssSeverity(version, s)).toBe(sev);
  });

  it('rejects what the library would silently score as 0', () => {
    const r = scoreCvss('CVSS:3.1/AV:X/AC:L');
    expect(r.ok).toBe(false);
  });
});

describe('withEnvironmental', () => {
  const v31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
  const v40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

  it('sets v3.1 requirements and modified base metrics, in specification order', () => {
    const r = withEnvironmental(`${v31}/E:P`, { MAV: 'L', CR: 'H', IR: 'L' });
    expect(r).toEqual({ ok: true, vector: `${v31}/E:P/CR:H/IR:L/MAV:L` });
    if (r.ok) expect(score(r.vector).environmentalScore).toBe(7.9);
  });

  it('sets v4.0 Safety (S and MSI/MSA:S) and X removes a metric', () => {
    const r = withEnvironmental(`${v40}/CR:L`, { S: 'P', MSI: 'S', CR: 'X' });
    expect(r).toEqual({ ok: true, vector: `${v40}/MSI:S/S:P` });
  });

  it('v2 uses ND to remove', () => {
    expect(withEnvironmental('AV:N/AC:L/Au:N/C:P/I:P/A:P/CDP:H', { CDP: 'ND', TD: 'L' })).toEqual({
      ok: true,
      vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P/TD:L',
    });
  });

  it.each([
    [v31, { AV: 'L' }, 'AV is a base metric and cannot be set as environmental; set MAV instead'],
    [v31, { E: 'P' }, 'E is a temporal metric'],
    [v40, { E: 'A' }, 'E is a threat metric'],
    [v31, { MAT: 'N' }, 'unknown metric MAT for CVSS 3.1'],
    [v31, { CR: 'Q' }, 'unknown value Q for metric CR'],
    [`${v31}/`, { CR: 'H' }, "trailing '/'"],
  ])('%s + %j → error %s', (v, metrics, message) => {
    const r = withEnvironmental(v, metrics);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });
});
