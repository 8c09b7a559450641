/**
 * @module The device vocabulary: classes, clinical criticality, Vigil's record state versus the CMMS
 * lifecycle word, the Device JSON contract (docs/inventory.md), facts with their sources, and the
 * conflicts between what is declared (CMMS, a person) and what is observed (capture, scanner).
 */

export const DEVICE_CLASSES = [
  'infusion-pump',
  'patient-monitor',
  'imaging-ct',
  'imaging-mr',
  'imaging-us',
  'imaging-xr',
  'imaging-nm',
  'pacs',
  'lab-analyzer',
  'glucose-meter',
  'pulse-oximeter',
  'ventilator',
  'implantable-programmer',
  'implantable-remote-monitor',
  'medical-workstation',
  'nurse-call',
  'other-medical',
  'it',
  'iot',
  'unknown',
] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

/** Most critical first; list sorting by criticality follows this order. */
export const CRITICALITIES = [
  'life-sustaining',
  'life-supporting',
  'diagnostic',
  'therapeutic-non-critical',
  'non-clinical',
] as const;
export type Criticality = (typeof CRITICALITIES)[number];

/**
 * Vigil's own record state. `staged`: observed, awaiting review; `active`: a confirmed device;
 * `ignored`: reviewed and deliberately not tracked; `merged`: a duplicate folded into another record
 * (`mergedInto`); `retired`: out of service.
 */
