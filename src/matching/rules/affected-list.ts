/**
 * @module Rules `cna-affected` and `sbom-package`: the `affected[]` list of a CVE 5 record (the CNA's
 * vendor, product and versions) or an OSV record (a package and its ranges). NVD enriches only a
 * minority of new CVEs with CPEs, so for most recent medical-device CVEs this list is all there is.
 * @see CVE JSON 5.1 `affected`, `versions` (version, lessThan, lessThanOrEqual, status)
 * @see OSV schema 1.6 `affected[].ranges`
 */
import type { AffectedEntry, AffectedVersion, VulnerabilityRecord } from '../../advisories/records.js';
import { compareVersions } from '../../advisories/version.js';
import type { MatchEvidence, MatchSubject, SourceStatus } from '../match-types.js';
import { type NameMatch, resolveManufacturer, withoutLeadingBrand } from '../names/names.js';
import { modelNames, recordedVersions } from './device-version.js';
import { compareModelCached } from './model-match.js';

const NO_LOWER_BOUND = new Set(['0', '*', '', 'n/a', 'unspecified', 'all']);

/** `pkg:npm/%40scope/name@1.2?x=y` → `pkg:npm/%40scope/name`: the key OSV and SBOM components meet on. */
export function packageKey(purl: string): string | null {
  if (!purl.startsWith('pkg:')) return null;
  const noQualifiers = purl.split(/[?#]/)[0] ?? purl;
  const at = noQualifiers.lastIndexOf('@');
  const slash = noQualifiers.lastIndexOf('/');
  return (at > slash ? noQualifiers.slice(0, at) : noQualifiers).toLowerCase();
}

export function affectedIndexKeys(record: VulnerabilityRecord): string[] {
  const keys = new Set<string>();
  for (const a of record.affected) {
    if (a.vendor) keys.add(`m:${vendorKeyOf(a.vendor)}`);
    const key = a.purl ? packageKey(a.purl) : null;
    if (key) keys.add(`p:${key}`);
  }
  return [...keys];
}

type Verdict = { status: SourceStatus | 'unknown'; text: string } | null;

const STATUS: Record<AffectedVersion['status'], SourceStatus | 'unknown'> = {
  affected: 'affected',
  unaffected: 'not-affected',
  unknown: 'unknown',
};

/** Where `version` falls among an entry's versions; null when no entry speaks about it. */
export function judgeAffectedVersions(entry: AffectedEntry, version: string | null): Verdict {
  if (entry.versions.length === 0) {
    if (entry.defaultStatus === 'affected')
      return { status: 'affected', text: 'every version (defaultStatus affected)' };
    return null;
  }
  if (version === null) {
    const anyAffected =
      entry.versions.some((v) => v.status === 'affected') || entry.defaultStatus === 'affected';
    return anyAffected ? { status: 'unknown', text: 'version not recorded' } : null;
  }
  let unknown: string | null = null;
  for (const v of entry.versions) {
    if (v.versionType === 'git') continue;
    const upper = v.lessThan ?? v.lessThanOrEqual;
    if (upper !== null) {
      const lowerOk = NO_LOWER_BOUND.has(v.version.trim().toLowerCase())
        ? 0
        : compareVersions(version, v.version);
      const upperOrder = upper === '*' ? -1 : compareVersions(version, upper);
      if (lowerOk === undefined || upperOrder === undefined) {
        unknown ??= `${version} cannot be compared with ${v.version}–${upper}`;
        continue;
      }
      const inUpper = v.lessThan !== null ? upperOrder < 0 : upperOrder <= 0;
      if (lowerOk >= 0 && inUpper) {
        const bound = v.lessThan !== null ? `< ${v.lessThan}` : `<= ${v.lessThanOrEqual}`;
        // A `changes` entry inside the range can flip the status from a version on (e.g. fixed in 1.2.3).
        let status = STATUS[v.status];
        for (const c of v.changes) {
          const o = compareVersions(version, c.at);
          if (o !== undefined && o >= 0) status = STATUS[c.status];
        }
        return {
          status,
          text: `${version} in ${NO_LOWER_BOUND.has(v.version) ? '' : `>= ${v.version} `}${bound}`,
        };
      }
    } else {
      const o = compareVersions(version, v.version);
      if (o === 0) return { status: STATUS[v.status], text: `${version} listed` };
      if (o === undefined && v.version.trim() !== version.trim())
        unknown ??= `${version} cannot be compared with ${v.version}`;
    }
  }
  if (unknown) return { status: 'unknown', text: unknown };
  if (entry.defaultStatus === 'affected')
    return { status: 'affected', text: `${version} not listed; defaultStatus affected` };
  return null;
}

function evidenceFor(
  record: VulnerabilityRecord,
  rule: string,
  name: { kind: MatchEvidence['nameRule']; confidence: number; reason: string },
  verdict: NonNullable<Verdict>,
  product: string,
  entry: AffectedEntry,
): MatchEvidence | null {
  if (verdict.status === 'not-affected') return null;
  const certain = verdict.status !== 'unknown' && name.confidence >= 1;
  // Only the matched entry's own versions say whether its product has a fix (other products' do not).
  const hasFix = entry.versions.some((v) => v.lessThan !== null || v.changes.length > 0);
  return {
    rule,
    source: record.source === 'osv' ? 'osv' : 'cve5',
    vulnKey: record.id,
    cve: record.id.startsWith('CVE-')
      ? record.id
      : (record.aliases.find((a) => a.startsWith('CVE-')) ?? null),
    advisoryId: null,
    documentDate: record.modified,
    status: verdict.status === 'unknown' ? 'affected' : verdict.status,
    certain,
    confidence: Math.round(name.confidence * (verdict.status === 'unknown' ? 0.6 : 1) * 100) / 100,
    nameRule: name.kind,
    versionVerdict: verdict.status === 'unknown' ? 'unknown' : 'in',
    explanation: `${name.reason}; ${verdict.text}`,
    fixAvailable: hasFix,
    product,
    remediations: [],
  };
}

/** Stage 1, per model: the record's `affected[]` entries that name the subject's manufacturer and model. */
export function cnaNamedEntries(
  record: VulnerabilityRecord,
  s: MatchSubject,
): { entry: AffectedEntry; name: NameMatch }[] {
  const out: { entry: AffectedEntry; name: NameMatch }[] = [];
  if (!s.manufacturer) return out;
  for (const entry of record.affected) {
    if (!entry.vendor || !entry.product) continue;
    if (vendorKeyOf(entry.vendor) !== s.manufacturer.key) continue;
    const models = modelNames(s);
    let name: NameMatch = { kind: 'none', confidence: 0, reason: '' };
    for (const model of models) {
      const r = compareModelCached(model, entry.product);
      if (r.confidence > name.confidence) name = r;
    }
    // As for CSAF products (csaf-product.ts): Baxter's 'Welch Allyn Connex Spot Monitor' is the
    // inventory's 'Connex Spot Monitor (CSM)'; the brand is not part of the model.
    const unbranded =
      name.confidence < 1
        ? withoutLeadingBrand(entry.product, s.manufacturer.key, entry.vendor, models)
        : null;
    if (unbranded !== null)
      for (const model of models) {
        const r = compareModelCached(model, unbranded.name);
        if (r.confidence > name.confidence)
          name = {
            ...r,
            reason: `${r.reason} (${JSON.stringify(entry.product)} without the brand '${unbranded.brand}')`,
          };
      }
    if (name.kind !== 'none') out.push({ entry, name });
  }
  return out;
}

const vendorKeys = new Map<string, string>();
function vendorKeyOf(vendor: string): string {
  let k = vendorKeys.get(vendor);
  if (k === undefined) {
    if (vendorKeys.size > 100_000) vendorKeys.clear();
    k = resolveManufacturer(vendor).key;
    vendorKeys.set(vendor, k);
  }
  return k;
}

export function cnaEvidence(
  record: VulnerabilityRecord,
  s: MatchSubject,
  named: { entry: AffectedEntry; name: NameMatch }[] = cnaNamedEntries(record, s),
): MatchEvidence | null {
  let best: MatchEvidence | null = null;
  for (const { entry, name } of named) {
    const versions = recordedVersions(s);
    let verdict: Verdict = null;
    for (const v of versions.length ? versions : [null]) {
      const r = judgeAffectedVersions(entry, v?.value ?? null);
      if (r && (verdict === null || (verdict.status === 'unknown' && r.status !== 'unknown'))) {
        verdict = v ? { ...r, text: `${v.label} ${r.text}` } : r;
      }
    }
    if (!verdict) continue;
    const e = evidenceFor(
      record,
      'cna-affected',
      { ...name, reason: `manufacturer ${s.manufacturerName} = CNA vendor ${entry.vendor}; ${name.reason}` },
      verdict,
      `${entry.vendor} ${entry.product}`,
      entry,
    );
    if (e && (!best || e.confidence > best.confidence)) best = e;
  }
  return best;
}

/** An SBOM component (by purl) against a record's affected packages. */
export function packageEvidence(
  record: VulnerabilityRecord,
  component: { name: string; version: string | null; purl: string },
  deviceIds: string[],
): MatchEvidence | null {
  const key = packageKey(component.purl);
  if (!key) return null;
  for (const entry of record.affected) {
    if (!entry.purl || packageKey(entry.purl) !== key) continue;
    const verdict = judgeAffectedVersions(entry, component.version);
    if (!verdict) continue;
    const e = evidenceFor(
      record,
      'sbom-package',
      { kind: 'purl', confidence: 1, reason: `SBOM component ${component.purl}` },
      verdict,
      component.purl,
      entry,
    );
    if (e) return { ...e, deviceIds };
  }
  return null;
}
