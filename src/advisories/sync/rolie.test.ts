import { describe, expect, it } from 'vitest';
import { parseRolieFeed } from './rolie.js';
import { readFixture } from './test-provider.js';

const FEED_URL =
  'https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/IT/white/cisa-csaf-it-feed-tlp-white.json';

describe('parseRolieFeed', () => {
  it("reads CISA's real IT feed, including its `ref` spelling of hash/signature links", () => {
    const json: unknown = JSON.parse(
      new TextDecoder().decode(readFixture('rolie/cisa-csaf-it-feed-tlp-white.json')),
    );
    const r = parseRolieFeed(json, FEED_URL, 'WHITE');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.skipped).toEqual([]);
    expect(r.value.entries).toHaveLength(4);
    const base =
      'https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/IT/white/2024/va-24-254-02.json';
    expect(r.value.entries[0]).toEqual({
      url: base,
      updated: '2024-10-03T16:03:00Z',
      hashUrls: [{ algorithm: 'sha512', url: `${base}.sha512` }],
      signatureUrl: `${base}.asc`,
      id: 'VA-24-254-02',
      tlpLabel: 'WHITE',
    });
  });

  it('resolves relative links, falls back to conventional companions, and skips bad entries', () => {
    const r = parseRolieFeed(
      {
        feed: {
          entry: [
            { id: 'A', updated: '2024-01-01T00:00:00Z', content: { src: '2024/a.json' } },
            {
              id: 'B',
              published: '2023-01-01T00:00:00Z',
              content: { src: '2024/b.json' },
              link: [
                { rel: 'hash', href: '2024/b.json.sha256' },
                { rel: 'hash', href: '2024/b.json.sha512' },
                { rel: 'hash', href: '2024/b.json.md5' },
              ],
            },
            { id: 'C', content: { src: 'file:///etc/passwd' } },
            { id: 'D' },
            'junk',
          ],
        },
      },
      'https://p.invalid/white/feed.json',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [a, b] = r.value.entries;
    expect(a?.url).toBe('https://p.invalid/white/2024/a.json');
    expect(a?.signatureUrl).toBe('https://p.invalid/white/2024/a.json.asc');
    expect(a?.hashUrls.map((h) => h.algorithm)).toEqual(['sha512', 'sha256']);
    expect(b?.updated).toBe('2023-01-01T00:00:00Z');
    expect(b?.hashUrls.map((h) => h.url)).toEqual([
      'https://p.invalid/white/2024/b.json.sha512',
      'https://p.invalid/white/2024/b.json.sha256',
    ]);
    expect(r.value.skipped.map((s) => s.id)).toEqual(['C', 'D', null]);
  });

  it('rejects a document that is not a feed and accepts an empty feed', () => {
    expect(parseRolieFeed({ entry: [] }, 'https://p.invalid/f.json').ok).toBe(false);
    expect(parseRolieFeed({ feed: {} }, 'https://p.invalid/f.json')).toEqual({
      ok: true,
      value: { entries: [], skipped: [] },
    });
  });
});
