/**
 * @module Human Impact for the deployer tree (Safety Impact + Mission Impact, combined through the
 * official SSVC Human Impact table) and Mission and Well-Being for the CISA tree (Mission Prevalence +
 * Public Well-Being Impact), from the device's clinical criticality, its ePHI handling and how many
 * devices of its model the hospital runs. The mapping is documented in docs/risk.md.
 */
import { plural } from '../format-count.js';
import type { Criticality } from '../inventory/device.js';
import { type Evidence, evidence } from './evidence.js';

/** SSVC Safety Impact 2.0.1 value keys: Negligible, Marginal, Critical, Catastrophic. */
export type SafetyImpact = 'N' | 'M' | 'R' | 'C';
/** SSVC Mission Impact 2.0.0: Degraded, MEF Support Crippled, MEF Failure, Mission Failure. */
export type MissionImpact = 'D' | 'MSC' | 'MEF' | 'MF';
/** CISA Mission and Well-Being Impact: Low, Medium, High. */
export type MissionWellBeing = 'L' | 'M' | 'H';
/** CISA Mission Prevalence 1.0.0: Minimal, Support, Essential. */
export type MissionPrevalence = 'M' | 'S' | 'E';
/** SSVC Public Well-Being Impact: Minimal, Material, Irreversible. */
export type PublicWellBeing = 'M' | 'R' | 'I';

/**
 * CISA's Mission and Well-Being table (CISA SSVC Guide, November 2022, "Mission and Well-Being Impact"):
 * rows Mission Prevalence Minimal/Support/Essential, columns Public Well-Being Minimal/Material/
 * Irreversible. The shared SSVC data has the decision points but not this small table, so it is here.
 */
export const MISSION_WELL_BEING: Record<MissionPrevalence, Record<PublicWellBeing, MissionWellBeing>> = {
  M: { M: 'L', R: 'M', I: 'H' },
  S: { M: 'M', R: 'M', I: 'H' },
  E: { M: 'H', R: 'H', I: 'H' },
};

/** When a model counts as widespread: this many active devices of it (configurable: risk.prevalenceUnits). */
export const DEFAULT_PREVALENCE_UNITS = 25;

export interface Prevalence {
  /** Active devices of the device's model (1 when the model is unknown: the device itself). */
  units: number;
  /** Threshold for "widespread". */
  widespreadUnits?: number;
}

const SAFETY: Record<Criticality, SafetyImpact> = {
  'life-sustaining': 'C',
  'life-supporting': 'R',
  diagnostic: 'M',
  'therapeutic-non-critical': 'M',
  'non-clinical': 'N',
};
const MISSION: Record<Criticality, MissionImpact> = {
  'life-sustaining': 'MEF',
  'life-supporting': 'MEF',
  diagnostic: 'MSC',
  'therapeutic-non-critical': 'MSC',
  'non-clinical': 'D',
};
const SAFETY_NAMES: Record<SafetyImpact, string> = {
  N: 'negligible',
  M: 'marginal',
  R: 'critical',
  C: 'catastrophic',
};
const MISSION_NAMES: Record<MissionImpact, string> = {
  D: 'degraded',
  MSC: 'MEF support crippled',
  MEF: 'MEF failure',
  MF: 'mission failure',
};
const ORDER: MissionImpact[] = ['D', 'MSC', 'MEF', 'MF'];

export interface HumanImpactEvidence {
  safety: Evidence<SafetyImpact>;
  mission: Evidence<MissionImpact>;
  prevalence: Evidence<MissionPrevalence>;
  wellBeing: Evidence<MissionWellBeing>;
}

const PUBLIC_WELL_BEING: Record<SafetyImpact, PublicWellBeing> = { N: 'M', M: 'R', R: 'I', C: 'I' };
const PWB_NAMES: Record<PublicWellBeing, string> = { M: 'minimal', R: 'material', I: 'irreversible' };
const MP_NAMES: Record<MissionPrevalence, string> = { M: 'minimal', S: 'support', E: 'essential' };

export function humanImpactEvidence(device: {
  criticality: Criticality | null;
  ephi: boolean | null;
  deviceClass: string;
  prevalence?: Prevalence;
}): HumanImpactEvidence {
  const implantable = device.deviceClass.startsWith('implantable-');
  const crit: Criticality | null = device.criticality ?? (implantable ? 'life-sustaining' : null);
  const critSource = device.criticality ? 'inventory' : implantable ? 'policy' : 'default';
  const critText = device.criticality
    ? `criticality ${device.criticality}`
    : implantable
      ? `device class ${device.deviceClass} (implantables count as life-sustaining)`
      : 'criticality unknown (assumed diagnostic)';
  const si = SAFETY[crit ?? 'diagnostic'];
  const safety = evidence(
    'safetyImpact',
    si,
    critSource,
    `${critText}: a failure can be ${SAFETY_NAMES[si]} for a patient`,
  );
  const units = device.prevalence?.units ?? 1;
  const widespreadAt = device.prevalence?.widespreadUnits ?? DEFAULT_PREVALENCE_UNITS;
  const widespread = units >= widespreadAt;
  const unitsText = `${plural(units, 'active device')} of the model`;
  let mi = MISSION[crit ?? 'diagnostic'];
  let miText = `${critText}: clinical role`;
  if (device.ephi === true && ORDER.indexOf(mi) < ORDER.indexOf('MSC')) {
    mi = 'MSC';
    miText = `${critText}, but it stores or transmits ePHI (a breach cripples the privacy function)`;
  } else if (device.ephi === true) miText += ', handles ePHI';
  // One flaw reaches every unit of a model at once: a widespread model's failure is one level worse.
  if (widespread && ORDER.indexOf(mi) < ORDER.indexOf('MEF')) {
    mi = ORDER[ORDER.indexOf(mi) + 1]!;
    miText += `; ${unitsText} (≥ ${widespreadAt}: one flaw hits them all)`;
  }
  const mission = evidence(
    'missionImpact',
    mi,
    device.ephi === true || widespread ? 'inventory' : critSource,
    `${miText} → ${MISSION_NAMES[mi]}`,
  );
  // Mission Prevalence: a model that keeps patients alive is essential however many there are; a
  // clinical model is essential once widespread and support otherwise; other models support the
  // mission when widespread and are minimal otherwise.
  const lifeCritical = crit === 'life-sustaining' || crit === 'life-supporting';
  const clinical = (crit ?? 'diagnostic') !== 'non-clinical';
  const mp: MissionPrevalence =
    lifeCritical || (clinical && widespread) ? 'E' : clinical || widespread ? 'S' : 'M';
  const prevalence = evidence(
    'missionPrevalence',
    mp,
    'inventory',
    `${unitsText}, ${crit ? `criticality ${crit}` : 'criticality unknown'} → ${MP_NAMES[mp]}`,
  );
  const pwb = PUBLIC_WELL_BEING[si];
  const mwi = MISSION_WELL_BEING[mp][pwb];
  const wellBeing = evidence(
    'missionWellBeing',
    mwi,
    'policy',
    `CISA Mission and Well-Being table: prevalence ${MP_NAMES[mp]} + public well-being ${PWB_NAMES[pwb]} (safety ${SAFETY_NAMES[si]})`,
  );
  return { safety, mission, prevalence, wellBeing };
}
