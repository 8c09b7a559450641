/**
 * @module `vigil training courses|complete|import|completions|status|compliance|target|remind`: staff
 * cybersecurity training. The same operations as /api/v1/training/…; docs/training.md describes them.
 */

import { basename } from 'node:path';
import type { Command } from 'commander';
import { invalidInput } from '../../errors.js';
import { plural } from '../../format-count.js';
import {
  importCompletions,
  listCompletions,
  MAX_COMPLETIONS_CSV_BYTES,
  recordCompletion,
} from '../../program/training/completions-service.js';
import {
  type ComplianceFigure,
  getTrainingCompliance,
  setComplianceTarget,
} from '../../program/training/compliance.js';
import {
  addCourse,
  getCourse,
  listCourses,
  type TrainingCourse,
  updateCourse,
} from '../../program/training/courses-service.js';
import { trainingReminders } from '../../program/training/reminders.js';
import { trainingStatus } from '../../program/training/status.js';
import { readCappedFile } from '../../read-capped-file.js';
import type { CliContext } from '../cli-context.js';
import { formatLines, formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/**
 * "90" or "90%" → 0.9. A bare number between 0 and 1 is refused: it is almost always the fraction the
 * JSON shows (`"target": 0.9`) typed where a percentage belongs, and taken as 0.9% it would make every
 * figure meet its target silently. "0.9%" says it is meant.
 */
function percent(v: string, flag: string): number {
  const text = v.trim();
  const n = Number(text.replace(/%$/, ''));
  if (!Number.isFinite(n) || n < 0 || n > 100)
    throw invalidInput(`${flag} takes a percentage from 0 to 100`, [{ field: flag, reason: `got "${v}"` }]);
  if (n > 0 && n < 1 && !text.endsWith('%'))
    throw invalidInput(`${flag} takes a percentage from 0 to 100, not a fraction`, [
      { field: flag, reason: `got "${v}": for ${n * 100}% give ${n * 100}; for ${n}% give ${n}%` },
    ]);
  return n / 100;
}

function integer(v: string, flag: string): number {
  if (!/^\d+$/.test(v.trim()))
    throw invalidInput(`${flag} takes a whole number`, [{ field: flag, reason: `got "${v}"` }]);
  return Number(v);
}

function nowOf(v: string | undefined): Date {
  if (v === undefined) return new Date();
  const d = new Date(v);
  if (Number.isNaN(d.getTime()))
    throw invalidInput('--now takes an ISO date or date-time', [{ field: '--now', reason: v }]);
  return d;
}

interface RuleFlags {
  networkAccess?: boolean;
  jobRole?: string[];
  department?: string[];
  site?: string[];
  vigilRole?: string[];
  rule?: string[];
}

const RULE_KEYS = ['networkAccess', 'jobRole', 'department', 'site', 'vigilRole'];

/** Each single flag is one rule; `--rule 'jobRole=nurse;department=ICU'` is one rule with all its criteria. */
function rulesFrom(o: RuleFlags): Record<string, unknown>[] | undefined {
  const rules: Record<string, unknown>[] = [];
  if (o.networkAccess) rules.push({ networkAccess: true });
  for (const v of o.jobRole ?? []) rules.push({ jobRole: v });
  for (const v of o.department ?? []) rules.push({ department: v });
  for (const v of o.site ?? []) rules.push({ site: v });
  for (const v of o.vigilRole ?? []) rules.push({ vigilRole: v });
  for (const spec of o.rule ?? []) {
    const rule: Record<string, unknown> = {};
    for (const part of spec.split(';')) {
      const at = part.indexOf('=');
      const k = at > 0 ? part.slice(0, at).trim() : part.trim();
      const v = at > 0 ? part.slice(at + 1).trim() : '';
      if (!RULE_KEYS.includes(k))
        throw invalidInput('Invalid --rule', [
          { field: '--rule', reason: `"${part}": use ${RULE_KEYS.join(', ')} as key=value joined by ;` },
        ]);
      rule[k] = k === 'networkAccess' ? true : v;
    }
    rules.push(rule);
  }
  return rules.length ? rules : undefined;
}

function withRuleOptions(cmd: Command): Command {
  return cmd
    .option('--network-access', 'required for everyone with network access (the default for a new course)')
    .option('--job-role <role>', 'required for this job role (repeatable)', collect)
    .option('--department <name>', 'required for this department, id or name (repeatable)', collect)
    .option('--site <name>', 'required for everyone at this site, id or name (repeatable)', collect)
    .option(
      '--vigil-role <role>',
      'required for people whose Vigil account has this role (repeatable)',
      collect,
    )
    .option(
      '--rule <criteria>',
      "one rule of several criteria, e.g. 'jobRole=nurse;department=ICU' (repeatable)",
      collect,
    );
}

interface CourseFlags extends RuleFlags {
  code?: string;
  name?: string;
  description?: string;
  recurrenceMonths?: string;
  once?: boolean;
  graceDays?: string;
  requiredFrom?: string;
  target?: string;
  active?: boolean;
  inactive?: boolean;
  json?: boolean;
}

function courseFields(o: CourseFlags): Record<string, unknown> {
  const assignment = rulesFrom(o);
  return Object.fromEntries(
    Object.entries({
      code: o.code,
      name: o.name,
      description: o.description,
      recurrenceMonths: o.once
        ? null
        : o.recurrenceMonths !== undefined
          ? integer(o.recurrenceMonths, '--recurrence-months')
          : undefined,
      graceDays: o.graceDays !== undefined ? integer(o.graceDays, '--grace-days') : undefined,
      requiredFrom: o.requiredFrom,
      target: o.target === undefined ? undefined : o.target === 'none' ? null : percent(o.target, '--target'),
      assignment,
      active: o.inactive ? false : o.active ? true : undefined,
    }).filter(([, v]) => v !== undefined),
  );
}

const pct = (r: number) => `${(r * 100).toFixed(1)}%`;

function ruleText(c: TrainingCourse): string {
  return c.assignment
    .map((r) =>
      [
        r.networkAccess ? 'network access' : undefined,
        r.jobRole ? `job role ${r.jobRole}` : undefined,
        r.departmentId ? `department ${r.department ?? r.departmentId}` : undefined,
        r.siteId ? `site ${r.site ?? r.siteId}` : undefined,
        r.vigilRole ? `Vigil role ${r.vigilRole}` : undefined,
      ]
        .filter(Boolean)
        .join(' and '),
    )
    .join('; or ');
}

function courseLines(c: TrainingCourse): string {
  return formatLines([
    `${c.code}  ${c.name}${c.active ? '' : '  (inactive)'}`,
    `id            ${c.id}`,
    `recurrence    ${c.recurrenceMonths === null ? 'once' : `every ${plural(c.recurrenceMonths, 'month')}`}`,
    `grace         ${plural(c.graceDays, 'day')}${c.requiredFrom ? `, required from ${c.requiredFrom}` : ''}`,
    `target        ${c.target === null ? "organization's" : pct(c.target)}`,
    `required for  ${ruleText(c)}`,
    ...(c.description ? [`description   ${c.description}`] : []),
  ]);
}

export function registerTrainingCommands(program: Command, cli: CliContext): void {
  const training = program
    .command('training')
    .description('Staff cybersecurity training: courses, completions, status, compliance, reminders');

  const courses = training.command('courses').description('Training courses and who must take them');

  withRuleOptions(
    courses
      .command('add')
      .description(
        'Add a course (annual and required for everyone with network access unless told otherwise)',
      )
      .requiredOption('--code <code>', 'the course code the learning system exports, e.g. SEC-101')
      .requiredOption('--name <name>', 'the course name')
      .option('--description <text>', 'what the course covers')
      .option('--recurrence-months <n>', 'months a completion stays valid (default 12)')
      .option('--once', 'taken once, never expires')
      .option('--grace-days <n>', 'days a newly required person has to take it (default 30)')
      .option('--required-from <date>', 'first due dates count from no earlier than this day (YYYY-MM-DD)')
      .option('--target <percent>', "this course's compliance target, e.g. 98 (default the organization's)")
      .option('--inactive', 'add it inactive (not required yet)')
      .option('--json', 'print the course as JSON'),
  ).action(
    action(async (o: CourseFlags) => {
      const { vdb } = await cli.get();
      const c = await addCourse(vdb, cli.actor(), courseFields(o));
      if (o.json) return printJson(c);
      process.stdout.write(courseLines(c));
    }),
  );

  withRuleOptions(
    courses
      .command('update <course>')
      .description('Change a course (code, id or name); rule options replace all its rules')
      .option('--code <code>', 'new code')
      .option('--name <name>', 'new name')
      .option('--description <text>', 'new description')
      .option('--recurrence-months <n>', 'months a completion stays valid')
      .option('--once', 'taken once, never expires')
      .option('--grace-days <n>', 'grace days')
      .option('--required-from <date>', 'first due dates count from no earlier than this day')
      .option('--target <percent>', "course target in percent, or 'none' for the organization's")
      .option('--active', 'make it required')
      .option('--inactive', 'stop requiring it (history stays)')
      .option('--json', 'print the course as JSON'),
  ).action(
    action(async (ref: string, o: CourseFlags) => {
      const { vdb } = await cli.get();
      const c = await updateCourse(vdb, cli.actor(), ref, courseFields(o));
      if (o.json) return printJson(c);
      process.stdout.write(courseLines(c));
    }),
  );

  courses
    .command('list')
    .description('List courses')
    .option('--all', 'include inactive courses')
    .option('--json', 'print a JSON array')
    .action(
      action(async (o: { all?: boolean; json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listCourses(vdb, cli.actor(), { all: o.all ?? false });
        if (o.json) return printJson(list);
        process.stdout.write(
          formatTable(
            ['CODE', 'NAME', 'RECURRENCE', 'GRACE', 'TARGET', 'REQUIRED FOR', 'ACTIVE'],
            list.map((c) => [
              c.code,
              c.name,
              c.recurrenceMonths === null ? 'once' : `${plural(c.recurrenceMonths, 'month')}`,
              `${plural(c.graceDays, 'day')}`,
              c.target === null ? '-' : pct(c.target),
              ruleText(c),
              c.active ? 'yes' : 'no',
            ]),
          ),
        );
      }),
    );

  courses
    .command('show <course>')
    .description('Show a course (code, id or name)')
    .option('--json', 'print JSON')
    .action(
      action(async (ref: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const c = await getCourse(vdb, cli.actor(), ref);
        if (o.json) return printJson(c);
        process.stdout.write(courseLines(c));
      }),
    );

  training
    .command('complete')
    .description('Record a completion by hand (the same person, course and day again changes nothing)')
    .requiredOption('--person <ref>', 'person id, email or employee id')
    .requiredOption('--course <ref>', 'course code, id or name')
    .requiredOption('--date <date>', 'completion day, YYYY-MM-DD')
    .option('--score <n>', 'score 0–100')
    .option('--failed', 'taken but not passed (does not make the training current)')
    .option('--note <text>', 'where this record comes from, e.g. a signed attendance sheet')
    .option('--json', 'print {completion, created} as JSON')
    .action(
      action(
        async (o: {
          person: string;
          course: string;
          date: string;
          score?: string;
          failed?: boolean;
          note?: string;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          const score = o.score === undefined ? undefined : Number(o.score);
          const r = await recordCompletion(vdb, cli.actor(), {
            person: o.person,
            course: o.course,
            date: o.date,
            passed: !o.failed,
            ...(score !== undefined ? { score } : {}),
            ...(o.note ? { note: o.note } : {}),
          });
          if (o.json) return printJson(r);
          const c = r.completion;
          process.stdout.write(
            printable`${r.superseded ? 'Recorded (replaces the failure of that day)' : r.created ? 'Recorded' : 'Already recorded'}: ${c.person} completed ${c.courseCode} on ${c.completedOn}${c.passed ? '' : ' (failed)'}\n`,
          );
        },
      ),
    );

  training
    .command('import <file>')
    .description(
      "Import completions from a learning system's CSV export (see docs/training.md for the columns)",
    )
    .option(
      '--mapping <Header=field>',
      'name a column, e.g. --mapping "Learner ID=employeeId" (repeatable)',
      collect,
    )
    .option('--date-format <format>', 'iso (YYYY-MM-DD, default) | mdy (US M/D/YYYY) | dmy (D/M/YYYY)', 'iso')
    .option('--dry-run', 'check the file and count what would be added, store nothing')
    .option('--json', 'print the import result as JSON')
    .action(
      action(
        async (
          file: string,
          o: { mapping?: string[]; dateFormat: string; dryRun?: boolean; json?: boolean },
        ) => {
          const { vdb } = await cli.get();
          // The bytes, not text: the importer tells a byte that is not UTF-8 from a real U+FFFD.
          const text = await readCappedFile(file, {
            what: 'a training completions CSV',
            maxBytes: MAX_COMPLETIONS_CSV_BYTES,
          });
          const r = await importCompletions(vdb, cli.actor(), {
            file: basename(file),
            text,
            dateFormat: o.dateFormat,
            dryRun: o.dryRun ?? false,
            ...(o.mapping ? { mapping: o.mapping } : {}),
          });
          if (o.json) printJson(r);
          else {
            process.stdout.write(
              printable`${r.file}: ${plural(r.rows, 'row')}, ${plural(r.completions, 'completion')}, ${r.added} ${r.dryRun ? 'would be added' : 'added'}, ` +
                printable`${r.superseded ? `${r.superseded} replacing a failure of the same day, ` : ''}${r.alreadyRecorded} already recorded, ${r.notCompleted} not completed, ${r.skipped.length} skipped, ${r.errors.length} with errors\n`,
            );
            for (const i of [...r.skipped, ...r.errors].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)))
              process.stderr.write(printable`${i.file} line ${i.line}: ${i.reason}\n`);
          }
          // Valid rows are kept either way; a file with bad rows still fails the command for scripts.
          if (r.errors.length) process.exitCode = 65;
        },
      ),
    );

  training
    .command('completions')
    .description('List recorded completions, newest first')
    .option('--person <ref>', 'person id, email or employee id')
    .option('--course <ref>', 'course code, id or name')
    .option('--limit <n>', 'at most this many (default 100)')
    .option('--offset <n>', 'skip this many')
    .option('--json', 'print {items, total, limit, offset} as JSON')
    .action(
      action(
        async (o: { person?: string; course?: string; limit?: string; offset?: string; json?: boolean }) => {
          const { vdb } = await cli.get();
          const page = await listCompletions(vdb, cli.actor(), {
            ...(o.person ? { person: o.person } : {}),
            ...(o.course ? { course: o.course } : {}),
            ...(o.limit ? { limit: o.limit } : {}),
            ...(o.offset ? { offset: o.offset } : {}),
          });
          if (o.json) return printJson(page);
          process.stdout.write(
            formatTable(
              ['COMPLETED', 'PERSON', 'EMPLOYEE ID', 'COURSE', 'PASSED', 'SCORE', 'SOURCE'],
              page.items.map((c) => [
                c.completedOn,
                c.person,
                c.employeeId,
                c.courseCode,
                c.passed ? 'yes' : 'no',
                c.score,
                c.sourceRef ?? c.source,
              ]),
            ),
          );
        },
      ),
    );

  training
    .command('status')
    .description('Who must take what, when it falls due, and what is overdue')
    .option('--person <ref>', 'one person: id, email or employee id')
    .option('--course <ref>', 'one course: code, id or name')
    .option('--state <state>', 'current | due-soon | overdue | never-completed (repeatable)', collect)
    .option('--overdue', 'only training past its due date')
    .option('--now <date>', 'compute as of this date (default now)')
    .option('--json', 'print {today, items} as JSON')
    .action(
      action(
        async (o: {
          person?: string;
          course?: string;
          state?: string[];
          overdue?: boolean;
          now?: string;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          const r = await trainingStatus(
            vdb,
            cli.actor(),
            {
              ...(o.person ? { person: o.person } : {}),
              ...(o.course ? { course: o.course } : {}),
              ...(o.state ? { state: o.state } : {}),
              ...(o.overdue ? { overdue: true } : {}),
            },
            nowOf(o.now),
          );
          if (o.json) return printJson(r);
          process.stdout.write(
            formatTable(
              ['PERSON', 'EMPLOYEE ID', 'DEPARTMENT', 'COURSE', 'LAST COMPLETED', 'DUE', 'STATE'],
              r.items.map((i) => [
                i.person,
                i.employeeId,
                i.department,
                i.courseCode,
                i.lastCompleted,
                i.dueOn,
                i.state === 'never-completed' && i.overdue ? 'never-completed (overdue)' : i.state,
              ]),
            ),
          );
        },
      ),
    );

  training
    .command('compliance')
    .description('Share of required training that is current, overall and per site or department')
    .option('--by <scope>', 'site | department (default both)')
    .option('--now <date>', 'compute as of this date (default now)')
    .option('--json', 'print {target, overall, bySite, byDepartment} as JSON')
    .action(
      action(async (o: { by?: string; now?: string; json?: boolean }) => {
        if (o.by !== undefined && o.by !== 'site' && o.by !== 'department')
          throw invalidInput('--by takes site or department', [{ field: '--by', reason: `got "${o.by}"` }]);
        const { vdb } = await cli.get();
        const c = await getTrainingCompliance(vdb, cli.actor(), nowOf(o.now));
        if (o.json) return printJson(c);
        const rows = (list: ComplianceFigure[]) =>
          list.map((f) => [
            f.scope === 'organization'
              ? 'organization'
              : f.scope === 'site'
                ? (f.siteName ?? '(no site)')
                : `${f.siteName ?? '-'} / ${f.department}`,
            f.required,
            f.current,
            f.overdue,
            pct(f.rate),
            f.belowTarget ? 'BELOW TARGET' : 'ok',
          ]);
        process.stdout.write(printable`target ${pct(c.target)}\n`);
        process.stdout.write(
          formatTable(
            ['SCOPE', 'REQUIRED', 'CURRENT', 'OVERDUE', 'RATE', 'STATUS'],
            [
              ...rows([c.overall]),
              ...(o.by !== 'department' ? rows(c.bySite) : []),
              ...(o.by !== 'site' ? rows(c.byDepartment) : []),
            ],
          ),
        );
      }),
    );

  training
    .command('target [percent]')
    .description("Show or set the organization's training compliance target (default 95%)")
    .option('--json', 'print {target} as JSON')
    .action(
      action(async (value: string | undefined, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const r =
          value === undefined
            ? { target: (await getTrainingCompliance(vdb, cli.actor())).target }
            : await setComplianceTarget(vdb, cli.actor(), { target: percent(value, 'percent') });
        if (o.json) return printJson(r);
        process.stdout.write(printable`training compliance target ${pct(r.target)}\n`);
      }),
    );

  training
    .command('remind')
    .description('Reminder messages for people with training due soon or overdue, and for their managers')
    .option('--dry-run', 'only show the reminders (this command never sends; `vigil notifications run` does)')
    .option('--now <date>', 'compute as of this date (default now)')
    .option('--json', 'print {today, reminders} as JSON')
    .action(
      action(async (o: { dryRun?: boolean; now?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await trainingReminders(vdb, cli.actor(), nowOf(o.now));
        if (o.json) printJson(r);
        else
          for (const m of r.reminders)
            process.stdout.write(
              printable`To: ${m.recipient.name} <${m.recipient.email ?? 'no email'}> (${m.kind})\nSubject: ${m.subject}\n\n` +
                formatLines([...m.body.split('\n'), '']),
            );
        process.stderr.write(
          printable`${plural(r.reminders.length, 'reminder')} for ${r.today}; \`vigil notifications run\` (and \`vigil serve\`, hourly) sends them, once a week per person\n`,
        );
      }),
    );
}
