/**
 * @module Human Impact for the deployer tree (Safety Impact + Mission Impact, combined through the
 * official SSVC Human Impact table) and Mission and Well-Being for the CISA tree, from the device's
 * clinical criticality and ePHI handling. The mapping is documented in docs/risk.md.
 */
import type { Criticality } from '../inventory/device.js';
import { type Evidence, evidence } from './evidence.js';

/** SSVC Safety Impact 2.0.1 value keys: Negligible, Marginal, Critical, Catastrophic. */
export type SafetyImpact = 'N' | 'M' | 'R' | 'C';
/** SSVC Mission Impact 2.0.0: Degraded, MEF Support Crippled, MEF Failure, Mission Failure. */
export type MissionImpact = 'D' | 'MSC' | 'MEF' | 'MF';
/** CISA Mission and Well-Being Impact: Low, Medium, High. */
export type MissionWellBeing = 'L' | 'M' | 'H';

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
  wellBeing: Evidence<MissionWellBeing>;
}

export function humanImpactEvidence(device: {
  criticality: Criticality | null;
  ephi: boolean | null;
  deviceClass: string;
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
  let mi = MISSION[crit ?? 'diagnostic'];
  let miText = `${critText}: clinical role`;
  if (device.ephi === true && ORDER.indexOf(mi) < ORDER.indexOf('MSC')) {
    mi = 'MSC';
    miText = `${critText}, but it stores or transmits ePHI (a breach cripples the privacy function)`;
  } else if (device.ephi === true) miText += ', handles ePHI';
  const mission = evidence(
    'missionImpact',
    mi,
    device.ephi === true ? 'inventory' : critSource,
    `${miText} → ${MISSION_NAMES[mi]}`,
  );
  const mwi: MissionWellBeing =
    si === 'C' || si === 'R' ? 'H' : si === 'M' || mi === 'MSC' || mi === 'MEF' ? 'M' : 'L';
  const wellBeing = evidence(
    'missionWellBeing',
    mwi,
    critSource,
    `safety ${SAFETY_NAMES[si]}, mission ${MISSION_NAMES[mi]}`,
  );
  return { safety, mission, wellBeing };
}
