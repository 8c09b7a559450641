/**
 * @module Which agency issued a UDI, and its device identifier (DI), as FHIR R4 `Device.udiCarrier`
 * needs them. Only what the export needs: the full parsing of GS1, HIBCC and ICCBBA carriers belongs
 * to the device identity (FDA) part of Vigil. Issuer URIs: FHIR R4 Device.udiCarrier.issuer.
 * @see FHIR R4 Device.udiCarrier (http://hl7.org/fhir/R4/device-definitions.html#Device.udiCarrier)
 */

export const UDI_ISSUERS = {
  gs1: 'http://hl7.org/fhir/NamingSystem/gs1-di',
  hibcc: 'http://hl7.org/fhir/NamingSystem/hibcc-dI',
  iccbba: 'http://hl7.org/fhir/NamingSystem/iccbba-other-di',
} as const;
export type UdiAgency = keyof typeof UDI_ISSUERS;

/** The US FDA UDI system, the jurisdiction of UDIs Vigil keeps. */
export const FDA_UDI_JURISDICTION = 'http://hl7.org/fhir/NamingSystem/fda-udi';

export interface UdiCarrierParts {
  agency: UdiAgency | null;
  deviceIdentifier: string | null;
  /** The UDI as written (human-readable form). */
  carrierHRF: string;
}

/**
 * GS1: `(01)` + 14-digit GTIN in the human-readable form, or `01` + GTIN in the element string.
 * HIBCC: starts with `+`; the DI is the primary data (labeler, product, unit of measure) before `/`,
 * without its check character. ICCBBA (ISBT 128): starts with `=` (data identifier); the DI is the
 * first data structure.
 */
export function udiCarrierParts(udi: string): UdiCarrierParts {
  const s = udi.trim();
  const gs1 = /^\(01\)(\d{14})/.exec(s) ?? /^01(\d{14})/.exec(s);
  if (gs1) return { agency: 'gs1', deviceIdentifier: gs1[1]!, carrierHRF: s };
  if (/^\d{14}$/.test(s)) return { agency: 'gs1', deviceIdentifier: s, carrierHRF: s };
  if (s.startsWith('+') && s.length > 2) {
    const primary = s.slice(1).split('/')[0]!;
    // A primary-only HIBCC code ends with its check character; with a secondary part it does not.
    const di = s.includes('/') ? primary : primary.slice(0, -1);
    return { agency: 'hibcc', deviceIdentifier: di || null, carrierHRF: s };
  }
  if (s.startsWith('=')) {
    const di = /^=[/,]?([^=&]+)/.exec(s)?.[1] ?? null;
    return { agency: 'iccbba', deviceIdentifier: di, carrierHRF: s };
  }
  return { agency: null, deviceIdentifier: null, carrierHRF: s };
}
