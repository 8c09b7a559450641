/**
 * @module The scheduled availability check: every device with an active baseline that no source has seen
 * for longer than the threshold raises `device-not-seen` (rule in `monitor/rules/device-not-seen.ts`).
 * Run by `vigil baseline check-availability` (from a timer) or `POST /api/v1/baselines/check-availability`.
 */
import { type Actor, assertCan, reachesSite } from '../../accounts/actor.js';
import { invalidInput } from '../../errors.js';
import { lastCommunicationOf, listBaselines } from '../../store/communication-store.js';
import { getDevices } from '../../store/device-store.js';
import type { DbHandle } from '../../store/transaction.js';
import { type RaiseResult, raiseAlerts } from '../alerts-service.js';
import {
  type AvailabilitySubject,
  DEVICE_NOT_SEEN_DEFAULT_HOURS,
  devicesNotSeen,
} from '../rules/device-not-seen.js';

/** A year: the longest silence the check is asked about (as the API route allows). */
const MAX_HOURS = 24 * 365;

export interface AvailabilityReport extends RaiseResult {
  checked: number;
  notSeen: number;
  hours: number;
}

export async function checkAvailability(
  h: DbHandle,
  actor: Actor,
  opts: { hours?: number; now?: Date; rateLimit?: number } = {},
): Promise<AvailabilityReport> {
  assertCan(actor, 'monitor:write');
  const hours = opts.hours ?? DEVICE_NOT_SEEN_DEFAULT_HOURS;
  // The API's schema bounds it the same way; the CLI's `--hours abc` (NaN) used to get as far as the
  // alerts and fail there as "Invalid alert candidate 1: details.thresholdHours".
  if (!Number.isFinite(hours) || hours < 1 || hours > MAX_HOURS)
    throw invalidInput('Invalid availability check', [
      { field: 'hours', reason: `a number of hours from 1 to ${MAX_HOURS}, not ${String(opts.hours)}` },
    ]);
  const now = opts.now ?? new Date();
  const baselines = (await listBaselines(h, { scope: 'device', state: 'active' })).filter(
    (b) => b.device_id !== null,
  );
  const ids = baselines.map((b) => b.device_id!);
  const devices = new Map((await getDevices(h, ids)).map((d) => [d.id, d]));
  const lastComm = await lastCommunicationOf(h, ids);
  const subjects: AvailabilitySubject[] = [];
  for (const b of baselines) {
    const d = devices.get(b.device_id!);
    if (!d || d.state === 'retired' || d.state === 'merged') continue;
    // A token limited to sites raises alerts for its own sites' devices only.
    if (!reachesSite(actor, d.siteId)) continue;
    const times = [d.lastSeen, lastComm.get(d.id) ?? null, b.last_seen].filter((t): t is string =>
      Boolean(t),
    );
    subjects.push({
      deviceId: d.id,
      siteId: d.siteId,
      label: [d.deviceClass, [d.manufacturer, d.model].filter(Boolean).join(' '), d.assetTag, d.ips[0]]
        .filter(Boolean)
        .join(' '),
      lastSeen: times.length ? times.sort().at(-1)! : null,
      baselineState: 'active',
    });
  }
  const candidates = devicesNotSeen(subjects, now, hours);
  const raised = await raiseAlerts(h, candidates, {
    now,
    actor: actor.name,
    ...(opts.rateLimit !== undefined ? { rateLimit: opts.rateLimit } : {}),
  });
  return { ...raised, checked: subjects.length, notSeen: candidates.length, hours };
}
