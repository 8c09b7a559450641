import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { type ResultEvent, ResultsScanner, readResults } from './results-stream.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/recalls/${name}`, import.meta.url));

function scanAll(bytes: Uint8Array, cuts: number[] = []): ResultEvent[] {
  const s = new ResultsScanner('f.json');
  const out: ResultEvent[] = [];
  let at = 0;
  for (const c of [...cuts.filter((x) => x > 0 && x < bytes.length).sort((a, b) => a - b), bytes.length]) {
    out.push(...s.push(bytes.subarray(at, c)));
    at = c;
  }
  s.end();
  return out;
}

describe('readResults', () => {
  it('yields meta and every result of a real openFDA file with its byte offset', async () => {
    const bytes = fixture('device-recall-sample.json');
    const events: ResultEvent[] = [];
    const chunks = (async function* () {
      yield bytes;
    })();
    for await (const e of readResults(chunks, 'x.json')) events.push(e);
    const whole = JSON.parse(bytes.toString('utf8')) as { meta: unknown; results: unknown[] };
    expect(events[0]).toEqual({ kind: 'meta', meta: whole.meta });
    const results = events.filter((e) => e.kind === 'result');
    expect(results.map((e) => e.value)).toEqual(whole.results);
    // The offset points at the record's opening brace.
    for (const e of results) expect(bytes[e.offset]).toBe(0x7b);
  });

  it('reports a malformed record with its index and offset and goes on', () => {
    const bytes = fixture('device-recall-bad-records.json');
    const events = scanAll(bytes).filter((e) => e.kind !== 'meta');
    expect(events.map((e) => e.kind)).toEqual(['result', 'result', 'result', 'bad']);
    const bad = events[3] as Extract<ResultEvent, { kind: 'bad' }>;
    expect(bad.index).toBe(3);
    expect(bytes.subarray(bad.offset, bad.offset + 30).toString()).toContain('"cfres_id": "34907"');
  });

  it('names the file and byte offset when the outer structure is broken or truncated', () => {
    const bytes = fixture('device-recall-sample.json');
    const cut = bytes.subarray(0, bytes.indexOf('"cfres_id": "43492"'));
    let events: ResultEvent[] = [];
    const s = new ResultsScanner('cut.json');
    events = s.push(cut);
    expect(events.filter((e) => e.kind === 'result')).toHaveLength(2);
    expect(() => s.end()).toThrowError(/cut\.json: the file ends early after 2 results .* at byte \d+/);
    expect(() => scanAll(Buffer.from('[1,2]'))).toThrowError(/expected "\{"/);
    expect(() => scanAll(Buffer.from('{"meta":{}}'))).toThrowError(/no "results" array/);
    expect(() => scanAll(Buffer.from('{"results": [{"a":1} {"b":2}]}'))).toThrowError(
      /expected "," or "]" after a result at byte 21/,
    );
  });

  it('property: any chunking gives the same events as parsing the whole text', () => {
    const bytes = fixture('device-recall-sample.json');
    const expected = scanAll(bytes);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
        expect(scanAll(bytes, cuts)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('property: arbitrary JSON documents with results round-trip; arbitrary bytes only ever raise a VigilError', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 8 }), fc.jsonValue(), (results, meta) => {
        const text = JSON.stringify({ meta, results });
        const events = scanAll(Buffer.from(text, 'utf8'), [3, 17, 40]);
        expect(events.filter((e) => e.kind === 'result').map((e) => (e as { value: unknown }).value)).toEqual(
          JSON.parse(JSON.stringify(results)),
        );
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          scanAll(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(VigilError);
        }
      }),
    );
  });
});
