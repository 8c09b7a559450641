/**
 * @module `vigil baseline learn|list|show|allow|deny|remove|approve|check-availability`: the communication
 * baselines the flow rules compare traffic with (docs/baseline.md).
 */

import type { Command } from 'commander';
import { plural } from '../../format-count.js';
import { checkAvailability } from '../../monitor/baseline/availability.js';
import {
  approveBaselines,
  type Baseline,
  editBaselineEntry,
  learnBaselinesFromTraffic,
  listBaselineViews,
  showBaseline,
} from '../../monitor/baseline/baseline-service.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';
import { subjectNames } from '../subject-names.js';

interface SubjectOpts {
  model?: string;
}

const subject = (device: string | undefined, o: SubjectOpts) => ({
  ...(device ? { device } : {}),
  ...(o.model ? { model: o.model } : {}),
});

/**
 * One detail value as text: lists comma-joined, and objects (the volume entry's `outPerDay`, bytes per
 * peer role and service) as `key:value` pairs, so the table never shows "[object Object]".
 */
function detailText(v: unknown): string {
  if (Array.isArray(v)) return v.map(detailText).join(',');
  if (v !== null && typeof v === 'object')
    return Object.entries(v)
      .map(([k, x]) => `${k}:${detailText(x)}`)
      .join(',');
  return String(v);
}

function printBaseline(b: Baseline, name: string | undefined): void {
  const key = b.deviceId ?? b.modelId;
  const who = `${b.scope} ${name && name !== key ? `${name} (${key})` : key}`;
  process.stdout.write(
    printable`Baseline of ${who}: ${b.state}${b.approvedBy ? ` (approved by ${b.approvedBy} ${b.approvedAt})` : ''}\n` +
      printable`Window: ${plural(b.windowDays, 'day')}, ${b.windowStart} → ${b.windowEnd}; learned ${b.learnedAt} by ${b.learnedBy}; last seen ${b.lastSeen ?? 'never'}\n\n`,
  );
  process.stdout.write(
    formatTable(
      ['KIND', 'VALUE', 'EFFECT', 'ORIGIN', 'DETAILS', 'REASON'],
      b.entries.map((e) => [
        e.kind,
        e.value,
        e.effect,
        e.origin,
        Object.entries(e.details)
          .map(([k, v]) => `${k}=${detailText(v)}`)
          .join(' '),
        e.reason ?? '',
      ]),
    ),
  );
}

