/**
 * @module Every notification trigger, in the order they run. Each is small, reads the current state and
 * returns candidates with stable keys; the runner stores what is new per officer and sends it.
 */
import type { NotificationTrigger } from '../candidate.js';
import { acceptanceExpiringTrigger } from './acceptance-expiring.js';
import { actImmediateTrigger } from './act-immediate.js';
import { backupProblemTrigger } from './backup-problem.js';
import { newAdvisoryTrigger } from './new-advisory.js';
import { officerCoverageTrigger } from './officer-coverage.js';
import { overdueUpdateTrigger } from './overdue-update.js';
import { scimTokenExpiringTrigger } from './scim-token-expiring.js';
import { trainingBelowTargetTrigger } from './training-below-target.js';

export const TRIGGERS: readonly NotificationTrigger[] = [
  actImmediateTrigger,
  overdueUpdateTrigger,
  acceptanceExpiringTrigger,
  newAdvisoryTrigger,
  trainingBelowTargetTrigger,
  officerCoverageTrigger,
  backupProblemTrigger,
  scimTokenExpiringTrigger,
];
