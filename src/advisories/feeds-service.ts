/**
 * @module Feed sources and subscriptions: the hospital signs up for its manufacturers' CSAF providers
 * (and CISA's), and for KEV, EPSS, NVD or OSV files by URL; `vigil advisories sync` fetches only what
 * is new or changed, verifies it, imports it and re-matches. Every source keeps its provenance and
 * freshness: a source not synced within its interval is shown as stale. Offline bundles (a directory
 * or tarball laid out like a provider) import with the same checks for air-gapped hospitals.
 */

import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { conflict, invalidInput, notFound } from '../errors.js';
import { plural } from '../format-count.js';
import { parseInput } from '../inventory/device-input.js';
import type { MatchRunReport } from '../matching/matcher.js';
import { readCappedFile } from '../read-capped-file.js';
import {
  deleteFeedSource,
  type FeedSourceRow,
  feedSourceByKey,
  insertFeedSource,
  listFeedSources,
  updateFeedSource,
} from '../store/advisory-store.js';
import type { VigilDatabase } from '../store/database.js';
import { newId, nowIso } from '../store/ids.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import {
  type AdvisoryFormat,
  type FileImportReport,
  importBytes,
  importCsafBytes,
} from './advisory-import.js';
import { DEFAULT_INTERVAL_HOURS, ensureFeedSource, markSourceSynced } from './knowledge-writer.js';
import { beginAdvisoryWrites, matchAdvisoryWrites } from './pending-match.js';
import { type BundleKey, importBundle } from './sync/bundle.js';
import { FeedHostPolicy, type ResolveAll } from './sync/feed-host-policy.js';
import { createHttpFetcher, type Fetcher } from './sync/fetcher.js';
import { type ProviderSyncState, syncProvider } from './sync/sync.js';

export const FEED_KINDS = ['csaf-provider', 'kev', 'epss', 'nvd', 'cve5', 'osv'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

/** The Feed JSON contract (docs/advisories.md). */
export interface Feed {
  id: string;
  kind: string;
  name: string;
  url: string | null;
  manufacturer: string | null;
  enabled: boolean;
  requireSignature: boolean;
  expectedIntervalHours: number;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  /** Never synced, or not within its expected interval. */
  stale: boolean;
  documents: number | null;
}

export function toFeed(r: FeedSourceRow, now = Date.now()): Feed {
  const state = JSON.parse(r.state) as Partial<ProviderSyncState>;
  const last = r.last_success_at ? Date.parse(r.last_success_at) : Number.NaN;
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    url: r.url,
    manufacturer: r.manufacturer,
    enabled: r.enabled === 1,
    requireSignature: r.require_signature === 1,
    expectedIntervalHours: r.expected_interval_hours,
    lastAttemptAt: r.last_attempt_at,
    lastSuccessAt: r.last_success_at,
    lastError: r.last_error,
    stale: Number.isNaN(last) || now - last > r.expected_interval_hours * 3_600_000,
    documents: state.documents ? Object.keys(state.documents).length : null,
  };
}

export const SubscriptionSchema = z.strictObject({
  kind: z.enum(FEED_KINDS),
  name: z.string().trim().min(1).max(120),
  url: z
    .string()
    .trim()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), 'only http(s) URLs'),
  manufacturer: z.string().trim().min(1).max(200).optional(),
  requireSignature: z.boolean().optional(),
  intervalHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .optional(),
});

export async function listFeeds(h: DbHandle, actor: Actor): Promise<Feed[]> {
  assertCan(actor, 'advisories:read');
  return (await listFeedSources(h)).map((r) => toFeed(r));
}

/**
 * Signs up for a feed, e.g. a manufacturer's CSAF provider-metadata.json. A source of the same name and
 * kind that only records manual imports (`kev`, `epss` … created by `vigil advisories import`) becomes
 * the subscription: the docs subscribe with exactly those names, and one source keeps one freshness.
 */
/** What a feed brings is matched against every site's devices: unsubscribing one blinds them all. */
const FEED_SUBSCRIPTION = 'A feed subscription';

