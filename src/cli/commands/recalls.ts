/**
 * @module `vigil recalls import|list|show|match|matches|confirm|reject` (FDA recalls, enforcement
 * reports, product codes and GUDID records, matched to the inventory) and `vigil udi parse` (a UDI as
 * entered or scanned, GS1/HIBCC/ICCBBA).
 */

import type { Command } from 'commander';
import { formatIssue, invalidInput } from '../../errors.js';
import { plural } from '../../format-count.js';
import { resolveDevice } from '../../inventory/inventory-service.js';
import { IMPORT_KINDS, type ImportKind, importRecallFiles } from '../../recalls/recall-import.js';
import {
  decideRecallMatch,
  getRecallDetail,
  listRecallMatches,
  listRecalls,
  MATCH_STATES,
  parseUdiFor,
  type RecallMatchState,
  runRecallMatch,
} from '../../recalls/recall-service.js';
import type { CliContext } from '../cli-context.js';
import { formatLines, formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerRecallCommands(program: Command, cli: CliContext): void {
  const recalls = program
    .command('recalls')
    .description('FDA recalls and device identity: import openFDA files, match recalls to devices');

  recalls
    .command('import <files...>')
    .description(
      'Import openFDA download files (.json or .json.zip): device recall, enforcement, classification, UDI',
    )
    .option('--kind <kind>', `${IMPORT_KINDS.join(' | ')} (detected from the content when omitted)`)
    .option('--json', 'print the result as JSON')
    .action(
      action(async (files: string[], o: { kind?: string; json?: boolean }) => {
        if (o.kind && !IMPORT_KINDS.includes(o.kind as ImportKind))
          throw invalidInput(`--kind must be one of ${IMPORT_KINDS.join(', ')}`);
        const { vdb } = await cli.get();
        const r = await importRecallFiles(vdb, cli.actor(), { files, ...(o.kind ? { kind: o.kind } : {}) });
        if (o.json) printJson(r);
        else {
          for (const f of r.files) {
            process.stdout.write(
              printable`${f.file}: ${f.kind ?? 'unknown'}, ${plural(f.records, 'record')}, ${f.stored} stored, ${f.bad} bad${f.error ? `; stopped: ${f.error}` : ''}\n`,
            );
            for (const i of f.issues.slice(0, 20)) process.stderr.write(printable`  ${formatIssue(i)}\n`);
            if (f.issues.length > 20) process.stderr.write(printable`  … ${f.bad - 20} more bad records\n`);
          }
        }
        if (r.files.some((f) => f.error)) process.exitCode = 65;
      }),
    );

  recalls
    .command('list')
    .description('Recalls, most recently initiated first')
    .option('--cyber', 'only recalls whose reason, root cause or action is about cybersecurity')
    .option('--source <source>', 'recall | enforcement')
    .option('--product-code <code>', 'FDA product code, e.g. FRN')
    .option('--firm <text>', 'recalling firm contains this text')
    .option('--matched', 'only recalls that match a device')
    .option('--limit <n>', 'at most this many (default 100, max 1000)')
    .option('--offset <n>', 'skip this many')
    .option('--json', 'print {items, total, limit, offset} as JSON')
    .action(
      action(
        async (o: {
          cyber?: boolean;
          source?: string;
          productCode?: string;
          firm?: string;
          matched?: boolean;
          limit?: string;
          offset?: string;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          const page = await listRecalls(vdb, cli.actor(), {
            ...(o.cyber ? { cyber: true } : {}),
            ...(o.source ? { source: o.source } : {}),
            ...(o.productCode ? { productCode: o.productCode } : {}),
            ...(o.firm ? { firm: o.firm } : {}),
            ...(o.matched ? { matched: true } : {}),
            ...(o.limit !== undefined ? { limit: o.limit } : {}),
            ...(o.offset !== undefined ? { offset: o.offset } : {}),
          });
          if (o.json) return printJson(page);
          process.stdout.write(
            formatTable(
              ['RECALL', 'SOURCE', 'CLASS', 'INITIATED', 'CODE', 'FIRM', 'STATUS', 'CYBER', 'PRODUCT'],
              page.items.map((r) => [
                r.recallNumber,
                r.source,
                r.classification,
                r.initiated,
                r.productCode,
                r.recallingFirm,
                r.status,
                r.cyber ? 'yes' : '',
                r.productDescription?.slice(0, 60) ?? null,
              ]),
            ),
          );
          if (page.total > page.offset + page.items.length)
            process.stderr.write(
              printable`${page.offset + 1}–${page.offset + page.items.length} of ${page.total}; next: --offset ${page.offset + page.items.length}\n`,
            );
        },
      ),
    );

  recalls
    .command('show <recall>')
    .description('One recall (id or recall number such as Z-0418-05) with its matches and campaigns')
    .option('--json', 'print JSON')
    .action(
      action(async (ref: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await getRecallDetail(vdb, cli.actor(), ref);
        if (o.json) return printJson(r);
        const line = (k: string, v: unknown) =>
          v === null || v === undefined || v === '' ? [] : [`${k.padEnd(13)}${v}`];
        const lines = [
          `${r.recallNumber} (${r.source})${r.cyber ? `  CYBERSECURITY: ${r.cyberTerms.join(', ')}` : ''}`,
          ...line('firm', r.recallingFirm),
          ...line('class', r.classification),
          ...line('status', r.status),
          ...line('initiated', r.initiated),
          ...line(
            'product code',
            r.productCode
              ? `${r.productCode}${r.productCodeInfo?.deviceName ? ` (${r.productCodeInfo.deviceName}, class ${r.productCodeInfo.deviceClass ?? '?'})` : ''}`
              : null,
          ),
          ...line('510(k)/PMA', [...r.kNumbers, ...r.pmaNumbers].join(', ')),
          ...line('product', r.productDescription),
          ...line('code info', r.codeInfo),
          ...line('reason', r.reason),
          ...line('root cause', r.rootCause),
          ...line('action', r.action),
          ...line('quantity', r.productQuantity),
          `matches      ${r.matches.length}`,
          ...r.matches.map(
            (m) =>
              `  ${m.state.padEnd(10)} ${m.confidence.padEnd(6)} ${m.basis.padEnd(12)} ${m.deviceLabel}  ${m.id}`,
          ),
          ...(r.campaigns.length
            ? ['campaigns', ...r.campaigns.map((c) => `  ${c.campaignId} (model ${c.modelId})`)]
            : []),
        ];
        process.stdout.write(formatLines(lines));
      }),
    );

  recalls
    .command('match')
    .description('Match every recall against the live inventory (decisions are kept)')
    .option('--campaigns', 'also open one recall campaign per affected model (once per recall and model)')
    .option('--due <date>', 'due date for the campaigns opened')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (o: { campaigns?: boolean; due?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await runRecallMatch(vdb, cli.actor(), {
          campaigns: !!o.campaigns,
          ...(o.due ? { due: o.due } : {}),
        });
        if (o.json) return printJson(r);
        process.stdout.write(
          printable`${plural(r.recalls, 'recall')} × ${plural(r.devices, 'device')}: ${r.added} added, ${r.updated} updated, ${r.removed} removed, ${r.unchanged} unchanged; ${
            Object.entries(r.byState)
              .map(([k, v]) => `${v} ${k}`)
              .join(', ') || 'no matches'
          }\n`,
        );
        for (const c of r.campaigns)
          process.stdout.write(
            printable`campaign ${c.campaignId} for ${c.recallNumber}: ${plural(c.tasksCreated, 'task')}\n`,
          );
      }),
    );

  recalls
    .command('matches')
    .description('Recall matches: which devices, on what basis, how sure')
    .option('--state <state>', `${MATCH_STATES.join(' | ')} (repeatable)`, collect)
    .option('--recall <recall>', 'only this recall (id or number)')
    .option('--device <device>', 'only this device (id, asset tag, serial, MAC, IP …)')
    .option('--cyber', 'only cybersecurity recalls')
    .option('--json', 'print JSON')
    .action(
      action(
        async (o: {
          state?: string[];
          recall?: string;
          device?: string;
          cyber?: boolean;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          // An asset tag found nothing before (the filter compared ids), which read as "not recalled".
          const device = o.device ? await resolveDevice(vdb, cli.actor(), o.device) : null;
          const ms = await listRecallMatches(vdb, cli.actor(), {
            ...(o.state ? { state: o.state as RecallMatchState[] } : {}),
            ...(o.recall ? { recall: o.recall } : {}),
            ...(device ? { deviceId: device.id } : {}),
            ...(o.cyber ? { cyber: true } : {}),
          });
          if (o.json) return printJson(ms);
          process.stdout.write(
            formatTable(
              ['RECALL', 'DEVICE', 'MODEL', 'BASIS', 'CONFIDENCE', 'STATE', 'CYBER', 'ID'],
              ms.map((m) => [
                m.recallNumber,
                m.deviceLabel,
                m.model,
                m.basis,
                m.confidence,
                m.state,
                m.cyber ? 'yes' : '',
                m.id,
              ]),
            ),
          );
        },
      ),
    );

  for (const [name, decision, what] of [
    ['confirm', 'confirm', 'Confirm a match: the device is affected'],
    ['reject', 'reject', 'Reject a match: the device is not affected'],
  ] as const) {
    recalls
      .command(`${name} <match>`)
      .description(what)
      .option('--reason <text>', 'why (kept with the decision)')
      .option('--json', 'print JSON')
      .action(
        action(async (id: string, o: { reason?: string; json?: boolean }) => {
          const { vdb } = await cli.get();
          const m = await decideRecallMatch(vdb, cli.actor(), id, {
            decision,
            ...(o.reason ? { reason: o.reason } : {}),
          });
          if (o.json) return printJson(m);
          process.stdout.write(printable`${m.recallNumber} × ${m.deviceLabel}: ${m.state}\n`);
        }),
      );
  }

  const udi = program.command('udi').description('Unique Device Identifiers (GS1, HIBCC, ICCBBA)');
  udi
    .command('parse <udi>')
    .description('Parse a UDI as printed or scanned: issuer, device identifier, lot, serial, dates')
    .option('--json', 'print JSON')
    .action(
      action((s: string, o: { json?: boolean }) => {
        const u = parseUdiFor(cli.actor(), s);
        if (o.json) return printJson(u);
        const rows: [string, unknown][] = [
          ['issuer', u.issuer],
          ['di', u.di],
          ['lot', u.lot],
          ['serial', u.serial],
          ['expiry', u.expiry],
          ['manufactured', u.manufactured],
          ...Object.entries(u.extra),
        ];
        const shown = rows.filter(([, v]) => v !== null && v !== undefined);
        // The widest label (HIBCC's unitOfMeasure) still gets a space before its value.
        const width = Math.max(13, ...shown.map(([k]) => k.length + 2));
        process.stdout.write(formatLines(shown.map(([k, v]) => `${k.padEnd(width)}${v}`)));
      }),
    );
}
