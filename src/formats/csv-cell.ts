/**
 * @module One CSV cell as every export writes it (the device export, the compliance report's tables), and
 * the spreadsheet formula guard with its undoing by the CMMS import, so an exported file imports back to
 * the same values. A cell a spreadsheet would run as a formula gets one leading apostrophe (Excel shows
 * the rest as text); the import removes exactly that apostrophe.
 * @see OWASP "CSV Injection"
 */

/** Leads that make a spreadsheet evaluate the cell (`=`, `+`, `-`, `@`, tab, CR), also behind quotes. */
const FORMULA_LEAD = /^"*[=+\-@\t\r]/;
/** `-12`, `+4.5`: a spreadsheet reads a number, not a formula, so these are written as they are. */
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/**
 * Whether the export guards a stretch of a value: it would run as a formula, or it is such a stretch
 * already behind apostrophes (`'=x` is written `''=x`), so the import's unguarding never eats a real
 * apostrophe.
 */
function needsGuard(stretch: string): boolean {
  const bare = stretch.replace(/^'+/, '');
  return FORMULA_LEAD.test(bare) && !PLAIN_NUMBER.test(bare);
}

/**
 * The value as the export writes it (before CSV quoting): the guard goes at its start and after every
 * semicolon. Excel in locales whose list separator is `;` (German, French, Dutch …) splits an opened .csv
 * at every semicolon, quotes or not, so `Acme;=1+1` would give a cell `=1+1` that a guard at the value's
 * start never sees. Device data partly comes from the network (a DICOM Manufacturer, an HTTP Server
 * header): a sender could otherwise plant a formula in the hospital's spreadsheet.
 */
export function guardFormula(value: string): string {
  return value
    .split(';')
    .map((s) => (needsGuard(s) ? `'${s}` : s))
    .join(';');
}

/** The value the export guarded: one apostrophe off where `guardFormula` put one, else as it is. */
export function unguardFormula(cell: string): string {
  return cell
    .split(';')
    .map((s) => (s.startsWith("'") && needsGuard(s.slice(1)) ? s.slice(1) : s))
    .join(';');
}

/** Quoted (RFC 4180) when it holds a quote, comma, line break or tab, or has outer spaces. */
const NEEDS_QUOTES = /[",\t\r\n]/;

/** One cell: guarded, then quoted if needed; numbers and booleans as they are, null and undefined empty. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const v = guardFormula(value);
  return NEEDS_QUOTES.test(v) || v !== v.trim() ? `"${v.replaceAll('"', '""')}"` : v;
}
