/**
 * @module `vigil people add|list|show|update|deactivate|import` and `vigil departments add|list`: the
 * staff who access network resources (with or without a Vigil account) and the departments of each site.
 */

import { basename } from 'node:path';
import type { Command } from 'commander';
import { invalidInput } from '../../errors.js';
import { plural } from '../../format-count.js';
import { addDepartment, listDepartments } from '../../program/organization/departments-service.js';
import { importPeople, MAX_PEOPLE_CSV_BYTES } from '../../program/organization/people-import.js';
import {
  addPerson,
  deactivatePerson,
  getPerson,
  listPeople,
  type Person,
  updatePerson,
} from '../../program/organization/people-service.js';
import { readCappedFile } from '../../read-capped-file.js';
import type { CliContext } from '../cli-context.js';
import { formatLines, formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

interface PersonFlags {
  name?: string;
  employeeId?: string;
  email?: string;
  phone?: string;
  jobRole?: string;
  site?: string;
  department?: string;
  manager?: string;
  networkAccess?: boolean;
  user?: string;
  activeFrom?: string;
  json?: boolean;
}

/** Flags to a person input; the word `none` clears a field on update. */
function personInput(o: PersonFlags, forUpdate: boolean): Record<string, unknown> {
  const v = (s: string | undefined) => (forUpdate && s === 'none' ? null : s);
  const out: Record<string, unknown> = {};
  const set = (k: string, s: string | undefined) => {
    if (s !== undefined) out[k] = v(s);
  };
  set('name', o.name);
  set('employeeId', o.employeeId);
  set('email', o.email);
  set('phone', o.phone);
  set('jobRole', o.jobRole);
  set('site', o.site);
  set('department', o.department);
  set('manager', o.manager);
  set('user', o.user);
  set('activeFrom', o.activeFrom);
  if (o.networkAccess !== undefined) out['networkAccess'] = o.networkAccess;
  return out;
}

function personFlags(cmd: Command, forUpdate: boolean): Command {
  const clear = forUpdate ? ' ("none" clears it)' : '';
  return cmd
    .option('--employee-id <id>', `HR employee id${clear}`)
    .option('--email <address>', `email${clear}`)
    .option('--phone <number>', `phone${clear}`)
    .option('--job-role <role>', `job role, e.g. "nurse", "biomed technician"${clear}`)
    .option('--site <name>', `site name or id${clear}`)
    .option('--department <name>', `department of the site${clear}`)
    .option('--manager <person>', `manager: id, email or employee id${clear}`)
    .option('--network-access', 'accesses network resources (the default for new people)')
    .option('--no-network-access', 'does not access network resources')
    .option('--user <username>', `linked Vigil account${clear}`)
    .option('--active-from <date>', 'start date (YYYY-MM-DD)')
    .option('--json', 'print the person as JSON');
}

function printPerson(p: Person): void {
  process.stdout.write(
    formatLines([
      `${p.name}${p.active ? '' : ` (left ${p.leftOn ?? ''})`}`,
      `id            ${p.id}`,
      `employee id   ${p.employeeId ?? '-'}`,
      `email         ${p.email ?? '-'}`,
      `phone         ${p.phone ?? '-'}`,
      `job role      ${p.jobRole ?? '-'}`,
      `site          ${p.site ?? '-'}`,
      `department    ${p.department ?? '-'}`,
      `manager       ${p.manager ?? '-'}`,
      `network       ${p.networkAccess ? 'yes' : 'no'}`,
      `account       ${p.username ?? '-'}`,
      `active from   ${p.activeFrom ?? '-'}`,
    ]),
  );
}

export function registerPeopleCommands(program: Command, cli: CliContext): void {
  const people = program
    .command('people')
    .description('Staff who access network resources: add, list, show, update, deactivate, import from HR');

  personFlags(people.command('add <name>').description('Add a person'), false).action(
    action(async (name: string, o: PersonFlags) => {
      const { vdb } = await cli.get();
      const p = await addPerson(vdb, cli.actor(), { name, ...personInput(o, false) });
      if (o.json) return printJson(p);
      process.stdout.write(printable`Added ${p.name} (${p.id})\n`);
    }),
  );

  people
    .command('list')
    .description('List people (active ones unless --status says otherwise)')
    .option('--site <name>', 'only this site')
    .option('--department <name>', 'only this department (with --site)')
    .option('--status <status>', 'active | left | all', 'active')
    .option('--network-access', 'only people with network access')
    .option('--search <text>', 'name or email containing this')
    .option('--json', 'print a JSON array of people')
    .action(
      action(
        async (o: {
          site?: string;
          department?: string;
          status: string;
          networkAccess?: boolean;
          search?: string;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          const list = await listPeople(vdb, cli.actor(), {
            status: o.status,
            ...(o.site ? { site: o.site } : {}),
            ...(o.department ? { department: o.department } : {}),
            ...(o.networkAccess ? { networkAccess: true } : {}),
            ...(o.search ? { search: o.search } : {}),
          });
          if (o.json) return printJson(list);
          process.stdout.write(
            formatTable(
              ['NAME', 'EMAIL', 'JOB ROLE', 'SITE', 'DEPARTMENT', 'NETWORK', 'ACTIVE', 'ID'],
              list.map((p) => [
                p.name,
                p.email,
                p.jobRole,
                p.site,
                p.department,
                p.networkAccess ? 'yes' : 'no',
                p.active ? 'yes' : `left ${p.leftOn ?? ''}`,
                p.id,
              ]),
            ),
          );
        },
      ),
    );

  people
    .command('show <person>')
    .description('Show a person (id, email or employee id)')
    .option('--json', 'print JSON')
    .action(
      action(async (ref: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const p = await getPerson(vdb, cli.actor(), ref);
        if (o.json) return printJson(p);
        printPerson(p);
      }),
    );

  personFlags(
    people.command('update <person>').description('Change a person (id, email or employee id)'),
    true,
  )
    .option('--name <name>', 'name')
    .action(
      action(async (ref: string, o: PersonFlags) => {
        const { vdb } = await cli.get();
        const input = personInput(o, true);
        if (!Object.keys(input).length) throw invalidInput('Nothing to change: give at least one option');
        const p = await updatePerson(vdb, cli.actor(), ref, input);
        if (o.json) return printJson(p);
        printPerson(p);
      }),
    );

  people
    .command('deactivate <person>')
    .description('Mark a person as having left (kept for training and officer history)')
    .option('--left-on <date>', 'date they left (default today)')
    .option('--json', 'print the person as JSON')
    .action(
      action(async (ref: string, o: { leftOn?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const p = await deactivatePerson(vdb, cli.actor(), ref, o.leftOn ? { leftOn: o.leftOn } : {});
        if (o.json) return printJson(p);
        process.stdout.write(printable`${p.name} left on ${p.leftOn}\n`);
      }),
    );

  people
    .command('import <file>')
    .description('Import people from an HR export (CSV); matched on employee id, then email; re-runnable')
    .option('--dry-run', 'check the file and show what would change, without changing anything')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (file: string, o: { dryRun?: boolean; json?: boolean }) => {
        const { vdb } = await cli.get();
        // The bytes, not text: the importer tells a byte that is not UTF-8 from a real U+FFFD.
        const text = await readCappedFile(file, { what: 'a people CSV', maxBytes: MAX_PEOPLE_CSV_BYTES });
        const r = await importPeople(vdb, cli.actor(), {
          text,
          file: basename(file),
          dryRun: Boolean(o.dryRun),
        });
        if (o.json) return printJson(r);
        process.stdout.write(
          printable`${r.dryRun ? 'Would import' : 'Imported'} ${plural(r.rows, 'person', 'people')} from ${r.file}: ${r.created} new, ${r.updated} updated, ${r.unchanged} unchanged, ${r.deactivated} left\n`,
        );
        if (r.sitesCreated.length)
          process.stdout.write(printable`Sites created: ${r.sitesCreated.join(', ')}\n`);
        if (r.departmentsCreated.length)
          process.stdout.write(printable`Departments created: ${r.departmentsCreated.join(', ')}\n`);
        if (r.ignoredColumns.length)
          process.stderr.write(printable`Columns ignored: ${r.ignoredColumns.join(', ')}\n`);
      }),
    );

  const departments = program.command('departments').description('Departments of each site');
  departments
    .command('add <name>')
    .description('Add a department to a site')
    .requiredOption('--site <name>', 'site name or id')
    .option('--json', 'print the department as JSON')
    .action(
      action(async (name: string, o: { site: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const d = await addDepartment(vdb, cli.actor(), { site: o.site, name });
        if (o.json) return printJson(d);
        process.stdout.write(printable`Added department ${d.name} to ${d.site} (${d.id})\n`);
      }),
    );
  departments
    .command('list')
    .description('List departments with how many active people each has')
    .option('--site <name>', 'only this site')
    .option('--json', 'print a JSON array')
    .action(
      action(async (o: { site?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listDepartments(vdb, cli.actor(), o.site ? { site: o.site } : {});
        if (o.json) return printJson(list);
        process.stdout.write(
          formatTable(
            ['SITE', 'DEPARTMENT', 'PEOPLE', 'ID'],
            list.map((d) => [d.site, d.name, d.peopleCount, d.id]),
          ),
        );
      }),
    );
}
