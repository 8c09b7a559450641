/**
 * @module Evidence `security-officer`: a primary security officer in term for the organization and for
 * every site in scope, from the security program's `officerCoverage`; each missing one is named.
 */
import { plural, pluralWord } from '../../format-count.js';
import { officerCoverage } from '../../program/officers/coverage.js';
import { evidence, inScope, newest } from './evidence.js';
import type { ProgramCollector } from './program.js';

/** A primary officer for the organization and every site in scope (HIPAA §164.308(a)(2)). */
export const collectSecurityOfficer: ProgramCollector = async (ctx, tables) => {
  const c = await officerCoverage(ctx.h, ctx.now);
  const sites = c.sites.filter((s) => inScope(ctx, s.siteId));
  tables.officersBySite = sites.map((s) => ({
    siteId: s.siteId,
    siteName: s.siteName,
    primary: s.primary?.name ?? null,
    deputies: s.deputies.map((d) => d.name),
  }));
  tables.organizationOfficers = {
    primary: c.organization.primary?.name ?? null,
    deputies: c.organization.deputies.map((d) => d.name),
  };
  const warnings = c.warnings.filter((w) => w.siteId === null || inScope(ctx, w.siteId));
  const orgMissing = warnings.some((w) => w.code === 'no-officer-organization');
  const sitesMissing = warnings.filter((w) => w.code === 'no-officer-site');
  const ending = warnings.filter((w) => w.code === 'term-ending');
  const starts = [c.organization.primary, ...sites.map((s) => s.primary)].map((o) => o?.termStart ?? null);
  const base = {
    kind: 'security-officer' as const,
    title: 'Security officer designated',
    figures: {
      organizationOfficer: c.organization.primary?.name ?? null,
      sites: sites.length,
      sitesWithOfficer: sites.filter((s) => s.primary).length,
      termsEnding: ending.length,
    },
    asOf: newest(...starts),
    gaps: warnings.map((w) => w.message),
  };
  if (orgMissing)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: `no security officer in term for the organization${sitesMissing.length ? `; ${plural(sitesMissing.length, 'site')} without one` : ''}`,
    });
  // The organization's officer is the security official §164.308(a)(2) asks for, answerable for every
  // site: a site without its own is a gap in the program, not a missing official.
  if (sitesMissing.length)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `${sitesMissing.length} of ${plural(sites.length, 'site')} ${pluralWord(sitesMissing.length, 'has', 'have')} no security officer of their own: ${sitesMissing.map((w) => sites.find((s) => s.siteId === w.siteId)?.siteName ?? w.siteId).join(', ')}; the organization's, ${c.organization.primary?.name}, is in term`,
    });
  if (ending.length)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `${plural(ending.length, 'officer term')} ${pluralWord(ending.length, 'ends', 'end')} within 30 days with no successor`,
    });
  return evidence(ctx, {
    ...base,
    status: 'met',
    reason: `officer ${c.organization.primary?.name} for the organization and one for each of ${plural(sites.length, 'site')}`,
  });
};
