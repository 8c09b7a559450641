import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeedHostPolicy } from './feed-host-policy.js';
import { createHttpFetcher } from './fetcher.js';
import { type ProviderSyncState, readSyncState, syncProvider } from './sync.js';
import { FIXTURE_DOCS, generateTestKey, signDetached, TestProvider } from './test-provider.js';

let provider: TestProvider;

beforeEach(async () => {
  provider = new TestProvider();
  await provider.start();
});
afterEach(async () => {
  await provider.stop();
});

const names = (docs: { url: string }[]) => docs.map((d) => d.url.split('/').pop());
const bump = (body: Uint8Array) => {
  // A real-looking revision: same document, different bytes (an extra trailing newline).
  const out = new Uint8Array(body.byteLength + 1);
  out.set(body);
  out[body.byteLength] = 0x0a;
  return out;
};

/** The test provider is on loopback: allowed as an admin allows an internal mirror. */
const local = (o: { maxBytes?: number } = {}) =>
  createHttpFetcher({ ...o, policy: new FeedHostPolicy(['127.0.0.1']) });

async function sync(
  state: ProviderSyncState | null,
  extra: Partial<Parameters<typeof syncProvider>[0]> = {},
) {
  return syncProvider({ metadataUrl: provider.metadataUrl, state, fetcher: local(), ...extra });
}

