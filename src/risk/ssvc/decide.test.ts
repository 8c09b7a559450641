import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DecideResult, decide, formatDecision, parseSelections } from './decide.js';
import { loadTable, SSVC_TREES } from './model.js';

const ok = (r: DecideResult): Extract<DecideResult, { ok: true }> => {
  if (!r.ok) throw new Error(`expected a decision, got: ${r.message}`);
  return r;
};
const fail = (r: DecideResult): Extract<DecideResult, { ok: false }> => {
  if (r.ok) throw new Error(`expected an error, got ${r.outcome.name}`);
  return r;
};

describe.each(SSVC_TREES)('decide(%s) over every row of its own table', (tree) => {
  const table = loadTable(tree);
  it.each(table.rows.map((r, i) => [i, r] as const))('row %i by keys and by names', (i, row) => {
    const byKey = ok(decide(tree, row.inputs));
    expect(byKey.row).toBe(i);
    expect(byKey.outcome.key).toBe(row.outcome);
    expect(byKey.path.map((s) => [s.point, s.value])).toEqual(
      table.decisionPoints.map((p) => [p.key, row.inputs[p.key]]),
    );
    const byName = Object.fromEntries(
      table.decisionPoints.map((p) => [
        p.name.toUpperCase(),
        p.values.find((v) => v.key === row.inputs[p.key])!.name,
      ]),
    );
    expect(ok(decide(tree, byName)).row).toBe(i);
  });
});

describe('name / key / case variants', () => {
  it.each([
    [
      {
        Exploitation: 'active',
        Automatable: 'no',
        'Technical Impact': 'total',
        'Mission and Well-Being Impact': 'medium',
      },
    ],
    [{ E: 'A', A: 'N', TI: 'T', MWI: 'M' }],
    [
      {
        exploitation: 'Active',
        automatable: 'NO',
        technical_impact: 'Total',
        mission_and_well_being_impact: 'm',
      },
    ],
    [{ 'ssvc:E': 'a', 'ssvc:A:2.0.0': 'n', 'SSVC:TI:1.0.0': 't', 'Mission & Well-Being Impact': 'Medium' }],
    [{ e: 'a', a: 'n', ti: 't', mwi: 'medium' }],
  ])('cisa %o → Attend', (sel) => {
    const r = ok(decide('cisa', sel));
    expect(r.outcome).toEqual({ point: 'CISA', pointName: 'CISA Levels', key: 'AT', name: 'Attend' });
    expect(r.table).toBe('cisa:DT_CO:2.0.3');
  });

  it('accepts Exploitation "PoC" (the 1.0.0 name of value P, as in CISA ADP data) and "Public PoC"', () => {
    const base = { A: 'N', TI: 'P', MWI: 'L' };
    expect(ok(decide('cisa', { ...base, E: 'poc' })).path[0]).toMatchObject({
      point: 'E',
      value: 'P',
      valueName: 'Public PoC',
    });
    expect(ok(decide('cisa', { ...base, E: 'public poc' })).path[0]?.value).toBe('P');
    expect(ok(decide('cisa', { ...base, E: 'Public-PoC' })).path[0]?.value).toBe('P');
  });

  it('deployer: multi-word names, keys, separators', () => {
    const a = ok(decide('deployer', { E: 'A', EXP: 'O', A: 'Y', HI: 'VH' }));
    const b = ok(
      decide('deployer', {
        exploitation: 'active',
        'system exposure': 'open',
        automatable: 'yes',
        'human impact': 'very high',
      }),
    );
    const c = ok(
      decide('deployer', {
        EXPLOITATION: 'ACTIVE',
        System_Exposure: 'Open',
        a: 'y',
        Human_Impact: 'very_high',
      }),
    );
    expect(a.outcome).toEqual({
      point: 'DSOI',
      pointName: 'Defer, Scheduled, Out-of-Cycle, Immediate',
      key: 'I',
      name: 'Immediate',
    });
    expect(b.row).toBe(a.row);
    expect(c.row).toBe(a.row);
  });

  it('the same point twice with the same value is fine', () => {
    expect(
      ok(decide('cisa', { E: 'A', Exploitation: 'active', A: 'N', TI: 'T', MWI: 'M' })).outcome.name,
    ).toBe('Attend');
  });
});

