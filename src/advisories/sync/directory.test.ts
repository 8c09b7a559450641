import { describe, expect, it } from 'vitest';
import {
  checkRelativePath,
  dedupeListing,
  directoryEntries,
  parseChangesCsv,
  parseIndexTxt,
  stripDirectoryPrefix,
} from './directory.js';
import { readFixture } from './test-provider.js';

describe('changes.csv', () => {
  it('reads the quoted form of the spec (fixture)', () => {
    const r = parseChangesCsv(new TextDecoder().decode(readFixture('white/changes.csv')));
    expect(r.skipped).toEqual([]);
    expect(r.entries[0]).toEqual({
      path: '2022/icsma-22-095-01.json',
      updated: '2022-04-05T00:00:00.000000Z',
    });
    expect(r.entries).toHaveLength(4);
  });

  it("reads CISA's unquoted rows (first lines of the real OT changes.csv) and CRLF", () => {
    const real = [
      'csaf_files/OT/white/2024/icsma-24-254-01.json,2024-09-10T06:00:00.000000Z',
      'csaf_files/OT/white/2024/icsma-24-249-01.json,2024-09-05T06:00:00.000000Z',
    ].join('\r\n');
    expect(parseChangesCsv(real).entries).toEqual([
      { path: 'csaf_files/OT/white/2024/icsma-24-254-01.json', updated: '2024-09-10T06:00:00.000000Z' },
      { path: 'csaf_files/OT/white/2024/icsma-24-249-01.json', updated: '2024-09-05T06:00:00.000000Z' },
    ]);
  });

  it('skips traversal, absolute, non-JSON, time-less and bad-time rows', () => {
    const r = parseChangesCsv(
      [
        '"../etc/x.json","2024-01-01T00:00:00Z"',
        '"/abs.json","2024-01-01T00:00:00Z"',
        '"https://evil.invalid/a.json","2024-01-01T00:00:00Z"',
        '"2024/a.txt","2024-01-01T00:00:00Z"',
        '"2024/b.json"',
        '"2024/c.json","yesterday"',
        '"2024/ok.json","2024-01-01T00:00:00Z"',
      ].join('\n'),
    );
    expect(r.entries.map((e) => e.path)).toEqual(['2024/ok.json']);
    // Named by line, never quoted: the listing's text is whatever the server sent.
    expect(r.skipped).toEqual([
      { line: 1, reason: 'path traversal' },
      { line: 2, reason: 'not relative' },
      { line: 3, reason: 'not relative' },
      { line: 4, reason: 'not a .json path' },
      { line: 5, reason: 'expected path,timestamp' },
      { line: 6, reason: 'bad timestamp' },
    ]);
  });

  it('reports a file that is not CSV by line and error code, without quoting it', () => {
    const r = parseChangesCsv('"2024/ok.json","2024-01-01T00:00:00Z"\nroot:x:0:0:"root":/root:/bin/bash\n');
    expect(r.entries).toEqual([]);
    expect(r.skipped).toEqual([{ line: 2, reason: 'unreadable changes.csv (INVALID_OPENING_QUOTE)' }]);
  });
});

describe('index.txt and URL resolution', () => {
  it('reads one path per line and resolves under the directory URL only', () => {
    const r = parseIndexTxt('\uFEFF2017/a.json\r\n\n2018/b.json\n../c.json\n');
    expect(r.entries.map((e) => e.path)).toEqual(['2017/a.json', '2018/b.json']);
    expect(r.skipped).toEqual([{ line: 4, reason: 'path traversal' }]);
    const entries = directoryEntries('https://p.invalid/csaf/white', r.entries);
    expect(entries[0]).toEqual({
      url: 'https://p.invalid/csaf/white/2017/a.json',
      updated: null,
      hashUrls: [
        { algorithm: 'sha512', url: 'https://p.invalid/csaf/white/2017/a.json.sha512' },
        { algorithm: 'sha256', url: 'https://p.invalid/csaf/white/2017/a.json.sha256' },
      ],
      signatureUrl: 'https://p.invalid/csaf/white/2017/a.json.asc',
    });
  });

  it("resolves CISA's repository-root paths under the directory URL", () => {
    const rows = parseChangesCsv(
      'csaf_files/OT/white/2017/icsma-17-241-01.json,2017-08-29T00:00:00.000000Z\n',
    );
    const dir = 'https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/OT/white/';
    expect(directoryEntries(dir, rows.entries)[0]?.url).toBe(`${dir}2017/icsma-17-241-01.json`);
    expect(stripDirectoryPrefix('/a/white/', 'white/2024/x.json')).toBe('2024/x.json');
    expect(stripDirectoryPrefix('/a/white/', '2024/x.json')).toBe('2024/x.json');
    expect(stripDirectoryPrefix('/a/white/', 'white.json')).toBe('white.json');
  });

  it('keeps the newest row per path', () => {
    expect(
      dedupeListing([
        { path: 'a.json', updated: '2024-01-01T00:00:00Z' },
        { path: 'a.json', updated: '2024-02-01T00:00:00Z' },
        { path: 'b.json', updated: null },
      ]),
    ).toEqual([
      { path: 'a.json', updated: '2024-02-01T00:00:00Z' },
      { path: 'b.json', updated: null },
    ]);
  });

  it('checkRelativePath', () => {
    expect(checkRelativePath('2024/x.json')).toBeNull();
    expect(checkRelativePath('2024//x.json')).toBe('path traversal');
    expect(checkRelativePath('2024\\x.json')).toBe('not relative');
  });
});