describe('syncProvider over a directory distribution of real CISA files', () => {
  it('first sync returns every document with its hash checked; the real CISA signature reports no-key', async () => {
    const r = await sync(null);
    expect(r.rejected).toEqual([]);
    expect(names(r.documents)).toEqual([
      'icsma-17-082-02.json',
      'icsma-17-241-01.json',
      'icsma-18-240-01.json',
      'icsma-22-095-01.json',
    ]);
    const byName = new Map(r.documents.map((d) => [d.url.split('/').pop(), d]));
    // The .sha512 and .asc of icsma-17-241-01 are CISA's own.
    expect(byName.get('icsma-17-241-01.json')).toMatchObject({
      hash: 'sha512',
      signature: 'no-key',
      updated: '2017-08-29T00:00:00.000000Z',
    });
    expect(byName.get('icsma-18-240-01.json')).toMatchObject({ hash: 'sha256', signature: 'absent' });
    for (const d of r.documents) {
      expect(d.sha256).toBe(createHash('sha256').update(d.body).digest('hex'));
      expect(d.url.startsWith(`${provider.base}/white/`)).toBe(true);
    }
    expect(r.metadata?.publisher.name).toBe('CISA');
    expect(r.unchanged).toBe(0);
    expect(Object.keys(r.state.documents)).toHaveLength(4);
  });

  it('second sync fetches no document when nothing changed (listing answers 304)', async () => {
    const first = await sync(null);
    const mark = provider.requests.length;
    // The state must survive JSON storage.
    const second = await sync(JSON.parse(JSON.stringify(first.state)) as ProviderSyncState);
    expect(second.documents).toEqual([]);
    expect(second.rejected).toEqual([]);
    expect(second.unchanged).toBe(4);
    expect(provider.documentRequests(mark)).toEqual([]);
    const later = provider.requests.slice(mark);
    expect(later.map((r) => [r.path, r.status])).toEqual([
      ['.well-known/csaf/provider-metadata.json', 304],
      ['white/changes.csv', 304],
    ]);
  });

  it('second sync fetches no document from a host without ETags, using changes.csv times', async () => {
    provider.conditional = false;
    const first = await sync(null);
    const mark = provider.requests.length;
    const second = await sync(first.state);
    expect(second.documents).toEqual([]);
    expect(second.unchanged).toBe(4);
    expect(provider.documentRequests(mark)).toEqual([]);
  });

  it('picks up exactly the one changed document', async () => {
    const first = await sync(null);
    const path = FIXTURE_DOCS[2];
    provider.changeDocument(path, bump(provider.files.get(path)!), '2024-10-01T00:00:00.000000Z');
    const mark = provider.requests.length;
    const second = await sync(first.state);
    expect(second.rejected).toEqual([]);
    expect(names(second.documents)).toEqual(['icsma-18-240-01.json']);
    expect(second.documents[0]!.updated).toBe('2024-10-01T00:00:00.000000Z');
    expect(second.unchanged).toBe(3);
    expect(provider.documentRequests(mark).map((r) => r.path)).toEqual([path]);
    // …and a third run is quiet again.
    const third = await sync(second.state);
    expect(third.documents).toEqual([]);
    expect(third.unchanged).toBe(4);
  });

  it('a newer timestamp with identical bytes is not returned again', async () => {
    const first = await sync(null);
    provider.changeDocument(FIXTURE_DOCS[0], provider.files.get(FIXTURE_DOCS[0])!, '2024-10-02T00:00:00Z');
    const second = await sync(first.state);
    expect(second.documents).toEqual([]);
    expect(second.unchanged).toBe(4);
    expect(second.state.documents[`${provider.base}/${FIXTURE_DOCS[0]}`]?.updated).toBe(
      '2024-10-02T00:00:00Z',
    );
  });

  it('rejects a document whose hash does not match, does not advance its state, and retries it', async () => {
    const first = await sync(null);
    const path = FIXTURE_DOCS[1];
    const url = `${provider.base}/${path}`;
    const changed = bump(provider.files.get(path)!);
    provider.changeDocument(path, changed, '2024-10-03T00:00:00Z', { updateHash: false });
    const second = await sync(first.state);
    expect(second.documents).toEqual([]);
    expect(second.rejected).toEqual([{ url, reason: expect.stringMatching(/^hash: sha512 mismatch/) }]);
    expect(second.state.documents[url]).toEqual(first.state.documents[url]);

    // The provider fixes its hash file: the next run retries and accepts the document.
    provider.changeDocument(path, changed, '2024-10-03T00:00:00Z');
    const third = await sync(second.state);
    expect(third.rejected).toEqual([]);
    expect(names(third.documents)).toEqual(['icsma-17-241-01.json']);
  });

  it('an unchanged listing does not hide a previously rejected document', async () => {
    const path = FIXTURE_DOCS[3];
    provider.setText(`${path}.sha512`, `${'0'.repeat(128)}  icsma-22-095-01.json\n`);
    const first = await sync(null);
    expect(first.rejected.map((r) => r.url)).toEqual([`${provider.base}/${path}`]);
    expect(first.documents).toHaveLength(3);
    provider.changeDocument(path, provider.files.get(path)!, '2022-04-05T00:00:00.000000Z');
    const second = await sync(first.state);
    expect(names(second.documents)).toEqual(['icsma-22-095-01.json']);
    expect(second.rejected).toEqual([]);
  });

  it('rejects documents that are not JSON, missing, or too large', async () => {
    provider.changeDocument(
      FIXTURE_DOCS[0],
      new TextEncoder().encode('<html>oops</html>'),
      '2024-01-01T00:00:00Z',
    );
    provider.files.delete(FIXTURE_DOCS[2]);
    const r = await sync(null, { fetcher: local({ maxBytes: 10_000 }) });
    const reasons = Object.fromEntries(r.rejected.map((x) => [x.url.split('/').pop(), x.reason]));
    expect(reasons['icsma-17-082-02.json']).toMatch(/^not JSON/);
    expect(reasons['icsma-18-240-01.json']).toMatch(/not found/);
    expect(reasons['icsma-17-241-01.json']).toMatch(/^too large/); // 11,295 bytes
    expect(names(r.documents)).toEqual(['icsma-22-095-01.json']);
  });

  it('filter limits which entries are fetched', async () => {
    const r = await sync(null, { filter: (e) => e.url.includes('/2017/') });
    expect(names(r.documents)).toEqual(['icsma-17-082-02.json', 'icsma-17-241-01.json']);
    expect(
      provider
        .documentRequests()
        .map((x) => x.path)
        .sort(),
    ).toEqual([FIXTURE_DOCS[0], FIXTURE_DOCS[1]]);
  });

  it('falls back to index.txt and then relies on conditional requests per document', async () => {
    provider.files.delete('white/changes.csv');
    const first = await sync(null);
    expect(first.documents).toHaveLength(4);
    expect(first.documents.every((d) => d.updated === null)).toBe(true);
    provider.setText('white/index.txt', `${provider.text('white/index.txt')}\n`); // listing changed, docs not
    const mark = provider.requests.length;
    const second = await sync(first.state);
    expect(second.documents).toEqual([]);
    expect(second.unchanged).toBe(4);
    const docs = provider.documentRequests(mark);
    expect(docs).toHaveLength(4);
    expect(docs.every((d) => d.status === 304 && d.conditional)).toBe(true);
  });

  it('reports an unreachable or invalid provider-metadata.json without throwing', async () => {
    provider.setText('.well-known/csaf/provider-metadata.json', '{"canonical_url": 1}');
    const bad = await sync(null);
    expect(bad.documents).toEqual([]);
    expect(bad.rejected[0]?.reason).toMatch(/invalid provider-metadata.json/);
    const gone = await syncProvider({
      metadataUrl: `${provider.base}/nope.json`,
      state: null,
      fetcher: local(),
    });
    expect(gone.rejected).toEqual([{ url: `${provider.base}/nope.json`, reason: 'not found (HTTP 404)' }]);
    const notHttp = await syncProvider({ metadataUrl: 'file:///etc/passwd', state: null });
    expect(notHttp.rejected[0]?.reason).toBe('not an http(s) URL');
  });

  it('ignores a stored state that belongs to another provider or is malformed', async () => {
    const first = await sync(null);
    expect(readSyncState(first.state, 'http://other.invalid/p.json').documents).toEqual({});
    expect(readSyncState({ version: 2 }, provider.metadataUrl).documents).toEqual({});
    const again = await sync({ nonsense: true } as unknown as ProviderSyncState);
    expect(again.documents).toHaveLength(4);
  });
});

