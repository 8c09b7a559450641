/**
 * @module Turns what a source saw (hosts, services, protocols, findings) into inventory: each host goes
 * through the identity rules (`observeDeviceIn`), its services and protocol details are merged into the
 * device's, and findings are de-duplicated per device and subject with a severity from the device's
 * context. One source file is applied in one transaction with one audit entry, so an interrupted import
 * stores nothing and re-running it ends where one clean run would.
 */
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { appendAudit, deferAudit } from '../audit/audit-log.js';
import { hasStrongKey, normaliseIp } from '../inventory/identity.js';
import { sameThing } from '../inventory/merge-evidence.js';
import {
  identityLockKeys,
  type Observation,
  observationKeys,
  observeDeviceIn,
} from '../inventory/observation.js';
import { rematchDevices } from '../matching/rematch.js';
import { getDevices } from '../store/device-store.js';
import {
  type FindingRow,
  findingsByKey,
  insertFindings,
  insertSourceImport,
  type ProtocolRow,
  protocolsOf,
  type ServiceRow,
  updateFinding,
  upsertProtocols,
  upsertServices,
} from '../store/discovery-store.js';
import { newId, nowIso } from '../store/ids.js';
import { lockIdentityKeys } from '../store/locks.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { applyFlows } from './apply-flows.js';
import { DicomForwarders } from './dicom-forwarders.js';
import { findingKey, findingSeverity, findingTitle } from './finding-severity.js';
import { FingerprintEvidence } from './fingerprint-evidence.js';
import {
  type FindingObservation,
  type HostObservation,
  IDENTITY_FIELDS,
  type SourceResult,
  storedEvidence,
} from './host-observation.js';
import { mergeProtocolDetails } from './protocol-details.js';
import { withdrawServices } from './withdraw-services.js';

export interface ApplyOptions {
  kind: 'capture' | 'nmap' | 'zeek' | 'eve';
  /** Base name of the source file. */
  file: string;
  sha256?: string | null;
  size?: number | null;
  /** Reader statistics to keep with the import record (packets, bytes, skipped …). */
  stats?: Record<string, unknown>;
  /** Identity values below this confidence stay hints instead of becoming device facts. */
  minConfidence?: number;
  /**
   * Re-match the devices at once (default). The scale-out ingest role passes `false` and queues
   * `deviceIds` for the match role instead (scaleout/match-worker.ts).
   */
  rematch?: boolean;
  /**
   * Live sensor: the devices its run staged from hosts seen without a MAC, by address (`stagedByAddress`
   * of its earlier slices). A host of this result seen at such an address with a MAC that names no device
   * is that device and gets the MAC (`Observation.sameHostAs`), as one import of the same traffic would
   * have given one host.
   */
  stagedByAddress?: ReadonlyMap<string, string>;
}

export interface ApplyReport {
  importId: string;
  hosts: number;
  devices: { staged: number; updated: number; seen: number };
  /** Hosts that could not be tied to one device (only weak keys matching a known device, or a conflict). */
  unresolved: { host: string; reason: string; candidates: string[] }[];
  services: number;
  findings: { created: number; updated: number; reopened: number; unresolved: number };
  deviceIds: string[];
  /** Devices this result staged from hosts without a strong key (no MAC): each with its addresses. */
  stagedByAddress: { deviceId: string; ips: string[] }[];
}

/** ISO-8601 UTC strings compare in time order. */
const earlier = (a: string, b: string) => (a < b ? a : b);
const later = (a: string, b: string) => (a > b ? a : b);

const hostLabel = (h: HostObservation) => h.macs[0] ?? h.ips[0] ?? h.hostnames[0] ?? '?';

