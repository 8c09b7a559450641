import { describe, expect, it } from 'vitest';
import { shortValue } from './short-value.js';

describe('shortValue', () => {
  it('keeps a short value whole and cuts a long one to 100 characters with "…"', () => {
    expect(shortValue('E1002')).toBe('E1002');
    expect(shortValue('x'.repeat(100))).toBe('x'.repeat(100));
    expect(shortValue('x'.repeat(30_000_000))).toBe(`${'x'.repeat(99)}…`);
  });

  it('never leaves half of a surrogate pair before the cut', () => {
    const v = `${'x'.repeat(98)}😀${'y'.repeat(10)}`;
    expect(shortValue(v)).toBe(`${'x'.repeat(98)}…`);
  });
});
