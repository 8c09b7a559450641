/**
 * @module Judges a subject's recorded versions against a version range as an advisory writes it, and
 * says so in words for the explanation. A device may carry a firmware and a software version; the range
 * is in when either is in, out only when every recorded version is out.
 */
import { parseVersionRange, versionInRange } from '../../advisories/version-range.js';
import type { MatchSubject } from '../match-types.js';

export interface VersionJudgement {
  verdict: 'in' | 'out' | 'unknown' | 'no-constraint';
  /** `firmware 8.2.1 in range "<8.2.2"`, `version not recorded; advisory range "<8.2.2"` … */
  text: string;
}

/** The names a subject's model goes by: its name, its model number, and both together. */
export function modelNames(s: MatchSubject): string[] {
  const out: string[] = [];
  if (s.model) out.push(s.model);
  if (s.modelNumber && s.modelNumber !== s.model) {
    out.push(s.modelNumber);
    if (s.model && !s.model.includes(s.modelNumber)) out.push(`${s.model} ${s.modelNumber}`);
  }
  return out;
}

export function recordedVersions(s: MatchSubject): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  if (s.firmwareVersion) out.push({ label: 'firmware', value: s.firmwareVersion });
  if (s.softwareVersion && s.softwareVersion !== s.firmwareVersion)
    out.push({ label: 'software', value: s.softwareVersion });
  return out;
}

export function judgeVersion(rangeText: string | null, s: MatchSubject): VersionJudgement {
  if (rangeText === null || rangeText.trim() === '')
    return { verdict: 'no-constraint', text: 'no version given' };
  const range = parseVersionRange(rangeText);
  const quoted = JSON.stringify(rangeText.trim());
  if (range.kind === 'all') return { verdict: 'in', text: `all versions (${quoted})` };
  if (range.kind === 'unparsed') {
    return { verdict: 'unknown', text: `version range ${quoted} could not be interpreted (${range.reason})` };
  }
  if (range.kind === 'date') {
    return {
      verdict: 'unknown',
      text: `scope given by date ${quoted}: needs the device's manufacture date, which is not recorded`,
    };
  }
  const versions = recordedVersions(s);
  if (versions.length === 0)
    return { verdict: 'unknown', text: `version not recorded; advisory range ${quoted}` };
  let unknown: string | null = null;
  const outs: string[] = [];
  for (const v of versions) {
    const verdict = versionInRange(v.value, range);
    if (verdict === 'in') return { verdict: 'in', text: `${v.label} ${v.value} in range ${quoted}` };
    if (verdict === 'unknown') unknown ??= `${v.label} ${v.value} cannot be compared with ${quoted}`;
    else outs.push(`${v.label} ${v.value}`);
  }
  if (unknown) return { verdict: 'unknown', text: unknown };
  return { verdict: 'out', text: `${outs.join(', ')} outside ${quoted}` };
}
