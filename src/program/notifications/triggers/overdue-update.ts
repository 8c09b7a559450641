/**
 * @module Trigger: remediation tasks (updates, finding fixes) past their due date and still open. Each
 * task is notified once per due date: a new due date that passes again is notified again. The device is
 * named as people know it (asset tag, else make and model with its address: inventory/device-label.ts).
 */
import { deviceLabels, labelIn } from '../../../inventory/device-label.js';
import { listTaskViews } from '../../../store/tasks-store.js';
import { ACTIVE_STATES } from '../../../tasks/task-states.js';
import type { NotificationCandidate, NotificationTrigger } from '../candidate.js';

export const overdueUpdateTrigger: NotificationTrigger = {
  name: 'overdue-update',
  async run({ h, now }) {
    const tasks = await listTaskViews(h, { states: ACTIVE_STATES, dueBefore: now.toISOString() });
    const labels = await deviceLabels(
      h,
      tasks.map((t) => t.device_id),
    );
    return tasks.map((t): NotificationCandidate => {
      const device = labelIn(labels, t.device_id);
      return {
        kind: 'overdue-update',
        key: `overdue-update:${t.id}:${t.due_at}`,
        severity: 'warning',
        title: `Overdue: ${t.title} (${device})`,
        body: [
          `Remediation task "${t.title}" for device ${device}${t.site_name ? ` at ${t.site_name}` : ''} was due ${t.due_at} and is still ${t.state}.`,
          t.assignee ? `Assignee: ${t.assignee}.` : 'No assignee.',
          t.fix ? `Fix: ${t.fix}` : '',
          `See: vigil tasks show ${t.id}`,
        ]
          .filter(Boolean)
          .join('\n'),
        siteIds: t.site_id ? [t.site_id] : [],
        details: { taskId: t.id, deviceId: t.device_id, deviceLabel: device, due: t.due_at, state: t.state },
      };
    });
  },
};
