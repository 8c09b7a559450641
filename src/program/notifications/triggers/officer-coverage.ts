/**
 * @module Trigger: the officer warnings (no officer for the organization or a site, a term ending with
 * no successor). Repeated once a month while the gap lasts, so it is neither forgotten nor noisy.
 */
import { officerCoverage } from '../../officers/coverage.js';
import type { NotificationCandidate, NotificationTrigger } from '../candidate.js';

export const officerCoverageTrigger: NotificationTrigger = {
  name: 'officer-coverage',
  async run({ h, now }) {
    const month = now.toISOString().slice(0, 7);
    const { warnings } = await officerCoverage(h, now);
    return warnings.map(
      (w): NotificationCandidate => ({
        kind: 'officer-coverage',
        key: `officer-coverage:${w.code}:${w.siteId ?? 'organization'}:${w.code === 'term-ending' ? w.message : month}`,
        severity: 'warning',
        title:
          w.code === 'term-ending'
            ? 'A security officer term is ending'
            : w.code === 'no-officer-site'
              ? 'A site has no security officer'
              : 'The organization has no security officer',
        body: `${w.message}.\nSee: vigil officers list`,
        siteIds: w.siteId ? [w.siteId] : [],
        details: { code: w.code, siteId: w.siteId },
      }),
    );
  },
};
