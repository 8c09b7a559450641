/**
 * @module How two sets of a protocol's details (DICOM AE titles and SOP classes, HL7 applications …) become
 * one: a capture adding to what a device already has, and a merge folding a duplicate's into its record.
 */

/** Longest any list of details grows; the first values seen are kept. */
export const DETAILS_LIST_CAP = 50;

/** Lists are unioned (`a`'s first, capped); a value of `b` replaces `a`'s unless it is unknown. */
export function mergeProtocolDetails(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (Array.isArray(v)) {
      const prev = Array.isArray(out[k]) ? (out[k] as unknown[]) : [];
      out[k] = [...new Set([...prev, ...v])].slice(0, DETAILS_LIST_CAP);
    } else if (v !== null && v !== undefined) out[k] = v;
  }
  return out;
}
