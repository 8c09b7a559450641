/**
 * @module One notification run (cron's `vigil notifications run`, or `vigil serve` every hour): every
 * trigger produces candidates, each goes to the officers in term who should see it (the organization's
 * officers and deputies always, a site's officers for items of their site), is stored once per officer
 * and key (the in-app copy), then emailed. A failed email stays queued and is retried on the next run,
 * up to MAX_EMAIL_ATTEMPTS; the in-app copy is never lost. With `digest`, each officer also gets one
 * weekly summary (once per ISO week). Training reminders (training/reminders.ts) go to the people
 * themselves and their managers, at most once per ISO week each while training is due soon or overdue.
 */

import type { Actor } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../log.js';
import { newId, nowIso } from '../../store/ids.js';
import {
  claimEmail,
  existingKeys,
  insertNotifications,
  type NotificationRow,
  undeliveredEmails,
  updateNotification,
} from '../../store/notification-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import { type OfficerCoverage, type OfficerRef, officerCoverage } from '../officers/coverage.js';
import { trainingReminders } from '../training/reminders.js';
import type { NotificationCandidate, NotificationTrigger } from './candidate.js';
import { digestCandidate } from './digest.js';
import { isoWeek } from './iso-week.js';
import type { Mailer } from './mailer.js';
import { TRIGGERS } from './triggers/index.js';

export { isoWeek };

export const MAX_EMAIL_ATTEMPTS = 10;
const SYSTEM = { kind: 'system' as const, name: 'system:notifications' };
/** Vigil itself reading training statuses to remind people (every site). */
const REMINDER_READER: Actor = {
  kind: 'system',
  id: 'vigil',
  name: 'system:notifications',
  permissions: new Set(['program:read']),
};

export interface NotificationRunOptions {
  now?: Date;
  config?: Partial<Config>;
  /** Unset: in-app only (emails are recorded as skipped). */
  mailer?: Mailer | undefined;
  digest?: boolean;
  /** Training reminders to people and managers (default true). */
  reminders?: boolean;
  triggers?: readonly NotificationTrigger[];
  log?: Logger;
}

export interface NotificationRunResult {
  at: string;
  triggers: { name: string; candidates: number; error: string | null }[];
  /** New in-app notifications (one per officer and item). */
  created: number;
  digests: number;
  /** New training reminders (to people and their managers). */
  reminders: number;
  emailed: number;
  emailFailed: number;
  /** New notifications not emailed: no SMTP server configured, or the officer has no email address. */
  emailSkipped: number;
}

/** Who should receive a candidate: the organization's officers, and those of the sites it concerns. */
export function recipientsOf(c: NotificationCandidate, coverage: OfficerCoverage): OfficerRef[] {
  const orgOfficers = [coverage.organization.primary, ...coverage.organization.deputies].filter(
    (o): o is OfficerRef => o !== null,
  );
  const siteOfficers = coverage.sites
    .filter((s) => c.siteIds.includes(s.siteId))
    .flatMap((s) => [s.primary, ...s.deputies].filter((o): o is OfficerRef => o !== null));
  let all = [...orgOfficers, ...siteOfficers];
  // With no organization officer, organization-wide items go to every site's primary officer.
  if (!orgOfficers.length && !c.siteIds.length)
    all = coverage.sites.flatMap((s) => (s.primary ? [s.primary] : []));
  const byPerson = new Map<string, OfficerRef>();
  for (const o of all) if (!byPerson.has(o.personId)) byPerson.set(o.personId, o);
  return [...byPerson.values()];
}

