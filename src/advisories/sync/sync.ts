/**
 * @module CSAF trusted-provider sync client: reads `provider-metadata.json`, walks its ROLIE feeds and/or
 * directory listings, and downloads only new or changed documents, each checked against its hash file and
 * detached OpenPGP signature. No database: the caller stores the returned JSON `state` and passes it back.
 * Per-document problems never throw; they are reported in `rejected` and that document's state is not
 * advanced, so it is retried on the next run.
 * @see CSAF 2.0 §7.1 https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html#71-requirements
 */
import type { PublicKey } from 'openpgp';
import { z } from 'zod';
import { directoryEntries, parseChangesCsv, parseIndexTxt } from './directory.js';
import { type FeedEntry, isNewer } from './entry.js';
import { createHttpFetcher, type Fetcher, type FetchResult, isHttpUrl } from './fetcher.js';
import { type ProviderMetadata, parseJsonBytes, parseProviderMetadata } from './provider-metadata.js';
import { parseRolieFeed } from './rolie.js';
import {
  checkHash,
  errorMessage,
  type HashAlgorithm,
  loadPublicKeys,
  sha256Hex,
  verifyDetachedSignature,
} from './verify.js';

export interface ConditionalState {
  etag: string | null;
  lastModified: string | null;
}

export interface DocumentSyncState extends ConditionalState {
  /** Change time from the listing when it was last accepted. */
  updated: string | null;
  /** SHA-256 of the accepted body; a re-served identical body is not returned again. */
  sha256: string;
}

export interface ProviderSyncState {
  version: 1;
  metadataUrl: string;
  metadata: ConditionalState & { document: ProviderMetadata | null };
  /** ROLIE feeds, changes.csv and index.txt URLs. Only stored once every document they list was accepted. */
  listings: Record<string, ConditionalState & { documents: number }>;
  /** Public keys from provider metadata, kept armored so a 304 needs no re-download. */
  keys: Record<string, ConditionalState & { armored: string }>;
  documents: Record<string, DocumentSyncState>;
  lastSync: string | null;
}

export type SignatureStatus = 'verified' | 'absent' | 'no-key';

export interface SyncedDocument {
  url: string;
  body: Uint8Array;
  sha256: string;
  updated: string | null;
  signature: SignatureStatus;
  /** Which hash file matched, or 'absent' when the provider serves none (only possible without requireHash). */
  hash: HashAlgorithm | 'absent';
  /** ROLIE entry id, when the document came from a feed. */
  id?: string;
}

export interface Rejection {
  url: string;
  reason: string;
}

export interface ProviderSyncResult {
  documents: SyncedDocument[];
  rejected: Rejection[];
  /** Documents known to be unchanged (skipped by timestamp, 304, or identical body). */
  unchanged: number;
  state: ProviderSyncState;
  metadata: ProviderMetadata | null;
}

export interface SyncProviderOptions {
  metadataUrl: string;
  state: ProviderSyncState | null;
  fetcher?: Fetcher;
  /** Reject documents whose signature is absent or made by an unknown key. Default false. */
  requireSignature?: boolean;
  /** Reject documents without a `.sha512`/`.sha256` file (CSAF §7.1.18 makes them mandatory). Default true. */
  requireHash?: boolean;
  now?: () => Date;
  filter?: (entry: FeedEntry) => boolean;
  /** Parallel document downloads. Default 4. */
  concurrency?: number;
}

const SMALL_FILE_BYTES = 256 * 1024;

const CsafShapeSchema = z.looseObject({ document: z.looseObject({}) });

export function emptySyncState(metadataUrl: string): ProviderSyncState {
  return {
    version: 1,
    metadataUrl,
    metadata: { etag: null, lastModified: null, document: null },
    listings: {},
    keys: {},
    documents: {},
    lastSync: null,
  };
}

const ConditionalShape = {
  etag: z.string().nullable(),
  lastModified: z.string().nullable(),
};

