/**
 * @module Trigger: work-queue items that must be handled now, the deployer decision Immediate or CISA's
 * Act, unless a risk acceptance in force covers it. Each (device, vulnerability or finding) is notified once.
 */
import { listQueue, queueOptionsFrom } from '../../../risk/queue-service.js';
import { deviceContext } from '../../../store/notification-store.js';
import { SYSTEM_ACTOR } from '../../../tasks/tasks-service.js';
import type { NotificationCandidate, NotificationTrigger } from '../candidate.js';

export const actImmediateTrigger: NotificationTrigger = {
  name: 'act-immediate',
  async run({ h, now, config }) {
    const items = (await listQueue(h, SYSTEM_ACTOR, {}, { ...queueOptionsFrom(config), now })).filter(
      // An accepted risk was judged by the officer who accepted it: it is not news until the acceptance ends.
      (i) => (i.decision === 'immediate' || i.cisa === 'Act') && !i.acceptance,
    );
    const devices = await deviceContext(
      h,
      items.map((i) => i.deviceId),
    );
    return items.map((i): NotificationCandidate => {
      const what = i.vulnerability ?? i.title ?? i.findingId ?? 'finding';
      // The device as people know it in the text; the command needs a reference it resolves.
      const device = i.deviceLabel;
      const ref = i.assetTag ?? i.deviceId;
      const level = [i.decision === 'immediate' ? 'Immediate' : null, i.cisa === 'Act' ? 'CISA Act' : null]
        .filter(Boolean)
        .join(', ');
      return {
        kind: 'act-immediate',
        key: `act-immediate:${i.deviceId}:${i.vulnerability ?? `finding:${i.findingId}`}`,
        severity: 'critical',
        title: `${level}: ${what} on ${device}`,
        body: [
          `${what} on device ${device}${i.group.model ? ` (${[i.group.manufacturer, i.group.model, i.group.version].filter(Boolean).join(' ')})` : ''} needs action now (${level}).`,
          i.due ? `Due: ${i.due} (${i.dueBecause}).` : '',
          i.fixAvailable && i.group.fix ? `Fix: ${i.group.fix}` : '',
          `See: vigil queue; vigil vulns why ${ref} ${i.vulnerability ?? ''}`.trim(),
        ]
          .filter(Boolean)
          .join('\n'),
        siteIds: devices.get(i.deviceId)?.site_id ? [devices.get(i.deviceId)!.site_id!] : [],
        details: {
          deviceId: i.deviceId,
          deviceLabel: i.deviceLabel,
          vulnerability: i.vulnerability,
          findingId: i.findingId,
          decision: i.decision,
          cisa: i.cisa,
          due: i.due,
        },
      };
    });
  },
};
