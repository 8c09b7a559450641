/**
 * @module `vigil manufacturers list|show|update|link-feed|model-support`, `vigil manufacturers documents
 * add|list` and `vigil manufacturers requests add|list|show|answer|follow-up|close|reopen`: manufacturer
 * contacts and feed subscriptions, support dates and documents on file per model, requests to
 * manufacturers (docs/manufacturers.md).
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { invalidInput, VigilError } from '../../errors.js';
import { plural } from '../../format-count.js';
import {
  addDocument,
  type DocumentKind,
  type DocumentWarning,
  linkFeed,
  listDocuments,
  listManufacturers,
  showManufacturer,
  updateManufacturer,
  updateModelSupport,
} from '../../program/manufacturers/manufacturers-service.js';
import {
  addRequest,
  answerRequest,
  closeRequest,
  followUpRequest,
  getRequest,
  listRequests,
  type ManufacturerRequest,
  reopenRequest,
} from '../../program/manufacturers/requests-service.js';
import type { CliContext } from '../cli-context.js';
import { formatLines, formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];
/** `--flag ""` clears a field. */
const orNull = (v: string | undefined) => (v === undefined ? undefined : v.trim() === '' ? null : v);
const months = (v: string | undefined) => (v === undefined ? undefined : Number(v));

async function fileFacts(path: string): Promise<{ fileName: string; sha256: string; size: number }> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw invalidInput(`${path} is not a file`);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return { fileName: basename(path), sha256: hash.digest('hex'), size: st.size };
  } catch (e) {
    if (e instanceof VigilError) throw e;
    throw invalidInput(`Cannot read ${path}: ${(e as Error).message}`);
  }
}

function printWarnings(warnings: readonly DocumentWarning[]): void {
  if (!warnings.length) return;
  process.stdout.write(printable`\nWarnings (${warnings.length}):\n`);
  for (const w of warnings) process.stdout.write(printable`  ${w.code.padEnd(15)} ${w.message}\n`);
}

function printRequest(r: ManufacturerRequest): void {
  const lines = [
    `${r.subject}`,
    `id            ${r.id}`,
    `manufacturer  ${r.manufacturer}`,
    `kind          ${r.kind}`,
    `models        ${r.models.map((m) => m.name).join(', ') || '-'}`,
    `status        ${r.status}${r.overdue ? ' (overdue)' : ''}`,
    `requested     ${r.requestedDate} by ${r.requestedBy}`,
    `due           ${r.dueDate ?? '-'}`,
    `answered      ${r.answeredDate ?? '-'}`,
    ...(r.answer ? ['answer', ...r.answer.split('\n').map((l) => `  ${l}`)] : []),
    'history',
    ...r.events.map((e) => `  ${e.at} ${e.actor} ${e.action}${e.note ? `: ${e.note}` : ''}`),
  ];
  process.stdout.write(formatLines(lines));
}

