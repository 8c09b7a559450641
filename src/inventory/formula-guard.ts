/**
 * @module The spreadsheet formula guard of the device CSV export, and its undoing by the CMMS import, so
 * an exported file imports back to the same values. A cell a spreadsheet would run as a formula gets one
 * leading apostrophe (Excel shows the rest as text); the import removes exactly that apostrophe.
 * @see OWASP "CSV Injection"
 */

/** Leads that make a spreadsheet evaluate the cell (`=`, `+`, `-`, `@`, tab, CR). */
const FORMULA_LEAD = /^[=+\-@\t\r]/;
/** `-12`, `+4.5`: a spreadsheet reads a number, not a formula, so these are written as they are. */
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/**
 * Whether the export guards a value: it would run as a formula, or it is such a value already behind
 * apostrophes (`'=x` is written `''=x`), so the import's unguarding never eats a real apostrophe.
 */
function needsGuard(value: string): boolean {
  const bare = value.replace(/^'+/, '');
  return FORMULA_LEAD.test(bare) && !PLAIN_NUMBER.test(bare);
}

/** The value as the export writes it (before CSV quoting). */
export function guardFormula(value: string): string {
  return needsGuard(value) ? `'${value}` : value;
}

/** The value the export guarded: one apostrophe off where `guardFormula` put one, else the cell as is. */
export function unguardFormula(cell: string): string {
  return cell.startsWith("'") && needsGuard(cell.slice(1)) ? cell.slice(1) : cell;
}
