/**
 * @module Turns the evidence for one (device, vulnerability) into one match: which status, how sure,
 * which rules, one line of explanation. Precedence: a decided statement from the manufacturer's or
 * CISA's CSAF advisory over the CNA's CVE record over NVD's CPE data over package data; within one
 * source, "affected" over the others (the conservative reading). Evidence that is not decided
 * (fuzzy name, range not understood, version not recorded) makes a `needs-review` candidate, never a
 * silent "not affected". People's decisions and VEX statements come last and are shown, not hidden.
 */
import type { MatchEvidence, MatchStatus, SourceStatus } from './match-types.js';

const SOURCE_RANK: Record<MatchEvidence['source'], number> = { csaf: 4, cve5: 3, nvd: 2, osv: 1 };
const STATUS_RANK: Record<SourceStatus, number> = {
  affected: 4,
  'under-investigation': 3,
  fixed: 2,
  'not-affected': 1,
};

export interface CombinedMatch {
  vulnKey: string;
  cve: string | null;
  advisoryIds: string[];
  status: MatchStatus;
  confidence: number;
  candidate: boolean;
  matchedBy: string[];
  explanation: string;
  fixAvailable: boolean;
  evidence: MatchEvidence[];
  decision: { decision: 'confirmed' | 'rejected'; by: string; at: string; reason: string } | null;
  vex: VexApplied | null;
}

export interface VexApplied {
  status: SourceStatus;
  justification: string | null;
  impactStatement: string | null;
  origin: string;
  author: string | null;
  statementId: string;
  product: string;
}

function ruleNames(e: MatchEvidence): string[] {
  const names = [e.rule];
  if (e.nameRule === 'fuzzy' || e.nameRule === 'token' || e.nameRule === 'all-models')
    names.push(`model-${e.nameRule}`);
  if (e.versionVerdict === 'unknown') names.push('version-undecided');
  return names;
}

const better = (a: MatchEvidence, b: MatchEvidence) =>
  SOURCE_RANK[a.source] - SOURCE_RANK[b.source] ||
  STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
  a.confidence - b.confidence;

/** Null when the evidence makes no claim worth showing (only undecided "not affected"/"fixed"). */
export function combineEvidence(evidence: readonly MatchEvidence[]): CombinedMatch | null {
  if (evidence.length === 0) return null;
  const first = evidence[0]!;
  const certain = evidence.filter((e) => e.certain);
  const advisoryIds = [...new Set(evidence.map((e) => e.advisoryId).filter((x): x is string => !!x))].sort();
  const cve = evidence.find((e) => e.cve)?.cve ?? null;
  let chosen: MatchEvidence;
  let status: MatchStatus;
  let candidate = false;
  if (certain.length) {
    chosen = certain.reduce((a, b) => (better(b, a) > 0 ? b : a));
    status = chosen.status;
  } else {
    const worrying = evidence.filter((e) => e.status === 'affected' || e.status === 'under-investigation');
    if (worrying.length === 0) return null;
    chosen = worrying.reduce((a, b) =>
      b.confidence > a.confidence || (b.confidence === a.confidence && better(b, a) > 0) ? b : a,
    );
    status = 'needs-review';
    candidate = true;
  }
  const date = chosen.documentDate ? `, ${chosen.documentDate.slice(0, 10)}` : '';
  const cite =
    chosen.advisoryId ?? (chosen.source === 'nvd' ? 'NVD' : chosen.source === 'cve5' ? 'CVE record' : 'OSV');
  return {
    vulnKey: first.vulnKey,
    cve,
    advisoryIds,
    status,
    confidence: chosen.confidence,
    candidate,
    matchedBy: [
      ...new Set(evidence.filter((e) => e === chosen || e.certain === chosen.certain).flatMap(ruleNames)),
    ],
    explanation: `${chosen.explanation} (${cite}${date})`,
    fixAvailable: evidence.some((e) => e.fixAvailable),
    evidence: [...evidence],
    decision: null,
    vex: null,
  };
}

/** A person's decision on a candidate, remembered for the model and version. */
export function applyDecision(
  m: CombinedMatch,
  d: { decision: string; decided_by: string; decided_at: string; reason: string } | undefined,
): CombinedMatch {
  if (!d || !m.candidate) return m;
  const decision = d.decision === 'confirmed' ? 'confirmed' : 'rejected';
  return {
    ...m,
    status: decision === 'confirmed' ? 'affected' : 'not-affected',
    confidence: 1,
    candidate: false,
    matchedBy: [...m.matchedBy, decision === 'confirmed' ? 'person-confirmed' : 'person-rejected'],
    explanation: `${m.explanation}; ${decision} by ${d.decided_by} on ${d.decided_at.slice(0, 10)}${d.reason ? `: ${d.reason}` : ''}`,
    decision: { decision, by: d.decided_by, at: d.decided_at, reason: d.reason },
  };
}

/** A VEX statement overrides the status and says so; the match stays listed. */
export function applyVex(m: CombinedMatch, vex: VexApplied | undefined): CombinedMatch {
  if (!vex) return m;
  const why = vex.justification ? ` (${vex.justification})` : '';
  return {
    ...m,
    status: vex.status,
    candidate: vex.status === 'affected' ? m.candidate : false,
    matchedBy: [...m.matchedBy, vex.origin === 'hospital' ? 'vex-hospital' : 'vex'],
    explanation: `${m.explanation}; VEX: ${vex.status}${why}${vex.author ? ` by ${vex.author}` : ''}`,
    vex,
  };
}
