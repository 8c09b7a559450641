import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap while runs stay short', () => {
    const sut = new Backoff({ initialMs: 1000, maxMs: 30_000, healthyRunMs: 60_000 });
    const delays = Array.from({ length: 8 }, () => sut.next(500));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('starts again from the initial delay after a healthy run', () => {
    const sut = new Backoff({ initialMs: 1000, maxMs: 60_000, healthyRunMs: 60_000 });
    sut.next(10);
    sut.next(10);
    expect(sut.next(10)).toBe(4000);
    expect(sut.next(3_600_000)).toBe(1000);
    expect(sut.next(10)).toBe(2000);
  });

  it('reset() forgets earlier failures', () => {
    const sut = new Backoff({ initialMs: 250 });
    sut.next(0);
    sut.next(0);
    sut.reset();
    expect(sut.next(0)).toBe(250);
  });

  it('never exceeds the cap and never goes below the initial delay, whatever the run lengths', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.array(fc.integer({ min: 0, max: 200_000 }), { maxLength: 200 }),
        (initialMs, maxMs, runs) => {
          const sut = new Backoff({ initialMs, maxMs });
          for (const r of runs) {
            const d = sut.next(r);
            expect(d).toBeGreaterThanOrEqual(initialMs);
            expect(d).toBeLessThanOrEqual(Math.max(initialMs, maxMs));
            expect(Number.isFinite(d)).toBe(true);
          }
        },
      ),
    );
  });
});
