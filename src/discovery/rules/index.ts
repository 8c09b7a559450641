/**
 * @module All fingerprint rules, in evaluation order. Order only breaks ties between equally confident
 * rules that disagree; put the more specific rule first.
 */
import { DICOM_RULES } from './dicom-rules.js';
import { EMBEDDED_RULES } from './embedded-rules.js';
import type { FingerprintRule } from './fingerprint-rule.js';
import { MEDICAL_RULES } from './medical-rules.js';
import { OS_RULES } from './os-rules.js';

export type { FingerprintRule, RuleCondition, RuleOutput } from './fingerprint-rule.js';

export const FINGERPRINT_RULES: readonly FingerprintRule[] = [
  ...DICOM_RULES,
  ...EMBEDDED_RULES,
  ...OS_RULES,
  ...MEDICAL_RULES,
];
