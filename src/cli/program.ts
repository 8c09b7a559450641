/**
 * @module The `vigil` command tree. Global options choose the database and config; each command group
 * lives in `cli/commands/` and is loaded only for the commands it adds (`COMMAND_GROUPS`). Commands open
 * the database on first use.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../version.js';
import { type CliContext, cliContext } from './cli-context.js';

type Register = (program: Command, cli: CliContext) => void;

/**
 * The command groups, in the order `vigil --help` lists them: the top-level commands each adds, and its
 * module, loaded only when needed. A command line names one command, and only the groups that add it are
 * loaded: `vigil devices list` does not load what advisories, reports, backups or the server need (PGP,
 * PDF, password strength, the HTTP stack), which made every command start in about a second. Help, an
 * unknown command (for "did you mean") and no command at all load them all. `main.test.ts` checks each
 * entry's commands against what its module registers.
 */
export const COMMAND_GROUPS: readonly { commands: readonly string[]; load: () => Promise<Register> }[] = [
  { commands: ['serve'], load: async () => (await import('./commands/serve.js')).registerServeCommand },
  { commands: ['db'], load: async () => (await import('./commands/db.js')).registerDbCommands },
  {
    commands: ['devices'],
    load: async () => {
      const { registerDeviceCommands } = await import('./commands/devices.js');
      return (program, cli) =>
        registerDeviceCommands(
          program,
          () => cli.get(),
          () => cli.actor(),
        );
    },
  },
  { commands: ['devices'], load: async () => (await import('./commands/peers.js')).registerPeersCommand },
  {
    commands: ['sites'],
    load: async () => {
      const { registerSiteCommands } = await import('./commands/sites.js');
      return (program, cli) =>
        registerSiteCommands(
          program,
          () => cli.get(),
          () => cli.actor(),
        );
    },
  },
  {
    commands: ['import', 'analyze'],
    load: async () => (await import('./commands/import.js')).registerImportCommands,
  },
  { commands: ['sensor'], load: async () => (await import('./commands/sensor.js')).registerSensorCommand },
  {
    commands: ['findings'],
    load: async () => (await import('./commands/findings.js')).registerFindingCommands,
  },
  { commands: ['alerts'], load: async () => (await import('./commands/alerts.js')).registerAlertCommands },
  {
    commands: ['baseline'],
    load: async () => (await import('./commands/baseline.js')).registerBaselineCommands,
  },
  {
    commands: ['advisories'],
    load: async () => (await import('./commands/advisories.js')).registerAdvisoryCommands,
  },
  {
    commands: ['match', 'vulns'],
    load: async () => (await import('./commands/vulns.js')).registerVulnCommands,
  },
  {
    commands: ['sbom', 'vex'],
    load: async () => (await import('./commands/sbom-vex.js')).registerSbomVexCommands,
  },
  {
    commands: ['cvss', 'ssvc'],
    load: async () => {
      const { registerRiskCommands } = await import('./commands/risk.js');
      return (program) => registerRiskCommands(program);
    },
  },
  { commands: ['rubric'], load: async () => (await import('./commands/rubric.js')).registerRubricCommands },
  { commands: ['tasks'], load: async () => (await import('./commands/tasks.js')).registerTaskCommands },
  {
    commands: ['queue', 'override'],
    load: async () => (await import('./commands/queue.js')).registerQueueCommands,
  },
  { commands: ['users'], load: async () => (await import('./commands/users.js')).registerUserCommands },
  { commands: ['tokens'], load: async () => (await import('./commands/tokens.js')).registerTokenCommands },
  { commands: ['scim'], load: async () => (await import('./commands/scim.js')).registerScimCommands },
  { commands: ['audit'], load: async () => (await import('./commands/audit.js')).registerAuditCommands },
  {
    commands: ['recalls', 'udi'],
    load: async () => (await import('./commands/recalls.js')).registerRecallCommands,
  },
  { commands: ['report'], load: async () => (await import('./commands/report.js')).registerReportCommands },
  { commands: ['export'], load: async () => (await import('./commands/export.js')).registerExportCommands },
  {
    commands: ['people', 'departments'],
    load: async () => (await import('./commands/people.js')).registerPeopleCommands,
  },
  {
    commands: ['officers'],
    load: async () => (await import('./commands/officers.js')).registerOfficerCommands,
  },
  {
    commands: ['notifications'],
    load: async () => (await import('./commands/notifications.js')).registerNotificationCommands,
  },
  { commands: ['sensors'], load: async () => (await import('./commands/sensors.js')).registerSensorsCommand },
  {
    commands: ['manufacturers'],
    load: async () => (await import('./commands/manufacturers.js')).registerManufacturerCommands,
  },
  { commands: ['mds2'], load: async () => (await import('./commands/mds2.js')).registerMds2Commands },
  {
    commands: ['training'],
    load: async () => (await import('./commands/training.js')).registerTrainingCommands,
  },
  { commands: ['policy'], load: async () => (await import('./commands/policy.js')).registerPolicyCommands },
  {
    commands: ['services'],
    load: async () => (await import('./commands/services.js')).registerServicesCommands,
  },
];

/** The program's options that take a value, and so are followed by one (`--db URL`). */
const GLOBAL_VALUE_OPTIONS = new Set(['--db', '--config', '--log-level']);

/**
 * The top-level command a command line names (`vigil --db X devices list` → `devices`); null for none
 * (`vigil`, `vigil --help`, `vigil --version`).
 */
export function commandNameOf(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1] ?? null;
    if (GLOBAL_VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return null;
}

/**
 * The command tree for `args` (the arguments after `vigil`): only the groups that add the command they
 * name; every group when `args` is undefined or names none of them. `vigil --version` alone loads none.
 */
export async function buildProgram(args?: readonly string[]): Promise<{ program: Command; cli: CliContext }> {
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
  const name = args ? commandNameOf(args) : null;
  const versionOnly =
    args !== undefined && name === null && args.some((a) => a === '--version' || a === '-V');
  const named = COMMAND_GROUPS.filter((g) => name !== null && g.commands.includes(name));
  const groups = versionOnly ? [] : named.length ? named : COMMAND_GROUPS;
  for (const register of await Promise.all(groups.map((g) => g.load()))) register(program, cli);
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
