/**
 * @module ROLIE feed (JSON) → sync entries.
 * @see CSAF 2.0 §7.1.16 https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html#7116-requirement-16-rolie-feed
 */
import { z } from 'zod';
import { algorithmFromUrl, conventionalCompanions, type FeedEntry } from './entry.js';
import { isHttpUrl } from './fetcher.js';
import type { Parsed } from './provider-metadata.js';

const LinkSchema = z.looseObject({
  href: z.string(),
  rel: z.string().optional(),
  // CISA's feeds spell the relation `ref` for hash and signature links (a typo for `rel`); accept both.
  ref: z.string().optional(),
});

const EntrySchema = z.looseObject({
  id: z.string(),
  updated: z.string().optional(),
  published: z.string().optional(),
  title: z.string().optional(),
  content: z.looseObject({ src: z.string(), type: z.string().optional() }),
  link: z.array(LinkSchema).optional(),
  format: z.looseObject({ schema: z.string().optional(), version: z.string().optional() }).optional(),
});

export const RolieFeedSchema = z.looseObject({
  feed: z.looseObject({
    id: z.string().optional(),
    title: z.string().optional(),
    updated: z.string().optional(),
    // An empty feed may omit `entry`.
    entry: z.array(z.unknown()).optional(),
  }),
});

export interface RolieParseResult {
  entries: FeedEntry[];
  /** Entries that were skipped, with why (bad shape, non-http URL). */
  skipped: { id: string | null; reason: string }[];
}

/** Parses a ROLIE feed; relative URLs resolve against `feedUrl`. Bad entries are skipped, not fatal. */
export function parseRolieFeed(json: unknown, feedUrl: string, tlpLabel?: string): Parsed<RolieParseResult> {
  const feed = RolieFeedSchema.safeParse(json);
  if (!feed.success) return { ok: false, reason: 'not a ROLIE feed (no feed object)' };
  const entries: FeedEntry[] = [];
  const skipped: RolieParseResult['skipped'] = [];
  for (const raw of feed.data.feed.entry ?? []) {
    const parsed = EntrySchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof raw === 'object' && raw !== null && 'id' in raw ? String(raw.id) : null;
      skipped.push({ id, reason: 'malformed entry' });
      continue;
    }
    const e = parsed.data;
    const url = resolve(e.content.src, feedUrl);
    if (url === null || !isHttpUrl(url)) {
      skipped.push({ id: e.id, reason: 'bad content.src (not a relative or http(s) URL)' });
      continue;
    }
    const fallback = conventionalCompanions(url);
    const hashUrls: FeedEntry['hashUrls'] = [];
    let signatureUrl: string | null = null;
    for (const link of e.link ?? []) {
      const relation = link.rel ?? link.ref;
      const href = resolve(link.href, feedUrl);
      if (href === null) continue;
      if (relation === 'hash') {
        const algorithm = algorithmFromUrl(href);
        if (algorithm) hashUrls.push({ algorithm, url: href });
      } else if (relation === 'signature') {
        signatureUrl = href;
      }
    }
    // Prefer the stronger hash when both are linked; fall back to the §7.1.18 names when none is linked.
    hashUrls.sort((a, b) => (a.algorithm === b.algorithm ? 0 : a.algorithm === 'sha512' ? -1 : 1));
    const entry: FeedEntry = {
      url,
      updated: e.updated ?? e.published ?? null,
      hashUrls: hashUrls.length > 0 ? hashUrls : fallback.hashUrls,
      signatureUrl: signatureUrl ?? fallback.signatureUrl,
      id: e.id,
    };
    if (tlpLabel !== undefined) entry.tlpLabel = tlpLabel;
    entries.push(entry);
  }
  return { ok: true, value: { entries, skipped } };
}

function resolve(href: string, base: string): string | null {
  try {
    return new URL(href, base).href;
  } catch {
    return null;
  }
}
