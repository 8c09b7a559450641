/**
 * @module Rule `cleartext-phi`: patient data (HL7 PID/NK1/IN1 segments, DICOM patient attributes, patient APIs over HTTP) sent without encryption.
 */
import { findingRule } from './finding-rule.js';

export const cleartextPhiRule = findingRule({
  id: 'cleartext-phi',
  finding: 'cleartext-phi',
  description:
    'patient data (HL7 PID/NK1/IN1 segments, DICOM patient attributes, patient APIs over HTTP) sent without encryption.',
});
