import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, jsonSyntaxProblem } from './json-syntax.js';

const CSAF = join(import.meta.dirname, '../../test/fixtures/advisories/csaf');

const parseError = (text: string): unknown => {
  try {
    JSON.parse(text);
  } catch (err) {
    return err;
  }
  throw new Error('parsed');
};

describe('jsonSyntaxProblem', () => {
  it('names the byte where a text stops being JSON and quotes none of it', () => {
    // /etc/passwd's first line, as a feed URL pointed at a local file server would return it.
    const passwd = 'root:x:0:0:root:/root:/bin/bash\n';
    expect(jsonSyntaxProblem(passwd, parseError(passwd))).toEqual({
      at: 0,
      byte: 0,
      reason: 'not valid JSON (unexpected character at byte 0)',
    });
    const truncated = '{"vulnerabilities": [{"cveID": "CVE-2024-0001"';
    expect(jsonSyntaxProblem(truncated, parseError(truncated)).reason).toBe('not valid JSON (it ends early)');
    // A byte offset, not a UTF-16 index: "é" is two bytes.
    const accented = '{"é": tru}';
    expect(jsonSyntaxProblem(accented, parseError(accented))).toMatchObject({ at: 6, byte: 7 });
  });

  it('says only where and what kind, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        let err: unknown = null;
        try {
          JSON.parse(text);
        } catch (e) {
          err = e;
        }
        fc.pre(err !== null);
        expect(jsonSyntaxProblem(text, err).reason).toMatch(
          /^not valid JSON( \((it ends early|unexpected character at byte \d+)\))?$/,
        );
      }),
    );
  });
});

describe('jsonErrorOffset', () => {
  it('finds the same offset V8 reports, and one where V8 reports none, on corrupted real documents', () => {
    const full = readFileSync(join(CSAF, 'icsma-24-151-01.json'), 'utf8');
    let withPosition = 0;
    let withoutPosition = 0;
    for (let k = 0; k < full.length; k += 37) {
      // One character deleted, or a stray '#' inserted.
      for (const t of [full.slice(0, k) + full.slice(k + 1), `${full.slice(0, k)}#${full.slice(k)}`]) {
        let message: string | null = null;
        try {
          JSON.parse(t);
        } catch (err) {
          message = (err as Error).message;
        }
        if (message === null) continue;
        const ours = jsonErrorOffset(t);
        expect(ours, message).not.toBeNull();
        const v8 = /position (\d+)/.exec(message);
        if (v8) {
          withPosition++;
          expect(ours, message).toBe(Number(v8[1]));
        } else withoutPosition++;
      }
    }
    expect(withPosition).toBeGreaterThan(50);
    expect(withoutPosition).toBeGreaterThan(10);
    expect(jsonErrorOffset(full)).toBeNull();
    expect(jsonErrorOffset('{"a": [1, 2')).toBe(11);
  });
});
