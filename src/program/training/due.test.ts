import { describe, expect, it } from 'vitest';
import { type AssignmentRule, isAssigned, type PersonFacts } from './assignment.js';
import { addDays, addMonths, DUE_SOON_DAYS, daysBetween, dueState } from './due.js';

describe('calendar arithmetic', () => {
  it('adds months clamping to the end of shorter months, leap days included', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2024-02-29', 48)).toBe('2028-02-29');
    expect(addMonths('2025-03-31', 6)).toBe('2025-09-30');
    expect(addMonths('2025-12-15', 1)).toBe('2026-01-15');
    expect(addMonths('2025-08-31', 6)).toBe('2026-02-28');
  });

  it('adds days and counts days across month, year and leap boundaries', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-02-28', 1)).toBe('2025-03-01');
    expect(addDays('2025-12-31', 30)).toBe('2026-01-30');
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
    expect(daysBetween('2026-03-01', '2026-02-01')).toBe(-28);
  });
});

describe('dueState', () => {
  const annual = { recurrenceMonths: 12, assignedOn: '2020-01-01', graceDays: 30 };

  it('is current up to and including the due day, overdue the day after', () => {
    const done = { ...annual, lastCompleted: '2025-03-15' };
    expect(dueState({ ...done, today: '2026-03-15' })).toEqual({
      state: 'due-soon',
      dueOn: '2026-03-15',
      overdue: false,
      daysLeft: 0,
    });
    expect(dueState({ ...done, today: '2026-03-16' })).toMatchObject({
      state: 'overdue',
      overdue: true,
      daysLeft: -1,
    });
  });

  it(`is due-soon exactly ${DUE_SOON_DAYS} days before, current the day before that`, () => {
    const done = { ...annual, lastCompleted: '2025-03-15' };
    expect(dueState({ ...done, today: '2026-02-13' })).toMatchObject({ state: 'due-soon', daysLeft: 30 });
    expect(dueState({ ...done, today: '2026-02-12' })).toMatchObject({ state: 'current', daysLeft: 31 });
  });

  it('falls due on 28 February after a leap-day completion', () => {
    const s = dueState({ ...annual, lastCompleted: '2024-02-29', today: '2025-02-28' });
    expect(s).toMatchObject({ dueOn: '2025-02-28', state: 'due-soon', overdue: false });
    expect(dueState({ ...annual, lastCompleted: '2024-02-29', today: '2025-03-01' }).state).toBe('overdue');
  });

  it('never-completed training is due grace days after assignment', () => {
    const never = { ...annual, lastCompleted: null, assignedOn: '2026-01-31' };
    expect(dueState({ ...never, today: '2026-03-02' })).toEqual({
      state: 'never-completed',
      dueOn: '2026-03-02',
      overdue: false,
      daysLeft: 0,
    });
    expect(dueState({ ...never, today: '2026-03-03' })).toMatchObject({
      state: 'never-completed',
      overdue: true,
    });
  });

  it('a course taken once never falls due again', () => {
    expect(
      dueState({
        recurrenceMonths: null,
        lastCompleted: '2010-01-01',
        assignedOn: '2009-01-01',
        graceDays: 0,
        today: '2026-01-01',
      }),
    ).toEqual({ state: 'current', dueOn: null, overdue: false, daysLeft: null });
  });
});

describe('assignment rules', () => {
  const nurse: PersonFacts = {
    active: true,
    networkAccess: true,
    jobRole: 'Nurse',
    departmentId: 'd-icu',
    siteId: 's-north',
    vigilRole: null,
  };
  const biomed: PersonFacts = {
    active: true,
    networkAccess: false,
    jobRole: 'Biomed Technician',
    departmentId: 'd-ce',
    siteId: 's-south',
    vigilRole: 'clinical-engineer',
  };

  it('everyone with network access, plus role-based extras', () => {
    const rules: AssignmentRule[] = [{ networkAccess: true }, { vigilRole: 'clinical-engineer' }];
    expect(isAssigned(rules, nurse)).toBe(true);
    expect(isAssigned(rules, biomed)).toBe(true);
    expect(isAssigned([{ networkAccess: true }], biomed)).toBe(false);
  });

  it('all criteria of one rule must hold; job roles compare without case', () => {
    expect(isAssigned([{ jobRole: ' biomed technician', siteId: 's-south' }], biomed)).toBe(true);
    expect(isAssigned([{ jobRole: 'biomed technician', siteId: 's-north' }], biomed)).toBe(false);
    expect(isAssigned([{ departmentId: 'd-icu' }], nurse)).toBe(true);
    expect(isAssigned([{ siteId: 's-north' }], biomed)).toBe(false);
  });

  it('people who left and empty rules assign nobody', () => {
    expect(isAssigned([{ networkAccess: true }], { ...nurse, active: false })).toBe(false);
    expect(isAssigned([{}], nurse)).toBe(false);
    expect(isAssigned([], nurse)).toBe(false);
  });
});
