/**
 * @module Rules `nvd-cpe` and `service-cpe`: NVD's CPE applicability for a vulnerability record.
 * `nvd-cpe` recognises the device itself in a criterion (CPE vendor resolved through the manufacturer
 * table, CPE product compared with the model, `_firmware` style suffixes dropped) and evaluates the
 * configurations with the device's version; `service-cpe` takes the CPEs a scanner reported for the
 * device's services as they are.
 * @see NVD CVE API 2.0 `configurations`; NISTIR 7696 name matching
 */

import { parseCpe } from '../../advisories/cpe.js';
import {
  type CriterionResult,
  evaluateConfigurations,
  type NvdConfiguration,
} from '../../advisories/cpe-applicability.js';
import type { VulnerabilityRecord } from '../../advisories/records.js';
import type { MatchEvidence, MatchSubject } from '../match-types.js';
import { type NameMatch, resolveManufacturer } from '../names/names.js';
import { modelNames, recordedVersions } from './device-version.js';
import { compareModelCached } from './model-match.js';

const PRODUCT_SUFFIX = /[_ ](?:firmware|software|os|system_software)$/;

/** `cpe:2.3:o:abbott:merlin\@home_firmware:…` → vendor `abbott`, product words `merlin@home`. */
export function cpeNameParts(criteria: string): { part: string; vendor: string; product: string } | null {
  const parsed = parseCpe(criteria);
  if (!parsed.ok) return null;
  const c = parsed.cpe;
  if (c.vendor.kind !== 'value' || c.product.kind !== 'value' || c.part.kind !== 'value') return null;
  return { part: c.part.literal, vendor: c.vendor.literal, product: c.product.literal };
}

export function cpeVendorName(vendor: string): string {
  return vendor.replace(/_/g, ' ');
}

export function cpeProductName(product: string): string {
  return product.replace(PRODUCT_SUFFIX, '').replace(/_/g, ' ');
}

/** Lookup keys of a record for the matcher's index: manufacturer keys and `vendor:product` pairs. */
export function cpeIndexKeys(configurations: readonly NvdConfiguration[]): string[] {
  const keys = new Set<string>();
  for (const conf of configurations)
    for (const node of conf.nodes)
      for (const m of node.cpeMatch) {
        const n = cpeNameParts(m.criteria);
        if (!n) continue;
        keys.add(`m:${resolveManufacturer(cpeVendorName(n.vendor)).key}`);
        keys.add(`c:${n.vendor}:${n.product}`);
        keys.add(`cp:${n.product}`);
      }
  return [...keys];
}

/** A fix exists for what matched: a vulnerable criterion that held has an upper bound it excludes. */
function fixedFor(matched: readonly CriterionResult[]): boolean {
  return matched.some((m) => m.vulnerable && m.fixedFrom !== undefined);
}

function baseEvidence(
  record: VulnerabilityRecord,
): Pick<
  MatchEvidence,
  'source' | 'vulnKey' | 'cve' | 'advisoryId' | 'documentDate' | 'status' | 'remediations'
> {
  return {
    source: 'nvd',
    vulnKey: record.id,
    cve: record.id.startsWith('CVE-') ? record.id : null,
    advisoryId: null,
    documentDate: record.modified,
    status: 'affected',
    remediations: [],
  };
}

/** A record's criteria, parsed and with their vendor resolved once per record (records are matched many times). */
export interface ParsedCriterion {
  criteria: string;
  part: string;
  vendor: string;
  product: string;
  vendorKey: string;
  productName: string;
}

const parsedCriteria = new WeakMap<VulnerabilityRecord, ParsedCriterion[]>();

export function criteriaOf(record: VulnerabilityRecord): ParsedCriterion[] {
  let list = parsedCriteria.get(record);
  if (list) return list;
  list = [];
  const seen = new Set<string>();
  for (const conf of record.configurations)
    for (const node of conf.nodes)
      for (const m of node.cpeMatch) {
        if (seen.has(m.criteria)) continue;
        seen.add(m.criteria);
        const n = cpeNameParts(m.criteria);
        if (!n) continue;
        list.push({
          criteria: m.criteria,
          part: n.part,
          vendor: n.vendor,
          product: n.product,
          vendorKey: resolveManufacturer(cpeVendorName(n.vendor)).key,
          productName: cpeProductName(n.product),
        });
      }
  parsedCriteria.set(record, list);
  return list;
}

export type NamedCriteria = { criteria: string; part: string; name: NameMatch }[];

/** Stage 1, per model: the record's criteria that name the subject's manufacturer and model. */
export function nvdNamedCriteria(record: VulnerabilityRecord, s: MatchSubject): NamedCriteria {
  const named: NamedCriteria = [];
  if (!s.manufacturer) return named;
  for (const c of criteriaOf(record)) {
    if (c.vendorKey !== s.manufacturer.key) continue;
    let best: NameMatch = { kind: 'none', confidence: 0, reason: '' };
    for (const model of modelNames(s)) {
      const r = compareModelCached(model, c.productName);
      if (r.confidence > best.confidence) best = r;
    }
    if (best.kind !== 'none') named.push({ criteria: c.criteria, part: c.part, name: best });
  }
  return named;
}

