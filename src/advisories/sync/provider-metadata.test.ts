import { describe, expect, it } from 'vitest';
import { parseProviderMetadata } from './provider-metadata.js';
import { readFixture } from './test-provider.js';

describe('parseProviderMetadata', () => {
  it('reads the CISA-style fixture and keeps unknown fields', () => {
    const text = new TextDecoder()
      .decode(readFixture('provider-metadata.json'))
      .replaceAll('__BASE__', 'https://p.invalid');
    const r = parseProviderMetadata(new TextEncoder().encode(text.replace('"role"', '"x_extra": 1, "role"')));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.role).toBe('csaf_trusted_provider');
    expect(r.value.distributions).toEqual([{ directory_url: 'https://p.invalid/white/' }]);
    expect(r.value['x_extra']).toBe(1);
  });

  it('reports missing required fields, bad feeds and non-JSON', () => {
    const bad = parseProviderMetadata({
      canonical_url: 'x',
      last_updated: 'y',
      metadata_version: '2.0',
      role: 'r',
    });
    expect(bad).toEqual({
      ok: false,
      reason: expect.stringMatching(/^invalid provider-metadata.json: publisher/),
    });
    const emptyFeeds = parseProviderMetadata({
      canonical_url: 'x',
      last_updated: 'y',
      metadata_version: '2.0',
      role: 'r',
      publisher: { category: 'vendor', name: 'n', namespace: 'https://n.invalid' },
      distributions: [{ rolie: { feeds: [] } }],
    });
    expect(emptyFeeds.ok).toBe(false);
    expect(parseProviderMetadata(new TextEncoder().encode('<html>'))).toMatchObject({
      ok: false,
      reason: /^not JSON/,
    });
  });
});
