/**
 * How a control's status follows from its evidence, and the task figures (overdue, time to patch, open
 * work over time) computed from hand-written task timelines.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { controlStatus, judgeControl } from './evaluate.js';
import { type ComplianceStatus, type EvidenceItem, STATUSES } from './evidence/evidence.js';
import { median, taskFigures, updatesEvidence } from './evidence/regular-updates.js';

const item = (status: ComplianceStatus): EvidenceItem => ({
  kind: 'training',
  title: 't',
  status,
  reason: '',
  figures: {},
  asOf: null,
  ageDays: null,
  gaps: [],
});

describe('control status', () => {
  it.each([
    [[], 'no-evidence'],
    [['no-evidence'], 'no-evidence'],
    [['met'], 'met'],
    [['met', 'met'], 'met'],
    [['met', 'no-evidence'], 'partial'],
    [['not-met'], 'not-met'],
    [['not-met', 'no-evidence'], 'not-met'],
    [['met', 'not-met'], 'partial'],
    [['partial', 'met'], 'partial'],
  ] as [ComplianceStatus[], ComplianceStatus][])('%j → %s', (statuses, expected) => {
    expect(controlStatus(statuses.map(item))).toBe(expected);
  });

  it('is never met when the requirement reaches beyond what Vigil sees, and says what is outside', () => {
    const met = { ...item('met'), title: 'Audit', reason: 'chain verified' };
    expect(judgeControl([met])).toEqual({ status: 'met', reason: 'Audit: chain verified' });
    expect(judgeControl([met], 'audit controls of the EHR')).toEqual({
      status: 'partial',
      reason: 'Audit: chain verified; not shown by Vigil: audit controls of the EHR',
    });
    const notMet = { ...item('not-met'), title: 'Audit', reason: 'chain broken' };
    expect(judgeControl([notMet], 'x').status).toBe('not-met');
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATUSES), { maxLength: 6 }), (ss) => {
        expect(judgeControl(ss.map(item), 'elsewhere').status).not.toBe('met');
      }),
    );
  });

  it('is met only when all evidence is met, and not met only when none is met or partial (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATUSES), { maxLength: 6 }), (ss) => {
        const s = controlStatus(ss.map(item));
        expect(s === 'met').toBe(ss.length > 0 && ss.every((x) => x === 'met'));
        if (s === 'not-met') expect(ss.some((x) => x === 'met' || x === 'partial')).toBe(false);
        expect(s === 'no-evidence').toBe(ss.every((x) => x === 'no-evidence'));
      }),
    );
  });
});

describe('task figures', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const task = (id: string, createdAt: string, dueAt: string | null, state: string) => ({
    id,
    title: `task ${id}`,
    state,
    createdAt,
    dueAt,
    deviceId: `dev-${id}`,
    vulnKey: null,
    assetTag: `BME-${id}`,
    siteName: 'North',
    department: 'ICU',
  });
  const tasks = [
    task('1', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z', 'open'),
    task('2', '2026-03-01T00:00:00Z', '2026-07-01T00:00:00Z', 'verified'),
    task('3', '2026-05-01T00:00:00Z', '2026-05-10T00:00:00Z', 'risk-accepted'),
    task('4', '2026-05-20T00:00:00Z', '2026-05-25T00:00:00Z', 'scheduled'),
  ];
  const events = [
    { taskId: '2', at: '2026-03-11T00:00:00Z', toState: 'applied' },
    { taskId: '2', at: '2026-03-12T00:00:00Z', toState: 'verified' },
    { taskId: '3', at: '2026-05-05T00:00:00Z', toState: 'risk-accepted' },
    { taskId: '4', at: '2026-05-21T00:00:00Z', toState: 'scheduled' },
  ];

  it('lists overdue work, most overdue first, and the time to patch', () => {
    const f = taskFigures(tasks, events, now);
    expect(f.overdue.map((o) => [o.taskId, o.daysOverdue])).toEqual([
      ['1', 61],
      ['4', 7],
    ]);
    expect(f.timeToPatchDays).toEqual([10]);
    expect(f.medianTimeToPatchDays).toBe(10);
  });

  it('names the device of each overdue task by its label, else by its asset tag', () => {
    // Task 4's device was only seen by a capture; task 1's came with an asset tag.
    const f = taskFigures(
      tasks,
      events,
      now,
      12,
      new Map([['4', 'GE Medical Systems RHAPSODE (10.20.0.21)']]),
    );
    expect(f.overdue.map((o) => o.deviceLabel)).toEqual([
      'BME-1',
      'GE Medical Systems RHAPSODE (10.20.0.21)',
    ]);
    expect(updatesEvidence({ h: undefined as never, now, siteIds: undefined }, f).gaps).toEqual([
      'BME-1 (North): task 1, 61 days overdue',
      'GE Medical Systems RHAPSODE (10.20.0.21) (North): task 4, 7 days overdue',
    ]);
  });

  it('reconstructs open work week by week from the events', () => {
    const f = taskFigures(tasks, events, now, 12);
    expect(f.openOverTime).toHaveLength(13);
    expect(f.openOverTime.at(-1)).toEqual({ at: '2026-06-01', withinDue: 0, overdue: 2, riskAccepted: 1 });
    // 2026-03-09: tasks 1 and 2 open and within their due dates.
    expect(f.openOverTime.find((p) => p.at === '2026-03-09')).toEqual({
      at: '2026-03-09',
      withinDue: 2,
      overdue: 0,
      riskAccepted: 0,
    });
    // 2026-04-06: task 2 verified, task 1 overdue.
    expect(f.openOverTime.find((p) => p.at === '2026-04-06')).toMatchObject({ withinDue: 0, overdue: 1 });
  });

  it('takes the median of odd and even counts', () => {
    expect(median([])).toBeNull();
    expect(median([1, 3, 8])).toBe(3);
    expect(median([1, 3, 8, 10])).toBe(5.5);
  });
});
