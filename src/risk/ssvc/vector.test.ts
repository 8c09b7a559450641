import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import { buildValueIndex, CISA_EXTRA_POINTS, loadTable, normalizeToken } from './model.js';
import { checkSsvcVector, parseSsvcVector, SSVC_VECTOR_LETTERS } from './vector.js';

/**
 * CERT/CC's archived example of the SSVC 2.0.3 "computed" format: the vector, the option names chosen,
 * and the CISA-Coordinator-v2.0.3 tree with the letters and value keys the vector uses, and its own
 * decisions table (a third published form of the CISA table).
 */
const archived = JSON.parse(
  readFileSync(
    new URL('./fixtures/Computed-CVE-2014-0751-Coordinator-with-tree.json', import.meta.url),
    'utf8',
  ),
) as {
  computed: string;
  decision_tree: {
    decision_points: { label: string; key: string; options: { label: string; key: string }[] }[];
    decisions_table: Record<string, string>[];
  };
};
const legacyPoints = archived.decision_tree.decision_points;
const cisa = loadTable('cisa');
const currentPoints = [...cisa.decisionPoints, ...CISA_EXTRA_POINTS, cisa.outcome];

describe('vector letter mapping agrees with the archived 2.0.3 tree', () => {
  it('covers exactly the letters of the archived tree', () => {
    expect(Object.keys(SSVC_VECTOR_LETTERS).sort()).toEqual(legacyPoints.map((p) => p.key).sort());
  });
  it.each(legacyPoints.map((p) => [p.key, p] as const))(
    'letter %s: every option maps to the value of the same name',
    (_k, lp) => {
      const m = SSVC_VECTOR_LETTERS[lp.key]!;
      const point = currentPoints.find((p) => p.key === m.point)!;
      expect(Object.keys(m.values).sort()).toEqual(lp.options.map((o) => o.key).sort());
      const byName = buildValueIndex(point);
      for (const o of lp.options) {
        // e.g. B "Material" (vector key A) is PWI "Material" (key MA); E "poc" is E 1.0.0 "PoC" = key P.
        expect(byName.get(normalizeToken(o.label))?.key, `${lp.key}:${o.key} ${o.label}`).toBe(
          m.values[o.key],
        );
      }
    },
  );
});

describe('the archived decisions_table (CISA 2.0.3, legacy form) agrees with the current table', () => {
  const labelToLetter = new Map(legacyPoints.map((p) => [p.label, p]));
  it.each(archived.decision_tree.decisions_table.map((r, i) => [i, r] as const))('row %i', (_i, row) => {
    let vector = 'SSVCv2/';
    for (const [label, optionLabel] of Object.entries(row)) {
      const lp = labelToLetter.get(label === 'Decision' ? 'Decision' : label)!;
      expect(lp, label).toBeDefined();
      vector += `${lp.key}:${lp.options.find((o) => o.label === optionLabel)!.key}/`;
    }
    const r = checkSsvcVector(vector);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.agrees).toBe(true);
  });
  it('has 36 rows', () => {
    expect(archived.decision_tree.decisions_table).toHaveLength(cisa.rows.length);
  });
});

