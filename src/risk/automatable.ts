/**
 * @module Automatable (SSVC: yes | no). CISA's own SSVC assessment (a CSAF note, or the CISA ADP
 * container of the CVE record) wins when present
 * (an analyst read the flaw); otherwise the CVSS vector decides: reachable over the network, low
 * complexity, no privileges and no user interaction (v4.0: also no attack requirements) → yes.
 */
import type { SsvcDecision } from '../formats/csaf/csaf-advisory.js';
import { parseCvssVector } from './cvss/index.js';
import { type Evidence, evidence } from './evidence.js';

export type Automatable = 'yes' | 'no';

/** Where an SSVC assessment came from, for the explanation. */
function ssvcOrigin(ssvc: SsvcDecision): { source: 'csaf-ssvc' | 'cisa-adp'; says: string } {
  return ssvc.origin === 'cve5-adp'
    ? { source: 'cisa-adp', says: `the CVE record's ${ssvc.raw}` }
    : { source: 'csaf-ssvc', says: `CISA's SSVC note says ${ssvc.raw}` };
}

export function automatableEvidence(input: {
  vector: string | null;
  ssvc: SsvcDecision | null;
}): Evidence<Automatable> {
  if (input.ssvc && input.ssvc.automatable !== null) {
    const o = ssvcOrigin(input.ssvc);
    return evidence('automatable', input.ssvc.automatable ? 'yes' : 'no', o.source, o.says);
  }
  if (input.vector) {
    const p = parseCvssVector(input.vector);
    if (p.ok) {
      const m = p.metrics;
      const auth = p.version === '2.0' ? m['Au'] === 'N' : m['PR'] === 'N';
      const ui = p.version === '2.0' ? true : m['UI'] === 'N';
      const at = p.version === '4.0' ? m['AT'] === 'N' : true;
      const yes = m['AV'] === 'N' && m['AC'] === 'L' && auth && ui && at;
      return evidence(
        'automatable',
        yes ? 'yes' : 'no',
        'cvss',
        yes
          ? 'the CVSS vector says network-reachable, low complexity, no privileges, no user interaction'
          : `the CVSS vector (${p.vector}) needs adjacency, privileges, interaction or high complexity`,
      );
    }
  }
  return evidence('automatable', 'no', 'default', 'no CVSS vector and no SSVC note: assumed not automatable');
}

/** Technical Impact (CISA tree: partial | total): the SSVC note, else total when C, I and A are all high. */
export function technicalImpactEvidence(input: {
  vector: string | null;
  ssvc: SsvcDecision | null;
}): Evidence<'partial' | 'total'> {
  if (input.ssvc?.technicalImpact) {
    const o = ssvcOrigin(input.ssvc);
    return evidence('technicalImpact', input.ssvc.technicalImpact, o.source, o.says);
  }
  const p = input.vector ? parseCvssVector(input.vector) : null;
  if (p?.ok) {
    const m = p.metrics;
    const total =
      p.version === '2.0'
        ? m['C'] === 'C' && m['I'] === 'C' && m['A'] === 'C'
        : p.version === '4.0'
          ? m['VC'] === 'H' && m['VI'] === 'H' && m['VA'] === 'H'
          : m['C'] === 'H' && m['I'] === 'H' && m['A'] === 'H';
    return evidence(
      'technicalImpact',
      total ? 'total' : 'partial',
      'cvss',
      total ? 'the CVSS vector has high C, I and A impact' : 'the CVSS vector has less than total impact',
    );
  }
  return evidence('technicalImpact', 'partial', 'default', 'no CVSS vector and no SSVC note');
}
