import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readEpss } from './epss.js';

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../../test/fixtures/feeds/epss/${name}`, import.meta.url)));
const plain = fixture('epss_scores-sample.csv');
const gz = fixture('epss_scores-sample.csv.gz');
const text = (s: string) => new TextEncoder().encode(s);

async function* inChunks(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (c > from && c < bytes.length) {
      yield bytes.subarray(from, c);
      from = c;
    }
  }
  yield bytes.subarray(from);
}

describe('readEpss', () => {
  it('reads the model line, header and rows', async () => {
    const { snapshot, issues } = await readEpss(plain, 'epss.csv');
    expect(issues).toEqual([]);
    expect(snapshot.modelVersion).toBe('v2025.03.14');
    expect(snapshot.scoreDate).toBe('2025-08-25T00:00:00+0000');
    expect(snapshot.scores).toHaveLength(6);
    expect(snapshot.scores[1]).toEqual({ cve: 'CVE-2013-0648', epss: 0.94043, percentile: 0.99891 });
  });

  it('gives the same result for the gzip file (detected by magic bytes)', async () => {
    expect(await readEpss(gz, 'epss.csv')).toEqual(await readEpss(plain, 'epss.csv'));
  });

  it('reports a bad row with its line number and keeps the others', async () => {
    const csv =
      'cve,epss,percentile\nCVE-2021-44228,0.9,0.99\nCVE-2021-1,0.1,0.2\ncve-2020-0601,1.5,0.3\nCVE-2019-0708,0.9\n';
    const { snapshot, issues } = await readEpss(text(csv), 'e.csv');
    expect(snapshot.modelVersion).toBeNull();
    expect(snapshot.scores.map((s) => s.cve)).toEqual(['CVE-2021-44228']);
    expect(issues.map((i) => [i.where, i.message.split(':')[0]])).toEqual([
      ['line 3', 'not a CVE id'],
      ['line 4', 'epss is not a probability'],
      ['line 5', 'percentile is not between 0 and 1'],
    ]);
  });

  it('accepts CRLF, a BOM, upper-cases ids and reorders columns by header', async () => {
    const csv = '\uFEFFpercentile,cve,epss\r\n0.5,cve-2024-0001,0.25\r\n';
    const { snapshot, issues } = await readEpss(text(csv), 'e.csv');
    expect(issues).toEqual([]);
    expect(snapshot.scores).toEqual([{ cve: 'CVE-2024-0001', epss: 0.25, percentile: 0.5 }]);
  });

  it('reports a missing header and a corrupt gzip stream', async () => {
    expect((await readEpss(text('CVE-2024-0001,0.1,0.2\n'), 'e')).issues[0]).toMatchObject({
      where: 'line 1',
    });
    expect((await readEpss(text(''), 'e')).issues).toHaveLength(1);
    const truncated = gzipSync(Buffer.from(`cve,epss,percentile\n${'CVE-2024-0001,0.1,0.2\n'.repeat(2000)}`));
    const { issues } = await readEpss(truncated.subarray(0, truncated.length - 20), 'e.gz');
    expect(issues.at(-1)!.message).toMatch(/gzip stream unreadable/);
  });

  describe('a byte that is not UTF-8 (0xE9, é in Windows-1252) in a copy of the sample', () => {
    /** The sample with the byte after the first `needle` replaced by 0xE9, plain or gzipped. */
    const damaged = (needle: string, gzip = false) => {
      const bytes = Buffer.from(plain);
      const at = bytes.indexOf(needle) + needle.length;
      bytes[at] = 0xe9;
      return {
        bytes: new Uint8Array(gzip ? gzipSync(bytes) : bytes),
        lineOffset: at - bytes.lastIndexOf(10, at) - 1,
      };
    };

    it('in the model line refuses the file, naming the line and byte, and stores no date', async () => {
      for (const gzip of [false, true]) {
        // The first digit of the score date: stored with every score, so not guessed at.
        const { bytes, lineOffset } = damaged('score_date:', gzip);
        const { snapshot, issues } = await readEpss(bytes, 'epss.csv');
        expect(issues).toEqual([
          {
            file: 'epss.csv',
            where: 'line 1',
            message: `not valid UTF-8 (byte 0xE9 at offset ${lineOffset} of the line)`,
          },
        ]);
        expect(snapshot.scores).toEqual([]);
        expect(snapshot.scoreDate).toBeNull();
      }
      // Behind a byte-order mark the offset counts its three bytes too.
      const { bytes, lineOffset } = damaged('score_date:');
      const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
      expect((await readEpss(bom, 'epss.csv')).issues[0]!.message).toBe(
        `not valid UTF-8 (byte 0xE9 at offset ${lineOffset + 3} of the line)`,
      );
    });

    it('in the header refuses the file', async () => {
      const { bytes } = damaged('cve,epss,');
      const { snapshot, issues } = await readEpss(bytes, 'epss.csv');
      expect(issues).toEqual([
        { file: 'epss.csv', where: 'line 2', message: 'not valid UTF-8 (byte 0xE9 at offset 9 of the line)' },
      ]);
      expect(snapshot.scores).toEqual([]);
    });

    it('in a row skips that row only, and says so rather than "not a CVE id"', async () => {
      const { bytes } = damaged('CVE-2021-');
      const { snapshot, issues } = await readEpss(bytes, 'epss.csv');
      expect(issues).toEqual([
        { file: 'epss.csv', where: 'line 5', message: 'not valid UTF-8 (byte 0xE9 at offset 9 of the line)' },
      ]);
      expect(snapshot.scores.map((s) => s.cve)).toEqual([
        'CVE-1999-0001',
        'CVE-2013-0648',
        'CVE-2022-1576',
        'CVE-2024-40711',
        'CVE-2025-48384',
      ]);
      expect(snapshot.scoreDate).toBe('2025-08-25T00:00:00+0000');
    });

    it('is found in any chunking, also when a chunk ends inside a character', async () => {
      const { bytes } = damaged('CVE-2021-');
      const expected = await readEpss(bytes, 'epss.csv');
      // A real U+FFFD (EF BF BD) is valid UTF-8 and no issue; a two-byte é cut between chunks is whole.
      const real = text('cve,epss,percentile\nCVE-2024-0001,0.1,0.2 \uFFFD é\n');
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat({ max: 400 }), { maxLength: 40 }), async (cuts) => {
          expect(await readEpss(inChunks(bytes, cuts), 'epss.csv')).toEqual(expected);
          const r = await readEpss(inChunks(real, cuts), 'e.csv');
          expect(r.issues.map((i) => i.message)).toEqual([
            'percentile is not between 0 and 1: "0.2 \uFFFD é"',
          ]);
        }),
        { numRuns: 200 },
      );
    });
  });

  it('streams: arbitrary chunking of plain and gzip input gives the same result', async () => {
    const expected = await readEpss(plain, 'epss.csv');
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.nat({ max: 400 }), { maxLength: 40 }),
        async (useGz, cuts) => {
          const bytes = useGz ? gz : plain;
          expect(await readEpss(inChunks(bytes, cuts), 'epss.csv')).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws on arbitrary bytes or text, and returns scores or issues', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.string({ maxLength: 300 }).map(text),
          fc
            .array(
              fc.constantFrom(
                'cve,epss,percentile',
                'CVE-2020-1234,0.5,0.5',
                '#model_version:x',
                ',,',
                'a,b',
              ),
              {
                maxLength: 8,
              },
            )
            .map((ls) => text(ls.join('\n'))),
        ),
        async (bytes) => {
          const r = await readEpss(bytes, 'f');
          expect(Array.isArray(r.snapshot.scores) && Array.isArray(r.issues)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads a large file in reasonable time', async () => {
    const rows = Array.from(
      { length: 300_000 },
      (_, i) => `CVE-2024-${String(i).padStart(5, '0')},0.0004,0.1`,
    );
    const big = gzipSync(
      Buffer.from(`#model_version:v1,score_date:d\ncve,epss,percentile\n${rows.join('\n')}\n`),
    );
    const started = Date.now();
    const { snapshot, issues } = await readEpss(big, 'big.csv.gz');
    expect(issues).toEqual([]);
    expect(snapshot.scores).toHaveLength(300_000);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
