/**
 * @module Test support for the feed readers' property tests: a fast-check arbitrary that takes a real
 * sample and replaces or deletes one to three values anywhere in it, so the readers are exercised on
 * near-valid input (the kind a truncated download or a producer bug gives), not only on noise.
 * Imported only by `*.test.ts` files.
 */
import fc from 'fast-check';

type Segment = string | number;
const DELETE = Symbol('delete');

function collectPaths(value: unknown, prefix: Segment[], out: Segment[][], limit: number): void {
  if (out.length >= limit) return;
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) collectPaths(v, [...prefix, i], out, limit);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) collectPaths(v, [...prefix, k], out, limit);
  }
}

function setAt(root: unknown, path: Segment[], replacement: unknown): unknown {
  if (path.length === 0) return replacement === DELETE ? null : replacement;
  let parent: unknown = root;
  for (const seg of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return root;
    parent = (parent as Record<Segment, unknown>)[seg];
  }
  if (typeof parent !== 'object' || parent === null) return root;
  const last = path[path.length - 1]!;
  if (replacement === DELETE) {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete (parent as Record<Segment, unknown>)[last];
  } else (parent as Record<Segment, unknown>)[last] = replacement;
  return root;
}

/** One to three replacements/deletions at random places of a deep copy of `sample`. */
export function mutatedJson(sample: unknown, maxPaths = 5000): fc.Arbitrary<unknown> {
  const paths: Segment[][] = [];
  collectPaths(sample, [], paths, maxPaths);
  const edit = fc.tuple(fc.constantFrom(...paths), fc.oneof(fc.jsonValue(), fc.constant(DELETE)));
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    let copy: unknown = structuredClone(sample);
    for (const [p, v] of edits) copy = setAt(copy, p, v);
    return copy;
  });
}
