/**
 * @module A count with its noun in the right number: "1 day", "2 days", "0 devices". One helper for
 * CLI output, API messages, reports and the dashboard (web/src imports it too), so no text reads
 * "1 days" and no call site grows its own `n === 1 ? '' : 's'`.
 */

/** The noun alone for `n`: `one` when n is exactly 1, else `many` (by default `one` + "s"). */
export function pluralWord(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/** `n` and its noun: plural(1, 'day') is "1 day", plural(3, 'match', 'matches') is "3 matches". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${pluralWord(n, one, many)}`;
}
