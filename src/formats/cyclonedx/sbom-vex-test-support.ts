/**
 * @module Test support shared by the SBOM/VEX reader tests: fixture loading from
 * `test/fixtures/sbom-vex/` (never from /work/shared) and a fast-check arbitrary that mutates a real
 * document at one random place, so property tests exercise near-miss inputs, not just random JSON.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';

const FIXTURES = new URL('../../../test/fixtures/sbom-vex/', import.meta.url);

export function fixtureText(dir: string, name: string): string {
  return readFileSync(new URL(`${dir}/${name}`, FIXTURES), 'utf8');
}

export function fixtureJson(dir: string, name: string): unknown {
  return JSON.parse(fixtureText(dir, name));
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside `doc` (objects and arrays included). */
function paths(
  doc: Json,
  base: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(base);
  if (Array.isArray(doc)) {
    for (let i = 0; i < doc.length; i++) paths(doc[i] as Json, [...base, i], out);
  } else if (doc !== null && typeof doc === 'object')
    for (const [k, v] of Object.entries(doc)) paths(v, [...base, k], out);
  return out;
}

/** A copy of `doc` with the value at one random path replaced by arbitrary JSON, or deleted. */
export function mutatedDocument(doc: unknown): fc.Arbitrary<unknown> {
  const all = paths(doc as Json);
  return fc
    .tuple(
      fc.integer({ min: 0, max: all.length - 1 }),
      fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
    )
    .map(([i, value]) => {
      const copy = structuredClone(doc) as Json;
      const path = all[i]!;
      if (path.length === 0) return value ?? null;
      let parent: Json = copy;
      for (const seg of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[seg] as Json;
      const last = path[path.length - 1]!;
      const container = parent as Record<string | number, Json>;
      if (value === undefined) {
        if (Array.isArray(container) && typeof last === 'number') container.splice(last, 1);
        else delete container[last];
      } else container[last] = value as Json;
      return copy;
    });
}
