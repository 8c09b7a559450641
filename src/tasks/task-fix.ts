/**
 * @module The default fix of a remediation task: every remediation the match's advisories give, one a
 * line as `category: details (url)`, the vendor fix first, then mitigations, workarounds and the rest,
 * each once, bounded so a long advisory does not bury the task ("…and N more" says what was left out).
 * @see CSAF 2.0 §3.2.3.12 vulnerabilities[].remediations (categories mitigation, no_fix_planned,
 * none_available, vendor_fix, workaround; CSAF 2.1 adds fix_planned and optional_patch)
 */

export interface Remediation {
  category: string;
  details: string;
  url: string | null;
}

/** Longest default fix text; a person may still write up to 4000 characters. */
export const FIX_TEXT_MAX = 2000;

/**
 * What to do first, first: a fix, then what reduces the risk meanwhile, then what says no fix exists.
 * `fixed_version_exists` is the matcher's own (the advisory lists fixed versions). Unknown categories
 * come last, in the order the advisories give them.
 */
const CATEGORY_ORDER = [
  'vendor_fix',
  'fixed_version_exists',
  'optional_patch',
  'mitigation',
  'workaround',
  'fix_planned',
  'none_available',
  'no_fix_planned',
];

const rank = (category: string) => {
  const i = CATEGORY_ORDER.indexOf(category);
  return i < 0 ? CATEGORY_ORDER.length : i;
};

const lineOf = (r: Remediation) => `${r.category}: ${r.details.trim()}${r.url ? ` (${r.url})` : ''}`;

const more = (n: number) => `…and ${n} more`;

/**
 * The fix text for these remediations (of all the advisories behind a match), or null when there are
 * none. Within a category the advisories' order is kept; the same remediation given twice (several
 * advisories, several products) is listed once. Whole lines are kept while they fit in `max` with the
 * "…and N more" line; a first line longer than `max` alone is cut with "…".
 */
export function taskFixText(remediations: readonly Remediation[], max = FIX_TEXT_MAX): string | null {
  const seen = new Set<string>();
  const lines: string[] = [];
  const sorted = remediations
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r.category) - rank(b.r.category) || a.i - b.i);
  for (const { r } of sorted) {
    if (!r.details.trim() && !r.url) continue;
    const line = lineOf(r);
    if (seen.has(line)) continue;
    seen.add(line);
    lines.push(line);
  }
  if (!lines.length) return null;
  const all = lines.join('\n');
  if (all.length <= max) return all;
  const kept: string[] = [];
  let length = 0;
  for (const [i, line] of lines.entries()) {
    const tail = more(lines.length - i - 1);
    const next = length + (kept.length ? 1 : 0) + line.length;
    // The last line needs no "…and N more" after it; any other needs room for one.
    if (next + (i === lines.length - 1 ? 0 : 1 + tail.length) > max) break;
    kept.push(line);
    length = next;
  }
  if (!kept.length) {
    if (lines.length === 1) return `${lines[0]!.slice(0, max - 1)}…`;
    const tail = `\n${more(lines.length - 1)}`;
    return `${lines[0]!.slice(0, max - tail.length - 1)}…${tail}`;
  }
  return `${kept.join('\n')}\n${more(lines.length - kept.length)}`;
}
