/**
 * @module Priority of one (device, vulnerability): the CERT/CC deployer decision (Defer, Scheduled,
 * Out-of-Cycle, Immediate) from the evidence with overrides applied, CISA's coordinator decision as a
 * second opinion, an SLA due date (KEV's due date wins when earlier), and a sort score:
 * decision, then KEV (ransomware first), then Human Impact, then environmental CVSS, then EPSS.
 */

import { type Evidence, evidence } from './evidence.js';
import type { ExploitationEvidence } from './exploitation.js';
import type { HumanImpactEvidence } from './human-impact.js';
import { decide } from './ssvc/index.js';

export const DECISIONS = ['defer', 'scheduled', 'out-of-cycle', 'immediate'] as const;
export type DeployerDecision = (typeof DECISIONS)[number];
const DECISION_BY_KEY: Record<string, DeployerDecision> = {
  D: 'defer',
  S: 'scheduled',
  O: 'out-of-cycle',
  I: 'immediate',
};

/** Time allowed per decision; `null` = no deadline. */
export interface SlaPolicy {
  immediateHours: number;
  outOfCycleDays: number;
  scheduledDays: number;
  deferDays: number | null;
}
export const DEFAULT_SLA: SlaPolicy = {
  immediateHours: 72,
  outOfCycleDays: 14,
  scheduledDays: 90,
  deferDays: null,
};

/** Decision points an override may set (SSVC keys) and their allowed values. */
export const OVERRIDE_POINTS = {
  E: ['none', 'public_poc', 'active'],
  EXP: ['small', 'controlled', 'open'],
  A: ['yes', 'no'],
  SI: ['N', 'M', 'R', 'C'],
  MI: ['D', 'MSC', 'MEF', 'MF'],
  HI: ['L', 'M', 'H', 'VH'],
} as const;
export type OverridePoint = keyof typeof OVERRIDE_POINTS;

export interface RiskOverride {
  id: string;
  scope: 'device' | 'model';
  deviceId: string | null;
  modelId: string | null;
  point: OverridePoint;
  value: string;
  reason: string;
  expiresAt: string;
  createdBy: string;
  createdAt: string;
  /** Set when a person ended the override before its expiry. */
  revokedAt: string | null;
}

const POINT_NAME: Record<OverridePoint, string> = {
  E: 'exploitation',
  EXP: 'exposure',
  A: 'automatable',
  SI: 'safetyImpact',
  MI: 'missionImpact',
  HI: 'humanImpact',
};

export interface PriorityInput {
  exploitation: ExploitationEvidence;
  exposure: Evidence;
  automatable: Evidence;
  human: HumanImpactEvidence;
  /** Technical impact for the CISA tree: `partial` | `total`. */
  technicalImpact: Evidence;
  /** Overrides in force for this device (device scope) and its model (model scope). */
  overrides: readonly RiskOverride[];
  environmentalScore: number | null;
  epss: number | null;
  /** When the clock starts: the first time the item was seen. */
  since: string;
  now: Date;
  sla?: SlaPolicy;
  /**
   * Hospital policy on top of the SSVC table. `safetyFloor` (default on): a vulnerability on a device
   * whose failure can kill or gravely injure a patient (Human Impact Very High) is handled at least
   * out-of-cycle, whatever the exploitation evidence says.
   */
  policy?: { safetyFloor?: boolean };
}

export interface Priority {
  decision: DeployerDecision;
  /** CISA coordinator outcome (Track, Track*, Attend, Act), a second opinion. */
  cisa: string | null;
  evidence: Evidence[];
  due: string | null;
  dueBecause: string;
  overdue: boolean;
  /** Sort key, larger is more urgent. */
  score: number;
  /** Overrides that changed an input, by id. */
  overridesApplied: string[];
}

function applyOverride(
  point: OverridePoint,
  current: Evidence,
  overrides: readonly RiskOverride[],
): { ev: Evidence; id: string | null } {
  const o =
    overrides.find((x) => x.point === point && x.scope === 'device') ??
    overrides.find((x) => x.point === point && x.scope === 'model');
  if (!o) return { ev: current, id: null };
  return {
    ev: evidence(
      POINT_NAME[point],
      o.value,
      'override',
      `${o.scope} override by ${o.createdBy} until ${o.expiresAt.slice(0, 10)}: ${o.reason}; evidence said ${current.value}`,
    ),
    id: o.id,
  };
}

/**
 * The time a decision allows, in seconds; `null` when it sets no deadline (a deferral without `deferDays`).
 * A task that re-opens with nothing left of its own SLA gets this much (tasks/sla-restart.ts).
 */
export function slaSecondsOf(decision: DeployerDecision, sla: SlaPolicy): number | null {
  const hour = 3600;
  switch (decision) {
    case 'immediate':
      return sla.immediateHours * hour;
    case 'out-of-cycle':
      return sla.outOfCycleDays * 24 * hour;
    case 'scheduled':
      return sla.scheduledDays * 24 * hour;
    default:
      return sla.deferDays === null ? null : sla.deferDays * 24 * hour;
  }
}

function addDuration(since: string, decision: DeployerDecision, sla: SlaPolicy): Date | null {
  const seconds = slaSecondsOf(decision, sla);
  return seconds === null ? null : new Date(new Date(since).getTime() + seconds * 1000);
}

/**
 * When an item with this decision is due: the decision's SLA from `since`, or KEV's due date when that is
 * sooner. Depends on nothing else, so a queue works out each decision once and each due date per item.
 */
