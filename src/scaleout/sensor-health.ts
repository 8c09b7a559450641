/**
 * @module Sensor health at the centre: the ingest role records every heartbeat (last seen, lag, spool,
 * capture drops, version) in `sensors`, raises `sensor-spool-overflow` when a sensor reports drops it had
 * not reported before, and a periodic check raises `sensor-silent` for sensors not heard from for a
 * while. `listSensors` is what `vigil sensors list` and GET /api/v1/sensors show.
 */
import { type Actor, assertCan } from '../accounts/actor.js';
import type { AlertCandidate } from '../monitor/alert-candidate.js';
import { raiseAlerts } from '../monitor/alerts-service.js';
import type { EventBus } from '../monitor/event-bus.js';
import {
  SENSOR_SILENT_DEFAULT_SECONDS,
  sensorsSilent,
  spoolOverflow,
} from '../monitor/rules/sensor-silent.js';
import { resolveSites } from '../store/account-store.js';
import { nowIso } from '../store/ids.js';
import {
  listSensorRows,
  lockSensor,
  type SensorRow,
  setSensorSilent,
  upsertSensor,
} from '../store/sensor-store.js';
import type { DbHandle } from '../store/transaction.js';
import type { Heartbeat } from './observation-schema.js';

export interface SensorHealth {
  id: string;
  site: string;
  sensor: string;
  version: string | null;
  source: string | null;
  startedAt: string | null;
  lastSeen: string;
  /** From the sensor making its last message to the centre committing it. */
  lagSeconds: number;
  packets: number;
  captureDrops: number;
  spoolBytes: number;
  spoolDropped: { low: number; high: number };
  messages: number;
  silent: boolean;
}

const toHealth = (r: SensorRow): SensorHealth => ({
  id: r.id,
  site: r.site,
  sensor: r.sensor,
  version: r.version,
  source: r.source,
  startedAt: r.started_at,
  lastSeen: r.last_seen,
  lagSeconds: Number(r.lag_ms) / 1000,
  packets: Number(r.packets),
  captureDrops: Number(r.capture_drops),
  spoolBytes: Number(r.spool_bytes),
  spoolDropped: { low: Number(r.spool_dropped_low), high: Number(r.spool_dropped_high) },
  messages: Number(r.messages),
  silent: r.silent === 1,
});

export async function listSensors(
  h: DbHandle,
  actor: Actor,
  opts: { site?: string } = {},
): Promise<SensorHealth[]> {
  assertCan(actor, 'monitor:read');
  const rows = await listSensorRows(h, opts);
  if (!actor.siteIds) return rows.map(toHealth);
  // A site-scoped user sees the sensors of the Vigil sites of the same name as theirs.
  const allowed = new Set(actor.siteIds);
  const out: SensorHealth[] = [];
  for (const r of rows) {
    const id = await siteIdOf(h, r.site);
    if (id && allowed.has(id)) out.push(toHealth(r));
  }
  return out;
}

async function siteIdOf(h: DbHandle, site: string): Promise<string | null> {
  const { ids } = await resolveSites(h, [site]);
  return ids[0] ?? null;
}

/**
 * Inside the ingest batch's transaction: what one sensor's messages of the batch say about it. Returns
 * the alerts to raise (spool overflow), which the caller raises in the same transaction.
 */
export async function recordSensorHealth(
  tx: DbHandle,
  input: {
    site: string;
    sensor: string;
    messages: number;
    /** The latest heartbeat of the batch, if any. */
    heartbeat: Heartbeat | null;
    /** The sensor time of its latest message. */
    sensorAt: string;
    receivedAt: string;
  },
): Promise<AlertCandidate[]> {
  const id = `${input.site}/${input.sensor}`;
  const now = nowIso();
  const prev = await lockSensor(tx, {
    id,
    site: input.site,
    sensor: input.sensor,
    version: null,
    source: null,
    started_at: null,
    last_seen: input.receivedAt,
    sensor_at: input.sensorAt,
    lag_ms: 0,
    packets: 0,
    capture_drops: 0,
    spool_bytes: 0,
    spool_dropped_low: 0,
    spool_dropped_high: 0,
    messages: 0,
    silent: 0,
    created_at: now,
    updated_at: now,
  });
  const hb = input.heartbeat;
  const lag = Math.max(0, Date.parse(input.receivedAt) - Date.parse(input.sensorAt)) || 0;
  const row: SensorRow = {
    id,
    site: input.site,
    sensor: input.sensor,
    version: hb?.version ?? prev?.version ?? null,
    source: hb?.source ?? prev?.source ?? null,
    started_at: hb?.startedAt ?? prev?.started_at ?? null,
    last_seen: input.receivedAt,
    sensor_at: input.sensorAt,
    lag_ms: lag,
    packets: hb?.packets ?? Number(prev?.packets ?? 0),
    capture_drops: hb?.captureDrops ?? Number(prev?.capture_drops ?? 0),
    spool_bytes: hb?.spoolBytes ?? Number(prev?.spool_bytes ?? 0),
    spool_dropped_low: hb?.spoolDropped.low ?? Number(prev?.spool_dropped_low ?? 0),
    spool_dropped_high: hb?.spoolDropped.high ?? Number(prev?.spool_dropped_high ?? 0),
    messages: Number(prev?.messages ?? 0) + input.messages,
    silent: 0,
    created_at: prev?.created_at ?? now,
    updated_at: now,
  };
  await upsertSensor(tx, row);
  if (!hb) return [];
  return spoolOverflow(
    { id, site: input.site, siteId: await siteIdOf(tx, input.site), lastSeen: row.last_seen },
    { low: Number(prev?.spool_dropped_low ?? 0), high: Number(prev?.spool_dropped_high ?? 0) },
    hb.spoolDropped,
    input.receivedAt,
  );
}

/** Raises `sensor-silent` for sensors not heard from for `seconds`; marks them so it is said once. */
export async function checkSilentSensors(
  h: DbHandle,
  opts: { now?: Date; seconds?: number; bus?: EventBus } = {},
): Promise<{ silent: number; created: number }> {
  const now = opts.now ?? new Date();
  const rows = (await listSensorRows(h)).filter((r) => r.silent === 0);
  const subjects = [];
  for (const r of rows)
    subjects.push({ id: r.id, site: r.site, siteId: await siteIdOf(h, r.site), lastSeen: r.last_seen });
  const candidates = sensorsSilent(subjects, now, opts.seconds ?? SENSOR_SILENT_DEFAULT_SECONDS);
  if (!candidates.length) return { silent: 0, created: 0 };
  const raised = await raiseAlerts(h, candidates, {
    now,
    actor: 'system:sensor-health',
    ...(opts.bus ? { bus: opts.bus } : {}),
  });
  for (const c of candidates) await setSensorSilent(h, String(c.details?.['sensor']), 1, now.toISOString());
  return { silent: candidates.length, created: raised.created };
}
