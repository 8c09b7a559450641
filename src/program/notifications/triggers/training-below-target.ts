/**
 * @module Trigger: training compliance below the organization's target, for the organization, a site or
 * a department (figures from program/training/compliance.ts). Repeated once a month while it lasts.
 */
import { plural } from '../../../format-count.js';
import { type ComplianceFigure, trainingCompliance } from '../../training/compliance.js';
import type { NotificationCandidate, NotificationTrigger } from '../candidate.js';

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

export const trainingBelowTargetTrigger: NotificationTrigger = {
  name: 'training-below-target',
  async run({ h, now }) {
    const month = now.toISOString().slice(0, 7);
    const c = await trainingCompliance(h, now);
    const below = [c.overall, ...c.bySite, ...c.byDepartment].filter((f) => f.belowTarget && f.required > 0);
    return below.map((f: ComplianceFigure): NotificationCandidate => {
      const where =
        f.scope === 'organization'
          ? 'the organization'
          : f.scope === 'site'
            ? `site ${f.siteName ?? f.siteId}`
            : `department ${f.department} at ${f.siteName ?? f.siteId ?? 'no site'}`;
      return {
        kind: 'training-below-target',
        key: `training-below-target:${f.scope}:${f.siteId ?? '-'}:${f.department ?? '-'}:${month}`,
        severity: 'warning',
        title: `Training compliance below target: ${where} at ${pct(f.rate)}`,
        body: [
          `Security training compliance of ${where} is ${pct(f.rate)} (${f.current} of ${plural(f.required, 'required training')} current, ${f.overdue} overdue); the target is ${pct(c.target)}.`,
          'See: vigil training status',
        ].join('\n'),
        siteIds: f.siteId ? [f.siteId] : [],
        details: {
          scope: f.scope,
          siteId: f.siteId,
          department: f.department,
          rate: f.rate,
          required: f.required,
          current: f.current,
          overdue: f.overdue,
          target: c.target,
        },
      };
    });
  },
};
