/**
 * @module Unnecessary ports and services: for each device model the services it needs (the manufacturer
 * profile on the model, else MDS2-declared services when an MDS2 provider has them, else the fleet
 * majority: what most devices of the model expose), and for each device the services observed listening
 * (captures, nmap, logs). A service the model does not need becomes an `unnecessary-service` finding
 * with the evidence and the recommended action. A device whose needs are unknown (no model, too few
 * devices to tell) only gets findings for the built-in risky services (Telnet, FTP …).
 * `neededServices`/`unnecessaryServices` are pure; `checkUnnecessaryServices` reads the store and
 * writes findings in one transaction with one audit entry, the way source imports do.
 */
import { type Actor, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { findingKey, findingSeverity, findingTitle } from '../discovery/finding-severity.js';
import type { Evidence } from '../discovery/host-observation.js';
import { deviceLabels, labelIn } from '../inventory/device-label.js';
import {
  type FindingRow,
  findingsByKey,
  insertFindings,
  servicesOf,
  updateFinding,
} from '../store/discovery-store.js';
import { newId, nowIso } from '../store/ids.js';
import { policyDevices } from '../store/policy-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { type RiskyService, riskyServiceOf } from './risky-services.js';

/** A service a model needs, as a manufacturer or MDS2 form declares it. */
export interface DeclaredService {
  port: number;
  transport: 'tcp' | 'udp';
  protocol?: string | null;
  /** The name the declaration uses (`DICOM storage SCP`), for people. */
  service?: string | null;
}

/**
 * MDS2 declarations (issue 7 fills this in: the MDS2 form's network ports/services answers per model).
 * Returns undefined when nothing is declared for the model.
 */
export interface Mds2ServiceProvider {
  servicesOf(modelId: string): readonly DeclaredService[] | undefined;
}

export type NeedSource = 'manufacturer-profile' | 'mds2' | 'fleet-majority' | 'unknown';

/** Fewer devices than this and a majority says nothing. */
export const FLEET_MINIMUM = 3;

export interface ObservedService {
  port: number;
  transport: 'tcp' | 'udp';
  protocol: string | null;
  version: string | null;
  encrypted: boolean | null;
  source: string;
  evidence: Evidence;
  firstSeen: string;
  lastSeen: string;
}

export interface ServiceDevice {
  id: string;
  modelId: string | null;
  /** Model's manufacturer profile (`device_models.default_services`); empty = none declared. */
  profile: readonly DeclaredService[];
  services: readonly ObservedService[];
}

export interface ModelNeeds {
  source: NeedSource;
  /** `port/transport` keys. */
  needed: ReadonlySet<string>;
  /** Devices of the model looked at. */
  devices: number;
}

export interface UnnecessaryService {
  deviceId: string;
  /** Stable for de-duplication: `telnet:23`, `snmp:161`, `tcp:8081`. */
  subject: string;
  service: ObservedService;
  needSource: NeedSource;
  risky: RiskyService | null;
  action: string;
  why: string;
}

/** ISO-8601 UTC strings compare in time order. */
const later = (a: string, b: string) => (a > b ? a : b);

const serviceKey = (s: { port: number; transport: string }) => `${s.port}/${s.transport}`;

export function neededServices(
  devices: readonly ServiceDevice[],
  mds2?: Mds2ServiceProvider,
): Map<string, ModelNeeds> {
  const byModel = new Map<string, ServiceDevice[]>();
  for (const d of devices) if (d.modelId) byModel.set(d.modelId, [...(byModel.get(d.modelId) ?? []), d]);
  const out = new Map<string, ModelNeeds>();
  for (const [modelId, list] of byModel) {
    const profile = list.find((d) => d.profile.length > 0)?.profile;
    if (profile) {
      out.set(modelId, {
        source: 'manufacturer-profile',
        needed: new Set(profile.map(serviceKey)),
        devices: list.length,
      });
      continue;
    }
    const declared = mds2?.servicesOf(modelId);
    if (declared?.length) {
      out.set(modelId, { source: 'mds2', needed: new Set(declared.map(serviceKey)), devices: list.length });
      continue;
    }
    // Only devices something has looked at count: a device never captured or scanned says nothing.
    const seen = list.filter((d) => d.services.length > 0);
    if (seen.length < FLEET_MINIMUM) {
      out.set(modelId, { source: 'unknown', needed: new Set(), devices: list.length });
      continue;
    }
    const counts = new Map<string, number>();
    for (const d of seen)
      for (const k of new Set(d.services.map(serviceKey))) counts.set(k, (counts.get(k) ?? 0) + 1);
    const needed = new Set([...counts].filter(([, n]) => n * 2 > seen.length).map(([k]) => k));
    out.set(modelId, { source: 'fleet-majority', needed, devices: seen.length });
  }
  return out;
}

const SOURCE_WORDS: Record<NeedSource, string> = {
  'manufacturer-profile': "the manufacturer's profile of the model does not list it",
  mds2: "the model's MDS2 declaration does not list it",
  'fleet-majority': 'most devices of the same model do not expose it',
  unknown: 'it is a risky service and nothing declares that this device needs it',
};

export function serviceSubject(s: Pick<ObservedService, 'port' | 'transport' | 'protocol'>): string {
  return `${s.protocol ?? s.transport}:${s.port}`;
}

export function unnecessaryServices(
  devices: readonly ServiceDevice[],
  mds2?: Mds2ServiceProvider,
): UnnecessaryService[] {
  const needs = neededServices(devices, mds2);
  const out: UnnecessaryService[] = [];
  for (const d of devices) {
    const need = (d.modelId && needs.get(d.modelId)) || {
      source: 'unknown' as const,
      needed: new Set<string>(),
    };
    for (const s of d.services) {
      if (need.needed.has(serviceKey(s))) continue;
      const risky = riskyServiceOf(s) ?? null;
      if (need.source === 'unknown' && !risky) continue;
      const changeable = need.source === 'manufacturer-profile' || need.source === 'mds2';
      const action = risky
        ? risky.action
        : changeable
          ? `Disable ${serviceSubject(s)} on the device; if the manufacturer does not allow the change, block ${serviceKey(s)} at the firewall.`
          : `Ask the manufacturer whether ${serviceSubject(s)} is needed; disable it, or block ${serviceKey(s)} at the firewall when the manufacturer does not allow changes.`;
      out.push({
        deviceId: d.id,
        subject: serviceSubject(s),
        service: s,
        needSource: need.source,
        risky,
        action,
        why: `${SOURCE_WORDS[need.source]}${risky ? `; ${risky.why}` : ''}`,
      });
    }
  }
  return out.sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.subject.localeCompare(b.subject));
}

