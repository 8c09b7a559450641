/**
 * @module The matcher's vocabulary: the subject a rule looks at (devices of one manufacturer, model
 * and version), the evidence a rule produces, and the statuses of the `vigil vulns` contract.
 */
import type { ManufacturerIdentity, NameMatchKind } from './names/names.js';

/** Statuses of the `vigil vulns list --json` contract (docs/vulnerabilities.md). */
export const MATCH_STATUSES = [
  'affected',
  'needs-review',
  'not-affected',
  'fixed',
  'under-investigation',
] as const;
export type MatchStatus = (typeof MATCH_STATUSES)[number];

/** What a source says about a product, in the contract's words. */
export type SourceStatus = 'affected' | 'not-affected' | 'fixed' | 'under-investigation';

/**
 * Devices that look the same to every rule: same manufacturer, model and versions. A fleet of 100,000
 * devices has a few thousand of these, so rules run per subject and results fan out to devices.
 */
export interface MatchSubject {
  key: string;
  manufacturer: ManufacturerIdentity | null;
  /** As the hospital recorded it. */
  manufacturerName: string | null;
  model: string | null;
  modelNumber: string | null;
  firmwareVersion: string | null;
  softwareVersion: string | null;
  deviceIds: string[];
  modelIds: string[];
}

export type VersionVerdict = 'in' | 'unknown' | 'no-constraint';

/** One rule's finding that a vulnerability concerns a subject. */
export interface MatchEvidence {
  /** Rule family: `csaf-product`, `nvd-cpe`, `service-cpe`, `cna-affected`, `sbom-package`, `sbom-cpe`. */
  rule: string;
  /** Authority of the source, for precedence: the manufacturer's or CISA's CSAF first. */
  source: 'csaf' | 'cve5' | 'nvd' | 'osv';
  vulnKey: string;
  cve: string | null;
  /** CSAF tracking id, upper case. */
  advisoryId: string | null;
  /** The document's current release date or the record's modification date. */
  documentDate: string | null;
  status: SourceStatus;
  /** Name and version both decided (exact or normalised name, version in range or unconstrained). */
  certain: boolean;
  confidence: number;
  nameRule: NameMatchKind | 'all-models' | 'cpe' | 'purl';
  versionVerdict: VersionVerdict;
  explanation: string;
  fixAvailable: boolean;
  /** The advisory's product or criterion the rule matched, for display and decisions. */
  product: string;
  /** Remediations as the source gave them (category, details, url). */
  remediations: { category: string; details: string; url: string | null }[];
  /** Device ids this evidence holds for, when narrower than the subject (service CPEs, SBOMs). */
  deviceIds?: string[];
  /** The SBOM component's package URL, when an SBOM component matched (by purl or CPE): VEX on it applies. */
  purl?: string;
}
