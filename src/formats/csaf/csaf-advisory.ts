/**
 * @module Reads a CSAF 2.0 security advisory into Vigil's per-vulnerability, per-product view: the status
 * of each product, the remediations that apply to it (group_ids resolved), its CVSS scores as given, and
 * CISA's SSVC decision note. A document with schema errors or broken product references is rejected as a
 * whole, so an import never stores half an advisory.
 * @see CSAF 2.0 §4.4 Profile 4: Security Advisory
 * @see CSAF 2.0 §3.2.3 Vulnerabilities Property
 */
import {
  CSAF_PRODUCT_STATUS_KEYS,
  type CsafDocument,
  type CsafIssue,
  type CsafNote,
  type CsafProductStatusKey,
  type CsafRemediationCategory,
  parseCsafDocument,
} from './csaf-document.js';
import { type CsafProduct, flattenProductTree } from './product-tree.js';

/**
 * `recommended` is reported only for a product that appears in no other list: the standard defines it as
 * "the vendor recommends this version", which is not by itself a statement about the vulnerability.
 */
export type CsafProductStatusValue =
  | 'affected'
  | 'not_affected'
  | 'fixed'
  | 'under_investigation'
  | 'recommended';

/** @see CSAF 2.0 §3.2.3.9 Product Status */
const STATUS_OF: Record<CsafProductStatusKey, CsafProductStatusValue> = {
  first_affected: 'affected',
  known_affected: 'affected',
  last_affected: 'affected',
  known_not_affected: 'not_affected',
  first_fixed: 'fixed',
  fixed: 'fixed',
  under_investigation: 'under_investigation',
  recommended: 'recommended',
};

export interface CsafAppliedRemediation {
  category: CsafRemediationCategory;
  details: string;
  url: string | null;
  date: string | null;
  /** How the remediation reached this product: listed directly or through a product group. */
  via: { productId: true } | { groupId: string };
  /** JSON path of the remediation in the document. */
  path: string;
}

export interface CsafAppliedScore {
  cvssVersion: '2.0' | '3.0' | '3.1' | null;
  vectorString: string;
  baseScore: number;
  baseSeverity: string | null;
}

export interface CsafProductVulnerabilityStatus {
  productId: string;
  status: CsafProductStatusValue;
  /** Every product_status list naming the product (e.g. `['first_affected']`, `['fixed', 'recommended']`). */
  statusKeys: CsafProductStatusKey[];
  recommended: boolean;
  remediations: CsafAppliedRemediation[];
  scores: CsafAppliedScore[];
}

/** @see SSVC v2 decision points Exploitation 1.1.0, Automatable 2.0.0, Technical Impact 1.0.0 */
export interface SsvcDecision {
  /** The note text exactly as published, e.g. `SSVCv2/E:P/A:N/T:P/2024-09-18T19:25:28.300313+00:00/`. */
  raw: string;
  exploitation: 'none' | 'public_poc' | 'active' | null;
  automatable: boolean | null;
  technicalImpact: 'partial' | 'total' | null;
  /** Every `KEY:VALUE` pair in order, including keys not interpreted here (P, B, M, D …). */
  decisionPoints: Record<string, string>;
  timestamp: string | null;
  /** Where it was published: a CSAF note (default) or the CISA ADP container of a CVE 5 record. */
  origin?: 'csaf' | 'cve5-adp';
}

export interface CsafAdvisoryVulnerability {
  cve: string | null;
  cwe: { id: string; name: string } | null;
  title: string | null;
  ids: { systemName: string; text: string }[];
  notes: CsafNote[];
  ssvc: SsvcDecision | null;
  products: CsafProductVulnerabilityStatus[];
  /** JSON path of the vulnerability (`$.vulnerabilities[2]`). */
  path: string;
}

