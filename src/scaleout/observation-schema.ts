/**
 * @module The message a sensor publishes and the centre ingests: a versioned envelope (`v`) around a
 * slice of a `SourceResult` (hosts with the findings about them, or conversations) or a heartbeat. Both
 * ends validate it with the same zod schema; `decodeObservation` also upgrades the older versions still
 * in the field (v0, the first sensor draft: one whole result per message), so an old sensor keeps
 * working against a newer centre for at least one version. Nothing here may hold payload, patient data
 * or secrets (the minimisation rule of discovery/host-observation.ts): bounded strings and lists only.
 */
import { z } from 'zod';
import { FINDING_TYPES, type SourceResult } from '../discovery/host-observation.js';

export const OBSERVATION_SCHEMA_VERSION = 1;

/** The schema's caps on list lengths, which split.ts keeps every message within. */
export const OBSERVATION_LIMITS = {
  hostsPerMessage: 10_000,
  findingsPerMessage: 100_000,
  flowsPerMessage: 100_000,
  host: { macs: 100, ips: 1000, hostnames: 200, services: 5000, protocols: 200, hints: 1000 },
} as const;
const L = OBSERVATION_LIMITS;

const str = (max = 2048) => z.string().max(max);
const list = <T extends z.ZodType>(item: T, max = 10_000) => z.array(item).max(max);

const EvidenceSchema = z.object({
  source: z.enum(['capture', 'scanner', 'log', 'live']),
  file: str(),
  connection: str().optional(),
  packet: z.number().int().nonnegative().optional(),
  time: str(64).optional(),
  summary: str(4096),
});

const ServiceSchema = z.object({
  port: z.number().int().min(0).max(65_535),
  transport: z.enum(['tcp', 'udp']),
  protocol: str(64).nullable(),
  product: str(512).nullable(),
  version: str(512).nullable(),
  encrypted: z.boolean().nullable(),
  cpes: list(str(512), 100).optional(),
  evidence: EvidenceSchema,
});

const AttributedSchema = z.object({
  value: str(1024),
  confidence: z.number().min(0).max(1),
  evidence: EvidenceSchema,
});

const HostSchema = z.object({
  macs: list(str(64), L.host.macs),
  ips: list(str(64), L.host.ips),
  hostnames: list(str(512), L.host.hostnames),
  firstSeen: str(64),
  lastSeen: str(64),
  firstEvidence: EvidenceSchema.optional(),
  services: list(ServiceSchema, L.host.services),
  protocols: list(str(64), L.host.protocols),
  dicom: z
    .object({
      aeTitles: list(str(64), 1000),
      implementationClassUid: str(128).nullable(),
      implementationVersionName: str(128).nullable(),
      sopClasses: list(str(128), 1000),
      roles: list(str(64), 100),
    })
    .optional(),
  hl7: z
    .object({
      sendingApplications: list(str(256), 1000),
      sendingFacilities: list(str(256), 1000),
      receivingApplications: list(str(256), 1000),
      receivingFacilities: list(str(256), 1000),
      messageTypes: list(str(64), 1000),
      versions: list(str(32), 100),
    })
    .optional(),
  identity: z.partialRecord(
    z.enum(['manufacturer', 'model', 'deviceClass', 'softwareVersion', 'firmwareVersion', 'os', 'osVersion']),
    AttributedSchema,
  ),
  hints: list(z.object({ kind: str(64), value: str(4096), evidence: EvidenceSchema }), L.host.hints),
});

const FindingSchema = z.object({
  type: z.enum(FINDING_TYPES),
  host: z.object({ mac: str(64).optional(), ip: str(64).optional() }),
  subject: str(512),
  evidence: EvidenceSchema,
  details: z.record(str(128), z.union([str(4096), z.number(), z.boolean(), list(str(1024), 1000)])),
  occurrences: z.number().int().positive().optional(),
  lastEvidence: EvidenceSchema.optional(),
});

const FlowSchema = z.object({
  client: str(64),
  server: str(64),
  port: z.number().int().min(0).max(65_535),
  transport: z.enum(['tcp', 'udp', 'icmp']),
  protocol: str(64).nullable(),
  connections: z.number().int().nonnegative(),
  packets: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  firstSeen: str(64),
  lastSeen: str(64),
  established: z.boolean().optional(),
  evidence: EvidenceSchema,
});

/** What a sensor says about itself with every flush (and every minute when idle). */
export const HeartbeatSchema = z.object({
  /** Vigil version of the sensor. */
  version: str(64),
  startedAt: str(64),
  source: str(256),
  packets: z.number().int().nonnegative(),
  bytes: z.number().nonnegative(),
  /** Packets the capture tool or reader reported lost (its own counters), when it says. */
  captureDrops: z.number().int().nonnegative(),
  spoolBytes: z.number().int().nonnegative(),
  /** Observations the full spool dropped since the sensor's spool was created, by value. */
  spoolDropped: z.object({ low: z.number().int().nonnegative(), high: z.number().int().nonnegative() }),
});
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

/** Site tokens are one NATS subject token: letters, digits, `_` and `-`. */
export const SITE_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
export const SENSOR_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

