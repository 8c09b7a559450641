/**
 * @module Training reminders: a message to each person with training due soon (within DUE_SOON_DAYS,
 * never-completed included) or overdue, and one to each manager listing their direct reports' overdue
 * training. Pure composition over the statuses; delivery is the notifications module's business.
 */

import { type Actor, assertCan } from '../../accounts/actor.js';
import { plural } from '../../format-count.js';
import type { DbHandle } from '../../store/transaction.js';
import { DUE_SOON_DAYS } from './due.js';
import { requiredPairs, type TrainingStatusItem } from './status.js';

export interface ReminderRecipient {
  personId: string;
  name: string;
  email: string | null;
}

/** The TrainingReminder JSON contract (docs/training.md). */
export interface TrainingReminder {
  /** trainee: their own training; manager: their reports' overdue training. */
  kind: 'trainee' | 'manager';
  recipient: ReminderRecipient;
  /** Stable per recipient, kind and day: what a sender de-duplicates on. */
  key: string;
  subject: string;
  body: string;
  items: TrainingStatusItem[];
}

export interface TrainingReminders {
  today: string;
  reminders: TrainingReminder[];
}

const needsReminder = (i: TrainingStatusItem) =>
  i.overdue ||
  i.state === 'due-soon' ||
  (i.state === 'never-completed' && (i.daysLeft ?? 0) <= DUE_SOON_DAYS);

function line(i: TrainingStatusItem, withPerson: boolean): string {
  const who = withPerson ? `${i.person}: ` : '';
  const when =
    i.dueOn === null
      ? ''
      : i.overdue
        ? `overdue since ${i.dueOn} (${plural(-(i.daysLeft ?? 0), 'day')})`
        : `due by ${i.dueOn} (${plural(i.daysLeft ?? 0, 'day')} left)`;
  const last = i.lastCompleted ? `last completed ${i.lastCompleted}` : 'never completed';
  return `- ${who}${i.course} [${i.courseCode}]: ${when}; ${last}`;
}

export async function trainingReminders(
  h: DbHandle,
  actor: Actor,
  now: Date = new Date(),
): Promise<TrainingReminders> {
  assertCan(actor, 'program:read');
  const { today, items, trainees } = await requiredPairs(h, now);
  const visible = (siteId: string | null) =>
    !actor.siteIds || (siteId !== null && actor.siteIds.includes(siteId));
  const people = new Map(trainees.map((p) => [p.id, p]));
  const due = items.filter((i) => needsReminder(i) && visible(i.siteId));
  const reminders: TrainingReminder[] = [];

  const byPerson = new Map<string, TrainingStatusItem[]>();
  for (const i of due) byPerson.set(i.personId, [...(byPerson.get(i.personId) ?? []), i]);
  for (const [personId, list] of byPerson) {
    const p = people.get(personId)!;
    const overdue = list.filter((i) => i.overdue).length;
    reminders.push({
      kind: 'trainee',
      recipient: { personId, name: p.name, email: p.email },
      key: `training-reminder:trainee:${personId}:${today}`,
      subject: overdue
        ? `Security training overdue: ${plural(overdue, 'course')}`
        : `Security training due soon: ${plural(list.length, 'course')}`,
      body: [
        `Hello ${p.name},`,
        '',
        'Your cybersecurity training needs attention:',
        ...list.map((i) => line(i, false)),
        '',
        'Please complete it in the learning system.',
      ].join('\n'),
      items: list,
    });
  }

  const byManager = new Map<string, TrainingStatusItem[]>();
  for (const i of due) {
    if (!i.overdue || !i.managerId) continue;
    const m = people.get(i.managerId);
    if (m?.active !== 1) continue;
    byManager.set(m.id, [...(byManager.get(m.id) ?? []), i]);
  }
  for (const [managerId, list] of byManager) {
    const m = people.get(managerId)!;
    const names = new Set(list.map((i) => i.personId)).size;
    reminders.push({
      kind: 'manager',
      recipient: { personId: managerId, name: m.name, email: m.email },
      key: `training-reminder:manager:${managerId}:${today}`,
      subject: `Overdue security training in your team: ${names} ${names > 1 ? 'people' : 'person'}`,
      body: [
        `Hello ${m.name},`,
        '',
        'These members of your team have overdue cybersecurity training:',
        ...list.map((i) => line(i, true)),
      ].join('\n'),
      items: list,
    });
  }
  reminders.sort((a, b) => a.kind.localeCompare(b.kind) || a.recipient.name.localeCompare(b.recipient.name));
  return { today, reminders };
}
