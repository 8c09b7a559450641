/**
 * @module Which SBOM or VEX format a parsed JSON document is, from the one marker each format requires,
 * so that a document damaged elsewhere is reported by its own reader ("$.statements: expected array")
 * instead of by whichever reader happened to be tried last ("not a CycloneDX BOM"). Pure.
 */
import { isRecord } from './read-result.js';

export type SbomVexFormat = 'cyclonedx' | 'spdx' | 'openvex' | 'csaf';

/** The format's name as users know it, and the marker that makes a document that format. */
export const SBOM_VEX_FORMATS: Record<SbomVexFormat, { name: string; marker: string }> = {
  openvex: { name: 'OpenVEX', marker: '@context https://openvex.dev/ns…' },
  csaf: { name: 'CSAF VEX', marker: 'document.category "csaf_vex"' },
  cyclonedx: { name: 'CycloneDX', marker: 'bomFormat "CycloneDX"' },
  spdx: { name: 'SPDX', marker: 'spdxVersion "SPDX-2.x"' },
};

const isOpenVexContext = (x: unknown): boolean =>
  typeof x === 'string' && x.startsWith('https://openvex.dev/ns');

/**
 * Whether a document's `@context` names OpenVEX: the one string, or a list of contexts (JSON-LD allows
 * one) that holds it, for which the OpenVEX reader then says that it must be one string.
 */
export const namesOpenVex = (ctx: unknown): boolean =>
  isOpenVexContext(ctx) || (Array.isArray(ctx) && ctx.some(isOpenVexContext));

/**
 * The format whose marker the document carries, or null. The markers are the fields a reader cannot do
 * without and no other of these formats has:
 * @see OpenVEX spec §Document (`@context`), CSAF 2.0 §3.2.1.2 and §3.2.1.4 (`document.category`,
 * `document.csaf_version`), CycloneDX 1.6 `bomFormat` (or its `$schema`), SPDX 2.3 §6.1 (`spdxVersion`) and §6.3 (`SPDXID`).
 */
export function sbomVexFormat(json: unknown): SbomVexFormat | null {
  if (!isRecord(json)) return null;
  const ctx = json['@context'];
  if (namesOpenVex(ctx)) return 'openvex';
  const doc = json.document;
  if (
    isRecord(doc) &&
    ((typeof doc.category === 'string' && doc.category.startsWith('csaf_')) || doc.csaf_version !== undefined)
  )
    return 'csaf';
  if (
    json.bomFormat === 'CycloneDX' ||
    (typeof json.$schema === 'string' && json.$schema.startsWith('http://cyclonedx.org/schema/'))
  )
    return 'cyclonedx';
  if (
    'spdxVersion' in json ||
    json.SPDXID === 'SPDXRef-DOCUMENT' ||
    (typeof ctx === 'string' && ctx.startsWith('https://spdx.org/rdf/'))
  )
    return 'spdx';
  return null;
}

/** What each expected format is known by, for a document that carries none of their markers. */
export function noneOf(formats: readonly SbomVexFormat[]): string {
  const named = formats.map((f) => `${SBOM_VEX_FORMATS[f].name} (${SBOM_VEX_FORMATS[f].marker})`);
  return `no format marker: the document is none of ${named.slice(0, -1).join(', ')} or ${named.at(-1)}`;
}
