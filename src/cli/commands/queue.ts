/**
 * @module `vigil queue [--json] [--overdue] [--[no-]accepted] [--limit N] [--offset N] [--groups]`: the prioritized work
 * queue, most urgent first, each item with its SSVC decision, due date and the evidence behind it (SLAs,
 * EPSS threshold, safety floor and prevalence from the configuration); `--groups` folds it by model and
 * fix, the unit clinical engineering works in; and `vigil override add|list`
 * for SSVC decision-point overrides per device or model (reason and expiry required, audited).
 */

import type { Command } from 'commander';
import { invalidInput } from '../../errors.js';
import { plural } from '../../format-count.js';
import { addOverride, listRiskOverrides, revokeOverride } from '../../risk/overrides-service.js';
import { groupQueue, listQueuePage, type QueueItem, queueOptionsFrom } from '../../risk/queue-service.js';
import type { CliContext } from '../cli-context.js';
import { formatLines, formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';
import { subjectNames } from '../subject-names.js';

const positive = (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw invalidInput('--limit must be a whole number of at least 1');
  return Number(v);
};
const nonNegative = (v: string) => {
  if (!/^\d+$/.test(v)) throw invalidInput('--offset must be a whole number');
  return Number(v);
};

/** The item's evidence, a line each (an empty line when it has none). */
function explain(i: QueueItem): string {
  const lines = i.evidence.map((e) => `    ${e.point}=${e.value}: ${e.because}`);
  return formatLines(lines.length ? lines : ['']);
}

export function registerQueueCommands(program: Command, cli: CliContext): void {
  program
    .command('queue')
    .description('The prioritized work queue: matched vulnerabilities and open findings, most urgent first')
    .option('--overdue', 'only items past their due date')
    .option('--limit <n>', 'at most n items', positive)
    .option('--offset <n>', 'skip the first n items (paging)', nonNegative)
    .option('--accepted', 'only items under a risk acceptance in force')
    .option('--no-accepted', 'leave out items under a risk acceptance in force')
    .option('--groups', 'one line per model and fix: the items one update closes')
    .option('--why', 'print the evidence behind each item')
    .option('--json', 'print a JSON array of the items (or of the groups)')
    .action(
      action(
        async (o: {
          overdue?: boolean;
          accepted?: boolean;
          limit?: number;
          offset?: number;
          groups?: boolean;
          why?: boolean;
          json?: boolean;
        }) => {
          const { vdb, config } = await cli.get();
          const page = await listQueuePage(
            vdb,
            cli.actor(),
            {
              ...(o.overdue ? { overdue: true } : {}),
              ...(o.accepted !== undefined ? { accepted: o.accepted } : {}),
              ...(o.limit && !o.groups ? { limit: o.limit } : {}),
              ...(o.offset && !o.groups ? { offset: o.offset } : {}),
            },
            queueOptionsFrom(config),
          );
          const items = page.items;
          // "Nothing in the queue" for --overdue read as if no work were left at all.
          const empty = o.overdue
            ? 'Nothing overdue: no item is past its due date.\n'
            : 'Nothing in the queue.\n';
          if (o.groups) {
            const groups = groupQueue(items).slice(
              o.offset ?? 0,
              o.limit ? (o.offset ?? 0) + o.limit : undefined,
            );
            if (o.json) return printJson(groups);
            if (groups.length === 0) return void process.stdout.write(empty);
            process.stdout.write(
              formatTable(
                [
                  'RANK',
                  'DECISION',
                  'EARLIEST DUE',
                  'DEVICES',
                  'ITEMS',
                  'OVERDUE',
                  'MODEL',
                  'VERSION',
                  'FIX',
                ],
                groups.map((g) => [
                  g.topRank,
                  g.decision,
                  g.earliestDue ? g.earliestDue.slice(0, 10) : '-',
                  g.devices,
                  g.items,
                  g.overdue,
                  [g.manufacturer, g.model].filter(Boolean).join(' ') || '?',
                  g.version ?? '?',
                  g.fix ?? g.vulnerabilities.slice(0, 3).join(', '),
                ]),
              ),
            );
            return;
          }
          if (o.json) return printJson(items);
          if (items.length === 0) return void process.stdout.write(empty);
          if (!o.why) {
            process.stdout.write(
              formatTable(
                ['#', 'DECISION', 'DUE', 'DEVICE', 'ITEM', 'CVSS ENV', 'GROUP'],
                items.map((i) => [
                  i.rank,
                  i.acceptance ? `${i.decision} (accepted)` : i.decision,
                  i.due ? `${i.due.slice(0, 10)}${i.overdue ? ' OVERDUE' : ''}` : '-',
                  i.deviceLabel,
                  i.vulnerability ?? i.title ?? i.findingId,
                  i.cvss.environmental ?? '-',
                  i.group.key,
                ]),
              ),
            );
          } else
            for (const i of items)
              process.stdout.write(
                printable`${i.rank}. ${i.decision.toUpperCase()}${i.acceptance ? ' (ACCEPTED)' : ''} ${i.deviceLabel} ${i.vulnerability ?? i.title}` +
                  printable` due ${i.due ? i.due.slice(0, 10) : '-'}${i.overdue ? ' OVERDUE' : ''} (${i.dueBecause})\n` +
                  explain(i),
              );
          if (page.total > page.offset + items.length)
            process.stderr.write(
              printable`${page.offset + items.length} of ${plural(page.total, 'item')} shown (--offset to page)\n`,
            );
        },
      ),
    );

  const override = program
    .command('override')
    .description('Override an SSVC decision point (E, EXP, A, SI, MI, HI) for a device or a model');
  override
    .command('add')
    .description('Set a decision point for a device (--device) or its whole model (--model-of)')
    .option('--device <ref>', 'the device (id, asset tag, serial …)')
    .option('--model-of <ref>', 'the model of this device: every device of the model')
    .requiredOption('--point <key>', 'E | EXP | A | SI | MI | HI')
    .requiredOption('--value <value>', 'e.g. E: none|public_poc|active, EXP: small|controlled|open')
    .requiredOption('--reason <text>', 'why (shown in the queue and the audit log)')
    .requiredOption('--expires <date>', 'when the override ends (ISO date)')
    .option('--json', 'print the override as JSON')
    .action(
      action(
        async (o: {
          device?: string;
          modelOf?: string;
          point: string;
          value: string;
          reason: string;
          expires: string;
          json?: boolean;
        }) => {
          if (!!o.device === !!o.modelOf) throw invalidInput('give exactly one of --device and --model-of');
          const { vdb } = await cli.get();
          const r = await addOverride(vdb, cli.actor(), {
            scope: o.device ? 'device' : 'model',
            device: o.device ?? o.modelOf,
            point: o.point.toUpperCase(),
            value: o.value,
            reason: o.reason,
            expiresAt: o.expires,
          });
          if (o.json) return printJson(r);
          process.stdout.write(
            printable`Override ${r.id}: ${r.point}=${r.value} (${r.scope}) until ${r.expiresAt}\n`,
          );
        },
      ),
    );
  override
    .command('revoke <id>')
    .description('End an override before its expiry (audited)')
    .requiredOption('--reason <text>', 'why it ends')
    .action(
      action(async (id: string, o: { reason: string }) => {
        const { vdb } = await cli.get();
        const r = await revokeOverride(vdb, cli.actor(), id, o.reason);
        process.stdout.write(printable`Override ${r.id} (${r.point} = ${r.value}) revoked.\n`);
      }),
    );

  override
    .command('list')
    .description('Overrides in force (--all: also expired and revoked ones)')
    .option('--all', 'include expired and revoked overrides')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { all?: boolean; json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listRiskOverrides(vdb, cli.actor(), o.all ? { all: true } : {});
        if (o.json) return printJson(list);
        const names = await subjectNames(vdb, list);
        process.stdout.write(
          formatTable(
            ['ID', 'SCOPE', 'TARGET', 'POINT', 'VALUE', 'EXPIRES', 'BY', 'REASON'],
            list.map((r) => [
              r.id,
              r.scope,
              names.get(r.id) ?? r.deviceId ?? r.modelId,
              r.point,
              r.value,
              r.revokedAt ? `revoked ${r.revokedAt.slice(0, 10)}` : r.expiresAt.slice(0, 10),
              r.createdBy,
              r.reason,
            ]),
          ),
        );
      }),
    );
}
