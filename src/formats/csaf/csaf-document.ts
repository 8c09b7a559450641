/**
 * @module A zod model of the CSAF 2.0 fields Vigil reads (document metadata, product tree,
 * vulnerabilities) and `parseCsafDocument`, which turns untrusted JSON into a typed document or a list of
 * `{ file, path, reason }` issues with JSON paths. Pure: no I/O, never throws.
 *
 * Objects are parsed loosely (unknown keys are kept, not rejected) because CSAF allows extensions and
 * providers add fields over time; enumerations and required fields follow the standard strictly, because
 * a wrong category or a missing product_id changes what a hospital is told about its devices.
 * @see CSAF 2.0 §3 (schema elements), https://docs.oasis-open.org/csaf/csaf/v2.0/csaf-v2.0.html
 */
import { z } from 'zod';

/** @see CSAF 2.0 §3.1.5 Notes Type */
export const CsafNote = z.looseObject({
  category: z.enum(['description', 'details', 'faq', 'general', 'legal_disclaimer', 'other', 'summary']),
  text: z.string(),
  title: z.string().optional(),
  audience: z.string().optional(),
});
export type CsafNote = z.infer<typeof CsafNote>;

/** @see CSAF 2.0 §3.1.10 References Type */
export const CsafReference = z.looseObject({
  category: z.enum(['external', 'self']).optional(),
  summary: z.string(),
  url: z.string(),
});
export type CsafReference = z.infer<typeof CsafReference>;

/** @see CSAF 2.0 §3.1.3.3.2 hashes */
const CsafHash = z.looseObject({
  file_hashes: z.array(z.looseObject({ algorithm: z.string(), value: z.string() })).min(1),
  filename: z.string(),
});

/** @see CSAF 2.0 §3.1.3.3 Full Product Name Type - Product Identification Helper */
export const CsafProductIdentificationHelper = z.looseObject({
  /** @see CSAF 2.0 §3.1.3.3.1 */
  cpe: z.string().optional(),
  hashes: z.array(CsafHash).optional(),
  /** @see CSAF 2.0 §3.1.3.3.3 */
  model_numbers: z.array(z.string()).optional(),
  /** @see CSAF 2.0 §3.1.3.3.4 */
  purl: z.string().optional(),
  /** @see CSAF 2.0 §3.1.3.3.5 */
  sbom_urls: z.array(z.string()).optional(),
  /** @see CSAF 2.0 §3.1.3.3.6 */
  serial_numbers: z.array(z.string()).optional(),
  /** @see CSAF 2.0 §3.1.3.3.7 */
  skus: z.array(z.string()).optional(),
  /** @see CSAF 2.0 §3.1.3.3.8 */
  x_generic_uris: z.array(z.looseObject({ namespace: z.string(), uri: z.string() })).optional(),
});
export type CsafProductIdentificationHelper = z.infer<typeof CsafProductIdentificationHelper>;

/** @see CSAF 2.0 §3.1.3 Full Product Name Type */
export const CsafFullProductName = z.looseObject({
  name: z.string().min(1),
  product_id: z.string().min(1),
  product_identification_helper: CsafProductIdentificationHelper.optional(),
});
export type CsafFullProductName = z.infer<typeof CsafFullProductName>;

/** @see CSAF 2.0 §3.1.2.2 Branches Type - Category */
export const CSAF_BRANCH_CATEGORIES = [
  'architecture',
  'host_name',
  'language',
  'legacy',
  'patch_level',
  'product_family',
  'product_name',
  'product_version',
  'product_version_range',
  'service_pack',
  'specification',
  'vendor',
] as const;
export type CsafBranchCategory = (typeof CSAF_BRANCH_CATEGORIES)[number];

export interface CsafBranch {
  category: CsafBranchCategory;
  name: string;
  branches?: CsafBranch[] | undefined;
  product?: CsafFullProductName | undefined;
}

