/**
 * @module `vigil audit verify|list|export`.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import {
  appendAudit,
  checkAuditAnchor,
  exportAudit,
  listAudit,
  verifyAuditChain,
} from '../../audit/audit-log.js';
import {
  claimedRestoreReason,
  type RecordedRestore,
  recordedRestores,
  restoreClaimed,
  restoreReplacing,
} from '../../backup/audit-anchor.js';
import { readManifest } from '../../backup/manifest.js';
import { VigilError } from '../../errors.js';
import { plural } from '../../format-count.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

export function registerAuditCommands(program: Command, cli: CliContext): void {
  const audit = program.command('audit').description('The append-only audit log');

  audit
    .command('verify')
    .description('Recompute the hash chain; exit 1 and name the first broken entry if it does not hold')
    .option(
      '--against <backup>',
      "also check that the log still holds the head a backup's manifest recorded (nothing cut off or rewritten since)",
    )
    .option('--json', 'print JSON')
    .action(
      action(async (o: { against?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const result = await verifyAuditChain(vdb);
        let anchor:
          | {
              file: string;
              entries: number;
              ok: boolean;
              reason?: string;
              replacedByRestore?: RecordedRestore;
            }
          | undefined;
        if (o.against) {
          const manifest = await readManifest(o.against);
          if (!manifest)
            throw new VigilError(
              'invalid_input',
              `${o.against} has no backup manifest (${o.against}.json) beside it`,
            );
          const check = await checkAuditAnchor(vdb, manifest.audit);
          anchor = { file: o.against, entries: manifest.audit.entries, ...check };
          // A backup of a log that a restore replaced (its safety copy, say) shows that restore, not a cut,
          // when the log proves the restore (backup/audit-anchor.ts): the restored log rightly lacks its
          // entries. The restored backup's manifest counts as proof too, as the file checked here does.
          const restores = check.ok ? [] : await recordedRestores(vdb, { manifests: true });
          const restore = restoreReplacing(restores, { startedAt: manifest.createdAt });
          const claimed = restore ? undefined : restoreClaimed(restores, { startedAt: manifest.createdAt });
          if (restore)
            anchor = {
              ...anchor,
              ok: true,
              reason: `it recorded the log that \`vigil db restore\` replaced on ${restore.at} (audit entry ${restore.seq}, which put back ${restore.restoredFile ?? 'a backup'} of ${restore.restoredCreatedAt}); the restored log rightly does not hold its ${plural(manifest.audit.entries, 'entry', 'entries')}, so this shows no cut. Check against a backup taken since the restore`,
              replacedByRestore: restore,
            };
          else if (claimed)
            anchor = { ...anchor, reason: `${anchor.reason}; ${claimedRestoreReason(claimed)}` };
        }
        if (o.json) printJson(anchor ? { ...result, anchor } : result);
        else {
          if (result.ok)
            process.stdout.write(
              printable`Audit chain intact: ${plural(result.entries, 'entry', 'entries')} verified.\n`,
            );
          else {
            const b = result.firstBroken!;
            process.stdout.write(
              printable`Audit chain BROKEN at entry seq ${b.seq} (id ${b.id}): ${b.reason}. ${plural(result.entries, 'entry', 'entries')} before it verified.\n`,
            );
          }
          if (anchor)
            process.stdout.write(
              anchor.ok && !anchor.replacedByRestore
                ? printable`The ${plural(anchor.entries, 'entry', 'entries')} recorded by backup ${anchor.file} are all still there, unchanged.\n`
                : printable`Against backup ${anchor.file}: ${anchor.reason}.\n`,
            );
        }
        if (!result.ok || (anchor && !anchor.ok)) process.exitCode = 1;
      }),
    );

  audit
    .command('list')
    .description('Audit entries, newest first')
    .option('--since <date>', 'from this ISO date/time')
    .option('--until <date>', 'before this ISO date/time')
    .option('--actor <name>', 'only this actor')
    .option('--action <prefix>', 'only actions starting with this, e.g. auth. or device.')
    .option('--limit <n>', 'at most this many', (v) => Number.parseInt(v, 10), 50)
    .option('--json', 'print JSON')
    .action(
      action(
        async (o: {
          since?: string;
          until?: string;
          actor?: string;
          action?: string;
          limit: number;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          const entries = await listAudit(vdb, o);
          if (o.json) return printJson(entries);
          process.stdout.write(
            formatTable(
              ['SEQ', 'AT', 'ACTOR', 'ACTION', 'OUTCOME', 'TARGET', 'FROM'],
              entries.map((e) => [
                e.seq,
                e.at,
                e.actor,
                e.action,
                e.outcome,
                e.targetType ? `${e.targetType}:${e.targetId ?? ''}` : null,
                e.ip,
              ]),
            ),
          );
        },
      ),
    );

  audit
    .command('export')
    .description('Export entries in chain order as JSON lines (for archiving or a SIEM)')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option('--since <date>', 'from this ISO date/time')
    .option('--until <date>', 'before this ISO date/time')
    .action(
      action(async (o: { output?: string; since?: string; until?: string }) => {
        const { vdb } = await cli.get();
        await appendAudit(vdb, {
          actor: cli.actor(),
          action: 'audit.export',
          summary: { since: o.since ?? null, until: o.until ?? null, output: o.output ?? 'stdout' },
        });
        const out: Writable = o.output ? createWriteStream(o.output, { mode: 0o600 }) : process.stdout;
        let n = 0;
        for await (const entry of exportAudit(vdb, o)) {
          if (!out.write(`${JSON.stringify(entry)}\n`)) await once(out, 'drain');
          n++;
        }
        if (o.output) {
          out.end();
          await once(out, 'finish').catch((e: Error) => {
            throw new VigilError('internal', `Cannot write ${o.output}: ${e.message}`);
          });
          process.stderr.write(printable`Exported ${n} audit entries to ${o.output}.\n`);
        }
      }),
    );
}
