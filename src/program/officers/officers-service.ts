/**
 * @module Security officer designations: the officer and deputies of the organization and of each site,
 * each with a term (start, optional end, both inclusive dates). Designating and ending are audited.
 * One primary officer per scope at a time: overlapping primary terms are refused, so a handover is
 * "end the old term, designate the successor" (the successor may start in the future).
 */
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { conflict, invalidInput, notFound } from '../../errors.js';
import { parseInput } from '../../inventory/device-input.js';
import { newId, nowIso } from '../../store/ids.js';
import {
  getOfficerView,
  insertOfficer,
  listOfficerViews,
  type OfficerRow,
  type OfficerView,
  updateOfficerRow,
} from '../../store/organization-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import { siteInScope } from '../organization/departments-service.js';
import { isoDate, personInScope } from '../organization/people-service.js';
import { type OfficerCoverage, officerCoverage } from './coverage.js';

/** The SecurityOfficer JSON contract (docs/program.md). */
export interface SecurityOfficer {
  id: string;
  personId: string;
  name: string;
  email: string | null;
  phone: string | null;
  /** null: the organization's officer. */
  siteId: string | null;
  site: string | null;
  role: 'primary' | 'deputy';
  termStart: string;
  termEnd: string | null;
  inTerm: boolean;
  endedAt: string | null;
  endedBy: string | null;
  createdBy: string;
  createdAt: string;
}

export function toOfficer(o: OfficerView, today: string): SecurityOfficer {
  return {
    id: o.id,
    personId: o.person_id,
    name: o.person_name,
    email: o.person_email,
    phone: o.person_phone,
    siteId: o.site_id,
    site: o.site_name,
    role: o.role as 'primary' | 'deputy',
    termStart: o.term_start,
    termEnd: o.term_end,
    // Someone who left holds no office, whatever the term says (as in officerCoverage).
    inTerm:
      Number(o.person_active) === 1 && o.term_start <= today && (o.term_end === null || o.term_end >= today),
    endedAt: o.ended_at,
    endedBy: o.ended_by,
    createdBy: o.created_by,
    createdAt: o.created_at,
  };
}

export const DesignateSchema = z
  .strictObject({
    /** Person id, email or employee id. */
    person: z.string().trim().min(1).max(254),
    /** Site id or name; absent: the organization. */
    site: z.string().trim().min(1).max(200).nullable().optional(),
    /** The response's `role`, accepted as input too; `deputy` is the older spelling of the same. */
    role: z.enum(['primary', 'deputy']).optional(),
    deputy: z.boolean().optional(),
    from: isoDate,
    to: isoDate.nullable().optional(),
  })
  .refine((v) => !v.to || v.to >= v.from, { message: 'the term ends before it starts', path: ['to'] })
  .refine((v) => v.role === undefined || v.deputy === undefined || (v.role === 'deputy') === v.deputy, {
    message: 'contradicts deputy: give role or deputy, not both',
    path: ['role'],
  });
export type DesignateInput = z.input<typeof DesignateSchema>;

export const EndTermSchema = z.strictObject({ on: isoDate.optional() });

const overlaps = (a: { start: string; end: string | null }, b: { start: string; end: string | null }) =>
  (a.end === null || b.start <= a.end) && (b.end === null || a.start <= b.end);

const visible = (actor: Actor, o: { site_id: string | null }) =>
  !actor.siteIds || (o.site_id !== null && actor.siteIds.includes(o.site_id));

export async function listOfficers(
  h: DbHandle,
  actor: Actor,
  opts: { now?: Date; all?: boolean } = {},
): Promise<{ officers: SecurityOfficer[]; warnings: OfficerCoverage['warnings'] }> {
  assertCan(actor, 'program:read');
  const now = opts.now ?? new Date();
  const today = now.toISOString().slice(0, 10);
  const rows = (await listOfficerViews(h)).filter(
    (o) => visible(actor, o) && (opts.all || o.term_end === null || o.term_end >= today),
  );
  const coverage = await officerCoverage(h, now);
  return {
    officers: rows.map((o) => toOfficer(o, today)),
    warnings: coverage.warnings.filter(
      (w) => !actor.siteIds || (w.siteId && actor.siteIds.includes(w.siteId)),
    ),
  };
}

