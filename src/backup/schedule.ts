/**
 * @module Scheduled backups inside `vigil serve` (`backupIntervalHours` > 0): checked a few minutes after
 * start and then hourly; a backup is taken when the newest good one is older than the interval, so a
 * restart does not take an extra one and a missed one (server down at night) is taken at the next check.
 * With `backupRecipients` each is encrypted to them. Runs never overlap. A failure is logged and recorded (`vigil db backups`, `GET /system`); the next
 * check tries again.
 */
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import type { VigilDatabase } from '../store/database.js';
import { SYSTEM_ACTOR } from '../tasks/tasks-service.js';
import { backupDirFor, createBackup, newestBackup, pruneScheduledBackups } from './backups.js';

const HOUR_MS = 3_600_000;

export function scheduleBackups(
  vdb: VigilDatabase,
  config: Pick<Config, 'db' | 'backupDir' | 'backupIntervalHours' | 'backupKeep' | 'backupRecipients'>,
  log: Logger,
  opts: { everyMs?: number; firstMs?: number } = {},
): { runNow(): Promise<void>; stop(): void } | null {
  if (!config.backupIntervalHours) return null;
  const dir = backupDirFor(config);
  let running: Promise<void> | undefined;
  const due = async () => {
    const last = await newestBackup(vdb, 'good');
    return !last || Date.now() - Date.parse(last.startedAt) >= config.backupIntervalHours * HOUR_MS - 60_000;
  };
  const runNow = () => {
    running ??= due()
      .then(async (yes) => {
        if (!yes) return;
        const b = await createBackup(vdb, {
          dir,
          trigger: 'scheduled',
          actor: SYSTEM_ACTOR,
          recipients: config.backupRecipients,
          log,
        });
        const pruned = await pruneScheduledBackups(dir, config.backupKeep);
        log.info(
          {
            file: b.file,
            bytes: b.manifest.bytes,
            encrypted: Boolean(b.manifest.encryption),
            pruned: pruned.length,
            warnings: b.warnings,
          },
          'backup taken',
        );
      })
      .catch((err: unknown) => log.error({ err, dir }, 'scheduled backup failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const first = setTimeout(() => void runNow(), opts.firstMs ?? 5 * 60_000);
  const timer = setInterval(() => void runNow(), opts.everyMs ?? HOUR_MS);
  first.unref();
  timer.unref();
  return {
    runNow,
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
