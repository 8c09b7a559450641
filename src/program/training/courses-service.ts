/**
 * @module Training courses: add, update, list, show. A course has a code (what learning systems export),
 * a name, a recurrence in months (annual by default; none for a course taken once), grace days for
 * people who never took it, an optional compliance target of its own and its assignment rules. Rules
 * name departments and sites by id or name; they are stored by id and shown with both.
 */
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../../accounts/actor.js';
import { ROLE_NAMES } from '../../accounts/permissions.js';
import { appendAudit } from '../../audit/audit-log.js';
import { conflict, invalidInput, notFound } from '../../errors.js';
import { parseInput } from '../../inventory/device-input.js';
import { resolveSites } from '../../store/account-store.js';
import { newId, nowIso } from '../../store/ids.js';
import {
  courseKey,
  findCourseRows,
  findDepartmentsByRef,
  insertCourse,
  listCourseRows,
  namesOf,
  type TrainingCourseRow,
  updateCourseRow,
} from '../../store/training-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import { type AssignmentRule, DEFAULT_RULES } from './assignment.js';
import { isCalendarDate } from './due.js';

/** A rule as shown: ids with the names beside them. */
export interface AssignmentRuleView {
  networkAccess?: true;
  jobRole?: string;
  departmentId?: string;
  department?: string | null;
  siteId?: string;
  site?: string | null;
  vigilRole?: string;
}

