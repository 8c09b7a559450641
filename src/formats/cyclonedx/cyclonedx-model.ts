/**
 * @module A zod model of the CycloneDX fields Vigil reads (1.2–1.6; the readers target 1.4–1.6) and
 * `mapCycloneDx`, which turns a parsed BOM (from JSON, or from XML converted to the JSON shape) into an
 * `Sbom` and/or a `VexDocument`. Objects are loose (CycloneDX allows extensions); each component and
 * vulnerability is parsed on its own so one bad entry becomes an issue and the rest still come through.
 * @see https://cyclonedx.org/docs/1.6/json/
 */
import { z } from 'zod';
import type {
  InputIssue,
  Sbom,
  SbomComponent,
  VexDocument,
  VexProduct,
  VexStatement,
  VexStatus,
} from '../../advisories/records.js';
import { jsonPath } from '../csaf/csaf-document.js';
import { checkCpe, checkPurl, purlParts } from './identifiers.js';

const OrgName = z.looseObject({ name: z.string().optional() });

/** @see CycloneDX 1.6 `component` (only the identifying fields) */
export const CdxComponent = z.looseObject({
  'bom-ref': z.string().optional(),
  type: z.string().optional(),
  name: z.string(),
  group: z.string().optional(),
  version: z.string().optional(),
  supplier: OrgName.optional(),
  /** 1.6 */
  manufacturer: OrgName.optional(),
  purl: z.string().optional(),
  cpe: z.string().optional(),
  components: z.array(z.unknown()).optional(),
});
export type CdxComponent = z.infer<typeof CdxComponent>;

export const CdxMetadata = z.looseObject({
  timestamp: z.string().optional(),
  component: z.unknown().optional(),
  authors: z.array(z.looseObject({ name: z.string().optional() })).optional(),
  supplier: OrgName.optional(),
  /** `manufacture` in 1.2–1.6 (the manufacturer of the described component). */
  manufacture: OrgName.optional(),
  manufacturer: OrgName.optional(),
});

export const CdxDependency = z.looseObject({
  ref: z.string(),
  dependsOn: z.array(z.string()).optional(),
});

/** @see CycloneDX 1.6 `vulnerabilities[].analysis` (impactAnalysisState, impactAnalysisJustification) */
export const CDX_ANALYSIS_STATES = [
  'resolved',
  'resolved_with_pedigree',
  'exploitable',
  'in_triage',
  'false_positive',
  'not_affected',
] as const;

export const CdxVulnerability = z.looseObject({
  'bom-ref': z.string().optional(),
  id: z.string().min(1),
  references: z.array(z.looseObject({ id: z.string() })).optional(),
  published: z.string().optional(),
  updated: z.string().optional(),
  recommendation: z.string().optional(),
  /** 1.5 */
  workaround: z.string().optional(),
  analysis: z
    .looseObject({
      state: z.enum(CDX_ANALYSIS_STATES).optional(),
      justification: z.string().optional(),
      response: z.array(z.string()).optional(),
      detail: z.string().optional(),
      /** 1.5 */
      firstIssued: z.string().optional(),
      lastUpdated: z.string().optional(),
    })
    .optional(),
  affects: z.array(z.looseObject({ ref: z.string() })).optional(),
});

/** Only these two decide whether the input is CycloneDX at all; everything else is parsed piecemeal. */
export const CdxHead = z.looseObject({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z.string(),
  serialNumber: z.string().optional(),
  version: z.number().int().optional(),
  metadata: z.unknown().optional(),
  components: z.array(z.unknown()).optional(),
  dependencies: z.array(z.unknown()).optional(),
  vulnerabilities: z.array(z.unknown()).optional(),
});

export interface CycloneDxReadResult {
  /** Null when the input is not CycloneDX, or is a VEX-only BOM (vulnerabilities, no components). */
  sbom: Sbom | null;
  /** Null unless the BOM has a non-empty `vulnerabilities[]`. */
  vex: VexDocument | null;
  issues: InputIssue[];
}

/** Path segments → place in the input. JSON readers give `$.a[1]`; the XML reader gives `line L:C`. */
export type Locate = (path: readonly (string | number)[]) => string;
export const locateJson: Locate = (path) => jsonPath(path);

/**
 * Nested components deeper than this are reported and skipped. Real BOMs nest a few levels (firmware →
 * module → library); the cap keeps a hostile document from exhausting the stack.
 */
