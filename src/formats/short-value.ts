/**
 * @module A value as an error message quotes it: whole when short, else its first ~100 characters and
 * "…". A rejected value can be anything a file holds (a 64 MB header line, a 30 MB employee id); quoted in
 * full it floods the terminal and the log, and takes the CLI most of a minute to print. Pure.
 */

/** At most `max` characters of `value` (the cut marked with "…"), never splitting a surrogate pair. */
export function shortValue(value: string, max = 100): string {
  if (value.length <= max) return value;
  let end = max - 1;
  // A high surrogate without its low half would print as U+FFFD.
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${value.slice(0, end)}…`;
}