/**
 * Recursive: a branch holds either sub-branches or a product (the standard allows both to be absent only
 * in invalid documents, which the product-tree walk reports rather than the schema, so the path points at
 * the branch itself).
 * @see CSAF 2.0 §3.1.2 Branches Type
 */
export const CsafBranch: z.ZodType<CsafBranch> = z.lazy(() =>
  z.looseObject({
    category: z.enum(CSAF_BRANCH_CATEGORIES),
    name: z.string().min(1),
    branches: z.array(CsafBranch).min(1).optional(),
    product: CsafFullProductName.optional(),
  }),
);

/** @see CSAF 2.0 §3.2.2.4 Product Tree Property - Relationships (category) */
export const CSAF_RELATIONSHIP_CATEGORIES = [
  'default_component_of',
  'external_component_of',
  'installed_on',
  'installed_with',
  'optional_component_of',
] as const;
export type CsafRelationshipCategory = (typeof CSAF_RELATIONSHIP_CATEGORIES)[number];

/** @see CSAF 2.0 §3.2.2.4 Product Tree Property - Relationships */
export const CsafRelationship = z.looseObject({
  category: z.enum(CSAF_RELATIONSHIP_CATEGORIES),
  full_product_name: CsafFullProductName,
  product_reference: z.string().min(1),
  relates_to_product_reference: z.string().min(1),
});
export type CsafRelationship = z.infer<typeof CsafRelationship>;

/** @see CSAF 2.0 §3.2.2.3 Product Tree Property - Product Groups */
export const CsafProductGroup = z.looseObject({
  group_id: z.string().min(1),
  product_ids: z.array(z.string().min(1)).min(2),
  summary: z.string().optional(),
});
export type CsafProductGroup = z.infer<typeof CsafProductGroup>;

/** @see CSAF 2.0 §3.2.2 Product Tree Property */
export const CsafProductTree = z.looseObject({
  branches: z.array(CsafBranch).min(1).optional(),
  full_product_names: z.array(CsafFullProductName).min(1).optional(),
  product_groups: z.array(CsafProductGroup).min(1).optional(),
  relationships: z.array(CsafRelationship).min(1).optional(),
});
export type CsafProductTree = z.infer<typeof CsafProductTree>;

/** @see CSAF 2.0 §3.2.1.12.6 Revision History */
const CsafRevision = z.looseObject({
  date: z.string(),
  number: z.string(),
  summary: z.string(),
  legacy_version: z.string().optional(),
});

/** @see CSAF 2.0 §3.2.1.12 Document Property - Tracking */
export const CsafTracking = z.looseObject({
  id: z.string().min(1),
  version: z.string().min(1),
  status: z.enum(['draft', 'final', 'interim']),
  initial_release_date: z.string(),
  current_release_date: z.string(),
  revision_history: z.array(CsafRevision).min(1),
  aliases: z.array(z.string()).optional(),
});
export type CsafTracking = z.infer<typeof CsafTracking>;

/** @see CSAF 2.0 §3.2.1.8 Document Property - Publisher */
export const CsafPublisher = z.looseObject({
  category: z.enum(['coordinator', 'discoverer', 'other', 'translator', 'user', 'vendor']),
  name: z.string().min(1),
  namespace: z.string(),
  contact_details: z.string().optional(),
  issuing_authority: z.string().optional(),
});

/** @see CSAF 2.0 §3.2.1 Document Property */
export const CsafDocumentMeta = z.looseObject({
  category: z.string().min(1),
  /** Only 2.0 is read; a 2.1 document has different score and status semantics. */
  csaf_version: z.literal('2.0'),
  title: z.string().min(1),
  publisher: CsafPublisher,
  tracking: CsafTracking,
  lang: z.string().optional(),
  notes: z.array(CsafNote).min(1).optional(),
  references: z.array(CsafReference).min(1).optional(),
  distribution: z.looseObject({}).optional(),
});

