/**
 * @module SSVC decision tables as data: the official CERT/CC SSVC v2 (schema 2.0.0) JSON tables are
 * imported unmodified from `./tables/`, validated with zod once at module load, and turned into a small
 * model (decision points with their values, table rows keyed by decision-point key). Nothing here knows
 * what a particular tree means: the evaluator in `decide.ts` is generic over this model.
 *
 * Tables loaded (see `tables/PROVENANCE.md`):
 * - `cisa`: CISA Coordinator `cisa:DT_CO:2.0.3` — Exploitation × Automatable × Technical Impact ×
 *   Mission and Well-Being Impact → CISA Levels (Track, Track*, Attend, Act), 36 rows.
 * - `deployer`: `ssvc:DT_DP:1.0.0` Deployer Patch Application Priority — Exploitation × System Exposure ×
 *   Automatable × Human Impact → Defer, Scheduled, Out-of-Cycle, Immediate, 72 rows.
 * - `human-impact`: `ssvc:DT_HI:1.0.0` — Safety Impact × Mission Impact → Human Impact, 16 rows; its
 *   outcome is the deployer table's Human Impact input, so a deployer decision can start from Safety
 *   Impact and Mission Impact instead (a hospital knows those better than the combined value).
 *
 * Names are matched leniently (case, spaces, `-`, `_`, `&`/`and`), but a spelling that could mean two
 * different points or values is rejected at load time rather than resolved by guesswork.
 * @see https://certcc.github.io/SSVC/
 * @see https://www.cisa.gov/ssvc
 * @see https://github.com/CERTCC/SSVC/tree/main/data/json/decision_tables
 */
import { z } from 'zod';
import cisaCoordinatorJson from './tables/cisa_coordinator_2_0_3.json' with { type: 'json' };
import deployerJson from './tables/deployer_patch_application_priority_1_0_0.json' with { type: 'json' };
import exploitation100Json from './tables/exploitation_1_0_0.json' with { type: 'json' };
import humanImpactJson from './tables/human_impact_1_0_0.json' with { type: 'json' };
import missionPrevalenceJson from './tables/mission_prevalence_1_0_0.json' with { type: 'json' };
import publicWellBeingJson from './tables/public_well_being_impact_1_1_0.json' with { type: 'json' };

// ---------------------------------------------------------------------------------------------
// Schemas (SSVC 2.0.0 DecisionPoint / DecisionTable, only the fields we use; extra fields allowed)
// ---------------------------------------------------------------------------------------------

const valueSchema = z.looseObject({
  key: z.string().min(1),
  name: z.string().min(1),
  definition: z.string(),
});

const decisionPointSchema = z.looseObject({
  namespace: z.string().min(1),
  key: z.string().min(1),
  version: z.string().min(1),
  name: z.string().min(1),
  definition: z.string(),
  schemaVersion: z.literal('2.0.0'),
  values: z.array(valueSchema).min(1),
});

const decisionTableSchema = z.looseObject({
  namespace: z.string().min(1),
  key: z.string().min(1),
  version: z.string().min(1),
  name: z.string().min(1),
  definition: z.string(),
  schemaVersion: z.literal('2.0.0'),
  decision_points: z.record(z.string(), decisionPointSchema),
  outcome: z.string().min(1),
  mapping: z.array(z.record(z.string(), z.string())).min(1),
});

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

export interface DecisionPointValueDef {
  key: string;
  name: string;
  description: string;
  /** Names this value had in earlier versions of the same decision point (e.g. Exploitation 1.0.0 `PoC`). */
  formerNames: string[];
}

export interface DecisionPointDef {
  namespace: string;
  key: string;
  version: string;
  name: string;
  description: string;
  values: DecisionPointValueDef[];
}

export interface DecisionTableRow {
  /** Decision-point key → value key, for every input point of the table. */
  inputs: Record<string, string>;
  /** Value key of the outcome point. */
  outcome: string;
}

export interface DecisionTableDef {
  id: SsvcTableId;
  namespace: string;
  key: string;
  version: string;
  name: string;
  description: string;
  /** The file in `./tables/` the table was loaded from. */
  source: string;
  /** Input decision points, in the table's order. */
  decisionPoints: DecisionPointDef[];
  outcome: DecisionPointDef;
  /** The rows in published order; row numbers used elsewhere are indexes into this array. */
  rows: DecisionTableRow[];
}

