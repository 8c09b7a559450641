/**
 * @module The SSVC decision function behind `vigil ssvc decide --tree cisa|deployer POINT=VALUE…`: a
 * generic evaluator over the loaded official decision tables (no tree is hand-coded). Decision points
 * and values are accepted by key or name in any case (`Exploitation=active`, `E=A`,
 * `exploitation=Public PoC`); every failure is a result, never an exception, and names the point or
 * value at fault with the allowed alternatives.
 *
 * The deployer tree's Human Impact may be given directly (`HI=high`) or derived from Safety Impact and
 * Mission Impact through the official Human Impact table (`SI=critical MI=degraded`); the derivation
 * appears in the path.
 * @see https://certcc.github.io/SSVC/
 * @see https://www.cisa.gov/ssvc
 */
import {
  buildPointIndex,
  buildValueIndex,
  DERIVATIONS,
  type DecisionPointDef,
  type DecisionPointValueDef,
  type DecisionTableDef,
  describe,
  isSsvcTree,
  loadTable,
  normalizeToken,
  pointId,
  SSVC_TREES,
  type SsvcTree,
} from './model.js';

export interface DecisionPathStep {
  /** Decision-point key, e.g. `E`. */
  point: string;
  pointName: string;
  /** Value key, e.g. `A`. */
  value: string;
  valueName: string;
  /** Set when the value was not given but computed by a sub-table (e.g. Human Impact). */
  derived?: { table: string; row: number };
}

export type DecideErrorCode =
  | 'unknown-tree'
  | 'unknown-point'
  | 'unknown-value'
  | 'missing-point'
  | 'conflict'
  | 'no-row';

export type DecideResult =
  | {
      ok: true;
      tree: SsvcTree;
      /** `namespace:key:version` of the table, e.g. `cisa:DT_CO:2.0.3`. */
      table: string;
      tableName: string;
      outcome: { point: string; pointName: string; key: string; name: string };
      /** The table's inputs in table order; a derived input is preceded by the sub-table inputs it came from. */
      path: DecisionPathStep[];
      /** Index of the matching row in the table's `mapping` (0-based, same as the CSV `row` column). */
      row: number;
    }
  | {
      ok: false;
      code: DecideErrorCode;
      message: string;
      /** The point concerned, as the caller spelled it (unknown point) or its key (otherwise); null if none. */
      point: string | null;
      /** The accepted alternatives (points or values), for listing in the CLI. */
      allowed: string[];
    };

type DecideError = Extract<DecideResult, { ok: false }>;

function err(code: DecideErrorCode, message: string, point: string | null, allowed: string[]): DecideError {
  return { ok: false, code, message, point, allowed };
}

interface TreeContext {
  tree: SsvcTree;
  table: DecisionTableDef;
  subTables: DecisionTableDef[];
  /** Every point a caller may give for this tree: the table's inputs and the sub-tables' inputs. */
  points: DecisionPointDef[];
  pointIndex: Map<string, DecisionPointDef>;
  valueIndex: Map<DecisionPointDef, Map<string, DecisionPointValueDef>>;
}

function buildContext(tree: SsvcTree): TreeContext {
  const table = loadTable(tree);
  const subTables = DERIVATIONS[tree].map((id) => loadTable(id));
  const points: DecisionPointDef[] = [...table.decisionPoints];
  for (const sub of subTables) {
    for (const p of sub.decisionPoints) if (!points.some((q) => pointId(q) === pointId(p))) points.push(p);
  }
  return {
    tree,
    table,
    subTables,
    points,
    pointIndex: buildPointIndex(points),
    valueIndex: new Map(points.map((p) => [p, buildValueIndex(p)])),
  };
}

const CONTEXTS = new Map<SsvcTree, TreeContext>(SSVC_TREES.map((t) => [t, buildContext(t)]));

/** Points of a tree as `Name (KEY)`, with each value list, for help text and errors. */
export function describeTreeInputs(tree: SsvcTree): { point: string; values: string[] }[] {
  const ctx = CONTEXTS.get(tree)!;
  return ctx.points.map((p) => ({ point: describe(p), values: p.values.map((v) => describe(v)) }));
}

/** Finds the row of `table` matching `inputs` (point key → value key). */
function findRow(table: DecisionTableDef, inputs: Record<string, string>): number {
  return table.rows.findIndex((r) => table.decisionPoints.every((p) => r.inputs[p.key] === inputs[p.key]));
}

function step(point: DecisionPointDef, valueKey: string): DecisionPathStep {
  const v = point.values.find((x) => x.key === valueKey)!;
  return { point: point.key, pointName: point.name, value: v.key, valueName: v.name };
}

/**
 * Evaluates `tree` for `selections` (point name or key → value name or key, any case).
 * Unknown points, unknown values, missing points and conflicting spellings are errors; nothing throws.
 */
