/**
 * @module Trigger: remediation tasks (updates, finding fixes) past their due date and still open. Each
 * task is notified once per due date: a new due date that passes again is notified again.
 */
import { listTaskViews } from '../../../store/tasks-store.js';
import { ACTIVE_STATES } from '../../../tasks/task-states.js';
import type { NotificationCandidate, NotificationTrigger } from '../candidate.js';

export const overdueUpdateTrigger: NotificationTrigger = {
  name: 'overdue-update',
  async run({ h, now }) {
    const tasks = await listTaskViews(h, { states: ACTIVE_STATES, dueBefore: now.toISOString() });
    return tasks.map(
      (t): NotificationCandidate => ({
        kind: 'overdue-update',
        key: `overdue-update:${t.id}:${t.due_at}`,
        severity: 'warning',
        title: `Overdue: ${t.title} (${t.asset_tag ?? t.device_id})`,
        body: [
          `Remediation task "${t.title}" for device ${t.asset_tag ?? t.device_id}${t.site_name ? ` at ${t.site_name}` : ''} was due ${t.due_at} and is still ${t.state}.`,
          t.assignee ? `Assignee: ${t.assignee}.` : 'No assignee.',
          t.fix ? `Fix: ${t.fix}` : '',
          `See: vigil tasks show ${t.id}`,
        ]
          .filter(Boolean)
          .join('\n'),
        siteIds: t.site_id ? [t.site_id] : [],
        details: { taskId: t.id, deviceId: t.device_id, due: t.due_at, state: t.state },
      }),
    );
  },
};
