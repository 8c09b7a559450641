/**
 * The task state machine, walked exhaustively: every (from, to, via) triple is either in the table below
 * (written out from docs/tasks.md, not derived from the code) or refused with a clear message.
 */
import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import {
  checkTransition,
  nextStates,
  TASK_STATES,
  type TaskState,
  TRANSITIONS,
  type TransitionVia,
} from './task-states.js';

/** from → to: how, required fields. */
const EXPECTED: [TaskState, TaskState, TransitionVia[], string[]][] = [
  ['open', 'awaiting-manufacturer', ['user'], []],
  ['open', 'scheduled', ['user'], ['assignee', 'windowStart', 'windowEnd']],
  ['open', 'applied', ['user'], ['appliedBy', 'appliedAt']],
  ['open', 'verified', ['verification'], []],
  ['open', 'closed', ['user'], ['reason']],
  ['open', 'risk-accepted', ['acceptance'], []],
  ['awaiting-manufacturer', 'open', ['user'], []],
  ['awaiting-manufacturer', 'scheduled', ['user'], ['assignee', 'windowStart', 'windowEnd']],
  ['awaiting-manufacturer', 'applied', ['user'], ['appliedBy', 'appliedAt']],
  ['awaiting-manufacturer', 'verified', ['verification'], []],
  ['awaiting-manufacturer', 'closed', ['user'], ['reason']],
  ['awaiting-manufacturer', 'risk-accepted', ['acceptance'], []],
  ['scheduled', 'scheduled', ['user'], ['assignee', 'windowStart', 'windowEnd']],
  ['scheduled', 'open', ['user'], ['reason']],
  ['scheduled', 'awaiting-manufacturer', ['user'], []],
  ['scheduled', 'applied', ['user'], ['appliedBy', 'appliedAt']],
  ['scheduled', 'verified', ['verification'], []],
  ['scheduled', 'closed', ['user'], ['reason']],
  ['scheduled', 'risk-accepted', ['acceptance'], []],
  ['applied', 'verified', ['user', 'verification'], ['reason']],
  ['applied', 'open', ['user'], ['reason']],
  ['applied', 'closed', ['user'], ['reason']],
  ['verified', 'closed', ['user'], []],
  ['verified', 'open', ['user'], ['reason']],
  ['closed', 'open', ['user'], ['reason']],
  ['risk-accepted', 'open', ['user', 'acceptance-end'], ['reason']],
  ['risk-accepted', 'verified', ['verification'], []],
  ['risk-accepted', 'closed', ['user'], ['reason']],
];

const VIAS: TransitionVia[] = ['user', 'verification', 'acceptance', 'acceptance-end'];
const FULL = {
  assignee: 'biomed-1',
  windowStart: '2026-01-10T22:00:00Z',
  windowEnd: '2026-01-11T02:00:00Z',
  appliedBy: 'biomed-1',
  appliedAt: '2026-01-10T23:00:00Z',
  reason: 'because',
};

describe('task state machine', () => {
  it('has exactly the documented transitions', () => {
    expect(
      TRANSITIONS.map((r) => [r.from, r.to, [...r.via], [...r.requires]]).sort((a, b) =>
        `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`),
      ),
    ).toEqual([...EXPECTED].sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`)));
  });

  for (const from of TASK_STATES)
    for (const to of TASK_STATES)
      for (const via of VIAS) {
        const rule = EXPECTED.find(([f, t]) => f === from && t === to);
        const allowed = Boolean(rule?.[2].includes(via));
        it(`${from} → ${to} by ${via}: ${allowed ? 'allowed' : 'refused'}`, () => {
          if (allowed) {
            expect(checkTransition(from, to, FULL, via).to).toBe(to);
            // Each required field, left out alone, is named in the error.
            for (const field of rule![3]) {
              const input: Record<string, string> = { ...FULL };
              delete input[field];
              const err = (() => {
                try {
                  checkTransition(from, to, input, via);
                } catch (e) {
                  return e;
                }
              })() as VigilError;
              expect(err).toBeInstanceOf(VigilError);
              expect(err.code).toBe('invalid_input');
              expect(err.message).toContain(field);
              expect(err.issues).toContainEqual({ field, reason: 'required' });
            }
          } else {
            expect(() => checkTransition(from, to, FULL, via)).toThrow(
              new RegExp(`cannot move from ${from} to ${to}`),
            );
          }
        });
      }

  it('says what is possible instead, and how to get to risk-accepted or verified', () => {
    expect(() => checkTransition('closed', 'applied', FULL)).toThrow('from closed it can move to open');
    expect(() => checkTransition('open', 'risk-accepted', FULL)).toThrow('vigil tasks accept');
    expect(() => checkTransition('scheduled', 'verified', FULL)).toThrow('vigil tasks verify');
    expect(() => checkTransition('open', 'done', FULL)).toThrow('Unknown task state "done"');
  });

  it('checks the maintenance window and dates', () => {
    expect(() =>
      checkTransition('open', 'scheduled', { ...FULL, windowEnd: '2026-01-10T21:00:00Z' }),
    ).toThrow('ends before it starts');
    expect(() => checkTransition('open', 'scheduled', { ...FULL, windowStart: 'tomorrow' })).toThrow(
      'ISO-8601',
    );
    expect(() => checkTransition('open', 'applied', { ...FULL, appliedAt: 'yesterday' })).toThrow('ISO-8601');
  });

  it('lists the next states a person can choose', () => {
    expect(nextStates('open')).toEqual(['awaiting-manufacturer', 'scheduled', 'applied', 'closed']);
    expect(nextStates('applied')).toEqual(['verified', 'open', 'closed']);
    expect(nextStates('risk-accepted')).toEqual(['open', 'closed']);
    expect(nextStates('applied', 'verification')).toEqual(['verified']);
  });
});