describe('parseSsvcVector', () => {
  it('reads the full CISA example', () => {
    const r = parseSsvcVector(archived.computed);
    expect(r).toMatchObject({
      ok: true,
      vector: {
        raw: 'SSVCv2/E:A/A:N/T:T/P:M/B:A/M:M/D:A/2021-09-29T15:29:44Z/',
        timestamp: '2021-09-29T15:29:44Z',
        selections: { E: 'A', A: 'N', TI: 'T', MP: 'M', PWI: 'MA', MWI: 'M' },
        decision: { key: 'AT', name: 'Attend' },
      },
    });
    if (r.ok) {
      expect(r.vector.parts.find((p) => p.letter === 'B')).toEqual({
        letter: 'B',
        vectorValue: 'A',
        point: 'PWI',
        pointName: 'Public Well-Being Impact',
        value: 'MA',
        valueName: 'Material',
      });
    }
  });

  it('reads CISA ADP vectors (E/A/T only, fractional-second offsets)', () => {
    const r = parseSsvcVector('SSVCv2/E:P/A:N/T:P/2024-09-18T19:25:28.300313+00:00/');
    expect(r).toMatchObject({
      ok: true,
      vector: {
        selections: { E: 'P', A: 'N', TI: 'P' },
        decision: null,
        timestamp: '2024-09-18T19:25:28.300313+00:00',
      },
    });
  });

  it.each([
    ['CVSS:3.1/AV:N', /not an SSVC v2 vector/],
    [
      'SSVCv2/X:A/',
      /unknown SSVC vector letter 'X'; allowed: E \(Exploitation\), A \(Automatable\), T \(Technical Impact\)/,
    ],
    [
      'SSVCv2/E:Q/',
      /unknown value 'Q' for E \(Exploitation\); allowed: N \(None\), P \(Public PoC\), A \(Active\)/,
    ],
    [
      'SSVCv2/D:AT/',
      /unknown value 'AT' for D \(CISA Levels\); allowed: T \(Track\), R \(Track\*\), A \(Attend\), C \(Act\)/,
    ],
    ['SSVCv2/E:A/E:N/', /appears twice/],
    ['SSVCv2/E:P/some words/', /expected LETTER:VALUE/],
    ['SSVCv2/E:P/2024-01-01T00:00:00Z/A:N/', /after the timestamp/],
    ['SSVCv2/constructor:A/', /unknown SSVC vector letter/],
  ])('%s → error', (text, message) => {
    const r = parseSsvcVector(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it('never throws', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        'E:A',
        'A:N',
        'T:T',
        'P:M',
        'B:A',
        'M:M',
        'D:R',
        'D:C',
        '2021-09-29T15:29:44Z',
        '',
        'x',
      ),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(piece), fc.boolean(), (parts, prefix) => {
        const text = `${prefix ? 'SSVCv2/' : ''}${parts.join('/')}`;
        expect(typeof parseSsvcVector(text).ok).toBe('boolean');
        expect(typeof checkSsvcVector(text).ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('checkSsvcVector', () => {
  it('CISA’s own example decision (Attend) is what the table says', () => {
    const r = checkSsvcVector(archived.computed);
    expect(r).toMatchObject({
      ok: true,
      agrees: true,
      table: { outcome: { key: 'AT', name: 'Attend' }, row: 28 },
    });
  });
  it('a vector whose D disagrees with the table is flagged', () => {
    expect(checkSsvcVector('SSVCv2/E:A/A:N/T:T/M:M/D:C/')).toMatchObject({ ok: true, agrees: false });
  });
  it('no D: decided, agreement unknown', () => {
    expect(checkSsvcVector('SSVCv2/E:N/A:N/T:P/M:L/')).toMatchObject({ ok: true, agrees: null });
  });
  it('ADP vectors lack Mission and Well-Being Impact', () => {
    const r = checkSsvcVector('SSVCv2/E:N/A:Y/T:T/2024-07-12T16:11:44Z/');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('missing decision point Mission and Well-Being Impact (MWI)');
  });
  it('for every CISA table row, the vector of that row round-trips', () => {
    const inverse = (letter: string, key: string): string =>
      Object.entries(SSVC_VECTOR_LETTERS[letter]!.values).find(([, v]) => v === key)![0];
    cisa.rows.forEach((row, i) => {
      const v = `SSVCv2/E:${inverse('E', row.inputs['E']!)}/A:${inverse('A', row.inputs['A']!)}/T:${inverse('T', row.inputs['TI']!)}/M:${inverse('M', row.inputs['MWI']!)}/D:${inverse('D', row.outcome)}/`;
      const r = checkSsvcVector(v);
      expect(r).toMatchObject({ ok: true, agrees: true, table: { row: i } });
      if (r.ok) expect(decide('cisa', r.vector.selections)).toMatchObject({ ok: true, row: i });
    });
  });
  it('Mission Prevalence and Public Well-Being are not CISA-table inputs (checkSsvcVector leaves them out)', () => {
    const r = parseSsvcVector(archived.computed);
    if (r.ok)
      expect(decide('cisa', r.vector.selections)).toMatchObject({
        ok: false,
        code: 'unknown-point',
        point: 'MP',
      });
  });
});