export interface CsafAdvisory {
  /** Tracking id upper-cased (`ICSMA-17-241-01`), the key hospitals and CISA use to cite an advisory. */
  advisoryId: string;
  file: string;
  category: string;
  title: string;
  publisher: { name: string; namespace: string; category: string };
  tracking: {
    id: string;
    version: string;
    status: 'draft' | 'final' | 'interim';
    initialReleaseDate: string;
    currentReleaseDate: string;
    revisionHistory: { number: string; date: string; summary: string }[];
  };
  notes: CsafNote[];
  references: { category: string | null; summary: string; url: string }[];
  products: CsafProduct[];
  vulnerabilities: CsafAdvisoryVulnerability[];
}

export type CsafAdvisoryResult = { ok: true; advisory: CsafAdvisory } | { ok: false; issues: CsafIssue[] };

const SSVC_EXPLOITATION = { N: 'none', P: 'public_poc', A: 'active' } as const;
const SSVC_TECHNICAL_IMPACT = { P: 'partial', T: 'total' } as const;

/**
 * Parses CISA's compact SSVC vector. CISA writes it in a vulnerability note titled "SSVC", e.g.
 * `SSVCv2/E:A/A:N/T:T/P:M/B:A/M:M/D:A/2021-09-29T15:29:44Z/`: `KEY:VALUE` pairs, then a timestamp.
 * Returns null for text that is not such a vector; unknown values map to null rather than a guess.
 */
export function parseSsvcVector(text: string): SsvcDecision | null {
  const raw = text.trim();
  if (!raw.startsWith('SSVCv2/')) return null;
  const parts = raw.slice('SSVCv2/'.length).split('/');
  const decisionPoints: Record<string, string> = {};
  let timestamp: string | null = null;
  for (const part of parts) {
    if (part === '') continue;
    const m = /^([A-Z][A-Za-z0-9_]*):([A-Za-z0-9*_]+)$/.exec(part);
    if (m) {
      decisionPoints[m[1]!] = m[2]!;
    } else if (timestamp === null && /^\d{4}-\d{2}-\d{2}/.test(part)) {
      timestamp = part;
    } else {
      return null;
    }
  }
  const e = decisionPoints.E;
  const a = decisionPoints.A;
  const t = decisionPoints.T;
  return {
    raw,
    exploitation: e !== undefined && e in SSVC_EXPLOITATION ? SSVC_EXPLOITATION[e as 'N' | 'P' | 'A'] : null,
    automatable: a === 'Y' ? true : a === 'N' ? false : null,
    technicalImpact:
      t !== undefined && t in SSVC_TECHNICAL_IMPACT ? SSVC_TECHNICAL_IMPACT[t as 'P' | 'T'] : null,
    decisionPoints,
    timestamp,
  };
}

/** The first note whose text is an SSVC vector; CISA titles it "SSVC" but the text is what counts. */
function findSsvc(notes: readonly CsafNote[]): SsvcDecision | null {
  for (const n of notes) {
    const parsed = parseSsvcVector(n.text);
    if (parsed) return parsed;
  }
  return null;
}

