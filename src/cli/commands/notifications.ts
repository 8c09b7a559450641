/**
 * @module `vigil notifications list|read|run`: officers' in-app notifications, and one run of every
 * trigger (for cron; `vigil serve` runs them hourly) with email delivery when SMTP is configured.
 */

import type { Command } from 'commander';
import { invalidInput } from '../../errors.js';
import { plural } from '../../format-count.js';
import {
  NOTIFICATION_KINDS as KINDS,
  notificationKindsOf as kindsOf,
} from '../../program/notifications/kinds.js';
import { smtpMailer } from '../../program/notifications/mailer.js';
import {
  listNotifications,
  markNotificationRead,
} from '../../program/notifications/notifications-service.js';
import { runNotifications } from '../../program/notifications/run-notifications.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerNotificationCommands(program: Command, cli: CliContext): void {
  const notifications = program
    .command('notifications')
    .description(
      "Security officers' notifications: list, mark read, run the triggers (and the weekly digest)",
    );

  notifications
    .command('list')
    .description('List notifications, newest first (of one person with --person)')
    .option('--person <person>', 'person id, email or employee id')
    .option('--unread', 'only unread ones')
    .option('--kind <kind>', `${KINDS.join(' | ')} (repeatable, or comma-separated)`, collect)
    .option('--limit <n>', 'at most this many (default 100)')
    .option('--offset <n>', 'skip this many')
    .option('--json', 'print {items, total, unread, limit, offset} as JSON')
    .action(
      action(
        async (o: {
          person?: string;
          unread?: boolean;
          kind?: string[];
          limit?: string;
          offset?: string;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          const page = await listNotifications(vdb, cli.actor(), {
            ...(o.person ? { person: o.person } : {}),
            ...(o.unread ? { unread: true } : {}),
            ...(o.kind ? { kind: kindsOf(o.kind) } : {}),
            ...(o.limit !== undefined ? { limit: o.limit } : {}),
            ...(o.offset !== undefined ? { offset: o.offset } : {}),
          });
          if (o.json) return printJson(page);
          process.stdout.write(
            formatTable(
              ['CREATED', 'TO', 'KIND', 'TITLE', 'READ', 'EMAIL', 'ID'],
              page.items.map((n) => [
                n.createdAt,
                n.person,
                n.kind,
                n.title,
                n.read ? 'yes' : 'no',
                n.email.state,
                n.id,
              ]),
            ),
          );
        },
      ),
    );

  notifications
    .command('read <id>')
    .description('Mark a notification read')
    .option('--json', 'print the notification as JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const n = await markNotificationRead(vdb, cli.actor(), id);
        if (o.json) return printJson(n);
        process.stdout.write(printable`Read: ${n.title}\n`);
      }),
    );

  notifications
    .command('run')
    .description('Run every trigger once, store new notifications, send emails (and retry failed ones)')
    .option('--digest', "also send this week's digest to each officer (once per ISO week)")
    .option('--now <iso>', 'as of this instant (default now)')
    .option('--json', 'print the run result as JSON')
    .action(
      action(async (o: { digest?: boolean; now?: string; json?: boolean }) => {
        const ctx = await cli.get();
        const now = o.now ? new Date(o.now) : new Date();
        if (Number.isNaN(now.getTime())) throw invalidInput(`--now ${o.now} is not an ISO-8601 date-time`);
        const mailer = smtpMailer(ctx.config);
        try {
          const r = await runNotifications(ctx.vdb, {
            now,
            config: ctx.config,
            mailer,
            digest: Boolean(o.digest),
            log: ctx.log,
          });
          if (o.json) return printJson(r);
          for (const t of r.triggers)
            process.stdout.write(
              printable`${t.name}: ${t.error ? `failed: ${t.error}` : plural(t.candidates, 'item')}\n`,
            );
          process.stdout.write(
            printable`${plural(r.created, 'new notification')}, ${plural(r.digests, 'digest')}; emails: ${r.emailed} sent, ${r.emailFailed} failed (retried next run), ${r.emailSkipped} not sent${mailer ? '' : ' (no SMTP server configured)'}\n`,
          );
          if (r.triggers.some((t) => t.error)) process.exitCode = 70;
        } finally {
          mailer?.close();
        }
      }),
    );
}
