/**
 * @module `vigil tasks list|show|create|move|update|accept|acceptances|revoke|campaign|verify|
 * dead-letters|retry`: the update process from a match or finding to a verified fix, risk acceptances
 * with expiry, campaigns across a model and version, and the task events a ticketing system never got.
 * The same operations as /api/v1/tasks, /campaigns, /risk-acceptances and /task-dead-letters.
 */

import type { Command } from 'commander';
import { invalidInput, VigilError } from '../../errors.js';
import { plural } from '../../format-count.js';
import { resolveDevice } from '../../inventory/inventory-service.js';
import { queueOptionsFrom } from '../../risk/queue-service.js';
import {
  acceptRisk,
  listRiskAcceptances,
  type RiskAcceptance,
  revokeAcceptance,
} from '../../tasks/acceptance-service.js';
import {
  type Campaign,
  createCampaign,
  getCampaignView,
  listCampaigns,
} from '../../tasks/campaigns-service.js';
import {
  listTaskDeadLetters,
  retryAllTaskDeadLetters,
  retryTaskDeadLetter,
} from '../../tasks/task-dead-letters.js';
import {
  createTask,
  getTask,
  listTasks,
  moveTask,
  type Task,
  updateTask,
} from '../../tasks/tasks-service.js';
import { runTaskMaintenance } from '../../tasks/verification.js';
import type { CliContext } from '../cli-context.js';
import { formatLines, formatTable, pageOf, printable, printJson, withPaging } from '../io.js';
import { action } from '../run-command.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `segmented` or `segmented:VLAN 40` → {control, note}. */
function parseControls(list: string[] | undefined) {
  return list?.map((s) => {
    const i = s.indexOf(':');
    return i < 0 ? { control: s.trim() } : { control: s.slice(0, i).trim(), note: s.slice(i + 1).trim() };
  });
}

const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function taskLines(t: Task): string[] {
  return [
    `${t.title}`,
    `id             ${t.id}`,
    `state          ${t.state}${t.overdue ? ' (OVERDUE)' : ''}`,
    `device         ${t.deviceLabel} (${t.deviceId}), ${t.site ?? 'no site'}, ${t.department ?? 'no department'}`,
    `item           ${t.vulnerability ?? (t.findingId ? `finding ${t.findingId}` : t.kind)}`,
    `due            ${t.due ?? '-'}`,
    `assignee       ${t.assignee ?? '-'}`,
    // "- (contacted)" read as if someone had been contacted.
    `department     ${t.departmentContacted ? `${t.departmentContacted} (contacted)` : 'not contacted yet'}`,
    `window         ${t.maintenanceWindow ? `${t.maintenanceWindow.start} – ${t.maintenanceWindow.end}` : '-'}`,
    `applied        ${t.applied ? `${t.applied.at} by ${t.applied.by}` : '-'}`,
    `fix            ${t.fix ?? '-'}`,
    `controls       ${t.controls.map((c) => `${c.control}${c.note ? ` (${c.note})` : ''}`).join('; ') || '-'}`,
    ...(t.campaignId ? [`campaign       ${t.campaignId}`] : []),
    ...(t.acceptanceId ? [`acceptance     ${t.acceptanceId}`] : []),
    ...(t.verification
      ? [`verification   ${String(t.verification['summary'] ?? t.verification['reason'] ?? '')}`]
      : []),
    ...(t.closeReason ? [`closed because ${t.closeReason}`] : []),
    `next states    ${t.nextStates.join(', ') || '-'}`,
  ];
}

function campaignLines(c: Campaign): string {
  const head = formatLines([
    `${c.title}`,
    `id        ${c.id}`,
    `action    ${c.action} ${c.manufacturer ?? ''} ${c.model ?? c.modelId}${c.version ? ` ${c.version}` : ' (every version)'}`,
    `item      ${c.vulnerability ?? '-'}`,
    `fix       ${c.fix ?? '-'}`,
    `due       ${c.due ?? '-'}`,
    `progress  ${c.progress.done}/${c.progress.total} done (${c.progress.percentDone}%)`,
    '',
  ]);
  return (
    head +
    formatTable(
      ['SITE', 'DEPARTMENT', 'DONE', 'TOTAL', 'BY STATE'],
      c.progress.bySite.map((r) => [
        r.site,
        r.department,
        r.done,
        r.total,
        Object.entries(r.byState)
          .map(([s, n]) => `${s} ${n}`)
          .join(', '),
      ]),
    )
  );
}

