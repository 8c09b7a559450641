/**
 * @module Offline CSAF bundles for air-gapped hospitals: a directory or a `.tar`/`.tar.gz` laid out like a
 * provider (optional `provider-metadata.json`; `changes.csv` or `index.txt` per distribution directory; or just
 * `*.json` under year folders), checked with the same hash and signature rules as the online sync. Keys come
 * from the caller (delivered out of band), never from the bundle itself, since a bundle cannot vouch for itself.
 * @see CSAF 2.0 §7.1.13–§7.1.19 https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html#71-requirements
 */
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { PublicKey } from 'openpgp';
import tar from 'tar-stream';
import {
  checkRelativePath,
  dedupeListing,
  type ListingEntry,
  parseChangesCsv,
  parseIndexTxt,
} from './directory.js';
import { conventionalCompanions, type FeedEntry } from './entry.js';
import { DEFAULT_MAX_DOCUMENT_BYTES } from './fetcher.js';
import { type ProviderMetadata, parseProviderMetadata } from './provider-metadata.js';
import { type Companion, type Rejection, type SyncedDocument, verifyDocumentBytes } from './sync.js';
import { errorMessage, loadPublicKeys, sha256Hex } from './verify.js';

export interface BundleKey {
  armored: string;
  /** Expected primary-key fingerprint; when given, other keys in `armored` are ignored. */
  fingerprint?: string;
}

export interface ImportBundleOptions {
  /** A directory, or a .tar / .tar.gz / .tgz file (gzip is detected by its magic bytes). */
  path: string;
  keys?: BundleKey[];
  requireSignature?: boolean;
  /** Default false: hand-made bundles often carry no hash files. */
  requireHash?: boolean;
  filter?: (entry: FeedEntry) => boolean;
  maxFileBytes?: number;
  /** Cap on the sum of kept file sizes (after decompression). Default 2 GiB. */
  maxTotalBytes?: number;
  maxFiles?: number;
}

export interface BundleImportResult {
  /** `url` is the path inside the bundle, e.g. `white/2017/icsma-17-241-01.json`. */
  documents: SyncedDocument[];
  rejected: Rejection[];
  /** The bundle's provider-metadata.json, if it has one (informational; not used for trust). */
  metadata: ProviderMetadata | null;
}

const KEPT_EXTENSIONS = ['.json', '.sha256', '.sha512', '.asc', '.csv', '.txt'];
const MAX_DEPTH = 16;

interface Limits {
  maxFileBytes: number;
  maxTotalBytes: number;
  maxFiles: number;
}

/** Reduces an archive/dir entry name to a clean relative path, or null if it is absolute or climbs out. */
export function normaliseBundlePath(name: string): string | null {
  if (name.includes('\\') || name.includes('\0')) return null;
  if (name.startsWith('/') || /^[a-z]:/i.test(name)) return null;
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0 || segments.some((s) => s === '..')) return null;
  return segments.join('/');
}

export async function importBundle(opts: ImportBundleOptions): Promise<BundleImportResult> {
  const limits: Limits = {
    maxFileBytes: opts.maxFileBytes ?? DEFAULT_MAX_DOCUMENT_BYTES,
    maxTotalBytes: opts.maxTotalBytes ?? 2 * 1024 * 1024 * 1024,
    maxFiles: opts.maxFiles ?? 200_000,
  };
  const rejected: Rejection[] = [];
  const documents: SyncedDocument[] = [];
  let files: Map<string, Uint8Array>;
  try {
    const info = await lstat(opts.path);
    files = info.isDirectory()
      ? await readDirectoryBundle(opts.path, limits, rejected)
      : await readTarBundle(opts.path, limits, rejected);
  } catch (err) {
    rejected.push({ url: opts.path, reason: `unreadable bundle: ${errorMessage(err)}` });
    return { documents, rejected, metadata: null };
  }

  const keys: PublicKey[] = [];
  for (const key of opts.keys ?? []) {
    const loaded = await loadPublicKeys(key.armored, key.fingerprint ?? null);
    keys.push(...loaded.keys);
    for (const problem of loaded.problems) rejected.push({ url: 'key', reason: problem });
  }

  const metadata = findMetadata(files, rejected);
  const entries = bundleEntries(files, rejected);
  const getCompanion = async (path: string): Promise<Companion> => {
    const body = files.get(path);
    return body === undefined ? { status: 'absent' } : { status: 'ok', body };
  };
  for (const entry of entries) {
    if (opts.filter && !opts.filter(entry)) continue;
    const body = files.get(entry.url);
    if (body === undefined) {
      rejected.push({ url: entry.url, reason: 'listed but missing from bundle' });
      continue;
    }
    const verdict = await verifyDocumentBytes(
      body,
      entry,
      { requireSignature: opts.requireSignature ?? false, requireHash: opts.requireHash ?? false },
      keys,
      getCompanion,
    );
    if (!verdict.ok) {
      rejected.push({ url: entry.url, reason: verdict.reason });
      continue;
    }
    documents.push({
      url: entry.url,
      body,
      sha256: sha256Hex(body),
      updated: entry.updated,
      signature: verdict.signature,
      hash: verdict.hash,
    });
  }
  documents.sort((a, b) => a.url.localeCompare(b.url));
  return { documents, rejected, metadata };
}

