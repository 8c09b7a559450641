/**
 * @module Device fingerprinting: combines what one host revealed (hints, DICOM and HL7 use, services, MAC
 * prefix, nmap OS matches) into manufacturer, model, device class, software/firmware version and OS, each
 * with a confidence and the evidence behind it. The knowledge lives in data (`rules/`); this file only
 * matches rules against facts and keeps the best-supported value per field.
 *
 * Pure and deterministic: the same observation always gives the same result, running it again changes
 * nothing, and an existing value is only replaced by a strictly more confident one. Values that lose stay
 * visible as `candidate.<field>` hints, so a reviewer sees the disagreement.
 */

import { countEquipment, forwarderHintValue, parseEquipment } from './dicom-equipment.js';
import {
  type Attributed,
  type Evidence,
  type HostObservation,
  IDENTITY_FIELDS,
  type IdentityField,
} from './host-observation.js';
import { lookupMacVendor } from './oui.js';
import { storageSopClass } from './rules/dicom-sop-classes.js';
import type { FingerprintRule, RuleOutput } from './rules/fingerprint-rule.js';
import { FINGERPRINT_RULES } from './rules/index.js';

export interface FingerprintOptions {
  /** Rules to apply; default FINGERPRINT_RULES. */
  rules?: readonly FingerprintRule[];
  /** Look the host's MACs up in the IEEE registry and add `oui.vendor` hints (default true). */
  ouiLookup?: boolean;
  /**
   * `dicom.equipment` values the host's device was seen sending before (its stored hints): with the
   * host's own they decide whether it forwards other equipment's objects (dicom-equipment.ts).
   */
  knownEquipment?: readonly Hint[];
}

/** One input a rule can match: a hint, or a value derived from the observation's structured parts. */
export interface Fact {
  kind: string;
  value: string;
  evidence: Evidence;
}

type Hint = HostObservation['hints'][number];

const CANDIDATE_PREFIX = 'candidate.';
const DERIVED_KINDS = /^(software$|candidate\.)/;
/** Hints this module derives (`software`, losing `candidate.<field>` values): outputs, not what the host said. */
export const isDerivedHint = (kind: string): boolean => DERIVED_KINDS.test(kind);
const MAX_VALUE = 120;

// ---------------------------------------------------------------------------------------------------
// Templates

const LEGAL_SUFFIX =
  /[,\s]+(inc\.?|incorporated|ltd\.?|limited|llc|l\.l\.c\.|corp\.?|corporation|corporate|co\.?|company|gmbh|ag|s\.?a\.?s?|s\.p\.a\.|b\.v\.|oy|ab|k\.k\.|pty|plc|srl|s\.r\.o\.)$/i;

