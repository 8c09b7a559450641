/**
 * @module People: staff who access network resources, whether or not they have a Vigil account, with
 * job role, department, site, manager and contact details. Create, update, list, show and deactivate;
 * never deleted, because training history and officer terms refer to them. Every change is audited.
 * An actor limited to sites sees and changes only people of those sites.
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { conflict, invalidInput, notFound } from '../../errors.js';
import { parseInput } from '../../inventory/device-input.js';
import { findUserById, findUserByName } from '../../store/account-store.js';
import { newId, nowIso } from '../../store/ids.js';
import {
  emailKey,
  findDepartment,
  findPersonRow,
  getDepartment,
  getPersonView,
  insertPerson,
  listPeopleViews,
  type PersonRow,
  type PersonView,
  personByUserId,
  updatePersonRow,
} from '../../store/organization-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import { siteInScope } from './departments-service.js';

/** The Person JSON contract (docs/program.md). */
export interface Person {
  id: string;
  employeeId: string | null;
  name: string;
  email: string | null;
  phone: string | null;
  jobRole: string | null;
  departmentId: string | null;
  department: string | null;
  siteId: string | null;
  site: string | null;
  managerId: string | null;
  manager: string | null;
  networkAccess: boolean;
  userId: string | null;
  username: string | null;
  active: boolean;
  activeFrom: string | null;
  leftOn: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toPerson(r: PersonView): Person {
  return {
    id: r.id,
    employeeId: r.employee_id,
    name: r.name,
    email: r.email,
    phone: r.phone,
    jobRole: r.job_role,
    departmentId: r.department_id,
    department: r.department_name,
    siteId: r.site_id,
    site: r.site_name,
    managerId: r.manager_id,
    manager: r.manager_name,
    networkAccess: Number(r.network_access) === 1,
    userId: r.user_id,
    username: r.username,
    active: Number(r.active) === 1,
    activeFrom: r.active_from,
    leftOn: r.left_on,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** YYYY-MM-DD, or any ISO date-time (its UTC date is kept). */
/**
 * A day that exists, as YYYY-MM-DD (or the day of an ISO date-time). Date.parse alone takes 2026-02-30
 * and rolls it over to 2 March, so a mistyped first day of an officer's term was stored as another day.
 */
export const isoDate = z
  .string()
  .trim()
  .max(40)
  .refine((v) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
    if (!m || Number.isNaN(Date.parse(v))) return false;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const day = new Date(Date.UTC(y, mo - 1, d));
    return day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d;
  }, 'not an ISO-8601 date (YYYY-MM-DD)')
  .transform((v) => new Date(v).toISOString().slice(0, 10));

const text = (max: number) => z.string().trim().min(1).max(max);
const email = z
  .string()
  .trim()
  .max(254)
  .regex(/^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/, 'not an email address');

export const PersonInputSchema = z.strictObject({
  name: text(200),
  employeeId: text(64).nullable().optional(),
  email: email.nullable().optional(),
  phone: text(50).nullable().optional(),
  jobRole: text(200).nullable().optional(),
  /** Site id or name. */
  site: text(200).nullable().optional(),
  /** Department id or name, within the site (or the department's own site when no site is given). */
  department: text(200).nullable().optional(),
  /** Another person: id, email or employee id. */
  manager: text(254).nullable().optional(),
  networkAccess: z.boolean().optional(),
  /** A Vigil account: username or user id. */
  user: text(200).nullable().optional(),
  activeFrom: isoDate.nullable().optional(),
});
export type PersonInput = z.input<typeof PersonInputSchema>;

export const PersonUpdateSchema = PersonInputSchema.partial();

export const PeopleQuerySchema = z.strictObject({
  site: z.string().trim().min(1).max(200).optional(),
  department: z.string().trim().min(1).max(200).optional(),
  /** active (default) | left | all */
  status: z.enum(['active', 'left', 'all']).default('active'),
  networkAccess: z.boolean().optional(),
  search: z.string().trim().min(1).max(200).optional(),
});
export type PeopleQuery = z.input<typeof PeopleQuerySchema>;

export const DeactivateSchema = z.strictObject({ leftOn: isoDate.optional() });

const visibleTo = (actor: Actor, p: Pick<PersonRow, 'site_id'>) =>
  !actor.siteIds || (p.site_id !== null && actor.siteIds.includes(p.site_id));

/** A person by id, email or employee id, within what the actor may see. */
export async function personInScope(h: DbHandle, actor: Actor, ref: string): Promise<PersonRow> {
  const p = await findPersonRow(h, ref);
  if (!p || !visibleTo(actor, p)) throw notFound(`Person "${ref}"`);
  return p;
}

export async function listPeople(h: DbHandle, actor: Actor, query: unknown = {}): Promise<Person[]> {
  assertCan(actor, 'program:read');
  const q = parseInput(PeopleQuerySchema, query ?? {}, 'people query');
  const site = q.site ? await siteInScope(h, actor, q.site) : undefined;
  let departmentId: string | undefined;
  if (q.department) {
    if (!site)
      throw invalidInput('Give the site of the department (--site)', [{ field: 'site', reason: 'required' }]);
    const d = await findDepartment(h, site.id, q.department);
    if (!d) throw notFound(`Department "${q.department}" of ${site.name}`);
    departmentId = d.id;
  }
  const siteIds = site ? [site.id] : actor.siteIds;
  const rows = await listPeopleViews(h, {
    ...(siteIds ? { siteIds } : {}),
    ...(departmentId ? { departmentId } : {}),
    ...(q.status === 'all' ? {} : { active: q.status === 'active' }),
    ...(q.networkAccess !== undefined ? { networkAccess: q.networkAccess } : {}),
    ...(q.search ? { search: q.search } : {}),
  });
  return rows.map(toPerson);
}

export async function getPerson(h: DbHandle, actor: Actor, ref: string): Promise<Person> {
  assertCan(actor, 'program:read');
  const p = await personInScope(h, actor, ref);
  return toPerson((await getPersonView(h, p.id))!);
}

type Resolved = Partial<Pick<PersonRow, 'site_id' | 'department_id' | 'manager_id' | 'user_id'>>;

/** Site, department, manager and account references of an input, as ids. */
async function resolveRefs(
  h: DbHandle,
  actor: Actor,
  v: z.output<typeof PersonUpdateSchema>,
  current: PersonRow | undefined,
): Promise<Resolved> {
  const out: Resolved = {};
  if (v.site !== undefined) out.site_id = v.site === null ? null : (await siteInScope(h, actor, v.site)).id;
  if (v.department !== undefined) {
    if (v.department === null) out.department_id = null;
    else {
      const siteId = out.site_id !== undefined ? out.site_id : (current?.site_id ?? null);
      let dept = siteId
        ? await findDepartment(h, siteId, v.department)
        : await getDepartment(h, v.department);
      if (!dept && !siteId)
        throw invalidInput(`Give the site of department "${v.department}"`, [
          { field: 'site', reason: 'required' },
        ]);
      if (!dept) throw notFound(`Department "${v.department}"`);
      if (actor.siteIds && !actor.siteIds.includes(dept.site_id)) dept = undefined;
      if (!dept) throw notFound(`Department "${v.department}"`);
      out.department_id = dept.id;
      out.site_id ??= dept.site_id;
      if (out.site_id !== dept.site_id)
        throw invalidInput(`Department "${v.department}" belongs to another site`, [
          { field: 'department', reason: 'not a department of this site' },
        ]);
    }
  } else if (out.site_id !== undefined && current?.department_id) {
    // Moving to another site leaves the old site's department behind.
    const d = await getDepartment(h, current.department_id);
    if (d && d.site_id !== out.site_id) out.department_id = null;
  }
  if (v.manager !== undefined) {
    if (v.manager === null) out.manager_id = null;
    else {
      const m = await personInScope(h, actor, v.manager);
      if (current && m.id === current.id)
        throw invalidInput('A person cannot be their own manager', [{ field: 'manager', reason: 'self' }]);
      out.manager_id = m.id;
    }
  }
  if (v.user !== undefined) {
    if (v.user === null) out.user_id = null;
    else {
      const u = (await findUserByName(h, v.user)) ?? (await findUserById(h, v.user));
      if (!u) throw notFound(`Vigil account "${v.user}"`);
      // One account is one person: its notifications, and the Vigil role training rules read, are that
      // person's. A second link would show the first person's notifications to the second.
      const linked = await personByUserId(h, u.id);
      if (linked && linked.id !== current?.id)
        throw conflict(
          `Vigil account "${u.username}" is already linked to ${linked.name}${linked.employee_id ? ` (${linked.employee_id})` : ''}: unlink it there first (--user none)`,
        );
      out.user_id = u.id;
    }
  }
  return out;
}

async function assertUnique(
  h: DbHandle,
  fields: { email_key?: string | null; employee_id?: string | null },
  selfId?: string,
): Promise<void> {
  if (fields.email_key) {
    const other = await findPersonRow(h, fields.email_key);
    if (other && other.id !== selfId && other.email_key === fields.email_key)
      throw conflict(`Another person already has the email ${fields.email_key}`);
  }
  if (fields.employee_id) {
    const other = await findPersonRow(h, fields.employee_id);
    if (other && other.id !== selfId && other.employee_id === fields.employee_id)
      throw conflict(`Another person already has the employee id ${fields.employee_id}`);
  }
}

export async function addPerson(h: DbHandle, actor: Actor, input: unknown): Promise<Person> {
  assertCan(actor, 'program:write');
  const v = parseInput(PersonInputSchema, input, 'person');
  if (actor.siteIds && !v.site)
    throw invalidInput('Give the person a site (this account is limited to sites)', [
      { field: 'site', reason: 'required' },
    ]);
  return transaction(h, async (tx) => {
    const refs = await resolveRefs(tx, actor, v, undefined);
    const now = nowIso();
    const row: PersonRow = {
      id: newId(),
      employee_id: v.employeeId ?? null,
      name: v.name,
      email: v.email ?? null,
      email_key: v.email ? emailKey(v.email) : null,
      phone: v.phone ?? null,
      job_role: v.jobRole ?? null,
      department_id: refs.department_id ?? null,
      site_id: refs.site_id ?? null,
      manager_id: refs.manager_id ?? null,
      network_access: v.networkAccess === false ? 0 : 1,
      user_id: refs.user_id ?? null,
      active: 1,
      active_from: v.activeFrom ?? null,
      left_on: null,
      created_at: now,
      updated_at: now,
    };
    await assertUnique(tx, row);
    await insertPerson(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'person.create',
      target: { type: 'person', id: row.id },
      summary: { name: row.name, siteId: row.site_id, departmentId: row.department_id },
    });
    return toPerson((await getPersonView(tx, row.id))!);
  });
}

export async function updatePerson(h: DbHandle, actor: Actor, ref: string, input: unknown): Promise<Person> {
  assertCan(actor, 'program:write');
  const v = parseInput(PersonUpdateSchema, input, 'person update');
  return transaction(h, async (tx) => {
    const before = await personInScope(tx, actor, ref);
    if (actor.siteIds && v.site === null)
      throw invalidInput('This account is limited to sites: a person keeps a site', [
        { field: 'site', reason: 'required' },
      ]);
    const refs = await resolveRefs(tx, actor, v, before);
    const patch: Partial<PersonRow> = { ...refs };
    if (v.name !== undefined) patch.name = v.name;
    if (v.employeeId !== undefined) patch.employee_id = v.employeeId;
    if (v.email !== undefined) {
      patch.email = v.email;
      patch.email_key = v.email ? emailKey(v.email) : null;
    }
    if (v.phone !== undefined) patch.phone = v.phone;
    if (v.jobRole !== undefined) patch.job_role = v.jobRole;
    if (v.networkAccess !== undefined) patch.network_access = v.networkAccess ? 1 : 0;
    if (v.activeFrom !== undefined) patch.active_from = v.activeFrom;
    const changed = Object.keys(patch).filter(
      (k) => patch[k as keyof PersonRow] !== before[k as keyof PersonRow],
    ) as (keyof PersonRow)[];
    if (!changed.length) return toPerson((await getPersonView(tx, before.id))!);
    await assertUnique(tx, patch, before.id);
    await updatePersonRow(tx, before.id, { ...patch, updated_at: nowIso() });
    await appendAudit(tx, {
      actor,
      action: 'person.update',
      target: { type: 'person', id: before.id },
      summary: { name: patch.name ?? before.name, changed },
    });
    return toPerson((await getPersonView(tx, before.id))!);
  });
}

/** Marks a person as having left (from `leftOn`, default today). Their history stays. */
export async function deactivatePerson(
  h: DbHandle,
  actor: Actor,
  ref: string,
  input: unknown = {},
): Promise<Person> {
  assertCan(actor, 'program:write');
  const v = parseInput(DeactivateSchema, input ?? {}, 'deactivation');
  // Deactivating takes effect now: a later day would end an officer's term and drop the person from the
  // training figures before they leave. (A future termination date in an HR import is applied by the
  // first import on or after that day.) Tomorrow is allowed for time zones east of UTC.
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  if (v.leftOn && v.leftOn > tomorrow)
    throw invalidInput(
      `leftOn ${v.leftOn} is in the future: deactivate the person on the day they leave, or give the date as the termination date of an HR import`,
    );
  return transaction(h, async (tx) => {
    const before = await personInScope(tx, actor, ref);
    if (Number(before.active) === 0)
      throw conflict(`${before.name} is already inactive (left ${before.left_on})`);
    const leftOn = v.leftOn ?? nowIso().slice(0, 10);
    await updatePersonRow(tx, before.id, { active: 0, left_on: leftOn, updated_at: nowIso() });
    await appendAudit(tx, {
      actor,
      action: 'person.deactivate',
      target: { type: 'person', id: before.id },
      summary: { name: before.name, leftOn },
    });
    return toPerson((await getPersonView(tx, before.id))!);
  });
}
