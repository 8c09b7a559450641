/**
 * @module `VexStatement`s → a CSAF 2.0 `csaf_vex` document (a plain object) that passes the CSAF 2.0
 * schema and mandatory tests (§6.1). Products become a product tree (`product_name` → `product_version`
 * branches when a version is known, `full_product_names` otherwise) with purl/CPE identification helpers;
 * statements become product_status, flags (justification), impact threats and remediations.
 * @see CSAF 2.0 §4.5 Profile 5: VEX and §6.1 Mandatory Tests
 */
import type { VexProduct, VexStatement, VexStatus } from '../../advisories/records.js';
import { toVexJustificationLabel } from '../openvex/write-openvex.js';

export interface CsafVexWriteInput {
  /** `document.tracking.id`, unique per publisher (e.g. `VIGIL-VEX-2026-0001`). */
  trackingId: string;
  title: string;
  publisher: {
    name: string;
    /** URL of the publisher's namespace, e.g. `https://hospital.example`. */
    namespace: string;
    category?: 'coordinator' | 'discoverer' | 'other' | 'translator' | 'user' | 'vendor';
  };
  /** RFC 3339; current (and, without a revision history, initial) release date. */
  releaseDate: string;
  /** Defaults to one entry, version `1`, at `releaseDate`. The last entry's number is the document version. */
  revisionHistory?: { date: string; number: string; summary: string }[];
  status?: 'draft' | 'final' | 'interim';
  /** Summary note; CSAF readers show it first. */
  summary?: string;
  lang?: string;
  /** Description per vulnerability id (CSAF VEX requires vulnerability notes, §6.1.27.5). */
  vulnerabilityNotes?: Record<string, string>;
  statements: VexStatement[];
}

const STATUS_KEY: Record<VexStatus, string> = {
  not_affected: 'known_not_affected',
  affected: 'known_affected',
  fixed: 'fixed',
  under_investigation: 'under_investigation',
};

const CVE = /^CVE-[0-9]{4}-[0-9]{4,}$/;

function productKey(p: VexProduct): string {
  return p.ref ?? p.purl ?? p.cpe ?? JSON.stringify([p.name, p.version]);
}

interface TreeProduct {
  id: string;
  product: VexProduct;
}

function fullProductName(t: TreeProduct): Record<string, unknown> {
  const p = t.product;
  const helper: Record<string, string> = {};
  if (p.purl !== null) helper.purl = p.purl;
  if (p.cpe !== null) helper.cpe = p.cpe;
  const out: Record<string, unknown> = { name: p.name ?? p.purl ?? p.cpe ?? t.id, product_id: t.id };
  if (Object.keys(helper).length > 0) out.product_identification_helper = helper;
  return out;
}

/** `Example ABC 4.2` with version `4.2` → `Example ABC`, the product_name branch above the version. */
function baseName(name: string, version: string): string {
  const trimmed = name.endsWith(` ${version}`) ? name.slice(0, -version.length - 1).trim() : name;
  return trimmed === '' ? name : trimmed;
}

function productTree(products: TreeProduct[]): Record<string, unknown> {
  const byName = new Map<string, Record<string, unknown>[]>();
  const loose: Record<string, unknown>[] = [];
  for (const t of products) {
    const v = t.product.version;
    if (v === null) {
      loose.push(fullProductName(t));
      continue;
    }
    const fpn = fullProductName(t);
    const base = baseName(String(fpn.name), v);
    const list = byName.get(base) ?? [];
    list.push({ category: 'product_version', name: v, product: fpn });
    byName.set(base, list);
  }
  const tree: Record<string, unknown> = {};
  if (byName.size > 0) {
    tree.branches = [...byName].map(([name, branches]) => ({ category: 'product_name', name, branches }));
  }
  if (loose.length > 0) tree.full_product_names = loose;
  return tree;
}

/**
 * Builds the CSAF VEX document. Throws `TypeError` for statements CSAF VEX cannot express: none at all,
 * no product, a product in two statuses for one vulnerability (§6.1.6), known_not_affected without
 * justification or impact statement (§6.1.27.9), known_affected without action statement (§6.1.27.10).
 */
