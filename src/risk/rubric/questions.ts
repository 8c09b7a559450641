/**
 * @module The guided questionnaire, per device model, after MITRE's "Rubric for Applying CVSS to Medical
 * Devices" (Chase and Christey Coley, 2019; qualified by the FDA as a Medical Device Development Tool in
 * 2020). The rubric asks structured questions per CVSS metric — attack vector, complexity, privileges,
 * user interaction, scope — and asks the confidentiality, integrity and availability impact separately
 * for each class of data or function the device has: PHI, diagnosis or monitoring, therapy delivery and
 * clinical workflow. The question ids follow the rubric's extended-vector names (XAVN, XCP, …).
 *
 * The rubric was written for the analyst scoring one vulnerability; a hospital answers the same questions
 * once per model about how that model is deployed and what it does, and Vigil turns the answers into the
 * CVSS environmental metrics of every vulnerability on the model (see rubric.ts). Wording is ours.
 */

export type RubricGroup = 'attack-vector' | 'complexity' | 'privileges' | 'interaction' | 'scope' | 'impact';

export interface RubricOption {
  value: string;
  label: string;
}

export interface RubricQuestion {
  id: string;
  group: RubricGroup;
  /** For impact questions: the data class and the security property asked about. */
  dataClass?: DataClass;
  property?: 'C' | 'I' | 'A';
  text: string;
  /** What the rubric means, for the person answering. */
  help: string;
  options: readonly RubricOption[];
}

export const DATA_CLASSES = ['phi', 'diagnosis', 'therapy', 'workflow'] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

const YES_NO: readonly RubricOption[] = [
  { value: 'yes', label: 'Yes' },
  { value: 'no', label: 'No' },
];

export const IMPACT_OPTIONS: readonly RubricOption[] = [
  { value: 'none', label: 'None: the model has no such data or function, or it cannot be affected' },
  { value: 'low', label: 'Low: limited, recoverable, no patient harm' },
  { value: 'high', label: 'High: serious, or could harm a patient' },
];

const DATA_CLASS_TEXT: Record<DataClass, { name: string; C: string; I: string; A: string }> = {
  phi: {
    name: 'protected health information (PHI/PII)',
    C: 'If PHI on or passing through the device were disclosed, how bad would it be? (High: records of more than a few patients, or sensitive conditions.)',
    I: 'If PHI on the device were altered (wrong patient, wrong demographics), how bad would it be?',
    A: 'If PHI on the device became unavailable, how bad would it be?',
  },
  diagnosis: {
    name: 'data or functions used for diagnosis or patient monitoring',
    C: 'If diagnostic or monitoring data were disclosed, how bad would it be?',
    I: 'If diagnostic or monitoring data were altered (wrong values, images, alarms suppressed), how bad would it be? (High: a clinician could act on false data and harm the patient.)',
    A: 'If diagnosis or monitoring stopped (no images, no alarms, no readings), how bad would it be? (High: real-time monitoring of patients who depend on it.)',
  },
  therapy: {
    name: 'data or functions that deliver therapy',
    C: 'If therapy settings or records were disclosed, how bad would it be?',
    I: 'If therapy delivery or its settings were altered (dose, rate, pacing, energy), how bad would it be? (High for anything that could injure a patient.)',
    A: 'If therapy delivery stopped or could not be programmed, how bad would it be? (High for life-sustaining therapy.)',
  },
  workflow: {
    name: 'clinical workflow data or functions (orders, worklists, scheduling, results routing)',
    C: 'If clinical workflow data were disclosed, how bad would it be?',
    I: 'If clinical workflow data were altered (wrong worklist, misrouted results), how bad would it be?',
    A: 'If the clinical workflow function stopped, how bad would it be? (High: care stops or is delayed for many patients.)',
  },
};

const PROPERTY_ID: Record<'C' | 'I' | 'A', string> = { C: 'XC', I: 'XI', A: 'XA' };
const CLASS_ID: Record<DataClass, string> = { phi: 'P', diagnosis: 'D', therapy: 'T', workflow: 'W' };

const impactQuestions: RubricQuestion[] = DATA_CLASSES.flatMap((dc) =>
  (['C', 'I', 'A'] as const).map((p) => ({
    id: `${PROPERTY_ID[p]}${CLASS_ID[dc]}`,
    group: 'impact' as const,
    dataClass: dc,
    property: p,
    text: DATA_CLASS_TEXT[dc][p],
    help: `Impact on ${DATA_CLASS_TEXT[dc].name}. The rubric asks each data class separately; the highest answer over all classes sets the requirement.`,
    options: IMPACT_OPTIONS,
  })),
);

export const RUBRIC_QUESTIONS: readonly RubricQuestion[] = [
  {
    id: 'XAVN',
    group: 'attack-vector',
    text: 'Can the device be reached over a routed network (hospital LAN or WAN, VPN, the internet) on the interfaces that carry its functions?',
    help: 'Yes → Network. Count every routed path, including vendor remote-support connections.',
    options: YES_NO,
  },
  {
    id: 'XAVW',
    group: 'attack-vector',
    text: 'Otherwise, can it be reached over a short-range or same-segment link only (Bluetooth, RF telemetry such as MICS, Wi-Fi Direct, its own non-routed VLAN)?',
    help: 'Yes → Adjacent: the attacker must be nearby or on the same segment.',
    options: YES_NO,
  },
  {
    id: 'XAVR',
    group: 'attack-vector',
    text: 'Otherwise, does reaching it need local access (a session on the device, its console, a serial or service port)?',
    help: 'Yes → Local. No to all three → Physical: the attacker must handle the device.',
    options: YES_NO,
  },
  {
    id: 'XACL',
    group: 'complexity',
    text: 'On this model, does an attack need conditions the attacker does not control (service mode, a particular clinical state, a timing window, a man-in-the-middle position)?',
    help: 'Yes → Attack Complexity High, at least.',
    options: YES_NO,
  },
  {
    id: 'XPRL',
    group: 'privileges',
    text: 'What login protects the device functions an attacker would use?',
    help: 'The rubric distinguishes no login, an ordinary operator login, and a privileged (service, administrator) login.',
    options: [
      { value: 'none', label: 'None' },
      { value: 'operator', label: 'An operator or clinician login' },
      { value: 'privileged', label: 'A privileged login (service engineer, administrator)' },
    ],
  },
  {
    id: 'XPRZ',
    group: 'privileges',
    text: 'Are those credentials shared by all units, hard-coded, or left at the manufacturer default?',
    help: 'Yes → the login does not count: credentials anyone can learn are no privilege (the rubric treats them as none).',
    options: YES_NO,
  },
  {
    id: 'XUI',
    group: 'interaction',
    text: 'Does an attack need a person at the device to do something (open a file, insert media, accept a pairing or prompt)?',
    help: 'Yes → User Interaction Required (CVSS 4.0: Passive).',
    options: YES_NO,
  },
  {
    id: 'XS',
    group: 'scope',
    text: 'Does the device control or feed other systems (programs a pump, sends to PACS or the EHR, relays implant data), so that its compromise reaches them?',
    help: 'Yes → Scope Changed (CVSS 3.x). CVSS 4.0 expresses this through the subsequent-system impacts instead.',
    options: YES_NO,
  },
  ...impactQuestions,
];

export const QUESTION_BY_ID: ReadonlyMap<string, RubricQuestion> = new Map(
  RUBRIC_QUESTIONS.map((q) => [q.id, q]),
);

/** Answers by question id. Unanswered questions are simply absent. */
export type RubricAnswers = Record<string, string>;
