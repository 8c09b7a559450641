/**
 * @module Who the security officers are on a given day, for the organization and each site, and what is
 * missing: the organization or a site with no primary officer in term (HIPAA §164.308(a)(2) asks for an
 * identified security official), or a term ending within 30 days with no successor designated.
 * The compliance report and the notification triggers read this.
 */
import { listOfficerViews, type OfficerView } from '../../store/organization-store.js';
import { listSites } from '../../store/site-store.js';
import type { DbHandle } from '../../store/transaction.js';

export interface OfficerRef {
  personId: string;
  name: string;
  email: string | null;
  phone: string | null;
  termStart: string;
  termEnd: string | null;
}

export interface OfficerWarning {
  code: 'no-officer-organization' | 'no-officer-site' | 'term-ending';
  siteId: string | null;
  message: string;
}

export interface OfficerCoverage {
  organization: { primary: OfficerRef | null; deputies: OfficerRef[] };
  sites: Array<{ siteId: string; siteName: string; primary: OfficerRef | null; deputies: OfficerRef[] }>;
  warnings: OfficerWarning[];
}

/** Days before the end of a term from which it is flagged. */
export const TERM_ENDING_DAYS = 30;

const DAY_MS = 86_400_000;
const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

export const toOfficerRef = (o: OfficerView): OfficerRef => ({
  personId: o.person_id,
  name: o.person_name,
  email: o.person_email,
  phone: o.person_phone,
  termStart: o.term_start,
  termEnd: o.term_end,
});

export async function officerCoverage(h: DbHandle, now: Date): Promise<OfficerCoverage> {
  const today = now.toISOString().slice(0, 10);
  const all = await listOfficerViews(h);
  // Someone who left the organization no longer holds the office, whatever the term said.
  const inTerm = all.filter(
    (o) =>
      Number(o.person_active) === 1 && o.term_start <= today && (o.term_end === null || o.term_end >= today),
  );
  const of = (siteId: string | null) => {
    const mine = inTerm.filter((o) => o.site_id === siteId);
    const primary = mine.find((o) => o.role === 'primary');
    return {
      primary: primary ? toOfficerRef(primary) : null,
      deputies: mine.filter((o) => o.role === 'deputy').map(toOfficerRef),
    };
  };
  const organization = of(null);
  const sites = (await listSites(h)).map((s) => ({ siteId: s.id, siteName: s.name, ...of(s.id) }));
  const warnings: OfficerWarning[] = [];
  if (!organization.primary)
    warnings.push({
      code: 'no-officer-organization',
      siteId: null,
      message: `The organization has no security officer in term${organization.deputies.length ? ` (deputies: ${organization.deputies.map((d) => d.name).join(', ')})` : ''}: designate one with vigil officers designate`,
    });
  for (const s of sites)
    if (!s.primary)
      warnings.push({
        code: 'no-officer-site',
        siteId: s.siteId,
        message: `Site ${s.siteName} has no security officer in term${s.deputies.length ? ` (deputies: ${s.deputies.map((d) => d.name).join(', ')})` : ''}`,
      });
  const horizon = addDays(today, TERM_ENDING_DAYS);
  for (const o of inTerm) {
    if (o.term_end === null || o.term_end > horizon) continue;
    // A successor in the same role and scope from the day after (or earlier) closes the gap.
    const next = addDays(o.term_end, 1);
    const succeeded = all.some(
      (x) =>
        x.id !== o.id &&
        x.site_id === o.site_id &&
        x.role === o.role &&
        x.term_start <= next &&
        (x.term_end === null || x.term_end >= next),
    );
    if (succeeded) continue;
    const scope = o.site_name ? `site ${o.site_name}` : 'the organization';
    warnings.push({
      code: 'term-ending',
      siteId: o.site_id,
      message: `${o.person_name}'s term as ${o.role === 'primary' ? 'security officer' : 'deputy security officer'} of ${scope} ends on ${o.term_end} and no successor is designated`,
    });
  }
  return { organization, sites, warnings };
}
