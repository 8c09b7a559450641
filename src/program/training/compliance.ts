/**
 * @module Training compliance figures: over required (person, course) pairs of active people and active
 * courses, the share that is current (completed and not past due; due-soon counts), for the whole
 * organization, per site and per department, against the organization's target (setting
 * `training.complianceTarget`, default 95%). A scope is below target when its rate is, or when a course
 * with a target of its own falls below that target within the scope. Notifications and the compliance
 * report call `trainingCompliance`.
 */
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { parseInput } from '../../inventory/device-input.js';
import { getSetting, putSetting } from '../../store/account-store.js';
import { nowIso } from '../../store/ids.js';
import type { TrainingCourseRow } from '../../store/training-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import { isCurrent } from './due.js';
import { requiredPairs, type TrainingStatusItem } from './status.js';

export interface ComplianceFigure {
  scope: 'organization' | 'site' | 'department';
  siteId: string | null;
  siteName: string | null;
  department: string | null;
  required: number;
  current: number;
  overdue: number;
  /** current / required, 0..1; 1 when nothing is required. */
  rate: number;
  belowTarget: boolean;
}

export interface TrainingCompliance {
  target: number;
  overall: ComplianceFigure;
  bySite: ComplianceFigure[];
  byDepartment: ComplianceFigure[];
}

export const TARGET_SETTING = 'training.complianceTarget';
export const DEFAULT_TARGET = 0.95;

/** The organization's compliance target (0..1). */
export async function complianceTarget(h: DbHandle): Promise<number> {
  const v = Number(await getSetting(h, TARGET_SETTING));
  return Number.isFinite(v) && v >= 0 && v <= 1 ? v : DEFAULT_TARGET;
}

const TargetSchema = z.strictObject({ target: z.number().min(0).max(1) });

export async function setComplianceTarget(
  h: DbHandle,
  actor: Actor,
  input: unknown,
): Promise<{ target: number }> {
  assertCan(actor, 'program:write');
  assertAllSites(actor, "The organization's training target");
  const { target } = parseInput(TargetSchema, input, 'compliance target');
  return transaction(h, async (tx) => {
    const before = await complianceTarget(tx);
    await putSetting(tx, TARGET_SETTING, String(target), nowIso());
    await appendAudit(tx, {
      actor,
      action: 'training.target.set',
      target: { type: 'setting', id: TARGET_SETTING },
      summary: { before, after: target },
    });
    return { target };
  });
}

function figure(
  scope: ComplianceFigure['scope'],
  where: Pick<ComplianceFigure, 'siteId' | 'siteName' | 'department'>,
  items: TrainingStatusItem[],
  target: number,
  courses: Map<string, TrainingCourseRow>,
): ComplianceFigure {
  const required = items.length;
  const current = items.filter((i) => isCurrent(i)).length;
  const overdue = items.filter((i) => i.overdue).length;
  const rate = required === 0 ? 1 : current / required;
  let below = required > 0 && rate < target;
  if (!below) {
    // A course with its own target must meet it within the scope too.
    const perCourse = new Map<string, { required: number; current: number }>();
    for (const i of items) {
      const c = perCourse.get(i.courseId) ?? { required: 0, current: 0 };
      c.required++;
      if (isCurrent(i)) c.current++;
      perCourse.set(i.courseId, c);
    }
    for (const [id, c] of perCourse) {
      const own = courses.get(id)?.target;
      if (own !== null && own !== undefined && c.current / c.required < Number(own)) below = true;
    }
  }
  return { scope, ...where, required, current, overdue, rate, belowTarget: below };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  }
  return m;
}

export async function trainingCompliance(h: DbHandle, now: Date): Promise<TrainingCompliance> {
  const [target, pairs] = await Promise.all([complianceTarget(h), requiredPairs(h, now)]);
  const courses = new Map(pairs.courses.map((c) => [c.id, c]));
  const items = pairs.items;
  const overall = figure(
    'organization',
    { siteId: null, siteName: null, department: null },
    items,
    target,
    courses,
  );
  const bySite = [...groupBy(items, (i) => i.siteId ?? '')].map(([, list]) =>
    figure(
      'site',
      { siteId: list[0]!.siteId, siteName: list[0]!.site, department: null },
      list,
      target,
      courses,
    ),
  );
  const byDepartment = [
    ...groupBy(
      items.filter((i) => i.departmentId !== null),
      (i) => i.departmentId!,
    ),
  ].map(([, list]) =>
    figure(
      'department',
      { siteId: list[0]!.siteId, siteName: list[0]!.site, department: list[0]!.department },
      list,
      target,
      courses,
    ),
  );
  const byName = (a: ComplianceFigure, b: ComplianceFigure) =>
    (a.siteName ?? '\uffff').localeCompare(b.siteName ?? '\uffff') ||
    (a.department ?? '').localeCompare(b.department ?? '');
  return { target, overall, bySite: bySite.sort(byName), byDepartment: byDepartment.sort(byName) };
}

/** The figures for an actor: program:read, and only their sites' figures when limited to sites. */
export async function getTrainingCompliance(
  h: DbHandle,
  actor: Actor,
  now: Date = new Date(),
): Promise<TrainingCompliance> {
  assertCan(actor, 'program:read');
  const c = await trainingCompliance(h, now);
  if (!actor.siteIds) return c;
  const mine = (f: ComplianceFigure) => f.siteId !== null && actor.siteIds!.includes(f.siteId);
  return { ...c, bySite: c.bySite.filter(mine), byDepartment: c.byDepartment.filter(mine) };
}