function acceptanceLine(a: RiskAcceptance): unknown[] {
  const scope =
    a.scope === 'fleet'
      ? 'fleet'
      : a.scope === 'device'
        ? `device ${a.deviceLabel ?? a.deviceId}`
        : `model ${a.manufacturer ?? ''} ${a.model ?? a.modelId}${a.version ? ` ${a.version}` : ''}`;
  return [a.vulnerability, scope, a.decision, a.state, a.expires, a.approver, a.tasks, a.id];
}

/** The API's field names, as the `tasks move` flags that set them. */
const MOVE_FLAGS: Readonly<Record<string, string>> = {
  assignee: '--assignee',
  departmentContacted: '--department',
  windowStart: '--window-start',
  windowEnd: '--window-end',
  appliedBy: '--applied-by',
  appliedAt: '--applied-at',
  reason: '--reason',
};

/**
 * A refused move names the API's fields ("needs windowStart, windowEnd"); on the command line the
 * person needs the flags, so each issue names its flag and the message lists them.
 */
function withMoveFlags(e: unknown): unknown {
  if (!(e instanceof VigilError) || e.code !== 'invalid_input') return e;
  const flags = e.issues.flatMap((i) => (i.field && MOVE_FLAGS[i.field] ? [MOVE_FLAGS[i.field]] : []));
  if (flags.length === 0) return e;
  return invalidInput(
    `${e.message} (give ${flags.join(', ')})`,
    e.issues.map((i) => (i.field && MOVE_FLAGS[i.field] ? { ...i, field: MOVE_FLAGS[i.field] } : i)),
  );
}