/** Where feeds may be fetched from: the configuration's `feedAllowHosts` (docs/configuration.md). */
export interface FeedNetworkOptions {
  /** Internal hosts, addresses and CIDR ranges a feed may reach (and the only ones plain http may). */
  allowHosts?: readonly string[];
}

export async function addSubscription(
  vdb: DbHandle,
  actor: Actor,
  input: unknown,
  opts: FeedNetworkOptions & { resolve?: ResolveAll } = {},
): Promise<Feed> {
  assertCan(actor, 'advisories:write');
  assertAllSites(actor, FEED_SUBSCRIPTION);
  const s = parseInput(SubscriptionSchema, input, 'subscription');
  // Refused now rather than at the first sync, so the person who typed the URL sees why; every fetch
  // checks again (a name may resolve elsewhere later, a provider may redirect).
  const refused = await new FeedHostPolicy(opts.allowHosts).check(new URL(s.url), opts.resolve);
  if (refused) throw invalidInput(`Feed URL refused: ${refused}`, [{ field: 'url', reason: refused }]);
  const key = s.name.toLowerCase();
  return transaction(vdb, async (h) => {
    const existing = await feedSourceByKey(h, key);
    if (existing && (existing.url !== null || existing.kind !== s.kind)) {
      const what = existing.url ? existing.url : `it records manual ${existing.kind} imports`;
      throw conflict(`A feed named ${JSON.stringify(existing.name)} exists (${existing.kind}: ${what})`);
    }
    const at = nowIso();
    const fields: Pick<
      FeedSourceRow,
      'url' | 'manufacturer' | 'enabled' | 'require_signature' | 'expected_interval_hours' | 'updated_at'
    > = {
      url: s.url,
      manufacturer: s.manufacturer ?? null,
      enabled: 1,
      require_signature: s.requireSignature ? 1 : 0,
      expected_interval_hours: s.intervalHours ?? DEFAULT_INTERVAL_HOURS[s.kind] ?? 24,
      updated_at: at,
    };
    let row: FeedSourceRow;
    if (existing) {
      // Its freshness stays: the manual import it records really happened.
      await updateFeedSource(h, existing.id, fields);
      row = { ...existing, ...fields };
    } else {
      row = {
        id: newId(),
        kind: s.kind,
        name: s.name,
        name_key: key,
        ...fields,
        state: '{}',
        last_attempt_at: null,
        last_success_at: null,
        last_error: null,
        created_at: at,
      };
      await insertFeedSource(h, row);
    }
    await appendAudit(h, {
      actor,
      action: 'feeds.subscribe',
      target: { type: 'feed', id: row.id },
      summary: {
        kind: s.kind,
        name: s.name,
        url: s.url,
        manufacturer: s.manufacturer ?? null,
        ...(existing ? { replacedManualSource: true } : {}),
      },
    });
    return toFeed(row);
  });
}

async function findFeed(h: DbHandle, ref: string): Promise<FeedSourceRow> {
  const byKey = await feedSourceByKey(h, ref.trim().toLowerCase());
  if (byKey) return byKey;
  const byId = (await listFeedSources(h)).find((f) => f.id === ref);
  if (!byId) throw notFound(`Feed ${ref}`);
  return byId;
}

export async function removeSubscription(vdb: DbHandle, actor: Actor, ref: string): Promise<void> {
  assertCan(actor, 'advisories:write');
  assertAllSites(actor, FEED_SUBSCRIPTION);
  await transaction(vdb, async (h) => {
    const f = await findFeed(h, ref);
    await deleteFeedSource(h, f.id);
    await appendAudit(h, {
      actor,
      action: 'feeds.unsubscribe',
      target: { type: 'feed', id: f.id },
      summary: { name: f.name, url: f.url },
    });
  });
}

export interface FeedSyncReport {
  feed: string;
  kind: string;
  fetched: number;
  unchanged: number;
  rejected: { url: string; reason: string }[];
  files: FileImportReport[];
  error: string | null;
}