export const DEVICE_STATES = ['staged', 'active', 'ignored', 'merged', 'retired'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** CMMS lifecycle words that mean the device is gone; every other word (spare, in-repair, …) is active. */
export const RETIRED_LIFECYCLE_WORDS = ['retired', 'disposed', 'decommissioned', 'scrapped'] as const;

/** Sources that say what a device should be, and sources that report what it was seen to be. */
export const DECLARED_SOURCES = ['cmms', 'manual'] as const;
export const OBSERVED_SOURCES = ['capture', 'scanner', 'log', 'live'] as const;
export type FactSource = (typeof DECLARED_SOURCES)[number] | (typeof OBSERVED_SOURCES)[number];

export function isDeclaredSource(source: string): boolean {
  return (DECLARED_SOURCES as readonly string[]).includes(source);
}

export function stateForLifecycleStatus(status: string | null | undefined): 'active' | 'retired' {
  const word = (status ?? '').trim().toLowerCase();
  return (RETIRED_LIFECYCLE_WORDS as readonly string[]).includes(word) ? 'retired' : 'active';
}

/** The Device JSON contract: every field present, `null` when unknown. */
export interface Device {
  id: string;
  assetTag: string | null;
  serialNumber: string | null;
  udi: string | null;
  manufacturer: string | null;
  model: string | null;
  modelNumber: string | null;
  deviceClass: DeviceClass;
  macs: string[];
  ips: string[];
  hostnames: string[];
  firmwareVersion: string | null;
  softwareVersion: string | null;
  os: string | null;
  osVersion: string | null;
  osEndOfSupport: string | null;
  criticality: Criticality | null;
  ephi: boolean | null;
  site: string | null;
  building: string | null;
  floor: string | null;
  room: string | null;
  department: string | null;
  owner: string | null;
  state: DeviceState;
  lifecycleStatus: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  createdAt: string;
  updatedAt: string;
  /** Services the device offers, as captures and scanners saw them. */
  services: DeviceService[];
  /** Application protocols it speaks (lower case: dicom, hl7, http, tls …). */
  protocols: string[];
  dicom: DicomProfile | null;
  hl7: Hl7Profile | null;
}

export interface DeviceService {
  port: number;
  transport: string;
  protocol: string | null;
  product: string | null;
  version: string | null;
  encrypted: boolean | null;
}

export interface DicomProfile {
  aeTitles: string[];
  implementationClassUid: string | null;
  implementationVersionName: string | null;
  sopClasses: string[];
}

export interface Hl7Profile {
  /** MSH-3, MSH-4 and MSH-9 of the messages the device sent. */
  sendingApplications: string[];
  sendingFacilities: string[];
  messageTypes: string[];
  /** MSH-12 of the messages it sent: `2.5.1`. */
  versions: string[];
  /** MSH-5 and MSH-6 of the messages it received (its own application and facility; not of ACKs). */
  receivingApplications: string[];
  receivingFacilities: string[];
}

/** The scalar attributes a source can state about a device; each is kept as a fact per source. */
export const FACT_FIELDS = [
  'assetTag',
  'serialNumber',
  'udi',
  'manufacturer',
  'model',
  'modelNumber',
  'deviceClass',
  'firmwareVersion',
  'softwareVersion',
  'os',
  'osVersion',
  'osEndOfSupport',
  'criticality',
  'ephi',
  'site',
  'building',
  'floor',
  'room',
  'department',
  'owner',
  'lifecycleStatus',
] as const;
export type FactField = (typeof FACT_FIELDS)[number];

export type IdentifierKind = 'mac' | 'ip' | 'hostname';

/** What a person or a source states about a device. Absent: says nothing; `null`: unknown/cleared. */
export interface DeviceAttributes {
  assetTag?: string | null;
  serialNumber?: string | null;
  udi?: string | null;
  manufacturer?: string | null;
  model?: string | null;
  modelNumber?: string | null;
  deviceClass?: DeviceClass | null;
  firmwareVersion?: string | null;
  softwareVersion?: string | null;
  os?: string | null;
  osVersion?: string | null;
  osEndOfSupport?: string | null;
  criticality?: Criticality | null;
  ephi?: boolean | null;
  site?: string | null;
  building?: string | null;
  floor?: string | null;
  room?: string | null;
  department?: string | null;
  owner?: string | null;
  lifecycleStatus?: string | null;
  macs?: string[];
  ips?: string[];
  hostnames?: string[];
}

export interface DeviceFact {
  field: string;
  value: string | null;
  source: string;
  /** Where it came from: `cmms.csv:17`, `cli:alice`, a capture and packet … */
  sourceRef: string | null;
  firstSeen: string;
  lastSeen: string;
  /** How sure an observing source was of the value (0–1); null for declared facts and older ones. */
  confidence: number | null;
}

export interface DeviceIdentifier {
  kind: IdentifierKind;
  value: string;
  source: string;
  firstSeen: string;
  lastSeen: string;
}

export interface FactValue {
  source: string;
  value: string | null;
  sourceRef: string | null;
  lastSeen: string;
}

/** A field where a declared source and an observed source disagree. Both are shown; neither wins silently. */
export interface DeviceConflict {
  field: string;
  declared: FactValue[];
  observed: FactValue[];
}

/**
 * What fingerprinting suggests for a field the device has no value for, without the confidence a fact
 * needs (a MAC prefix registered to a medical device maker, say): for the person triaging the device.
 */
export interface DeviceSuggestion {
  /** `manufacturer`, `model`, `deviceClass`, `softwareVersion`, `firmwareVersion`, `os` or `osVersion`. */
  field: string;
  value: string;
  /** 0–1, under the import's fact threshold (0.6 by default). */
  confidence: number;
  /** `capture` or `scanner`, and the file it came from. */
  source: string;
  sourceRef: string;
  /** The rule that produced it and the packet or scan that fed the rule. */
  evidence: { summary: string; connection: string | null; packet: number | null; time: string | null };
}

/**
 * Something the device said about itself that fingerprint rules read (DHCP vendor class, SSH banner,
 * User-Agent, certificate subject, DICOM Manufacturer …; `discovery/fingerprint-hints.ts`), or its MAC's
 * IEEE registry owner (`oui.vendor`). Never a secret or patient data.
 */
export interface DeviceHint {
  kind: string;
  value: string;
  /** The source and file of the first sighting. */
  source: string;
  sourceRef: string;
  firstSeen: string;
  /** The latest source run that showed it (its first packet there). */
  lastSeen: string;
  evidence: { summary: string; connection: string | null; packet: number | null; time: string | null };
}

/** `devices show`: the contract plus every fact, every identifier with its history, and the conflicts. */
export interface DeviceDetail extends Device {
  mergedInto: string | null;
  identifiers: DeviceIdentifier[];
  facts: DeviceFact[];
  conflicts: DeviceConflict[];
  /** Suggestions for fields without a value, most confident first. */
  suggestions: DeviceSuggestion[];
  /** What the device said about itself, by kind and value. */
  hints: DeviceHint[];
  /**
   * Vulnerability matches of the device, most pressing first (`vigil devices show`); null when the
   * caller may not read vulnerabilities, and absent from the results of changes (add, update …).
   */
  vulnerabilities?: DeviceVulnerability[] | null;
}

/** One line of a device's vulnerability list; `vigil vulns why` has the full explanation. */
export interface DeviceVulnerability {
  vulnerability: string;
  cve: string | null;
  advisoryIds: string[];
  status: string;
  confidence: number;
  fixAvailable: boolean;
  explanation: string;
  /** The VEX statement that set the status, if one applies (imported, or the hospital's own). */
  vex: {
    status: string;
    justification: string | null;
    impactStatement: string | null;
    origin: string;
    author: string | null;
    statementId: string;
    product: string;
  } | null;
}

/** A fact's stored text: booleans as `true`/`false`, everything else as written. */
export function factText(value: string | boolean | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value;
}

/** Values compare case- and space-insensitively, so `2.1` and ` 2.1 ` or `V2.1` vs `v2.1` agree. */
function sameValue(a: string | null, b: string | null): boolean {
  const n = (v: string | null) => (v ?? '').trim().replace(/\s+/g, ' ').toLowerCase();
  return n(a) === n(b);
}

/**
 * Conflicts between declared and observed facts, field by field. A field with only declared or only
 * observed facts, or where every observed value matches a declared one, is not a conflict.
 */
export function findConflicts(facts: readonly DeviceFact[]): DeviceConflict[] {
  const byField = new Map<string, DeviceFact[]>();
  for (const f of facts) {
    if (f.value === null) continue;
    const list = byField.get(f.field) ?? [];
    list.push(f);
    byField.set(f.field, list);
  }
  const conflicts: DeviceConflict[] = [];
  for (const [field, list] of byField) {
    const declared = list.filter((f) => isDeclaredSource(f.source));
    const observed = list.filter((f) => !isDeclaredSource(f.source));
    if (declared.length === 0 || observed.length === 0) continue;
    const disagree = observed.some((o) => declared.some((d) => !sameValue(d.value, o.value)));
    if (!disagree) continue;
    const view = (f: DeviceFact): FactValue => ({
      source: f.source,
      value: f.value,
      sourceRef: f.sourceRef,
      lastSeen: f.lastSeen,
    });
    conflicts.push({ field, declared: declared.map(view), observed: observed.map(view) });
  }
  return conflicts.sort((a, b) => a.field.localeCompare(b.field));
}

/** Either a value or a reason it was refused; parsers of user input return this instead of throwing. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const words = (s: string) =>
  s
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

/**
 * Reads a vocabulary word leniently: the exact name in any case/spacing, or a phrase whose words all
 * occur in the input ("Infusion Pump, Large Volume" → infusion-pump). If phrases of two different
 * values occur ("PET/CT"), the input is ambiguous and refused rather than guessed.
 */
function vocabularyParser<T extends string>(
  kind: string,
  values: readonly T[],
  phrases: Record<T, string[]>,
) {
  const exact = new Map<string, T>();
  for (const v of values) {
    exact.set(words(v).join(''), v);
    for (const p of phrases[v]) exact.set(words(p).join(''), v);
  }
  const phraseWords = values.flatMap((v) => [v, ...phrases[v]].map((p) => ({ value: v, words: words(p) })));
  return (input: string): Parsed<T> => {
    const w = words(input);
    const hit = exact.get(w.join(''));
    if (hit) return { ok: true, value: hit };
    const found = new Set(phraseWords.filter((p) => p.words.every((x) => w.includes(x))).map((p) => p.value));
    if (found.size === 1) return { ok: true, value: [...found][0]! };
    if (found.size > 1) {
      return { ok: false, reason: `ambiguous ${kind} "${input}": could be ${[...found].join(' or ')}` };
    }
    const near = new Set(
      phraseWords.filter((p) => w.length > 0 && w.every((x) => p.words.includes(x))).map((p) => p.value),
    );
    const hint = near.size ? `did you mean ${[...near].join(' or ')}?` : `use one of ${values.join(', ')}`;
    return { ok: false, reason: `unknown ${kind} "${input}"; ${hint}` };
  };
}

const CLASS_PHRASES: Record<DeviceClass, string[]> = {
  'infusion-pump': [
    'infusion pump',
    'syringe pump',
    'iv pump',
    'lvp',
    'large volume pump',
    'pca pump',
    'insulin pump',
    'infusion system',
  ],
  'patient-monitor': [
    'patient monitor',
    'vital signs monitor',
    'vitals monitor',
    'bedside monitor',
    'physiological monitor',
    'telemetry monitor',
  ],
  'imaging-ct': ['ct', 'ct scanner', 'computed tomography'],
  'imaging-mr': ['mr', 'mri', 'magnetic resonance'],
  'imaging-us': ['ultrasound', 'sonography', 'echocardiography'],
  'imaging-xr': ['x ray', 'xray', 'radiography', 'fluoroscopy', 'mammography', 'c arm'],
  'imaging-nm': ['nuclear medicine', 'pet', 'spect', 'gamma camera'],
  pacs: ['pacs', 'image archive'],
  'lab-analyzer': ['lab analyzer', 'laboratory analyzer', 'analyzer', 'analyser', 'blood gas'],
  'glucose-meter': ['glucose meter', 'glucometer', 'blood glucose'],
  'pulse-oximeter': ['pulse oximeter', 'oximeter', 'spo2'],
  ventilator: ['ventilator'],
  'implantable-programmer': ['implant programmer', 'pacemaker programmer', 'icd programmer', 'programmer'],
  'implantable-remote-monitor': ['remote monitor', 'home monitor', 'implant monitor'],
  'medical-workstation': ['medical workstation', 'clinical workstation', 'workstation'],
  'nurse-call': ['nurse call'],
  'other-medical': ['other medical', 'medical device'],
  it: ['it device', 'computer', 'server', 'printer', 'network device'],
  iot: ['internet of things', 'building automation', 'sensor'],
  unknown: ['unknown'],
};

const CRITICALITY_PHRASES: Record<Criticality, string[]> = {
  'life-sustaining': ['life sustaining'],
  'life-supporting': ['life supporting'],
  diagnostic: ['diagnostic', 'diagnostics'],
  'therapeutic-non-critical': ['therapeutic', 'non critical therapeutic'],
  'non-clinical': ['non clinical', 'nonclinical', 'non medical'],
};

export const parseDeviceClass = vocabularyParser('device class', DEVICE_CLASSES, CLASS_PHRASES);
export const parseCriticality = vocabularyParser('criticality', CRITICALITIES, CRITICALITY_PHRASES);

const YES = new Set(['yes', 'y', 'true', '1']);
const NO = new Set(['no', 'n', 'false', '0']);

/** ePHI flag from a spreadsheet cell: yes/no/true/false/1/0/y/n; empty means unknown (null). */
export function parseEphi(input: string): Parsed<boolean | null> {
  const v = input.trim().toLowerCase();
  if (v === '') return { ok: true, value: null };
  if (YES.has(v)) return { ok: true, value: true };
  if (NO.has(v)) return { ok: true, value: false };
  return { ok: false, reason: `"${input}" is not yes/no/true/false/1/0/y/n` };
}