export const MAX_COMPONENT_DEPTH = 32;

/** @see CycloneDX 1.6 impactAnalysisState; mapping fixed by records.ts `VexStatus`. */
const STATE_TO_STATUS: Record<(typeof CDX_ANALYSIS_STATES)[number], VexStatus> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  exploitable: 'affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  in_triage: 'under_investigation',
};

function zodIssues(
  err: z.ZodError,
  base: readonly (string | number)[],
  file: string,
  locate: Locate,
  what: string,
): InputIssue[] {
  return err.issues.map((i) => ({
    file,
    where: locate([...base, ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))]),
    message: `${what}: ${i.message}`,
  }));
}

function nonEmpty(s: string | undefined): string | null {
  return s === undefined || s.trim() === '' ? null : s;
}

interface Ctx {
  file: string;
  locate: Locate;
  issues: InputIssue[];
}

function mapComponent(c: CdxComponent, path: readonly (string | number)[], ctx: Ctx): SbomComponent {
  const purl =
    c.purl === undefined ? null : checkPurl(c.purl, ctx.file, ctx.locate([...path, 'purl']), ctx.issues);
  const cpe =
    c.cpe === undefined ? null : checkCpe(c.cpe, ctx.file, ctx.locate([...path, 'cpe']), ctx.issues);
  return {
    // bom-ref is optional in CycloneDX; the purl, then the JSON path, keep refs unique and stable.
    ref: c['bom-ref'] ?? purl ?? jsonPath(path),
    type: c.type ?? null,
    name: c.name,
    // Real BOMs write `"version": ""` for unversioned hardware (the medical-device SBOM does).
    version: nonEmpty(c.version),
    supplier: nonEmpty(c.supplier?.name) ?? nonEmpty(c.manufacturer?.name),
    purl,
    cpes: cpe === null ? [] : [cpe],
    dependsOn: [],
  };
}

/** Flattens `components[]` and nested `components[].components[]` in document (pre-)order, iteratively. */
function collectComponents(list: unknown[], ctx: Ctx): { comp: SbomComponent; path: string }[] {
  const out: { comp: SbomComponent; path: string }[] = [];
  type Item = { item: unknown; path: (string | number)[]; depth: number };
  const pushAll = (stack: Item[], items: unknown[], base: (string | number)[], depth: number) => {
    for (let i = items.length - 1; i >= 0; i--) stack.push({ item: items[i], path: [...base, i], depth });
  };
  const stack: Item[] = [];
  pushAll(stack, list, ['components'], 1);
  while (stack.length > 0) {
    const { item, path, depth } = stack.pop()!;
    const r = CdxComponent.safeParse(item);
    if (!r.success) {
      ctx.issues.push(...zodIssues(r.error, path, ctx.file, ctx.locate, 'component skipped'));
      continue;
    }
    out.push({ comp: mapComponent(r.data, path, ctx), path: ctx.locate(path) });
    const kids = r.data.components ?? [];
    if (kids.length === 0) continue;
    if (depth >= MAX_COMPONENT_DEPTH) {
      ctx.issues.push({
        file: ctx.file,
        where: ctx.locate([...path, 'components']),
        message: `components nested deeper than ${MAX_COMPONENT_DEPTH} levels; skipped`,
      });
      continue;
    }
    pushAll(stack, kids, [...path, 'components'], depth + 1);
  }
  return out;
}

function statusFields(
  v: z.infer<typeof CdxVulnerability>,
  status: VexStatus,
): Pick<VexStatement, 'justification' | 'impactStatement' | 'actionStatement'> {
  const a = v.analysis;
  const justification = a?.justification ?? (a?.state === 'false_positive' ? 'false_positive' : null);
  if (status === 'affected') {
    const responses = a?.response && a.response.length > 0 ? `response: ${a.response.join(', ')}` : null;
    // The action is what the vendor tells the user to do: the analysis detail first (that is where VEX
    // authors write it, e.g. CISA case 4), then the recommendation/workaround fields of the vulnerability.
    return {
      justification,
      impactStatement: null,
      actionStatement: a?.detail ?? v.recommendation ?? v.workaround ?? responses,
    };
  }
  return { justification, impactStatement: a?.detail ?? null, actionStatement: null };
}

