/**
 * @module Rule `csaf-product`: does a product of a CSAF advisory's product tree describe these devices?
 * Vendor first (through the alias and acquisition table), then the model (tolerant of case and
 * punctuation, exclusions honoured, fuzzy matches marked), then the version range as written.
 * @see CSAF 2.0 §3.1.2 branches, §3.1.3 full_product_name, §3.2.3.9 product_status
 */
import { parseVersionRange } from '../../advisories/version-range.js';
import type { MatchEvidence, MatchSubject, SourceStatus } from '../match-types.js';
import { modelKey, type NameMatch, productExclusions } from '../names/names.js';
import { judgeVersion, modelNames, type VersionJudgement } from './device-version.js';
import { compareModelCached } from './model-match.js';

export interface CsafProductFacts {
  advisoryId: string;
  documentDate: string;
  productId: string;
  name: string;
  vendor: string | null;
  vendorKey: string | null;
  productName: string | null;
  version: string | null;
  versionRange: string | null;
  modelNumbers: string[];
  statuses: {
    vulnKey: string;
    cve: string | null;
    status: SourceStatus;
    remediations: { category: string; details: string; url: string | null }[];
  }[];
}

const ALL_MODELS = /^all\s+(?:models?|products?|devices?|versions?)\b/i;

function bestName(subject: MatchSubject, productName: string): NameMatch {
  let best: NameMatch = { kind: 'none', confidence: 0, reason: '' };
  for (const c of modelNames(subject)) {
    const m = compareModelCached(c, productName);
    if (m.confidence > best.confidence) best = m;
  }
  return best;
}

export interface ProductJudgement {
  name: NameMatch | { kind: 'all-models'; confidence: number; reason: string };
  version: VersionJudgement;
}

/** What depends only on the model (not the version): whether and how the product names it. */
export interface CsafNameStage {
  name: ProductJudgement['name'];
  /** The version text left to judge; null when the version slot held a model number. */
  rangeText: string | null;
}

/**
 * Stage 1, per model: null when the product does not describe the subject's model (other vendor, other
 * model, excluded). Subjects of one model share the answer, so the matcher asks once per model.
 */
export function csafNameStage(p: CsafProductFacts, s: MatchSubject): CsafNameStage | null {
  if (!s.manufacturer || p.vendorKey !== s.manufacturer.key) return null;
  const written = p.productName ?? p.name;
  const { base, excluded } = productExclusions(written);
  for (const x of excluded) {
    const m = bestName(s, x);
    if (m.kind === 'exact' || m.kind === 'normalized' || m.kind === 'token') return null;
  }
  let rangeText = p.versionRange ?? p.version;
  let name: ProductJudgement['name'];
  // Manufacturers sometimes put model numbers in the version slot (`MMT-1740 | MMT-1741`).
  const range = rangeText ? parseVersionRange(rangeText) : null;
  if (range?.kind === 'unparsed' && range.reason === 'looks like model numbers') {
    const models = rangeText!.split(/\s*[|,]\s*/).filter(Boolean);
    const hit = models.find((m) => [s.model, s.modelNumber].some((x) => x && modelKey(x) === modelKey(m)));
    if (!hit) return null;
    name = {
      kind: 'normalized',
      confidence: 1,
      reason: `model ${JSON.stringify(hit)} listed in the advisory`,
    };
    rangeText = null;
  } else if (
    rangeText &&
    [s.modelNumber, s.model].some((x) => x && modelKey(x) === modelKey(rangeText as string)) &&
    bestName(s, base).kind !== 'none'
  ) {
    // The version slot holds the device's model number (`Micro Clinician` / `A51200`): an identity, not a version.
    name = {
      kind: 'normalized',
      confidence: 1,
      reason: `product ${JSON.stringify(base)} with model number ${JSON.stringify(rangeText)} (given as the version) = the device's model number`,
    };
    rangeText = null;
  } else if (
    p.modelNumbers.some((m) => [s.model, s.modelNumber].some((x) => x && modelKey(x) === modelKey(m)))
  ) {
    name = { kind: 'exact', confidence: 1, reason: 'model number listed in product_identification_helper' };
  } else if (ALL_MODELS.test(base.trim())) {
    name = {
      kind: 'all-models',
      confidence: 0.5,
      reason: `advisory names ${JSON.stringify(base.trim())} of the vendor, not a model`,
    };
  } else {
    const m = bestName(s, base);
    if (m.kind === 'none') return null;
    name = m;
  }
  return { name, rangeText };
}

/** Null when the product does not describe the subject (other model, excluded, version outside). */
export function judgeCsafProduct(
  p: CsafProductFacts,
  s: MatchSubject,
  stage: CsafNameStage | null = csafNameStage(p, s),
): ProductJudgement | null {
  if (!stage) return null;
  const version = judgeVersion(stage.rangeText, s);
  if (version.verdict === 'out') return null;
  return { name: stage.name, version };
}

/** One piece of evidence per vulnerability the advisory states for this product. */
export function csafEvidence(
  p: CsafProductFacts,
  s: MatchSubject,
  stage: CsafNameStage | null = csafNameStage(p, s),
): MatchEvidence[] {
  const j = judgeCsafProduct(p, s, stage);
  if (!j) return [];
  const nameCertain = j.name.confidence >= 1;
  const versionCertain = j.version.verdict === 'in' || j.version.verdict === 'no-constraint';
  const confidence = Math.round(j.name.confidence * (versionCertain ? 1 : 0.6) * 100) / 100;
  const vendorText = [
    `manufacturer ${s.manufacturerName ?? s.manufacturer?.name} = vendor ${p.vendor?.trim()}`,
    ...(s.manufacturer && s.manufacturer.via.length > 1 ? [`(${s.manufacturer.via.join(' → ')})`] : []),
  ].join(' ');
  const explanation = `${vendorText}; ${j.name.reason}; ${j.version.text}`;
  return p.statuses.map((st) => ({
    rule: 'csaf-product',
    source: 'csaf' as const,
    vulnKey: st.vulnKey,
    cve: st.cve,
    advisoryId: p.advisoryId,
    documentDate: p.documentDate,
    status: st.status,
    certain: nameCertain && versionCertain,
    confidence,
    nameRule: j.name.kind,
    versionVerdict:
      j.version.verdict === 'no-constraint' ? 'no-constraint' : j.version.verdict === 'in' ? 'in' : 'unknown',
    explanation,
    fixAvailable: st.remediations.some((r) => r.category === 'vendor_fix'),
    product: p.name,
    remediations: st.remediations,
  }));
}
