/**
 * @module Evidence `training`: required training current against the organization's target, overall
 * and per department (each department below target named), from the security program's
 * `trainingCompliance`.
 */
import { plural } from '../../format-count.js';
import { type ComplianceFigure, trainingCompliance } from '../../program/training/compliance.js';
import { newestTrainingRecord } from '../../store/compliance-store.js';
import { evidence, inScope, pct } from './evidence.js';
import type { ProgramCollector } from './program.js';

const sumFigures = (list: readonly ComplianceFigure[]) => {
  const required = list.reduce((n, f) => n + f.required, 0);
  const current = list.reduce((n, f) => n + f.current, 0);
  return { required, current, rate: required ? current / required : 1 };
};

/** Training current against the organization's target, overall and per department (§164.308(a)(5)). */
export const collectTraining: ProgramCollector = async (ctx, tables) => {
  const t = await trainingCompliance(ctx.h, ctx.now);
  const departments = t.byDepartment.filter((f) => inScope(ctx, f.siteId));
  tables.trainingByDepartment = departments.map((f) => ({
    siteName: f.siteName,
    department: f.department,
    required: f.required,
    current: f.current,
    overdue: f.overdue,
    rate: f.rate,
    belowTarget: f.belowTarget,
  }));
  const overall = ctx.siteIds
    ? {
        ...sumFigures(t.bySite.filter((f) => inScope(ctx, f.siteId))),
        belowTarget: t.bySite.some((f) => inScope(ctx, f.siteId) && f.belowTarget),
      }
    : {
        required: t.overall.required,
        current: t.overall.current,
        rate: t.overall.rate,
        belowTarget: t.overall.belowTarget,
      };
  const below = departments.filter((f) => f.belowTarget);
  const base = {
    kind: 'training' as const,
    title: 'Staff training',
    figures: {
      target: t.target,
      // No training required of anyone is no rate at all: a report must not read "100% current".
      rate: overall.required ? Math.round(overall.rate * 1000) / 1000 : null,
      required: overall.required,
      current: overall.current,
      departments: departments.length,
      departmentsBelowTarget: below.length,
    },
    // The figures are worked out for today, but rest on the completions recorded so far: a transcript last
    // imported months ago shows here as old evidence.
    asOf: await newestTrainingRecord(ctx.h, ctx.siteIds),
    gaps: below.map(
      (f) =>
        `department ${f.department}${f.siteName ? ` (${f.siteName})` : ''}: ${pct(f.rate)} current < target ${pct(t.target)}`,
    ),
  };
  if (overall.required === 0)
    return evidence(ctx, {
      ...base,
      asOf: null,
      status: 'no-evidence',
      reason: 'no training requirements recorded (people and courses)',
    });
  if (overall.belowTarget)
    return evidence(ctx, {
      ...base,
      status: 'not-met',
      reason: `${pct(overall.rate)} of required training current < target ${pct(t.target)}${below.length ? `; ${plural(below.length, 'department')} below target` : ''}`,
    });
  if (below.length)
    return evidence(ctx, {
      ...base,
      status: 'partial',
      reason: `${plural(below.length, 'department')} below the ${pct(t.target)} target: ${below.map((f) => f.department).join(', ')}`,
    });
  return evidence(ctx, {
    ...base,
    status: 'met',
    reason: `${pct(overall.rate)} current ≥ target ${pct(t.target)} in every department`,
  });
};
