/**
 * Properties of the JSON paths that schema problems are reported at: a validator's JSON pointer
 * (RFC 6901) becomes a path that starts at `$`, names every key exactly (dots, brackets, quotes, `/`,
 * `~`) and never reads `$[""]` for a key that is not empty.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixtureJson } from '../formats/cyclonedx/sbom-vex-test-support.js';
import { validateCycloneDxJson } from '../formats/cyclonedx/validate-cyclonedx.js';
import { pointerToPath } from './advisory-import.js';

/** Reads a path back into its segments: `.name`, `[3]` and `["any \"key\""]`, nothing else. */
function segmentsOf(path: string): (string | number)[] {
  expect(path.startsWith('$')).toBe(true);
  const out: (string | number)[] = [];
  const re = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const at = re.lastIndex;
    const m = re.exec(path);
    if (!m || m.index !== at) throw new Error(`not a JSON path at ${at}: ${path}`);
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)));
  }
  return out;
}

const pointerOf = (segments: readonly (string | number)[]): string =>
  segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

// An all-digit key cannot be told from an array index in a pointer alone; pointerToPath reads it as one.
const key = fc
  .oneof(fc.string({ minLength: 1 }), fc.constantFrom('a.b', 'a[0]', '["x"]', 'a"b', '~1', 'a/b', '$', ' '))
  .filter((k) => !/^\d+$/.test(k));

describe('pointerToPath (properties)', () => {
  it('starts at $, never writes [""] for a non-empty key, and round-trips every key', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(key, fc.nat(1000)), { maxLength: 6 }), (segments) => {
        const path = pointerToPath(pointerOf(segments));
        expect(path.startsWith('$')).toBe(true);
        expect(path).not.toContain('[""]');
        expect(segmentsOf(path)).toEqual(segments);
      }),
    );
    expect(pointerToPath('/a.b/0/c"d')).toBe('$["a.b"][0]["c\\"d"]');
  });

  it('an unknown top-level key in a real SBOM is reported at its own path', async () => {
    const sbom = fixtureJson('cyclonedx', 'medical-device-narrow.sbom.json') as Record<string, unknown>;
    await fc.assert(
      fc.asyncProperty(key, async (k) => {
        fc.pre(!(k in sbom));
        const errors = await validateCycloneDxJson({ ...sbom, [k]: 1 }, '1.4');
        expect(errors.map((e) => segmentsOf(pointerToPath(e.pointer)))).toEqual([[k]]);
      }),
      { numRuns: 30 },
    );
  });
});
