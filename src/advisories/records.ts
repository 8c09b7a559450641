/**
 * @module The source-neutral shapes that every feed reader produces and the importer stores: a
 * vulnerability record (from NVD, a CVE 5 record or OSV), a KEV entry, an EPSS score, an SBOM and a VEX
 * statement. Readers in `src/formats/*` turn their format into these; nothing here knows a format.
 */
import type { SsvcDecision } from '../formats/csaf/csaf-advisory.js';
import type { NvdConfiguration } from './cpe-applicability.js';

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

export interface CvssMetric {
  version: CvssVersion;
  vectorString: string;
  baseScore: number;
  baseSeverity: string | null;
  /** Who scored it: `nvd@nist.gov`, the CNA, `CISA-ADP` … (null when the format does not say). */
  source: string | null;
  /** NVD's Primary/Secondary; null elsewhere. */
  type: 'Primary' | 'Secondary' | null;
}

/**
 * One entry of a CVE 5 CNA/ADP `affected[]` list, or an OSV `affected[]` entry turned into the same
 * shape. Versions keep the record's own semantics (CVE 5 `versions[]`), so the matcher decides.
 * @see CVE JSON 5.1 schema, `affected` and `versions`
 */
export interface AffectedEntry {
  vendor: string | null;
  product: string | null;
  /** purl of the package when the record gives one (`packageName` + `collectionURL`, or OSV `package.purl`). */
  purl: string | null;
  /** OSV `package.ecosystem` / CVE 5 `collectionURL`; null when absent. */
  ecosystem: string | null;
  cpes: string[];
  /** CVE 5 `defaultStatus`; `unknown` when the record omits it (the schema's own default). */
  defaultStatus: 'affected' | 'unaffected' | 'unknown';
  versions: AffectedVersion[];
  /** Platforms or modules as written; informational. */
  platforms: string[];
}

/** @see CVE JSON 5.1 `versions[]`: a single version, or a range from `version` up to `lessThan(OrEqual)`. */
export interface AffectedVersion {
  version: string;
  status: 'affected' | 'unaffected' | 'unknown';
  lessThan: string | null;
  lessThanOrEqual: string | null;
  /** `semver`, `custom`, `git`, `ECOSYSTEM` …; git ranges cannot be compared and stay unknown. */
  versionType: string | null;
  /** `changes[]` inside a range (e.g. fixed at 1.2.3 within a 1.x range). */
  changes: { at: string; status: 'affected' | 'unaffected' | 'unknown' }[];
}

export interface VulnerabilityRecord {
  /** CVE id upper-case (`CVE-2017-12712`), or the OSV id when the record has no CVE alias. */
  id: string;
  /** Other ids for the same vulnerability (OSV aliases, GHSA ids). */
  aliases: string[];
  source: 'nvd' | 'cve5' | 'osv';
  title: string | null;
  description: string | null;
  published: string | null;
  modified: string | null;
  /** NVD `vulnStatus` (`Analyzed`, `Awaiting Analysis`, `Rejected` …) or CVE 5 `state`. */
  status: string | null;
  cvss: CvssMetric[];
  /** `CWE-787` style ids. */
  cwes: string[];
  /** NVD CPE applicability; empty when the record has none (then applicability is unknown, not "none"). */
  configurations: NvdConfiguration[];
  affected: AffectedEntry[];
  references: string[];
  /** References the source tags as exploits (NVD tag `Exploit`, CVE 5 tag `exploit`): public exploit code. */
  exploitReferences?: string[];
  /** CISA's SSVC decision points from the CVE 5 ADP container ("CISA ADP Vulnrichment"), when present. */
  ssvc?: SsvcDecision | null;
  /** Where in the input this record came from (`$.vulnerabilities[12].cve`, `line 4`), for messages. */
  path: string;
}

/** @see https://www.cisa.gov/known-exploited-vulnerabilities-catalog (schema in shared data 02-kev) */
export interface KevEntry {
  cve: string;
  vendor: string;
  product: string;
  name: string;
  dateAdded: string;
  dueDate: string | null;
  shortDescription: string;
  requiredAction: string;
  knownRansomwareCampaignUse: 'Known' | 'Unknown' | string;
  notes: string;
  cwes: string[];
}

export interface KevCatalog {
  title: string;
  catalogVersion: string;
  dateReleased: string;
  entries: KevEntry[];
}

/** @see https://www.first.org/epss/data_stats — CSV with a `#model_version:…,score_date:…` first line. */
export interface EpssScore {
  cve: string;
  /** Probability of exploitation activity in the next 30 days, 0–1. */
  epss: number;
  percentile: number;
}

export interface EpssSnapshot {
  modelVersion: string | null;
  scoreDate: string | null;
  scores: EpssScore[];
}

export interface SbomComponent {
  /** bom-ref / SPDXID, unique within the SBOM. */
  ref: string;
  type: string | null;
  name: string;
  version: string | null;
  supplier: string | null;
  purl: string | null;
  cpes: string[];
  /** Refs of the components this one depends on (for display). */
  dependsOn: string[];
}

export interface Sbom {
  format: 'cyclonedx' | 'spdx';
  specVersion: string;
  serialNumber: string | null;
  /** The described product (CycloneDX `metadata.component`, SPDX DESCRIBES). */
  subject: { name: string | null; version: string | null; supplier: string | null } | null;
  created: string | null;
  components: SbomComponent[];
}

export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';

/** One product a VEX statement is about; any mix of identifiers the document gives. */
export interface VexProduct {
  name: string | null;
  version: string | null;
  purl: string | null;
  cpe: string | null;
  /** Identifier inside the VEX document (CSAF product_id, OpenVEX @id, CycloneDX bom-ref). */
  ref: string | null;
}

/**
 * @see OpenVEX 0.2.0 statement; CSAF 2.0 profile 5 (csaf_vex); CycloneDX 1.5 `vulnerabilities[].analysis`.
 * Justifications keep the source's vocabulary (`component_not_present`, `code_not_reachable` …).
 */
export interface VexStatement {
  vulnerability: string;
  aliases: string[];
  products: VexProduct[];
  status: VexStatus;
  justification: string | null;
  impactStatement: string | null;
  actionStatement: string | null;
  timestamp: string | null;
  /** JSON path of the statement in its document. */
  path: string;
}

export interface VexDocument {
  format: 'openvex' | 'csaf' | 'cyclonedx';
  id: string | null;
  author: string | null;
  timestamp: string | null;
  version: string | null;
  statements: VexStatement[];
}

/** A problem in an input file with the place it occurs: a JSON path, a line or a byte offset. */
export interface InputIssue {
  file: string;
  /** `$.vulnerabilities[3].cve.id`, `line 12`, or `offset 4096`. */
  where: string;
  message: string;
  /**
   * The reader left out the part this names (a VEX statement, vulnerability or product): the document
   * says more than was read, so it must not replace what an earlier revision said.
   */
  dropped?: true;
}
