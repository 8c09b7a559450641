/**
 * @module Rule `device-not-seen` (availability): a device with an active baseline has not been seen by any
 * source for longer than the threshold (default 24 hours, `--hours`). Runs on a schedule
 * (`vigil baseline check-availability` from a timer, or the API), not per source run: silence has no
 * packet. Pure: the subjects and the clock come in.
 */
import { plural } from '../../format-count.js';
import type { AlertCandidate } from '../alert-candidate.js';

export const DEVICE_NOT_SEEN_RULE = 'device-not-seen';

export const DEVICE_NOT_SEEN_DEFAULT_HOURS = 24;

export interface AvailabilitySubject {
  deviceId: string;
  siteId: string | null;
  /** A person-readable name: class, model, asset tag, address. */
  label: string;
  /** Latest time the device was seen by any source; null when never. */
  lastSeen: string | null;
  baselineState: 'learning' | 'active';
}

export function devicesNotSeen(
  subjects: readonly AvailabilitySubject[],
  now: Date,
  hours = DEVICE_NOT_SEEN_DEFAULT_HOURS,
): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  const limit = now.getTime() - hours * 3_600_000;
  for (const s of subjects) {
    if (s.baselineState !== 'active' || s.lastSeen === null) continue;
    const seen = Date.parse(s.lastSeen);
    if (seen >= limit) continue;
    const silentHours = Math.floor((now.getTime() - seen) / 3_600_000);
    out.push({
      rule: DEVICE_NOT_SEEN_RULE,
      severity: 'medium',
      title: `${s.label} not seen for ${plural(silentHours, 'hour')} (expected within ${hours})`,
      deviceId: s.deviceId,
      siteId: s.siteId,
      subject: 'not-seen',
      evidence: [
        { time: now.toISOString(), summary: `last seen ${s.lastSeen}; checked ${now.toISOString()}` },
      ],
      details: { lastSeen: s.lastSeen, silentHours, thresholdHours: hours },
    });
  }
  return out;
}