export async function runNotifications(
  h: DbHandle,
  opts: NotificationRunOptions = {},
): Promise<NotificationRunResult> {
  const now = opts.now ?? new Date();
  const config = opts.config ?? {};
  const result: NotificationRunResult = {
    at: now.toISOString(),
    triggers: [],
    created: 0,
    digests: 0,
    reminders: 0,
    emailed: 0,
    emailFailed: 0,
    emailSkipped: 0,
  };
  const candidates: NotificationCandidate[] = [];
  for (const t of opts.triggers ?? TRIGGERS) {
    try {
      const found = await t.run({ h, now, config });
      candidates.push(...found);
      result.triggers.push({ name: t.name, candidates: found.length, error: null });
    } catch (err) {
      // One broken trigger must not silence the others.
      opts.log?.error({ err, trigger: t.name }, 'notification trigger failed');
      result.triggers.push({ name: t.name, candidates: 0, error: (err as Error).message });
    }
  }
  const coverage = await officerCoverage(h, now);
  const planned: { c: NotificationCandidate; to: OfficerRef }[] = [];
  for (const c of candidates) for (const to of recipientsOf(c, coverage)) planned.push({ c, to });
  if (opts.digest) {
    const officers = new Map<string, OfficerRef>();
    for (const o of [
      coverage.organization.primary,
      ...coverage.organization.deputies,
      ...coverage.sites.flatMap((s) => [s.primary, ...s.deputies]),
    ])
      if (o && !officers.has(o.personId)) officers.set(o.personId, o);
    const week = isoWeek(now);
    for (const o of officers.values()) {
      const mine = candidates.filter((c) => recipientsOf(c, coverage).some((r) => r.personId === o.personId));
      planned.push({ c: digestCandidate(o, mine, coverage, week, now), to: o });
    }
  }

  if (opts.reminders ?? true) {
    const week = isoWeek(now);
    for (const r of (await trainingReminders(h, REMINDER_READER, now)).reminders) {
      planned.push({
        c: {
          kind: 'training-reminder',
          key: `training-reminder|${r.kind}|${week}`,
          severity: r.items.some((i) => i.overdue) ? 'warning' : 'info',
          title: r.subject,
          body: r.body,
          siteIds: [],
          details: { reminder: r.kind, courses: [...new Set(r.items.map((i) => i.courseCode))] },
        },
        to: { ...r.recipient, phone: null, termStart: '', termEnd: null },
      });
    }
  }

  await transaction(h, async (tx) => {
    const have = await existingKeys(
      tx,
      planned.map((p) => p.to.personId),
      planned.map((p) => p.c.key),
    );
    const at = nowIso();
    const rows: NotificationRow[] = [];
    for (const { c, to } of planned) {
      const k = `${to.personId}|${c.key}`;
      if (have.has(k)) continue;
      have.add(k);
      const skip = !opts.mailer
        ? 'no SMTP server configured'
        : !to.email
          ? 'the recipient has no email address'
          : null;
      rows.push({
        id: newId(),
        person_id: to.personId,
        kind: c.kind,
        severity: c.severity,
        title: c.title,
        body: c.body,
        dedupe_key: c.key,
        site_id: c.siteIds.length === 1 ? c.siteIds[0]! : null,
        details: JSON.stringify(c.details),
        read_at: null,
        email_state: skip ? 'skipped' : 'pending',
        email_attempts: 0,
        email_error: skip,
        emailed_at: null,
        created_at: at,
        updated_at: at,
      });
    }
    if (!rows.length) return;
    await insertNotifications(tx, rows);
    result.digests = rows.filter((r) => r.kind === 'digest').length;
    result.reminders = rows.filter((r) => r.kind === 'training-reminder').length;
    result.created = rows.length - result.digests - result.reminders;
    result.emailSkipped = rows.filter((r) => r.email_state === 'skipped').length;
    const byKind: Record<string, number> = {};
    for (const r of rows) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
    await appendAudit(tx, {
      actor: SYSTEM,
      action: 'notification.create',
      target: { type: 'notification-run', id: result.at },
      summary: { notifications: rows.length, byKind, recipients: new Set(rows.map((r) => r.person_id)).size },
    });
  });

  if (opts.mailer) await deliverEmails(h, opts.mailer, result, opts.log);
  return result;
}

/** Sends every queued email (new and earlier failures), recording each outcome. */
async function deliverEmails(
  h: DbHandle,
  mailer: Mailer,
  result: NotificationRunResult,
  log: Logger | undefined,
): Promise<void> {
  for (const n of await undeliveredEmails(h, MAX_EMAIL_ATTEMPTS)) {
    const attempts = Number(n.email_attempts) + 1;
    if (!n.person_email) {
      await updateNotification(h, n.id, {
        email_state: 'skipped',
        email_error: 'the recipient has no email address',
        updated_at: nowIso(),
      });
      continue;
    }
    if (!(await claimEmail(h, n.id, attempts - 1, nowIso()))) continue;
    try {
      await mailer.send({
        to: n.person_email,
        subject: `[Vigil] ${n.title}`,
        text: `${n.body}\n\n--\n${
          n.kind === 'training-reminder'
            ? `Sent by Vigil to ${n.person_name} about cybersecurity training.`
            : `Sent by Vigil to ${n.person_name} as security officer. This notification is also in Vigil (vigil notifications list).`
        }\n`,
      });
      const at = nowIso();
      await updateNotification(h, n.id, {
        email_state: 'sent',
        email_attempts: attempts,
        email_error: null,
        emailed_at: at,
        updated_at: at,
      });
      result.emailed++;
    } catch (err) {
      const message = String((err as Error).message ?? err).slice(0, 500);
      log?.warn({ notification: n.id, attempts, error: message }, 'notification email failed');
      await updateNotification(h, n.id, {
        email_state: 'failed',
        email_attempts: attempts,
        email_error: message,
        updated_at: nowIso(),
      });
      result.emailFailed++;
    }
  }
}