export function nvdDeviceEvidence(
  record: VulnerabilityRecord,
  s: MatchSubject,
  named: NamedCriteria = nvdNamedCriteria(record, s),
): MatchEvidence | null {
  if (!s.manufacturer || record.configurations.length === 0 || named.length === 0) return null;
  const versions = recordedVersions(s);
  let applies: boolean | 'unknown' = false;
  let reasons: string[] = [];
  let held: CriterionResult[] = [];
  let versionUsed: string | null = null;
  // The device's own CPEs: the named criteria with its version; hardware criteria are its platform.
  const targetCpes = named.map((n) => n.criteria);
  const platforms = named.filter((n) => n.part === 'h').map((n) => n.criteria);
  for (const v of versions.length ? versions : [null]) {
    const result = evaluateConfigurations(record.configurations, {
      cpes: targetCpes,
      ...(v ? { version: v.value } : {}),
      platforms,
    });
    if (result.applies === true || (result.applies === 'unknown' && applies === false)) {
      applies = result.applies;
      reasons = result.matched.map((m) => m.reason);
      held = result.matched;
      versionUsed = v ? `${v.label} ${v.value}` : null;
    }
    if (applies === true) break;
  }
  if (applies === false) return null;
  const name = named.reduce((a, b) => (b.name.confidence > a.name.confidence ? b : a));
  const certain = applies === true && name.name.confidence >= 1;
  return {
    ...baseEvidence(record),
    rule: 'nvd-cpe',
    fixAvailable: fixedFor(held),
    certain,
    confidence: Math.round(name.name.confidence * (applies === true ? 1 : 0.6) * 100) / 100,
    nameRule: name.name.kind,
    versionVerdict: applies === true ? 'in' : 'unknown',
    explanation: `manufacturer ${s.manufacturerName} = CPE vendor of ${name.criteria}; ${name.name.reason}; ${
      versionUsed ? `${versionUsed}: ` : 'version not recorded: '
    }${reasons.slice(0, 2).join('; ') || 'applicability unknown'}`,
    product: name.criteria,
  };
}

/** The CPE names a version (`cpe:/a:openbsd:openssh:9.2p1`), not ANY or NA. */
function hasVersion(cpe: string): boolean {
  const parsed = parseCpe(cpe);
  return parsed.ok && parsed.cpe.version.kind === 'value';
}

export function serviceCpeEvidence(
  record: VulnerabilityRecord,
  cpe: string,
  deviceIds: string[],
): MatchEvidence | null {
  if (record.configurations.length === 0) return null;
  const result = evaluateConfigurations(record.configurations, { cpes: [cpe] });
  if (result.applies === false) return null;
  // A scanner CPE without a version (nmap's `cpe:/a:openssl:openssl`, or `cpe:/o:linux:linux_kernel` guessed
  // from a banner's OS type) would make a candidate of every record ever published with a version range for
  // that product (thousands for the Linux kernel), burying the real ones: it only counts when the record
  // holds for it as it is.
  if (result.applies !== true && !hasVersion(cpe)) return null;
  return {
    ...baseEvidence(record),
    rule: 'service-cpe',
    fixAvailable: fixedFor(result.matched),
    certain: result.applies === true,
    confidence: result.applies === true ? 1 : 0.6,
    nameRule: 'cpe',
    versionVerdict: result.applies === true ? 'in' : 'unknown',
    explanation: `service CPE ${cpe} reported by a scanner; ${result.matched
      .slice(0, 2)
      .map((m) => m.reason)
      .join('; ')}`,
    product: cpe,
    deviceIds,
  };
}

/**
 * Rule `sbom-cpe`: an SBOM component's CPE against a record's configurations. SBOM tools and NVD often
 * name the vendor differently (`the_jquery_foundation:jquery` vs `jquery:jquery`); when only the product
 * agrees, the match is kept as an undecided candidate that says so, never dropped and never certain.
 */
export function sbomCpeEvidence(
  record: VulnerabilityRecord,
  component: { name: string; version: string | null; cpe: string },
  deviceIds: string[],
): MatchEvidence | null {
  if (record.configurations.length === 0) return null;
  const own = cpeNameParts(component.cpe);
  if (!own) return null;
  const exact = evaluateConfigurations(record.configurations, {
    cpes: [component.cpe],
    ...(component.version ? { version: component.version } : {}),
  });
  let applies = exact.applies;
  let reasons = exact.matched.map((m) => m.reason);
  let held = exact.matched;
  let vendorNote = '';
  if (applies === false) {
    // Same product under another vendor name: try the record's vendor spelling.
    const other = record.configurations
      .flatMap((c) => c.nodes.flatMap((n) => n.cpeMatch.map((m) => cpeNameParts(m.criteria))))
      .find((n) => n && n.product === own.product && n.vendor !== own.vendor);
    if (!other) return null;
    const renamed = component.cpe.replace(`:${own.vendor}:`, `:${other.vendor}:`);
    const r = evaluateConfigurations(record.configurations, {
      cpes: [renamed],
      ...(component.version ? { version: component.version } : {}),
    });
    if (r.applies === false) return null;
    applies = 'unknown';
    reasons = r.matched.map((m) => m.reason);
    held = r.matched;
    vendorNote = `; the SBOM names the vendor ${own.vendor}, the record ${other.vendor}`;
  }
  return {
    ...baseEvidence(record),
    rule: 'sbom-cpe',
    fixAvailable: fixedFor(held),
    certain: applies === true,
    confidence: applies === true ? 1 : 0.6,
    nameRule: 'cpe',
    versionVerdict: applies === true ? 'in' : 'unknown',
    explanation: `SBOM component ${component.name}${component.version ? ` ${component.version}` : ''} (${component.cpe})${vendorNote}; ${reasons.slice(0, 2).join('; ')}`,
    product: component.cpe,
    deviceIds,
  };
}