describe('syncProvider with OpenPGP signatures', () => {
  async function signAll(key: Awaited<ReturnType<typeof generateTestKey>>, pin: string) {
    provider.setText('.well-known/csaf/openpgp/test-key.asc', key.publicArmored);
    provider.setMetadata((m) => {
      m['public_openpgp_keys'] = [
        { url: '__BASE__/.well-known/csaf/openpgp/test-key.asc', fingerprint: pin },
      ];
    });
    for (const doc of FIXTURE_DOCS)
      provider.setText(`${doc}.asc`, await signDetached(key, provider.files.get(doc)!));
  }

  it('verifies signatures made at test time with a key pinned in provider metadata', async () => {
    const key = await generateTestKey();
    await signAll(
      key,
      key.fingerprint
        .toUpperCase()
        .replace(/(.{4})/g, '$1 ')
        .trim(),
    );
    const r = await sync(null, { requireSignature: true });
    expect(r.rejected).toEqual([]);
    expect(r.documents.map((d) => d.signature)).toEqual(['verified', 'verified', 'verified', 'verified']);
    // The key is cached in the state and revalidated with a conditional request.
    const mark = provider.requests.length;
    await sync(r.state, { requireSignature: true });
    expect(provider.requests.slice(mark).find((x) => x.path.endsWith('test-key.asc'))?.status).toBe(304);
  });

  it('rejects a document whose signature does not match its bytes', async () => {
    const key = await generateTestKey();
    await signAll(key, key.fingerprint);
    const first = await sync(null);
    const path = FIXTURE_DOCS[3];
    provider.changeDocument(path, bump(provider.files.get(path)!), '2024-11-01T00:00:00Z'); // old .asc kept
    const second = await sync(first.state);
    expect(second.documents).toEqual([]);
    expect(second.rejected).toEqual([
      { url: `${provider.base}/${path}`, reason: expect.stringMatching(/^bad signature/) },
    ]);
  });

  it('a key that does not match the pinned fingerprint is refused, leaving signatures unverifiable', async () => {
    const key = await generateTestKey();
    await signAll(key, 'AAAA'.repeat(10));
    const r = await sync(null);
    expect(r.rejected).toEqual([
      {
        url: `${provider.base}/.well-known/csaf/openpgp/test-key.asc`,
        reason: expect.stringMatching(/does not match pinned fingerprint/),
      },
    ]);
    expect(r.documents.map((d) => d.signature)).toEqual(['no-key', 'no-key', 'no-key', 'no-key']);
    const strict = await sync(null, { requireSignature: true });
    expect(strict.documents).toEqual([]);
    expect(strict.rejected.filter((x) => /unknown key/.test(x.reason))).toHaveLength(4);
  });

  it('requireSignature rejects the real CISA signature (key not available) and unsigned documents', async () => {
    const key = await generateTestKey('Some Other Key');
    provider.setText('.well-known/csaf/openpgp/other.asc', key.publicArmored);
    provider.setMetadata((m) => {
      m['public_openpgp_keys'] = [{ url: '__BASE__/.well-known/csaf/openpgp/other.asc' }];
    });
    const r = await sync(null, { requireSignature: true });
    expect(r.documents).toEqual([]);
    const reasons = Object.fromEntries(r.rejected.map((x) => [x.url.split('/').pop(), x.reason]));
    expect(reasons['icsma-17-241-01.json']).toBe('signature by unknown key cac5ac4f74164b17');
    expect(reasons['icsma-17-082-02.json']).toBe('signature required but absent');
  });
});