const Base = {
  schema: z.literal('vigil.obs'),
  v: z.literal(1),
  sensor: z.string().regex(SENSOR_ID, 'letters, digits and _ . : - only'),
  site: z.string().regex(SITE_TOKEN, 'letters, digits, _ and - only'),
  /** The sensor's message sequence: `msgId` is `<sensor>:<epoch>:<seq>`. */
  epoch: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
  /** Which flush of the sensor this belongs to, and its part (results split into bounded messages). */
  flush: z.number().int().nonnegative(),
  part: z.number().int().nonnegative(),
  parts: z.number().int().positive(),
  /** When the sensor made it (ISO-8601): the centre's lag is receive time minus this. */
  at: str(64),
};

export const ObservationMessageV1Schema = z.discriminatedUnion('kind', [
  z.object({
    ...Base,
    kind: z.literal('hosts'),
    hosts: list(HostSchema, L.hostsPerMessage),
    findings: list(FindingSchema, L.findingsPerMessage),
    /** v1 sensors send conversations as their own (droppable) `flows` messages; upgraded v0 ones ride here. */
    flows: list(FlowSchema, L.flowsPerMessage).optional(),
  }),
  z.object({ ...Base, kind: z.literal('flows'), flows: list(FlowSchema, L.flowsPerMessage) }),
  z.object({ ...Base, kind: z.literal('heartbeat'), heartbeat: HeartbeatSchema }),
]);
export type ObservationMessage = z.infer<typeof ObservationMessageV1Schema>;
export type ObservationKind = ObservationMessage['kind'];

/** v0: the first sensor draft, one whole flush per message, no parts, no heartbeats. */
const ObservationMessageV0Schema = z.object({
  version: z.literal(0),
  sensorId: z.string().regex(SENSOR_ID),
  site: z.string().regex(SITE_TOKEN),
  batch: z.number().int().nonnegative(),
  sentAt: str(64),
  result: z.object({
    hosts: list(HostSchema, 10_000),
    findings: list(FindingSchema, 100_000),
    flows: list(FlowSchema, 100_000).optional(),
  }),
});

export class ObservationDecodeError extends Error {}

function issuesText(e: z.ZodError): string {
  return e.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`)
    .join('; ');
}

/**
 * Bytes of a message → a v1 message, whatever version it was written in. Throws ObservationDecodeError
 * naming the version and the first problems (JSON path: reason) when it is not a message Vigil knows.
 */
export function decodeObservation(data: Uint8Array | string): ObservationMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch (e) {
    throw new ObservationDecodeError(`not JSON: ${(e as Error).message}`);
  }
  const o = raw as { v?: unknown; version?: unknown } | null;
  if (o && typeof o === 'object' && o.version === 0) {
    const r = ObservationMessageV0Schema.safeParse(raw);
    if (!r.success) throw new ObservationDecodeError(`observation v0: ${issuesText(r.error)}`);
    return upgradeV0(r.data);
  }
  if (o && typeof o === 'object' && o.v === 1) {
    const r = ObservationMessageV1Schema.safeParse(raw);
    if (!r.success) throw new ObservationDecodeError(`observation v1: ${issuesText(r.error)}`);
    return r.data;
  }
  const said = o && typeof o === 'object' ? (o.v ?? o.version) : undefined;
  throw new ObservationDecodeError(
    `unknown observation schema version ${JSON.stringify(said ?? null)} (this centre reads v0 and v1)`,
  );
}

/** A v0 message is a whole flush: hosts and findings, and its conversations, in one v1 `hosts` message. */
function upgradeV0(m: z.infer<typeof ObservationMessageV0Schema>): ObservationMessage {
  return {
    schema: 'vigil.obs',
    v: 1,
    sensor: m.sensorId,
    site: m.site,
    epoch: 0,
    seq: m.batch,
    flush: m.batch,
    part: 0,
    parts: 1,
    at: m.sentAt,
    kind: 'hosts',
    hosts: m.result.hosts,
    findings: m.result.findings,
    ...(m.result.flows ? { flows: m.result.flows } : {}),
  };
}

/** Validates before sending: a sensor never publishes what the centre would refuse. */
export function encodeObservation(m: ObservationMessage): Uint8Array {
  const r = ObservationMessageV1Schema.safeParse(m);
  if (!r.success) throw new ObservationDecodeError(`observation v1 (outgoing): ${issuesText(r.error)}`);
  return Buffer.from(JSON.stringify(m), 'utf8');
}

/** The part of a SourceResult a message carries (v0 messages carry conversations beside hosts). */
export function resultOf(m: ObservationMessage): SourceResult {
  if (m.kind === 'hosts') {
    return {
      hosts: m.hosts as SourceResult['hosts'],
      findings: m.findings as SourceResult['findings'],
      ...(m.flows ? { flows: m.flows as SourceResult['flows'] } : {}),
    };
  }
  if (m.kind === 'flows') return { hosts: [], findings: [], flows: m.flows as SourceResult['flows'] };
  return { hosts: [], findings: [] };
}