function parseDeclared(json: string | null): DeclaredService[] {
  if (!json) return [];
  try {
    const list = JSON.parse(json) as unknown;
    if (!Array.isArray(list)) return [];
    return list.flatMap((x): DeclaredService[] => {
      const o = x as { port?: unknown; protocol?: unknown; transport?: unknown; service?: unknown };
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 1 || port > 65_535) return [];
      // The foundation documents {port, protocol, service}; `protocol` may be the transport (tcp/udp)
      // or the application protocol, so both readings are accepted.
      const p = typeof o.protocol === 'string' ? o.protocol.toLowerCase() : null;
      const isTransport = p === 'tcp' || p === 'udp';
      const t = String(o.transport ?? (isTransport ? p : 'tcp')).toLowerCase();
      return [
        {
          port,
          transport: t === 'udp' ? 'udp' : 'tcp',
          protocol: isTransport ? null : p,
          service: typeof o.service === 'string' ? o.service : null,
        },
      ];
    });
  } catch {
    return [];
  }
}

export interface ServicesCheckReport {
  devices: number;
  findings: { created: number; updated: number; reopened: number };
  items: {
    deviceId: string;
    /** What a person calls the device (`inventory/device-label.ts`). */
    deviceLabel: string;
    subject: string;
    port: number;
    transport: string;
    protocol: string | null;
    needSource: NeedSource;
    risk: string | null;
    action: string;
  }[];
}

