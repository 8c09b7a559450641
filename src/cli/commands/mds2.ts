/**
 * @module `vigil mds2 import FILE.xlsx [--model ID]` and `vigil mds2 show MODEL`: MDS2 forms (ANSI/NEMA
 * HN 1-2019 workbooks) imported per model, their answers and derived capabilities (docs/manufacturers.md).
 */

import type { Command } from 'commander';
import { plural } from '../../format-count.js';
import { importMds2, MAX_MDS2_BYTES, showMds2 } from '../../program/mds2/mds2-service.js';
import { readCappedFile } from '../../read-capped-file.js';
import type { CliContext } from '../cli-context.js';
import { formatLines, formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

const yn = (v: boolean | null) => (v === null ? '-' : v ? 'yes' : 'no');

export function registerMds2Commands(program: Command, cli: CliContext): void {
  const mds2 = program
    .command('mds2')
    .description('MDS2 forms (manufacturer disclosure statements) per model');

  mds2
    .command('import <file>')
    .description('Import a filled MDS2 workbook (.xlsx) for the model(s) DOC-3 names, or --model')
    .option('--model <model>', 'model id or name (default: DOC-1 manufacturer and DOC-3 model of the form)')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (file: string, o: { model?: string; json?: boolean }) => {
        const data = await readCappedFile(file, { what: 'an MDS2 workbook', maxBytes: MAX_MDS2_BYTES });
        const { vdb } = await cli.get();
        const r = await importMds2(vdb, cli.actor(), {
          data,
          fileName: file,
          ...(o.model ? { model: o.model } : {}),
        });
        if (o.json) return printJson(r);
        process.stdout.write(
          printable`${r.file}: MDS2 ${r.formId ?? '(no DOC-4)'} of ${r.manufacturer ?? '?'} ${r.model ?? '?'}, released ${r.releaseDate ?? '?'}, ${plural(r.answers, 'answer')} (sheet '${r.sheet}').\n`,
        );
        for (const f of r.forms)
          process.stdout.write(
            printable`  ${f.model}: ${f.created ? (f.current ? `now current${f.replaced ? `, replaced ${f.replaced} older` : ''}` : 'kept as history (older than the current form)') : 'already imported, unchanged'}; ${f.services.length} declared services${f.services.length ? ` (${f.services.map((s) => `${s.port}/${s.transport}`).join(', ')})` : ''}\n`,
          );
      }),
    );

  mds2
    .command('show <model>')
    .description("Show a model's current MDS2 form: capabilities, declared services, answers, history")
    .option('--json', 'print JSON')
    .action(
      action(async (model: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const v = await showMds2(vdb, cli.actor(), model);
        if (o.json) return printJson(v);
        if (!v.current) {
          process.stdout.write(printable`${v.model}: no MDS2 form imported.\n`);
          return;
        }
        const c = v.current.capabilities;
        const a = c.authentication;
        const lines = [
          `${v.model}: MDS2 ${v.current.formId ?? ''} released ${v.current.releaseDate ?? '?'} (${v.current.fileName}, imported ${v.current.importedAt})`,
          `declared services     ${c.services.map((s) => `${s.port}/${s.transport}${s.service ? ` ${s.service}` : ''}`).join(', ') || '-'}`,
          `encryption at rest    ${yn(c.encryptionAtRest)}    in transit ${yn(c.encryptionInTransit)}    TLS ${yn(c.tls)}`,
          `authentication        login ${yn(a.userLogin)}, roles ${yn(a.roleBased)}, unique accounts ${yn(a.uniqueAccounts)}, directory ${yn(a.externalDirectory)}, MFA ${yn(a.multiFactor)}, auto-logoff ${yn(a.autoLogoff)}`,
          `remote service        ${yn(c.remoteService)}`,
          `malware protection    anti-malware ${yn(c.malware.antiMalware)}, allowlisting ${yn(c.malware.allowlisting)}`,
          `SBOM available        ${yn(c.sbomAvailable)}`,
        ];
        process.stdout.write(formatLines(lines));
        process.stdout.write(
          formatTable(
            ['ID', 'ANSWER', 'NOTE', 'QUESTION'],
            v.current.answers.map((x) => [
              x.questionId,
              x.answer === 'text' ? x.value : x.answer,
              x.note,
              x.question,
            ]),
          ),
        );
        if (v.history.length)
          process.stdout.write(
            printable`\nHistory: ${v.history.map((h) => `${h.formId ?? h.fileName} ${h.releaseDate ?? '?'}`).join('; ')}\n`,
          );
      }),
    );
}