/** The trees the CLI offers. */
export const SSVC_TREES = ['cisa', 'deployer'] as const;
export type SsvcTree = (typeof SSVC_TREES)[number];
/** Every table this module loads, including sub-tables that derive an input of a tree. */
export const SSVC_TABLE_IDS = ['cisa', 'deployer', 'human-impact'] as const;
export type SsvcTableId = (typeof SSVC_TABLE_IDS)[number];

export function isSsvcTree(value: string): value is SsvcTree {
  return (SSVC_TREES as readonly string[]).includes(value);
}

/** `namespace:key:version`, the identifier SSVC uses for decision points and tables. */
export function pointId(p: { namespace: string; key: string; version: string }): string {
  return `${p.namespace}:${p.key}:${p.version}`;
}

/**
 * Comparison form of a user-supplied or published spelling: case-folded, `&` read as `and`, and
 * whitespace, `-` and `_` dropped (`Out-of-Cycle` = `out of cycle` = `OUT_OF_CYCLE`). `*` is kept, so
 * `Track*` never collapses into `Track`.
 */
export function normalizeToken(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/&/g, 'and')
    .replace(/[\s_-]+/g, '');
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/** Earlier versions of decision points, used only for their value names (same namespace, key and value keys). */
const FORMER_POINT_VERSIONS: readonly DecisionPointDef[] = [
  loadPoint(exploitation100Json, 'exploitation_1_0_0.json', []),
];

function loadPoint(
  json: unknown,
  source: string,
  former: readonly DecisionPointDef[] = FORMER_POINT_VERSIONS,
): DecisionPointDef {
  const parsed = decisionPointSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`SSVC ${source}: not an SSVC 2.0.0 decision point: ${parsed.error.message}`);
  return toPoint(parsed.data, former);
}

function toPoint(
  p: z.infer<typeof decisionPointSchema>,
  former: readonly DecisionPointDef[] = FORMER_POINT_VERSIONS,
): DecisionPointDef {
  const formerVersions = former.filter(
    (f) => f.namespace === p.namespace && f.key === p.key && f.version !== p.version,
  );
  const values = p.values.map((v) => {
    const formerNames = new Set<string>();
    for (const f of formerVersions) {
      const old = f.values.find((o) => o.key === v.key);
      if (old && normalizeToken(old.name) !== normalizeToken(v.name)) formerNames.add(old.name);
    }
    return { key: v.key, name: v.name, description: v.definition, formerNames: [...formerNames] };
  });
  const def: DecisionPointDef = {
    namespace: p.namespace,
    key: p.key,
    version: p.version,
    name: p.name,
    description: p.definition,
    values,
  };
  buildValueIndex(def); // throws on an ambiguous spelling
  return def;
}

function loadTableJson(id: SsvcTableId, json: unknown, source: string): DecisionTableDef {
  const parsed = decisionTableSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`SSVC ${source}: not an SSVC 2.0.0 decision table: ${parsed.error.message}`);
  const t = parsed.data;
  const fail = (msg: string): never => {
    throw new Error(`SSVC ${source} (${t.namespace}:${t.key}:${t.version}): ${msg}`);
  };
  const points = new Map<string, DecisionPointDef>();
  for (const [ref, raw] of Object.entries(t.decision_points)) {
    const p = toPoint(raw);
    if (ref !== pointId(p)) fail(`decision_points entry '${ref}' holds ${pointId(p)}`);
    points.set(ref, p);
  }
  const outcome = points.get(t.outcome) ?? fail(`outcome '${t.outcome}' is not among decision_points`);
  const inputs = [...points.entries()].filter(([ref]) => ref !== t.outcome);
  const inputKeys = new Set(inputs.map(([, p]) => p.key));
  if (inputKeys.size !== inputs.length) fail('two input decision points share a key');
  const expectedRefs = [...points.keys()].sort();
  const seen = new Set<string>();
  const rows = t.mapping.map((m, i): DecisionTableRow => {
    const refs = Object.keys(m).sort();
    if (refs.join('|') !== expectedRefs.join('|')) fail(`mapping row ${i} names points ${refs.join(', ')}`);
    const rowInputs: Record<string, string> = {};
    for (const [ref, p] of inputs) {
      const v = m[ref]!;
      if (!p.values.some((x) => x.key === v)) fail(`mapping row ${i}: '${v}' is not a value of ${ref}`);
      rowInputs[p.key] = v;
    }
    const o = m[t.outcome]!;
    if (!outcome.values.some((x) => x.key === o))
      fail(`mapping row ${i}: outcome '${o}' is not a value of ${t.outcome}`);
    const combo = inputs.map(([, p]) => rowInputs[p.key]).join('|');
    if (seen.has(combo)) fail(`mapping row ${i} repeats the inputs of an earlier row`);
    seen.add(combo);
    return { inputs: rowInputs, outcome: o };
  });
  const def: DecisionTableDef = {
    id,
    namespace: t.namespace,
    key: t.key,
    version: t.version,
    name: t.name,
    description: t.definition,
    source,
    decisionPoints: inputs.map(([, p]) => p),
    outcome,
    rows,
  };
  buildPointIndex(def.decisionPoints); // throws on an ambiguous spelling
  return def;
}

