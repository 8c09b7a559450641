/**
 * @module `vigil export fhir`: the device inventory as a FHIR R4 Bundle of Device resources.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { exportFhirBundle } from '../../export/fhir/fhir-export-service.js';
import type { CliContext } from '../cli-context.js';
import { printable } from '../io.js';
import { action } from '../run-command.js';

export function registerExportCommands(program: Command, cli: CliContext): void {
  const exp = program.command('export').description('Export the inventory in standard formats');
  exp
    .command('fhir')
    .description('Devices in service as a FHIR R4 Bundle (type collection) of Device resources')
    .option('--out <file>', 'write to this file instead of standard output')
    .option('--site <site>', 'only this site (id or name)')
    .option('--all', 'also retired and ignored devices (status inactive)')
    .action(
      action(async (o: { out?: string; site?: string; all?: boolean }) => {
        const ctx = await cli.get();
        const bundle = await exportFhirBundle(ctx.vdb, cli.actor(), {
          ...(o.site ? { site: o.site } : {}),
          ...(o.all ? { all: true } : {}),
        });
        const text = `${JSON.stringify(bundle, null, 2)}\n`;
        if (o.out) {
          // The inventory names every unit, where it stands and its serials: like `devices export -o`,
          // a new file is for its owner only.
          await writeFile(o.out, text, { mode: 0o600 });
          process.stderr.write(
            printable`Wrote ${(bundle['entry'] as unknown[]).length} Device resources to ${o.out}\n`,
          );
        } else process.stdout.write(text);
      }),
    );
}
