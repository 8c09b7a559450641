/**
 * @module Trigger: risk acceptances that end within the next 14 days. At its end an acceptance re-opens
 * its tasks with their SLA restarted (tasks/acceptance-service.ts), so the officers hear of it while there
 * is still time to fix, to renew the acceptance with a fresh review, or to let it end on purpose. Each
 * acceptance is notified once per expiry date: a renewed one that nears its new end is notified again.
 * A device's acceptance goes to its site's officers; a model's to the sites of the tasks it holds.
 */
import { deviceLabels, labelIn } from '../../../inventory/device-label.js';
import { acceptancesEnding, listTaskViews, modelRef } from '../../../store/tasks-store.js';
import type { NotificationCandidate, NotificationTrigger } from '../candidate.js';

/** How far ahead an ending acceptance is announced. */
export const ACCEPTANCE_NOTICE_DAYS = 14;

export const acceptanceExpiringTrigger: NotificationTrigger = {
  name: 'acceptance-expiring',
  async run({ h, now }) {
    const until = new Date(now.getTime() + ACCEPTANCE_NOTICE_DAYS * 86_400_000);
    const ending = await acceptancesEnding(h, now.toISOString(), until.toISOString());
    const labels = await deviceLabels(
      h,
      ending.flatMap((a) => (a.device_id ? [a.device_id] : [])),
    );
    const out: NotificationCandidate[] = [];
    for (const a of ending) {
      const tasks = await listTaskViews(h, { acceptanceId: a.id, states: ['risk-accepted'] });
      const model = a.model_id ? await modelRef(h, a.model_id) : undefined;
      const scope = a.device_id
        ? `device ${labelIn(labels, a.device_id)}`
        : `every ${[model?.manufacturer, model?.name].filter(Boolean).join(' ') || 'device of the model'}${a.version ? ` at version ${a.version}` : ''}`;
      const days = Math.max(1, Math.ceil((Date.parse(a.expires_at) - now.getTime()) / 86_400_000));
      const siteIds = [...new Set(tasks.flatMap((t) => (t.site_id ? [t.site_id] : [])))];
      out.push({
        kind: 'acceptance-expiring',
        key: `acceptance-expiring:${a.id}:${a.expires_at}`,
        severity: 'warning',
        title: `Risk acceptance ends in ${days === 1 ? '1 day' : `${days} days`}: ${a.vuln_key} on ${scope}`,
        body: [
          `The risk acceptance of ${a.vuln_key} on ${scope} (${a.decision}, approved by ${a.approver}) ends ${a.expires_at}.`,
          tasks.length
            ? `Then ${tasks.length === 1 ? 'its task re-opens' : `its ${tasks.length} tasks re-open`} with the SLA restarted.`
            : 'It holds no task now.',
          `Reason given: ${a.reason}`,
          'Fix it, accept it again after a fresh review (vigil tasks accept), or let it end.',
          `See: vigil tasks acceptances --vuln ${a.vuln_key}`,
        ].join('\n'),
        siteIds,
        details: {
          acceptanceId: a.id,
          vulnerability: a.vuln_key,
          scope: a.scope,
          deviceId: a.device_id,
          deviceLabel: a.device_id ? labelIn(labels, a.device_id) : null,
          expires: a.expires_at,
          tasks: tasks.length,
        },
      });
    }
    return out;
  },
};