export interface SyncReport {
  feeds: FeedSyncReport[];
  match: MatchRunReport | null;
}

async function syncOne(
  vdb: VigilDatabase,
  feed: FeedSourceRow,
  fetcher: Fetcher,
  changed: Set<string>,
): Promise<FeedSyncReport> {
  const report: FeedSyncReport = {
    feed: feed.name,
    kind: feed.kind,
    fetched: 0,
    unchanged: 0,
    rejected: [],
    files: [],
    error: null,
  };
  const url = feed.url as string;
  const attempt = nowIso();
  let newState: unknown;
  try {
    if (feed.kind === 'csaf-provider') {
      const result = await syncProvider({
        metadataUrl: url,
        state: JSON.parse(feed.state) as ProviderSyncState,
        fetcher,
        requireSignature: feed.require_signature === 1,
      });
      report.fetched = result.documents.length;
      report.unchanged = result.unchanged;
      report.rejected = result.rejected;
      // No provider-metadata.json (unreachable, 404, invalid): nothing was synced, so the feed must not
      // look fresh, and its stored state is kept for the next attempt.
      if (!result.metadata) {
        const why = result.rejected.find((x) => x.url === url) ?? result.rejected[0];
        throw new Error(`${url}: ${why?.reason ?? 'provider metadata unavailable'}`);
      }
      for (const doc of result.documents) {
        const r = await importCsafBytes(vdb, doc.body, doc.url, feed.id);
        report.files.push(r.report);
        for (const k of r.vulnKeys) changed.add(k);
      }
      newState = result.state;
    } else {
      const prev = JSON.parse(feed.state) as { etag?: string | null; lastModified?: string | null };
      const res = await fetcher.get({
        url,
        etag: prev.etag ?? null,
        lastModified: prev.lastModified ?? null,
        maxBytes: 1024 * 1024 * 1024,
      });
      if (res.status === 'not-modified') {
        report.unchanged = 1;
        newState = prev;
      } else if (res.status !== 'ok') {
        throw new Error(res.status === 'not-found' ? `${url}: not found (404)` : `${url}: ${res.reason}`);
      } else {
        report.fetched = 1;
        const r = await importBytes(vdb, res.body, url, feed.kind as AdvisoryFormat, feed.id);
        report.files.push(r.report);
        for (const k of r.vulnKeys) changed.add(k);
        if (r.report.status === 'rejected') throw new Error(r.report.summary);
        newState = { etag: res.etag, lastModified: res.lastModified };
      }
    }
    const at = nowIso();
    // Documents the import refused (CSAF validation) count too, or the problem would show nowhere.
    const refused = report.rejected.length + report.files.filter((f) => f.status === 'rejected').length;
    await updateFeedSource(vdb, feed.id, {
      state: JSON.stringify(newState),
      last_attempt_at: attempt,
      // A provider with rejected documents still synced; the rejected ones are retried next time.
      last_success_at: at,
      last_error: refused ? `${plural(refused, 'document')} rejected` : null,
      updated_at: at,
    });
  } catch (err) {
    report.error = (err as Error).message;
    await updateFeedSource(vdb, feed.id, {
      last_attempt_at: attempt,
      last_error: report.error,
      updated_at: nowIso(),
    });
  }
  return report;
}

