/**
 * @module SPDX 2.3 JSON (2.2 accepted) → `Sbom`. Packages become components (externalRefs give purl and
 * CPE), `documentDescribes` / DESCRIBES relationships give the subject, and dependency-like relationships
 * give `dependsOn`. Every package is a component, the described one included: SPDX has no separate
 * "metadata component", and listing it lets matchers see the product's own purl/CPE. Pure, never throws.
 * @see https://spdx.github.io/spdx-spec/v2.3/
 */
import { z } from 'zod';
import type { InputIssue, Sbom, SbomComponent } from '../../advisories/records.js';
import { jsonPath } from '../csaf/csaf-document.js';
import { checkCpe, checkPurl, errorText } from '../cyclonedx/identifiers.js';

export interface SpdxReadResult {
  sbom: Sbom | null;
  issues: InputIssue[];
}

/** @see SPDX 2.3 §7 Package information (only the identifying fields) */
export const SpdxPackage = z.looseObject({
  SPDXID: z.string().min(1),
  name: z.string(),
  versionInfo: z.string().optional(),
  supplier: z.string().optional(),
  primaryPackagePurpose: z.string().optional(),
  externalRefs: z
    .array(
      z.looseObject({
        referenceCategory: z.string().optional(),
        referenceType: z.string(),
        referenceLocator: z.string(),
      }),
    )
    .optional(),
});

export const SpdxRelationship = z.looseObject({
  spdxElementId: z.string(),
  relationshipType: z.string(),
  relatedSpdxElement: z.string(),
});

const SpdxHead = z.looseObject({
  spdxVersion: z.string().regex(/^SPDX-2\.[0-9]+$/),
  SPDXID: z.string().optional(),
  documentNamespace: z.string().optional(),
  documentDescribes: z.array(z.string()).optional(),
  creationInfo: z.looseObject({ created: z.string().optional() }).optional(),
  packages: z.array(z.unknown()).optional(),
  relationships: z.array(z.unknown()).optional(),
});

/** `A <type> B` means A depends on B. @see SPDX 2.3 §11.1 Relationship types */
const FORWARD = new Set(['DEPENDS_ON', 'CONTAINS', 'STATIC_LINK', 'DYNAMIC_LINK']);
/** `A <type> B` means B depends on A. Test/dev/build dependencies are left out: not in the shipped device. */
const REVERSE = new Set(['DEPENDENCY_OF', 'CONTAINED_BY', 'RUNTIME_DEPENDENCY_OF']);

/** `Organization: X (email)` / `Person: X` → `X`; NOASSERTION → null. @see SPDX 2.3 §7.5 */
function supplierName(s: string | undefined): string | null {
  if (s === undefined) return null;
  const v = s
    .replace(/^\s*(Organization|Person|Tool)\s*:\s*/i, '')
    .replace(/\s*\([^()]*\)\s*$/, '')
    .trim();
  return v === '' || v === 'NOASSERTION' || v === 'NONE' ? null : v;
}

function noAssertion(s: string | undefined): string | null {
  return s === undefined || s === '' || s === 'NOASSERTION' || s === 'NONE' ? null : s;
}

