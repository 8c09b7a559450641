/**
 * @module What `vigil serve` runs in the background: task verification and risk-acceptance expiry, every
 * interval (hourly by default), so an acceptance that expires at night re-opens its tasks without anyone
 * running `vigil tasks verify`. One run at a time; a failed run is logged and the next one tries again.
 */
import type { Logger } from 'pino';
import type { QueueOptions } from '../risk/queue-service.js';
import type { DbHandle } from '../store/transaction.js';
import { SYSTEM_ACTOR } from './tasks-service.js';
import { type MaintenanceReport, runTaskMaintenance } from './verification.js';

export interface MaintenanceSchedule {
  /** Runs once now (tests, and the first run at start-up). */
  runNow(): Promise<MaintenanceReport | null>;
  stop(): void;
}

export function scheduleTaskMaintenance(
  vdb: DbHandle,
  log: Pick<Logger, 'info' | 'error'>,
  intervalMs = 3_600_000,
  now: () => Date = () => new Date(),
  /** The hospital's SLA policy, for tasks re-opened when an acceptance expires. */
  queue: QueueOptions = {},
): MaintenanceSchedule {
  let running: Promise<MaintenanceReport | null> | null = null;
  const runNow = () => {
    running ??= runTaskMaintenance(vdb, SYSTEM_ACTOR, now(), queue)
      .then((r) => {
        if (r.verification.verified.length || r.expiry.expired.length)
          log.info(
            { verified: r.verification.verified.length, expired: r.expiry.expired.length },
            'task maintenance',
          );
        return r;
      })
      .catch((err: unknown) => {
        log.error({ err }, 'task maintenance failed');
        return null;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = setInterval(() => void runNow(), intervalMs);
  timer.unref();
  return { runNow, stop: () => clearInterval(timer) };
}
