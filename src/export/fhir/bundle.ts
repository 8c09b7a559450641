/**
 * @module The inventory as a FHIR R4 `Bundle` of type `collection`: one entry per device, each with a
 * `urn:uuid:` fullUrl (Vigil ids are UUIDv7).
 * @see FHIR R4 Bundle (http://hl7.org/fhir/R4/bundle.html)
 */
import { type FhirDeviceSource, type FhirJson, fhirDevice } from './device-resource.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function fhirBundle(devices: Iterable<FhirDeviceSource>, now: Date, id?: string): FhirJson {
  const entry: FhirJson[] = [];
  for (const d of devices) {
    entry.push({
      fullUrl: UUID.test(d.id) ? `urn:uuid:${d.id.toLowerCase()}` : `Device/${d.id}`,
      resource: fhirDevice(d),
    });
  }
  return {
    resourceType: 'Bundle',
    ...(id ? { id } : {}),
    meta: { lastUpdated: now.toISOString() },
    type: 'collection',
    timestamp: now.toISOString(),
    entry,
  };
}