export async function applySourceResult(
  h: DbHandle,
  actor: Actor,
  result: SourceResult,
  opts: ApplyOptions,
): Promise<ApplyReport> {
  assertCan(actor, 'devices:import');
  // What a capture, scan or log saw is tied to devices by MAC and address, whatever their site, and new
  // hosts have none: a token limited to sites would change other sites' devices and findings.
  assertAllSites(actor, 'A capture, scan or log import');
  // Zeek and Suricata logs are passive observations of the wire, like a capture.
  const source = opts.kind === 'nmap' ? 'scanner' : 'capture';
  const minConfidence = opts.minConfidence ?? 0.6;
  // Audit entries are appended at the end (deferAudit), after the identity keys of every host were
  // locked at once (store/locks.ts): another source's hosts with other keys are applied meanwhile.
  const applied = await transaction(h, (tx) =>
    deferAudit(tx, async () => {
      await lockSourceIdentities(tx, [result], minConfidence);
      const report: ApplyReport = {
        importId: newId(),
        hosts: result.hosts.length,
        devices: { staged: 0, updated: 0, seen: 0 },
        unresolved: [],
        services: 0,
        findings: { created: 0, updated: 0, reopened: 0, unresolved: 0 },
        deviceIds: [],
        stagedByAddress: [],
      };
      // Any MAC or IP of a host → its device, for attaching findings.
      const deviceOf = new Map<string, string>();
      const services: ServiceRow[] = [];
      const protocols: { deviceId: string; host: HostObservation }[] = [];
      // A device's hosts (its IPv4 and IPv6 addresses, say) each resolve to it: it is counted once, by
      // the most it went through in this import (created, else changed, else only seen).
      const outcomeOf = new Map<string, 'staged' | 'updated' | 'seen'>();
      const STRENGTH = { seen: 0, updated: 1, staged: 2 } as const;
      const fingerprints = new FingerprintEvidence(minConfidence, source, opts.file);

      const forwarders = new DicomForwarders(actor, source, opts.file);

      for (const sent of result.hosts) {
        const sighting = {
          macs: sent.macs,
          ips: sent.ips,
          hostnames: sent.hostnames,
          facts: hostFacts(sent, minConfidence),
          // A scanner often sees hosts of other subnets by IP only; a capture sees MACs of its segment.
          weakOnly: 'stage' as const,
          ...sameHostOf(sent, opts.stagedByAddress),
        };
        // A DICOM sender's earlier objects may show that it forwards other equipment's.
        const host = await forwarders.weigh(tx, sent, sighting);
        const r = await observeDeviceIn(tx, actor, {
          ...sighting,
          source,
          sourceRef: opts.file,
          seenAt: host.lastSeen,
          firstSeenAt: host.firstSeen,
          facts: host === sent ? sighting.facts : hostFacts(host, minConfidence),
          confidence: factConfidence(host, minConfidence),
        });
        if (r.outcome === 'conflict') {
          report.unresolved.push({ host: hostLabel(host), reason: r.reason, candidates: r.deviceIds });
          continue;
        }
        if (r.outcome === 'staged' && !hasStrongKey(observationKeys(sighting)))
          report.stagedByAddress.push({ deviceId: r.deviceId, ips: observationKeys(sighting).ips });
        const outcome = r.outcome === 'staged' || r.outcome === 'updated' ? r.outcome : 'seen';
        const before = outcomeOf.get(r.deviceId);
        if (before === undefined || STRENGTH[outcome] > STRENGTH[before]) outcomeOf.set(r.deviceId, outcome);
        for (const k of [...host.macs, ...host.ips]) deviceOf.set(k, r.deviceId);
        await forwarders.settle(tx, r.deviceId, host);
        fingerprints.add(r.deviceId, host);
        for (const s of host.services) {
          services.push({
            id: newId(),
            device_id: r.deviceId,
            port: s.port,
            transport: s.transport,
            protocol: s.protocol,
            product: s.product,
            version: s.version,
            encrypted: s.encrypted === null ? null : s.encrypted ? 1 : 0,
            cpes: JSON.stringify(s.cpes ?? []),
            source,
            evidence: storedEvidence(s.evidence),
            first_seen: host.firstSeen,
            last_seen: host.lastSeen,
          });
        }
        protocols.push({ deviceId: r.deviceId, host });
      }

      for (const [deviceId, outcome] of outcomeOf) {
        report.devices[outcome]++;
        report.deviceIds.push(deviceId);
      }
      const merged = mergeServiceRows(services);
      await upsertServices(tx, merged);
      report.services = merged.length;
      await upsertProtocols(tx, await mergeProtocols(tx, protocols, source));
      await fingerprints.store(tx);
      await applyFindings(tx, result.findings, deviceOf, report);
      const withdrawn = result.withdrawnServices?.length
        ? await withdrawServices(
            tx,
            result.withdrawnServices,
            deviceOf,
            new Set(protocols.flatMap(({ deviceId, host }) => host.protocols.map((p) => `${deviceId}|${p}`))),
          )
        : [];
      const flows = await applyFlows(tx, result.flows, { file: opts.file, sha256: opts.sha256, deviceOf });

      const stats = {
        ...opts.stats,
        ...observedSpan(result.hosts),
        hosts: report.hosts,
        ...report.devices,
        services: report.services,
        findings: report.findings,
        unresolved: report.unresolved.length,
        communications: flows.stored,
        ...(withdrawn.length ? { withdrawnServices: withdrawn } : {}),
      };
      const now = nowIso();
      await insertSourceImport(tx, {
        id: report.importId,
        kind: opts.kind,
        file: opts.file,
        sha256: opts.sha256 ?? null,
        size: opts.size ?? null,
        status: 'done',
        stats: JSON.stringify(stats),
        actor: actor.name,
        started_at: now,
        finished_at: now,
      });
      await appendAudit(tx, {
        actor,
        action: `${opts.kind}.import`,
        target: { type: 'source-import', id: report.importId },
        summary: { file: opts.file, sha256: opts.sha256 ?? null, ...stats },
      });
      return report;
    }),
  );
  // New hosts and changed firmware or models can change which vulnerabilities apply.
  if (opts.rematch !== false) await rematchDevices(h, actor, applied.deviceIds);
  return applied;
}

