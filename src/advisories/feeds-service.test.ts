/**
 * Feed subscriptions end to end against the local CSAF provider (`sync/test-provider.ts`, serving the real
 * CISA documents of `test/fixtures/csaf-provider`) on 127.0.0.1. What the fixture holds, read off the files:
 *
 * - `white/changes.csv` lists four documents: ICSMA-17-082-02 (B. Braun SpaceStation, CVE-2017-6018),
 *   ICSMA-17-241-01 (Abbott Laboratories Assurity MRI etc., `< august 28`, three CVEs), ICSMA-18-240-01
 *   (vendor `Qualcomm Life`, product `Allegro RomPager embedded web server`, `>= 4.01 | <= 4.34`,
 *   CVE-2014-9222) and ICSMA-22-095-01 (LifePoint Informatics Patient Portal, CVE-2022-1067).
 * - 17-082-02, 17-241-01 and 22-095-01 have a `.sha512`, 18-240-01 a `.sha256`.
 * - `feeds/kev/kev-slice.json`: KEV catalog 2025.08.25 with 4 entries.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { addDevice } from '../inventory/inventory-service.js';
import { streamVulnMatches, type VulnerabilityMatch } from '../matching/vulns-service.js';
import type { VigilDatabase } from '../store/database.js';
import { importAdvisoryPaths } from './advisory-import.js';
import { addSubscription, importCsafBundle, listFeeds, syncFeeds } from './feeds-service.js';
import { FIXTURE_DIR, FIXTURE_DOCS, readFixtureTree, TestProvider } from './sync/test-provider.js';

const KEV = join(import.meta.dirname, '../../test/fixtures/feeds/kev/kev-slice.json');
/** The test provider listens on loopback: allowed as an admin would allow an internal mirror. */
const LOCAL = { allowHosts: ['127.0.0.1'] };
const tmp = mkdtempSync(join(tmpdir(), 'vigil-feeds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const names = (files: { file: string }[]) => files.map((f) => f.file.split('/').pop());
const bump = (body: Uint8Array) => {
  // A new revision's bytes: the same document with a trailing newline.
  const out = new Uint8Array(body.byteLength + 1);
  out.set(body);
  out[body.byteLength] = 0x0a;
  return out;
};

async function matches(vdb: VigilDatabase, query: object = {}): Promise<VulnerabilityMatch[]> {
  const out: VulnerabilityMatch[] = [];
  for await (const m of streamVulnMatches(vdb, cliActor, query)) out.push(m);
  return out;
}

async function auditActions(vdb: VigilDatabase): Promise<string[]> {
  const rows = await vdb.db.selectFrom('audit_log').select('action').orderBy('seq').execute();
  return rows.map((r) => r.action).filter((a) => a.startsWith('feeds.') || a.startsWith('advisories.'));
}

async function auditOutcomes(vdb: VigilDatabase, action: string) {
  const rows = await vdb.db
    .selectFrom('audit_log')
    .select(['outcome', 'summary'])
    .where('action', '=', action)
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({ outcome: r.outcome, summary: r.summary }));
}

async function makeTarGz(files: Map<string, Uint8Array>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const [name, body] of files) {
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name, type: 'file' }, Buffer.from(body), (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

describe.each(DIALECTS)('feeds on %s', (dialect) => {
  let vdb: VigilDatabase;
  let provider: TestProvider;
  let rompager: string;

  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
    provider = new TestProvider();
    await provider.start();
    rompager = (
      await addDevice(vdb, cliActor, {
        assetTag: 'INFUSION-GW-1',
        manufacturer: 'Qualcomm Life',
        model: 'Allegro RomPager embedded web server',
        firmwareVersion: '4.10',
      })
    ).id;
  });
  afterEach(async () => {
    await provider.stop();
    await vdb?.close();
  });

  const subscribe = (extra: object = {}) =>
    addSubscription(
      vdb,
      cliActor,
      {
        kind: 'csaf-provider',
        name: 'CISA',
        url: provider.metadataUrl,
        ...extra,
      },
      LOCAL,
    );

  it('subscribes, syncs every document, matches the device, and a second sync fetches nothing', async () => {
    const feed = await subscribe();
    expect(feed).toMatchObject({
      kind: 'csaf-provider',
      name: 'CISA',
      url: provider.metadataUrl,
      enabled: true,
      lastSuccessAt: null,
      stale: true,
      documents: null,
      expectedIntervalHours: 24,
    });

    const first = await syncFeeds(vdb, cliActor, LOCAL);
    expect(first.feeds).toHaveLength(1);
    const r = first.feeds[0]!;
    expect(r).toMatchObject({
      feed: 'CISA',
      kind: 'csaf-provider',
      fetched: 4,
      unchanged: 0,
      rejected: [],
      error: null,
    });
    expect(names(r.files)).toEqual([
      'icsma-17-082-02.json',
      'icsma-17-241-01.json',
      'icsma-18-240-01.json',
      'icsma-22-095-01.json',
    ]);
    expect(r.files.map((f) => f.status)).toEqual(['imported', 'imported', 'imported', 'imported']);
    const tracking = await vdb.db
      .selectFrom('advisories')
      .select(['tracking_id', 'origin', 'source_id'])
      .execute();
    expect(tracking.map((t) => t.tracking_id).sort()).toEqual([
      'ICSMA-17-082-02',
      'ICSMA-17-241-01',
      'ICSMA-18-240-01',
      'ICSMA-22-095-01',
    ]);
    expect(
      tracking.every((t) => t.source_id === feed.id && t.origin.startsWith(`${provider.base}/white/`)),
    ).toBe(true);

    expect(first.match).not.toBeNull();
    const m = await matches(vdb, { deviceId: rompager });
    expect(m.map((x) => [x.vulnerability, x.status, x.advisoryIds])).toEqual([
      ['CVE-2014-9222', 'affected', ['ICSMA-18-240-01']],
    ]);

    const [listed] = await listFeeds(vdb, cliActor);
    expect(listed).toMatchObject({ id: feed.id, stale: false, documents: 4, lastError: null });
    expect(listed?.lastSuccessAt).not.toBeNull();

    const mark = provider.requests.length;
    const second = await syncFeeds(vdb, cliActor, LOCAL);
    expect(second.feeds[0]).toMatchObject({ fetched: 0, unchanged: 4, rejected: [], files: [], error: null });
    expect(provider.documentRequests(mark)).toEqual([]);
    expect(second.match).toBeNull();
    expect(await vdb.db.selectFrom('advisories').select('id').execute()).toHaveLength(4);

    expect(await auditActions(vdb)).toEqual(['feeds.subscribe', 'feeds.sync', 'feeds.sync']);
  });

  it('re-imports exactly the one document that changed', async () => {
    await subscribe();
    await syncFeeds(vdb, cliActor, LOCAL);
    const before = await vdb.db
      .selectFrom('advisories')
      .select(['tracking_id', 'sha256', 'updated_at'])
      .orderBy('tracking_id')
      .execute();
    const path = FIXTURE_DOCS[2]; // white/2018/icsma-18-240-01.json
    provider.changeDocument(path, bump(provider.files.get(path)!), '2024-10-01T00:00:00.000000Z');
    const mark = provider.requests.length;
    const r = await syncFeeds(vdb, cliActor, { ...LOCAL, feed: 'cisa' });
    expect(r.feeds[0]).toMatchObject({ fetched: 1, unchanged: 3, rejected: [], error: null });
    expect(names(r.feeds[0]!.files)).toEqual(['icsma-18-240-01.json']);
    expect(r.feeds[0]!.files[0]?.status).toBe('updated');
    expect(provider.documentRequests(mark).map((x) => x.path)).toEqual([path]);
    const after = await vdb.db
      .selectFrom('advisories')
      .select(['tracking_id', 'sha256', 'updated_at'])
      .orderBy('tracking_id')
      .execute();
    const changed = after.filter((a, i) => a.sha256 !== before[i]?.sha256).map((a) => a.tracking_id);
    expect(changed).toEqual(['ICSMA-18-240-01']);
    // The device still has its one match, now from the new revision.
    expect((await matches(vdb, { deviceId: rompager })).map((x) => x.vulnerability)).toEqual([
      'CVE-2014-9222',
    ]);
  });

  it('rejects a document whose hash is wrong, reports it, and imports the rest', async () => {
    const path = FIXTURE_DOCS[3]; // white/2022/icsma-22-095-01.json
    provider.setText(`${path}.sha512`, `${'0'.repeat(128)}  icsma-22-095-01.json\n`);
    await subscribe();
    const r = await syncFeeds(vdb, cliActor, LOCAL);
    const f = r.feeds[0]!;
    expect(f.rejected).toEqual([
      { url: `${provider.base}/${path}`, reason: expect.stringMatching(/sha512 mismatch/) },
    ]);
    expect(names(f.files)).toEqual(['icsma-17-082-02.json', 'icsma-17-241-01.json', 'icsma-18-240-01.json']);
    expect(f.error).toBeNull();
    const tracking = await vdb.db.selectFrom('advisories').select('tracking_id').execute();
    expect(tracking.map((t) => t.tracking_id)).not.toContain('ICSMA-22-095-01');
    const [feed] = await listFeeds(vdb, cliActor);
    expect(feed?.lastError).toBe('1 document rejected');
    const audit = await vdb.db
      .selectFrom('audit_log')
      .select('summary')
      .where('action', '=', 'feeds.sync')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(audit.summary)).toEqual({
      failed: 0,
      feeds: [{ feed: 'CISA', fetched: 3, rejected: 1, error: null }],
    });
  });

  it('a provider whose metadata is gone is an error: not marked synced, state kept for next time', async () => {
    const feed = await subscribe();
    await syncFeeds(vdb, cliActor, LOCAL);
    const synced = await vdb.db
      .selectFrom('feed_sources')
      .selectAll()
      .where('id', '=', feed.id)
      .executeTakeFirstOrThrow();
    const metadata = provider.files.get('.well-known/csaf/provider-metadata.json')!;
    provider.files.delete('.well-known/csaf/provider-metadata.json');
    const r = await syncFeeds(vdb, cliActor, LOCAL);
    expect(r.feeds[0]?.error).toMatch(/404/);
    const down = await vdb.db
      .selectFrom('feed_sources')
      .selectAll()
      .where('id', '=', feed.id)
      .executeTakeFirstOrThrow();
    expect(down.last_success_at).toBe(synced.last_success_at);
    expect(down.last_error).toMatch(/404/);
    expect(down.state).toBe(synced.state);
    // Back up: nothing to fetch, because the state survived.
    provider.files.set('.well-known/csaf/provider-metadata.json', metadata);
    const mark = provider.requests.length;
    const back = await syncFeeds(vdb, cliActor, LOCAL);
    expect(back.feeds[0]).toMatchObject({ error: null, fetched: 0, unchanged: 4 });
    expect(provider.documentRequests(mark)).toEqual([]);
    expect((await listFeeds(vdb, cliActor))[0]?.lastError).toBeNull();
  });

  it('a synced document that fails CSAF validation is reported and counted in lastError', async () => {
    await subscribe();
    await syncFeeds(vdb, cliActor, LOCAL);
    // The provider publishes a revision whose product tree lost the product its status refers to.
    const path = FIXTURE_DOCS[3];
    const doc = JSON.parse(provider.text(path)) as { product_tree: Record<string, unknown> };
    doc.product_tree = { branches: [] };
    provider.changeDocument(path, new TextEncoder().encode(JSON.stringify(doc)), '2024-11-01T00:00:00Z');
    const r = await syncFeeds(vdb, cliActor, LOCAL);
    expect(r.feeds[0]?.rejected).toEqual([]);
    expect(r.feeds[0]?.files.map((f) => f.status)).toEqual(['rejected']);
    expect((await listFeeds(vdb, cliActor))[0]?.lastError).toBe('1 document rejected');
    // The stored revision is the valid one.
    const row = await vdb.db
      .selectFrom('advisories')
      .select('current_release')
      .where('tracking_id', '=', 'ICSMA-22-095-01')
      .executeTakeFirstOrThrow();
    expect(row.current_release).toBe('2022-04-05T00:00:00.000000Z');
  });

  it('shows a feed as stale once its last success is older than its interval', async () => {
    const feed = await subscribe({ intervalHours: 6 });
    expect((await listFeeds(vdb, cliActor))[0]?.stale).toBe(true); // never synced
    await syncFeeds(vdb, cliActor, LOCAL);
    expect((await listFeeds(vdb, cliActor))[0]?.stale).toBe(false);
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    await vdb.db
      .updateTable('feed_sources')
      .set({ last_success_at: hoursAgo(7) })
      .where('id', '=', feed.id)
      .execute();
    expect((await listFeeds(vdb, cliActor))[0]).toMatchObject({ stale: true, expectedIntervalHours: 6 });
    await vdb.db
      .updateTable('feed_sources')
      .set({ last_success_at: hoursAgo(5) })
      .where('id', '=', feed.id)
      .execute();
    expect((await listFeeds(vdb, cliActor))[0]?.stale).toBe(false);
  });

  it('syncs KEV by URL, and the second sync is a 304 that imports nothing', async () => {
    provider.files.set('feeds/kev.json', new Uint8Array(readFileSync(KEV)));
    const url = `${provider.base}/feeds/kev.json`;
    const feed = await addSubscription(vdb, cliActor, { kind: 'kev', name: 'CISA KEV', url }, LOCAL);
    const first = await syncFeeds(vdb, cliActor, { ...LOCAL, feed: 'CISA KEV' });
    expect(first.feeds[0]).toMatchObject({ kind: 'kev', fetched: 1, unchanged: 0, error: null });
    expect(first.feeds[0]!.files[0]).toMatchObject({ format: 'kev', records: 4 });
    const kev = await vdb.db.selectFrom('kev_entries').select(['cve', 'source_id']).execute();
    expect(kev.map((k) => k.cve).sort()).toEqual([
      'CVE-2024-8068',
      'CVE-2024-8069',
      'CVE-2025-48384',
      'CVE-2025-49704',
    ]);
    expect(kev.every((k) => k.source_id === feed.id)).toBe(true);

    const mark = provider.requests.length;
    const second = await syncFeeds(vdb, cliActor, { ...LOCAL, feed: feed.id });
    expect(second.feeds[0]).toMatchObject({ fetched: 0, unchanged: 1, files: [], error: null });
    expect(provider.requests.slice(mark)).toEqual([
      { path: 'feeds/kev.json', status: 304, conditional: true },
    ]);
    const [listed] = await listFeeds(vdb, cliActor);
    expect(listed).toMatchObject({ kind: 'kev', stale: false, lastError: null });
  });

  it('records a failing URL feed as an error without throwing', async () => {
    await addSubscription(
      vdb,
      cliActor,
      { kind: 'epss', name: 'EPSS', url: `${provider.base}/nope.csv.gz` },
      LOCAL,
    );
    const r = await syncFeeds(vdb, cliActor, LOCAL);
    expect(r.feeds[0]?.error).toMatch(/not found/);
    const [feed] = await listFeeds(vdb, cliActor);
    expect(feed).toMatchObject({ lastSuccessAt: null, stale: true });
    expect(feed?.lastError).toMatch(/not found/);
    expect(feed?.lastAttemptAt).not.toBeNull();
  });

  it('refuses a loopback feed unless the admin allows it, when subscribing and again when syncing', async () => {
    const kev = { kind: 'kev', name: 'CISA KEV', url: `${provider.base}/feeds/kev.json` };
    provider.files.set('feeds/kev.json', new Uint8Array(readFileSync(KEV)));
    await expect(addSubscription(vdb, cliActor, kev)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(
        /^Feed URL refused: plain http:\/\/ is allowed only to hosts in feedAllowHosts/,
      ),
    });
    // A name is judged by what it resolves to: localhost is loopback, over https too.
    const port = new URL(provider.base).port;
    await expect(
      addSubscription(vdb, cliActor, { ...kev, url: `https://localhost:${port}/feeds/kev.json` }),
    ).rejects.toThrow(
      /localhost \(127\.0\.0\.1\) is a loopback address; an admin can allow it with feedAllowHosts/,
    );
    await expect(
      addSubscription(vdb, cliActor, { ...kev, url: 'http://169.254.169.254/latest/meta-data/' }),
    ).rejects.toThrow(/169\.254\.169\.254/);
    expect(await listFeeds(vdb, cliActor)).toEqual([]);
    expect(provider.requests).toEqual([]);

    // Subscribed while allowed; the setting later removed: the sync refuses before connecting.
    await addSubscription(vdb, cliActor, kev, LOCAL);
    const refused = await syncFeeds(vdb, cliActor);
    expect(refused.feeds[0]?.error).toMatch(
      /refused: plain http:\/\/ is allowed only to hosts in feedAllowHosts/,
    );
    expect(provider.requests).toEqual([]);
    const allowed = await syncFeeds(vdb, cliActor, LOCAL);
    expect(allowed.feeds[0]).toMatchObject({ fetched: 1, error: null });
  });

  it('never echoes what a feed URL answered, in the sync report, the feed or the audit log', async () => {
    // What a file server on the Vigil host would answer for /etc/passwd.
    provider.setText(
      'etc/passwd',
      'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n',
    );
    provider.setText('etc/passwd.json', '{"root": "x:0:0:root:/root:/bin/bash"');
    await addSubscription(
      vdb,
      cliActor,
      { kind: 'kev', name: 'kev', url: `${provider.base}/etc/passwd` },
      LOCAL,
    );
    await addSubscription(
      vdb,
      cliActor,
      { kind: 'nvd', name: 'nvd', url: `${provider.base}/etc/passwd.json` },
      LOCAL,
    );
    await addSubscription(
      vdb,
      cliActor,
      { kind: 'csaf-provider', name: 'csaf', url: `${provider.base}/etc/passwd` },
      LOCAL,
    );
    const r = await syncFeeds(vdb, cliActor, LOCAL);
    const shown = JSON.stringify([r, await listFeeds(vdb, cliActor), await auditOutcomes(vdb, 'feeds.sync')]);
    expect(shown).not.toMatch(/root|daemon|bin\/bash/);
    // Where, never what: V8's own message would quote "root:x:0:0:root:/r"….
    expect(r.feeds.map((f) => [f.feed, f.error])).toEqual([
      ['csaf', `${provider.base}/etc/passwd: not JSON at byte 0`],
      ['kev', 'not valid JSON (unexpected character at byte 0)'],
      ['nvd', 'not valid JSON (it ends early)'],
    ]);
  });

  it('audits a sync where every feed failed as a failure, one where some synced as a success', async () => {
    provider.files.set('feeds/kev.json', new Uint8Array(readFileSync(KEV)));
    await addSubscription(
      vdb,
      cliActor,
      { kind: 'epss', name: 'EPSS', url: `${provider.base}/nope.csv.gz` },
      LOCAL,
    );
    await syncFeeds(vdb, cliActor, LOCAL);
    await addSubscription(
      vdb,
      cliActor,
      { kind: 'kev', name: 'kev', url: `${provider.base}/feeds/kev.json` },
      LOCAL,
    );
    await syncFeeds(vdb, cliActor, LOCAL);
    expect(await auditOutcomes(vdb, 'feeds.sync')).toMatchObject([
      { outcome: 'failure', summary: expect.stringContaining('"failed":1') },
      { outcome: 'success', summary: expect.stringContaining('"failed":1') },
    ]);
  });

  it('refuses a second subscription of the same name and a non-http URL', async () => {
    await subscribe();
    await expect(subscribe()).rejects.toThrow(/exists/);
    await expect(
      addSubscription(vdb, cliActor, { kind: 'kev', name: 'x', url: 'file:///etc/passwd' }, LOCAL),
    ).rejects.toThrow();
    expect(await auditActions(vdb)).toEqual(['feeds.subscribe']);
  });

  it('turns the manual-import source of the same name and kind into the subscription (docs subscribe as "kev")', async () => {
    // docs/advisories.md: manual imports are recorded under `kev`, `epss` …, and its examples then
    // subscribe with `--name kev --kind kev`; that must not fail with "exists".
    await importAdvisoryPaths(vdb, cliActor, [KEV]);
    const [manual] = await listFeeds(vdb, cliActor);
    expect(manual).toMatchObject({ name: 'kev', kind: 'kev', url: null });
    const url = `${provider.base}/feeds/kev.json`;
    await expect(addSubscription(vdb, cliActor, { kind: 'epss', name: 'kev', url }, LOCAL)).rejects.toThrow(
      'A feed named "kev" exists (kev: it records manual kev imports)',
    );
    const feed = await addSubscription(vdb, cliActor, { kind: 'kev', name: 'kev', url }, LOCAL);
    expect(feed).toMatchObject({ id: manual!.id, name: 'kev', url, lastSuccessAt: manual!.lastSuccessAt });
    expect(await listFeeds(vdb, cliActor)).toHaveLength(1);
    // A real subscription is still a conflict that says what it is.
    await expect(addSubscription(vdb, cliActor, { kind: 'kev', name: 'KEV', url }, LOCAL)).rejects.toThrow(
      `A feed named "kev" exists (kev: ${url})`,
    );
    expect(await auditActions(vdb)).toEqual(['advisories.import', 'feeds.subscribe']);
  });

  it('refuses a bundle whose --key file cannot be read as invalid input naming the file', async () => {
    const missing = join(tmp, 'no-such-key.asc');
    await expect(importCsafBundle(vdb, cliActor, FIXTURE_DIR, { keyFiles: [missing] })).rejects.toMatchObject(
      {
        code: 'invalid_input',
        message: `Cannot read key file ${missing}: ENOENT`,
      },
    );
  });

  it('imports an offline .tar.gz bundle of the provider directory with the same checks', async () => {
    const tarball = join(tmp, `${dialect}-bundle.tar.gz`);
    writeFileSync(tarball, await makeTarGz(readFixtureTree(FIXTURE_DIR)));
    const r = await importCsafBundle(vdb, cliActor, tarball);
    expect(r.rejected).toEqual([]);
    expect(r.files.map((f) => [f.file, f.status])).toEqual(
      FIXTURE_DOCS.map((d) => [`${tarball}#${d}`, 'imported']),
    );
    expect((await matches(vdb, { deviceId: rompager })).map((x) => x.vulnerability)).toEqual([
      'CVE-2014-9222',
    ]);
    // Provenance: recorded under the manual CSAF source, which shows as synced.
    const feeds = await listFeeds(vdb, cliActor);
    const source = feeds.find((f) => f.name === 'csaf-files');
    expect(source).toMatchObject({ kind: 'csaf-files', stale: false });
    const rows = await vdb.db.selectFrom('advisories').select(['source_id', 'origin']).execute();
    expect(rows.every((x) => x.source_id === source?.id && x.origin.startsWith(`${tarball}#white/`))).toBe(
      true,
    );
    // Once more: nothing new.
    const again = await importCsafBundle(vdb, cliActor, tarball);
    expect(again.files.map((f) => f.status)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(again.match).toBeNull();
    expect(await auditActions(vdb)).toEqual(['advisories.import-bundle', 'advisories.import-bundle']);
  });

  it('a bundle document with a wrong hash is rejected, the others import', async () => {
    const tree = readFixtureTree(FIXTURE_DIR);
    const path = FIXTURE_DOCS[2];
    tree.set(path, bump(tree.get(path)!)); // the .sha256 no longer matches
    const tarball = join(tmp, `${dialect}-bad-bundle.tgz`);
    writeFileSync(tarball, await makeTarGz(tree));
    const r = await importCsafBundle(vdb, cliActor, tarball);
    expect(r.rejected).toEqual([
      { url: `${tarball}#${path}`, reason: expect.stringMatching(/sha256 mismatch/) },
    ]);
    expect(r.files).toHaveLength(3);
    expect(await matches(vdb, { deviceId: rompager })).toEqual([]);
  });
});