/** The TrainingCourse JSON contract (docs/training.md). */
export interface TrainingCourse {
  id: string;
  code: string;
  name: string;
  description: string | null;
  recurrenceMonths: number | null;
  graceDays: number;
  requiredFrom: string | null;
  /** This course's own target (0..1), or null for the organization's. */
  target: number | null;
  assignment: AssignmentRuleView[];
  active: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

const text = (max: number) => z.string().trim().min(1).max(max);
const day = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine(
    (v) => isCalendarDate(Number(v.slice(0, 4)), Number(v.slice(5, 7)), Number(v.slice(8, 10))),
    'not a date',
  );

export const RuleInputSchema = z
  .strictObject({
    networkAccess: z.literal(true).optional(),
    jobRole: text(200).optional(),
    /** Department id or name (within `site` when both are given). */
    department: text(200).optional(),
    /** Site id or name. */
    site: text(200).optional(),
    vigilRole: z.enum(ROLE_NAMES).optional(),
  })
  .refine((r) => Object.values(r).some((v) => v !== undefined), 'a rule needs at least one criterion');

export const CourseInputSchema = z.strictObject({
  code: text(64),
  name: text(200),
  description: text(4000).nullable().optional(),
  recurrenceMonths: z.number().int().min(1).max(120).nullable().default(12),
  graceDays: z.number().int().min(0).max(365).default(30),
  requiredFrom: day.nullable().optional(),
  target: z.number().min(0).max(1).nullable().optional(),
  assignment: z.array(RuleInputSchema).min(1).max(50).optional(),
  active: z.boolean().optional(),
});
export type CourseInput = z.input<typeof CourseInputSchema>;

export const CourseUpdateSchema = z.strictObject({
  code: text(64).optional(),
  name: text(200).optional(),
  description: text(4000).nullable().optional(),
  recurrenceMonths: z.number().int().min(1).max(120).nullable().optional(),
  graceDays: z.number().int().min(0).max(365).optional(),
  requiredFrom: day.nullable().optional(),
  target: z.number().min(0).max(1).nullable().optional(),
  assignment: z.array(RuleInputSchema).min(1).max(50).optional(),
  active: z.boolean().optional(),
});

export function rulesOf(row: Pick<TrainingCourseRow, 'assignment'>): AssignmentRule[] {
  try {
    const v = JSON.parse(row.assignment) as unknown;
    return Array.isArray(v) ? (v as AssignmentRule[]) : DEFAULT_RULES;
  } catch {
    return DEFAULT_RULES;
  }
}

async function toCourses(h: DbHandle, rows: TrainingCourseRow[]): Promise<TrainingCourse[]> {
  const rules = rows.map(rulesOf);
  const all = rules.flat();
  const names = await namesOf(
    h,
    [...new Set(all.flatMap((r) => (r.departmentId ? [r.departmentId] : [])))],
    [...new Set(all.flatMap((r) => (r.siteId ? [r.siteId] : [])))],
  );
  return rows.map((r, i) => ({
    id: r.id,
    code: r.code,
    name: r.name,
    description: r.description,
    recurrenceMonths: r.recurrence_months === null ? null : Number(r.recurrence_months),
    graceDays: Number(r.grace_days),
    requiredFrom: r.required_from,
    target: r.target === null ? null : Number(r.target),
    assignment: rules[i]!.map((rule) => ({
      ...rule,
      ...(rule.departmentId ? { department: names.departments.get(rule.departmentId) ?? null } : {}),
      ...(rule.siteId ? { site: names.sites.get(rule.siteId) ?? null } : {}),
    })),
    active: Number(r.active) === 1,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

/** Rules as given (names) → rules as stored (ids); unknown names are input errors. */
async function resolveRules(
  h: DbHandle,
  rules: z.output<typeof RuleInputSchema>[],
): Promise<AssignmentRule[]> {
  const out: AssignmentRule[] = [];
  for (const [i, r] of rules.entries()) {
    const rule: AssignmentRule = {};
    if (r.networkAccess) rule.networkAccess = true;
    if (r.jobRole) rule.jobRole = r.jobRole;
    if (r.vigilRole) rule.vigilRole = r.vigilRole;
    if (r.site) {
      const { ids } = await resolveSites(h, [r.site]);
      if (ids.length !== 1)
        throw invalidInput('Unknown site in assignment rule', [
          { field: `assignment.${i}.site`, reason: `no site "${r.site}"` },
        ]);
      rule.siteId = ids[0]!;
    }
    if (r.department) {
      const deps = await findDepartmentsByRef(h, r.department, rule.siteId);
      if (deps.length !== 1)
        throw invalidInput(deps.length ? 'Ambiguous department in assignment rule' : 'Unknown department', [
          {
            field: `assignment.${i}.department`,
            reason: deps.length
              ? `"${r.department}" names departments at ${deps.length} sites: give the site too`
              : `no department "${r.department}"`,
          },
        ]);
      rule.departmentId = deps[0]!.id;
    }
    out.push(rule);
  }
  return out;
}

/** A course by id, code or name; a name shared by several courses is a conflict. */
export async function courseRow(h: DbHandle, ref: string): Promise<TrainingCourseRow> {
  const rows = await findCourseRows(h, ref);
  if (rows.length === 0) throw notFound(`Course "${ref}"`);
  if (rows.length > 1) throw conflict(`"${ref}" names ${rows.length} courses: use the course code`);
  return rows[0]!;
}

export async function listCourses(
  h: DbHandle,
  actor: Actor,
  opts: { all?: boolean } = {},
): Promise<TrainingCourse[]> {
  assertCan(actor, 'program:read');
  return toCourses(h, await listCourseRows(h, opts.all ? {} : { active: true }));
}

export async function getCourse(h: DbHandle, actor: Actor, ref: string): Promise<TrainingCourse> {
  assertCan(actor, 'program:read');
  return (await toCourses(h, [await courseRow(h, ref)]))[0]!;
}

export async function addCourse(h: DbHandle, actor: Actor, input: unknown): Promise<TrainingCourse> {
  assertCan(actor, 'program:write');
  // Courses apply to the whole organization.
  assertAllSites(actor, 'A training course');
  const v = parseInput(CourseInputSchema, input, 'course');
  return transaction(h, async (tx) => {
    const clash = await findCourseRows(tx, v.code);
    if (clash.some((c) => c.code_key === courseKey(v.code)))
      throw conflict(`A course with the code "${v.code}" exists`);
    const at = nowIso();
    const row: TrainingCourseRow = {
      id: newId(),
      code: v.code,
      code_key: courseKey(v.code),
      name: v.name,
      name_key: courseKey(v.name),
      description: v.description ?? null,
      recurrence_months: v.recurrenceMonths,
      grace_days: v.graceDays,
      required_from: v.requiredFrom ?? null,
      target: v.target ?? null,
      assignment: JSON.stringify(v.assignment ? await resolveRules(tx, v.assignment) : DEFAULT_RULES),
      active: v.active === false ? 0 : 1,
      created_by: actor.name,
      created_at: at,
      updated_at: at,
    };
    await insertCourse(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'training.course.add',
      target: { type: 'training-course', id: row.id },
      summary: {
        code: row.code,
        name: row.name,
        recurrenceMonths: row.recurrence_months,
        graceDays: row.grace_days,
      },
    });
    return (await toCourses(tx, [row]))[0]!;
  });
}

export async function updateCourse(
  h: DbHandle,
  actor: Actor,
  ref: string,
  input: unknown,
): Promise<TrainingCourse> {
  assertCan(actor, 'program:write');
  assertAllSites(actor, 'A training course');
  const v = parseInput(CourseUpdateSchema, input, 'course update');
  return transaction(h, async (tx) => {
    const before = await courseRow(tx, ref);
    const patch: Partial<TrainingCourseRow> = {};
    if (v.code !== undefined && courseKey(v.code) !== before.code_key) {
      const clash = await findCourseRows(tx, v.code);
      if (clash.some((c) => c.code_key === courseKey(v.code!) && c.id !== before.id))
        throw conflict(`A course with the code "${v.code}" exists`);
    }
    if (v.code !== undefined) Object.assign(patch, { code: v.code, code_key: courseKey(v.code) });
    if (v.name !== undefined) Object.assign(patch, { name: v.name, name_key: courseKey(v.name) });
    if (v.description !== undefined) patch.description = v.description;
    if (v.recurrenceMonths !== undefined) patch.recurrence_months = v.recurrenceMonths;
    if (v.graceDays !== undefined) patch.grace_days = v.graceDays;
    if (v.requiredFrom !== undefined) patch.required_from = v.requiredFrom;
    if (v.target !== undefined) patch.target = v.target;
    if (v.assignment !== undefined) patch.assignment = JSON.stringify(await resolveRules(tx, v.assignment));
    if (v.active !== undefined) patch.active = v.active ? 1 : 0;
    const changed = Object.keys(patch).filter(
      (k) => String(patch[k as keyof TrainingCourseRow]) !== String(before[k as keyof TrainingCourseRow]),
    );
    if (changed.length === 0) return (await toCourses(tx, [before]))[0]!;
    patch.updated_at = nowIso();
    await updateCourseRow(tx, before.id, patch);
    await appendAudit(tx, {
      actor,
      action: 'training.course.update',
      target: { type: 'training-course', id: before.id },
      summary: {
        changed,
        before: Object.fromEntries(changed.map((k) => [k, before[k as keyof TrainingCourseRow]])),
      },
    });
    return (await toCourses(tx, [{ ...before, ...patch }]))[0]!;
  });
}
