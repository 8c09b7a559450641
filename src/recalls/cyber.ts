/**
 * @module Is a recall about cybersecurity? FDA has no field for it, so the reason, root cause and
 * action text are read for the words recalls use (Medtronic MiniMed 508/Paradigm 2019: "potential
 * cybersecurity risks"; Smiths Medfusion 4000: "vulnerabilities … unauthorized access"). The matched
 * words are kept so a person sees why a recall was flagged.
 */

const CYBER_TERMS: readonly [string, RegExp][] = [
  ['cybersecurity', /\bcyber[- ]?security\b|\bcyber\b/i],
  ['vulnerability', /\bvulnerabilit(?:y|ies)\b/i],
  [
    'unauthorized access',
    /\bunauthori[sz]ed\s+(?:access|user|users|person|persons|individual|party|third|connection|control)/i,
  ],
  ['exploit', /\bexploit(?:s|ed|ation|able)?\b/i],
  ['malware', /\bmalware\b|\bransomware\b|\bvirus(?:es)?\b(?=.*\b(?:software|computer|network|system)\b)/i],
  ['hacking', /\bhack(?:ed|er|ers|ing)?\b/i],
  ['CVE', /\bCVE-\d{4}-\d{4,}\b/i],
  ['security patch', /\bsecurity\s+(?:patch|update|fix|flaw|issue|risk|risks|weakness)/i],
  ['remote attack', /\bremote(?:ly)?\s+(?:attack|attacker|exploit|access by)/i],
  ['encryption', /\b(?:un)?encrypt(?:ed|ion)\b/i],
];

/** The cybersecurity terms found in a recall's text (empty: not a cyber recall). */
export function cyberTerms(...texts: (string | null | undefined)[]): string[] {
  const text = texts.filter(Boolean).join('\n');
  if (!text) return [];
  return CYBER_TERMS.filter(([, re]) => re.test(text)).map(([name]) => name);
}