export function decide(tree: SsvcTree, selections: Readonly<Record<string, string>>): DecideResult {
  if (typeof tree !== 'string' || !isSsvcTree(tree)) {
    return err(
      'unknown-tree',
      `unknown SSVC tree '${String(tree)}'; allowed: ${SSVC_TREES.join(', ')}`,
      null,
      [...SSVC_TREES],
    );
  }
  const ctx = CONTEXTS.get(tree)!;
  const allowedPoints = ctx.points.map((p) => describe(p));

  // 1. Resolve every selection to (point, value key).
  const chosen = new Map<string, { value: string; spelled: string }>();
  for (const [rawPoint, rawValue] of Object.entries(selections)) {
    const point = ctx.pointIndex.get(normalizeToken(String(rawPoint)));
    if (!point) {
      return err(
        'unknown-point',
        `unknown decision point '${rawPoint}' for the ${tree} tree; allowed: ${allowedPoints.join(', ')}`,
        rawPoint,
        allowedPoints,
      );
    }
    const allowedValues = point.values.map((v) => describe(v));
    const value =
      typeof rawValue === 'string' ? ctx.valueIndex.get(point)!.get(normalizeToken(rawValue)) : undefined;
    if (!value) {
      return err(
        'unknown-value',
        `unknown value '${String(rawValue)}' for ${describe(point)}; allowed: ${allowedValues.join(', ')}`,
        point.key,
        allowedValues,
      );
    }
    const prev = chosen.get(pointId(point));
    if (prev && prev.value !== value.key) {
      return err(
        'conflict',
        `${describe(point)} is given twice with different values ('${prev.spelled}' and '${rawPoint}=${rawValue}')`,
        point.key,
        allowedValues,
      );
    }
    chosen.set(pointId(point), { value: value.key, spelled: `${rawPoint}=${rawValue}` });
  }

  // 2. Derive table inputs from sub-tables where the caller gave the sub-table's inputs instead.
  const path: DecisionPathStep[] = [];
  const inputs: Record<string, string> = {};
  for (const p of ctx.table.decisionPoints) {
    const given = chosen.get(pointId(p));
    const sub = ctx.subTables.find((s) => pointId(s.outcome) === pointId(p));
    const subGiven = sub ? sub.decisionPoints.filter((q) => chosen.has(pointId(q))) : [];
    if (given && sub && subGiven.length > 0) {
      return err(
        'conflict',
        `give either ${describe(p)} or ${sub.decisionPoints.map((q) => describe(q)).join(' and ')} (from which it is derived), not both`,
        p.key,
        [describe(p), ...sub.decisionPoints.map((q) => describe(q))],
      );
    }
    if (given) {
      inputs[p.key] = given.value;
      path.push(step(p, given.value));
      continue;
    }
    if (sub && subGiven.length > 0) {
      const subInputs: Record<string, string> = {};
      for (const q of sub.decisionPoints) {
        const g = chosen.get(pointId(q));
        if (!g) {
          return err(
            'missing-point',
            `missing decision point ${describe(q)}, needed with ${subGiven.map((x) => describe(x)).join(', ')} to derive ${describe(p)}; allowed values: ${q.values.map((v) => describe(v)).join(', ')}`,
            q.key,
            q.values.map((v) => describe(v)),
          );
        }
        subInputs[q.key] = g.value;
      }
      const row = findRow(sub, subInputs);
      if (row < 0) return err('no-row', `no row of ${pointId(sub)} matches the given values`, p.key, []);
      for (const q of sub.decisionPoints) path.push(step(q, subInputs[q.key]!));
      const value = sub.rows[row]!.outcome;
      path.push({ ...step(p, value), derived: { table: pointId(sub), row } });
      inputs[p.key] = value;
      continue;
    }
    const alternative = sub
      ? ` (or ${sub.decisionPoints.map((q) => describe(q)).join(' and ')}, from which it is derived)`
      : '';
    return err(
      'missing-point',
      `missing decision point ${describe(p)}${alternative}; allowed values: ${p.values.map((v) => describe(v)).join(', ')}`,
      p.key,
      p.values.map((v) => describe(v)),
    );
  }

  // 3. Look the inputs up in the table.
  const row = findRow(ctx.table, inputs);
  if (row < 0) return err('no-row', `no row of ${pointId(ctx.table)} matches the given values`, null, []);
  const outcomeKey = ctx.table.rows[row]!.outcome;
  const outcomeValue = ctx.table.outcome.values.find((v) => v.key === outcomeKey)!;
  return {
    ok: true,
    tree,
    table: pointId(ctx.table),
    tableName: ctx.table.name,
    outcome: {
      point: ctx.table.outcome.key,
      pointName: ctx.table.outcome.name,
      key: outcomeValue.key,
      name: outcomeValue.name,
    },
    path,
    row,
  };
}

export type ParseSelectionsResult =
  | { ok: true; selections: Record<string, string> }
  | { ok: false; message: string };

/**
 * Reads CLI arguments of the form `POINT=VALUE` (split at the first `=`, both sides trimmed). Does not
 * check names against a tree; {@link decide} does that. The same spelling of a point twice is an error.
 */
export function parseSelections(args: readonly string[]): ParseSelectionsResult {
  const selections: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0) return { ok: false, message: `expected POINT=VALUE, got '${arg}'` };
    const point = arg.slice(0, eq).trim();
    const value = arg.slice(eq + 1).trim();
    if (point === '') return { ok: false, message: `missing decision point before '=' in '${arg}'` };
    if (value === '') return { ok: false, message: `missing value after '=' in '${arg}'` };
    if (Object.hasOwn(selections, point))
      return { ok: false, message: `decision point '${point}' is given twice` };
    selections[point] = value;
  }
  return { ok: true, selections };
}

/** Human-readable rendering of a result for the CLI: the decision, then the path through the table. */
export function formatDecision(result: DecideResult): string {
  if (!result.ok) return `error: ${result.message}`;
  const lines = [`${result.outcome.pointName}: ${result.outcome.name} (${result.outcome.key})`];
  lines.push(`table ${result.table} "${result.tableName}", row ${result.row}`);
  for (const s of result.path) {
    const via = s.derived ? `  [derived: ${s.derived.table} row ${s.derived.row}]` : '';
    lines.push(`  ${s.pointName} (${s.point}) = ${s.valueName} (${s.value})${via}`);
  }
  return lines.join('\n');
}
