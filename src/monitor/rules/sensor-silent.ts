/**
 * @module Rules about remote sensors themselves (issue 9), run by the ingest role, not per source run:
 * `sensor-silent`: a sensor the centre has heard from has sent nothing (not even a heartbeat) for longer
 * than the threshold (default 10 minutes); `sensor-spool-overflow`: a sensor reconnected after its spool
 * filled up and it had to drop observations. Pure: sensor health rows and the clock come in.
 */
import { plural } from '../../format-count.js';
import type { AlertCandidate } from '../alert-candidate.js';

export const SENSOR_SILENT_RULE = 'sensor-silent';
export const SENSOR_SPOOL_OVERFLOW_RULE = 'sensor-spool-overflow';
export const SENSOR_SILENT_DEFAULT_SECONDS = 600;

export interface SensorSubject {
  /** `<site>/<sensor>` */
  id: string;
  site: string;
  /** The Vigil site of that name, when there is one. */
  siteId: string | null;
  lastSeen: string;
}

export function sensorsSilent(
  sensors: readonly SensorSubject[],
  now: Date,
  seconds = SENSOR_SILENT_DEFAULT_SECONDS,
): AlertCandidate[] {
  const limit = now.getTime() - seconds * 1000;
  return sensors
    .filter((s) => Date.parse(s.lastSeen) < limit)
    .map((s) => {
      const silent = Math.floor((now.getTime() - Date.parse(s.lastSeen)) / 1000);
      return {
        rule: SENSOR_SILENT_RULE,
        severity: 'high' as const,
        title: `Sensor ${s.id} silent for ${plural(Math.floor(silent / 60), 'minute')} (expected within ${Math.ceil(seconds / 60)})`,
        deviceId: null,
        siteId: s.siteId,
        subject: `sensor:${s.id}`,
        evidence: [
          { time: now.toISOString(), summary: `last heard ${s.lastSeen}; checked ${now.toISOString()}` },
        ],
        details: {
          sensor: s.id,
          site: s.site,
          lastSeen: s.lastSeen,
          silentSeconds: silent,
          thresholdSeconds: seconds,
        },
      };
    });
}

/** A sensor whose spool dropped observations since the centre last heard it (said once, on reconnect). */
export function spoolOverflow(
  s: SensorSubject,
  before: { low: number; high: number },
  now: { low: number; high: number },
  at: string,
): AlertCandidate[] {
  const low = now.low - before.low;
  const high = now.high - before.high;
  if (low <= 0 && high <= 0) return [];
  return [
    {
      rule: SENSOR_SPOOL_OVERFLOW_RULE,
      severity: high > 0 ? 'high' : 'medium',
      title: `Sensor ${s.id} dropped ${plural(low + Math.max(0, high), 'observation message')} while the centre was unreachable`,
      deviceId: null,
      siteId: s.siteId,
      subject: `sensor:${s.id}`,
      evidence: [
        {
          time: at,
          summary: `spool full: dropped ${Math.max(0, low)} low-value (conversations, heartbeats) and ${Math.max(0, high)} host/finding messages`,
        },
      ],
      details: { sensor: s.id, site: s.site, droppedLow: Math.max(0, low), droppedHigh: Math.max(0, high) },
    },
  ];
}
