/**
 * @module The shape of the control catalogue: frameworks, their controls, and the evidence kinds a
 * control is judged on. The catalogue is data (one file per framework); `evaluate.ts` judges it.
 */

/** What Vigil can show an auditor; one collector per kind in `compliance/evidence/`. */
export const EVIDENCE_KINDS = [
  'asset-inventory',
  'inventory-review',
  'network-map-review',
  'vulnerability-scanning',
  'penetration-testing',
  'network-monitoring',
  'incident-handling',
  'log-collection',
  'segmentation',
  'unnecessary-services',
  'encryption-in-transit',
  'password-measures',
  'regular-updates',
  'risk-analysis',
  'audit-controls',
  'access-control',
  'security-officer',
  'training',
  'manufacturer-relations',
  'device-disposal',
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export const FRAMEWORK_IDS = ['fda', 'hipaa', 'hhs-nprm', 'hph-cpg', 'nist-csf'] as const;
export type FrameworkId = (typeof FRAMEWORK_IDS)[number];

export interface Control {
  /** Stable id, unique across the catalogue: `hipaa-164.308-a-2`, `csf-PR.AT` … */
  id: string;
  /** The framework's own reference, as an auditor cites it: `§164.308(a)(2)`, `PR.AT`, `1.01` … */
  ref: string;
  title: string;
  /** What the control asks, in a sentence (our words, not the framework's text). */
  requirement: string;
  /** Evidence the control is judged on; an empty list means Vigil holds none for it. */
  evidence: readonly EvidenceKind[];
  /** Grouping inside the framework: `administrative`, `essential`, `PR` … */
  group?: string;
  /**
   * What the requirement asks that Vigil's evidence cannot show, for the auditor to look for elsewhere
   * (Vigil sees the medical devices it inventories, the traffic it observes and itself, not the
   * hospital's other systems or its written procedures). A control with it is never `met`: evidence
   * that all holds makes it `partial`, and its reason names what is outside.
   */
  outside?: string;
}

export interface Framework {
  id: FrameworkId;
  title: string;
  /** Where the controls come from (cited in docs/compliance.md). */
  source: string;
  controls: readonly Control[];
}
