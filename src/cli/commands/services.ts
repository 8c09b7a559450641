/**
 * @module `vigil services check`: unnecessary ports and services. Compares what each device was seen
 * listening on (captures, nmap, logs) with what its model needs (manufacturer profile, MDS2, fleet
 * majority) and writes `unnecessary-service` findings with evidence and the recommended action.
 */

import type { Command } from 'commander';
import { plural } from '../../format-count.js';
import { checkUnnecessaryServices } from '../../policy/unnecessary-services.js';
import { loadMds2Services } from '../../program/mds2/mds2-service.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

export function registerServicesCommands(program: Command, cli: CliContext): void {
  const services = program
    .command('services')
    .description('Services devices expose, and which they do not need');
  services
    .command('check')
    .description('Find services a device does not need and record them as unnecessary-service findings')
    .option('--json', 'print the report as JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        // Declared services from imported MDS2 forms (issue 7) tell what each model needs.
        const r = await checkUnnecessaryServices(vdb, cli.actor(), { mds2: await loadMds2Services(vdb) });
        if (o.json) return printJson(r);
        process.stdout.write(
          printable`${plural(r.devices, 'device')} checked: ${plural(r.items.length, 'unnecessary service')} ` +
            printable`(findings ${r.findings.created} new, ${r.findings.updated + r.findings.reopened} seen again).\n`,
        );
        if (r.items.length) {
          process.stdout.write('\n');
          process.stdout.write(
            formatTable(
              ['DEVICE', 'SERVICE', 'NEEDS FROM', 'RISK', 'ACTION', 'DEVICE ID'],
              r.items.map((i) => [i.deviceLabel, i.subject, i.needSource, i.risk, i.action, i.deviceId]),
            ),
          );
        }
      }),
    );
}
