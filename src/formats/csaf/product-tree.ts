/**
 * @module Flattens a CSAF 2.0 product tree into one `CsafProduct` per product_id (branch products, full
 * product names and relationship products) and checks that every product_id / group_id referenced by the
 * vulnerabilities is defined. Raw strings are kept verbatim: spellings such as `Phillips` or `Medtronic `
 * (trailing space) are evidence for the name-normalisation module, which must see them as written.
 * @see CSAF 2.0 §3.2.2 Product Tree Property
 * @see CSAF 2.0 §6.1.1 Missing Definition of Product ID, §6.1.2 Multiple Definition of Product ID,
 *   §6.1.4 Missing Definition of Product Group ID, §6.1.5 Multiple Definition of Product Group ID,
 *   §6.1.6 Contradicting Product Status
 */
import {
  CSAF_PRODUCT_STATUS_KEYS,
  type CsafBranch,
  type CsafBranchCategory,
  type CsafDocument,
  type CsafFullProductName,
  type CsafIssue,
  type CsafProductIdentificationHelper,
  type CsafRelationshipCategory,
  jsonPath,
} from './csaf-document.js';

/** The same descriptive fields with surrounding whitespace removed and inner runs collapsed to one space. */
export interface CsafProductTrimmed {
  name: string;
  vendor: string | null;
  productFamily: string | null;
  productName: string | null;
  version: string | null;
  versionRange: string | null;
}

export interface CsafProduct {
  productId: string;
  /** The full product name as written (`product.name`). */
  name: string;
  vendor: string | null;
  productFamily: string | null;
  productName: string | null;
  /** `product_version` branch name, verbatim. */
  version: string | null;
  /** `product_version_range` branch name, verbatim (`vers:` or free text); interpretation is elsewhere. */
  versionRange: string | null;
  helpers: CsafProductIdentificationHelper | null;
  /** Branch names from the root down to the product, verbatim. */
  via: string[];
  /** Branches of other categories on the way (architecture, language, patch_level, …), verbatim. */
  otherBranches: { category: CsafBranchCategory; name: string }[];
  /** Present when the product is defined by a relationship (e.g. firmware installed_on a device). */
  relationship: { category: CsafRelationshipCategory; component: string; platform: string } | null;
  /** JSON path of the definition, for explanations and error messages. */
  path: string;
  trimmed: CsafProductTrimmed;
}

export interface CsafProductIndex {
  products: CsafProduct[];
  byId: Map<string, CsafProduct>;
  /** group_id → member product_ids. @see CSAF 2.0 §3.2.2.3 */
  groups: Map<string, string[]>;
  issues: CsafIssue[];
}