describe('syncProvider over a ROLIE feed', () => {
  function writeFeed(updated: Record<string, string>) {
    // Same shape as CISA's real feed, including its `ref` (not `rel`) on hash and signature links.
    const entry = FIXTURE_DOCS.map((doc) => ({
      id: doc.split('/').pop()!.replace('.json', '').toUpperCase(),
      updated: updated[doc] ?? '2024-01-01T00:00:00Z',
      content: { src: `${provider.base}/${doc}`, type: 'application/json' },
      format: { schema: 'https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json', version: '2.0' },
      link: [
        { href: `${provider.base}/${doc}`, rel: 'self' },
        { href: `${doc.replace('white/', '')}.sha512`, ref: 'hash' }, // relative to the feed URL
        { href: `${provider.base}/${doc}.asc`, ref: 'signature' },
      ],
    }));
    provider.setText('white/feed-tlp-white.json', JSON.stringify({ feed: { id: 'test-feed', entry } }));
  }

  it('syncs from the feed, skips unchanged entries by `updated`, and returns one changed entry', async () => {
    provider.setMetadata((m) => {
      m['distributions'] = [
        {
          rolie: {
            feeds: [{ url: '__BASE__/white/feed-tlp-white.json', tlp_label: 'WHITE', summary: 'test' }],
          },
        },
      ];
    });
    // The feed links relative .sha512 names; 18-240-01 only has a .sha256, so give it a .sha512 too.
    const doc18 = FIXTURE_DOCS[2];
    provider.setText(
      `${doc18}.sha512`,
      `${createHash('sha512').update(provider.files.get(doc18)!).digest('hex')}\n`,
    );
    writeFeed({});
    provider.conditional = false; // force the feed to be re-read, so `updated` does the skipping
    const first = await sync(null);
    expect(first.rejected).toEqual([]);
    expect(first.documents.map((d) => d.id)).toEqual([
      'ICSMA-17-082-02',
      'ICSMA-17-241-01',
      'ICSMA-18-240-01',
      'ICSMA-22-095-01',
    ]);
    expect(first.documents.every((d) => d.hash === 'sha512')).toBe(true);

    provider.changeDocument(doc18, bump(provider.files.get(doc18)!), '2024-06-01T00:00:00Z');
    writeFeed({ [doc18]: '2024-06-01T00:00:00Z' });
    const mark = provider.requests.length;
    const second = await sync(first.state);
    expect(names(second.documents)).toEqual(['icsma-18-240-01.json']);
    expect(second.unchanged).toBe(3);
    expect(provider.documentRequests(mark)).toHaveLength(1);
  });

  it('refuses entries that send the client to another host, and fetches nothing from it', async () => {
    provider.setMetadata((m) => {
      m['distributions'] = [
        {
          rolie: {
            feeds: [{ url: '__BASE__/white/feed-tlp-white.json', tlp_label: 'WHITE', summary: 'test' }],
          },
        },
      ];
    });
    const doc = FIXTURE_DOCS[0];
    // 127.0.0.2 is loopback too, but another origin: nothing may be requested from it.
    const elsewhere = `http://127.0.0.2:9/${doc}`;
    const entry = [
      {
        id: 'ELSEWHERE',
        updated: '2024-01-01T00:00:00Z',
        content: { src: elsewhere, type: 'application/json' },
        link: [{ href: elsewhere, rel: 'self' }],
      },
    ];
    provider.setText('white/feed-tlp-white.json', JSON.stringify({ feed: { id: 'test-feed', entry } }));
    const r = await sync(null);
    expect(r.documents).toEqual([]);
    expect(r.rejected).toEqual([
      { url: elsewhere, reason: `refers to ${elsewhere}, outside the provider's and the listing's host` },
    ]);
  });
});
