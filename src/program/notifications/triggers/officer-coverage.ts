/**
 * @module Trigger: the officer warnings (no officer for the organization or a site, a term ending with
 * no successor). Repeated once a month while the gap lasts, so it is neither forgotten nor noisy.
 */
import { type OfficerWarning, officerCoverage } from '../../officers/coverage.js';
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
        title: titleOf(w),
        body: `${w.message}.\nSee: vigil officers list`,
        siteIds: w.siteId ? [w.siteId] : [],
        details: { code: w.code, siteId: w.siteId },
      }),
    );
  },
};

/**
 * The title names the site or the person: it is the email subject and the digest's line, and two sites
 * without an officer used to arrive as two identical "A site has no security officer" mails.
 */
function titleOf(w: OfficerWarning): string {
  if (w.code === 'no-officer-organization') return 'The organization has no security officer';
  // The message without the deputies' names, e.g. "Site North Campus has no security officer in term".
  return w.message.replace(/ \(deputies: [^)]*\)/, '');
}
