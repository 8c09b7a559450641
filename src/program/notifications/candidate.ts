/**
 * @module What a trigger produces: a notification candidate with a stable de-duplication key (the same
 * item always yields the same key, so it is notified once per officer), the sites it concerns (their
 * officers get it; the organization's officers get everything) and a short text.
 */

import type { Config } from '../../config/config.js';
import type { DbHandle } from '../../store/transaction.js';

export const NOTIFICATION_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type NotificationSeverity = (typeof NOTIFICATION_SEVERITIES)[number];

export interface NotificationCandidate {
  /** The trigger's name: act-immediate, overdue-update, acceptance-expiring, new-advisory, officer-coverage, training-below-target, backup-problem, scim-token-expiring. */
  kind: string;
  key: string;
  severity: NotificationSeverity;
  title: string;
  body: string;
  /** Sites concerned; empty: the organization as a whole. */
  siteIds: string[];
  details: Record<string, string | number | boolean | string[] | null>;
}

export interface TriggerContext {
  h: DbHandle;
  now: Date;
  config: Partial<Config>;
}

export interface NotificationTrigger {
  name: string;
  run(ctx: TriggerContext): Promise<NotificationCandidate[]>;
}