function mapDocument(json: unknown, file: string): SpdxReadResult {
  const issues: InputIssue[] = [];
  const head = SpdxHead.safeParse(json);
  if (!head.success) {
    const obj = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : null;
    const v = obj?.spdxVersion;
    if (obj && ('@context' in obj || '@graph' in obj))
      return {
        sbom: null,
        issues: [{ file, where: '$', message: 'SPDX 3 (JSON-LD) is not supported; only SPDX 2.2/2.3 JSON' }],
      };
    if (v === undefined)
      return {
        sbom: null,
        issues: [{ file, where: '$', message: 'not an SPDX 2.x JSON document (no spdxVersion)' }],
      };
    if (typeof v !== 'string' || !/^SPDX-2\.[0-9]+$/.test(v)) {
      const what = typeof v === 'string' ? 'unsupported spdxVersion' : 'spdxVersion is not a string:';
      return {
        sbom: null,
        issues: [{ file, where: '$.spdxVersion', message: `${what} ${JSON.stringify(v)}` }],
      };
    }
    // The version is fine, so another field of the head is what is wrong: say which and how.
    return {
      sbom: null,
      issues: head.error.issues.map((e) => ({
        file,
        where: jsonPath(e.path.map((p) => (typeof p === 'number' ? p : String(p)))),
        message: `not a readable SPDX document: ${e.message}`,
      })),
    };
  }
  const doc = head.data;
  const specVersion = doc.spdxVersion.slice('SPDX-'.length);
  if (specVersion !== '2.2' && specVersion !== '2.3') {
    issues.push({ file, where: '$.spdxVersion', message: `SPDX ${specVersion} is read as 2.3` });
  }

  const components: SbomComponent[] = [];
  const byId = new Map<string, SbomComponent>();
  (doc.packages ?? []).forEach((raw, i) => {
    const path = ['packages', i];
    const r = SpdxPackage.safeParse(raw);
    if (!r.success) {
      for (const e of r.error.issues) {
        issues.push({
          file,
          where: jsonPath([...path, ...e.path.map((p) => (typeof p === 'number' ? p : String(p)))]),
          message: `package skipped: ${e.message}`,
        });
      }
      return;
    }
    const p = r.data;
    if (byId.has(p.SPDXID)) {
      issues.push({
        file,
        where: jsonPath([...path, 'SPDXID']),
        message: `duplicate SPDXID ${JSON.stringify(p.SPDXID)}; package skipped`,
      });
      return;
    }
    let purl: string | null = null;
    const cpes: string[] = [];
    (p.externalRefs ?? []).forEach((ref, j) => {
      const where = jsonPath([...path, 'externalRefs', j, 'referenceLocator']);
      if (ref.referenceType === 'purl') {
        const ok = checkPurl(ref.referenceLocator, file, where, issues);
        // The first valid purl wins; SPDX allows several but a package has one identity.
        if (ok && purl === null) purl = ok;
      } else if (ref.referenceType === 'cpe23Type' || ref.referenceType === 'cpe22Type') {
        const ok = checkCpe(ref.referenceLocator, file, where, issues);
        if (ok && !cpes.includes(ok)) cpes.push(ok);
      }
    });
    const comp: SbomComponent = {
      ref: p.SPDXID,
      type: p.primaryPackagePurpose ? p.primaryPackagePurpose.toLowerCase() : null,
      name: p.name,
      version: noAssertion(p.versionInfo),
      supplier: supplierName(p.supplier),
      purl,
      cpes,
      dependsOn: [],
    };
    byId.set(comp.ref, comp);
    components.push(comp);
  });

  const docId = doc.SPDXID ?? 'SPDXRef-DOCUMENT';
  const described: string[] = [...(doc.documentDescribes ?? [])];
  const link = (from: string, to: string) => {
    const c = byId.get(from);
    // Only links between packages of this document: files and external DocumentRef-… elements have
    // no component to show.
    if (c && byId.has(to) && !c.dependsOn.includes(to)) c.dependsOn.push(to);
  };
  (doc.relationships ?? []).forEach((raw, i) => {
    const r = SpdxRelationship.safeParse(raw);
    if (!r.success) {
      issues.push({
        file,
        where: jsonPath(['relationships', i]),
        message: `relationship ignored: ${r.error.issues[0]?.message ?? 'invalid'}`,
      });
      return;
    }
    const { spdxElementId: a, relationshipType: t, relatedSpdxElement: b } = r.data;
    if (t === 'DESCRIBES' && a === docId) described.push(b);
    else if (t === 'DESCRIBED_BY' && b === docId) described.push(a);
    else if (FORWARD.has(t)) link(a, b);
    else if (REVERSE.has(t)) link(b, a);
  });

  const subjectPkg = described.map((id) => byId.get(id)).find((c) => c !== undefined);
  return {
    sbom: {
      format: 'spdx',
      specVersion,
      serialNumber: doc.documentNamespace ?? null,
      subject: subjectPkg
        ? { name: subjectPkg.name, version: subjectPkg.version, supplier: subjectPkg.supplier }
        : null,
      created: doc.creationInfo?.created ?? null,
      components,
    },
    issues,
  };
}

/** Reads an SPDX 2.2/2.3 JSON document that was already `JSON.parse`d. */
export function readSpdx(json: unknown, file: string): SpdxReadResult {
  try {
    return mapDocument(json, file);
  } catch (err) {
    // Only hostile objects (throwing getters, proxies) get here.
    return { sbom: null, issues: [{ file, where: '$', message: `unreadable document: ${errorText(err)}` }] };
  }
}
