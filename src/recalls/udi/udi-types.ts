/**
 * @module What a parsed UDI says, whichever issuing agency's syntax carried it, and the one error
 * every UDI parser raises: an `invalid_input` VigilError naming the position and the reason.
 */
import { invalidInput, type VigilError } from '../../errors.js';

export const UDI_ISSUERS = ['GS1', 'HIBCC', 'ICCBBA'] as const;
export type UdiIssuer = (typeof UDI_ISSUERS)[number];

/** One data element as the carrier held it (GS1 AI, HIBCC field, ISBT 128 data identifier). */
export interface UdiElement {
  /** `01`, `17` (GS1); `lic`, `pcn`, `$$`, `/S` (HIBCC); `=/`, `=,` (ICCBBA). */
  id: string;
  name: string;
  value: string;
  /** 0-based position of the element's identifier in the input. */
  position: number;
}

/** The UDI JSON contract (docs/recalls.md). Dates are YYYY-MM-DD. */
export interface ParsedUdi {
  issuer: UdiIssuer;
  /** The device identifier as GUDID records it (GTIN-14; LIC+PCN+U/M; ISBT 128 processor product code). */
  /**
   * The device identifier as GUDID records it (GTIN-14; LIC+PCN+U/M; ISBT 128 processor product code);
   * null for a standalone HIBCC secondary symbol, which carries production data only.
   */
  di: string | null;
  lot: string | null;
  serial: string | null;
  expiry: string | null;
  manufactured: string | null;
  /** Other production identifiers when present (HIBCC quantity, GS1 software version, ISBT DIN …). */
  extra: Record<string, string>;
  elements: UdiElement[];
}

export function udiError(position: number, reason: string): VigilError {
  return invalidInput(`Invalid UDI at position ${position}: ${reason}`, [{ offset: position, reason }]);
}

export function emptyUdi(issuer: UdiIssuer): ParsedUdi {
  return {
    issuer,
    di: null,
    lot: null,
    serial: null,
    expiry: null,
    manufactured: null,
    extra: {},
    elements: [],
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A calendar date or null when it does not exist (2023-02-30). */
export function isoDate(year: number, month: number, day: number): string | null {
  if (month < 1 || month > 12 || day < 1) return null;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > last) return null;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** Year and day-of-year (1…365/366) to a date. */
export function julianDate(year: number, dayOfYear: number): string | null {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (dayOfYear < 1 || dayOfYear > (leap ? 366 : 365)) return null;
  const d = new Date(Date.UTC(year, 0, dayOfYear));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}