/** zod check for state read back from storage; an unreadable state means a full resync, not a crash. */
export const ProviderSyncStateSchema = z.looseObject({
  version: z.literal(1),
  metadataUrl: z.string(),
  metadata: z.looseObject({ ...ConditionalShape, document: z.unknown() }),
  listings: z.record(z.string(), z.looseObject({ ...ConditionalShape, documents: z.number() })),
  keys: z.record(z.string(), z.looseObject({ ...ConditionalShape, armored: z.string() })),
  documents: z.record(
    z.string(),
    z.looseObject({ ...ConditionalShape, updated: z.string().nullable(), sha256: z.string() }),
  ),
  lastSync: z.string().nullable(),
});

export function readSyncState(json: unknown, metadataUrl: string): ProviderSyncState {
  const parsed = ProviderSyncStateSchema.safeParse(json);
  if (!parsed.success || parsed.data.metadataUrl !== metadataUrl) return emptySyncState(metadataUrl);
  const meta = parseProviderMetadata(parsed.data.metadata.document);
  return {
    ...(parsed.data as ProviderSyncState),
    metadata: { ...parsed.data.metadata, document: meta.ok ? meta.value : null },
  };
}

interface Listing {
  url: string;
  entries: FeedEntry[];
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

export async function syncProvider(opts: SyncProviderOptions): Promise<ProviderSyncResult> {
  const fetcher = opts.fetcher ?? createHttpFetcher();
  const now = opts.now ?? (() => new Date());
  const requireHash = opts.requireHash ?? true;
  const prev = opts.state ? readSyncState(opts.state, opts.metadataUrl) : emptySyncState(opts.metadataUrl);
  const state: ProviderSyncState = structuredClone(prev);
  const documents: SyncedDocument[] = [];
  const rejected: Rejection[] = [];
  let unchanged = 0;
  const finish = (metadata: ProviderMetadata | null): ProviderSyncResult => {
    state.lastSync = now().toISOString();
    return { documents, rejected, unchanged, state, metadata };
  };

  // 1. provider-metadata.json
  if (!isHttpUrl(opts.metadataUrl)) {
    rejected.push({ url: opts.metadataUrl, reason: 'not an http(s) URL' });
    return finish(null);
  }
  let metadata: ProviderMetadata | null = null;
  {
    const cached = state.metadata.document;
    const res = await fetcher.get({
      url: opts.metadataUrl,
      etag: cached ? state.metadata.etag : null,
      lastModified: cached ? state.metadata.lastModified : null,
      maxBytes: SMALL_FILE_BYTES * 4,
    });
    if (res.status === 'not-modified' && cached) {
      metadata = cached;
    } else if (res.status === 'ok') {
      const parsed = parseProviderMetadata(res.body);
      if (!parsed.ok) {
        rejected.push({ url: opts.metadataUrl, reason: parsed.reason });
        return finish(null);
      }
      metadata = parsed.value;
      state.metadata = { etag: res.etag, lastModified: res.lastModified, document: metadata };
    } else {
      rejected.push({ url: opts.metadataUrl, reason: failureReason(res) });
      return finish(null);
    }
  }

  // 2. public keys, pinned to the fingerprints the metadata lists
  const keys: PublicKey[] = [];
  for (const keyRef of metadata.public_openpgp_keys ?? []) {
    const keyUrl = resolveUrl(keyRef.url, opts.metadataUrl);
    if (keyUrl === null || !isHttpUrl(keyUrl)) {
      rejected.push({ url: keyRef.url, reason: 'key URL is not http(s)' });
      continue;
    }
    const cached = state.keys[keyUrl];
    const res = await fetcher.get({
      url: keyUrl,
      etag: cached?.etag ?? null,
      lastModified: cached?.lastModified ?? null,
      maxBytes: SMALL_FILE_BYTES,
    });
    let armored: string;
    if (res.status === 'not-modified' && cached) armored = cached.armored;
    else if (res.status === 'ok') armored = new TextDecoder().decode(res.body);
    else {
      rejected.push({ url: keyUrl, reason: `key: ${failureReason(res)}` });
      continue;
    }
    const loaded = await loadPublicKeys(armored, keyRef.fingerprint ?? null);
    for (const problem of loaded.problems) rejected.push({ url: keyUrl, reason: `key: ${problem}` });
    if (loaded.keys.length > 0) {
      keys.push(...loaded.keys);
      if (res.status === 'ok')
        state.keys[keyUrl] = { etag: res.etag, lastModified: res.lastModified, armored };
    }
  }

  // 3. listings (ROLIE feeds, changes.csv / index.txt)
  const listings: Listing[] = [];
  const pendingListingState = new Map<string, ConditionalState>();
  for (const dist of metadata.distributions ?? []) {
    for (const feedRef of dist.rolie?.feeds ?? []) {
      const feedUrl = resolveUrl(feedRef.url, opts.metadataUrl);
      if (feedUrl === null || !isHttpUrl(feedUrl)) {
        rejected.push({ url: feedRef.url, reason: 'feed URL is not http(s)' });
        continue;
      }
      const res = await getListing(fetcher, state, feedUrl);
      if (res.status === 'not-modified') {
        unchanged += state.listings[feedUrl]?.documents ?? 0;
        continue;
      }
      if (res.status !== 'ok') {
        rejected.push({ url: feedUrl, reason: `ROLIE feed: ${failureReason(res)}` });
        continue;
      }
      const json = parseJsonBytes(res.body);
      const feed = json.ok ? parseRolieFeed(json.value, feedUrl, feedRef.tlp_label) : json;
      if (!feed.ok) {
        rejected.push({ url: feedUrl, reason: feed.reason });
        continue;
      }
      for (const s of feed.value.skipped)
        rejected.push({ url: feedUrl, reason: `entry ${s.id ?? '?'}: ${s.reason}` });
      listings.push({ url: feedUrl, entries: feed.value.entries });
      pendingListingState.set(feedUrl, { etag: res.etag, lastModified: res.lastModified });
    }
    if (dist.directory_url !== undefined) {
      const dirUrl = resolveUrl(dist.directory_url, opts.metadataUrl);
      if (dirUrl === null || !isHttpUrl(dirUrl)) {
        rejected.push({ url: dist.directory_url, reason: 'directory URL is not http(s)' });
        continue;
      }
      const base = dirUrl.endsWith('/') ? dirUrl : `${dirUrl}/`;
      // changes.csv carries change times, so unchanged documents need no request at all; index.txt is the fallback.
      let listed = false;
      for (const name of ['changes.csv', 'index.txt'] as const) {
        const listUrl = new URL(name, base).href;
        const res = await getListing(fetcher, state, listUrl);
        if (res.status === 'not-found') continue;
        listed = true;
        if (res.status === 'not-modified') {
          unchanged += state.listings[listUrl]?.documents ?? 0;
          break;
        }
        if (res.status !== 'ok') {
          rejected.push({ url: listUrl, reason: failureReason(res) });
          break;
        }
        const text = new TextDecoder().decode(res.body);
        const parsed = name === 'changes.csv' ? parseChangesCsv(text) : parseIndexTxt(text);
        for (const s of parsed.skipped)
          rejected.push({ url: listUrl, reason: `line ${s.line}: ${s.reason}` });
        listings.push({ url: listUrl, entries: directoryEntries(base, parsed.entries) });
        pendingListingState.set(listUrl, { etag: res.etag, lastModified: res.lastModified });
        break;
      }
      if (!listed) rejected.push({ url: base, reason: 'neither changes.csv nor index.txt found' });
    }
  }

  // 4. documents
  const seen = new Set<string>();
  const work: { entry: FeedEntry; listing: string }[] = [];
  const listingFailed = new Set<string>();
  for (const listing of listings) {
    for (const entry of listing.entries) {
      if (seen.has(entry.url)) continue;
      seen.add(entry.url);
      if (opts.filter && !opts.filter(entry)) continue;
      // A feed may only send the client to its own host or the provider's: a hospital appliance must not
      // be steered by a feed entry to fetch from arbitrary (internal) addresses.
      const foreign = [entry.url, ...entry.hashUrls.map((h) => h.url), entry.signatureUrl]
        .filter((u): u is string => typeof u === 'string')
        .find((u) => !sameOrigin(u, listing.url) && !sameOrigin(u, opts.metadataUrl));
      if (foreign) {
        rejected.push({
          url: entry.url,
          reason: `refers to ${foreign}, outside the provider's and the listing's host`,
        });
        continue;
      }
      const known = state.documents[entry.url];
      if (known && entry.updated !== null && !isNewer(entry.updated, known.updated)) {
        unchanged++;
        continue;
      }
      work.push({ entry, listing: listing.url });
    }
  }

  await runPool(work, opts.concurrency ?? 4, async ({ entry, listing }) => {
    const outcome = await syncDocument(entry, state.documents[entry.url], fetcher, keys, {
      requireSignature: opts.requireSignature ?? false,
      requireHash,
    }).catch(
      (err: unknown): DocumentOutcome => ({
        kind: 'rejected',
        reason: `internal error: ${errorMessage(err)}`,
      }),
    );
    switch (outcome.kind) {
      case 'unchanged':
        unchanged++;
        state.documents[entry.url] = outcome.state;
        break;
      case 'accepted':
        documents.push(outcome.document);
        state.documents[entry.url] = outcome.state;
        break;
      case 'rejected':
        rejected.push({ url: entry.url, reason: outcome.reason });
        listingFailed.add(listing);
        break;
    }
  });

  // A listing's validators are only remembered when all of its documents went through; otherwise a 304 next
  // time would hide the rejected ones from the retry.
  for (const listing of listings) {
    const validators = pendingListingState.get(listing.url);
    if (!validators || listingFailed.has(listing.url)) continue;
    state.listings[listing.url] = { ...validators, documents: listing.entries.length };
  }
  documents.sort((a, b) => a.url.localeCompare(b.url));
  return finish(metadata);
}

type DocumentOutcome =
  | { kind: 'accepted'; document: SyncedDocument; state: DocumentSyncState }
  | { kind: 'unchanged'; state: DocumentSyncState }
  | { kind: 'rejected'; reason: string };

async function syncDocument(
  entry: FeedEntry,
  known: DocumentSyncState | undefined,
  fetcher: Fetcher,
  keys: readonly PublicKey[],
  rules: { requireSignature: boolean; requireHash: boolean },
): Promise<DocumentOutcome> {
  const res = await fetcher.get({
    url: entry.url,
    etag: known?.etag ?? null,
    lastModified: known?.lastModified ?? null,
  });
  if (res.status === 'not-modified' && known) {
    return { kind: 'unchanged', state: { ...known, updated: entry.updated ?? known.updated } };
  }
  if (res.status !== 'ok') return { kind: 'rejected', reason: failureReason(res) };
  const sha256 = sha256Hex(res.body);
  const docState: DocumentSyncState = {
    updated: entry.updated ?? known?.updated ?? null,
    sha256,
    etag: res.etag,
    lastModified: res.lastModified,
  };
  if (known && known.sha256 === sha256) return { kind: 'unchanged', state: docState };

  const verdict = await verifyDocumentBytes(res.body, entry, rules, keys, (url) =>
    fetcher.get({ url, maxBytes: SMALL_FILE_BYTES }).then(toCompanion),
  );
  if (!verdict.ok) return { kind: 'rejected', reason: verdict.reason };
  const document: SyncedDocument = {
    url: entry.url,
    body: res.body,
    sha256,
    updated: entry.updated,
    signature: verdict.signature,
    hash: verdict.hash,
  };
  if (entry.id !== undefined) document.id = entry.id;
  return { kind: 'accepted', document, state: docState };
}

/** A companion file (hash, signature) as seen by the verifier: found, absent, or not retrievable. */
export type Companion =
  | { status: 'ok'; body: Uint8Array }
  | { status: 'absent' }
  | { status: 'error'; reason: string };

function toCompanion(res: FetchResult): Companion {
  if (res.status === 'ok') return { status: 'ok', body: res.body };
  if (res.status === 'not-found') return { status: 'absent' };
  return { status: 'error', reason: failureReason(res) };
}

export type Verdict =
  | { ok: true; hash: HashAlgorithm | 'absent'; signature: SignatureStatus }
  | { ok: false; reason: string };

/**
 * The rules shared by online sync and offline bundles: body is a JSON object with a `document`; the first
 * existing hash file must match; a present signature must verify with a known key (or is 'no-key').
 */
export async function verifyDocumentBytes(
  body: Uint8Array,
  entry: Pick<FeedEntry, 'url' | 'hashUrls' | 'signatureUrl'>,
  rules: { requireSignature: boolean; requireHash: boolean },
  keys: readonly PublicKey[],
  getCompanion: (url: string) => Promise<Companion>,
): Promise<Verdict> {
  const json = parseJsonBytes(body);
  if (!json.ok) return json;
  if (!CsafShapeSchema.safeParse(json.value).success)
    return { ok: false, reason: 'not a CSAF document (no document object)' };

  const fileName = entry.url.split('/').pop() ?? entry.url;
  let hash: HashAlgorithm | 'absent' = 'absent';
  for (const candidate of entry.hashUrls) {
    const file = await getCompanion(candidate.url);
    if (file.status === 'absent') continue;
    if (file.status === 'error') return { ok: false, reason: `hash file ${candidate.url}: ${file.reason}` };
    const check = checkHash(body, candidate.algorithm, new TextDecoder().decode(file.body), fileName);
    if (!check.ok) return { ok: false, reason: `hash: ${check.reason}` };
    hash = candidate.algorithm;
    break;
  }
  if (hash === 'absent' && rules.requireHash) return { ok: false, reason: 'no .sha512/.sha256 hash file' };

  let signature: SignatureStatus = 'absent';
  if (entry.signatureUrl !== null) {
    const file = await getCompanion(entry.signatureUrl);
    if (file.status === 'error') return { ok: false, reason: `signature file: ${file.reason}` };
    if (file.status === 'ok') {
      const check = await verifyDetachedSignature(body, new TextDecoder().decode(file.body), keys);
      if (check.status === 'invalid') return { ok: false, reason: check.reason };
      signature = check.status === 'verified' ? 'verified' : 'no-key';
      if (check.status === 'no-key' && rules.requireSignature) {
        return { ok: false, reason: `signature by unknown key ${check.signingKeyIds.join(', ')}` };
      }
    }
  }
  if (signature === 'absent' && rules.requireSignature)
    return { ok: false, reason: 'signature required but absent' };
  return { ok: true, hash, signature };
}

function getListing(fetcher: Fetcher, state: ProviderSyncState, url: string): Promise<FetchResult> {
  const cached = state.listings[url];
  return fetcher.get({ url, etag: cached?.etag ?? null, lastModified: cached?.lastModified ?? null });
}

function failureReason(res: FetchResult): string {
  switch (res.status) {
    case 'error':
      return res.reason;
    case 'not-found':
      return 'not found (HTTP 404)';
    case 'not-modified':
      return 'unexpected 304 Not Modified';
    case 'ok':
      return 'ok';
  }
}

function resolveUrl(href: string, base: string): string | null {
  try {
    return new URL(href, base).href;
  } catch {
    return null;
  }
}

async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await worker(item);
    }
  });
  await Promise.all(lanes);
}