/** The device a sensor run staged for one of the addresses of a host now seen with its MAC, if any. */
function sameHostOf(
  host: HostObservation,
  staged: ReadonlyMap<string, string> | undefined,
): { sameHostAs?: string } {
  if (!staged?.size || host.macs.length === 0) return {};
  for (const ip of host.ips) {
    const id = staged.get(normaliseIp(ip) ?? ip);
    if (id) return { sameHostAs: id };
  }
  return {};
}

/** The identity values of a host confident enough to become facts of its device. */
function hostFacts(host: HostObservation, minConfidence: number): Observation['facts'] {
  const facts: Observation['facts'] = {};
  for (const field of IDENTITY_FIELDS) {
    const v = host.identity[field];
    if (v && v.confidence >= minConfidence) facts[field] = v.value;
  }
  return facts;
}

/** How sure the fingerprint rules (or nmap) were of each of those values. */
function factConfidence(host: HostObservation, minConfidence: number): Observation['confidence'] {
  const out: Observation['confidence'] = {};
  for (const field of IDENTITY_FIELDS) {
    const v = host.identity[field];
    if (v && v.confidence >= minConfidence) out[field] = v.confidence;
  }
  return out;
}

/**
 * Locks the identity keys of every host of `results` in one step (store/locks.ts `lockIdentityKeys`), as
 * `applySourceResult` resolves them. A caller applying several results in one transaction (the scale-out
 * ingest batch) calls it first with all of them, so it never asks for more keys after resolving some.
 */
export async function lockSourceIdentities(
  tx: DbHandle,
  results: readonly SourceResult[],
  minConfidence = 0.6,
): Promise<void> {
  await lockIdentityKeys(
    tx,
    results.flatMap((r) =>
      r.hosts.flatMap((host) =>
        identityLockKeys(observationKeys({ ...host, facts: hostFacts(host, minConfidence) })),
      ),
    ),
  );
}

/**
 * One row per device, port and transport: a device seen as several hosts (its IPv4 and IPv6 addresses)
 * reports the same service twice, and one statement may not upsert a row twice.
 */
function mergeServiceRows(rows: ServiceRow[]): ServiceRow[] {
  const out = new Map<string, ServiceRow>();
  for (const r of rows) {
    const key = `${r.device_id}|${r.port}|${r.transport}`;
    const prev = out.get(key);
    if (!prev) {
      out.set(key, { ...r });
      continue;
    }
    prev.protocol ??= r.protocol;
    // A version stays with its product (as upsertServices keeps them): a TLS handshake's version does not
    // join the product a banner or scanner named.
    if (prev.product === null && r.product !== null) {
      prev.product = r.product;
      prev.version = r.version;
    } else if (prev.product === null || (r.product !== null && sameThing(prev.product, r.product))) {
      prev.version ??= r.version;
    }
    if (r.encrypted === 1 || prev.encrypted === null) prev.encrypted = r.encrypted ?? prev.encrypted;
    if (prev.cpes === '[]') prev.cpes = r.cpes;
    prev.first_seen = earlier(prev.first_seen, r.first_seen);
    if (r.last_seen > prev.last_seen) {
      prev.last_seen = r.last_seen;
      prev.evidence = r.evidence;
    }
  }
  return [...out.values()];
}

/** Unions the new DICOM/HL7 details into what each device already has, capped per list. */
async function mergeProtocols(
  tx: DbHandle,
  seen: { deviceId: string; host: HostObservation }[],
  source: string,
): Promise<ProtocolRow[]> {
  const existing = new Map(
    (
      await protocolsOf(
        tx,
        seen.map((s) => s.deviceId),
      )
    ).map((r) => [`${r.device_id}|${r.protocol}`, r]),
  );
  const out = new Map<string, ProtocolRow>();
  for (const { deviceId, host } of seen) {
    for (const protocol of host.protocols) {
      const key = `${deviceId}|${protocol}`;
      const prev = out.get(key) ?? existing.get(key);
      const details = mergeProtocolDetails(
        prev ? (JSON.parse(prev.details) as Record<string, unknown>) : {},
        detailsOf(host, protocol),
      );
      out.set(key, {
        id: prev?.id ?? newId(),
        device_id: deviceId,
        protocol,
        details: JSON.stringify(details),
        source,
        first_seen: prev ? earlier(prev.first_seen, host.firstSeen) : host.firstSeen,
        last_seen: prev ? later(prev.last_seen, host.lastSeen) : host.lastSeen,
      });
    }
  }
  return [...out.values()];
}

