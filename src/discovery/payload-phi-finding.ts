/**
 * @module The `cleartext-phi` finding for patient data found in a message payload (an HL7 message, a DICOM
 * data set, or JSON or CSV with patient fields, carried by MQTT, FTP data or another cleartext transport):
 * one shape for captures and Suricata EVE. It names the segments, fields, tags or field names seen, never
 * their values.
 */
import type { PayloadPhi } from '../dissect/payload-phi.js';
import type { Evidence, FindingObservation } from './host-observation.js';

/** `where` says what carried it (`MQTT PUBLISH to ward/icu/hl7/adt`); `details` the transport's facts. */
export function payloadPhiFinding(
  ip: string,
  subject: string,
  phi: PayloadPhi,
  ev: (summary: string) => Evidence,
  where: string,
  details: FindingObservation['details'],
): FindingObservation {
  const what =
    phi.kind === 'HL7'
      ? `HL7 ${phi.messageType ?? 'message'} with ${phi.segments.join(', ')}`
      : phi.kind === 'DICOM'
        ? `DICOM data set with ${phi.keywords.join(', ')}`
        : `${phi.kind} with patient fields ${phi.fields.join(', ')}`;
  return {
    type: 'cleartext-phi',
    host: { ip },
    subject,
    evidence: ev(`${what} in cleartext: ${where}`),
    details: {
      ...details,
      payload: phi.kind,
      ...(phi.kind === 'HL7'
        ? { segments: phi.segments, fields: phi.fields }
        : phi.kind === 'DICOM'
          ? { tags: phi.tags.map((t, i) => `${t} ${phi.keywords[i]}`) }
          : { fields: phi.fields }),
    },
  };
}
