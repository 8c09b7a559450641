import { describe, expect, it } from 'vitest';
import { escapeControl, escapeControlInJson } from './escape-control.js';

describe('escapeControl', () => {
  it('shows C0, DEL and C1 controls as escapes, so none reaches a terminal', () => {
    expect(escapeControl('a\nb\r\tc\u0007\u001b]0;x\u007f')).toBe('a\\nb\\r\\tc\\u0007\\u001b]0;x\\u007f');
    // U+009B is CSI on its own: "\u009b2J" clears the screen on a terminal that honours C1.
    expect(escapeControl('GE\u009b2J\u0085\u0080')).toBe('GE\\u009b2J\\u0085\\u0080');
  });

  it('shows every bidirectional control, so text cannot be reordered on screen', () => {
    expect(escapeControl('\u202a\u202b\u202c\u202d\u202e')).toBe('\\u202a\\u202b\\u202c\\u202d\\u202e');
    expect(escapeControl('\u2066\u2067\u2068\u2069')).toBe('\\u2066\\u2067\\u2068\\u2069');
    expect(escapeControl('x\u200ey\u200fz\u061c')).toBe('x\\u200ey\\u200fz\\u061c');
  });

  it('shows a lone surrogate, and keeps a pair and other text as is', () => {
    expect(escapeControl('a\ud800b\udfffc')).toBe('a\\ud800b\\udfffc');
    expect(escapeControl('Dräger 🩺 מוניטור é')).toBe('Dräger 🩺 מוניטור é');
    expect(escapeControl('\u2028\u2029')).toBe('\\u2028\\u2029');
  });

  it('escapeControlInJson writes what JSON.stringify leaves raw as \\u escapes, JSON reading the same value', () => {
    const value = {
      title: 'Tool\u001b[2J\u009b2J\u0085\u007f\u202e\u200f\u061c\u2028x',
      n: 1,
      lone: '\ud800',
    };
    const json = JSON.stringify(value, null, 2);
    expect(json).toMatch(/[\u007f-\u009f\u202e]/);
    const escaped = escapeControlInJson(json);
    expect(escaped).not.toMatch(/(?!\n)[\p{Cc}\p{Bidi_Control}\u2028\u2029\p{Cs}]/u);
    expect(escaped).toContain(
      '"title": "Tool\\u001b[2J\\u009b2J\\u0085\\u007f\\u202e\\u200f\\u061c\\u2028x"',
    );
    expect(escaped.split('\n')).toHaveLength(json.split('\n').length);
    expect(JSON.parse(escaped)).toEqual(value);
  });
});