/** Trimmed and whitespace-collapsed; keeps case and punctuation (that is the normaliser's job). */
export function trimName(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function trimOrNull(s: string | null): string | null {
  return s === null ? null : trimName(s);
}

interface BranchContext {
  vendor: string | null;
  productFamily: string | null;
  productName: string | null;
  version: string | null;
  versionRange: string | null;
  via: string[];
  otherBranches: { category: CsafBranchCategory; name: string }[];
}

function makeProduct(
  fpn: CsafFullProductName,
  ctx: BranchContext,
  path: (string | number)[],
  relationship: CsafProduct['relationship'],
): CsafProduct {
  return {
    productId: fpn.product_id,
    name: fpn.name,
    vendor: ctx.vendor,
    productFamily: ctx.productFamily,
    productName: ctx.productName,
    version: ctx.version,
    versionRange: ctx.versionRange,
    helpers: fpn.product_identification_helper ?? null,
    via: ctx.via,
    otherBranches: ctx.otherBranches,
    relationship,
    path: jsonPath(path),
    trimmed: {
      name: trimName(fpn.name),
      vendor: trimOrNull(ctx.vendor),
      productFamily: trimOrNull(ctx.productFamily),
      productName: trimOrNull(ctx.productName),
      version: trimOrNull(ctx.version),
      versionRange: trimOrNull(ctx.versionRange),
    },
  };
}

const EMPTY_CONTEXT: BranchContext = {
  vendor: null,
  productFamily: null,
  productName: null,
  version: null,
  versionRange: null,
  via: [],
  otherBranches: [],
};

function descend(ctx: BranchContext, b: CsafBranch): BranchContext {
  const next: BranchContext = { ...ctx, via: [...ctx.via, b.name] };
  switch (b.category) {
    case 'vendor':
      next.vendor = b.name;
      break;
    case 'product_family':
      next.productFamily = b.name;
      break;
    case 'product_name':
      next.productName = b.name;
      break;
    case 'product_version':
      next.version = b.name;
      break;
    case 'product_version_range':
      next.versionRange = b.name;
      break;
    default:
      next.otherBranches = [...ctx.otherBranches, { category: b.category, name: b.name }];
  }
  return next;
}

/**
 * Walks branches, full_product_names and relationships. A relationship product takes its vendor/name/
 * version from the component (`product_reference`): that is the vulnerable part, and the platform is
 * kept in `relationship` so the matcher can require both.
 */
export function flattenProductTree(doc: CsafDocument, file: string): CsafProductIndex {
  const products: CsafProduct[] = [];
  const byId = new Map<string, CsafProduct>();
  const groups = new Map<string, string[]>();
  const issues: CsafIssue[] = [];
  const tree = doc.product_tree;

  const add = (p: CsafProduct) => {
    const prior = byId.get(p.productId);
    if (prior) {
      issues.push({
        file,
        path: p.path,
        reason: `product_id ${JSON.stringify(p.productId)} already defined at ${prior.path} (CSAF 2.0 §6.1.2)`,
      });
      return;
    }
    byId.set(p.productId, p);
    products.push(p);
  };

  // Iterative walk with an explicit stack: a hostile document can nest branches deeper than the JS stack.
  const stack: { branch: CsafBranch; ctx: BranchContext; path: (string | number)[] }[] = [];
  (tree?.branches ?? []).forEach((b, i) => {
    stack.push({ branch: b, ctx: EMPTY_CONTEXT, path: ['product_tree', 'branches', i] });
  });
  while (stack.length > 0) {
    const { branch, ctx, path } = stack.pop()!;
    const here = descend(ctx, branch);
    if (branch.product) {
      add(makeProduct(branch.product, here, [...path, 'product'], null));
    }
    // The 2.0 JSON schema gives each branch exactly three properties: category, name, and one of
    // branches / product. A leaf without a product defines nothing a status could refer to.
    if (!branch.product && !branch.branches) {
      issues.push({
        file,
        path: jsonPath(path),
        reason: 'branch has neither product nor branches (CSAF 2.0 §3.1.2)',
      });
    } else if (branch.product && branch.branches) {
      issues.push({
        file,
        path: jsonPath(path),
        reason: 'branch has both product and branches (CSAF 2.0 §3.1.2)',
      });
    }
    const kids = branch.branches ?? [];
    for (let i = kids.length - 1; i >= 0; i--) {
      stack.push({ branch: kids[i]!, ctx: here, path: [...path, 'branches', i] });
    }
  }

  (tree?.full_product_names ?? []).forEach((fpn, i) => {
    add(makeProduct(fpn, EMPTY_CONTEXT, ['product_tree', 'full_product_names', i], null));
  });

  // Relationships may refer to each other's products, so define all of them before resolving components.
  const rels = tree?.relationships ?? [];
  rels.forEach((rel, i) => {
    const path: (string | number)[] = ['product_tree', 'relationships', i];
    const component = byId.get(rel.product_reference);
    const platform = byId.get(rel.relates_to_product_reference);
    if (!component) {
      issues.push({
        file,
        path: jsonPath([...path, 'product_reference']),
        reason: `unknown product_id ${JSON.stringify(rel.product_reference)} (CSAF 2.0 §6.1.1)`,
      });
    }
    if (!platform) {
      issues.push({
        file,
        path: jsonPath([...path, 'relates_to_product_reference']),
        reason: `unknown product_id ${JSON.stringify(rel.relates_to_product_reference)} (CSAF 2.0 §6.1.1)`,
      });
    }
    const ctx: BranchContext = component
      ? {
          vendor: component.vendor,
          productFamily: component.productFamily,
          productName: component.productName,
          version: component.version,
          versionRange: component.versionRange,
          via: component.via,
          otherBranches: component.otherBranches,
        }
      : EMPTY_CONTEXT;
    add(
      makeProduct(rel.full_product_name, ctx, [...path, 'full_product_name'], {
        category: rel.category,
        component: rel.product_reference,
        platform: rel.relates_to_product_reference,
      }),
    );
  });

  (tree?.product_groups ?? []).forEach((g, i) => {
    const path: (string | number)[] = ['product_tree', 'product_groups', i];
    if (groups.has(g.group_id)) {
      issues.push({
        file,
        path: jsonPath([...path, 'group_id']),
        reason: `group_id ${JSON.stringify(g.group_id)} defined twice (CSAF 2.0 §6.1.5)`,
      });
      return;
    }
    g.product_ids.forEach((id, j) => {
      if (!byId.has(id)) {
        issues.push({
          file,
          path: jsonPath([...path, 'product_ids', j]),
          reason: `unknown product_id ${JSON.stringify(id)} (CSAF 2.0 §6.1.1)`,
        });
      }
    });
    groups.set(g.group_id, [...g.product_ids]);
  });

  issues.push(...checkVulnerabilityReferences(doc, byId, groups, file));
  return { products, byId, groups, issues };
}

type StatusGroup = 'affected' | 'not_affected' | 'fixed' | 'under_investigation' | 'recommended';

/** @see CSAF 2.0 §6.1.6: these groups are mutually exclusive; `recommended` may overlap any of them. */
const STATUS_GROUP: Record<(typeof CSAF_PRODUCT_STATUS_KEYS)[number], StatusGroup> = {
  first_affected: 'affected',
  known_affected: 'affected',
  last_affected: 'affected',
  known_not_affected: 'not_affected',
  first_fixed: 'fixed',
  fixed: 'fixed',
  under_investigation: 'under_investigation',
  recommended: 'recommended',
};

/**
 * Every product_id and group_id a vulnerability uses must be defined, and a product may not be both
 * affected and fixed in one vulnerability: either would silently change what the matcher concludes.
 */
function checkVulnerabilityReferences(
  doc: CsafDocument,
  byId: ReadonlyMap<string, CsafProduct>,
  groups: ReadonlyMap<string, string[]>,
  file: string,
): CsafIssue[] {
  const issues: CsafIssue[] = [];
  const checkIds = (ids: readonly string[] | undefined, path: (string | number)[]) => {
    ids?.forEach((id, j) => {
      if (!byId.has(id)) {
        issues.push({
          file,
          path: jsonPath([...path, j]),
          reason: `unknown product_id ${JSON.stringify(id)} (CSAF 2.0 §6.1.1)`,
        });
      }
    });
  };
  const checkGroups = (ids: readonly string[] | undefined, path: (string | number)[]) => {
    ids?.forEach((id, j) => {
      if (!groups.has(id)) {
        issues.push({
          file,
          path: jsonPath([...path, j]),
          reason: `unknown group_id ${JSON.stringify(id)} (CSAF 2.0 §6.1.4)`,
        });
      }
    });
  };

  (doc.vulnerabilities ?? []).forEach((v, vi) => {
    const base: (string | number)[] = ['vulnerabilities', vi];
    const seen = new Map<string, { group: StatusGroup; key: string }>();
    for (const key of CSAF_PRODUCT_STATUS_KEYS) {
      const ids = v.product_status?.[key];
      checkIds(ids, [...base, 'product_status', key]);
      const group = STATUS_GROUP[key];
      if (group === 'recommended') continue;
      ids?.forEach((id, j) => {
        const prior = seen.get(id);
        if (prior && prior.group !== group) {
          issues.push({
            file,
            path: jsonPath([...base, 'product_status', key, j]),
            reason: `product_id ${JSON.stringify(id)} is both ${prior.key} and ${key} (CSAF 2.0 §6.1.6)`,
          });
        } else if (!prior) {
          seen.set(id, { group, key });
        }
      });
    }
    v.remediations?.forEach((r, ri) => {
      checkIds(r.product_ids, [...base, 'remediations', ri, 'product_ids']);
      checkGroups(r.group_ids, [...base, 'remediations', ri, 'group_ids']);
    });
    v.scores?.forEach((s, si) => {
      checkIds(s.products, [...base, 'scores', si, 'products']);
    });
    v.threats?.forEach((t, ti) => {
      checkIds(t.product_ids, [...base, 'threats', ti, 'product_ids']);
      checkGroups(t.group_ids, [...base, 'threats', ti, 'group_ids']);
    });
    v.flags?.forEach((f, fi) => {
      checkIds(f.product_ids, [...base, 'flags', fi, 'product_ids']);
      checkGroups(f.group_ids, [...base, 'flags', fi, 'group_ids']);
    });
  });
  return issues;
}
