/**
 * @module The detection rules every source run goes through. To add a rule, write `rules/<id>.ts`
 * exporting a `DetectionRule` and append it here: `processSourceRun` runs whatever this list holds.
 */
import { cleartextCredentialsRule } from './cleartext-credentials.js';
import { cleartextPhiRule } from './cleartext-phi.js';
import { defaultCredentialsRule } from './default-credentials.js';
import type { DetectionRule } from './detection-rule.js';
import { failedLoginRule } from './failed-login.js';
import { insecureProtocolRule } from './insecure-protocol.js';
import { weakTlsRule } from './weak-tls.js';

export type { DetectionRule, RunDevice, RunFinding, SourceRun } from './detection-rule.js';

export const DETECTION_RULES: DetectionRule[] = [
  cleartextPhiRule,
  weakTlsRule,
  cleartextCredentialsRule,
  failedLoginRule,
  defaultCredentialsRule,
  insecureProtocolRule,
];
