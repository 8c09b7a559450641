/**
 * @module Small formatting helpers shared by the program sub-pages.
 */

/** Today as `YYYY-MM-DD` (UTC, as the server counts days). */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** A share 0..1 as a whole percentage. */
export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${Math.round(rate * 100)}%`;
}