describe('deployer: Human Impact derived from Safety Impact × Mission Impact', () => {
  const hi = loadTable('human-impact');
  it.each(hi.rows.map((r, i) => [i, r] as const))('human-impact row %i', (i, row) => {
    const base = { E: 'P', EXP: 'C', A: 'N' };
    const derived = ok(decide('deployer', { ...base, ...row.inputs }));
    const direct = ok(decide('deployer', { ...base, HI: row.outcome }));
    expect(derived.outcome).toEqual(direct.outcome);
    expect(derived.row).toBe(direct.row);
    expect(derived.path.map((s) => s.point)).toEqual(['E', 'EXP', 'A', 'SI', 'MI', 'HI']);
    expect(derived.path.find((s) => s.point === 'HI')).toMatchObject({
      value: row.outcome,
      derived: { table: 'ssvc:DT_HI:1.0.0', row: i },
    });
  });

  it('by names: Safety Impact=catastrophic, Mission Impact=degraded → Very High', () => {
    const r = ok(
      decide('deployer', {
        E: 'active',
        EXP: 'open',
        A: 'yes',
        'Safety Impact': 'Catastrophic',
        'mission impact': 'Degraded',
      }),
    );
    expect(r.path.find((s) => s.point === 'HI')?.valueName).toBe('Very High');
    expect(r.outcome.name).toBe('Immediate');
  });
});

describe('errors', () => {
  it('unknown point names it and lists the allowed points', () => {
    const r = fail(decide('cisa', { E: 'A', A: 'N', TI: 'T', MWI: 'M', Foo: 'x' }));
    expect(r).toMatchObject({ code: 'unknown-point', point: 'Foo' });
    expect(r.message).toBe(
      "unknown decision point 'Foo' for the cisa tree; allowed: Exploitation (E), Automatable (A), Technical Impact (TI), Mission and Well-Being Impact (MWI)",
    );
    expect(r.allowed).toHaveLength(4);
  });

  it('a point of the other tree is unknown', () => {
    expect(fail(decide('cisa', { EXP: 'open' })).code).toBe('unknown-point');
    expect(fail(decide('deployer', { MWI: 'high' })).message).toContain(
      'Safety Impact (SI), Mission Impact (MI)',
    );
  });

  it('unknown value names the point and lists its values', () => {
    const r = fail(decide('cisa', { E: 'maybe', A: 'N', TI: 'T', MWI: 'M' }));
    expect(r).toMatchObject({
      code: 'unknown-value',
      point: 'E',
      allowed: ['None (N)', 'Public PoC (P)', 'Active (A)'],
    });
    expect(r.message).toBe(
      "unknown value 'maybe' for Exploitation (E); allowed: None (N), Public PoC (P), Active (A)",
    );
  });

  it('missing point names it with its values', () => {
    const r = fail(decide('cisa', { E: 'A', A: 'N', TI: 'T' }));
    expect(r).toMatchObject({ code: 'missing-point', point: 'MWI' });
    expect(r.message).toBe(
      'missing decision point Mission and Well-Being Impact (MWI); allowed values: Low (L), Medium (M), High (H)',
    );
  });

  it('missing Human Impact mentions the derivation; half a derivation names the other half', () => {
    const r = fail(decide('deployer', { E: 'A', EXP: 'O', A: 'Y' }));
    expect(r.message).toContain(
      'missing decision point Human Impact (HI) (or Safety Impact (SI) and Mission Impact (MI)',
    );
    const h = fail(decide('deployer', { E: 'A', EXP: 'O', A: 'Y', SI: 'critical' }));
    expect(h).toMatchObject({ code: 'missing-point', point: 'MI' });
  });

  it('conflicts: a point twice with different values; HI together with SI/MI', () => {
    expect(fail(decide('cisa', { E: 'A', exploitation: 'none', A: 'N', TI: 'T', MWI: 'M' }))).toMatchObject({
      code: 'conflict',
      point: 'E',
    });
    expect(fail(decide('deployer', { E: 'A', EXP: 'O', A: 'Y', HI: 'L', SI: 'N', MI: 'D' }))).toMatchObject({
      code: 'conflict',
      point: 'HI',
    });
  });

  it('unknown tree at run time', () => {
    expect(fail(decide('supplier' as 'cisa', {})).code).toBe('unknown-tree');
  });
});

describe('parseSelections', () => {
  it('splits at the first =, trims', () => {
    expect(parseSelections(['E=A', ' Technical Impact = total ', 'x=a=b'])).toEqual({
      ok: true,
      selections: { E: 'A', 'Technical Impact': 'total', x: 'a=b' },
    });
  });
  it.each([
    [['E'], "expected POINT=VALUE, got 'E'"],
    [['=A'], "missing decision point before '=' in '=A'"],
    [['E= '], "missing value after '=' in 'E= '"],
    [['E=A', 'E=N'], "decision point 'E' is given twice"],
  ])('%o → error', (args, message) => {
    expect(parseSelections(args)).toEqual({ ok: false, message });
  });
  it('feeds decide()', () => {
    const p = parseSelections(['exploitation=active', 'A=N', 'T I=T', 'mwi=high']);
    expect(p.ok).toBe(true);
    if (p.ok) expect(ok(decide('cisa', p.selections)).outcome.name).toBe('Act');
  });
});

