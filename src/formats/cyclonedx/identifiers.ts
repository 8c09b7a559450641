/**
 * @module Checks for the package identifiers that SBOM and VEX documents carry (purl, CPE). Shared by the
 * CycloneDX, SPDX, OpenVEX and CSAF VEX readers so a bad identifier is reported the same way everywhere:
 * kept out of the record (null) with an issue, never thrown.
 * @see https://github.com/package-url/purl-spec
 * @see NISTIR 7695 (CPE 2.3 naming)
 */
import { PackageURL } from 'packageurl-js';
import type { InputIssue } from '../../advisories/records.js';

/** Parses with packageurl-js; returns the purl as written when valid, else null (and pushes an issue). */
export function checkPurl(value: string, file: string, where: string, issues: InputIssue[]): string | null {
  try {
    PackageURL.fromString(value);
    return value;
  } catch (err) {
    issues.push({ file, where, message: `invalid purl ${JSON.stringify(value)}: ${errorText(err)}` });
    return null;
  }
}

/** The purl's name and version, or null when `value` is not a valid purl (no issue: used for enrichment). */
export function purlParts(value: string): { name: string; version: string | null } | null {
  try {
    const p = PackageURL.fromString(value);
    return { name: p.name, version: p.version ?? null };
  } catch {
    return null;
  }
}

const CPE23 = /^cpe:2\.3:[aho*-](:[^:]*){10}$/i;
const CPE22 = /^cpe:\/[aho]?(:[^:]*){0,6}$/i;

/** Accepts CPE 2.3 formatted strings (11 parts) and CPE 2.2 URIs; anything else is an issue and null. */
export function checkCpe(value: string, file: string, where: string, issues: InputIssue[]): string | null {
  // CPE 2.3 allows escaped colons (`\:`) inside a component; drop them before counting parts.
  const unescaped = value.replace(/\\./g, '_');
  if (CPE23.test(unescaped) || CPE22.test(unescaped)) return value;
  issues.push({ file, where, message: `invalid CPE ${JSON.stringify(value)}` });
  return null;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