export async function getCoverage(h: DbHandle, actor: Actor, now = new Date()): Promise<OfficerCoverage> {
  assertCan(actor, 'program:read');
  const c = await officerCoverage(h, now);
  if (!actor.siteIds) return c;
  const mine = (id: string | null) => id !== null && actor.siteIds!.includes(id);
  return {
    ...c,
    sites: c.sites.filter((s) => mine(s.siteId)),
    warnings: c.warnings.filter((w) => mine(w.siteId)),
  };
}

export async function designateOfficer(
  h: DbHandle,
  actor: Actor,
  input: unknown,
  opts: { now?: Date } = {},
): Promise<SecurityOfficer> {
  assertCan(actor, 'program:write');
  const v = parseInput(DesignateSchema, input, 'officer designation');
  if (!v.site) assertAllSites(actor, 'The organization security officer');
  const role = v.role ?? (v.deputy ? 'deputy' : 'primary');
  const now = opts.now ?? new Date();
  return transaction(h, async (tx) => {
    const person = await personInScope(tx, actor, v.person);
    if (Number(person.active) !== 1)
      throw invalidInput(
        `${person.name} has left (${person.left_on ?? 'inactive'}) and cannot be designated`,
        [{ field: 'person', reason: 'inactive' }],
      );
    const site = v.site ? await siteInScope(tx, actor, v.site) : undefined;
    const siteId = site?.id ?? null;
    const term = { start: v.from, end: v.to ?? null };
    for (const o of await listOfficerViews(tx)) {
      if (o.site_id !== siteId || !overlaps(term, { start: o.term_start, end: o.term_end })) continue;
      const scope = site ? `site ${site.name}` : 'the organization';
      if (o.person_id === person.id)
        throw conflict(
          `${person.name} is already ${o.role} officer of ${scope} from ${o.term_start} (${o.id})`,
        );
      if (role === 'primary' && o.role === 'primary')
        throw conflict(
          `${o.person_name} is the security officer of ${scope} from ${o.term_start}${o.term_end ? ` to ${o.term_end}` : ''}: end that term first (vigil officers end ${o.id}) or start after it`,
        );
    }
    const at = nowIso();
    const row: OfficerRow = {
      id: newId(),
      person_id: person.id,
      site_id: siteId,
      role,
      term_start: term.start,
      term_end: term.end,
      ended_at: null,
      ended_by: null,
      created_by: actor.name,
      created_at: at,
      updated_at: at,
    };
    await insertOfficer(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'officer.designate',
      target: { type: 'security-officer', id: row.id },
      summary: {
        personId: person.id,
        name: person.name,
        siteId,
        role,
        termStart: term.start,
        termEnd: term.end,
      },
    });
    return toOfficer((await getOfficerView(tx, row.id))!, now.toISOString().slice(0, 10));
  });
}

/** Ends a term on `on` (default today); a designation that had not started yet ends before it starts. */
export async function endOfficerTerm(
  h: DbHandle,
  actor: Actor,
  id: string,
  input: unknown = {},
  opts: { now?: Date } = {},
): Promise<SecurityOfficer> {
  assertCan(actor, 'program:write');
  const v = parseInput(EndTermSchema, input ?? {}, 'end of term');
  const now = opts.now ?? new Date();
  const today = now.toISOString().slice(0, 10);
  return transaction(h, async (tx) => {
    const o = await getOfficerView(tx, id);
    if (!o || !visible(actor, o)) throw notFound(`Security officer designation ${id}`);
    if (o.site_id === null) assertAllSites(actor, 'The organization security officer');
    const on = v.on ?? today;
    if (o.ended_at || (o.term_end !== null && o.term_end < on))
      throw conflict(`That term already ended on ${o.term_end}`);
    const at = nowIso();
    await updateOfficerRow(tx, id, { term_end: on, ended_at: at, ended_by: actor.name, updated_at: at });
    await appendAudit(tx, {
      actor,
      action: 'officer.end',
      target: { type: 'security-officer', id },
      summary: { personId: o.person_id, name: o.person_name, siteId: o.site_id, role: o.role, termEnd: on },
    });
    return toOfficer((await getOfficerView(tx, id))!, today);
  });
}