/** `urn:cdx:<serial>/<version>#<bom-ref>` → the bom-ref (percent-decoded). @see CycloneDX BOM-Link */
function bomLinkFragment(ref: string): string | null {
  if (!ref.startsWith('urn:cdx:')) return null;
  const hash = ref.indexOf('#');
  if (hash < 0) return null;
  try {
    return decodeURIComponent(ref.slice(hash + 1));
  } catch {
    return ref.slice(hash + 1);
  }
}

function resolveProduct(ref: string, byRef: Map<string, SbomComponent>): VexProduct {
  const local = byRef.get(ref) ?? byRef.get(bomLinkFragment(ref) ?? '');
  if (local)
    return { name: local.name, version: local.version, purl: local.purl, cpe: local.cpes[0] ?? null, ref };
  // A BOM-Link into another BOM often ends in the component's purl (CycloneDX VEX examples do).
  const frag = bomLinkFragment(ref) ?? ref;
  const parts = frag.startsWith('pkg:') ? purlParts(frag) : null;
  if (parts) return { name: parts.name, version: parts.version, purl: frag, cpe: null, ref };
  return { name: null, version: null, purl: null, cpe: null, ref };
}

/** @see CycloneDX 1.6 JSON schema, the properties of the root object */
const BOM_KEYS = new Set([
  '$schema',
  'bomFormat',
  'specVersion',
  'serialNumber',
  'version',
  'metadata',
  'components',
  'services',
  'externalReferences',
  'dependencies',
  'compositions',
  'properties',
  'vulnerabilities',
  'annotations',
  'formulation',
  'declarations',
  'definitions',
  'signature',
]);

/** Objects with a string `name` and a `purl`, `cpe`, `bom-ref` or `type`: what components look like. */
function looksLikeComponents(x: unknown): x is unknown[] {
  return (
    Array.isArray(x) &&
    x.length > 0 &&
    x.every((c) => {
      if (typeof c !== 'object' || c === null || Array.isArray(c)) return false;
      const o = c as Record<string, unknown>;
      return typeof o.name === 'string' && ['purl', 'cpe', 'bom-ref', 'type'].some((k) => k in o);
    })
  );
}

/**
 * A BOM without components that holds component-like objects under a key CycloneDX does not know
 * (`"componets"`): read as it is, it would be an SBOM that lists nothing, and nothing would ever match
 * the device model it describes. Each such key is an issue that refuses the BOM.
 */
function componentsUnderUnknownKey(bom: Record<string, unknown>, file: string, locate: Locate): InputIssue[] {
  return Object.entries(bom)
    .filter(([k, v]) => !BOM_KEYS.has(k) && looksLikeComponents(v))
    .map(([k, v]) => ({
      file,
      where: locate([k]),
      message: `unknown key ${JSON.stringify(k)} holds ${(v as unknown[]).length} component-like objects and the BOM lists no components: did you mean "components"?`,
      dropped: true,
    }));
}

/**
 * Maps an already-parsed BOM. Never throws on data (a throwing getter is caught by the callers).
 * @param raw JSON value (from `JSON.parse` or the XML converter)
 */
