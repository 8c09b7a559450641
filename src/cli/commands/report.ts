/**
 * @module `vigil report compliance` (HTML, PDF, JSON or CSV; one framework or all; one site or all)
 * and `vigil report review inventory|network-map --note …` (the recorded yearly sign-offs).
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { complianceReport, REVIEW_KINDS, recordReview } from '../../compliance/compliance-service.js';
import { FRAMEWORK_IDS, type FrameworkId } from '../../compliance/controls/index.js';
import { reportCsv } from '../../compliance/report/csv.js';
import {
  CSV_TABLES,
  type CsvTable,
  REPORT_FORMATS,
  type ReportFormat,
  renderReport,
} from '../../compliance/report/index.js';
import { invalidInput } from '../../errors.js';
import { queueOptionsFrom } from '../../risk/queue-service.js';
import type { CliContext } from '../cli-context.js';
import { printable, printJson } from '../io.js';
import { action } from '../run-command.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface ReportOptions {
  format?: string;
  json?: boolean;
  framework?: string[];
  site?: string;
  out?: string;
  table?: string;
}

function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw invalidInput(`Unknown ${what} ${value}: one of ${allowed.join(', ')}`);
  return value as T;
}

/**
 * `--table` names a CSV table, so it implies `--format csv`; with another format it is refused rather
 * than ignored (it used to print the whole HTML report, which is not what `--table gaps` asked for).
 */
function formatOf(o: ReportOptions): ReportFormat {
  const given = o.json ? 'json' : o.format;
  const format =
    given === undefined ? (o.table ? 'csv' : 'html') : oneOf<ReportFormat>('format', given, REPORT_FORMATS);
  if (o.table && format !== 'csv')
    throw invalidInput(`--table chooses a CSV table: use it with --format csv, not ${format}`);
  return format;
}

export function registerReportCommands(program: Command, cli: CliContext): void {
  const report = program.command('report').description('Compliance reports and the reviews they rest on');

  report
    .command('compliance')
    .description(
      'The compliance report: controls of the FDA practices, HIPAA, HHS NPRM, HPH CPGs and NIST CSF, with evidence',
    )
    .option('--format <format>', `${REPORT_FORMATS.join('|')} (default html; csv with --table)`)
    .option('--json', 'the same as --format json')
    .option('--framework <id>', `only this framework (${FRAMEWORK_IDS.join(', ')}); repeatable`, collect)
    .option('--site <site>', 'only this site (id or name)')
    .option('--out <path>', 'write to this file (for --format csv --table all: this directory)')
    .option('--table <name>', `CSV table: ${CSV_TABLES.join(', ')} or all (default controls)`)
    .action(
      action(async (o: ReportOptions) => {
        const format = formatOf(o);
        const frameworks = (o.framework ?? []).map((f) => oneOf<FrameworkId>('framework', f, FRAMEWORK_IDS));
        const table =
          o.table === 'all' ? 'all' : oneOf<CsvTable>('CSV table', o.table ?? 'controls', CSV_TABLES);
        if (format === 'pdf' && !o.out && process.stdout.isTTY)
          throw invalidInput('A PDF is binary: give --out FILE or redirect standard output');
        if (table === 'all' && format === 'csv' && !o.out)
          throw invalidInput('--table all writes one CSV file per table: give --out DIRECTORY');
        const ctx = await cli.get();
        const r = await complianceReport(
          ctx.vdb,
          cli.actor(),
          { ...(frameworks.length ? { frameworks } : {}), ...(o.site ? { site: o.site } : {}) },
          new Date(),
          queueOptionsFrom(ctx.config),
        );
        if (format === 'csv' && table === 'all') {
          await mkdir(o.out!, { recursive: true });
          for (const t of CSV_TABLES) await writeFile(join(o.out!, `${t}.csv`), reportCsv(r, t));
          process.stderr.write(printable`Wrote ${CSV_TABLES.length} CSV tables to ${o.out}\n`);
          return;
        }
        const body = await renderReport(r, format, table === 'all' ? 'controls' : table);
        if (o.out) {
          await writeFile(o.out, body);
          const c = r.summary.counts;
          process.stderr.write(
            printable`Wrote ${o.out}: ${c.met} met, ${c.partial} partial, ${c['not-met']} not met, ${c['no-evidence']} no evidence\n`,
          );
        } else process.stdout.write(body);
      }),
    );

  report
    .command('review')
    .description('Record that you reviewed the asset inventory or the network map (due every 12 months)')
    .argument('<kind>', REVIEW_KINDS.join('|'))
    .option('--note <text>', 'what was reviewed or changed')
    .option('--json', 'print the recorded review as JSON')
    .action(
      action(async (kind: string, o: { note?: string; json?: boolean }) => {
        const ctx = await cli.get();
        const r = await recordReview(ctx.vdb, cli.actor(), { kind, ...(o.note ? { note: o.note } : {}) });
        if (o.json) printJson(r);
        else
          process.stdout.write(printable`Recorded ${r.kind} review by ${r.reviewedBy} at ${r.reviewedAt}\n`);
      }),
    );
}