/** Syncs every enabled subscription (or the one named). */
export async function syncFeeds(
  vdb: VigilDatabase,
  actor: Actor,
  opts: FeedNetworkOptions & { feed?: string; fetcher?: Fetcher; match?: boolean } = {},
): Promise<SyncReport> {
  assertCan(actor, 'advisories:write');
  // A job over every site, as `vigil match` is: its advisories and VEX statements change every site's
  // matches, and its report counts every site's devices. The scheduler runs it as Vigil.
  assertAllSites(actor, 'Syncing the advisory feeds');
  const all = await listFeedSources(vdb);
  const feeds = opts.feed ? [await findFeed(vdb, opts.feed)] : all.filter((f) => f.enabled === 1 && f.url);
  if (opts.feed && !feeds[0]?.url)
    throw invalidInput(`Feed ${opts.feed} has no URL to sync from (it records manual imports)`);
  const fetcher = opts.fetcher ?? createHttpFetcher({ policy: new FeedHostPolicy(opts.allowHosts) });
  const changed = new Set<string>();
  const reports: FeedSyncReport[] = [];
  const writes = await beginAdvisoryWrites(vdb);
  for (const f of feeds) reports.push(await syncOne(vdb, f, fetcher, changed));
  const failed = reports.filter((r) => r.error !== null).length;
  await transaction(vdb, (h) =>
    appendAudit(h, {
      actor,
      action: 'feeds.sync',
      // A failure when nothing synced; a sync where some feeds failed still brought the others (they are
      // named with their errors below), as one rejected file does not fail an import.
      outcome: reports.length > 0 && failed === reports.length ? 'failure' : 'success',
      target: { type: 'feeds' },
      summary: {
        failed,
        feeds: reports.map((r) => ({
          feed: r.feed,
          fetched: r.fetched,
          rejected: r.rejected.length,
          error: r.error,
        })),
      },
    }),
  );
  const match = opts.match === false ? null : await matchAdvisoryWrites(vdb, actor, writes, changed);
  return { feeds: reports, match };
}

/** An armored OpenPGP public key is a few kB; a provider's whole keyring stays well under 1 MB. */
const MAX_KEY_FILE_BYTES = 1_000_000;

/** A mistyped `--key` path is the user's input, not an internal error (exit 70 and a bare ENOENT). */
async function readKeyFile(file: string): Promise<string> {
  const bytes = await readCappedFile(file, {
    what: 'an OpenPGP key file',
    role: 'key file',
    maxBytes: MAX_KEY_FILE_BYTES,
  });
  return bytes.toString('utf8');
}

/** An offline bundle (directory or .tar/.tar.gz laid out like a CSAF provider). */
export async function importCsafBundle(
  vdb: VigilDatabase,
  actor: Actor,
  path: string,
  opts: { keyFiles?: string[]; requireSignature?: boolean; match?: boolean } = {},
): Promise<{
  files: FileImportReport[];
  rejected: { url: string; reason: string }[];
  match: MatchRunReport | null;
}> {
  assertCan(actor, 'advisories:write');
  assertAllSites(actor, 'An advisory bundle import');
  const keys: BundleKey[] = [];
  for (const f of opts.keyFiles ?? []) keys.push({ armored: await readKeyFile(f) });
  const result = await importBundle({ path, keys, requireSignature: opts.requireSignature ?? false });
  const changed = new Set<string>();
  const files: FileImportReport[] = [];
  const writes = await beginAdvisoryWrites(vdb);
  // Recorded like any manual CSAF import (docs: every advisory keeps its feed source, and the source's
  // freshness shows in listFeeds).
  const sourceId = await transaction(vdb, async (h) => {
    const s = await ensureFeedSource(h, 'csaf-files');
    await markSourceSynced(h, s.id);
    return s.id;
  });
  for (const doc of result.documents) {
    const r = await importCsafBytes(vdb, doc.body, `${path}#${doc.url}`, sourceId);
    files.push(r.report);
    for (const k of r.vulnKeys) changed.add(k);
  }
  await transaction(vdb, (h) =>
    appendAudit(h, {
      actor,
      action: 'advisories.import-bundle',
      target: { type: 'advisories' },
      summary: { bundle: path, documents: files.length, rejected: result.rejected.length },
    }),
  );
  const match = opts.match === false ? null : await matchAdvisoryWrites(vdb, actor, writes, changed);
  // Named like the imported documents (`bundle.tar.gz#white/2024/x.json`), so a person with several
  // bundles can tell which one held the rejected document.
  const rejected = result.rejected.map((r) => ({ ...r, url: `${path}#${r.url}` }));
  return { files, rejected, match };
}