describe('formatDecision', () => {
  it('prints the decision and the path', () => {
    const r = decide('deployer', { E: 'none', EXP: 'small', A: 'no', SI: 'negligible', MI: 'degraded' });
    expect(formatDecision(r)).toBe(
      [
        'Defer, Scheduled, Out-of-Cycle, Immediate: Defer (D)',
        'table ssvc:DT_DP:1.0.0 "Deployer Patch Application Priority", row 0',
        '  Exploitation (E) = None (N)',
        '  System Exposure (EXP) = Small (S)',
        '  Automatable (A) = No (N)',
        '  Safety Impact (SI) = Negligible (N)',
        '  Mission Impact (MI) = Degraded (D)',
        '  Human Impact (HI) = Low (L)  [derived: ssvc:DT_HI:1.0.0 row 0]',
      ].join('\n'),
    );
    expect(formatDecision(decide('cisa', {}))).toMatch(/^error: missing decision point Exploitation \(E\)/);
  });
});

describe('CISA ADP published values (distinct E/A/T triples of 42,939 CVE records)', () => {
  const rows = parse(
    readFileSync(new URL('./fixtures/cisa-adp-distinct-triples.csv', import.meta.url), 'utf8'),
    {
      columns: true,
      skip_empty_lines: true,
    },
  ) as Record<string, string>[];
  it('has the mixed-case spellings', () => {
    expect(rows.length).toBeGreaterThan(12);
    expect(new Set(rows.map((r) => r['Exploitation']))).toEqual(
      new Set(['none', 'None', 'poc', 'PoC', 'active', 'Active']),
    );
  });
  it.each(rows.map((r) => [`${r['Exploitation']}/${r['Automatable']}/${r['Technical_Impact']}`, r] as const))(
    '%s is accepted with every Mission and Well-Being value',
    (_label, r) => {
      for (const mwi of ['low', 'medium', 'high']) {
        const d = ok(
          decide('cisa', {
            Exploitation: r['Exploitation']!,
            Automatable: r['Automatable']!,
            'Technical Impact': r['Technical_Impact']!,
            'Mission and Well-Being Impact': mwi,
          }),
        );
        expect(d.path.map((s) => s.valueName.toLowerCase()).slice(1, 3)).toEqual([
          r['Automatable']!.toLowerCase(),
          r['Technical_Impact']!.toLowerCase(),
        ]);
      }
    },
  );
});

describe('property: arbitrary selections never throw', () => {
  const tokens = [
    'E',
    'A',
    'TI',
    'MWI',
    'EXP',
    'HI',
    'SI',
    'MI',
    'exploitation',
    'Human Impact',
    '__proto__',
    'constructor',
    '',
  ];
  const values = [
    'A',
    'N',
    'Y',
    'P',
    'T',
    'L',
    'M',
    'H',
    'VH',
    'O',
    'S',
    'C',
    'active',
    'very high',
    'poc',
    'toString',
    '',
  ];
  const key = fc.oneof(fc.constantFrom(...tokens), fc.string());
  const value = fc.oneof(fc.constantFrom(...values), fc.string());

  it('decide() returns a result for any record', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SSVC_TREES), fc.dictionary(key, value), (tree, sel) => {
        const r = decide(tree, sel);
        expect(typeof r.ok).toBe('boolean');
        if (r.ok) {
          const t = loadTable(tree);
          expect(t.outcome.values.some((v) => v.key === r.outcome.key)).toBe(true);
          expect(t.rows[r.row]?.outcome).toBe(r.outcome.key);
        } else {
          expect(r.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('any complete selection of valid value keys decides', () => {
    for (const tree of SSVC_TREES) {
      const t = loadTable(tree);
      const sel = fc.record(
        Object.fromEntries(
          t.decisionPoints.map((p) => [p.key, fc.constantFrom(...p.values.map((v) => v.key))]),
        ),
      );
      fc.assert(
        fc.property(sel, (s) => {
          expect(decide(tree, s).ok).toBe(true);
        }),
      );
    }
  });

  it('parseSelections() never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (args) => {
        expect(typeof parseSelections(args).ok).toBe('boolean');
      }),
    );
  });
});