export function registerManufacturerCommands(program: Command, cli: CliContext): void {
  const mf = program
    .command('manufacturers')
    .description(
      'Manufacturer contacts and feeds, support dates, documents on file, requests to manufacturers',
    );

  mf.command('list')
    .description('List manufacturers with their PSIRT contact, feed subscription, devices and open requests')
    .option('--with-devices', 'only manufacturers with active devices')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { withDevices?: boolean; json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listManufacturers(vdb, cli.actor(), { withDevices: Boolean(o.withDevices) });
        if (o.json) return printJson(list);
        process.stdout.write(
          formatTable(
            ['NAME', 'DEVICES', 'MODELS', 'PSIRT', 'SUBSCRIBED', 'LAST SYNC', 'OPEN REQ', 'ID'],
            list.map((m) => [
              m.name,
              m.activeDevices,
              m.modelCount,
              m.psirt.email ?? m.psirt.url ?? m.psirt.phone,
              m.subscribed ? 'yes' : 'no',
              m.feeds
                .map((f) => f.lastSuccessAt)
                .sort()
                .at(-1),
              m.openRequests,
              m.id,
            ]),
          ),
        );
      }),
    );

  mf.command('show <manufacturer>')
    .description('Show a manufacturer: contacts, feeds, models with support dates and documents, warnings')
    .option('--older-than <months>', 'warn about documents older than this many months (default 24)')
    .option('--json', 'print JSON')
    .action(
      action(async (ref: string, o: { olderThan?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const staleMonths = months(o.olderThan);
        if (staleMonths !== undefined && (!Number.isInteger(staleMonths) || staleMonths < 1))
          throw invalidInput('--older-than must be a whole number of months');
        const m = await showManufacturer(vdb, cli.actor(), ref, staleMonths ? { staleMonths } : {});
        if (o.json) return printJson(m);
        const lines = [
          m.name,
          `id              ${m.id}`,
          `PSIRT           ${[m.psirt.email, m.psirt.url, m.psirt.phone].filter(Boolean).join('  ') || '-'}`,
          `account         ${[m.account.name, m.account.email, m.account.phone].filter(Boolean).join('  ') || '-'}`,
          `support portal  ${m.supportPortal ?? '-'}`,
          `notes           ${m.notes ?? '-'}`,
          `devices         ${m.activeDevices} active, ${plural(m.modelCount, 'model')}, ${plural(m.openRequests, 'open request')}`,
          `feeds           ${m.feeds.length ? '' : 'none (subscribe with vigil advisories subscribe, then link-feed)'}`,
          ...m.feeds.map(
            (f) =>
              `  ${f.name} [${f.enabled ? 'enabled' : 'disabled'}, ${f.link}] last success ${f.lastSuccessAt ?? 'never'}${f.lastError ? `, last error: ${f.lastError}` : ''}`,
          ),
          '',
        ];
        process.stdout.write(formatLines(lines));
        process.stdout.write(
          formatTable(
            [
              'MODEL',
              'DEVICES',
              'END OF SALE',
              'END OF SUPPORT',
              'END OF LIFE',
              'DOCUMENTS',
              'LAST REQUESTED',
            ],
            m.models.map((x) => [
              x.name,
              x.activeDevices,
              x.endOfSale,
              x.endOfSupport,
              x.endOfLife,
              x.documents.map((d) => `${d.kind} ${d.documentDate ?? d.receivedDate ?? ''}`.trim()),
              Object.entries(x.lastRequested).map(([k, v]) => `${k} ${v}`),
            ]),
          ),
        );
        printWarnings(m.warnings);
      }),
    );

  mf.command('update <manufacturer>')
    .description('Set contact details ("" clears a field)')
    .option('--psirt-email <email>', 'PSIRT e-mail address')
    .option('--psirt-url <url>', 'PSIRT or security advisories web page')
    .option('--psirt-phone <phone>', 'PSIRT phone number')
    .option('--account-name <name>', 'account or sales contact')
    .option('--account-email <email>', "account contact's e-mail")
    .option('--account-phone <phone>', "account contact's phone")
    .option('--support-portal <url>', 'customer support portal')
    .option('--notes <text>', 'notes')
    .option('--json', 'print JSON')
    .action(
      action(async (ref: string, o: Record<string, string | boolean | undefined>) => {
        const { vdb } = await cli.get();
        const fields = [
          'psirtEmail',
          'psirtUrl',
          'psirtPhone',
          'accountName',
          'accountEmail',
          'accountPhone',
          'supportPortal',
          'notes',
        ];
        const input = Object.fromEntries(
          fields.filter((f) => typeof o[f] === 'string').map((f) => [f, orNull(o[f] as string)]),
        );
        const m = await updateManufacturer(vdb, cli.actor(), ref, input);
        if (o['json']) return printJson(m);
        process.stdout.write(printable`Updated ${m.name} (${Object.keys(input).join(', ')}).\n`);
      }),
    );

  mf.command('link-feed <manufacturer> <feed>')
    .description(
      'Link a manufacturer to a CSAF feed subscription (by id or name; see vigil advisories feeds)',
    )
    .option('--unlink', 'remove the link instead')
    .option('--json', 'print JSON')
    .action(
      action(async (ref: string, feed: string, o: { unlink?: boolean; json?: boolean }) => {
        const { vdb } = await cli.get();
        const m = await linkFeed(vdb, cli.actor(), ref, feed, { unlink: Boolean(o.unlink) });
        if (o.json) return printJson(m);
        process.stdout.write(
          printable`${m.name}: ${plural(m.feeds.length, 'feed')}, ${m.subscribed ? 'subscribed' : 'not subscribed'}.\n`,
        );
      }),
    );

  mf.command('model-support <model>')
    .description('Set support dates of a model (YYYY-MM-DD; "" clears)')
    .option('--end-of-sale <date>', 'end of sale')
    .option('--end-of-support <date>', 'end of support (the model’s end_of_support)')
    .option('--end-of-life <date>', 'end of life')
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          model: string,
          o: { endOfSale?: string; endOfSupport?: string; endOfLife?: string; json?: boolean },
        ) => {
          const { vdb } = await cli.get();
          const input = {
            ...(o.endOfSale !== undefined ? { endOfSale: orNull(o.endOfSale) } : {}),
            ...(o.endOfSupport !== undefined ? { endOfSupport: orNull(o.endOfSupport) } : {}),
            ...(o.endOfLife !== undefined ? { endOfLife: orNull(o.endOfLife) } : {}),
          };
          const r = await updateModelSupport(vdb, cli.actor(), model, input);
          if (o.json) return printJson(r);
          process.stdout.write(
            printable`end of sale ${r.endOfSale ?? '-'}, end of support ${r.endOfSupport ?? '-'}, end of life ${r.endOfLife ?? '-'}\n`,
          );
        },
      ),
    );

  const docs = mf
    .command('documents')
    .description('Documents on file per model (MDS2, SBOM, white papers …)');
  docs
    .command('add')
    .description(
      'Record a document on file; with --file its name, size and SHA-256 are recorded (not copied)',
    )
    .requiredOption('--model <model>', 'model id or name')
    .requiredOption('--kind <kind>', 'mds2 | sbom | security-white-paper | patch-validation | other')
    .requiredOption('--title <title>', 'title')
    .option('--file <path>', 'the document file (hashed, not copied)')
    .option('--document-date <date>', "the document's own date (YYYY-MM-DD)")
    .option('--received-date <date>', 'when it was received (default today)')
    .option('--notes <text>', 'notes')
    .option('--json', 'print JSON')
    .action(
      action(
        async (o: {
          model: string;
          kind: string;
          title: string;
          file?: string;
          documentDate?: string;
          receivedDate?: string;
          notes?: string;
          json?: boolean;
        }) => {
          const facts = o.file ? await fileFacts(o.file) : undefined;
          const { vdb } = await cli.get();
          const d = await addDocument(vdb, cli.actor(), {
            model: o.model,
            kind: o.kind,
            title: o.title,
            ...(o.documentDate ? { documentDate: o.documentDate } : {}),
            ...(o.receivedDate ? { receivedDate: o.receivedDate } : {}),
            ...(o.notes ? { notes: o.notes } : {}),
            ...(facts ?? {}),
          });
          if (o.json) return printJson(d);
          process.stdout.write(
            printable`${d.created ? 'Recorded' : 'Already on file:'} ${d.kind} "${d.title}" (${d.id})${d.sha256 ? ` sha256 ${d.sha256}` : ''}\n`,
          );
        },
      ),
    );
  docs
    .command('list')
    .description('Documents on file, with warnings for models in use (no MDS2, no SBOM, stale documents)')
    .option('--manufacturer <manufacturer>', 'only this manufacturer')
    .option('--model <model>', 'only this model')
    .option('--kind <kind>', 'only this kind')
    .option('--older-than <months>', 'warn about documents older than this many months (default 24)')
    .option('--json', 'print {documents, warnings} as JSON')
    .action(
      action(
        async (o: {
          manufacturer?: string;
          model?: string;
          kind?: string;
          olderThan?: string;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          const staleMonths = months(o.olderThan);
          const r = await listDocuments(vdb, cli.actor(), {
            ...(o.manufacturer ? { manufacturer: o.manufacturer } : {}),
            ...(o.model ? { model: o.model } : {}),
            ...(o.kind ? { kind: o.kind as DocumentKind } : {}),
            ...(staleMonths !== undefined ? { staleMonths } : {}),
          });
          if (o.json) return printJson(r);
          process.stdout.write(
            formatTable(
              ['MANUFACTURER', 'MODEL', 'KIND', 'TITLE', 'DATE', 'RECEIVED', 'FILE', 'ID'],
              r.documents.map((d) => [
                d.manufacturer,
                d.model,
                d.kind,
                d.title,
                d.documentDate,
                d.receivedDate,
                d.fileName,
                d.id,
              ]),
            ),
          );
          printWarnings(r.warnings);
        },
      ),
    );

  const req = mf.command('requests').description('Requests to manufacturers, their answers and follow-ups');
  req
    .command('add')
    .description(
      'Record a request to a manufacturer (an SBOM/MDS2/patch-validation request marks it requested)',
    )
    .requiredOption('--manufacturer <manufacturer>', 'manufacturer id or name')
    .requiredOption('--kind <kind>', 'patch-validation | sbom | mds2 | vulnerability-question | other')
    .requiredOption('--subject <text>', 'what was asked')
    .option('--model <model>', 'model id or name (repeatable)', collect)
    .option('--requested <date>', 'when it was asked (default today)')
    .option('--due <date>', 'when an answer is due')
    .option('--note <text>', 'a note on the request')
    .option('--json', 'print JSON')
    .action(
      action(
        async (o: {
          manufacturer: string;
          kind: string;
          subject: string;
          model?: string[];
          requested?: string;
          due?: string;
          note?: string;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          const r = await addRequest(vdb, cli.actor(), {
            manufacturer: o.manufacturer,
            kind: o.kind,
            subject: o.subject,
            ...(o.model ? { models: o.model } : {}),
            ...(o.requested ? { requestedDate: o.requested } : {}),
            ...(o.due ? { dueDate: o.due } : {}),
            ...(o.note ? { note: o.note } : {}),
          });
          if (o.json) return printJson(r);
          process.stdout.write(printable`Request ${r.id} recorded (${r.kind}, due ${r.dueDate ?? '-'}).\n`);
        },
      ),
    );
  req
    .command('list')
    .description('List requests, newest first')
    .option('--manufacturer <manufacturer>', 'only this manufacturer')
    .option('--status <status>', 'open | answered | closed (repeatable)', collect)
    .option('--overdue', 'only open requests past their due date')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { manufacturer?: string; status?: string[]; overdue?: boolean; json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listRequests(vdb, cli.actor(), {
          ...(o.manufacturer ? { manufacturer: o.manufacturer } : {}),
          ...(o.status ? { status: o.status } : {}),
          ...(o.overdue ? { overdue: true } : {}),
        });
        if (o.json) return printJson(list);
        process.stdout.write(
          formatTable(
            ['MANUFACTURER', 'KIND', 'SUBJECT', 'MODELS', 'REQUESTED', 'DUE', 'STATUS', 'ID'],
            list.map((r) => [
              r.manufacturer,
              r.kind,
              r.subject,
              r.models.map((m) => m.name),
              r.requestedDate,
              r.dueDate,
              r.overdue ? 'overdue' : r.status,
              r.id,
            ]),
          ),
        );
      }),
    );
  req
    .command('show <id>')
    .description('Show a request with its history')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await getRequest(vdb, cli.actor(), id);
        if (o.json) return printJson(r);
        printRequest(r);
      }),
    );
  req
    .command('answer <id>')
    .description("Record the manufacturer's answer")
    .requiredOption('--answer <text>', 'the answer')
    .option('--date <date>', 'when it was answered (default today)')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, o: { answer: string; date?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await answerRequest(vdb, cli.actor(), id, {
          answer: o.answer,
          ...(o.date ? { answeredDate: o.date } : {}),
        });
        if (o.json) return printJson(r);
        printRequest(r);
      }),
    );
  req
    .command('follow-up <id>')
    .description('Record a follow-up (a reminder sent, a call) and optionally a new due date')
    .option('--note <text>', 'what was done')
    .option('--due <date>', 'new due date')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, o: { note?: string; due?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await followUpRequest(vdb, cli.actor(), id, {
          ...(o.note ? { note: o.note } : {}),
          ...(o.due !== undefined ? { dueDate: orNull(o.due) } : {}),
        });
        if (o.json) return printJson(r);
        printRequest(r);
      }),
    );
  for (const [name, fn, what] of [
    ['close', closeRequest, 'Close a request'],
    ['reopen', reopenRequest, 'Reopen an answered or closed request'],
  ] as const) {
    req
      .command(`${name} <id>`)
      .description(what)
      .option('--note <text>', 'why')
      .option('--json', 'print JSON')
      .action(
        action(async (id: string, o: { note?: string; json?: boolean }) => {
          const { vdb } = await cli.get();
          const r = await fn(vdb, cli.actor(), id, o.note ? { note: o.note } : {});
          if (o.json) return printJson(r);
          printRequest(r);
        }),
      );
  }
}