export function mapCycloneDx(raw: unknown, file: string, locate: Locate): CycloneDxReadResult {
  const issues: InputIssue[] = [];
  const head = CdxHead.safeParse(raw);
  if (!head.success) {
    const fmt = (raw as { bomFormat?: unknown } | null)?.bomFormat;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || fmt !== 'CycloneDX') {
      const has = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && fmt !== undefined;
      return {
        sbom: null,
        vex: null,
        issues: [
          {
            file,
            where: locate(has ? ['bomFormat'] : []),
            message: `not a CycloneDX BOM (bomFormat is ${has ? JSON.stringify(fmt) : 'missing'}, not "CycloneDX")`,
          },
        ],
      };
    }
    return {
      sbom: null,
      vex: null,
      issues: zodIssues(head.error, [], file, locate, 'not a readable CycloneDX BOM'),
    };
  }
  const bom = head.data;
  const ctx: Ctx = { file, locate, issues };
  if (!/^1\.[0-9]+$/.test(bom.specVersion)) {
    issues.push({
      file,
      where: locate(['specVersion']),
      message: `unknown CycloneDX specVersion ${JSON.stringify(bom.specVersion)}; read as 1.x`,
    });
  }

  let meta: z.infer<typeof CdxMetadata> | undefined;
  if (bom.metadata !== undefined) {
    const m = CdxMetadata.safeParse(bom.metadata);
    if (m.success) meta = m.data;
    else issues.push(...zodIssues(m.error, ['metadata'], file, locate, 'metadata ignored'));
  }
  let subjectComp: SbomComponent | null = null;
  if (meta?.component !== undefined) {
    const c = CdxComponent.safeParse(meta.component);
    if (c.success) subjectComp = mapComponent(c.data, ['metadata', 'component'], ctx);
    else
      issues.push(
        ...zodIssues(c.error, ['metadata', 'component'], file, locate, 'metadata.component ignored'),
      );
  }

  const collected = collectComponents(bom.components ?? [], ctx);
  const byRef = new Map<string, SbomComponent>();
  if (subjectComp) byRef.set(subjectComp.ref, subjectComp);
  const components: SbomComponent[] = [];
  for (const { comp, path } of collected) {
    if (byRef.has(comp.ref) && byRef.get(comp.ref) !== subjectComp) {
      issues.push({
        file,
        where: path,
        message: `duplicate bom-ref ${JSON.stringify(comp.ref)}; renamed to its path`,
      });
      comp.ref = path;
    }
    byRef.set(comp.ref, comp);
    components.push(comp);
  }

  (bom.dependencies ?? []).forEach((d, i) => {
    const r = CdxDependency.safeParse(d);
    if (!r.success) {
      issues.push(...zodIssues(r.error, ['dependencies', i], file, locate, 'dependency ignored'));
      return;
    }
    const comp = byRef.get(r.data.ref);
    if (comp && r.data.dependsOn)
      comp.dependsOn.push(...r.data.dependsOn.filter((x) => !comp.dependsOn.includes(x)));
  });

  const misspelt = components.length === 0 ? componentsUnderUnknownKey(bom, file, locate) : [];
  issues.push(...misspelt);
  const hasVulns = (bom.vulnerabilities?.length ?? 0) > 0;
  const sbom: Sbom | null =
    misspelt.length === 0 && (bom.components !== undefined || !hasVulns)
      ? {
          format: 'cyclonedx',
          specVersion: bom.specVersion,
          serialNumber: bom.serialNumber ?? null,
          subject: subjectComp
            ? { name: subjectComp.name, version: subjectComp.version, supplier: subjectComp.supplier }
            : null,
          created: meta?.timestamp ?? null,
          components,
        }
      : null;

  let vex: VexDocument | null = null;
  if (hasVulns) {
    const statements: VexStatement[] = [];
    (bom.vulnerabilities ?? []).forEach((v, i) => {
      const path = ['vulnerabilities', i];
      const r = CdxVulnerability.safeParse(v);
      if (!r.success) {
        issues.push(
          ...zodIssues(r.error, path, file, locate, 'vulnerability skipped').map((x) => ({
            ...x,
            dropped: true as const,
          })),
        );
        return;
      }
      const state = r.data.analysis?.state;
      if (state === undefined) {
        // A VDR entry (vulnerability without analysis) says nothing about exploitability.
        issues.push({
          file,
          where: locate([...path, 'analysis']),
          message: `${r.data.id} has no analysis.state; not a VEX statement, skipped`,
        });
        return;
      }
      const status = STATE_TO_STATUS[state];
      const affects = r.data.affects ?? [];
      if (affects.length === 0) {
        issues.push({
          file,
          where: locate([...path, 'affects']),
          message: `${r.data.id} has no affects[]; the statement names no product`,
        });
      }
      statements.push({
        vulnerability: r.data.id,
        aliases: [...new Set((r.data.references ?? []).map((x) => x.id).filter((x) => x !== r.data.id))],
        products: affects.map((a) => resolveProduct(a.ref, byRef)),
        status,
        ...statusFields(r.data, status),
        timestamp: r.data.analysis?.lastUpdated ?? r.data.updated ?? r.data.published ?? null,
        path: locate(path),
      });
    });
    vex = {
      format: 'cyclonedx',
      id: bom.serialNumber ?? null,
      author:
        meta?.authors?.find((a) => a.name)?.name ??
        meta?.manufacture?.name ??
        meta?.manufacturer?.name ??
        meta?.supplier?.name ??
        null,
      timestamp: meta?.timestamp ?? null,
      version: bom.version === undefined ? null : String(bom.version),
      statements,
    };
  }
  return { sbom, vex, issues };
}
