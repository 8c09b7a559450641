/**
 * @module CSAF 2.0 `csaf_vex` documents → `VexDocument` (format 'csaf'). Parsing and product-tree
 * flattening reuse `src/formats/csaf`; this module only turns product_status / flags / threats /
 * remediations into statements. Per vulnerability, products with the same status, justification (flag
 * label), impact statement (impact threats), action statement (remediations) and date share one
 * statement. Pure, never throws.
 * @see CSAF 2.0 §4.5 Profile 5: VEX, https://docs.oasis-open.org/csaf/csaf/v2.0/csaf-v2.0.html
 */
import type {
  InputIssue,
  VexDocument,
  VexProduct,
  VexStatement,
  VexStatus,
} from '../../advisories/records.js';
import {
  type CsafDocument,
  CsafDocument as CsafDocumentSchema,
  type CsafIssue,
  type CsafProductStatusKey,
  CsafVulnerability,
  jsonPath,
  parseCsafDocument,
} from '../csaf/csaf-document.js';
import { type CsafProductIndex, flattenProductTree } from '../csaf/product-tree.js';
import { checkCpe, checkPurl, errorText } from '../cyclonedx/identifiers.js';

export interface CsafVexReadResult {
  vex: VexDocument | null;
  issues: InputIssue[];
}

/** @see records.ts VexStatus; `recommended` is not a VEX status and is not read. */
export const CSAF_STATUS_TO_VEX: Partial<Record<CsafProductStatusKey, VexStatus>> = {
  known_not_affected: 'not_affected',
  known_affected: 'affected',
  first_affected: 'affected',
  last_affected: 'affected',
  fixed: 'fixed',
  first_fixed: 'fixed',
  under_investigation: 'under_investigation',
};

const toInput = (i: CsafIssue): InputIssue => ({ file: i.file, where: i.path, message: i.reason });

/**
 * `parseCsafDocument` is all-or-nothing; when it fails, the document is parsed again without its
 * vulnerabilities and each vulnerability on its own, so one bad vulnerability does not hide the rest.
 */
function parseLeniently(json: unknown, file: string): { doc: CsafDocument | null; issues: InputIssue[] } {
  const full = parseCsafDocument(json, file);
  if (full.ok) return { doc: full.doc, issues: [] };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { doc: null, issues: full.issues.map(toInput) };
  }
  const { vulnerabilities, ...rest } = json as Record<string, unknown>;
  const shell = parseCsafDocument(rest, file);
  if (!shell.ok) return { doc: null, issues: full.issues.map(toInput) };
  const issues: InputIssue[] = [];
  const kept: CsafDocument['vulnerabilities'] = [];
  if (Array.isArray(vulnerabilities)) {
    vulnerabilities.forEach((v, i) => {
      const r = CsafVulnerability.safeParse(v);
      if (r.success) kept.push(r.data);
      else {
        for (const e of r.error.issues) {
          issues.push({
            file,
            where: jsonPath([
              'vulnerabilities',
              i,
              ...e.path.map((p) => (typeof p === 'number' ? p : String(p))),
            ]),
            message: `vulnerability skipped: ${e.message}`,
            dropped: true,
          });
        }
      }
    });
  } else if (vulnerabilities !== undefined) {
    issues.push({
      file,
      where: '$.vulnerabilities',
      message: 'vulnerabilities is not an array; ignored',
      dropped: true,
    });
  }
  const doc = CsafDocumentSchema.parse({
    ...shell.doc,
    ...(kept.length > 0 ? { vulnerabilities: kept } : {}),
  });
  return { doc, issues };
}

interface Covering {
  product_ids?: string[] | undefined;
  group_ids?: string[] | undefined;
}

function covers(x: Covering, pid: string, groups: Map<string, string[]>): boolean {
  if (x.product_ids?.includes(pid)) return true;
  return (x.group_ids ?? []).some((g) => groups.get(g)?.includes(pid) ?? false);
}

function joinOrNull(parts: string[]): string | null {
  const uniq = [...new Set(parts)];
  return uniq.length === 0 ? null : uniq.join('\n');
}