/** @see CSAF 2.0 §3.2.3.9 Vulnerabilities Property - Product Status */
export const CSAF_PRODUCT_STATUS_KEYS = [
  'first_affected',
  'first_fixed',
  'fixed',
  'known_affected',
  'known_not_affected',
  'last_affected',
  'recommended',
  'under_investigation',
] as const;
export type CsafProductStatusKey = (typeof CSAF_PRODUCT_STATUS_KEYS)[number];

const ProductIds = z.array(z.string().min(1)).min(1);

export const CsafProductStatus = z.looseObject(
  Object.fromEntries(CSAF_PRODUCT_STATUS_KEYS.map((k) => [k, ProductIds.optional()])) as Record<
    CsafProductStatusKey,
    z.ZodOptional<typeof ProductIds>
  >,
);
export type CsafProductStatus = z.infer<typeof CsafProductStatus>;

/** @see CSAF 2.0 §3.2.3.12.1 Remediations - Category */
export const CSAF_REMEDIATION_CATEGORIES = [
  'mitigation',
  'no_fix_planned',
  'none_available',
  'vendor_fix',
  'workaround',
] as const;
export type CsafRemediationCategory = (typeof CSAF_REMEDIATION_CATEGORIES)[number];

/** @see CSAF 2.0 §3.2.3.12 Vulnerabilities Property - Remediations */
export const CsafRemediation = z.looseObject({
  category: z.enum(CSAF_REMEDIATION_CATEGORIES),
  details: z.string(),
  url: z.string().optional(),
  date: z.string().optional(),
  product_ids: ProductIds.optional(),
  group_ids: ProductIds.optional(),
  entitlements: z.array(z.string()).optional(),
  restart_required: z.looseObject({ category: z.string() }).optional(),
});
export type CsafRemediation = z.infer<typeof CsafRemediation>;

/**
 * Only the fields Vigil shows are modelled; the rest of the FIRST CVSS JSON objects stay as loose keys.
 * @see CSAF 2.0 §3.2.3.13 Vulnerabilities Property - Scores
 */
const CvssV3 = z.looseObject({
  version: z.enum(['3.0', '3.1']).optional(),
  vectorString: z.string(),
  baseScore: z.number().min(0).max(10),
  baseSeverity: z.string().optional(),
});
const CvssV2 = z.looseObject({
  version: z.literal('2.0').optional(),
  vectorString: z.string(),
  baseScore: z.number().min(0).max(10),
});
export const CsafScore = z.looseObject({
  products: ProductIds,
  cvss_v2: CvssV2.optional(),
  cvss_v3: CvssV3.optional(),
});
export type CsafScore = z.infer<typeof CsafScore>;

/** @see CSAF 2.0 §3.2.3.14 Vulnerabilities Property - Threats */
export const CsafThreat = z.looseObject({
  category: z.enum(['exploit_status', 'impact', 'target_set']),
  details: z.string(),
  date: z.string().optional(),
  product_ids: ProductIds.optional(),
  group_ids: ProductIds.optional(),
});
export type CsafThreat = z.infer<typeof CsafThreat>;

/** @see CSAF 2.0 §3.2.3.5 Vulnerabilities Property - Flags */
export const CsafFlag = z.looseObject({
  label: z.enum([
    'component_not_present',
    'inline_mitigations_already_exist',
    'vulnerable_code_cannot_be_controlled_by_adversary',
    'vulnerable_code_not_in_execute_path',
    'vulnerable_code_not_present',
  ]),
  date: z.string().optional(),
  product_ids: ProductIds.optional(),
  group_ids: ProductIds.optional(),
});
export type CsafFlag = z.infer<typeof CsafFlag>;

