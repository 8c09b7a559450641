/**
 * @module What alert delivery sends: one stored alert as the alerts service hands it over (state, counts,
 * asset tag and device label, evidence). Delivery never reads the database; whoever enqueues an alert builds this shape.
 * Evidence says what was seen and where, never payload, patient data or secrets.
 */
import type { AlertEvidence, AlertSeverity } from '../alert-candidate.js';

export type DeliverableAlertState = 'new' | 'acknowledged' | 'resolved' | 'false-positive';

export interface DeliverableAlert {
  id: string;
  rule: string;
  severity: AlertSeverity;
  title: string;
  state: DeliverableAlertState;
  deviceId: string | null;
  assetTag: string | null;
  /** What people call the device: the asset tag, else make and model with its address (Alert.deviceLabel). */
  deviceLabel: string | null;
  siteId: string | null;
  subject: string;
  /** ISO-8601. */
  firstSeen: string;
  /** ISO-8601. */
  lastSeen: string;
  /** How many times the rule reported this subject (de-duplicated occurrences). */
  count: number;
  evidence: AlertEvidence[];
}

/** Severity order, lowest first: the queue evicts the lowest when it is full. */
export const SEVERITY_RANK: Record<AlertSeverity, number> = {
  info: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};

export interface EvidenceConnection {
  srcIp: string;
  srcPort: number | null;
  dstIp: string;
  dstPort: number | null;
  transport: 'tcp' | 'udp' | 'icmp';
}

// `10.1.2.3:51000 → 10.1.2.9:104/tcp`, `[fe80::1]:5000 → [fe80::2]:104/tcp`, `10.0.0.1 → 10.0.0.2/icmp`
// (the forms discovery/flow-summaries.ts and capture-analyzer.ts write).
const ENDPOINT = String.raw`(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+))(?::(\d{1,5}))?`;
const CONNECTION = new RegExp(String.raw`^\s*${ENDPOINT}\s*→\s*${ENDPOINT}\s*/(tcp|udp|icmp)\s*$`);

/** Reads an evidence `connection` string back into addresses and ports; null when it is not one. */
export function parseEvidenceConnection(connection: string): EvidenceConnection | null {
  const m = CONNECTION.exec(connection);
  if (!m) return null;
  const port = (s: string | undefined) => {
    if (s === undefined) return null;
    const n = Number(s);
    return n <= 65535 ? n : Number.NaN;
  };
  const srcPort = port(m[3]);
  const dstPort = port(m[6]);
  if (Number.isNaN(srcPort) || Number.isNaN(dstPort)) return null;
  return {
    srcIp: (m[1] ?? m[2])!,
    srcPort,
    dstIp: (m[4] ?? m[5])!,
    dstPort,
    transport: m[7] as EvidenceConnection['transport'],
  };
}
