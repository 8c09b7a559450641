/**
 * @module Evidence `access-control`: Vigil's own accounts (roles, disabled, dormant), API tokens, and
 * what Vigil does not do: it has no multifactor authentication of its own (put it behind SSO for that).
 */
import { accessFigures } from '../../store/compliance-store.js';
import { daysBefore, type EvidenceCollector, evidence } from './evidence.js';

/** An enabled account unused this long should be disabled (departing staff). */
export const DORMANT_DAYS = 90;

export const collectAccessControl: EvidenceCollector = async (ctx) => {
  const a = await accessFigures(ctx.h, ctx.now.toISOString(), daysBefore(ctx.now, DORMANT_DAYS));
  const admins = a.byRole['admin'] ?? 0;
  const base = {
    kind: 'access-control' as const,
    title: 'Access control',
    figures: {
      accounts: a.users,
      disabled: a.disabled,
      admins,
      securityOfficers: a.byRole['security-officer'] ?? 0,
      clinicalEngineers: a.byRole['clinical-engineer'] ?? 0,
      auditors: a.byRole['auditor'] ?? 0,
      dormant: a.dormant,
      activeApiTokens: a.activeTokens,
      roleBasedAccess: true,
      multifactor: false,
    },
    asOf: a.lastPasswordChange,
  };
  if (a.users === 0) return evidence(ctx, { ...base, status: 'not-met', reason: 'no account exists' });
  const gaps = ['Vigil has no multifactor authentication of its own'];
  if (a.dormant) gaps.push(`${a.dormant} enabled accounts unused for more than ${DORMANT_DAYS} days`);
  return evidence(ctx, {
    ...base,
    status: 'partial',
    reason: `role-based access with ${admins} admins; ${gaps.join('; ')}`,
    gaps,
  });
};
