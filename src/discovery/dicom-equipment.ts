/**
 * @module The equipment that made a DICOM object, as its General Equipment Module names it, and how many
 * different pieces of equipment a sender's objects come from. PACS, routers, workstations and planning
 * systems re-send (C-STORE) objects other equipment made, so a data set's Manufacturer and Model describe
 * the sender only while everything it sends agrees: a sender of objects made by two devices is a
 * forwarder, and its data sets say nothing about itself.
 * @see DICOM PS3.3 C.7.5.1 General Equipment Module: Manufacturer (0008,0070), Station Name (0008,1010),
 * Manufacturer's Model Name (0008,1090), Device Serial Number (0018,1000), "of the equipment that
 * produced the Composite Instances"
 */
import { nameKey } from '../inventory/identity.js';

/** What one data set says about the equipment that produced it. */
export interface DicomEquipment {
  manufacturer?: string | undefined;
  model?: string | undefined;
  serialNumber?: string | undefined;
  station?: string | undefined;
}

const PARTS = [
  ['manufacturer', 'manufacturer'],
  ['model', 'model'],
  ['serialNumber', 'serial'],
  ['station', 'station'],
] as const satisfies readonly (readonly [keyof DicomEquipment, string])[];

const SEPARATOR = '; ';

/**
 * The `dicom.equipment` hint value of a data set: its equipment attributes that have a value, labelled
 * (`manufacturer: GE MEDICAL SYSTEMS; model: RHAPSODE; station: CT01_OC0`), or undefined when it names
 * none (an SR without equipment attributes says nothing about who made it).
 */
export function equipmentHintValue(e: DicomEquipment): string | undefined {
  const parts: string[] = [];
  for (const [field, label] of PARTS) {
    // The separator cannot occur inside a value, so the hint reads back into the same attributes.
    const v = e[field]?.replaceAll(';', ',').replace(/\s+/g, ' ').trim();
    if (v) parts.push(`${label}: ${v}`);
  }
  return parts.length ? parts.join(SEPARATOR) : undefined;
}

/** The attributes of a `dicom.equipment` hint value. */
export function parseEquipment(value: string): DicomEquipment {
  const out: DicomEquipment = {};
  for (const part of value.split(SEPARATOR)) {
    const at = part.indexOf(': ');
    if (at < 0) continue;
    const entry = PARTS.find(([, label]) => label === part.slice(0, at));
    if (entry) out[entry[0]] = part.slice(at + 2);
  }
  return out;
}

/**
 * Keys compared as the catalogue compares names (case, punctuation and `Inc.` aside). A maker by its
 * first word only: one scanner's objects name its maker differently by object type and software release
 * ("SIEMENS" on images, "Siemens Healthineers" on a newer release's; "GE MEDICAL SYSTEMS" and "GE
 * Healthcare"), and calling that unit a forwarder would drop a true label.
 */
function keysOf(e: DicomEquipment): Partial<Record<keyof DicomEquipment, string>> {
  const out: Partial<Record<keyof DicomEquipment, string>> = {};
  for (const [field] of PARTS) {
    const k = nameKey(e[field]);
    if (k) out[field] = field === 'manufacturer' ? k.split(' ')[0]! : k;
  }
  return out;
}

/**
 * How many different pieces of equipment made these data sets (`dicom.equipment` hint values). Two data
 * sets come from the same equipment unless an attribute both name differs: a data set that leaves the
 * serial number out may still come from the unit that fills it in. A placeholder ("Manufacturer name
 * here") counts as a name: no GE scanner writes it, so its object was made by something else.
 */
export function countEquipment(values: Iterable<string>): number {
  const units: Partial<Record<keyof DicomEquipment, string>>[] = [];
  // Sorted, so that the count does not depend on the order the objects were seen in.
  for (const value of [...new Set(values)].sort()) {
    const mine = keysOf(parseEquipment(value));
    const same = units.find((u) => PARTS.every(([f]) => !u[f] || !mine[f] || u[f] === mine[f]));
    if (same) Object.assign(same, { ...mine, ...same });
    else if (Object.keys(mine).length) units.push(mine);
  }
  return units.length;
}

/** The `dicom.forwarder` hint value for a sender of objects made by `count` (≥ 2) devices. */
export const forwarderHintValue = (count: number): string =>
  `sends objects made by ${count} different devices: a forwarder`;
