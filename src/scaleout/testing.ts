/**
 * Shared by the scale-out tests: replaying a real capture through a remote sensor (RemoteAnalysis →
 * publisher → JetStream), the single-process import of the same capture for comparison, waiting for the
 * ingest consumer to be drained, and a comparable view of the inventory (ids and wall-clock times left
 * out; packet times kept).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { NatsConnection } from 'nats';
import { openCapture } from '../capture/open-capture.js';
import { applySourceResult } from '../discovery/apply-source-result.js';
import { analyzeCapture } from '../discovery/capture-analyzer.js';
import { placeUnsitedDevices } from '../monitor/sensor/sensor-site.js';
import { resolveSites } from '../store/account-store.js';
import type { DbHandle } from '../store/transaction.js';
import { INGEST_ACTOR as SYSTEM_ACTOR } from './actor.js';
import { ObservationPublisher } from './publisher.js';
import { RemoteAnalysis } from './remote-sensor.js';
import { DiskSpool } from './spool.js';
import type { ScaleoutNames } from './subjects.js';

export const CAPTURES = new URL('../../test/fixtures/captures/', import.meta.url).pathname;

/** Reads the capture into a remote sensor, flushing every `flushEvery` packets and at the end. */
export async function replayCapture(o: {
  nc: NatsConnection;
  names: ScaleoutNames;
  site: string;
  sensor: string;
  capture: string;
  flushEvery?: number;
  spoolDir?: string;
}): Promise<{ publisher: ObservationPublisher; analysis: RemoteAnalysis }> {
  const spool = new DiskSpool({
    dir: o.spoolDir ?? mkdtempSync(join(tmpdir(), 'vigil-test-spool-')),
    maxBytes: 64 * 1024 * 1024,
  });
  const publisher = new ObservationPublisher({
    nc: o.nc,
    prefix: o.names.prefix,
    site: o.site,
    sensor: o.sensor,
    spool,
    publishTimeoutMs: 2000,
  });
  const file = basename(o.capture);
  const analysis = new RemoteAnalysis({ label: file, evidenceSource: 'capture', publisher });
  const flushes: Promise<void>[] = [];
  let n = 0;
  await openCapture(o.capture, { file }).forEach((p) => {
    analysis.packet(p);
    if (o.flushEvery && ++n % o.flushEvery === 0) flushes.push(analysis.flush());
  });
  await Promise.all(flushes);
  await analysis.flush({ final: true });
  await publisher.drain();
  return { publisher, analysis };
}

/** `vigil import` of the captures into one database, devices placed in the site (what `--site` does). */
export async function importCaptures(h: DbHandle, bySite: Record<string, string[]>): Promise<void> {
  for (const [site, files] of Object.entries(bySite)) {
    const { ids } = await resolveSites(h, [site]);
    for (const f of files) {
      const r = await analyzeCapture(join(CAPTURES, f), { file: f });
      const applied = await applySourceResult(h, SYSTEM_ACTOR, r, { kind: 'capture', file: f });
      await placeUnsitedDevices(h, SYSTEM_ACTOR, ids[0]!, applied.deviceIds, f);
    }
  }
}

/** Resolves once the ingest consumer has nothing pending or unacknowledged. */
export async function drained(nc: NatsConnection, names: ScaleoutNames, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let info: { num_pending: number; num_ack_pending: number };
    try {
      info = await (await nc.jetstreamManager()).consumers.info(names.stream, names.durable);
    } catch (e) {
      // Just after a restart the connection may still be reconnecting, or JetStream still recovering its
      // streams: its API times out or has no responder yet. Ask again until the deadline.
      const code = (e as { code?: unknown }).code;
      if ((code === 'TIMEOUT' || code === '503') && Date.now() < until) continue;
      throw e;
    }
    if (info.num_pending === 0 && info.num_ack_pending === 0) return;
    if (Date.now() > until)
      throw new Error(
        `ingest not drained: ${info.num_pending} pending, ${info.num_ack_pending} unacknowledged`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

const omit = <T extends Record<string, unknown>>(row: T, keys: string[]) =>
  Object.fromEntries(Object.entries(row).filter(([k]) => !keys.includes(k)));

/** The inventory as comparable data: devices keyed by their identifiers, with everything attached. */
export async function inventoryView(h: DbHandle): Promise<Record<string, unknown>> {
  const sites = new Map(
    (await h.db.selectFrom('sites').select(['id', 'name']).execute()).map((s) => [s.id, s.name]),
  );
  const models = new Map(
    (await h.db.selectFrom('device_models').select(['id', 'name']).execute()).map((m) => [m.id, m.name]),
  );
  const idents = await h.db.selectFrom('device_identifiers').select(['device_id', 'kind', 'value']).execute();
  const keyOf = new Map<string, string>();
  for (const d of new Set(idents.map((i) => i.device_id)))
    keyOf.set(
      d,
      idents
        .filter((i) => i.device_id === d)
        .map((i) => `${i.kind}:${i.value}`)
        .sort()
        .join(' '),
    );
  const key = (id: string | null) => (id ? (keyOf.get(id) ?? `?${id}`) : null);
  const sortBy = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();
  const devices = (await h.db.selectFrom('devices').selectAll().execute()).map((d) => ({
    ...omit(d as unknown as Record<string, unknown>, [
      'id',
      'created_at',
      'updated_at',
      'model_id',
      'site_id',
    ]),
    key: key(d.id),
    model: d.model_id ? models.get(d.model_id) : null,
    site: (d as { site_id: string | null }).site_id ? sites.get((d as { site_id: string }).site_id) : null,
  }));
  const facts = (
    await h.db.selectFrom('device_facts').select(['device_id', 'field', 'value', 'source']).execute()
  ).map((f) => ({ ...f, device_id: key(f.device_id) }));
  const services = (
    await h.db
      .selectFrom('device_services')
      .select([
        'device_id',
        'port',
        'transport',
        'protocol',
        'product',
        'version',
        'encrypted',
        'first_seen',
        'last_seen',
      ])
      .execute()
  ).map((s) => ({ ...s, device_id: key(s.device_id) }));
  const protocols = (
    await h.db.selectFrom('device_protocols').select(['device_id', 'protocol', 'details']).execute()
  ).map((p) => ({ ...p, device_id: key(p.device_id), details: JSON.parse(p.details) }));
  const findings = (
    await h.db
      .selectFrom('findings')
      .select([
        'device_id',
        'type',
        'subject',
        'severity',
        'state',
        'occurrences',
        'first_seen',
        'last_seen',
        'details',
      ])
      .execute()
  ).map((f) => ({ ...f, device_id: key(f.device_id), occurrences: Number(f.occurrences) }));
  const communications = (
    await h.db
      .selectFrom('communications')
      .select([
        'client_ip',
        'server_ip',
        'port',
        'transport',
        'protocol',
        'connections',
        'packets',
        'bytes',
        'client_device_id',
        'server_device_id',
      ])
      .execute()
  ).map((c) => ({
    ...c,
    connections: Number(c.connections),
    packets: Number(c.packets),
    bytes: Number(c.bytes),
    client_device_id: key(c.client_device_id),
    server_device_id: key(c.server_device_id),
  }));
  return {
    devices: sortBy(devices),
    facts: sortBy(facts),
    services: sortBy(services),
    protocols: sortBy(protocols),
    findings: sortBy(findings),
    communications: sortBy(communications),
  };
}