/** Transforms a template may apply to a captured value: `{1|org}`, `{1|cpe}`. */
export const TEMPLATE_TRANSFORMS: Record<string, (s: string) => string> = {
  /**
   * An organisation name as registries and data sets spell it → as people write it: legal suffixes dropped,
   * an all-capitals name in title case (acronyms of up to three letters kept).
   */
  org(s) {
    let name = s.trim();
    for (let i = 0; i < 3 && LEGAL_SUFFIX.test(name); i++) name = name.replace(LEGAL_SUFFIX, '').trim();
    name = name.replace(/[,.\s]+$/, '');
    if (!/[a-z]/.test(name))
      name = name.replace(/[A-Z][A-Z'’&-]*/g, (w) => (w.length <= 3 ? w : w[0] + w.slice(1).toLowerCase()));
    return name;
  },
  /** A CPE 2.2 component → text: `windows_7` → `windows 7`, `%2f` → `/`. @see NIST IR 7695 §5.3.2 */
  cpe(s) {
    return s
      .replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
      .replaceAll('_', ' ');
  },
};

/**
 * Control characters never belong in an identity value (a device sends what it likes: a DICOM
 * Manufacturer, a DHCP vendor class). C0, DEL and C1 (U+0080–U+009F, U+009B being CSI, U+0085 a line
 * break) become spaces, as they may separate words; bidirectional controls (U+061C, U+200E/F,
 * U+202A–U+202E, U+2066–U+2069), which only reorder text on screen, and lone surrogates are dropped.
 * Whitespace is then collapsed and the length capped.
 */
function cleanValue(s: string): string {
  const printable = s.replace(/\p{Cc}/gu, ' ').replace(/[\p{Bidi_Control}\p{Cs}]/gu, '');
  const v = printable.replace(/\s+/g, ' ').trim();
  // Cut between UTF-16 units, the cap may split a pair: its first half alone would be a lone surrogate.
  return v.length > MAX_VALUE
    ? v
        .slice(0, MAX_VALUE)
        .replace(/\p{Cs}$/u, '')
        .trimEnd()
    : v;
}

interface MatchCaptures {
  numbered: readonly (string | undefined)[];
  named: Record<string, string | undefined>;
}

function expand(template: string, m: MatchCaptures): string {
  return template.replace(/\{(\w+)(?:\|(\w+))?\}/g, (_, ref: string, transform?: string) => {
    const raw = (/^\d+$/.test(ref) ? m.numbered[Number(ref)] : m.named[ref]) ?? '';
    const fn = transform ? TEMPLATE_TRANSFORMS[transform] : undefined;
    return fn ? fn(raw) : raw;
  });
}

// ---------------------------------------------------------------------------------------------------
// Facts

/** Some evidence of this host, for facts (DICOM, HL7 use) that carry none of their own. */
function hostEvidence(host: HostObservation): Evidence {
  const e =
    host.services[0]?.evidence ??
    host.hints[0]?.evidence ??
    Object.values(host.identity).find((a) => a !== undefined)?.evidence;
  return e ?? { source: 'capture', file: '', time: host.firstSeen, summary: 'host observation' };
}

/** Every fact rules can match, in a fixed order (hints first, as given). */
export function factsOf(host: HostObservation): Fact[] {
  const facts: Fact[] = [];
  const base = hostEvidence(host);
  const add = (kind: string, value: string | null | undefined, evidence: Evidence = base) => {
    const v = value?.trim();
    if (v) facts.push({ kind, value: v, evidence });
  };
  // Derived hints (software, candidates) are outputs: matching them would make a second run differ.
  for (const h of host.hints) if (!DERIVED_KINDS.test(h.kind)) add(h.kind, h.value, h.evidence);
  for (const name of host.hostnames) add('hostname', name);
  for (const p of host.protocols) add('protocol', p);
  for (const s of host.services) {
    add('service', `${s.transport}/${s.port}/${s.protocol ?? 'unknown'}`, s.evidence);
    if (s.product) add('service.product', s.version ? `${s.product} ${s.version}` : s.product, s.evidence);
  }
  const d = host.dicom;
  if (d) {
    add('dicom.implementationVersionName', d.implementationVersionName);
    add('dicom.implementationClassUid', d.implementationClassUid);
    for (const uid of d.sopClasses) add('dicom.sopClass', uid);
    for (const r of d.roles) add('dicom.role', r);
    for (const ae of d.aeTitles) add('dicom.aeTitle', ae);
    const modalities = [
      ...new Set(d.sopClasses.map((uid) => storageSopClass(uid)?.modality).filter((m) => m !== undefined)),
    ].sort();
    if (modalities.length > 0) add('dicom.storageModalities', modalities.join(','));
  }
  const h = host.hl7;
  if (h) {
    for (const v of h.sendingApplications) add('hl7.sendingApplication', v);
    for (const v of h.sendingFacilities) add('hl7.sendingFacility', v);
    for (const v of h.receivingApplications) add('hl7.receivingApplication', v);
    for (const v of h.messageTypes) add('hl7.messageType', v);
  }
  return facts;
}

// ---------------------------------------------------------------------------------------------------
// Rules

interface CompiledCondition {
  fact: string;
  re: RegExp;
  absent: boolean;
}
interface CompiledRule {
  rule: FingerprintRule;
  conditions: CompiledCondition[];
}

const compiledCache = new WeakMap<readonly FingerprintRule[], CompiledRule[]>();

/** Compiles the rules once per rule set; a bad regular expression fails loudly, naming the rule. */
export function compileRules(rules: readonly FingerprintRule[]): CompiledRule[] {
  let compiled = compiledCache.get(rules);
  if (!compiled) {
    compiled = rules.map((rule) => ({
      rule,
      conditions: rule.when.map((c) => {
        try {
          return { fact: c.fact, re: new RegExp(c.matches, c.flags ?? 'i'), absent: c.absent === true };
        } catch (err) {
          throw new Error(
            `fingerprint rule ${rule.id}: bad pattern for ${c.fact}: ${(err as Error).message}`,
          );
        }
      }),
    }));
    compiledCache.set(rules, compiled);
  }
  return compiled;
}

interface Firing {
  rule: FingerprintRule;
  fact: Fact;
  captures: MatchCaptures;
}

function byKindOf(facts: readonly Fact[]): Map<string, Fact[]> {
  const byKind = new Map<string, Fact[]>();
  for (const f of facts) {
    const list = byKind.get(f.kind);
    if (list) list.push(f);
    else byKind.set(f.kind, [f]);
  }
  return byKind;
}

function fire(cr: CompiledRule, byKind: Map<string, Fact[]>): Firing | null {
  let first: { fact: Fact; m: RegExpExecArray } | undefined;
  const named: Record<string, string | undefined> = {};
  for (const c of cr.conditions) {
    let hit: { fact: Fact; m: RegExpExecArray } | undefined;
    for (const f of byKind.get(c.fact) ?? []) {
      const m = c.re.exec(f.value);
      if (m) {
        hit = { fact: f, m };
        break;
      }
    }
    if (c.absent) {
      if (hit) return null;
      continue;
    }
    if (!hit) return null;
    first ??= hit;
    Object.assign(named, hit.m.groups);
  }
  if (!first) return null;
  return { rule: cr.rule, fact: first.fact, captures: { numbered: [...first.m], named } };
}

/** A rule that fired on a host: the fact it matched (by position in `factsOf`) and the values it sets. */
interface RuleFiring {
  rule: FingerprintRule;
  factIndex: number;
  outputs: [keyof RuleOutput, string][];
}

/**
 * Which rules fire on a list of facts depends only on the facts' kinds and values, in order, never on
 * their evidence: a fleet's identical devices (a hospital's 300 infusion pumps of one model and firmware)
 * share one evaluation. Bounded per rule set; cleared when full.
 */
const firingCache = new WeakMap<readonly CompiledRule[], Map<string, RuleFiring[]>>();
const FIRING_CACHE_MAX = 4096;

function firingsOf(rules: CompiledRule[], facts: Fact[], byKind: Map<string, Fact[]>): RuleFiring[] {
  let cache = firingCache.get(rules);
  if (!cache) {
    cache = new Map();
    firingCache.set(rules, cache);
  }
  let key = '';
  for (const f of facts) key += `${f.kind}\u0000${f.value}\u0001`;
  const known = cache.get(key);
  if (known) return known;
  const firings: RuleFiring[] = [];
  for (const cr of rules) {
    const firing = fire(cr, byKind);
    if (!firing) continue;
    const outputs: [keyof RuleOutput, string][] = [];
    for (const [k, template] of Object.entries(firing.rule.sets) as [keyof RuleOutput, string][]) {
      const value = cleanValue(expand(template, firing.captures));
      if (value) outputs.push([k, value]);
    }
    firings.push({ rule: firing.rule, factIndex: facts.indexOf(firing.fact), outputs });
  }
  if (cache.size >= FIRING_CACHE_MAX) cache.clear();
  cache.set(key, firings);
  return firings;
}

// ---------------------------------------------------------------------------------------------------
// Resolution

interface Candidate {
  field: IdentityField;
  value: string;
  confidence: number;
  evidence: Evidence;
}

// One collator for all comparisons: `localeCompare` with options builds one per call (the costliest part
// of fingerprinting a host).
const accentSensitive = new Intl.Collator(undefined, { sensitivity: 'accent' });
const sameValue = (a: string, b: string) => accentSensitive.compare(a, b) === 0;
const clip = (s: string, n = 60) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function pushHint(hints: Hint[], hint: Hint): void {
  if (!hints.some((h) => h.kind === hint.kind && sameValue(h.value, hint.value))) hints.push(hint);
}

/**
 * Applies the fingerprint rules to one host and returns it with `identity` filled in and derived hints
 * (`oui.vendor`, `software`, `candidate.<field>`) added. The input is not modified.
 */
export function fingerprintHost(host: HostObservation, opts: FingerprintOptions = {}): HostObservation {
  const rules = compileRules(opts.rules ?? FINGERPRINT_RULES);
  // A forwarder verdict is derived again below, from all the equipment known now.
  const hints: Hint[] = host.hints.filter((h) => h.kind !== FORWARDER).map((h) => ({ ...h }));

  if (opts.ouiLookup !== false) {
    // The MAC came with the host's first packet (in a capture); else whatever showed the host first.
    const base = host.firstEvidence ?? hostEvidence(host);
    for (const mac of host.macs) {
      const r = lookupMacVendor(mac);
      if (r.ok)
        pushHint(hints, {
          kind: 'oui.vendor',
          value: r.vendor,
          evidence: { ...base, summary: `IEEE ${r.registry} registry: ${r.prefix} → ${r.vendor}` },
        });
    }
  }

  addForwarderHint(hints, opts.knownEquipment ?? []);

  const facts = factsOf({ ...host, hints });
  const byKind = byKindOf(facts);

  const candidates: Candidate[] = [];
  for (const field of IDENTITY_FIELDS) {
    const existing = host.identity[field];
    if (existing) candidates.push({ field, ...existing });
  }
  for (const { rule, factIndex, outputs } of firingsOf(rules, facts, byKind)) {
    const fact = facts[factIndex]!;
    for (const [key, value] of outputs) {
      const summary = `${fact.kind} "${clip(fact.value)}" → ${key} "${value}" (rule ${rule.id})`;
      const evidence: Evidence = { ...fact.evidence, summary };
      if (key === 'software') pushHint(hints, { kind: 'software', value, evidence });
      else candidates.push({ field: key, value, confidence: rule.confidence, evidence });
    }
  }

  const identity: HostObservation['identity'] = {};
  for (const field of IDENTITY_FIELDS) {
    const mine = candidates.filter((c) => c.field === field);
    // The first of the most confident wins: existing values come first, so a tie never unseats them.
    let best: Candidate | undefined;
    for (const c of mine) if (!best || c.confidence > best.confidence) best = c;
    if (!best) continue;
    const winner: Attributed = { value: best.value, confidence: best.confidence, evidence: best.evidence };
    identity[field] = winner;
    for (const c of mine) {
      if (sameValue(c.value, best.value)) continue;
      pushHint(hints, {
        kind: `${CANDIDATE_PREFIX}${field}`,
        value: c.value,
        evidence: { ...c.evidence, summary: `confidence ${c.confidence.toFixed(2)}: ${c.evidence.summary}` },
      });
    }
  }
  // A value that once lost and now wins is no longer a mere candidate.
  const kept = hints.filter((h) => {
    if (!h.kind.startsWith(CANDIDATE_PREFIX)) return true;
    const won = identity[h.kind.slice(CANDIDATE_PREFIX.length) as IdentityField];
    return !(won && sameValue(won.value, h.value));
  });

  return { ...host, hints: kept, identity };
}

// ---------------------------------------------------------------------------------------------------
// DICOM forwarders

const FORWARDER = 'dicom.forwarder';

/**
 * Adds a `dicom.forwarder` hint when the host's data sets, with those its device sent before, name
 * different equipment (dicom-equipment.ts): the data-set rules then claim nothing for it. Its evidence is
 * the first sighting of the equipment seen last, the data set that completed the verdict, so importing
 * the same captures again, in any order, gives the same hint.
 */
function addForwarderHint(hints: Hint[], knownEquipment: readonly Hint[]): void {
  const own = hints.filter((h) => h.kind === 'dicom.equipment');
  if (own.length === 0) return;
  const all = [...knownEquipment, ...own];
  const count = countEquipment(all.map((h) => h.value));
  if (count < 2) return;
  const names = [
    ...new Set(
      all.map((h) => {
        const e = parseEquipment(h.value);
        return [e.manufacturer, e.model].filter(Boolean).join(' ') || h.value;
      }),
    ),
  ].sort();
  const first = new Map<string, Hint>();
  for (const h of all) {
    const prev = first.get(h.value);
    if (!prev || (h.evidence.time ?? '') < (prev.evidence.time ?? '')) first.set(h.value, h);
  }
  const completing = [...first.values()].reduce((a, b) =>
    (b.evidence.time ?? '') > (a.evidence.time ?? '') ? b : a,
  );
  const listed = names.length > 3 ? `${names.slice(0, 3).join(', ')} …` : names.join(', ');
  pushHint(hints, {
    kind: FORWARDER,
    value: forwarderHintValue(count),
    evidence: {
      ...completing.evidence,
      summary: `C-STORE data sets made by ${count} different devices (${listed}): a forwarder (workstation, PACS or router), so their Manufacturer, Model and Software Versions are not its own`,
    },
  });
}

/** Whether fingerprinting found the host forwarding other equipment's DICOM objects. */
export const isDicomForwarder = (host: Pick<HostObservation, 'hints'>): boolean =>
  host.hints.some((h) => h.kind === FORWARDER);

/**
 * Fingerprints a host once more, now with the equipment its device was seen sending before: the
 * identity values the rules gave it (the DICOM data-set claims among them) are worked out again, values
 * a source set itself (nmap's OS match) are kept.
 */
export function fingerprintAgain(
  host: HostObservation,
  opts: FingerprintOptions & { knownEquipment: readonly Hint[] },
): HostObservation {
  const rules = compileRules(opts.rules ?? FINGERPRINT_RULES);
  const facts = factsOf(host);
  const derived = firingsOf(rules, facts, byKindOf(facts)).flatMap((f) => f.outputs);
  const identity: HostObservation['identity'] = {};
  for (const field of IDENTITY_FIELDS) {
    const v = host.identity[field];
    if (v && !derived.some(([k, value]) => k === field && sameValue(value, v.value))) identity[field] = v;
  }
  const hints = host.hints.filter((h) => !h.kind.startsWith(CANDIDATE_PREFIX));
  return fingerprintHost({ ...host, identity, hints }, opts);
}

/** Facts that describe the objects a host sends, not the host: what a forwarder's rules must not read. */
const OBJECT_FACTS = new Set([
  'dicom.manufacturer',
  'dicom.model',
  'dicom.softwareVersion',
  'dicom.storageModalities',
]);
const objectRules = new WeakMap<readonly FingerprintRule[], FingerprintRule[]>();

function objectRulesOf(rules: readonly FingerprintRule[]): FingerprintRule[] {
  let mine = objectRules.get(rules);
  if (!mine) {
    mine = rules.filter((r) => r.when.some((c) => !c.absent && OBJECT_FACTS.has(c.fact)));
    objectRules.set(rules, mine);
  }
  return mine;
}

/**
 * The identity values the rules derive from a device's DICOM objects alone (the Manufacturer, Model and
 * Software Versions hints of its data sets, the modality of its storage SOP classes), each as if it were
 * all the device sent: what earlier sources may have recorded for a device later found to be a
 * forwarder.
 */
export function dicomObjectClaims(
  hints: readonly { kind: string; value: string }[],
  sopClasses: readonly string[],
  opts: Pick<FingerprintOptions, 'rules'> = {},
): Map<IdentityField, Set<string>> {
  const out = new Map<IdentityField, Set<string>>();
  const empty: HostObservation = {
    macs: [],
    ips: [],
    hostnames: [],
    firstSeen: '1970-01-01T00:00:00.000Z',
    lastSeen: '1970-01-01T00:00:00.000Z',
    services: [],
    protocols: [],
    identity: {},
    hints: [],
  };
  const evidence: Evidence = { source: 'capture', file: '', summary: 'stored hint' };
  const alone: HostObservation[] = [
    ...hints
      .filter((h) => /^dicom\.(manufacturer|model|softwareVersion)$/.test(h.kind))
      .map((h) => ({ ...empty, hints: [{ kind: h.kind, value: h.value, evidence }] })),
    ...sopClasses
      .filter((uid) => storageSopClass(uid))
      .map((uid) => ({
        ...empty,
        dicom: {
          aeTitles: [],
          implementationClassUid: null,
          implementationVersionName: null,
          sopClasses: [uid],
          roles: [],
        },
      })),
  ];
  const rules = objectRulesOf(opts.rules ?? FINGERPRINT_RULES);
  for (const host of alone) {
    const { identity } = fingerprintHost(host, { rules, ouiLookup: false });
    for (const [field, v] of Object.entries(identity) as [IdentityField, Attributed][]) {
      const values = out.get(field) ?? new Set<string>();
      values.add(v.value);
      out.set(field, values);
    }
  }
  return out;
}
