/**
 * @module `vigil sbom import|list` and `vigil vex import|add|list|export`: manufacturers' SBOMs per device
 * model and version, and VEX statements (imported, or the hospital's own) that say where a
 * vulnerability does not apply, is fixed or is under investigation.
 */

import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  addVexStatement,
  exportVex,
  importSbom,
  importVex,
  listVex,
  sbomList,
  sbomView,
  vexView,
} from '../../advisories/sbom-vex-service.js';
import { plural } from '../../format-count.js';
import { resolveDevice } from '../../inventory/inventory-service.js';
import type { DbHandle } from '../../store/transaction.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';
import { matchLine } from './advisories.js';

/**
 * `--device` as people give it (asset tag, serial, address) → the device id the service takes: the
 * asset tag was refused as "Device BME-13001 not found".
 */
async function deviceIdOf(vdb: DbHandle, cli: CliContext, ref: string): Promise<string> {
  return (await resolveDevice(vdb, cli.actor(), ref)).id;
}

export function registerSbomVexCommands(program: Command, cli: CliContext): void {
  const sbom = program
    .command('sbom')
    .description('Software bills of materials per device model and version');

  sbom
    .command('import <file>')
    .description(
      'Attach a CycloneDX (1.2–1.6, JSON or XML) or SPDX 2.3 JSON SBOM to a device model and version',
    )
    .requiredOption('--model <name>', 'the device model (name or model number) as in the inventory')
    .option('--manufacturer <name>', 'needed when two manufacturers have a model of that name')
    .option(
      '--version <version>',
      'the software/firmware version the SBOM describes (default: every version)',
    )
    .option('--json', 'print the result as JSON')
    .action(
      action(
        async (
          file: string,
          o: { model: string; manufacturer?: string; version?: string; json?: boolean },
        ) => {
          const { vdb } = await cli.get();
          // The service reads the file (size-capped; a missing file or a directory is refused by name).
          const r = await importSbom(vdb, cli.actor(), file, {
            model: o.model,
            ...(o.manufacturer ? { manufacturer: o.manufacturer } : {}),
            ...(o.version ? { version: o.version } : {}),
          });
          if (o.json) return printJson(r);
          process.stdout.write(
            printable`${r.status === 'unchanged' ? 'Already imported' : 'Imported'}: ${r.format} ${r.specVersion} SBOM for ${r.model.manufacturer} ${r.model.name}${r.softwareVersion ? ` ${r.softwareVersion}` : ' (every version)'}: ${plural(r.components, 'component')}, ${r.withPurl} with a purl.\n`,
          );
          for (const i of r.issues.slice(0, 20))
            process.stdout.write(printable`  ${i.where}: ${i.message}\n`);
          if (r.match) process.stdout.write(printable`${matchLine(r.match)}\n`);
        },
      ),
    );

  sbom
    .command('list')
    .description('List SBOMs with their model, version and provenance')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const rows = await sbomList(vdb, cli.actor());
        if (o.json) return printJson(rows.map(sbomView));
        process.stdout.write(
          formatTable(
            ['MANUFACTURER', 'MODEL', 'VERSION', 'FORMAT', 'COMPONENTS', 'FILE', 'IMPORTED', 'BY'],
            rows.map((s) => [
              s.manufacturer,
              s.model,
              s.software_version ?? '(all)',
              `${s.format} ${s.spec_version}`,
              s.component_count,
              s.file,
              s.imported_at.slice(0, 16),
              s.imported_by,
            ]),
          ),
        );
      }),
    );

  const vex = program.command('vex').description('VEX statements: import, write your own, list, export');

  vex
    .command('import <file>')
    .description(
      'Import CSAF VEX, OpenVEX or CycloneDX VEX; statements without a purl need --model/--version or --device',
    )
    .option('--model <name>', 'the device model the statements speak for')
    .option('--manufacturer <name>', 'needed when two manufacturers have a model of that name')
    .option(
      '--version <version>',
      'the model version (default: the product version in the statement, else every version)',
    )
    .option('--device <device>', 'a single device the statements speak for (id, asset tag, serial …)')
    .option('--json', 'print the result as JSON')
    .action(
      action(
        async (
          file: string,
          o: { model?: string; manufacturer?: string; version?: string; device?: string; json?: boolean },
        ) => {
          const { vdb } = await cli.get();
          const { json, device, ...rest } = o;
          const scope = { ...rest, ...(device ? { device: await deviceIdOf(vdb, cli, device) } : {}) };
          const r = await importVex(vdb, cli.actor(), file, scope);
          if (json) return printJson(r);
          process.stdout.write(
            printable`${r.format} VEX: ${plural(r.statements, 'statement')}, ${r.stored} stored, ${r.skipped.length} skipped.\n`,
          );
          for (const i of [...r.skipped, ...r.issues].slice(0, 20))
            process.stdout.write(printable`  ${i.where}: ${i.message}\n`);
          if (r.match) process.stdout.write(printable`${matchLine(r.match)}\n`);
          if (r.skipped.length) process.exitCode = 65;
        },
      ),
    );

  vex
    .command('add')
    .description(
      "Write the hospital's own statement, e.g. not-affected because segmentation blocks the service",
    )
    .requiredOption('--vuln <id>', 'CVE id (or advisory-local key)')
    .requiredOption('--status <status>', 'not-affected | affected | fixed | under-investigation')
    .option(
      '--justification <label>',
      'component_not_present | vulnerable_code_not_present | vulnerable_code_not_in_execute_path | vulnerable_code_cannot_be_controlled_by_adversary | inline_mitigations_already_exist',
    )
    .option('--statement <text>', 'impact statement: why it does not apply')
    .option('--action <text>', 'action statement (required for affected)')
    .option('--model <name>', 'the device model it speaks for')
    .option('--manufacturer <name>', 'needed when two manufacturers have a model of that name')
    .option('--version <version>', 'only this version of the model')
    .option('--device <device>', 'a single device (id, asset tag, serial …)')
    .option('--json', 'print JSON')
    .action(
      action(async (o: Record<string, string | boolean | undefined>) => {
        const { json, vuln, device, ...rest } = o;
        const { vdb } = await cli.get();
        const deviceId = typeof device === 'string' ? await deviceIdOf(vdb, cli, device) : undefined;
        const input = Object.fromEntries(
          Object.entries({ vulnerability: vuln, ...rest, device: deviceId }).filter(
            ([, v]) => v !== undefined,
          ),
        );
        const row = await addVexStatement(vdb, cli.actor(), input);
        if (json) return printJson(row);
        process.stdout.write(
          printable`VEX statement ${row.id}: ${row.vuln_key} ${row.status} for ${row.product}.\n`,
        );
      }),
    );

  vex
    .command('list')
    .description('List VEX statements (imported and the hospital’s own)')
    .option('--vuln <id>', 'only this vulnerability')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { vuln?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const rows = await listVex(vdb, cli.actor(), o.vuln);
        if (o.json) return printJson(rows.map(vexView));
        process.stdout.write(
          formatTable(
            ['VULNERABILITY', 'STATUS', 'JUSTIFICATION', 'PRODUCT', 'ORIGIN', 'AUTHOR', 'WHEN'],
            rows.map((r) => [
              r.vuln_key,
              r.status,
              r.justification ?? r.impact_statement,
              r.product,
              r.origin,
              r.author,
              (r.statement_time ?? r.created_at).slice(0, 10),
            ]),
          ),
        );
      }),
    );

  vex
    .command('export')
    .description("Export the hospital's statements as OpenVEX or CSAF VEX")
    .requiredOption('--format <format>', 'openvex | csaf')
    .option('--all', 'include imported statements')
    .option('--author <name>', 'author / publisher name')
    .option('--namespace <url>', 'CSAF publisher namespace URL')
    .option('--output <file>', 'write to a file instead of standard output')
    .action(
      action(
        async (o: {
          format: string;
          all?: boolean;
          author?: string;
          namespace?: string;
          output?: string;
        }) => {
          const { output, ...rest } = o;
          const opts = rest;
          const { vdb } = await cli.get();
          const doc = await exportVex(vdb, cli.actor(), opts);
          const text = `${JSON.stringify(doc, null, 2)}\n`;
          if (output) await writeFile(output, text, { mode: 0o640 });
          else process.stdout.write(text);
        },
      ),
    );
}
