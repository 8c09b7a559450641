/**
 * @module When training falls due: calendar-date arithmetic on `YYYY-MM-DD` strings (no time zones: a
 * completion counts for the day the learning system wrote) and the state of one (person, course) pair
 * on a given day: current, due-soon (within DUE_SOON_DAYS), overdue, or never-completed.
 */

export const TRAINING_STATES = ['current', 'due-soon', 'overdue', 'never-completed'] as const;
export type TrainingState = (typeof TRAINING_STATES)[number];

/** Due within this many days (inclusive) counts as due-soon. */
export const DUE_SOON_DAYS = 30;

const DAY_MS = 86_400_000;

function parts(date: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`not a calendar date: ${date}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const format = (y: number, m: number, d: number) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whether `YYYY-MM-DD` names a real day of the Gregorian calendar. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * `date` plus whole months; a day that does not exist in the target month becomes its last day
 * (31 January + 1 month = 28 or 29 February; 29 February 2024 + 12 months = 28 February 2025), as
 * learning systems and HR calendars do, so an annual course never falls due later than a year on.
 */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = parts(date);
  const index = y * 12 + (m - 1) + months;
  const ty = Math.floor(index / 12);
  const tm = (index % 12) + 1;
  return format(ty, tm, Math.min(d, daysInMonth(ty, tm)));
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = parts(date);
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  const [y1, m1, d1] = parts(from);
  const [y2, m2, d2] = parts(to);
  return Math.round((Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / DAY_MS);
}

/** The UTC calendar day of an instant. */
export const dayOf = (now: Date): string => now.toISOString().slice(0, 10);

export interface DueInput {
  /** Last passed completion, or null. */
  lastCompleted: string | null;
  /** Months a completion stays valid; null for a course taken once. */
  recurrenceMonths: number | null;
  /** When the person became required to take the course (the first due date counts from it). */
  assignedOn: string;
  graceDays: number;
  today: string;
}

export interface DueState {
  state: TrainingState;
  /** The last day the training counts (or must first be taken by); null when it never expires. */
  dueOn: string | null;
  /** Past dueOn: overdue renewals and never-completed training past its grace period. */
  overdue: boolean;
  /** Days from today to dueOn (negative when overdue). */
  daysLeft: number | null;
}

/**
 * The state of one required (person, course) pair. Training is valid up to and including its due day;
 * the day after it is overdue. Training never completed is due `graceDays` after assignment.
 */
export function dueState(input: DueInput): DueState {
  if (input.lastCompleted === null) {
    const dueOn = addDays(input.assignedOn, input.graceDays);
    const daysLeft = daysBetween(input.today, dueOn);
    return { state: 'never-completed', dueOn, overdue: daysLeft < 0, daysLeft };
  }
  if (input.recurrenceMonths === null)
    return { state: 'current', dueOn: null, overdue: false, daysLeft: null };
  const dueOn = addMonths(input.lastCompleted, input.recurrenceMonths);
  const daysLeft = daysBetween(input.today, dueOn);
  const state: TrainingState = daysLeft < 0 ? 'overdue' : daysLeft <= DUE_SOON_DAYS ? 'due-soon' : 'current';
  return { state, dueOn, overdue: daysLeft < 0, daysLeft };
}

/** Current training: completed and not past due (due-soon still counts as trained). */
export const isCurrent = (s: DueState): boolean => s.state === 'current' || s.state === 'due-soon';
