/**
 * @module Entry point for CycloneDX input: decides JSON or XML from the first character and maps either
 * to `Sbom` / `VexDocument`. Pure: the caller reads the file; nothing here does I/O or throws.
 * @see https://cyclonedx.org/specification/overview/
 */

import type { InputIssue } from '../../advisories/records.js';
import { notUtf8Issue } from '../read-result.js';
import { type CycloneDxReadResult, locateJson, mapCycloneDx } from './cyclonedx-model.js';
import { cycloneDxXmlToJson, MAX_XML_CHARS } from './cyclonedx-xml.js';
import { errorText } from './identifiers.js';

/** The text without a byte-order mark, or the issue for bytes that are not UTF-8 (never U+FFFD in a name). */
function decode(input: string | Uint8Array, file: string): { text: string } | { issue: InputIssue } {
  let s: string;
  if (typeof input === 'string') s = input;
  else {
    s = new TextDecoder('utf-8').decode(input);
    const issue = notUtf8Issue(input, s, file);
    if (issue) return { issue };
  }
  return { text: s.charCodeAt(0) === 0xfeff ? s.slice(1) : s };
}

/** Reads a CycloneDX document that was already `JSON.parse`d. */
export function readCycloneDxJson(json: unknown, file: string): CycloneDxReadResult {
  try {
    return mapCycloneDx(json, file, locateJson);
  } catch (err) {
    // Only reachable with hostile objects (throwing getters, proxies); JSON.parse output cannot throw.
    return {
      sbom: null,
      vex: null,
      issues: [{ file, where: '$', message: `unreadable document: ${errorText(err)}` }],
    };
  }
}

/** Reads CycloneDX XML text. */
export function readCycloneDxXml(xml: string, file: string): CycloneDxReadResult {
  const x = cycloneDxXmlToJson(xml, file);
  if (!x.json) return { sbom: null, vex: null, issues: x.issues };
  try {
    const r = mapCycloneDx(x.json, file, x.locate);
    return { ...r, issues: [...x.issues, ...r.issues] };
  } catch (err) {
    return {
      sbom: null,
      vex: null,
      issues: [{ file, where: 'line 1:1', message: `unreadable document: ${errorText(err)}` }],
    };
  }
}

/**
 * Reads CycloneDX 1.4–1.6 (older 1.x also read) from file bytes or text, JSON or XML. A CycloneDX file
 * may carry components (→ `sbom`) and vulnerabilities with analysis (→ `vex`), or both.
 */
export function readCycloneDx(input: string | Uint8Array, file: string): CycloneDxReadResult {
  const decoded = decode(input, file);
  if ('issue' in decoded) return { sbom: null, vex: null, issues: [decoded.issue] };
  const { text } = decoded;
  if (text.length > MAX_XML_CHARS) {
    return {
      sbom: null,
      vex: null,
      issues: [
        { file, where: 'offset 0', message: `input larger than ${MAX_XML_CHARS} characters; refused` },
      ],
    };
  }
  const first = text.trimStart()[0];
  if (first === '<') return readCycloneDxXml(text, file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return {
      sbom: null,
      vex: null,
      issues: [{ file, where: '$', message: `neither JSON nor XML: ${errorText(err)}` }],
    };
  }
  return readCycloneDxJson(json, file);
}
