/**
 * @module `vigil sensors list [--site NAME] [--json]`: the remote sensors the ingest role has heard from
 * (issue 9) and their health: last seen, lag, spool, drops, version. `vigil sensors check-silent` raises
 * `sensor-silent` alerts now (the monitor role does it every minute).
 */
import type { Command } from 'commander';
import { invalidInput } from '../../errors.js';
import { checkSilentSensors, listSensors } from '../../scaleout/sensor-health.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export function registerSensorsCommand(program: Command, cli: CliContext): void {
  const sensors = program
    .command('sensors')
    .description('Remote sensors (vigil sensor --nats) and their health');
  sensors
    .command('list')
    .description('Every remote sensor: site, last seen, lag, spool, drops, version')
    .option('--site <name>', 'only this site (the NATS site name)')
    .option('--json', 'print the list as JSON (docs/scaleout.md)')
    .action(
      action(async (o: { site?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listSensors(vdb, cli.actor(), o.site ? { site: o.site } : {});
        if (o.json) return printJson(list);
        if (!list.length) return void process.stdout.write('No remote sensors have reported yet.\n');
        process.stdout.write(
          formatTable(
            [
              'SENSOR',
              'LAST SEEN',
              'LAG',
              'SPOOL',
              'DROPPED',
              'CAPTURE DROPS',
              'PACKETS',
              'VERSION',
              'STATE',
            ],
            list.map((s) => [
              s.id,
              s.lastSeen,
              `${s.lagSeconds.toFixed(1)} s`,
              mb(s.spoolBytes),
              s.spoolDropped.low || s.spoolDropped.high
                ? `${s.spoolDropped.low} low/${s.spoolDropped.high} high`
                : '0',
              s.captureDrops,
              s.packets,
              s.version ?? '',
              s.silent ? 'SILENT' : 'ok',
            ]),
          ),
        );
      }),
    );
  sensors
    .command('check-silent')
    .description('Raise sensor-silent alerts for sensors not heard from for a while')
    .option('--seconds <n>', 'silence threshold (default 600)')
    .option('--json', 'print {silent, created} as JSON')
    .action(
      action(async (o: { seconds?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const seconds = o.seconds === undefined ? undefined : Number(o.seconds);
        if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 1))
          throw invalidInput('--seconds: a whole number of seconds');
        const r = await checkSilentSensors(vdb, seconds ? { seconds } : {});
        if (o.json) return printJson(r);
        process.stdout.write(printable`${r.silent} silent sensors, ${r.created} new alerts\n`);
      }),
    );
}
