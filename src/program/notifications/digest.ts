/**
 * @module The weekly digest for one officer: what is open in their scope right now (Act/Immediate items,
 * overdue updates, advisories of the last 30 days affecting owned models, training below target) and the
 * officer warnings, whether or not each item was notified before. One per officer per ISO week.
 */
import type { OfficerCoverage, OfficerRef } from '../officers/coverage.js';
import type { NotificationCandidate } from './candidate.js';

const SECTIONS: { kind: string; heading: string }[] = [
  { kind: 'act-immediate', heading: 'Open Act / Immediate items' },
  { kind: 'overdue-update', heading: 'Overdue updates' },
  { kind: 'acceptance-expiring', heading: 'Risk acceptances ending within 14 days' },
  { kind: 'new-advisory', heading: 'New advisories affecting owned models (last 30 days)' },
  { kind: 'training-below-target', heading: 'Training compliance below target' },
  { kind: 'officer-coverage', heading: 'Security officer warnings' },
  { kind: 'backup-problem', heading: "Vigil's own backups" },
  { kind: 'scim-token-expiring', heading: 'SCIM provisioning tokens expiring or expired' },
];
/** Items listed per section; the count says how many there are in all. */
const SHOWN = 20;

export function digestCandidate(
  officer: OfficerRef,
  mine: readonly NotificationCandidate[],
  coverage: OfficerCoverage,
  week: string,
  now: Date,
): NotificationCandidate {
  const scopes = [
    coverage.organization.primary?.personId === officer.personId ||
    coverage.organization.deputies.some((d) => d.personId === officer.personId)
      ? 'the organization'
      : null,
    ...coverage.sites
      .filter(
        (s) =>
          s.primary?.personId === officer.personId || s.deputies.some((d) => d.personId === officer.personId),
      )
      .map((s) => `site ${s.siteName}`),
  ].filter(Boolean);
  const counts: Record<string, number> = {};
  const lines = [
    `Weekly security digest for ${officer.name} (${scopes.join(', ')}), ${now.toISOString().slice(0, 10)}.`,
  ];
  for (const s of SECTIONS) {
    const items = mine.filter((c) => c.kind === s.kind);
    counts[s.kind] = items.length;
    lines.push('', `${s.heading}: ${items.length}`);
    for (const c of items.slice(0, SHOWN)) lines.push(`  - ${c.title}`);
    if (items.length > SHOWN) lines.push(`  … and ${items.length - SHOWN} more`);
  }
  const urgent = (counts['act-immediate'] ?? 0) + (counts['overdue-update'] ?? 0);
  return {
    kind: 'digest',
    key: `digest:${week}`,
    severity: urgent ? 'warning' : 'info',
    title: `Weekly security digest ${week}: ${counts['act-immediate'] ?? 0} Act/Immediate, ${counts['overdue-update'] ?? 0} overdue`,
    body: lines.join('\n'),
    siteIds: [],
    details: {
      week,
      actImmediate: counts['act-immediate'] ?? 0,
      overdue: counts['overdue-update'] ?? 0,
      newAdvisories: counts['new-advisory'] ?? 0,
      trainingBelowTarget: counts['training-below-target'] ?? 0,
      officerWarnings: counts['officer-coverage'] ?? 0,
      backupProblems: counts['backup-problem'] ?? 0,
      scimTokens: counts['scim-token-expiring'] ?? 0,
    },
  };
}
