import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import {
  type DecisionTableDef,
  loadTable,
  normalizeToken,
  pointId,
  SSVC_TABLE_IDS,
  type SsvcTableId,
} from './model.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** Every combination of the table's input value keys, in the table's point order. */
function combinations(table: DecisionTableDef): Record<string, string>[] {
  let out: Record<string, string>[] = [{}];
  for (const p of table.decisionPoints)
    out = out.flatMap((c) => p.values.map((v) => ({ ...c, [p.key]: v.key })));
  return out;
}

const EXPECTED: Record<
  SsvcTableId,
  { id: string; inputs: string[]; outcome: string; rows: number; csv: string }
> = {
  cisa: {
    id: 'cisa:DT_CO:2.0.3',
    inputs: ['ssvc:E:1.1.0', 'ssvc:A:2.0.0', 'ssvc:TI:1.0.0', 'ssvc:MWI:1.0.0'],
    outcome: 'cisa:CISA:1.1.0',
    rows: 36,
    csv: 'cisa_coordinator_2_0_3.csv',
  },
  deployer: {
    id: 'ssvc:DT_DP:1.0.0',
    inputs: ['ssvc:E:1.1.0', 'ssvc:EXP:1.0.1', 'ssvc:A:2.0.0', 'ssvc:HI:2.0.2'],
    outcome: 'ssvc:DSOI:1.0.0',
    rows: 72,
    csv: 'deployer_patch_application_priority_1_0_0.csv',
  },
  'human-impact': {
    id: 'ssvc:DT_HI:1.0.0',
    inputs: ['ssvc:SI:2.0.1', 'ssvc:MI:2.0.0'],
    outcome: 'ssvc:HI:2.0.2',
    rows: 16,
    csv: 'human_impact_1_0_0.csv',
  },
};

describe.each(SSVC_TABLE_IDS)('official table %s', (id) => {
  const table = loadTable(id);
  const expected = EXPECTED[id];

  it('is the expected table, points and version', () => {
    expect(pointId(table)).toBe(expected.id);
    expect(table.decisionPoints.map((p) => pointId(p))).toEqual(expected.inputs);
    expect(pointId(table.outcome)).toBe(expected.outcome);
    expect(table.rows).toHaveLength(expected.rows);
  });

  it('is complete: every combination of input values appears exactly once', () => {
    const product = table.decisionPoints.reduce((n, p) => n * p.values.length, 1);
    expect(table.rows).toHaveLength(product);
    const keyOf = (inputs: Record<string, string>): string =>
      table.decisionPoints.map((p) => `${p.key}:${inputs[p.key]}`).join('/');
    const rowKeys = table.rows.map((r) => keyOf(r.inputs));
    expect(new Set(rowKeys).size).toBe(rowKeys.length);
    expect(new Set(rowKeys)).toEqual(new Set(combinations(table).map(keyOf)));
  });

  it('every outcome value is reachable', () => {
    expect(new Set(table.rows.map((r) => r.outcome))).toEqual(
      new Set(table.outcome.values.map((v) => v.key)),
    );
  });

  /**
   * The CSV is the other published form of the same table (CERT/CC generates both): its headers carry
   * point names + versions, its cells lower-cased value names. Matching it row by row checks the JSON
   * loader and the name resolution against independent text.
   */
  it('matches the published CSV form row by row', () => {
    const records = parse(fixture(expected.csv), { columns: false, skip_empty_lines: true }) as string[][];
    const [header, ...body] = records;
    expect(body).toHaveLength(table.rows.length);
    const cols = header!.slice(1);
    const colPoints = [...table.decisionPoints, table.outcome];
    expect(cols.map((c) => c.replace(/ \(\w+\)$/, ''))).toEqual(
      colPoints.map((p) => `${p.name} v${p.version}`),
    );
    body.forEach((cells, i) => {
      expect(Number(cells[0])).toBe(i);
      const row = table.rows[i]!;
      table.decisionPoints.forEach((p, j) => {
        const v = p.values.find((x) => x.key === row.inputs[p.key])!;
        expect(normalizeToken(cells[j + 1]!)).toBe(normalizeToken(v.name));
      });
      const o = table.outcome.values.find((x) => x.key === row.outcome)!;
      expect(normalizeToken(cells[cols.length]!)).toBe(normalizeToken(o.name));
    });
  });
});

describe('decide() reproduces every CSV row, by the CSV’s own point and value names', () => {
  for (const tree of ['cisa', 'deployer'] as const) {
    const table = loadTable(tree);
    const records = parse(fixture(EXPECTED[tree].csv), {
      columns: false,
      skip_empty_lines: true,
    }) as string[][];
    const [header, ...body] = records;
    // "Exploitation v1.1.0" → "Exploitation"; the outcome column is last.
    const names = header!.slice(1, -1).map((h) => h.replace(/ v\d+\.\d+\.\d+.*$/, ''));
    it.each(body.map((cells) => [cells[0]!, cells] as const))(`${tree} CSV row %s`, (_row, cells) => {
      const selections = Object.fromEntries(names.map((n, j) => [n, cells[j + 1]!]));
      const r = decide(tree, selections);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.row).toBe(Number(cells[0]));
      expect(normalizeToken(r.outcome.name)).toBe(normalizeToken(cells[cells.length - 1]!));
      expect(r.outcome.key).toBe(table.rows[r.row]!.outcome);
    });
  }
});
