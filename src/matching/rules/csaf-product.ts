/**
 * @module Rule `csaf-product`: does a product of a CSAF advisory's product tree describe these devices?
 * Vendor first (through the alias and acquisition table), then the model (tolerant of case and
 * punctuation, exclusions honoured, fuzzy matches marked), then the version range as written.
 * @see CSAF 2.0 §3.1.2 branches, §3.1.3 full_product_name, §3.2.3.9 product_status
 */
import { parseVersionRange, versionInRange } from '../../advisories/version-range.js';
import type { MatchEvidence, MatchSubject, SourceStatus } from '../match-types.js';
import {
  modelKey,
  type NameMatch,
  productExclusions,
  resolveManufacturer,
  withoutLeadingBrand,
} from '../names/names.js';
import { judgeVersion, modelNames, type VersionJudgement } from './device-version.js';
import { compareModelCached } from './model-match.js';
import { cpeNameParts, cpeProductName, cpeVendorName } from './nvd-cpe.js';

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
  /** `product_identification_helper`: serial numbers (wildcards `*` and `?`), CPE and purl when given. */
  serialNumbers: string[];
  cpe: string | null;
  purl: string | null;
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
    let m = bestName(s, base);
    // 'BD Pyxis MedStation ES' is the inventory's 'Pyxis MedStation ES': the brand is not part of the model.
    const unbranded =
      m.confidence < 1 ? withoutLeadingBrand(base, s.manufacturer.key, p.vendor, modelNames(s)) : null;
    if (unbranded !== null) {
      const byModel = bestName(s, unbranded.name);
      if (byModel.confidence > m.confidence)
        m = {
          ...byModel,
          reason: `${byModel.reason} (${JSON.stringify(base)} without the brand '${unbranded.brand}')`,
        };
    }
    // The product's CPE (`product_identification_helper.cpe`) is another name for it.
    const cpe = p.cpe ? cpeNameParts(p.cpe) : null;
    if (
      m.kind === 'none' &&
      cpe &&
      resolveManufacturer(cpeVendorName(cpe.vendor)).key === s.manufacturer.key
    ) {
      const byCpe = bestName(s, cpeProductName(cpe.product));
      if (byCpe.kind !== 'none') m = { ...byCpe, reason: `${byCpe.reason} (the product's CPE ${p.cpe})` };
    }
    if (m.kind === 'none') {
      // Serial numbers identify devices on their own (checked per device by the matcher).
      if (p.serialNumbers.length === 0) return null;
      m = { kind: 'exact', confidence: 1, reason: 'serial number listed in product_identification_helper' };
    }
    name = m;
  }
  return { name, rangeText };
}

/** CSAF serial numbers may use `*` (any run) and `?` (one character). @see CSAF 2.0 §3.1.3.3.5 */
export function serialMatches(serial: string | null, patterns: readonly string[]): boolean {
  if (!serial) return false;
  const s = serial.trim().toUpperCase();
  return patterns.some((p) => {
    const re = new RegExp(
      `^${p
        .trim()
        .toUpperCase()
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    return re.test(s);
  });
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

/**
 * Rule `csaf-purl`: a product the advisory names by purl (`product_identification_helper.purl`) is in
 * every device whose SBOM lists that package; the component's version is judged against the product's.
 */
export function csafPurlEvidence(
  p: CsafProductFacts,
  component: { name: string; version: string | null; purl: string },
): MatchEvidence[] {
  if (!p.purl) return [];
  const at = p.purl.split(/[?#]/)[0]?.lastIndexOf('@') ?? -1;
  const purlVersion =
    at > p.purl.lastIndexOf('/') ? decodeURIComponent(p.purl.slice(at + 1).split(/[?#]/)[0] ?? '') : null;
  const rangeText = p.versionRange ?? p.version ?? purlVersion;
  let verdict: 'in' | 'out' | 'unknown' | 'no-constraint' = 'no-constraint';
  let text = 'no version given';
  if (rangeText) {
    const range = parseVersionRange(rangeText);
    verdict = versionInRange(component.version, range);
    text =
      component.version === null
        ? `component version not given; advisory version ${JSON.stringify(rangeText)}`
        : `component version ${component.version} ${verdict === 'in' ? 'in' : verdict === 'out' ? 'outside' : 'cannot be compared with'} ${JSON.stringify(rangeText)}`;
  }
  if (verdict === 'out') return [];
  const certain = verdict === 'in' || verdict === 'no-constraint';
  return p.statuses.map((st) => ({
    rule: 'csaf-purl',
    source: 'csaf' as const,
    vulnKey: st.vulnKey,
    cve: st.cve,
    advisoryId: p.advisoryId,
    documentDate: p.documentDate,
    status: st.status,
    certain,
    confidence: certain ? 1 : 0.6,
    nameRule: 'purl' as const,
    versionVerdict:
      verdict === 'no-constraint'
        ? ('no-constraint' as const)
        : verdict === 'in'
          ? ('in' as const)
          : ('unknown' as const),
    explanation: `SBOM component ${component.purl} is the advisory's product ${JSON.stringify(p.name)} (purl ${p.purl}); ${text}`,
    fixAvailable: st.remediations.some((r) => r.category === 'vendor_fix'),
    product: p.name,
    remediations: st.remediations,
  }));
}