function findMetadata(files: Map<string, Uint8Array>, rejected: Rejection[]): ProviderMetadata | null {
  const candidates = [...files.keys()]
    .filter((p) => p === 'provider-metadata.json' || p.endsWith('/provider-metadata.json'))
    .sort((a, b) => a.split('/').length - b.split('/').length);
  const first = candidates[0];
  if (first === undefined) return null;
  const parsed = parseProviderMetadata(files.get(first)!);
  if (parsed.ok) return parsed.value;
  rejected.push({ url: first, reason: parsed.reason });
  return null;
}

/**
 * Each directory with a `changes.csv` (preferred, it has times) or `index.txt` is a distribution; with none,
 * every `.json` under a four-digit year folder is taken as a document.
 */
function bundleEntries(files: Map<string, Uint8Array>, rejected: Rejection[]): FeedEntry[] {
  const listingDirs = new Map<string, 'changes.csv' | 'index.txt'>();
  for (const path of files.keys()) {
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash + 1);
    const name = path.slice(slash + 1);
    if (name === 'changes.csv') listingDirs.set(dir, 'changes.csv');
    else if (name === 'index.txt' && !listingDirs.has(dir)) listingDirs.set(dir, 'index.txt');
  }
  const entries: FeedEntry[] = [];
  const seen = new Set<string>();
  const add = (path: string, updated: string | null) => {
    if (seen.has(path)) return;
    seen.add(path);
    entries.push({ url: path, updated, ...conventionalCompanions(path) });
  };
  if (listingDirs.size > 0) {
    for (const [dir, name] of listingDirs) {
      const text = new TextDecoder().decode(files.get(dir + name)!);
      const parsed = name === 'changes.csv' ? parseChangesCsv(text) : parseIndexTxt(text);
      for (const s of parsed.skipped)
        rejected.push({ url: dir + name, reason: `line ${JSON.stringify(s.line)}: ${s.reason}` });
      for (const item of dedupeListing(parsed.entries) as ListingEntry[]) add(dir + item.path, item.updated);
    }
    return entries;
  }
  for (const path of [...files.keys()].sort()) {
    if (!/(^|\/)\d{4}\/[^/]+\.json$/.test(path)) continue;
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (checkRelativePath(name) === null) add(path, null);
  }
  return entries;
}

function kept(path: string): boolean {
  const lower = path.toLowerCase();
  return KEPT_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

class BundleLimitError extends Error {}

async function readDirectoryBundle(
  root: string,
  limits: Limits,
  rejected: Rejection[],
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  let total = 0;
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) {
      rejected.push({ url: rel, reason: 'directory nesting too deep' });
      return;
    }
    const dirents = await readdir(join(root, rel), { withFileTypes: true });
    dirents.sort((a, b) => a.name.localeCompare(b.name));
    for (const d of dirents) {
      const path = rel === '' ? d.name : `${rel}/${d.name}`;
      // Symlinks are skipped: they could point outside the bundle.
      if (d.isSymbolicLink()) {
        rejected.push({ url: path, reason: 'symbolic link skipped' });
      } else if (d.isDirectory()) {
        await walk(path, depth + 1);
      } else if (d.isFile() && kept(path)) {
        const size = (await lstat(join(root, path))).size;
        if (size > limits.maxFileBytes) {
          rejected.push({ url: path, reason: `too large: ${size} bytes > ${limits.maxFileBytes}` });
          continue;
        }
        total += size;
        if (total > limits.maxTotalBytes || files.size >= limits.maxFiles) {
          throw new BundleLimitError('bundle exceeds size or file-count limit');
        }
        files.set(path, new Uint8Array(await readFile(join(root, path))));
      }
    }
  };
  await walk('', 0);
  return files;
}

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

async function readTarBundle(
  path: string,
  limits: Limits,
  rejected: Rejection[],
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const extract = tar.extract();
  const source = createReadStream(path);
  const gz = await isGzip(path);
  const onDone = (err: NodeJS.ErrnoException | null) => {
    if (err) extract.destroy(err);
  };
  if (gz) pipeline(source, createGunzip(), extract, onDone);
  else pipeline(source, extract, onDone);
  let total = 0;
  try {
    for await (const entry of extract) {
      const size = entry.header.size ?? 0;
      const name = entry.header.name;
      const type = entry.header.type ?? 'file';
      const clean = normaliseBundlePath(name);
      if (type !== 'file' && type !== 'contiguous-file') {
        // Links and devices are never followed; directories need no action.
        if (type !== 'directory') rejected.push({ url: name, reason: `tar entry type ${type} skipped` });
        entry.resume();
        continue;
      }
      if (clean === null) {
        rejected.push({ url: name, reason: 'path traversal or absolute path in archive' });
        entry.resume();
        continue;
      }
      if (!kept(clean)) {
        entry.resume();
        continue;
      }
      if (size > limits.maxFileBytes) {
        rejected.push({ url: clean, reason: `too large: ${size} bytes > ${limits.maxFileBytes}` });
        entry.resume();
        continue;
      }
      total += size;
      if (total > limits.maxTotalBytes || files.size >= limits.maxFiles) {
        throw new BundleLimitError('bundle exceeds size or file-count limit');
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
      files.set(clean, new Uint8Array(Buffer.concat(chunks)));
    }
  } finally {
    source.destroy();
  }
  return files;
}
