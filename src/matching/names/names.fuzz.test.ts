/**
 * Property tests (fast-check) for the name normalisation: the functions are total, the keys are stable,
 * and confidence is consistent with the match kind, whatever the input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareModelNames,
  manufacturerKey,
  modelIndexKeys,
  modelKey,
  productExclusions,
  resolveManufacturer,
} from './names.js';

/** Strings that look like model names: words, numbers, punctuation, diacritics and the odd exclusion. */
const modelLike = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'Alaris',
        'PC',
        'Unit',
        'Model',
        'IntelliVue',
        'MX',
        'Monitor',
        'Pump',
        'Dräger',
        'CareLink',
      ),
      fc.constantFrom('not including', 'except', 'and', 'all versions', '(', ')', '/', '-', '@', ',', ':'),
      fc.integer({ min: 0, max: 99999 }).map(String),
      fc.stringMatching(/^[A-Za-z]{1,4}\d{1,4}[A-Za-z]?$/),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(' '));

const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  modelLike,
);

describe('properties', () => {
  it('compareModelNames never throws, confidence in [0,1], none ⇔ 0', () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        const m = compareModelNames(a, b);
        expect(m.confidence).toBeGreaterThanOrEqual(0);
        expect(m.confidence).toBeLessThanOrEqual(1);
        expect(m.kind === 'none').toBe(m.confidence === 0);
        if (m.kind === 'fuzzy') expect(m.confidence).toBeLessThan(1);
        if (m.kind !== 'none') expect(m.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('compareModelNames is symmetric in kind for exact and normalized', () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        const ab = compareModelNames(a, b).kind;
        const ba = compareModelNames(b, a).kind;
        expect(ab === 'exact').toBe(ba === 'exact');
        expect(ab === 'normalized').toBe(ba === 'normalized');
      }),
      { numRuns: 2000 },
    );
  });

  it('a name compared with a re-spaced, re-cased copy of itself is exact or normalized', () => {
    fc.assert(
      fc.property(modelLike, (a) => {
        fc.pre(modelKey(a) !== '');
        const b = a.toUpperCase().replace(/ /g, '  ');
        expect(['exact', 'normalized']).toContain(compareModelNames(a, b).kind);
      }),
    );
  });

  it('modelKey is idempotent and only [a-z0-9]', () => {
    fc.assert(
      fc.property(anyString, (a) => {
        const k = modelKey(a);
        expect(modelKey(k)).toBe(k);
        expect(k).toMatch(/^[a-z0-9]*$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('manufacturerKey is idempotent', () => {
    fc.assert(
      fc.property(anyString, (a) => {
        const k = manufacturerKey(a);
        expect(manufacturerKey(k)).toBe(k);
        expect(k).toMatch(/^([a-z0-9]+(-[a-z0-9]+)*)?$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('resolveManufacturer, productExclusions and modelIndexKeys never throw', () => {
    fc.assert(
      fc.property(anyString, (a) => {
        const id = resolveManufacturer(a);
        expect(id.via.length).toBeGreaterThan(0);
        const { base, excluded } = productExclusions(a);
        expect(typeof base).toBe('string');
        expect(excluded.every((e) => e.length > 0)).toBe(true);
        expect(Array.isArray(modelIndexKeys(a))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('model numbers must match exactly: a different number never gives more than none', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Alaris', 'Medfusion', 'Brivo XR', 'Optima CT'),
        fc.integer({ min: 100, max: 99999 }),
        fc.integer({ min: 100, max: 99999 }),
        (word, x, y) => {
          fc.pre(x !== y);
          expect(compareModelNames(`${word} ${x}`, `${word} ${y}`).kind).toBe('none');
        },
      ),
    );
  });
});
