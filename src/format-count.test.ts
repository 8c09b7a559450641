import { describe, expect, it } from 'vitest';
import { plural, pluralWord } from './format-count.js';

describe('plural', () => {
  it('uses the singular for exactly one and the plural otherwise', () => {
    expect(plural(1, 'day')).toBe('1 day');
    expect(plural(0, 'day')).toBe('0 days');
    expect(plural(2, 'device')).toBe('2 devices');
    expect(plural(-1, 'day')).toBe('-1 days');
    expect(plural(1.5, 'day')).toBe('1.5 days');
  });

  it('takes an irregular plural', () => {
    expect(plural(1, 'person', 'people')).toBe('1 person');
    expect(plural(4, 'person', 'people')).toBe('4 people');
    expect(plural(1, 'match', 'matches')).toBe('1 match');
    expect(plural(2, 'vulnerability', 'vulnerabilities')).toBe('2 vulnerabilities');
    expect(pluralWord(1, 'was', 'were')).toBe('was');
    expect(pluralWord(3, 'was', 'were')).toBe('were');
  });
});