function buildVulnerabilities(
  doc: CsafDocument,
  groups: ReadonlyMap<string, string[]>,
): CsafAdvisoryVulnerability[] {
  return (doc.vulnerabilities ?? []).map((v, vi) => {
    const perProduct = new Map<string, CsafProductVulnerabilityStatus>();
    const entry = (productId: string): CsafProductVulnerabilityStatus => {
      let e = perProduct.get(productId);
      if (!e) {
        e = {
          productId,
          status: 'recommended',
          statusKeys: [],
          recommended: false,
          remediations: [],
          scores: [],
        };
        perProduct.set(productId, e);
      }
      return e;
    };
    for (const key of CSAF_PRODUCT_STATUS_KEYS) {
      for (const id of v.product_status?.[key] ?? []) {
        const e = entry(id);
        if (!e.statusKeys.includes(key)) e.statusKeys.push(key);
        if (key === 'recommended') e.recommended = true;
        // Contradictions are rejected earlier (§6.1.6), so the first non-recommended list decides.
        else if (e.status === 'recommended') e.status = STATUS_OF[key];
      }
    }
    // Remediations and scores only attach to products that have a status: a remediation for a product the
    // vulnerability never mentions carries no claim about that product.
    (v.remediations ?? []).forEach((r, ri) => {
      const path = `$.vulnerabilities[${vi}].remediations[${ri}]`;
      const base = {
        category: r.category,
        details: r.details,
        url: r.url ?? null,
        date: r.date ?? null,
        path,
      };
      const given = new Set<string>();
      for (const id of r.product_ids ?? []) {
        const e = perProduct.get(id);
        if (e && !given.has(id)) {
          e.remediations.push({ ...base, via: { productId: true } });
          given.add(id);
        }
      }
      for (const g of r.group_ids ?? []) {
        for (const id of groups.get(g) ?? []) {
          const e = perProduct.get(id);
          if (e && !given.has(id)) {
            e.remediations.push({ ...base, via: { groupId: g } });
            given.add(id);
          }
        }
      }
    });
    for (const s of v.scores ?? []) {
      const applied: CsafAppliedScore[] = [];
      if (s.cvss_v3) {
        applied.push({
          cvssVersion: s.cvss_v3.version ?? null,
          vectorString: s.cvss_v3.vectorString,
          baseScore: s.cvss_v3.baseScore,
          baseSeverity: s.cvss_v3.baseSeverity ?? null,
        });
      }
      if (s.cvss_v2) {
        applied.push({
          cvssVersion: '2.0',
          vectorString: s.cvss_v2.vectorString,
          baseScore: s.cvss_v2.baseScore,
          baseSeverity: null,
        });
      }
      for (const id of new Set(s.products)) perProduct.get(id)?.scores.push(...applied);
    }
    const notes = v.notes ?? [];
    return {
      cve: v.cve ?? null,
      cwe: v.cwe ? { id: v.cwe.id, name: v.cwe.name } : null,
      title: v.title ?? null,
      ids: (v.ids ?? []).map((i) => ({ systemName: i.system_name, text: i.text })),
      notes,
      ssvc: findSsvc(notes),
      products: [...perProduct.values()],
      path: `$.vulnerabilities[${vi}]`,
    };
  });
}

/** Builds the advisory view from an already validated document. */
export function toCsafAdvisory(doc: CsafDocument, file: string): CsafAdvisoryResult {
  const index = flattenProductTree(doc, file);
  if (index.issues.length > 0) return { ok: false, issues: index.issues };
  const d = doc.document;
  return {
    ok: true,
    advisory: {
      advisoryId: d.tracking.id.trim().toUpperCase(),
      file,
      category: d.category,
      title: d.title,
      publisher: { name: d.publisher.name, namespace: d.publisher.namespace, category: d.publisher.category },
      tracking: {
        id: d.tracking.id,
        version: d.tracking.version,
        status: d.tracking.status,
        initialReleaseDate: d.tracking.initial_release_date,
        currentReleaseDate: d.tracking.current_release_date,
        revisionHistory: d.tracking.revision_history.map((r) => ({
          number: r.number,
          date: r.date,
          summary: r.summary,
        })),
      },
      notes: d.notes ?? [],
      references: (d.references ?? []).map((r) => ({
        category: r.category ?? null,
        summary: r.summary,
        url: r.url,
      })),
      products: index.products,
      vulnerabilities: buildVulnerabilities(doc, index.groups),
    },
  };
}

/** Parse, check references, and build the advisory; every failure comes back as issues with JSON paths. */
export function readCsafAdvisory(json: unknown, file: string): CsafAdvisoryResult {
  const parsed = parseCsafDocument(json, file);
  if (!parsed.ok) return parsed;
  try {
    return toCsafAdvisory(parsed.doc, file);
  } catch (err) {
    // Defensive: the walk is total over validated input, but an import batch must never die on one file.
    return { ok: false, issues: [{ file, path: '$', reason: `internal error: ${String(err)}` }] };
  }
}