/** Checks every device (or those at `siteIds`) and writes `unnecessary-service` findings. */
export async function checkUnnecessaryServices(
  h: DbHandle,
  actor: Actor,
  opts: { siteIds?: readonly string[]; mds2?: Mds2ServiceProvider; now?: string } = {},
): Promise<ServicesCheckReport> {
  assertCan(actor, 'devices:import');
  const siteIds = opts.siteIds ?? actor.siteIds;
  return transaction(h, async (tx) => {
    const rows = await policyDevices(tx, siteIds);
    const services = new Map<string, ObservedService[]>();
    for (const s of await servicesOf(
      tx,
      rows.map((r) => r.id),
    )) {
      const list = services.get(s.device_id) ?? [];
      list.push({
        port: Number(s.port),
        transport: s.transport === 'udp' ? 'udp' : 'tcp',
        protocol: s.protocol,
        version: s.version,
        encrypted: s.encrypted === null ? null : Number(s.encrypted) === 1,
        source: s.source,
        evidence: JSON.parse(s.evidence) as Evidence,
        firstSeen: s.first_seen,
        lastSeen: s.last_seen,
      });
      services.set(s.device_id, list);
    }
    const devices: ServiceDevice[] = rows.map((r) => ({
      id: r.id,
      modelId: r.model_id,
      profile: parseDeclared(r.default_services),
      services: services.get(r.id) ?? [],
    }));
    const found = unnecessaryServices(devices, opts.mds2);
    const labels = await deviceLabels(
      tx,
      found.map((f) => f.deviceId),
    );
    const report: ServicesCheckReport = {
      devices: devices.length,
      findings: { created: 0, updated: 0, reopened: 0 },
      items: found.map((f) => ({
        deviceId: f.deviceId,
        deviceLabel: labelIn(labels, f.deviceId),
        subject: f.subject,
        port: f.service.port,
        transport: f.service.transport,
        protocol: f.service.protocol,
        needSource: f.needSource,
        risk: f.risky?.id ?? null,
        action: f.action,
      })),
    };
    await writeFindings(tx, found, new Map(rows.map((r) => [r.id, r])), report, opts.now ?? nowIso());
    await appendAudit(tx, {
      actor,
      action: 'services.check',
      target: { type: 'findings' },
      summary: { devices: report.devices, unnecessary: found.length, ...report.findings },
    });
    return report;
  });
}

/** One finding per device and service, counted again (not duplicated) on every check. */
async function writeFindings(
  tx: DbHandle,
  found: readonly UnnecessaryService[],
  devices: Map<string, { criticality: string | null; ephi: number | null }>,
  report: ServicesCheckReport,
  now: string,
): Promise<void> {
  const type = 'unnecessary-service' as const;
  const keyOf = (f: UnnecessaryService) => findingKey(type, f.deviceId, f.subject);
  const stored = await findingsByKey(tx, found.map(keyOf));
  const created: FindingRow[] = [];
  for (const f of found) {
    const d = devices.get(f.deviceId);
    const details: Record<string, string | number | boolean> = {
      port: f.service.port,
      transport: f.service.transport,
      protocol: f.service.protocol ?? 'unknown',
      neededBy: f.needSource,
      action: f.action,
      why: f.why,
      ...(f.risky ? { risk: f.risky.id, riskSeverity: f.risky.severity } : {}),
    };
    const severity = findingSeverity(
      type,
      {
        criticality: d?.criticality ?? null,
        ephi: d?.ephi === null || d?.ephi === undefined ? null : Number(d.ephi) === 1,
      },
      details,
    );
    const evidence: Evidence = {
      ...f.service.evidence,
      summary: `${f.subject} listening (${f.service.evidence.summary}); not needed: ${f.why}`,
    };
    const prev = stored.get(keyOf(f));
    if (!prev) {
      created.push({
        id: newId(),
        type,
        severity,
        device_id: f.deviceId,
        subject: f.subject,
        dedup_key: keyOf(f),
        title: findingTitle(type, f.subject),
        state: 'open',
        evidence: JSON.stringify(evidence),
        last_evidence: JSON.stringify(evidence),
        details: JSON.stringify(details),
        occurrences: 1,
        first_seen: f.service.firstSeen,
        last_seen: f.service.lastSeen,
        created_at: now,
        updated_at: now,
      });
      continue;
    }
    // Seen again after it was resolved: the service is back. A false positive stays dismissed.
    const reopened = prev.state === 'resolved' && f.service.lastSeen > prev.last_seen;
    if (reopened) report.findings.reopened++;
    else report.findings.updated++;
    await updateFinding(tx, prev.id, {
      severity,
      state: reopened ? 'open' : prev.state,
      last_evidence: JSON.stringify(evidence),
      details: JSON.stringify(details),
      last_seen: later(f.service.lastSeen, prev.last_seen),
      updated_at: now,
    });
  }
  await insertFindings(tx, created);
  report.findings.created = created.length;
}
