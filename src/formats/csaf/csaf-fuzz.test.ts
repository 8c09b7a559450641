/**
 * Property tests: real advisories (and the factory document) mutated one place at a time — a field
 * deleted, a value of the wrong type, a product reference broken — must never make the reader throw,
 * and must be reported with the JSON path of the damage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCsafAdvisory } from './csaf-advisory.js';
import { jsonPath, MAX_BRANCH_DEPTH } from './csaf-document.js';
import { CSAF_FIXTURE_FILES, csafDocumentFactory, loadCsafFixture } from './csaf-test-factories.js';

type Key = string | number;
type Json = unknown;

const SOURCES: { name: string; doc: Json }[] = [
  ...CSAF_FIXTURE_FILES.map((name) => ({ name, doc: loadCsafFixture(name) as Json })),
  { name: 'factory', doc: csafDocumentFactory() },
];

function allPaths(value: Json, prefix: Key[] = [], out: Key[][] = []): Key[][] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([...prefix, i]);
      allPaths(v, [...prefix, i], out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([...prefix, k]);
      allPaths(v, [...prefix, k], out);
    }
  }
  return out;
}

function mutate(doc: Json, path: Key[], op: { kind: 'delete' } | { kind: 'set'; value: unknown }): Json {
  const copy = structuredClone(doc);
  let parent = copy as Record<Key, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<Key, unknown>;
  const last = path[path.length - 1]!;
  if (op.kind === 'set') parent[last] = op.value;
  else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete parent[last];
  return copy;
}

const source = fc.constantFrom(...SOURCES);
const RUNS = { numRuns: 300 };

function assertWellFormed(r: ReturnType<typeof readCsafAdvisory>, file: string) {
  if (r.ok) return;
  expect(r.issues.length).toBeGreaterThan(0);
  for (const i of r.issues) {
    expect(i.file).toBe(file);
    expect(i.path).toMatch(/^\$/);
    expect(typeof i.reason).toBe('string');
  }
}

describe('CSAF reader under mutation', () => {
  it('never throws on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = readCsafAdvisory(v, 'any.json');
        expect(r.ok).toBe(false);
        assertWellFormed(r, 'any.json');
      }),
      RUNS,
    );
  });

  it('never throws when any node is deleted or replaced by a value of another type', () => {
    fc.assert(
      fc.property(
        source,
        fc.nat(),
        fc.oneof(
          fc.constant({ kind: 'delete' as const }),
          fc.jsonValue().map((value) => ({ kind: 'set' as const, value })),
        ),
        (src, n, op) => {
          const paths = allPaths(src.doc);
          const path = paths[n % paths.length]!;
          const r = readCsafAdvisory(mutate(src.doc, path, op), src.name);
          assertWellFormed(r, src.name);
        },
      ),
      RUNS,
    );
  });

  it('reports a deleted or mistyped product_id / category at exactly that path', () => {
    fc.assert(
      fc.property(
        source,
        fc.nat(),
        fc.oneof(
          fc.constant({ kind: 'delete' as const }),
          fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())).map((value) => ({
            kind: 'set' as const,
            value,
          })),
        ),
        (src, n, op) => {
          // Every `product_id` and every `category` except a reference's is required by the standard.
          const paths = allPaths(src.doc).filter((p) => {
            const last = p[p.length - 1];
            return last === 'product_id' || (last === 'category' && !p.includes('references'));
          });
          const path = paths[n % paths.length]!;
          const r = readCsafAdvisory(mutate(src.doc, path, op), src.name);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.issues.map((i) => i.path)).toContain(jsonPath(path));
        },
      ),
      RUNS,
    );
  });

  it('reports a product reference changed to an undefined id at exactly that path', () => {
    fc.assert(
      fc.property(source, fc.nat(), fc.string({ minLength: 1 }), (src, n, suffix) => {
        // References live in product_status lists, remediations' product_ids and scores' products.
        const refs = allPaths(src.doc).filter((p) => {
          const parent = p[p.length - 2];
          return (
            typeof p[p.length - 1] === 'number' &&
            p[0] === 'vulnerabilities' &&
            (parent === 'product_ids' || parent === 'products' || p.includes('product_status'))
          );
        });
        const path = refs[n % refs.length]!;
        const r = readCsafAdvisory(
          mutate(src.doc, path, { kind: 'set', value: `UNDEFINED-${suffix}` }),
          src.name,
        );
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.issues.map((i) => i.path)).toContain(jsonPath(path));
      }),
      RUNS,
    );
  });

  it('survives branches nested far deeper than a call stack', () => {
    let branch: Record<string, unknown> = {
      category: 'product_version',
      name: '1',
      product: { name: 'deep', product_id: 'D' },
    };
    for (let i = 0; i < 5000; i++) branch = { category: 'product_family', name: `f${i}`, branches: [branch] };
    const doc = csafDocumentFactory() as { product_tree: { branches: unknown[] } };
    doc.product_tree.branches.push(branch);
    const r = readCsafAdvisory(doc, 'deep.json');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.reason).toBe(`branches nested deeper than ${MAX_BRANCH_DEPTH} levels`);
  });

  it('accepts branches nested to the depth limit', () => {
    let branch: Record<string, unknown> = {
      category: 'product_version',
      name: '1',
      product: { name: 'deep', product_id: 'D' },
    };
    for (let i = 1; i < MAX_BRANCH_DEPTH; i++)
      branch = { category: 'product_family', name: `f${i}`, branches: [branch] };
    const doc = csafDocumentFactory() as { product_tree: { branches: unknown[] } };
    doc.product_tree.branches.push(branch);
    const r = readCsafAdvisory(doc, 'deep.json');
    expect(r.ok ? r.advisory.products.find((p) => p.productId === 'D')?.via.length : r.issues).toBe(
      MAX_BRANCH_DEPTH,
    );
  });
});