function productMaker(
  index: CsafProductIndex,
  file: string,
  issues: InputIssue[],
): (pid: string) => VexProduct {
  const cache = new Map<string, VexProduct>();
  return (pid) => {
    const hit = cache.get(pid);
    if (hit) return hit;
    const p = index.byId.get(pid);
    const helperPath = p ? `${p.path}.product_identification_helper` : '';
    const purl =
      p?.helpers?.purl === undefined ? null : checkPurl(p.helpers.purl, file, `${helperPath}.purl`, issues);
    const cpe =
      p?.helpers?.cpe === undefined ? null : checkCpe(p.helpers.cpe, file, `${helperPath}.cpe`, issues);
    // An undefined product_id is already reported by flattenProductTree (§6.1.1); keep the bare ref.
    const out: VexProduct = { name: p?.name ?? null, version: p?.version ?? null, purl, cpe, ref: pid };
    cache.set(pid, out);
    return out;
  };
}

function mapDocument(json: unknown, file: string): CsafVexReadResult {
  const parsed = parseLeniently(json, file);
  if (!parsed.doc) {
    const isCsaf =
      typeof json === 'object' &&
      json !== null &&
      typeof (json as { document?: unknown }).document === 'object';
    return {
      vex: null,
      issues: isCsaf
        ? parsed.issues
        : [{ file, where: '$.document', message: 'not a CSAF document (no document object)' }],
    };
  }
  const doc = parsed.doc;
  const issues = [...parsed.issues];
  if (doc.document.category !== 'csaf_vex') {
    issues.push({
      file,
      where: '$.document.category',
      message: `category is ${JSON.stringify(doc.document.category)}, not csaf_vex; product statuses read as VEX anyway`,
    });
  }
  const index = flattenProductTree(doc, file);
  issues.push(...index.issues.map(toInput));
  const makeProduct = productMaker(index, file, issues);

  const statements: VexStatement[] = [];
  (doc.vulnerabilities ?? []).forEach((v, i) => {
    const ids = (v.ids ?? []).map((x) => x.text);
    const id = v.cve ?? ids[0];
    if (id === undefined) {
      issues.push({
        file,
        where: jsonPath(['vulnerabilities', i]),
        message: 'vulnerability has neither cve nor ids; skipped',
        dropped: true,
      });
      return;
    }
    const aliases = [...new Set(ids.filter((x) => x !== id))];
    const status = v.product_status ?? {};
    for (const [key, vexStatus] of Object.entries(CSAF_STATUS_TO_VEX) as [
      CsafProductStatusKey,
      VexStatus,
    ][]) {
      const pids = status[key];
      if (!pids) continue;
      const groupsByKey = new Map<string, VexStatement>();
      for (const pid of [...new Set(pids)]) {
        const flags = (v.flags ?? []).filter((f) => covers(f, pid, index.groups));
        const threats = (v.threats ?? []).filter(
          (t) => t.category === 'impact' && covers(t, pid, index.groups),
        );
        const rems = (v.remediations ?? []).filter((r) => covers(r, pid, index.groups));
        const justification = flags[0]?.label ?? null;
        if (flags.length > 1 && flags.some((f) => f.label !== justification)) {
          issues.push({
            file,
            where: jsonPath(['vulnerabilities', i, 'flags']),
            message: `product ${pid} has several flags; the first (${justification}) is used`,
          });
        }
        const impactStatement = joinOrNull(threats.map((t) => t.details));
        const actionStatement = joinOrNull(rems.map((r) => r.details));
        const timestamp =
          flags.find((f) => f.date)?.date ??
          threats.find((t) => t.date)?.date ??
          rems.find((r) => r.date)?.date ??
          null;
        const k = JSON.stringify([justification, impactStatement, actionStatement, timestamp]);
        let st = groupsByKey.get(k);
        if (!st) {
          st = {
            vulnerability: id,
            aliases,
            products: [],
            status: vexStatus,
            justification,
            impactStatement,
            actionStatement,
            timestamp,
            path: jsonPath(['vulnerabilities', i, 'product_status', key]),
          };
          groupsByKey.set(k, st);
          statements.push(st);
        }
        st.products.push(makeProduct(pid));
      }
    }
  });
  const t = doc.document.tracking;
  return {
    vex: {
      format: 'csaf',
      id: t.id,
      author: doc.document.publisher.name,
      timestamp: t.current_release_date,
      version: t.version,
      statements,
    },
    issues,
  };
}

/** Reads a CSAF 2.0 VEX document that was already `JSON.parse`d. */
export function readCsafVex(json: unknown, file: string): CsafVexReadResult {
  try {
    return mapDocument(json, file);
  } catch (err) {
    return { vex: null, issues: [{ file, where: '$', message: `unreadable document: ${errorText(err)}` }] };
  }
}
