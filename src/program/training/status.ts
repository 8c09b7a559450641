/**
 * @module Training status per required (person, course) pair on a given day: who must take what (the
 * assignment rules of every active course against every active person), their last passed completion,
 * when it falls due and whether it is current, due soon, overdue or never completed.
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../../accounts/actor.js';
import { notFound } from '../../errors.js';
import { parseInput } from '../../inventory/device-input.js';
import { findPersonRow } from '../../store/organization-store.js';
import {
  lastPassedCompletions,
  listCourseRows,
  listTrainees,
  type TraineeRow,
  type TrainingCourseRow,
} from '../../store/training-store.js';
import type { DbHandle } from '../../store/transaction.js';
import { isAssigned, type PersonFacts } from './assignment.js';
import { courseRow, rulesOf } from './courses-service.js';
import { dayOf, dueState, TRAINING_STATES, type TrainingState } from './due.js';

/** The TrainingStatus JSON contract (docs/training.md): one required (person, course) pair. */
export interface TrainingStatusItem {
  personId: string;
  employeeId: string | null;
  person: string;
  email: string | null;
  departmentId: string | null;
  department: string | null;
  siteId: string | null;
  site: string | null;
  managerId: string | null;
  courseId: string;
  courseCode: string;
  course: string;
  lastCompleted: string | null;
  dueOn: string | null;
  state: TrainingState;
  overdue: boolean;
  daysLeft: number | null;
}

export interface RequiredPairs {
  today: string;
  courses: TrainingCourseRow[];
  trainees: TraineeRow[];
  items: TrainingStatusItem[];
}

export const factsOf = (p: TraineeRow): PersonFacts => ({
  active: p.active === 1,
  networkAccess: p.network_access === 1,
  jobRole: p.job_role,
  departmentId: p.department_id,
  siteId: p.site_id,
  // A disabled account no longer carries its role's duties.
  vigilRole: p.user_disabled === 1 ? null : p.user_role,
});

/** The day a person started: their active-from date, else the day their record was created. */
const startOf = (p: TraineeRow) => p.active_from ?? p.created_at.slice(0, 10);

/** Every required (person, course) pair of active people and active courses, with its state on `now`. */
export async function requiredPairs(h: DbHandle, now: Date): Promise<RequiredPairs> {
  const today = dayOf(now);
  const [courses, trainees, last] = await Promise.all([
    listCourseRows(h, { active: true }),
    listTrainees(h),
    // As of `today`: a status asked for a past day (`--now`) does not count what was completed after it.
    lastPassedCompletions(h, today),
  ]);
  const items: TrainingStatusItem[] = [];
  for (const c of courses) {
    const rules = rulesOf(c);
    for (const p of trainees) {
      if (!isAssigned(rules, factsOf(p))) continue;
      const start = startOf(p);
      const assignedOn = c.required_from && c.required_from > start ? c.required_from : start;
      const lastCompleted = last.get(`${p.id}|${c.id}`) ?? null;
      const s = dueState({
        lastCompleted,
        recurrenceMonths: c.recurrence_months === null ? null : Number(c.recurrence_months),
        assignedOn,
        graceDays: Number(c.grace_days),
        today,
      });
      items.push({
        personId: p.id,
        employeeId: p.employee_id,
        person: p.name,
        email: p.email,
        departmentId: p.department_id,
        department: p.department_name,
        siteId: p.site_id,
        site: p.site_name,
        managerId: p.manager_id,
        courseId: c.id,
        courseCode: c.code,
        course: c.name,
        lastCompleted,
        ...s,
      });
    }
  }
  return { today, courses, trainees, items };
}

export const StatusQuerySchema = z.strictObject({
  person: z.string().trim().min(1).max(254).optional(),
  course: z.string().trim().min(1).max(200).optional(),
  state: z.array(z.enum(TRAINING_STATES)).max(4).optional(),
  /** Only pairs past their due date (overdue renewals and never-completed past grace). */
  overdue: z.boolean().optional(),
});

/** Statuses, overdue first, then by due date, person and course. */
export async function trainingStatus(
  h: DbHandle,
  actor: Actor,
  query: unknown,
  now: Date = new Date(),
): Promise<{ today: string; items: TrainingStatusItem[] }> {
  assertCan(actor, 'program:read');
  const q = parseInput(StatusQuerySchema, query, 'status query');
  const personId = q.person ? (await findPersonRow(h, q.person))?.id : undefined;
  if (q.person && !personId) throw notFound(`Person "${q.person}"`);
  const courseId = q.course ? (await courseRow(h, q.course)).id : undefined;
  const { today, items } = await requiredPairs(h, now);
  const visible = items.filter(
    (i) =>
      (!actor.siteIds || (i.siteId !== null && actor.siteIds.includes(i.siteId))) &&
      (!personId || i.personId === personId) &&
      (!courseId || i.courseId === courseId) &&
      (!q.state?.length || q.state.includes(i.state)) &&
      (q.overdue === undefined || i.overdue === q.overdue),
  );
  visible.sort(
    (a, b) =>
      Number(b.overdue) - Number(a.overdue) ||
      (a.dueOn ?? '9999').localeCompare(b.dueOn ?? '9999') ||
      a.person.localeCompare(b.person) ||
      a.courseCode.localeCompare(b.courseCode),
  );
  return { today, items: visible };
}
