/**
 * @module Trigger: Vigil's own backups are failing or overdue (docs/backup.md). The audit log is kept six
 * years and the inventory's decisions are hard to rebuild; a backup that silently stopped is found out
 * on the day it is needed. Only when scheduled backups are on (`backupIntervalHours`): without them
 * nothing says how often a backup is expected. A failed attempt is notified once a day while the newest
 * attempt is a failure; an overdue backup (none good for twice the interval) once a week while it lasts.
 */
import { newestBackup } from '../../../backup/backups.js';
import type { NotificationCandidate, NotificationTrigger } from '../candidate.js';
import { isoWeek } from '../iso-week.js';

const HOUR_MS = 3_600_000;

export const backupProblemTrigger: NotificationTrigger = {
  name: 'backup-problem',
  async run({ h, now, config }) {
    const interval = config.backupIntervalHours ?? 0;
    if (!interval) return [];
    const good = await newestBackup(h, 'good');
    const attempt = await newestBackup(h, 'attempt');
    const out: NotificationCandidate[] = [];
    const since = good
      ? `The last good backup was taken ${good.startedAt.slice(0, 16).replace('T', ' ')} UTC (${good.file}).`
      : 'No good backup has been taken yet.';
    if (attempt?.status === 'failed')
      out.push({
        kind: 'backup-problem',
        key: `backup-problem:failed:${now.toISOString().slice(0, 10)}`,
        severity: 'warning',
        title: 'Vigil backup failed',
        body: `The backup of ${attempt.startedAt.slice(0, 16).replace('T', ' ')} UTC failed: ${attempt.error}\n${since}\nSee: vigil db backups (docs/backup.md)`,
        siteIds: [],
        details: {
          code: 'failed',
          backupId: attempt.id,
          error: attempt.error,
          lastGoodAt: good?.startedAt ?? null,
        },
      });
    if (!good || now.getTime() - Date.parse(good.startedAt) > 2 * interval * HOUR_MS)
      out.push({
        kind: 'backup-problem',
        key: `backup-problem:overdue:${isoWeek(now)}`,
        severity: 'critical',
        title: 'Vigil backups are overdue',
        body: `Backups are due every ${interval} h. ${since}\nSee: vigil db backups; vigil db backup takes one now (docs/backup.md)`,
        siteIds: [],
        details: { code: 'overdue', intervalHours: interval, lastGoodAt: good?.startedAt ?? null },
      });
    return out;
  },
};
