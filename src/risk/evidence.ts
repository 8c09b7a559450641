/**
 * @module The evidence behind a priority: one value per SSVC decision point (or CVSS environmental
 * input), with a one-line reason naming its source, so every queue item explains itself.
 */

/** Where a value came from, shown in the explanation. */
export type EvidenceSource =
  | 'kev'
  | 'epss'
  | 'csaf-ssvc'
  | 'cisa-adp'
  | 'references'
  | 'cvss'
  | 'inventory'
  | 'network'
  | 'override'
  | 'rubric'
  | 'policy'
  | 'finding'
  /** A risk acceptance in force covers the item (tasks/acceptance-service.ts). */
  | 'acceptance'
  | 'default';

export interface Evidence<T extends string = string> {
  /** Decision point or input, e.g. `exploitation`, `exposure`, `automatable`, `safetyImpact`. */
  point: string;
  value: T;
  /** One line: "because … (source)". */
  because: string;
  source: EvidenceSource;
}

export function evidence<T extends string>(
  point: string,
  value: T,
  source: EvidenceSource,
  because: string,
): Evidence<T> {
  return { point, value, source, because: `${because} (${source})` };
}