export function dueOf(
  since: string,
  decision: DeployerDecision,
  sla: SlaPolicy,
  kevDueDate: string | null | undefined,
): { due: Date | null; dueBecause: string } {
  const slaDue = addDuration(since, decision, sla);
  const kevDue = kevDueDate ? new Date(`${kevDueDate}T23:59:59Z`) : null;
  if (kevDue && (!slaDue || kevDue < slaDue))
    return { due: kevDue, dueBecause: `KEV due date ${kevDueDate}` };
  return {
    due: slaDue,
    dueBecause: slaDue ? `${decision} SLA from ${since.slice(0, 10)}` : `${decision}: no deadline`,
  };
}

const HI_LEVEL: Record<string, number> = { L: 0, M: 1, H: 2, VH: 3 };

/**
 * The decision tables' answers, remembered: a queue asks the same few hundred combinations of point
 * values for every one of a fleet's matches. Bounded by the tables' size (a few hundred rows each).
 */
const tableAnswers = new Map<string, ReturnType<typeof decide>>();
function tableDecide(tree: 'deployer' | 'cisa', selections: Readonly<Record<string, string>>) {
  const key = `${tree}|${Object.entries(selections)
    .map(([k, v]) => `${k}:${v}`)
    .join('|')}`;
  let r = tableAnswers.get(key);
  if (!r) {
    r = decide(tree, selections);
    tableAnswers.set(key, r);
  }
  return r;
}

export function prioritize(input: PriorityInput): Priority {
  const sla = input.sla ?? DEFAULT_SLA;
  const applied: string[] = [];
  const take = (point: OverridePoint, ev: Evidence) => {
    const r = applyOverride(point, ev, input.overrides);
    if (r.id) applied.push(r.id);
    return r.ev;
  };
  const e = take('E', input.exploitation);
  const exp = take('EXP', input.exposure);
  const a = take('A', input.automatable);
  const hiOverride = input.overrides.find((o) => o.point === 'HI');
  let si: Evidence | null = null;
  let mi: Evidence | null = null;
  let hi: Evidence | null = null;
  if (hiOverride) hi = take('HI', evidence('humanImpact', '?', 'default', 'derived from SI and MI'));
  else {
    si = take('SI', input.human.safety);
    mi = take('MI', input.human.mission);
  }
  const selections: Record<string, string> = { E: e.value, EXP: exp.value, A: a.value };
  if (hi) selections['HI'] = hi.value;
  else {
    selections['SI'] = si!.value;
    selections['MI'] = mi!.value;
  }
  const d = tableDecide('deployer', selections);
  if (!d.ok) throw new Error(`SSVC deployer decision failed: ${d.message}`);
  let decision = DECISION_BY_KEY[d.outcome.key]!;
  const hiStep = d.path.find((s) => s.point === 'HI');
  if (!hi && hiStep)
    hi = evidence(
      'humanImpact',
      hiStep.value,
      'policy',
      `SSVC Human Impact table: safety ${si!.value} + mission ${mi!.value} → ${hiStep.valueName}`,
    );
  const tableDecision = decision;
  const raisedBy: string[] = [];
  // KEV's ransomware flag escalates: criminals are using the flaw at scale, one level up.
  if (input.exploitation.ransomware && e.source === 'kev' && DECISIONS.indexOf(decision) < 3) {
    decision = DECISIONS[DECISIONS.indexOf(decision) + 1]!;
    raisedBy.push('known ransomware campaign use (KEV)');
  }
  if (input.policy?.safetyFloor !== false && hi?.value === 'VH' && DECISIONS.indexOf(decision) < 2) {
    decision = 'out-of-cycle';
    raisedBy.push(
      'the patient-safety floor (Human Impact Very High: a failure can kill or gravely injure a patient)',
    );
  }
  const cisa = tableDecide('cisa', {
    E: e.value,
    A: a.value,
    TI: input.technicalImpact.value,
    MWI: input.human.wellBeing.value,
  });

  const { due, dueBecause } = dueOf(input.since, decision, sla, input.exploitation.kevDueDate);
  const kevRank = input.exploitation.source === 'kev' ? (input.exploitation.ransomware ? 2 : 1) : 0;
  // Within one decision: patient harm first, then known exploitation (ransomware first), then scores.
  const score =
    DECISIONS.indexOf(decision) * 10_000 +
    (HI_LEVEL[hi?.value ?? 'L'] ?? 0) * 1_000 +
    kevRank * 100 +
    Math.round((input.environmentalScore ?? 0) * 9) +
    Math.min(9, Math.floor((input.epss ?? 0) * 10));
  const ev = [e, exp, a, ...(si ? [si] : []), ...(mi ? [mi] : []), ...(hi ? [hi] : [])];
  ev.push(
    evidence(
      'decision',
      decision,
      'policy',
      `SSVC deployer table ${d.table} row ${d.row}: ${d.path.map((s) => `${s.pointName} ${s.valueName}`).join(', ')}${
        decision !== tableDecision
          ? `; the table says ${tableDecision}, raised to ${decision} by ${raisedBy.join(' and ')}`
          : ''
      }`,
    ),
  );
  if (cisa.ok)
    ev.push(
      input.human.prevalence,
      input.human.wellBeing,
      evidence(
        'cisa',
        cisa.outcome.name,
        'policy',
        `CISA coordinator table (second opinion): ${cisa.path.map((s) => `${s.pointName} ${s.valueName}`).join(', ')}`,
      ),
    );
  return {
    decision,
    cisa: cisa.ok ? cisa.outcome.name : null,
    evidence: ev,
    due: due ? due.toISOString() : null,
    dueBecause,
    overdue: due ? due.getTime() < input.now.getTime() : false,
    score,
    overridesApplied: applied,
  };
}