// ---------------------------------------------------------------------------------------------
// Name/key resolution
// ---------------------------------------------------------------------------------------------

function addToken<T>(index: Map<string, T>, token: string, target: T, what: string): void {
  const k = normalizeToken(token);
  if (k === '') return;
  const prev = index.get(k);
  if (prev !== undefined && prev !== target)
    throw new Error(`SSVC: the spelling '${token}' is ambiguous for ${what}`);
  index.set(k, target);
}

/** Normalized spelling (key, name, former name) → value, for one decision point. */
export function buildValueIndex(point: DecisionPointDef): Map<string, DecisionPointValueDef> {
  const index = new Map<string, DecisionPointValueDef>();
  for (const v of point.values) {
    for (const s of [v.key, v.name, ...v.formerNames])
      addToken(index, s, v, `the values of ${pointId(point)}`);
  }
  return index;
}

/** Normalized spelling (key, name, `namespace:key`, `namespace:key:version`) → decision point. */
export function buildPointIndex(points: readonly DecisionPointDef[]): Map<string, DecisionPointDef> {
  const index = new Map<string, DecisionPointDef>();
  for (const p of points) {
    for (const s of [p.key, p.name, `${p.namespace}:${p.key}`, pointId(p)])
      addToken(index, s, p, 'decision points');
  }
  return index;
}

/** `Exploitation (E)`: how points and values are named in messages. */
export function describe(item: { key: string; name: string }): string {
  return item.name === item.key ? item.key : `${item.name} (${item.key})`;
}

// ---------------------------------------------------------------------------------------------
// The loaded tables
// ---------------------------------------------------------------------------------------------

const TABLES: Readonly<Record<SsvcTableId, DecisionTableDef>> = {
  cisa: loadTableJson('cisa', cisaCoordinatorJson, 'cisa_coordinator_2_0_3.json'),
  deployer: loadTableJson('deployer', deployerJson, 'deployer_patch_application_priority_1_0_0.json'),
  'human-impact': loadTableJson('human-impact', humanImpactJson, 'human_impact_1_0_0.json'),
};

/**
 * Decision points that appear in CISA's vector notation but are not inputs of the CISA table
 * (Mission Prevalence and Public Well-Being Impact, the two halves of Mission and Well-Being Impact).
 */
export const CISA_EXTRA_POINTS: readonly DecisionPointDef[] = [
  loadPoint(missionPrevalenceJson, 'mission_prevalence_1_0_0.json'),
  loadPoint(publicWellBeingJson, 'public_well_being_impact_1_1_0.json'),
];

/**
 * Sub-tables that can derive an input of a tree when the caller supplies the sub-table's inputs
 * instead. Each sub-table's outcome must be exactly (namespace, key, version) an input of the tree.
 */
export const DERIVATIONS: Readonly<Record<SsvcTree, readonly SsvcTableId[]>> = {
  cisa: [],
  deployer: ['human-impact'],
};

for (const tree of SSVC_TREES) {
  for (const sub of DERIVATIONS[tree]) {
    const target = pointId(TABLES[sub].outcome);
    if (!TABLES[tree].decisionPoints.some((p) => pointId(p) === target)) {
      throw new Error(`SSVC: ${sub} derives ${target}, which is not an input of ${tree}`);
    }
  }
}

/** One of the loaded official tables (validated at module load). */
export function loadTable(id: SsvcTableId): DecisionTableDef {
  return TABLES[id];
}
