/**
 * @module Evidence `access-control`: Vigil's own accounts (roles, disabled, dormant, second factor) and
 * API tokens. Met when every enabled account signs in with a second factor and none is dormant.
 */
import { plural, pluralWord } from '../../format-count.js';
import { accessFigures } from '../../store/compliance-store.js';
import { daysBefore, type EvidenceCollector, evidence } from './evidence.js';

/** An enabled account unused this long should be disabled (departing staff). */
export const DORMANT_DAYS = 90;

export const collectAccessControl: EvidenceCollector = async (ctx) => {
  const a = await accessFigures(ctx.h, ctx.now.toISOString(), daysBefore(ctx.now, DORMANT_DAYS));
  const admins = a.byRole['admin'] ?? 0;
  const base = {
    kind: 'access-control' as const,
    title: 'Access to Vigil (its own accounts)',
    figures: {
      accounts: a.users,
      disabled: a.disabled,
      admins,
      securityOfficers: a.byRole['security-officer'] ?? 0,
      clinicalEngineers: a.byRole['clinical-engineer'] ?? 0,
      auditors: a.byRole['auditor'] ?? 0,
      dormant: a.dormant,
      activeApiTokens: a.activeTokens,
      /** SCIM provisioning tokens that work (the identity provider can disable leavers). */
      scimTokens: a.scimTokens.live,
      /** Of those, made before SCIM tokens expired: they never do. */
      scimTokensWithoutExpiry: a.scimTokens.withoutExpiry,
      roleBasedAccess: true,
      accountsWithMfa: a.withMfa,
      /** Provisioned by the identity provider (SCIM), not signed in to yet: judged at that sign-in. */
      awaitingFirstSignIn: a.awaitingFirstSignIn,
      /** Every enabled account that has signed in signs in with a second factor. */
      multifactor:
        a.users - a.disabled - a.awaitingFirstSignIn > 0 &&
        a.withMfa === a.users - a.disabled - a.awaitingFirstSignIn,
    },
    asOf: a.lastPasswordChange,
  };
  if (a.users === 0) return evidence(ctx, { ...base, status: 'not-met', reason: 'no account exists' });
  // A provisioned account nobody has signed in to has no second factor to judge until that sign-in.
  const enabled = a.users - a.disabled - a.awaitingFirstSignIn;
  const gaps: string[] = [];
  if (a.withMfa < enabled)
    gaps.push(
      `${enabled - a.withMfa} of ${plural(enabled, 'enabled account')} ${pluralWord(enabled - a.withMfa, 'signs', 'sign')} in without a second factor (VIGIL_REQUIRE_MFA makes it mandatory)`,
    );
  if (a.dormant)
    gaps.push(`${plural(a.dormant, 'enabled account')} unused for more than ${plural(DORMANT_DAYS, 'day')}`);
  // Provisioning that tells Vigil of leavers is access control too: a token that never expires outlives
  // any copy of it, and one that expired (with none to replace it) means leavers are no longer disabled.
  if (a.scimTokens.withoutExpiry)
    gaps.push(
      `${plural(a.scimTokens.withoutExpiry, 'SCIM provisioning token')} never ${pluralWord(a.scimTokens.withoutExpiry, 'expires', 'expire')} (made before tokens expired; replace ${pluralWord(a.scimTokens.withoutExpiry, 'it', 'them')})`,
    );
  if (a.scimTokens.expired && !a.scimTokens.live)
    gaps.push(
      'every SCIM provisioning token has expired: the identity provider no longer disables leavers in Vigil',
    );
  if (!gaps.length)
    return evidence(ctx, {
      ...base,
      status: 'met',
      reason: `role-based access with ${plural(admins, 'admin')}; every enabled account signs in with a second factor`,
    });
  return evidence(ctx, {
    ...base,
    status: 'partial',
    reason: `role-based access with ${plural(admins, 'admin')}; ${gaps.join('; ')}`,
    gaps,
  });
};
