/**
 * @module What a detection rule reports: one suspected unauthorized use or unsafe condition, before the
 * alerts service de-duplicates, rate-limits and stores it. Rules are pure (facts in, candidates out);
 * only the alerts service touches the database. Evidence says what was seen and where, never payload,
 * patient data or secrets.
 */

export const ALERT_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface AlertEvidence {
  /** ISO-8601 time of the packet, log line or check. */
  time: string;
  /** `10.1.2.3:51000 → 10.1.2.9:104/tcp` */
  connection?: string;
  /** Capture or log file (base name), or the sensor interface. */
  file?: string;
  /** 1-based packet number (captures) or line number (logs). */
  packet?: number;
  summary: string;
}

export interface AlertCandidate {
  /** The rule's id, e.g. `new-peer`, `internet-connection`, `cleartext-phi` (one file per rule). */
  rule: string;
  severity: AlertSeverity;
  title: string;
  deviceId: string | null;
  siteId: string | null;
  /** Stable within the rule, for de-duplication: `10.0.0.5→8.8.8.8:443/tcp`, `telnet:23` … */
  subject: string;
  evidence: AlertEvidence[];
  /** Extra facts for people (ports, counts, AE titles …), never secret values. */
  details?: Record<string, string | number | boolean | string[]>;
}
