/**
 * @module OpenVEX → `VexDocument`. Reads 0.2.0 (`@context` https://openvex.dev/ns/v0.2.0, vulnerability as
 * `{ name, aliases }`, products as `{ @id, identifiers, subcomponents }`) and the older 0.0.1 forms
 * (`@context` https://openvex.dev/ns or …/v0.0.1, vulnerability and products as strings). Pure, never throws.
 *
 * A product's `subcomponents` are not turned into products of their own: the statement is about the
 * product *with respect to* those components (e.g. libssl inside one image), and a flat `VexProduct` list
 * cannot say "inside"; listing them would claim the status for the component everywhere.
 * @see https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md
 */
import { z } from 'zod';
import type { InputIssue, VexDocument, VexProduct, VexStatement } from '../../advisories/records.js';
import { jsonPath } from '../csaf/csaf-document.js';
import { checkCpe, checkPurl, errorText, purlParts } from '../cyclonedx/identifiers.js';
import { namesOpenVex } from '../sbom-vex-format.js';

export interface OpenVexReadResult {
  vex: VexDocument | null;
  issues: InputIssue[];
}

export const OPENVEX_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;

const Identifiers = z.looseObject({
  purl: z.string().optional(),
  cpe22: z.string().optional(),
  cpe23: z.string().optional(),
});

export const OpenVexProduct = z.union([
  z.string().min(1),
  z.looseObject({ '@id': z.string().optional(), identifiers: Identifiers.optional() }),
]);

export const OpenVexStatement = z.looseObject({
  vulnerability: z.union([
    z.string().min(1),
    z.looseObject({
      name: z.string().min(1),
      aliases: z.array(z.string()).optional(),
      '@id': z.string().optional(),
    }),
  ]),
  products: z.array(z.unknown()).optional(),
  status: z.enum(OPENVEX_STATUSES),
  justification: z.string().optional(),
  impact_statement: z.string().optional(),
  action_statement: z.string().optional(),
  timestamp: z.string().optional(),
  last_updated: z.string().optional(),
});

const OpenVexHead = z.looseObject({
  '@context': z.string().regex(/^https:\/\/openvex\.dev\/ns(\/v[0-9.]+)?\/?$/),
  '@id': z.string().optional(),
  author: z.string().optional(),
  timestamp: z.string().optional(),
  version: z.union([z.number(), z.string()]).optional(),
  statements: z.array(z.unknown()),
});

function zodWhere(base: readonly (string | number)[], p: readonly PropertyKey[]): string {
  return jsonPath([...base, ...p.map((x) => (typeof x === 'number' ? x : String(x)))]);
}

function mapProduct(
  raw: unknown,
  path: (string | number)[],
  file: string,
  issues: InputIssue[],
): VexProduct | null {
  const r = OpenVexProduct.safeParse(raw);
  if (!r.success) {
    issues.push({
      file,
      where: jsonPath(path),
      message: 'product skipped: neither an IRI string nor an object with @id/identifiers',
      dropped: true,
    });
    return null;
  }
  const id = typeof r.data === 'string' ? r.data : (r.data['@id'] ?? null);
  const ids = typeof r.data === 'string' ? undefined : r.data.identifiers;
  const idPath = typeof r.data === 'string' ? path : [...path, '@id'];
  let purl: string | null = null;
  let cpe: string | null = null;
  if (id?.startsWith('pkg:')) purl = checkPurl(id, file, jsonPath(idPath), issues);
  else if (id?.startsWith('cpe:')) cpe = checkCpe(id, file, jsonPath(idPath), issues);
  if (ids?.purl !== undefined && purl === null)
    purl = checkPurl(ids.purl, file, jsonPath([...path, 'identifiers', 'purl']), issues);
  const cpeRaw = ids?.cpe23 ?? ids?.cpe22;
  if (cpeRaw !== undefined && cpe === null) {
    cpe = checkCpe(
      cpeRaw,
      file,
      jsonPath([...path, 'identifiers', ids?.cpe23 !== undefined ? 'cpe23' : 'cpe22']),
      issues,
    );
  }
  if (id === null && purl === null && cpe === null) {
    issues.push({
      file,
      where: jsonPath(path),
      message: 'product skipped: no usable @id or identifiers',
      dropped: true,
    });
    return null;
  }
  const parts = purl === null ? null : purlParts(purl);
  return { name: parts?.name ?? null, version: parts?.version ?? null, purl, cpe, ref: id };
}

function mapDocument(json: unknown, file: string): OpenVexReadResult {
  const issues: InputIssue[] = [];
  const head = OpenVexHead.safeParse(json);
  if (!head.success) {
    const ctx =
      typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['@context'] : undefined;
    // A list of contexts that names OpenVEX is OpenVEX with a wrongly typed field.
    const isOpenVex = namesOpenVex(ctx);
    return {
      vex: null,
      issues: isOpenVex
        ? head.error.issues.map((e) => ({
            file,
            where: zodWhere([], e.path),
            message: `not a readable OpenVEX document: ${e.message}`,
          }))
        : [
            {
              file,
              where: '$["@context"]',
              message: 'not an OpenVEX document (@context is not https://openvex.dev/ns…)',
            },
          ],
    };
  }
  const doc = head.data;
  const statements: VexStatement[] = [];
  doc.statements.forEach((raw, i) => {
    const path = ['statements', i];
    const r = OpenVexStatement.safeParse(raw);
    if (!r.success) {
      for (const e of r.error.issues)
        issues.push({
          file,
          where: zodWhere(path, e.path),
          message: `statement skipped: ${e.message}`,
          dropped: true,
        });
      return;
    }
    const s = r.data;
    const products = (s.products ?? [])
      .map((p, j) => mapProduct(p, [...path, 'products', j], file, issues))
      .filter((p): p is VexProduct => p !== null);
    if (products.length === 0) {
      issues.push({ file, where: jsonPath([...path, 'products']), message: 'statement names no product' });
    }
    if (s.status === 'not_affected' && s.justification === undefined && s.impact_statement === undefined) {
      issues.push({
        file,
        where: jsonPath(path),
        message: 'not_affected without justification or impact_statement (OpenVEX requires one)',
      });
    }
    const vuln =
      typeof s.vulnerability === 'string' ? { name: s.vulnerability, aliases: [] } : s.vulnerability;
    statements.push({
      vulnerability: vuln.name,
      aliases: vuln.aliases ?? [],
      products,
      status: s.status,
      justification: s.justification ?? null,
      impactStatement: s.impact_statement ?? null,
      actionStatement: s.action_statement ?? null,
      // Not inherited from the document: a consumer that needs one falls back to VexDocument.timestamp.
      timestamp: s.last_updated ?? s.timestamp ?? null,
      path: jsonPath(path),
    });
  });
  return {
    vex: {
      format: 'openvex',
      id: doc['@id'] ?? null,
      author: doc.author ?? null,
      timestamp: doc.timestamp ?? null,
      version: doc.version === undefined ? null : String(doc.version),
      statements,
    },
    issues,
  };
}

/** Reads an OpenVEX document that was already `JSON.parse`d. */
export function readOpenVex(json: unknown, file: string): OpenVexReadResult {
  try {
    return mapDocument(json, file);
  } catch (err) {
    return { vex: null, issues: [{ file, where: '$', message: `unreadable document: ${errorText(err)}` }] };
  }
}