export function registerTaskCommands(program: Command, cli: CliContext): void {
  const tasks = program
    .command('tasks')
    .description('Remediation tasks: from a match or finding to a verified fix; risk acceptances; campaigns');

  tasks
    .command('list')
    .description('List tasks (default: every state)')
    .option(
      '--state <state>',
      'open | awaiting-manufacturer | scheduled | applied | verified | closed | risk-accepted (repeatable)',
      collect,
    )
    .option('--overdue', 'only tasks past their due date that are still open work')
    .option('--device <device>', 'only tasks of this device (id, asset tag, serial, MAC, IP …)')
    .option('--vuln <cve>', 'only tasks of this vulnerability')
    .option('--campaign <id>', 'only tasks of this campaign')
    .option('--json', 'print a JSON array')
    .action(
      action(
        async (o: {
          state?: string[];
          overdue?: boolean;
          device?: string;
          vuln?: string;
          campaign?: string;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          // An asset tag found nothing before (the filter compared ids), which read as "no tasks".
          const deviceId = o.device ? (await resolveDevice(vdb, cli.actor(), o.device)).id : undefined;
          const list = await listTasks(
            vdb,
            cli.actor(),
            defined({
              state: o.state,
              overdue: o.overdue,
              deviceId,
              vulnerability: o.vuln,
              campaignId: o.campaign,
              limit: 10_000,
            }),
          );
          if (o.json) return printJson(list);
          process.stdout.write(
            formatTable(
              ['STATE', 'DUE', 'OVERDUE', 'DEVICE', 'ITEM', 'ASSIGNEE', 'SITE', 'ID'],
              list.map((t) => [
                t.state,
                t.due,
                t.overdue ? 'OVERDUE' : '',
                t.deviceLabel,
                // A finding's id means nothing in a list; its task carries the finding's title.
                t.vulnerability ?? (t.findingId ? t.title : t.kind),
                t.assignee,
                t.site,
                t.id,
              ]),
            ),
          );
          const overdue = list.filter((t) => t.overdue).length;
          if (overdue) process.stderr.write(printable`${plural(overdue, 'task')} overdue.\n`);
        },
      ),
    );

  tasks
    .command('show <id>')
    .description('Show a task with its history')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const t = await getTask(vdb, cli.actor(), id);
        if (o.json) return printJson(t);
        process.stdout.write(
          formatLines([...taskLines(t), '']) +
            formatTable(
              ['AT', 'ACTOR', 'ACTION', 'FROM', 'TO', 'DETAILS'],
              t.events.map((e) => [e.at, e.actor, e.action, e.from, e.to, JSON.stringify(e.details)]),
            ),
        );
      }),
    );

  tasks
    .command('create')
    .description('Create a task for a (device, vulnerability) match or a finding')
    .option('--device <ref>', 'device id, asset tag, serial, UDI, MAC, IP or host name')
    .option('--vuln <cve>', 'the vulnerability (CVE or advisory-local key)')
    .option('--finding <id>', 'a finding instead of a vulnerability')
    .option('--title <text>')
    .option(
      '--due <iso>',
      "due date (default: the work queue's due date for the item, else KEV's, else none)",
    )
    .option('--assignee <name>')
    .option('--fix <text>', 'what fixes it (default: the advisory remediation)')
    .option(
      '--control <kind[:note]>',
      'segmented | service-disabled | monitored | isolated (repeatable)',
      collect,
    )
    .option('--json', 'print JSON')
    .action(
      action(
        async (o: {
          device?: string;
          vuln?: string;
          finding?: string;
          title?: string;
          due?: string;
          assignee?: string;
          fix?: string;
          control?: string[];
          json?: boolean;
        }) => {
          const { vdb, config } = await cli.get();
          const t = await createTask(
            vdb,
            cli.actor(),
            defined({
              device: o.device,
              vulnerability: o.vuln,
              finding: o.finding,
              title: o.title,
              due: o.due,
              assignee: o.assignee,
              fix: o.fix,
              controls: parseControls(o.control),
            }),
            new Date(),
            queueOptionsFrom(config),
          );
          if (o.json) return printJson(t);
          process.stdout.write(printable`Task ${t.id} created (${t.state}): ${t.title}\n`);
        },
      ),
    );

  tasks
    .command('move <id> <state>')
    .description('Move a task: awaiting-manufacturer, scheduled, applied, verified, closed, open')
    .option('--assignee <name>', 'who does the work (scheduled)')
    .option('--department <text>', 'the department contacted (scheduled)')
    .option('--window-start <iso>', 'maintenance window start (scheduled)')
    .option('--window-end <iso>', 'maintenance window end (scheduled)')
    .option('--applied-by <name>', 'who installed the fix (applied; default: you)')
    .option('--applied-at <iso>', 'when (applied; default: now)')
    .option('--reason <text>', 'why (closing an unverified task, re-opening, cancelling a window)')
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          id: string,
          state: string,
          o: {
            assignee?: string;
            department?: string;
            windowStart?: string;
            windowEnd?: string;
            appliedBy?: string;
            appliedAt?: string;
            reason?: string;
            json?: boolean;
          },
        ) => {
          const { vdb, config } = await cli.get();
          const t = await moveTask(
            vdb,
            cli.actor(),
            id,
            defined({
              state,
              assignee: o.assignee,
              departmentContacted: o.department,
              windowStart: o.windowStart,
              windowEnd: o.windowEnd,
              appliedBy: o.appliedBy,
              appliedAt: o.appliedAt,
              reason: o.reason,
            }),
            new Date(),
            queueOptionsFrom(config),
          ).catch((e: unknown) => {
            throw withMoveFlags(e);
          });
          if (o.json) return printJson(t);
          process.stdout.write(printable`Task ${t.id} is ${t.state}.\n`);
        },
      ),
    );

  tasks
    .command('update <id>')
    .description('Change a task: title, due date, assignee, department contacted, fix, compensating controls')
    .option('--title <text>')
    .option('--due <iso>')
    .option('--assignee <name>')
    .option('--department <text>')
    .option('--fix <text>')
    .option(
      '--control <kind[:note]>',
      'replaces the list: segmented | service-disabled | monitored | isolated',
      collect,
    )
    .option('--no-controls', 'remove every control recorded by hand')
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          id: string,
          o: {
            title?: string;
            due?: string;
            assignee?: string;
            department?: string;
            fix?: string;
            control?: string[];
            controls?: boolean;
            json?: boolean;
          },
        ) => {
          const { vdb } = await cli.get();
          const t = await updateTask(
            vdb,
            cli.actor(),
            id,
            defined({
              title: o.title,
              due: o.due,
              assignee: o.assignee,
              departmentContacted: o.department,
              fix: o.fix,
              controls: o.controls === false ? [] : parseControls(o.control),
            }),
          );
          if (o.json) return printJson(t);
          process.stdout.write(formatLines(taskLines(t)));
        },
      ),
    );

  tasks
    .command('accept')
    .description(
      'Approve a risk acceptance (needs risk:accept); tasks in scope become risk-accepted until it expires',
    )
    .requiredOption('--vuln <cve>', 'the vulnerability')
    .requiredOption('--scope <scope>', 'device | model | fleet')
    .option('--device <ref>', 'the device (scope device)')
    .option('--model <name|id>', 'the model (scope model)')
    .option('--manufacturer <name>', 'the manufacturer, when the model name is ambiguous')
    .option('--version <version>', 'only this firmware/software version of the model')
    .requiredOption('--decision <decision>', 'accept | reduce | avoid | transfer')
    .requiredOption('--reason <text>', 'why (kept with the acceptance)')
    .requiredOption('--expires <iso>', 'when it must be decided again (at most a year)')
    .option(
      '--control <kind[:note]>',
      'segmented | service-disabled | monitored | isolated (repeatable)',
      collect,
    )
    .option('--json', 'print JSON')
    .action(
      action(
        async (o: {
          vuln: string;
          scope: string;
          device?: string;
          model?: string;
          manufacturer?: string;
          version?: string;
          decision: string;
          reason: string;
          expires: string;
          control?: string[];
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          const a = await acceptRisk(
            vdb,
            cli.actor(),
            defined({
              vulnerability: o.vuln,
              scope: o.scope,
              device: o.device,
              model: o.model,
              manufacturer: o.manufacturer,
              version: o.version,
              decision: o.decision,
              reason: o.reason,
              expires: o.expires,
              controls: parseControls(o.control),
            }),
          );
          if (o.json) return printJson(a);
          process.stdout.write(
            printable`Risk acceptance ${a.id} (${a.decision}, ${a.scope}) until ${a.expires}: ${plural(a.tasksAccepted.length, 'task')} now risk-accepted.\n`,
          );
        },
      ),
    );

  tasks
    .command('acceptances')
    .description('List risk acceptances')
    .option('--state <state>', 'active | expired | revoked (repeatable)', collect)
    .option('--vuln <cve>')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { state?: string[]; vuln?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listRiskAcceptances(
          vdb,
          cli.actor(),
          defined({ state: o.state, vulnerability: o.vuln }),
        );
        if (o.json) return printJson(list);
        process.stdout.write(
          formatTable(
            ['VULNERABILITY', 'SCOPE', 'DECISION', 'STATE', 'EXPIRES', 'APPROVER', 'TASKS', 'ID'],
            list.map(acceptanceLine),
          ),
        );
      }),
    );

  tasks
    .command('revoke <acceptanceId>')
    .description('Revoke a risk acceptance before its expiry; its tasks re-open with the SLA restarted')
    .requiredOption('--reason <text>')
    .action(
      action(async (id: string, o: { reason: string }) => {
        const { vdb, config } = await cli.get();
        const a = await revokeAcceptance(
          vdb,
          cli.actor(),
          id,
          o.reason,
          new Date(),
          queueOptionsFrom(config),
        );
        process.stdout.write(printable`Risk acceptance ${a.id} is ${a.state}.\n`);
      }),
    );

  const campaign = tasks.command('campaign').description('One update or recall across a model and version');
  campaign
    .command('create')
    .description('Create a campaign: a task per device of the model (and version)')
    .requiredOption('--model <name|id>')
    .option('--manufacturer <name>')
    .option('--version <version>', 'only devices on this firmware/software version')
    .option('--vuln <cve>', 'only devices with an open match of this vulnerability')
    .option('--action <action>', 'update | recall', 'update')
    .option('--title <text>')
    .option('--fix <text>', 'the update to install')
    .option('--due <iso>')
    .option('--json', 'print JSON')
    .action(
      action(
        async (o: {
          model: string;
          manufacturer?: string;
          version?: string;
          vuln?: string;
          action: string;
          title?: string;
          fix?: string;
          due?: string;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          const c = await createCampaign(
            vdb,
            cli.actor(),
            defined({
              model: o.model,
              manufacturer: o.manufacturer,
              version: o.version,
              vulnerability: o.vuln,
              action: o.action,
              title: o.title,
              fix: o.fix,
              due: o.due,
            }),
          );
          if (o.json) return printJson(c);
          process.stdout.write(
            printable`Campaign ${c.id}: ${plural(c.tasksCreated, 'task')} created, ${plural(c.tasksAdopted, 'existing task')} joined.\n`,
          );
        },
      ),
    );
  campaign
    .command('show <id>')
    .description('Show a campaign with progress per site and department')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const c = await getCampaignView(vdb, cli.actor(), id);
        if (o.json) return printJson(c);
        process.stdout.write(campaignLines(c));
      }),
    );
  campaign
    .command('list')
    .description('List campaigns with progress')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listCampaigns(vdb, cli.actor());
        if (o.json) return printJson(list);
        process.stdout.write(
          formatTable(
            ['TITLE', 'ACTION', 'VERSION', 'ITEM', 'DONE', 'TOTAL', 'ID'],
            list.map((c) => [
              c.title,
              c.action,
              c.version,
              c.vulnerability,
              c.progress.done,
              c.progress.total,
              c.id,
            ]),
          ),
        );
      }),
    );

  tasks
    .command('verify')
    .description(
      'Verify tasks by the latest imports, captures and scans, and expire due risk acceptances, now',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb, config } = await cli.get();
        const r = await runTaskMaintenance(vdb, cli.actor(), new Date(), queueOptionsFrom(config));
        if (o.json) return printJson(r);
        for (const v of r.verification.verified)
          process.stdout.write(printable`verified ${v.taskId}: ${v.evidence.summary}\n`);
        for (const l of r.verification.lapsed)
          process.stdout.write(printable`not verified ${l.taskId}: ${l.summary}\n`);
        for (const e of r.expiry.expired)
          process.stdout.write(
            printable`expired acceptance ${e.acceptanceId} (${e.vulnerability}): ${plural(e.reopened.length, 'task')} re-opened\n`,
          );
        process.stdout.write(
          printable`${plural(r.verification.checked, 'task')} checked, ${r.verification.verified.length} verified, ${plural(r.expiry.expired.length, 'acceptance')} expired.\n`,
        );
      }),
    );

  withPaging(
    tasks
      .command('dead-letters')
      .description(
        'Task events Vigil gave up sending (receiver down, refused, expired); resend them with `tasks retry`',
      ),
  )
    .option('--json', 'print JSON')
    .action(
      action(async (o: { limit?: string; offset?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listTaskDeadLetters(vdb, cli.actor(), pageOf(o));
        if (o.json) return printJson(list);
        process.stdout.write(
          formatTable(
            ['DESTINATION', 'TYPE', 'SUBJECT', 'OCCURRED', 'ATTEMPTS', 'LAST ERROR', 'ID'],
            list.map((d) => [
              d.destination,
              d.type,
              d.subjectId,
              d.occurredAt,
              d.attempts,
              d.lastError,
              d.id,
            ]),
          ),
        );
      }),
    );

  tasks
    .command('retry [dead-letter-id]')
    .description(
      'Send a dead task event again, once, now (the same event id); --all for every one, oldest first',
    )
    .option('--all', 'every dead task event; a destination still failing has its later ones skipped')
    .option('--json', 'print the outcome as JSON')
    .action(
      action(async (id: string | undefined, o: { all?: boolean; json?: boolean }) => {
        if (!id === !o.all) throw invalidInput('give a dead letter id (from `tasks dead-letters`) or --all');
        const { vdb, config } = await cli.get();
        const opts = { message: { publicUrl: config.publicUrl, queue: queueOptionsFrom(config) } };
        if (o.all) {
          const r = await retryAllTaskDeadLetters(vdb, cli.actor(), opts);
          if (o.json) printJson(r);
          else {
            for (const x of r.results)
              if (!x.ok && x.error !== 'skipped')
                process.stdout.write(printable`Still failing at ${x.destination}: ${x.error} (${x.id})\n`);
            process.stdout.write(
              printable`${r.delivered} delivered, ${r.failed} still failing, ${r.skipped} skipped (their destination failed).\n`,
            );
          }
          if (r.failed || r.skipped) process.exitCode = 69;
          return;
        }
        const r = await retryTaskDeadLetter(vdb, cli.actor(), id!, opts);
        if (o.json) printJson(r);
        else
          process.stdout.write(
            r.ok
              ? printable`Delivered to ${r.destination}.\n`
              : printable`Still failing at ${r.destination}: ${r.error}\n`,
          );
        if (!r.ok) process.exitCode = 69;
      }),
    );
}
