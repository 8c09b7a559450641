/**
 * @module The `vigil` command line. Global options choose the database and config; each command group
 * lives in `cli/commands/`. Commands open the database on first use, so `vigil --help` stays instant.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../version.js';
import { type CliContext, cliContext } from './cli-context.js';
import { registerAdvisoryCommands } from './commands/advisories.js';
import { registerAlertCommands } from './commands/alerts.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerBaselineCommands } from './commands/baseline.js';
import { registerDbCommands } from './commands/db.js';
import { registerDeviceCommands } from './commands/devices.js';
import { registerExportCommands } from './commands/export.js';
import { registerFindingCommands } from './commands/findings.js';
import { registerImportCommands } from './commands/import.js';
import { registerManufacturerCommands } from './commands/manufacturers.js';
import { registerMds2Commands } from './commands/mds2.js';
import { registerNotificationCommands } from './commands/notifications.js';
import { registerOfficerCommands } from './commands/officers.js';
import { registerPeersCommand } from './commands/peers.js';
import { registerPeopleCommands } from './commands/people.js';
import { registerPolicyCommands } from './commands/policy.js';
import { registerQueueCommands } from './commands/queue.js';
import { registerRecallCommands } from './commands/recalls.js';
import { registerReportCommands } from './commands/report.js';
import { registerRiskCommands } from './commands/risk.js';
import { registerRubricCommands } from './commands/rubric.js';
import { registerSbomVexCommands } from './commands/sbom-vex.js';
import { registerScimCommands } from './commands/scim.js';
import { registerSensorCommand } from './commands/sensor.js';
import { registerSensorsCommand } from './commands/sensors.js';
import { registerServeCommand } from './commands/serve.js';
import { registerServicesCommands } from './commands/services.js';
import { registerSiteCommands } from './commands/sites.js';
import { registerTaskCommands } from './commands/tasks.js';
import { registerTokenCommands } from './commands/tokens.js';
import { registerTrainingCommands } from './commands/training.js';
import { registerUserCommands } from './commands/users.js';
import { registerVulnCommands } from './commands/vulns.js';
import { reportError } from './run-command.js';

export function buildProgram(): { program: Command; cli: CliContext } {
  const program = new Command('vigil')
    .description('Vigil: security for connected medical devices')
    .version(VERSION)
    .option('--db <url>', 'database: sqlite:PATH, sqlite::memory: or postgres://… (VIGIL_DB)')
    .option('--config <file>', 'JSON config file (VIGIL_CONFIG)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (VIGIL_LOG_LEVEL)')
    // Commands have their own `--version` (the firmware version of `sbom import`, `vex import|add`,
    // `tasks campaign create`, `tasks accept`); unless the program's options stop at the command name,
    // the program takes that `--version` as its own, prints Vigil's version and does nothing else.
    .enablePositionalOptions()
    .showHelpAfterError();
  const cli = cliContext(program);
  registerServeCommand(program, cli);
  registerDbCommands(program, cli);
  registerDeviceCommands(
    program,
    () => cli.get(),
    () => cli.actor(),
  );
  registerPeersCommand(program, cli);
  registerSiteCommands(
    program,
    () => cli.get(),
    () => cli.actor(),
  );
  registerImportCommands(program, cli);
  registerSensorCommand(program, cli);
  registerFindingCommands(program, cli);
  registerAlertCommands(program, cli);
  registerBaselineCommands(program, cli);
  registerAdvisoryCommands(program, cli);
  registerVulnCommands(program, cli);
  registerSbomVexCommands(program, cli);
  registerRiskCommands(program);
  registerRubricCommands(program, cli);
  registerTaskCommands(program, cli);
  registerQueueCommands(program, cli);
  registerUserCommands(program, cli);
  registerTokenCommands(program, cli);
  registerScimCommands(program, cli);
  registerAuditCommands(program, cli);
  registerRecallCommands(program, cli);
  registerReportCommands(program, cli);
  registerExportCommands(program, cli);
  registerPeopleCommands(program, cli);
  registerOfficerCommands(program, cli);
  registerNotificationCommands(program, cli);
  registerSensorsCommand(program, cli);
  registerManufacturerCommands(program, cli);
  registerMds2Commands(program, cli);
  registerTrainingCommands(program, cli);
  registerPolicyCommands(program, cli);
  registerServicesCommands(program, cli);
  acceptGlobalOptionsAfterCommand(program);
  return { program, cli };
}

/**
 * `vigil devices list --db URL` keeps working with positional options: every command also takes the
 * program's options that take a value (hidden from its help) and hands them to the program.
 */
function acceptGlobalOptionsAfterCommand(program: Command): void {
  const globals = program.options.filter((o) => o.required && o.long !== undefined);
  const visit = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      for (const g of globals) {
        const long = g.long ?? '';
        if (sub.options.some((o) => o.long === long)) continue;
        sub.addOption(new Option(g.flags, g.description).hideHelp());
        sub.on(`option:${g.name()}`, (value: string) => program.setOptionValue(g.attributeName(), value));
      }
      visit(sub);
    }
  };
  visit(program);
}

// `vigil vulns list | head`: a closed pipe ends the command quietly, as with any Unix tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

const { program, cli } = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}
// `serve` keeps running; every other command closes the database and exits.
if (!cli.keptOpen) await cli.close();
