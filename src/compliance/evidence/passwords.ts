/**
 * @module Evidence `password-measures`: manufacturer default passwords and cleartext credentials seen
 * on devices (not met), failed-login findings (partial), and Vigil's own accounts: argon2id hashes and
 * the password policy (minimum length, breached and common passwords refused).
 */

import { MIN_PASSWORD_LENGTH } from '../../accounts/password-policy.js';
import { plural } from '../../format-count.js';
import { latestImportOf, openFindingsOf } from '../../store/compliance-store.js';
import { type EvidenceCollector, evidence, findingGaps } from './evidence.js';

export const collectPasswordMeasures: EvidenceCollector = async (ctx) => {
  const traffic = await latestImportOf(ctx.h, ['capture', 'zeek', 'eve', 'nmap']);
  const open = await openFindingsOf(
    ctx.h,
    ['default-credentials', 'cleartext-credentials', 'failed-login'],
    ctx.siteIds,
    25,
  );
  const defaults = (open.byType['default-credentials'] ?? 0) + (open.byType['cleartext-credentials'] ?? 0);
  const failed = open.byType['failed-login'] ?? 0;
  const base = {
    kind: 'password-measures' as const,
    title: 'Password measures',
    figures: {
      defaultCredentials: open.byType['default-credentials'] ?? 0,
      cleartextCredentials: open.byType['cleartext-credentials'] ?? 0,
      failedLogins: failed,
      vigilPasswordHash: 'argon2id',
      vigilMinPasswordLength: MIN_PASSWORD_LENGTH,
    },
    asOf: traffic?.at ?? null,
    gaps: await findingGaps(ctx, open.items),
  };
  if (defaults > 0)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: `${plural(defaults, 'open finding')} of default or cleartext device credentials`,
    });
  if (failed > 0)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `${plural(failed, 'open failed-login finding')}`,
    });
  if (!traffic)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `Vigil's own accounts use argon2id and ≥ ${MIN_PASSWORD_LENGTH} characters; no device traffic analysed`,
    });
  return evidence(ctx, {
    ...base,
    status: 'met',
    reason: `no default or cleartext credentials open; Vigil accounts argon2id, ≥ ${MIN_PASSWORD_LENGTH} characters`,
  });
};