function detailsOf(host: HostObservation, protocol: string): Record<string, unknown> {
  if (protocol === 'dicom' && host.dicom) return { ...host.dicom };
  if (protocol === 'hl7' && host.hl7) return { ...host.hl7 };
  return {};
}

async function applyFindings(
  tx: DbHandle,
  findings: FindingObservation[],
  deviceOf: Map<string, string>,
  report: ApplyReport,
): Promise<void> {
  // The same finding seen many times in one source is one row with a count.
  const grouped = new Map<
    string,
    { f: FindingObservation; deviceId: string; count: number; last: FindingObservation }
  >();
  for (const f of findings) {
    const deviceId = (f.host.mac && deviceOf.get(f.host.mac)) || (f.host.ip && deviceOf.get(f.host.ip));
    if (!deviceId) {
      report.findings.unresolved++;
      continue;
    }
    const key = findingKey(f.type, deviceId, f.subject);
    const g = grouped.get(key);
    const latest = f.lastEvidence ? { ...f, evidence: f.lastEvidence } : f;
    if (g) {
      g.count += f.occurrences ?? 1;
      if ((latest.evidence.time ?? '') >= (g.last.evidence.time ?? '')) g.last = latest;
      if ((f.evidence.time ?? '') < (g.f.evidence.time ?? '')) g.f = f;
    } else grouped.set(key, { f, deviceId, count: f.occurrences ?? 1, last: latest });
  }
  if (grouped.size === 0) return;
  const devices = new Map(
    (await getDevices(tx, [...new Set([...grouped.values()].map((g) => g.deviceId))])).map((d) => [d.id, d]),
  );
  const stored = await findingsByKey(tx, [...grouped.keys()]);
  const now = nowIso();
  const created: FindingRow[] = [];
  for (const [key, g] of grouped) {
    const d = devices.get(g.deviceId);
    const severity = findingSeverity(
      g.f.type,
      { criticality: d?.criticality ?? null, ephi: d?.ephi ?? null },
      g.f.details,
    );
    const firstTime = g.f.evidence.time ?? now;
    const lastTime = g.last.evidence.time ?? now;
    const prev = stored.get(key);
    if (!prev) {
      created.push({
        id: newId(),
        type: g.f.type,
        severity,
        device_id: g.deviceId,
        subject: g.f.subject,
        dedup_key: key,
        title: findingTitle(g.f.type, g.f.subject),
        state: 'open',
        evidence: storedEvidence(g.f.evidence),
        last_evidence: storedEvidence(g.last.evidence),
        details: JSON.stringify(g.f.details),
        occurrences: g.count,
        first_seen: firstTime,
        last_seen: lastTime,
        created_at: now,
        updated_at: now,
      });
      continue;
    }
    // A resolved exposure seen again is open again; a false positive stays dismissed.
    const reopened = prev.state === 'resolved';
    if (reopened) report.findings.reopened++;
    else report.findings.updated++;
    await updateFinding(tx, prev.id, {
      severity,
      state: reopened ? 'open' : prev.state,
      last_evidence: lastTime >= prev.last_seen ? storedEvidence(g.last.evidence) : prev.last_evidence,
      occurrences: prev.occurrences + g.count,
      first_seen: earlier(firstTime, prev.first_seen),
      last_seen: later(lastTime, prev.last_seen),
      updated_at: now,
    });
  }
  await insertFindings(tx, created);
  report.findings.created = created.length;
}

/**
 * When the traffic or scan was seen, from its hosts (packet times, the scan's own times): what evidence
 * of a scan is dated by, since an old capture or scan may be imported long after it was made.
 */
function observedSpan(hosts: readonly HostObservation[]): { observedFrom?: string; observedUntil?: string } {
  let from: string | undefined;
  let until: string | undefined;
  for (const h of hosts) {
    if (h.firstSeen && (!from || h.firstSeen < from)) from = h.firstSeen;
    if (h.lastSeen && (!until || h.lastSeen > until)) until = h.lastSeen;
  }
  return { ...(from ? { observedFrom: from } : {}), ...(until ? { observedUntil: until } : {}) };
}
