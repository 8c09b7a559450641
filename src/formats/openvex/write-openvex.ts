/**
 * @module `VexStatement`s → an OpenVEX 0.2.0 document (a plain object; the caller serialises it).
 * Justifications from other vocabularies (CycloneDX) are translated to OpenVEX's five labels where the
 * meaning matches; otherwise the original label goes into the impact statement rather than being lost.
 * @see https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md
 */
import type { VexProduct, VexStatement } from '../../advisories/records.js';

export const OPENVEX_CONTEXT = 'https://openvex.dev/ns/v0.2.0';

export const OPENVEX_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;

/** @see CycloneDX 1.6 impactAnalysisJustification; CISA "Minimum Requirements for VEX" mapping table. */
const FROM_CYCLONEDX: Record<string, (typeof OPENVEX_JUSTIFICATIONS)[number]> = {
  code_not_present: 'vulnerable_code_not_present',
  code_not_reachable: 'vulnerable_code_not_in_execute_path',
  requires_configuration: 'vulnerable_code_cannot_be_controlled_by_adversary',
  requires_dependency: 'component_not_present',
  requires_environment: 'vulnerable_code_cannot_be_controlled_by_adversary',
  protected_by_compiler: 'inline_mitigations_already_exist',
  protected_at_runtime: 'inline_mitigations_already_exist',
  protected_at_perimeter: 'inline_mitigations_already_exist',
  protected_by_mitigating_control: 'inline_mitigations_already_exist',
};

/**
 * The OpenVEX / CSAF flag label for a justification in any vocabulary Vigil reads, or null when none
 * matches (e.g. CycloneDX `false_positive`). CSAF 2.0 flag labels are the same five words as OpenVEX.
 */
export function toVexJustificationLabel(j: string): (typeof OPENVEX_JUSTIFICATIONS)[number] | null {
  if ((OPENVEX_JUSTIFICATIONS as readonly string[]).includes(j))
    return j as (typeof OPENVEX_JUSTIFICATIONS)[number];
  return FROM_CYCLONEDX[j] ?? null;
}

export interface OpenVexWriteInput {
  /** Document IRI (`@id`). */
  id: string;
  author: string;
  /** RFC 3339 date-time. */
  timestamp: string;
  /** Document version, default 1. */
  version?: number;
  role?: string;
  statements: VexStatement[];
}

/** RFC 3987 absolute IRI syntax (scheme ":" rest, no spaces); `@id` must be one. */
const ABSOLUTE_IRI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]+$/u;

/**
 * `@id` is the ref when that is an IRI (so a read → write → read keeps it), else the purl; the purl and
 * CPE also go into `identifiers` when they differ from `@id`. A ref that is not an IRI (a CSAF product_id,
 * `nginx`) cannot be an `@id` and is dropped.
 */
function product(p: VexProduct, where: string): Record<string, unknown> {
  const id = p.ref !== null && ABSOLUTE_IRI.test(p.ref) ? p.ref : (p.purl ?? undefined);
  const identifiers: Record<string, string> = {};
  if (p.purl !== null && p.purl !== id) identifiers.purl = p.purl;
  if (p.cpe !== null && p.cpe !== id) identifiers[p.cpe.startsWith('cpe:2.3:') ? 'cpe23' : 'cpe22'] = p.cpe;
  if (id === undefined && Object.keys(identifiers).length === 0) {
    throw new TypeError(`${where}: a product needs an IRI ref, a purl or a CPE to be written as OpenVEX`);
  }
  const out: Record<string, unknown> = {};
  if (id !== undefined) out['@id'] = id;
  if (Object.keys(identifiers).length > 0) out.identifiers = identifiers;
  return out;
}

/**
 * Builds an OpenVEX 0.2.0 document. Throws `TypeError` for input OpenVEX cannot express (no statements,
 * a product without an IRI ref, purl or CPE, not_affected without justification or impact statement, affected
 * without an action statement), because a half-valid VEX file misleads whoever consumes it.
 */
export function writeOpenVex(doc: OpenVexWriteInput): Record<string, unknown> {
  if (doc.statements.length === 0) throw new TypeError('an OpenVEX document needs at least one statement');
  const statements = doc.statements.map((s, i) => {
    const where = `statements[${i}]`;
    const out: Record<string, unknown> = {
      vulnerability:
        s.aliases.length > 0
          ? { name: s.vulnerability, aliases: [...new Set(s.aliases)] }
          : { name: s.vulnerability },
    };
    if (s.timestamp !== null) out.timestamp = s.timestamp;
    // The schema requires unique items; the same product twice adds nothing.
    const seen = new Set<string>();
    out.products = s.products
      .map((p, j) => product(p, `${where}.products[${j}]`))
      .filter((p) => {
        const k = JSON.stringify(p);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    out.status = s.status;
    let impact = s.impactStatement;
    if (s.justification !== null) {
      const j = toVexJustificationLabel(s.justification);
      if (j !== null && s.status === 'not_affected') out.justification = j;
      else impact = impact ?? `justification: ${s.justification}`;
    }
    if (impact !== null) out.impact_statement = impact;
    if (s.actionStatement !== null) out.action_statement = s.actionStatement;
    if (
      s.status === 'not_affected' &&
      out.justification === undefined &&
      out.impact_statement === undefined
    ) {
      throw new TypeError(`${where}: not_affected needs a justification or an impact statement`);
    }
    if (s.status === 'affected' && out.action_statement === undefined) {
      throw new TypeError(`${where}: affected needs an action statement`);
    }
    return out;
  });
  const out: Record<string, unknown> = {
    '@context': OPENVEX_CONTEXT,
    '@id': doc.id,
    author: doc.author,
  };
  if (doc.role !== undefined) out.role = doc.role;
  out.timestamp = doc.timestamp;
  out.version = doc.version ?? 1;
  out.statements = statements;
  return out;
}
