/**
 * @module Who must take a course. A course carries a list of assignment rules; a person is required
 * when they are active and at least one rule matches. Within one rule every criterion given must hold
 * (`{jobRole: 'biomed technician', siteId: …}` = biomed technicians of that site), so "everyone with
 * network access" plus role-based extras is `[{networkAccess: true}, {vigilRole: 'clinical-engineer'}]`.
 */

export interface AssignmentRule {
  /** Everyone whose person record says they access network resources. */
  networkAccess?: true;
  /** Job role as HR writes it; compared without case and surrounding spaces. */
  jobRole?: string;
  departmentId?: string;
  siteId?: string;
  /** The Vigil role of the person's linked user account (e.g. clinical-engineer). */
  vigilRole?: string;
}

/** What a course is required for when nobody says otherwise. */
export const DEFAULT_RULES: AssignmentRule[] = [{ networkAccess: true }];

export interface PersonFacts {
  active: boolean;
  networkAccess: boolean;
  jobRole: string | null;
  departmentId: string | null;
  siteId: string | null;
  vigilRole: string | null;
}

const key = (s: string) => s.trim().toLowerCase();

export function ruleMatches(rule: AssignmentRule, p: PersonFacts): boolean {
  const criteria = [
    rule.networkAccess !== undefined ? p.networkAccess : undefined,
    rule.jobRole !== undefined ? p.jobRole !== null && key(p.jobRole) === key(rule.jobRole) : undefined,
    rule.departmentId !== undefined ? p.departmentId === rule.departmentId : undefined,
    rule.siteId !== undefined ? p.siteId === rule.siteId : undefined,
    rule.vigilRole !== undefined ? p.vigilRole === rule.vigilRole : undefined,
  ].filter((c) => c !== undefined);
  // A rule with no criteria would assign everyone by accident; it assigns nobody.
  return criteria.length > 0 && criteria.every(Boolean);
}

export function isAssigned(rules: readonly AssignmentRule[], p: PersonFacts): boolean {
  return p.active && rules.some((r) => ruleMatches(r, p));
}