export function writeCsafVex(input: CsafVexWriteInput): Record<string, unknown> {
  if (input.statements.length === 0) throw new TypeError('a CSAF VEX document needs at least one statement');
  const products = new Map<string, TreeProduct>();
  const usedIds = new Set<string>();
  const idFor = (p: VexProduct): string => {
    const k = productKey(p);
    const hit = products.get(k);
    if (hit) return hit.id;
    let id = p.ref ?? `CSAFPID-${String(products.size + 1).padStart(4, '0')}`;
    for (let n = 2; usedIds.has(id); n++) id = `${p.ref ?? 'CSAFPID'}-${n}`;
    usedIds.add(id);
    products.set(k, { id, product: p });
    return id;
  };

  const vulns = new Map<string, { aliases: Set<string>; statements: { s: VexStatement; at: number }[] }>();
  input.statements.forEach((s, at) => {
    if (s.products.length === 0) throw new TypeError(`statements[${at}]: no product`);
    const v = vulns.get(s.vulnerability) ?? { aliases: new Set<string>(), statements: [] };
    for (const a of s.aliases) if (a !== s.vulnerability) v.aliases.add(a);
    v.statements.push({ s, at });
    vulns.set(s.vulnerability, v);
  });

  const vulnerabilities = [...vulns].map(([id, v]) => {
    const out: Record<string, unknown> = {};
    const ids = [...(CVE.test(id) ? [] : [id]), ...v.aliases].map((text) => ({
      system_name: text === id ? 'Vigil' : 'alias',
      text,
    }));
    if (CVE.test(id)) out.cve = id;
    if (ids.length > 0) out.ids = ids;
    out.notes = [
      {
        category: 'description',
        title: 'Vulnerability',
        text: input.vulnerabilityNotes?.[id] ?? `Status of ${id} in the listed products.`,
      },
    ];
    const status: Record<string, string[]> = {};
    const seenStatus = new Map<string, string>();
    const flags: Record<string, unknown>[] = [];
    const threats: Record<string, unknown>[] = [];
    const remediations: Record<string, unknown>[] = [];
    for (const { s, at } of v.statements) {
      const key = STATUS_KEY[s.status];
      const pids = [...new Set(s.products.map(idFor))];
      for (const pid of pids) {
        const prior = seenStatus.get(pid);
        if (prior !== undefined && prior !== key) {
          throw new TypeError(
            `statements[${at}]: product ${pid} is both ${prior} and ${key} for ${id} (CSAF §6.1.6)`,
          );
        }
        seenStatus.set(pid, key);
        const list = status[key] ?? [];
        if (!list.includes(pid)) list.push(pid);
        status[key] = list;
      }
      const date = s.timestamp === null ? {} : { date: s.timestamp };
      let impact = s.impactStatement;
      if (s.justification !== null) {
        const label = toVexJustificationLabel(s.justification);
        if (label !== null && s.status === 'not_affected') flags.push({ label, ...date, product_ids: pids });
        else impact = impact ?? `justification: ${s.justification}`;
      }
      if (impact !== null) threats.push({ category: 'impact', details: impact, ...date, product_ids: pids });
      if (s.actionStatement !== null) {
        remediations.push({
          // CSAF needs a category; VEX statements carry none, and only "fixed" tells us it is a vendor fix.
          category: s.status === 'fixed' ? 'vendor_fix' : 'mitigation',
          details: s.actionStatement,
          ...date,
          product_ids: pids,
        });
      }
      if (s.status === 'not_affected' && s.justification === null && impact === null) {
        throw new TypeError(
          `statements[${at}]: not_affected needs a justification or an impact statement (CSAF §6.1.27.9)`,
        );
      }
      if (s.status === 'affected' && s.actionStatement === null) {
        throw new TypeError(`statements[${at}]: affected needs an action statement (CSAF §6.1.27.10)`);
      }
    }
    out.product_status = status;
    if (flags.length > 0) out.flags = flags;
    if (remediations.length > 0) out.remediations = remediations;
    if (threats.length > 0) out.threats = threats;
    return out;
  });

  const history = input.revisionHistory ?? [
    { date: input.releaseDate, number: '1', summary: 'Initial version.' },
  ];
  const initial = history.map((h) => h.date).sort()[0] ?? input.releaseDate;
  const document: Record<string, unknown> = {
    category: 'csaf_vex',
    csaf_version: '2.0',
    lang: input.lang ?? 'en',
    notes: [{ category: 'summary', title: 'Summary', text: input.summary ?? input.title }],
    publisher: {
      category: input.publisher.category ?? 'user',
      name: input.publisher.name,
      namespace: input.publisher.namespace,
    },
    title: input.title,
    tracking: {
      current_release_date: input.releaseDate,
      generator: { engine: { name: 'Vigil' } },
      id: input.trackingId,
      initial_release_date: initial,
      revision_history: history,
      status: input.status ?? 'final',
      version: history[history.length - 1]?.number ?? '1',
    },
  };
  return { document, product_tree: productTree([...products.values()]), vulnerabilities };
}
