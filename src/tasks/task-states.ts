/**
 * @module The remediation task state machine, pure and table-driven: which state may follow which,
 * who may make the move (a person with `tasks move`, or Vigil itself: verification by a later import,
 * risk acceptance, expiry of an acceptance), and which fields each move needs. The table is the
 * contract documented in docs/tasks.md; tests walk every pair of states.
 */
import { invalidInput } from '../errors.js';

export const TASK_STATES = [
  'open',
  'awaiting-manufacturer',
  'scheduled',
  'applied',
  'verified',
  'closed',
  'risk-accepted',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** States in which work is still owed: these count as overdue once past their due date. */
export const ACTIVE_STATES: readonly TaskState[] = ['open', 'awaiting-manufacturer', 'scheduled', 'applied'];
/** States that verification by a later import may move to `verified`. */
export const VERIFIABLE_STATES: readonly TaskState[] = [
  'open',
  'awaiting-manufacturer',
  'scheduled',
  'applied',
  'risk-accepted',
];
/** States a risk acceptance takes a task out of (an applied task waits for its verification instead). */
export const ACCEPTABLE_STATES: readonly TaskState[] = ['open', 'awaiting-manufacturer', 'scheduled'];

/**
 * How a move is made: `user` by `tasks move` / POST /tasks/{id}/transitions; `verification` by
 * `verifyTasks` when a later import shows the fix; `acceptance` by a risk acceptance (and its
 * revocation or expiry, `acceptance-end`).
 */
export type TransitionVia = 'user' | 'verification' | 'acceptance' | 'acceptance-end';

export type TransitionField = 'assignee' | 'windowStart' | 'windowEnd' | 'appliedBy' | 'appliedAt' | 'reason';

export interface TransitionRule {
  from: TaskState;
  to: TaskState;
  via: readonly TransitionVia[];
  requires: readonly TransitionField[];
  description: string;
}

const R = (
  from: TaskState,
  to: TaskState,
  via: readonly TransitionVia[],
  requires: readonly TransitionField[],
  description: string,
): TransitionRule => ({ from, to, via, requires, description });

const SCHEDULE = ['assignee', 'windowStart', 'windowEnd'] as const;
const APPLY = ['appliedBy', 'appliedAt'] as const;
const U = ['user'] as const;
const V = ['verification'] as const;
const A = ['acceptance'] as const;

/** Every allowed move. A pair not listed here is refused. */
export const TRANSITIONS: readonly TransitionRule[] = [
  R('open', 'awaiting-manufacturer', U, [], 'no fix yet, or the fix is not validated for clinical use'),
  R('open', 'scheduled', U, SCHEDULE, 'maintenance window and assignee agreed'),
  R('open', 'applied', U, APPLY, 'the fix was installed'),
  R('open', 'verified', V, [], 'a later import shows the fix'),
  R('open', 'closed', U, ['reason'], 'closed without verification (say why)'),
  R('open', 'risk-accepted', A, [], 'covered by a risk acceptance'),

  R('awaiting-manufacturer', 'open', U, [], 'the manufacturer released or validated a fix'),
  R('awaiting-manufacturer', 'scheduled', U, SCHEDULE, 'maintenance window and assignee agreed'),
  R('awaiting-manufacturer', 'applied', U, APPLY, 'the fix was installed'),
  R('awaiting-manufacturer', 'verified', V, [], 'a later import shows the fix'),
  R('awaiting-manufacturer', 'closed', U, ['reason'], 'closed without verification (say why)'),
  R('awaiting-manufacturer', 'risk-accepted', A, [], 'covered by a risk acceptance'),

  R('scheduled', 'scheduled', U, SCHEDULE, 'rescheduled: new window or assignee'),
  R('scheduled', 'open', U, ['reason'], 'the window was cancelled (say why)'),
  R('scheduled', 'awaiting-manufacturer', U, [], 'the fix turned out not to be validated yet'),
  R('scheduled', 'applied', U, APPLY, 'the fix was installed in the window'),
  R('scheduled', 'verified', V, [], 'a later import shows the fix'),
  R('scheduled', 'closed', U, ['reason'], 'closed without verification (say why)'),
  R('scheduled', 'risk-accepted', A, [], 'covered by a risk acceptance'),

  R(
    'applied',
    'verified',
    [...U, ...V],
    ['reason'],
    'the fix is confirmed (a person says how, or an import shows it)',
  ),
  R('applied', 'open', U, ['reason'], 'the update failed or was rolled back (say why)'),
  R('applied', 'closed', U, ['reason'], 'closed without verification (say why)'),

  R('verified', 'closed', U, [], 'done'),
  R('verified', 'open', U, ['reason'], 're-opened (say why)'),

  R('closed', 'open', U, ['reason'], 're-opened (say why)'),

  R('risk-accepted', 'open', ['user', 'acceptance-end'], ['reason'], 'the acceptance ended: SLA restarts'),
  R('risk-accepted', 'verified', V, [], 'a later import shows the fix'),
  R('risk-accepted', 'closed', U, ['reason'], 'closed (say why)'),
];

/** What a move carries; which of these are required depends on the rule. */
export interface TransitionInput {
  assignee?: string | null | undefined;
  windowStart?: string | null | undefined;
  windowEnd?: string | null | undefined;
  appliedBy?: string | null | undefined;
  appliedAt?: string | null | undefined;
  reason?: string | null | undefined;
}

export function isTaskState(value: string): value is TaskState {
  return (TASK_STATES as readonly string[]).includes(value);
}

export function ruleFor(from: TaskState, to: TaskState): TransitionRule | undefined {
  return TRANSITIONS.find((r) => r.from === from && r.to === to);
}

/** The states a task in `from` may move to by this route. */
export function nextStates(from: TaskState, via: TransitionVia = 'user'): TaskState[] {
  return TRANSITIONS.filter((r) => r.from === from && r.via.includes(via)).map((r) => r.to);
}

const present = (v: string | null | undefined) => typeof v === 'string' && v.trim() !== '';

/**
 * Checks one move and returns its rule, or throws an invalid_input error that says what is allowed
 * instead, or which field is missing.
 */
export function checkTransition(
  from: TaskState,
  to: string,
  input: TransitionInput = {},
  via: TransitionVia = 'user',
): TransitionRule {
  if (!isTaskState(to)) {
    throw invalidInput(`Unknown task state "${to}" (one of ${TASK_STATES.join(', ')})`, [
      { field: 'state', reason: 'unknown state' },
    ]);
  }
  const rule = ruleFor(from, to);
  if (!rule?.via.includes(via)) {
    const allowed = nextStates(from, via);
    const hint =
      to === 'risk-accepted'
        ? ' (a task becomes risk-accepted through a risk acceptance: `vigil tasks accept`)'
        : to === 'verified' && from !== 'applied'
          ? ' (verification comes from a later import, capture or scan: `vigil tasks verify`; or move it to applied first)'
          : '';
    throw invalidInput(
      `A task cannot move from ${from} to ${to}${hint}; from ${from} it can move to ${allowed.length ? allowed.join(', ') : 'nothing'}`,
      [{ field: 'state', reason: `${from} → ${to} is not allowed` }],
    );
  }
  const missing = rule.requires.filter((f) => !present(input[f]));
  if (missing.length) {
    throw invalidInput(
      `Moving a task from ${from} to ${to} needs ${missing.join(', ')}`,
      missing.map((field) => ({ field, reason: 'required' })),
    );
  }
  if (present(input.windowStart) && present(input.windowEnd)) {
    const s = Date.parse(input.windowStart!);
    const e = Date.parse(input.windowEnd!);
    if (Number.isNaN(s) || Number.isNaN(e))
      throw invalidInput('The maintenance window needs ISO-8601 dates', [
        { field: 'windowStart', reason: 'not a date' },
      ]);
    if (e <= s)
      throw invalidInput('The maintenance window ends before it starts', [
        { field: 'windowEnd', reason: 'must be after windowStart' },
      ]);
  }
  if (present(input.appliedAt) && Number.isNaN(Date.parse(input.appliedAt!)))
    throw invalidInput('appliedAt must be an ISO-8601 date', [{ field: 'appliedAt', reason: 'not a date' }]);
  return rule;
}