/** @see CSAF 2.0 §3.2.3 Vulnerabilities Property */
export const CsafVulnerability = z.looseObject({
  /** @see CSAF 2.0 §3.2.3.2 */
  cve: z
    .string()
    .regex(/^CVE-[0-9]{4}-[0-9]{4,}$/)
    .optional(),
  /** @see CSAF 2.0 §3.2.3.3 */
  cwe: z.looseObject({ id: z.string(), name: z.string() }).optional(),
  /** @see CSAF 2.0 §3.2.3.15 */
  title: z.string().optional(),
  /** @see CSAF 2.0 §3.2.3.6 */
  ids: z
    .array(z.looseObject({ system_name: z.string(), text: z.string() }))
    .min(1)
    .optional(),
  notes: z.array(CsafNote).min(1).optional(),
  references: z.array(CsafReference).min(1).optional(),
  product_status: CsafProductStatus.optional(),
  remediations: z.array(CsafRemediation).min(1).optional(),
  scores: z.array(CsafScore).min(1).optional(),
  threats: z.array(CsafThreat).min(1).optional(),
  flags: z.array(CsafFlag).min(1).optional(),
  discovery_date: z.string().optional(),
  release_date: z.string().optional(),
});
export type CsafVulnerability = z.infer<typeof CsafVulnerability>;

/** @see CSAF 2.0 §3.2 Properties (document, product_tree, vulnerabilities) */
export const CsafDocument = z.looseObject({
  document: CsafDocumentMeta,
  product_tree: CsafProductTree.optional(),
  vulnerabilities: z.array(CsafVulnerability).min(1).optional(),
});
export type CsafDocument = z.infer<typeof CsafDocument>;

/** One problem found in a CSAF file; `path` is a JSON path from the document root (`$`). */
export interface CsafIssue {
  file: string;
  path: string;
  reason: string;
}

export type CsafParseResult = { ok: true; doc: CsafDocument } | { ok: false; issues: CsafIssue[] };

/** `['product_tree', 'branches', 0, 'name']` → `$.product_tree.branches[0].name`. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}

/**
 * CSAF sets no depth limit on branches, but real trees are vendor → family → name → version (≤ 6 levels
 * in every CISA file) and the recursive schema needs several stack frames per level, so a hostile
 * document could otherwise exhaust the stack. Checked iteratively before schema validation.
 */
export const MAX_BRANCH_DEPTH = 64;

function tooDeepBranch(json: unknown): (string | number)[] | null {
  const tree = (json as { product_tree?: { branches?: unknown } } | null)?.product_tree;
  const stack: { node: unknown; path: (string | number)[]; depth: number }[] = [
    { node: tree?.branches, path: ['product_tree', 'branches'], depth: 1 },
  ];
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop()!;
    if (!Array.isArray(node)) continue;
    for (let i = 0; i < node.length; i++) {
      if (depth > MAX_BRANCH_DEPTH) return [...path, i];
      const kids = (node[i] as { branches?: unknown } | null)?.branches;
      stack.push({ node: kids, path: [...path, i, 'branches'], depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Validates `json` (already `JSON.parse`d) against the CSAF 2.0 model. Every schema problem is reported,
 * not just the first, so a provider can fix a document in one round.
 */
export function parseCsafDocument(json: unknown, file: string): CsafParseResult {
  let result: ReturnType<typeof CsafDocument.safeParse>;
  try {
    const deep = tooDeepBranch(json);
    if (deep) {
      return {
        ok: false,
        issues: [
          { file, path: jsonPath(deep), reason: `branches nested deeper than ${MAX_BRANCH_DEPTH} levels` },
        ],
      };
    }
    result = CsafDocument.safeParse(json);
  } catch (err) {
    // safeParse does not throw on bad input, but a hostile object (a throwing getter, a Proxy) could;
    // a batch import must still get a per-file answer.
    return { ok: false, issues: [{ file, path: '$', reason: `unreadable document: ${String(err)}` }] };
  }
  if (result.success) return { ok: true, doc: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => ({ file, path: jsonPath(i.path), reason: i.message })),
  };
}
