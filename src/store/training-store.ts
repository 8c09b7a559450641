/**
 * @module SQL for staff training: courses, completions (inserted idempotently on
 * (person, course, completed_on)), the latest passed completion per (person, course), and the people
 * facts the assignment rules and compliance figures need (department, site, manager, Vigil role).
 */
import { sql } from 'kysely';
import { departmentNameKey } from './organization-store.js';
import type { TrainingCompletionTable, TrainingCourseTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type TrainingCourseRow = TrainingCourseTable;
export type TrainingCompletionRow = TrainingCompletionTable;

export const courseKey = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase();

export async function insertCourse(h: DbHandle, row: TrainingCourseRow): Promise<void> {
  await h.db.insertInto('training_courses').values(row).execute();
}

export async function updateCourseRow(
  h: DbHandle,
  id: string,
  patch: Partial<TrainingCourseRow>,
): Promise<void> {
  await h.db.updateTable('training_courses').set(patch).where('id', '=', id).execute();
}

export async function listCourseRows(
  h: DbHandle,
  opts: { active?: boolean } = {},
): Promise<TrainingCourseRow[]> {
  let q = h.db.selectFrom('training_courses').selectAll();
  if (opts.active !== undefined) q = q.where('active', '=', opts.active ? 1 : 0);
  return q.orderBy('code_key').execute();
}

/** A course by id, code or name (any case); several courses of one name make the name ambiguous. */
export async function findCourseRows(h: DbHandle, ref: string): Promise<TrainingCourseRow[]> {
  const key = courseKey(ref);
  const exact = await h.db
    .selectFrom('training_courses')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', ref.trim()), eb('code_key', '=', key)]))
    .execute();
  if (exact.length) return exact;
  return h.db.selectFrom('training_courses').selectAll().where('name_key', '=', key).orderBy('id').execute();
}

/** Inserts completions, skipping any (person, course, day) already recorded; returns how many were new. */
export async function insertCompletions(
  h: DbHandle,
  rows: readonly TrainingCompletionRow[],
): Promise<number> {
  let added = 0;
  // One statement per chunk; ON CONFLICT DO NOTHING works alike on SQLite and PostgreSQL.
  for (let i = 0; i < rows.length; i += 200) {
    const part = rows.slice(i, i + 200);
    const r = await h.db
      .insertInto('training_completions')
      .values([...part])
      .onConflict((oc) => oc.columns(['person_id', 'course_id', 'completed_on']).doNothing())
      .executeTakeFirst();
    added += Number(r.numInsertedOrUpdatedRows ?? 0n);
  }
  return added;
}

/** The failed completions recorded on any of `days`, for a pass on the same day to supersede. */
export async function failedCompletionsOn(
  h: DbHandle,
  days: readonly string[],
): Promise<TrainingCompletionRow[]> {
  const out: TrainingCompletionRow[] = [];
  const unique = [...new Set(days)];
  for (let i = 0; i < unique.length; i += 500)
    out.push(
      ...(await h.db
        .selectFrom('training_completions')
        .selectAll()
        .where('passed', '=', 0)
        .where('completed_on', 'in', unique.slice(i, i + 500))
        .execute()),
    );
  return out;
}

/** Replaces a failed completion's result with a pass of the same (person, course, day); the id stays. */
export async function supersedeCompletion(
  h: DbHandle,
  id: string,
  by: Pick<TrainingCompletionRow, 'score' | 'source' | 'source_ref' | 'recorded_by' | 'created_at'>,
): Promise<void> {
  await h.db
    .updateTable('training_completions')
    .set({ ...by, passed: 1 })
    .where('id', '=', id)
    .where('passed', '=', 0)
    .execute();
}

export interface CompletionView extends TrainingCompletionRow {
  person_name: string;
  employee_id: string | null;
  course_code: string;
  course_name: string;
}

export async function listCompletionViews(
  h: DbHandle,
  f: { personId?: string; courseId?: string; siteIds?: readonly string[]; limit: number; offset: number },
): Promise<{ rows: CompletionView[]; total: number }> {
  let q = h.db
    .selectFrom('training_completions as tc')
    .innerJoin('people as p', 'p.id', 'tc.person_id')
    .innerJoin('training_courses as c', 'c.id', 'tc.course_id');
  if (f.personId) q = q.where('tc.person_id', '=', f.personId);
  if (f.courseId) q = q.where('tc.course_id', '=', f.courseId);
  if (f.siteIds) q = q.where('p.site_id', 'in', f.siteIds.length ? [...f.siteIds] : ['\u0000']);
  const rows = await q
    .selectAll('tc')
    .select(['p.name as person_name', 'p.employee_id', 'c.code as course_code', 'c.name as course_name'])
    .orderBy('tc.completed_on', 'desc')
    .orderBy('tc.id', 'desc')
    .limit(f.limit)
    .offset(f.offset)
    .execute();
  const t = await q.select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirst();
  return { rows, total: Number(t?.n ?? 0) };
}

/** The last passed completion day per (person, course). */
export async function lastPassedCompletions(h: DbHandle, onOrBefore: string): Promise<Map<string, string>> {
  const rows = await h.db
    .selectFrom('training_completions')
    .select(['person_id', 'course_id', (eb) => eb.fn.max('completed_on').as('last')])
    .where('passed', '=', 1)
    .where('completed_on', '<=', onOrBefore)
    .groupBy(['person_id', 'course_id'])
    .execute();
  return new Map(rows.map((r) => [`${r.person_id}|${r.course_id}`, String(r.last)]));
}

/** What the assignment rules, statuses and compliance figures need to know about a person. */
export interface TraineeRow {
  id: string;
  employee_id: string | null;
  name: string;
  email: string | null;
  job_role: string | null;
  department_id: string | null;
  department_name: string | null;
  site_id: string | null;
  site_name: string | null;
  manager_id: string | null;
  network_access: number;
  active: number;
  active_from: string | null;
  created_at: string;
  user_role: string | null;
  user_disabled: number | null;
}

/** Every person (active or not) with department, site and linked account role. */
export async function listTrainees(h: DbHandle): Promise<TraineeRow[]> {
  const rows = await h.db
    .selectFrom('people as p')
    .leftJoin('departments as d', 'd.id', 'p.department_id')
    // A department belongs to a site: people without their own site count under the department's.
    .leftJoin('sites as s', (j) => j.on(sql`s.id`, '=', sql`coalesce(p.site_id, d.site_id)`))
    .leftJoin('users as u', 'u.id', 'p.user_id')
    .select([
      'p.id',
      'p.employee_id',
      'p.name',
      'p.email',
      'p.job_role',
      'p.department_id',
      'd.name as department_name',
      's.id as site_id',
      's.name as site_name',
      'p.manager_id',
      'p.network_access',
      'p.active',
      'p.active_from',
      'p.created_at',
      'u.role as user_role',
      'u.disabled as user_disabled',
    ])
    .orderBy('p.name')
    .orderBy('p.id')
    .execute();
  return rows.map((r) => ({
    ...r,
    network_access: Number(r.network_access),
    active: Number(r.active),
    user_disabled: r.user_disabled === null ? null : Number(r.user_disabled),
  })) as TraineeRow[];
}

/** Departments by id or name (any case), optionally within one site. */
export async function findDepartmentsByRef(
  h: DbHandle,
  ref: string,
  siteId?: string,
): Promise<{ id: string; site_id: string; name: string }[]> {
  let q = h.db
    .selectFrom('departments')
    .select(['id', 'site_id', 'name'])
    .where((eb) => eb.or([eb('id', '=', ref.trim()), eb('name_key', '=', departmentNameKey(ref))]));
  if (siteId) q = q.where('site_id', '=', siteId);
  return q.orderBy('id').execute();
}

/** Names of departments and sites by id, for showing assignment rules. */
export async function namesOf(
  h: DbHandle,
  departmentIds: readonly string[],
  siteIds: readonly string[],
): Promise<{ departments: Map<string, string>; sites: Map<string, string> }> {
  const deps = departmentIds.length
    ? await h.db
        .selectFrom('departments')
        .select(['id', 'name'])
        .where('id', 'in', [...departmentIds])
        .execute()
    : [];
  const sites = siteIds.length
    ? await h.db
        .selectFrom('sites')
        .select(['id', 'name'])
        .where('id', 'in', [...siteIds])
        .execute()
    : [];
  return {
    departments: new Map(deps.map((d) => [d.id, d.name])),
    sites: new Map(sites.map((s) => [s.id, s.name])),
  };
}
