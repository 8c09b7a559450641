/**
 * @module The report as JSON: the whole ComplianceReport (docs/compliance.md), pretty-printed.
 */
import type { ComplianceReport } from '../evaluate.js';

export function reportJson(r: ComplianceReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
