/**
 * @module One inventory device as a FHIR R4 `Device` resource: identifiers (Vigil id, asset tag),
 * UDI carrier, manufacturer, device names, model and serial numbers, versions (firmware, software,
 * operating system), status, type (Vigil device class), owner and location. Never a patient: Vigil's
 * inventory holds none, and `Device.patient` is never set.
 * @see FHIR R4 Device (http://hl7.org/fhir/R4/device.html)
 */
import { FDA_UDI_JURISDICTION, UDI_ISSUERS, udiCarrierParts } from './udi.js';

/** The device fields the export reads (a subset of the inventory's Device). */
export interface FhirDeviceSource {
  id: string;
  assetTag: string | null;
  serialNumber: string | null;
  udi: string | null;
  manufacturer: string | null;
  model: string | null;
  modelNumber: string | null;
  deviceClass: string;
  firmwareVersion: string | null;
  softwareVersion: string | null;
  os: string | null;
  osVersion: string | null;
  site: string | null;
  building: string | null;
  floor: string | null;
  room: string | null;
  department: string | null;
  owner: string | null;
  state: string;
}

/** Identifier systems Vigil mints (URNs: no resolvable server is implied). */
export const VIGIL_DEVICE_SYSTEM = 'urn:vigil:device-id';
export const VIGIL_ASSET_TAG_SYSTEM = 'urn:vigil:asset-tag';
const IDENTIFIER_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0203';

export type FhirJson = Record<string, unknown>;

/** FHIR Device.status: active | inactive | entered-in-error | unknown. */
export function fhirStatus(state: string): 'active' | 'inactive' | 'unknown' {
  if (state === 'active') return 'active';
  if (state === 'retired' || state === 'ignored') return 'inactive';
  return 'unknown';
}

const manufacturerKnown = (m: string | null) => (m && m.toLowerCase() !== 'unknown' ? m : null);

/** FHIR strings are never empty and should not carry leading or trailing whitespace. */
const clean = (s: string | null): string | null => {
  const t = s?.trim();
  return t ? t : null;
};

export function fhirDevice(source: FhirDeviceSource): FhirJson {
  const d = Object.fromEntries(
    Object.entries(source).map(([k, v]) => [k, typeof v === 'string' && k !== 'id' ? clean(v) : v]),
  ) as unknown as FhirDeviceSource;
  const manufacturer = manufacturerKnown(d.manufacturer);
  const identifier: FhirJson[] = [{ use: 'secondary', system: VIGIL_DEVICE_SYSTEM, value: d.id }];
  if (d.assetTag)
    identifier.unshift({
      use: 'official',
      type: {
        coding: [{ system: IDENTIFIER_TYPE_SYSTEM, code: 'FILL', display: 'Filler Identifier' }],
        text: 'Asset tag',
      },
      system: VIGIL_ASSET_TAG_SYSTEM,
      value: d.assetTag,
    });
  const r: FhirJson = { resourceType: 'Device', id: d.id, identifier };
  if (d.udi) {
    const p = udiCarrierParts(d.udi);
    const carrier: FhirJson = { carrierHRF: p.carrierHRF, jurisdiction: FDA_UDI_JURISDICTION };
    if (p.deviceIdentifier) carrier['deviceIdentifier'] = p.deviceIdentifier;
    if (p.agency) carrier['issuer'] = UDI_ISSUERS[p.agency];
    r['udiCarrier'] = [carrier];
  }
  r['status'] = fhirStatus(d.state);
  if (manufacturer) r['manufacturer'] = manufacturer;
  if (d.serialNumber) r['serialNumber'] = d.serialNumber;
  const names: FhirJson[] = [];
  if (manufacturer && d.model) names.push({ name: `${manufacturer} ${d.model}`, type: 'manufacturer-name' });
  if (d.model) names.push({ name: d.model, type: 'model-name' });
  if (names.length) r['deviceName'] = names;
  if (d.modelNumber) r['modelNumber'] = d.modelNumber;
  r['type'] = { text: d.deviceClass };
  const versions: FhirJson[] = [];
  if (d.firmwareVersion) versions.push({ type: { text: 'firmware' }, value: d.firmwareVersion });
  if (d.softwareVersion) versions.push({ type: { text: 'software' }, value: d.softwareVersion });
  if (d.os)
    versions.push({
      type: { text: 'operating-system' },
      value: d.osVersion ? `${d.os} ${d.osVersion}` : d.os,
    });
  if (versions.length) r['version'] = versions;
  const owner = d.owner ?? d.department;
  if (owner) r['owner'] = { display: owner };
  const place = [
    d.site,
    d.building,
    d.floor ? `floor ${d.floor}` : null,
    d.room ? `room ${d.room}` : null,
  ].filter((x): x is string => !!x);
  if (place.length) {
    // A contained Location keeps the export self-contained: no Location server is implied.
    const location: FhirJson = {
      resourceType: 'Location',
      id: 'loc',
      name: place.join(', '),
      status: 'active',
    };
    if (d.department) location['description'] = `Department: ${d.department}`;
    r['contained'] = [location];
    r['location'] = { reference: '#loc', display: place.join(', ') };
  }
  return r;
}
