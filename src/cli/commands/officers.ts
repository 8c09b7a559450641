/**
 * @module `vigil officers designate|list|end|coverage`: the security officer and deputies of the
 * organization and of each site, their terms, and the warnings when one is missing or a term ends.
 */
import type { Command } from 'commander';
import { invalidInput } from '../../errors.js';
import {
  designateOfficer,
  endOfficerTerm,
  getCoverage,
  listOfficers,
} from '../../program/officers/officers-service.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

/** `--now`: a date that is none (`--now yesterday`) is the operator's mistake, not an internal error. */
function now(iso: string | undefined): Date {
  if (iso === undefined) return new Date();
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()))
    throw invalidInput('--now takes an ISO date or date-time', [{ field: '--now', reason: `got "${iso}"` }]);
  return d;
}

export function registerOfficerCommands(program: Command, cli: CliContext): void {
  const officers = program
    .command('officers')
    .description('Security officers and deputies of the organization and each site');

  officers
    .command('designate')
    .description('Designate a person as security officer (or deputy) of the organization or a site')
    .requiredOption('--person <person>', 'person id, email or employee id')
    .option('--site <name>', 'site name or id (default: the organization)')
    .option('--deputy', 'as a deputy')
    .requiredOption('--from <date>', 'first day of the term (YYYY-MM-DD)')
    .option('--to <date>', 'last day of the term (default: open-ended)')
    .option('--json', 'print the designation as JSON')
    .action(
      action(
        async (o: {
          person: string;
          site?: string;
          deputy?: boolean;
          from: string;
          to?: string;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          const d = await designateOfficer(vdb, cli.actor(), {
            person: o.person,
            from: o.from,
            deputy: Boolean(o.deputy),
            ...(o.site ? { site: o.site } : {}),
            ...(o.to ? { to: o.to } : {}),
          });
          if (o.json) return printJson(d);
          process.stdout.write(
            printable`${d.name} is ${d.role === 'deputy' ? 'deputy security officer' : 'security officer'} of ${d.site ?? 'the organization'} from ${d.termStart}${d.termEnd ? ` to ${d.termEnd}` : ''} (${d.id})\n`,
          );
        },
      ),
    );

  officers
    .command('list')
    .description('Current and future designations, then the warnings')
    .option('--all', 'include ended terms')
    .option('--now <iso>', 'as of this date (default now)')
    .option('--json', 'print {officers, warnings} as JSON')
    .action(
      action(async (o: { all?: boolean; now?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await listOfficers(vdb, cli.actor(), { now: now(o.now), all: Boolean(o.all) });
        if (o.json) return printJson(r);
        process.stdout.write(
          formatTable(
            ['SCOPE', 'ROLE', 'NAME', 'EMAIL', 'PHONE', 'FROM', 'TO', 'IN TERM', 'ID'],
            r.officers.map((x) => [
              x.site ?? 'organization',
              x.role,
              x.name,
              x.email,
              x.phone,
              x.termStart,
              x.termEnd,
              x.inTerm ? 'yes' : 'no',
              x.id,
            ]),
          ),
        );
        for (const w of r.warnings) process.stdout.write(printable`warning: ${w.message}\n`);
      }),
    );

  officers
    .command('coverage')
    .description('Who is officer of the organization and each site today, and the warnings')
    .option('--now <iso>', 'as of this date (default now)')
    .option('--json', 'print the coverage as JSON')
    .action(
      action(async (o: { now?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const c = await getCoverage(vdb, cli.actor(), now(o.now));
        if (o.json) return printJson(c);
        const who = (p: { name: string } | null, d: { name: string }[]) =>
          `${p?.name ?? 'none'}${d.length ? `; deputies ${d.map((x) => x.name).join(', ')}` : ''}`;
        process.stdout.write(
          printable`organization: ${who(c.organization.primary, c.organization.deputies)}\n`,
        );
        for (const s of c.sites)
          process.stdout.write(printable`${s.siteName}: ${who(s.primary, s.deputies)}\n`);
        for (const w of c.warnings) process.stdout.write(printable`warning: ${w.message}\n`);
      }),
    );

  officers
    .command('end <id>')
    .description('End a term (today, or on --on)')
    .option('--on <date>', 'last day of the term')
    .option('--json', 'print the designation as JSON')
    .action(
      action(async (id: string, o: { on?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const d = await endOfficerTerm(vdb, cli.actor(), id, o.on ? { on: o.on } : {});
        if (o.json) return printJson(d);
        process.stdout.write(
          printable`${d.name}'s term as ${d.role} officer of ${d.site ?? 'the organization'} ends on ${d.termEnd}\n`,
        );
      }),
    );
}