export function registerBaselineCommands(program: Command, cli: CliContext): void {
  const baseline = program
    .command('baseline')
    .description('Communication baselines per device and per model: learn, review, edit, approve');

  baseline
    .command('learn')
    .description('Learn (or re-learn) baselines from the communications of the last N days')
    .option('--site <site>', 'only communications of this site (id or name)')
    .option('--days <n>', 'window in days (default 7)', (v) => Number.parseInt(v, 10))
    .option('--json', 'print the report as JSON')
    .action(
      action(async (o: { site?: string; days?: number; json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await learnBaselinesFromTraffic(vdb, cli.actor(), {
          ...(o.site ? { siteId: o.site } : {}),
          ...(o.days !== undefined ? { days: o.days } : {}),
        });
        if (o.json) return printJson(r);
        process.stdout.write(
          printable`Learned ${r.devices} device and ${r.models} model baselines (${r.created} new, ${r.updated} re-learned) from ${r.windowStart} to ${r.windowEnd}.\nReview with \`vigil baseline show DEVICE\`, then \`vigil baseline approve\`.\n`,
        );
      }),
    );

  baseline
    .command('list')
    .description('List baselines')
    .option('--site <site>', 'only this site (id or name)')
    .option('--state <state>', 'learning | active')
    .option('--scope <scope>', 'device | model')
    .option('--json', 'print a JSON array (with entries)')
    .action(
      action(async (o: { site?: string; state?: string; scope?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listBaselineViews(vdb, cli.actor(), {
          ...(o.site ? { siteId: o.site } : {}),
          ...(o.state ? { state: o.state } : {}),
          ...(o.scope ? { scope: o.scope } : {}),
        });
        if (o.json) return printJson(list);
        const names = await subjectNames(vdb, list);
        process.stdout.write(
          formatTable(
            ['SCOPE', 'SUBJECT', 'STATE', 'ENTRIES', 'WINDOW', 'LAST SEEN', 'ID'],
            list.map((b) => [
              b.scope,
              names.get(b.id) ?? b.deviceId ?? b.modelId,
              b.state,
              b.entries.length,
              `${b.windowDays}d`,
              b.lastSeen ?? '',
              b.id,
            ]),
          ),
        );
      }),
    );

  baseline
    .command('show')
    .description("Show a device's or a model's baseline and its entries")
    .argument('[device]', 'device id, MAC, asset tag, serial or UDI')
    .option('--model <id>', 'the model baseline instead (model id or name)')
    .option('--json', 'print the baseline as JSON')
    .action(
      action(async (device: string | undefined, o: SubjectOpts & { json?: boolean }) => {
        const { vdb } = await cli.get();
        const b = await showBaseline(vdb, cli.actor(), subject(device, o));
        if (o.json) return printJson(b);
        printBaseline(b, (await subjectNames(vdb, [b])).get(b.id));
      }),
    );

  for (const effect of ['allow', 'deny', 'remove'] as const) {
    baseline
      .command(effect)
      .description(
        effect === 'allow'
          ? 'Add an entry by hand (e.g. --kind peer --value out:internet)'
          : effect === 'deny'
            ? 'Mark an entry as not allowed: the rules alert on it even if it was learned'
            : 'Remove an entry that was added or denied by hand',
      )
      .argument('[device]', 'device id, MAC, asset tag, serial or UDI')
      .option('--model <id>', 'the model baseline instead')
      .requiredOption('--kind <kind>', 'peer | service | protocol | dicom-ae | hl7-receiver | volume')
      .requiredOption(
        '--value <value>',
        'e.g. out:internet, in:model:<id>, 104/tcp, dicom, PACS_MAIN, device:<id>',
      )
      .requiredOption('--reason <text>', 'why (kept on the entry and in the audit log)')
      .option('--json', 'print the baseline after the change as JSON')
      .action(
        action(
          async (
            device: string | undefined,
            o: SubjectOpts & { kind: string; value: string; reason: string; json?: boolean },
          ) => {
            const { vdb } = await cli.get();
            const b = await editBaselineEntry(vdb, cli.actor(), effect, {
              ...subject(device, o),
              kind: o.kind,
              value: o.value,
              reason: o.reason,
            });
            if (o.json) return printJson(b);
            process.stdout.write(
              printable`${effect === 'remove' ? 'Removed' : effect === 'allow' ? 'Allowed' : 'Denied'} ${o.kind} "${o.value}" in baseline ${b.id}.\n`,
            );
          },
        ),
      );
  }

  baseline
    .command('approve')
    .description('Approve baselines (learning → active): from then on traffic outside them raises alerts')
    .argument('[device]', 'device id, MAC, asset tag, serial or UDI')
    .option('--model <id>', 'the model baseline instead')
    .option('--all', 'every baseline still learning')
    .option('--site <site>', 'with --all: only this site (id or name)')
    .option('--json', 'print {approved: [ids]} as JSON')
    .action(
      action(
        async (
          device: string | undefined,
          o: SubjectOpts & { all?: boolean; site?: string; json?: boolean },
        ) => {
          const { vdb } = await cli.get();
          const r = await approveBaselines(vdb, cli.actor(), {
            ...subject(device, o),
            ...(o.all ? { all: true } : {}),
            ...(o.site ? { siteId: o.site } : {}),
          });
          if (o.json) return printJson(r);
          process.stdout.write(printable`Approved ${plural(r.approved.length, 'baseline')}.\n`);
        },
      ),
    );

  baseline
    .command('check-availability')
    .description(
      'Raise device-not-seen alerts for devices with an active baseline silent longer than --hours',
    )
    .option('--hours <n>', 'silence that raises an alert (default 24)', (v) => Number(v))
    .option('--json', 'print the report as JSON')
    .action(
      action(async (o: { hours?: number; json?: boolean }) => {
        const { vdb, config } = await cli.get();
        const r = await checkAvailability(vdb, cli.actor(), {
          ...(o.hours !== undefined ? { hours: o.hours } : {}),
          rateLimit: config.alertRateLimitPerHour,
        });
        if (o.json) return printJson(r);
        process.stdout.write(
          printable`Checked ${plural(r.checked, 'device')}: ${r.notSeen} not seen for ${plural(r.hours, 'hour')} (${plural(r.created, 'new alert')}, ${r.updated} updated).\n`,
        );
      }),
    );
}
