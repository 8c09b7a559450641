/**
 * @module SQL for the organization: departments per site, people (found by id, email or employee id,
 * with their department, site, manager and account names beside them) and security officer
 * designations. People are never deleted; a person who left is `active = 0`.
 */
import { sql } from 'kysely';
import { selectInChunks } from './batch.js';
import type { DepartmentTable, PersonTable, SecurityOfficerTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type DepartmentRow = DepartmentTable;
export type PersonRow = PersonTable;
export type OfficerRow = SecurityOfficerTable;

/** Display form of a department name and its lookup key (that, lower-cased). */
export function departmentName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ');
}
export const departmentNameKey = (name: string) => departmentName(name).toLowerCase();
export const emailKey = (email: string) => email.trim().toLowerCase();

// ---- departments ----

export type DepartmentView = DepartmentRow & { site_name: string; people_count: number };

export async function insertDepartment(h: DbHandle, row: DepartmentRow): Promise<void> {
  await h.db.insertInto('departments').values(row).execute();
}

export async function findDepartment(
  h: DbHandle,
  siteId: string,
  idOrName: string,
): Promise<DepartmentRow | undefined> {
  return h.db
    .selectFrom('departments')
    .selectAll()
    .where('site_id', '=', siteId)
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name_key', '=', departmentNameKey(idOrName))]))
    .executeTakeFirst();
}

export async function getDepartment(h: DbHandle, id: string): Promise<DepartmentRow | undefined> {
  return h.db.selectFrom('departments').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listDepartments(h: DbHandle, siteIds?: readonly string[]): Promise<DepartmentView[]> {
  let q = h.db
    .selectFrom('departments as d')
    .innerJoin('sites as s', 's.id', 'd.site_id')
    .selectAll('d')
    .select([
      's.name as site_name',
      sql<number>`(select cast(count(*) as integer) from people p where p.department_id = d.id and p.active = 1)`.as(
        'people_count',
      ),
    ])
    .orderBy('s.name_key')
    .orderBy('d.name_key');
  if (siteIds) q = siteIds.length ? q.where('d.site_id', 'in', [...siteIds]) : q.where(sql<boolean>`1 = 0`);
  return (await q.execute()).map((r) => ({ ...r, people_count: Number(r.people_count) }));
}

// ---- people ----

/** A person with the names readers show beside the ids. */
export type PersonView = PersonRow & {
  department_name: string | null;
  site_name: string | null;
  manager_name: string | null;
  username: string | null;
};

function personQuery(h: DbHandle) {
  return h.db
    .selectFrom('people as p')
    .leftJoin('departments as d', 'd.id', 'p.department_id')
    .leftJoin('sites as s', 's.id', 'p.site_id')
    .leftJoin('people as m', 'm.id', 'p.manager_id')
    .leftJoin('users as u', 'u.id', 'p.user_id')
    .selectAll('p')
    .select([
      'd.name as department_name',
      's.name as site_name',
      'm.name as manager_name',
      'u.username as username',
    ]);
}

export async function insertPerson(h: DbHandle, row: PersonRow): Promise<void> {
  await h.db.insertInto('people').values(row).execute();
}

export async function updatePersonRow(h: DbHandle, id: string, patch: Partial<PersonRow>): Promise<void> {
  await h.db.updateTable('people').set(patch).where('id', '=', id).execute();
}

export async function getPersonView(h: DbHandle, id: string): Promise<PersonView | undefined> {
  return personQuery(h).where('p.id', '=', id).executeTakeFirst();
}

/** A person by id, email (any case) or employee id. */
export async function findPersonRow(h: DbHandle, ref: string): Promise<PersonRow | undefined> {
  const r = ref.trim();
  return h.db
    .selectFrom('people')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', r), eb('email_key', '=', emailKey(r)), eb('employee_id', '=', r)]))
    .orderBy('id')
    .executeTakeFirst();
}

export async function peopleByEmailKeys(h: DbHandle, keys: readonly string[]): Promise<PersonRow[]> {
  return selectInChunks([...new Set(keys)], (part) =>
    h.db.selectFrom('people').selectAll().where('email_key', 'in', part).execute(),
  );
}

export async function peopleByEmployeeIds(h: DbHandle, ids: readonly string[]): Promise<PersonRow[]> {
  return selectInChunks([...new Set(ids)], (part) =>
    h.db.selectFrom('people').selectAll().where('employee_id', 'in', part).execute(),
  );
}

export async function personByUserId(h: DbHandle, userId: string): Promise<PersonRow | undefined> {
  return h.db.selectFrom('people').selectAll().where('user_id', '=', userId).orderBy('id').executeTakeFirst();
}

export interface PeopleFilter {
  siteIds?: readonly string[];
  departmentId?: string;
  active?: boolean;
  networkAccess?: boolean;
  search?: string;
}

export async function listPeopleViews(h: DbHandle, f: PeopleFilter = {}): Promise<PersonView[]> {
  let q = personQuery(h);
  if (f.siteIds) q = q.where('p.site_id', 'in', f.siteIds.length ? [...f.siteIds] : ['\u0000']);
  if (f.departmentId) q = q.where('p.department_id', '=', f.departmentId);
  if (f.active !== undefined) q = q.where('p.active', '=', f.active ? 1 : 0);
  if (f.networkAccess !== undefined) q = q.where('p.network_access', '=', f.networkAccess ? 1 : 0);
  if (f.search) {
    const like = `%${f.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(
      sql<boolean>`(lower(p.name) like ${like} escape '\\' or coalesce(p.email_key, '') like ${like} escape '\\')`,
    );
  }
  return q.orderBy('p.name').orderBy('p.id').execute();
}

// ---- security officers ----

export type OfficerView = OfficerRow & {
  person_name: string;
  person_email: string | null;
  person_phone: string | null;
  person_active: number;
  site_name: string | null;
};

function officerQuery(h: DbHandle) {
  return h.db
    .selectFrom('security_officers as o')
    .innerJoin('people as p', 'p.id', 'o.person_id')
    .leftJoin('sites as s', 's.id', 'o.site_id')
    .selectAll('o')
    .select([
      'p.name as person_name',
      'p.email as person_email',
      'p.phone as person_phone',
      'p.active as person_active',
      's.name as site_name',
    ]);
}

export async function insertOfficer(h: DbHandle, row: OfficerRow): Promise<void> {
  await h.db.insertInto('security_officers').values(row).execute();
}

export async function updateOfficerRow(h: DbHandle, id: string, patch: Partial<OfficerRow>): Promise<void> {
  await h.db.updateTable('security_officers').set(patch).where('id', '=', id).execute();
}

export async function getOfficerView(h: DbHandle, id: string): Promise<OfficerView | undefined> {
  return officerQuery(h).where('o.id', '=', id).executeTakeFirst();
}

/** Every designation, or only those whose term includes `onDate` (YYYY-MM-DD), sites' and the organization's. */
export async function listOfficerViews(h: DbHandle, f: { onDate?: string } = {}): Promise<OfficerView[]> {
  let q = officerQuery(h);
  if (f.onDate) {
    const d = f.onDate;
    q = q
      .where('o.term_start', '<=', d)
      .where((eb) => eb.or([eb('o.term_end', 'is', null), eb('o.term_end', '>=', d)]));
  }
  return q.orderBy('o.term_start').orderBy('o.id').execute();
}
