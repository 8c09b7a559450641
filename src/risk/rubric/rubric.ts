/**
 * @module A model's rubric answers → CVSS environmental metrics, each with the answers that justify it.
 *
 * How the answers apply to a published vector (the base describes the flaw; the answers describe how
 * this hospital deploys this model):
 * - Modified Attack Vector, Complexity, Privileges and User Interaction only ever make an attack harder
 *   than the base says: a flaw that needs the network cannot be reached from the network on a device no
 *   routed network reaches, but a device's deployment never makes a local flaw remote.
 * - CR/IR/AR come from the impact answers: the highest answer over the data classes (PHI, diagnosis,
 *   therapy, workflow) for each property — high → H, low → M, none → L.
 * - Scope Changed (3.x) when the device controls or feeds other systems.
 * - CVSS 4.0: when a loss of integrity or availability of therapy, diagnosis or monitoring could harm a
 *   patient, Safety: the supplemental S:P, and MSI:S / MSA:S where the flaw has an integrity /
 *   availability impact at all (the patient is the subsequent system, CVSS 4.0 §3.2).
 */
import type { CvssVersion } from '../cvss/index.js';
import { type Evidence, evidence } from '../evidence.js';
import { DATA_CLASSES, QUESTION_BY_ID, RUBRIC_QUESTIONS, type RubricAnswers } from './questions.js';

export interface ModelRubric {
  modelId: string;
  /** `Manufacturer Model`, for the explanation. */
  modelName: string | null;
  answers: RubricAnswers;
  notes: string | null;
  answeredBy: string;
  answeredAt: string;
}

export interface RubricMetrics {
  metrics: Record<string, string>;
  evidence: Evidence[];
}

export interface AnswerIssue {
  question: string;
  reason: string;
}

/** Unknown questions and values outside a question's options, all reported together. */
export function checkRubricAnswers(answers: Record<string, unknown>): AnswerIssue[] {
  const issues: AnswerIssue[] = [];
  for (const [id, value] of Object.entries(answers)) {
    const q = QUESTION_BY_ID.get(id);
    if (!q) {
      issues.push({
        question: id,
        reason: `unknown question (known: ${RUBRIC_QUESTIONS.map((x) => x.id).join(', ')})`,
      });
      continue;
    }
    if (typeof value !== 'string' || !q.options.some((o) => o.value === value))
      issues.push({
        question: id,
        reason: `must be one of ${q.options.map((o) => o.value).join(', ')}`,
      });
  }
  return issues;
}

const AV_ORDER = ['P', 'L', 'A', 'N'];
const AC_ORDER = ['L', 'H'];
const PR_ORDER = ['N', 'L', 'H'];
const LEVEL_REQ: Record<string, 'L' | 'M' | 'H'> = { none: 'L', low: 'M', high: 'H' };
const LEVEL_ORDER = ['none', 'low', 'high'];

function said(a: RubricAnswers, id: string): string {
  const q = QUESTION_BY_ID.get(id)!;
  const opt = q.options.find((o) => o.value === a[id]);
  return `${id} "${q.text}" → ${opt ? opt.label.split(':')[0] : a[id]}`;
}

/** The attack vector the answers describe, with the answers that decided it; null when not answered. */
export function rubricAttackVector(a: RubricAnswers): { av: string; ids: string[] } | null {
  if (a['XAVN'] === 'yes') return { av: 'N', ids: ['XAVN'] };
  if (a['XAVN'] !== 'no') return null;
  if (a['XAVW'] === 'yes') return { av: 'A', ids: ['XAVN', 'XAVW'] };
  if (a['XAVW'] !== 'no') return null;
  if (a['XAVR'] === 'yes') return { av: 'L', ids: ['XAVN', 'XAVW', 'XAVR'] };
  if (a['XAVR'] === 'no') return { av: 'P', ids: ['XAVN', 'XAVW', 'XAVR'] };
  return null;
}

/** Harm to a patient possible through a loss of this property (therapy, diagnosis or monitoring answered high). */
function patientHarm(a: RubricAnswers, p: 'I' | 'A'): string[] {
  return [`X${p}T`, `X${p}D`].filter((id) => a[id] === 'high');
}

export function rubricMetrics(
  rubric: ModelRubric,
  version: CvssVersion,
  base: Readonly<Record<string, string>>,
): RubricMetrics {
  const a = rubric.answers;
  const metrics: Record<string, string> = {};
  const ev: Evidence[] = [];
  const who = `rubric for ${rubric.modelName ?? `model ${rubric.modelId}`}, ${rubric.answeredBy} ${rubric.answeredAt.slice(0, 10)}`;
  const add = (metric: string, value: string, ids: string[], note = '') => {
    metrics[metric] = value;
    ev.push(evidence(metric, value, 'rubric', `${ids.map((id) => said(a, id)).join('; ')}${note} (${who})`));
  };

  for (const p of ['C', 'I', 'A'] as const) {
    const ids = DATA_CLASSES.map(
      (dc) => `X${p}${{ phi: 'P', diagnosis: 'D', therapy: 'T', workflow: 'W' }[dc]}`,
    ).filter((id) => a[id] !== undefined);
    if (ids.length === 0) continue;
    const top = ids.reduce((m, id) => (LEVEL_ORDER.indexOf(a[id]!) > LEVEL_ORDER.indexOf(a[m]!) ? id : m));
    add(`${p}R`, LEVEL_REQ[a[top]!]!, [top], ids.length > 1 ? ` (highest of ${ids.join(', ')})` : '');
  }
  if (version === '2.0') return { metrics, evidence: ev };

  const av = rubricAttackVector(a);
  const baseAv = base['AV'];
  if (av && baseAv && AV_ORDER.indexOf(av.av) < AV_ORDER.indexOf(baseAv))
    add('MAV', av.av, av.ids, ` (published AV:${baseAv})`);
  if (a['XACL'] === 'yes' && base['AC'] && AC_ORDER.indexOf(base['AC']) < AC_ORDER.indexOf('H'))
    add('MAC', 'H', ['XACL']);
  if (a['XPRL'] && base['PR']) {
    const pr = a['XPRZ'] === 'yes' ? 'N' : ({ none: 'N', operator: 'L', privileged: 'H' }[a['XPRL']] ?? 'N');
    if (PR_ORDER.indexOf(pr) > PR_ORDER.indexOf(base['PR']))
      add('MPR', pr, a['XPRZ'] ? ['XPRL', 'XPRZ'] : ['XPRL'], ` (published PR:${base['PR']})`);
  }
  if (a['XUI'] === 'yes' && base['UI'] === 'N') add('MUI', version === '4.0' ? 'P' : 'R', ['XUI']);
  if (version !== '4.0') {
    if (a['XS'] === 'yes' && base['S'] === 'U') add('MS', 'C', ['XS']);
    return { metrics, evidence: ev };
  }
  const harmI = patientHarm(a, 'I');
  const harmA = patientHarm(a, 'A');
  if (harmI.length + harmA.length > 0) add('S', 'P', [...harmI, ...harmA], ': a patient could be harmed');
  if (harmI.length > 0 && (base['VI'] !== 'N' || base['SI'] !== 'N'))
    add('MSI', 'S', harmI, ': the flaw has an integrity impact and the patient is the subsequent system');
  if (harmA.length > 0 && (base['VA'] !== 'N' || base['SA'] !== 'N'))
    add('MSA', 'S', harmA, ': the flaw has an availability impact and the patient is the subsequent system');
  return { metrics, evidence: ev };
}
