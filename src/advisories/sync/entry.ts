/**
 * @module The distribution-neutral unit a sync works on: one CSAF document URL with its change time and where
 * its hash and signature files are.
 * @see CSAF 2.0 §7.1.13–§7.1.19 https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html#71-requirements
 */
import type { HashAlgorithm } from './verify.js';

export interface FeedEntry {
  /** Absolute document URL (or bundle-relative path for offline bundles). */
  url: string;
  /** Last change (ISO 8601) from changes.csv or ROLIE `updated`; null when the listing has none. */
  updated: string | null;
  /** Hash files to try in order; the first that exists is checked. */
  hashUrls: { algorithm: HashAlgorithm; url: string }[];
  signatureUrl: string | null;
  /** ROLIE entry id (usually the tracking id), when known. */
  id?: string;
  /** TLP label of the ROLIE feed it came from. */
  tlpLabel?: string;
}

/** The conventional companion file names (§7.1.18/§7.1.19): `<doc>.sha512`, `<doc>.sha256`, `<doc>.asc`. */
export function conventionalCompanions(docUrl: string): Pick<FeedEntry, 'hashUrls' | 'signatureUrl'> {
  return {
    hashUrls: [
      { algorithm: 'sha512', url: `${docUrl}.sha512` },
      { algorithm: 'sha256', url: `${docUrl}.sha256` },
    ],
    signatureUrl: `${docUrl}.asc`,
  };
}

export function algorithmFromUrl(url: string): HashAlgorithm | null {
  const lower = url.toLowerCase();
  if (lower.endsWith('.sha512')) return 'sha512';
  if (lower.endsWith('.sha256')) return 'sha256';
  return null;
}

/** Compares ISO timestamps by instant, so `…Z` and `….000000Z` spellings of one time are equal. */
export function isNewer(candidate: string | null, known: string | null | undefined): boolean {
  if (candidate === null || known === null || known === undefined) return true;
  const a = Date.parse(candidate);
  const b = Date.parse(known);
  if (Number.isNaN(a) || Number.isNaN(b)) return candidate !== known;
  return a > b;
}
