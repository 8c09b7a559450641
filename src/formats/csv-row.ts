/**
 * @module What every CSV importer (CMMS devices, HR people, training completions) says about a data row
 * the same way: a row whose field count does not match the header (a truncated last line, a short row),
 * and a cell that held bytes that are not UTF-8. Pure.
 */
import { plural } from '../format-count.js';

/** Reason for a cell the lenient UTF-8 decode (readFile, a request body) turned into U+FFFD. */
export const NOT_UTF8_TEXT = 'is not valid UTF-8 text (save the export as UTF-8)';

/** True when a decoded cell held bytes that are not UTF-8 (they became U+FFFD). */
export const hasBadUtf8 = (cell: string): boolean => cell.includes('\uFFFD');

/**
 * Why a row does not fit the header, or null when it does. Fewer fields than the header is a cut or short
 * row, never a row of empty cells; extra fields count only when they hold something (some exports end each
 * row with a comma).
 */
export function fieldCountProblem(fields: readonly string[], headerFields: number): string | null {
  if (fields.length >= headerFields && fields.slice(headerFields).every((f) => f.trim() === '')) return null;
  return `has ${plural(fields.length, 'field')}, the header has ${headerFields}`;
}
