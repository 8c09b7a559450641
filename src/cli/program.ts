/**
 * @module The `vigil` command tree. Global options choose the database and config; each command group
 * lives in `cli/commands/` and is loaded only for the commands it adds (`COMMAND_GROUPS`). Commands open
 * the database on first use.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../version.js';
import { type CliContext, cliContext } from './cli-context.js';

type Register = (program: Command, cli: CliContext) => void;

/** A top-level command as `vigil --help` lists it: its name, its arguments, and one line about it. */
export interface TopLevelCommand {
  name: string;
  /** As the command declares them (`<paths...>`). */
  arguments?: string;
  /** Its description; left out where another group adds the command and describes it. */
  summary?: string;
}

/**
 * The command groups, in the order `vigil --help` lists them: the top-level commands each adds, and its
 * module, loaded only when needed. A command line names one command, and only the groups that add it are
 * loaded: `vigil devices list` does not load what advisories, reports, backups or the server need (PGP,
 * PDF, password strength, the HTTP stack), which made every command start in about a second. `vigil`,
 * `vigil --help` and `vigil help` list the commands from this table without loading any group (it took
 * about a second too); `vigil help X` loads X's group; an unknown command loads them all, for "did you
 * mean". `program.test.ts` checks each entry against what its module registers, summaries included.
 */
export const COMMAND_GROUPS: readonly {
  commands: readonly TopLevelCommand[];
  load: () => Promise<Register>;
}[] = [
  {
    commands: [{ name: 'serve', summary: 'Run the Vigil server (API under /api/v1, OpenAPI at /api/docs)' }],
    load: async () => (await import('./commands/serve.js')).registerServeCommand,
  },
  {
    commands: [{ name: 'db', summary: 'Database maintenance and backups' }],
    load: async () => (await import('./commands/db.js')).registerDbCommands,
  },
  {
    commands: [{ name: 'devices', summary: 'The device inventory: import, list, show, edit, export' }],
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
  {
    // `devices peers`: a subcommand of the group above, which describes `devices`.
    commands: [{ name: 'devices' }],
    load: async () => (await import('./commands/peers.js')).registerPeersCommand,
  },
  {
    commands: [{ name: 'sites', summary: 'Sites (hospitals, clinics) and their network segments' }],
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
    commands: [
      {
        name: 'import',
        arguments: '<paths...>',
        summary: 'Import packet captures (pcap, pcapng, gzip; - for stdin) and nmap XML into the inventory',
      },
      {
        name: 'analyze',
        arguments: '<paths...>',
        summary:
          'Analyze captures or nmap XML in a throwaway in-memory database and print devices and findings',
      },
    ],
    load: async () => (await import('./commands/import.js')).registerImportCommands,
  },
  {
    commands: [
      {
        name: 'sensor',
        summary:
          'Continuous passive discovery: capture from an interface (dumpcap/tcpdump), stdin, or a directory of rotating captures; or follow Zeek logs / Suricata EVE as they grow',
      },
    ],
    load: async () => (await import('./commands/sensor.js')).registerSensorCommand,
  },
  {
    commands: [
      {
        name: 'findings',
        summary:
          'Findings: cleartext PHI, cleartext credentials, insecure protocols, weak TLS, certificate problems',
      },
    ],
    load: async () => (await import('./commands/findings.js')).registerFindingCommands,
  },
  {
    commands: [
      {
        name: 'alerts',
        summary: 'Alerts raised by detection rules: list, show, change state, delivery destinations',
      },
    ],
    load: async () => (await import('./commands/alerts.js')).registerAlertCommands,
  },
  {
    commands: [
      {
        name: 'baseline',
        summary: 'Communication baselines per device and per model: learn, review, edit, approve',
      },
    ],
    load: async () => (await import('./commands/baseline.js')).registerBaselineCommands,
  },
  {
    commands: [
      {
        name: 'advisories',
        summary:
          'Advisories and vulnerability feeds: CSAF, NVD, CVE 5, OSV, KEV, EPSS; subscriptions and sync',
      },
    ],
    load: async () => (await import('./commands/advisories.js')).registerAdvisoryCommands,
  },
  {
    commands: [
      {
        name: 'match',
        summary:
          'Match every device against every advisory and vulnerability record (runs after imports anyway)',
      },
      {
        name: 'vulns',
        summary: 'Vulnerabilities per device: list, show (fleet view), why, confirm or reject candidates',
      },
    ],
    load: async () => (await import('./commands/vulns.js')).registerVulnCommands,
  },
  {
    commands: [
      { name: 'sbom', summary: 'Software bills of materials per device model and version' },
      { name: 'vex', summary: 'VEX statements: import, write your own, list, export' },
    ],
    load: async () => (await import('./commands/sbom-vex.js')).registerSbomVexCommands,
  },
  {
    commands: [
      {
        name: 'cvss',
        arguments: '<vectors...>',
        summary:
          'Score CVSS v2, v3.0, v3.1 and v4.0 vectors (base, and temporal/environmental/threat when the vector has them)',
      },
      { name: 'ssvc', summary: 'SSVC decisions from the official CISA and CERT/CC decision tables' },
    ],
    load: async () => {
      const { registerRiskCommands } = await import('./commands/risk.js');
      return (program) => registerRiskCommands(program);
    },
  },
  {
    commands: [
      {
        name: 'rubric',
        summary:
          "The MITRE-rubric questionnaire per device model: answers set every vulnerability's environmental CVSS",
      },
    ],
    load: async () => (await import('./commands/rubric.js')).registerRubricCommands,
  },
  {
    commands: [
      {
        name: 'tasks',
        summary: 'Remediation tasks: from a match or finding to a verified fix; risk acceptances; campaigns',
      },
    ],
    load: async () => (await import('./commands/tasks.js')).registerTaskCommands,
  },
  {
    commands: [
      {
        name: 'queue',
        summary: 'The prioritized work queue: matched vulnerabilities and open findings, most urgent first',
      },
      {
        name: 'override',
        summary: 'Override an SSVC decision point (E, EXP, A, SI, MI, HI) for a device or a model',
      },
    ],
    load: async () => (await import('./commands/queue.js')).registerQueueCommands,
  },
  {
    commands: [{ name: 'users', summary: 'Local accounts and their roles' }],
    load: async () => (await import('./commands/users.js')).registerUserCommands,
  },
  {
    commands: [{ name: 'tokens', summary: 'API tokens for scripts and integrations' }],
    load: async () => (await import('./commands/tokens.js')).registerTokenCommands,
  },
  {
    commands: [
      { name: 'scim', summary: 'SCIM 2.0 provisioning from the identity provider (Entra ID, Okta)' },
    ],
    load: async () => (await import('./commands/scim.js')).registerScimCommands,
  },
  {
    commands: [{ name: 'audit', summary: 'The append-only audit log' }],
    load: async () => (await import('./commands/audit.js')).registerAuditCommands,
  },
  {
    commands: [
      {
        name: 'recalls',
        summary: 'FDA recalls and device identity: import openFDA files, match recalls to devices',
      },
      { name: 'udi', summary: 'Unique Device Identifiers (GS1, HIBCC, ICCBBA)' },
    ],
    load: async () => (await import('./commands/recalls.js')).registerRecallCommands,
  },
  {
    commands: [{ name: 'report', summary: 'Compliance reports and the reviews they rest on' }],
    load: async () => (await import('./commands/report.js')).registerReportCommands,
  },
  {
    commands: [{ name: 'export', summary: 'Export the inventory in standard formats' }],
    load: async () => (await import('./commands/export.js')).registerExportCommands,
  },
  {
    commands: [
      {
        name: 'people',
        summary: 'Staff who access network resources: add, list, show, update, deactivate, import from HR',
      },
      { name: 'departments', summary: 'Departments of each site' },
    ],
    load: async () => (await import('./commands/people.js')).registerPeopleCommands,
  },
  {
    commands: [
      { name: 'officers', summary: 'Security officers and deputies of the organization and each site' },
    ],
    load: async () => (await import('./commands/officers.js')).registerOfficerCommands,
  },
  {
    commands: [
      {
        name: 'notifications',
        summary:
          "Security officers' notifications: list, mark read, run the triggers (and the weekly digest)",
      },
    ],
    load: async () => (await import('./commands/notifications.js')).registerNotificationCommands,
  },
  {
    commands: [{ name: 'sensors', summary: 'Remote sensors (vigil sensor --nats) and their health' }],
    load: async () => (await import('./commands/sensors.js')).registerSensorsCommand,
  },
  {
    commands: [
      {
        name: 'manufacturers',
        summary:
          'Manufacturer contacts and feeds, support dates, documents on file, requests to manufacturers',
      },
    ],
    load: async () => (await import('./commands/manufacturers.js')).registerManufacturerCommands,
  },
  {
    commands: [{ name: 'mds2', summary: 'MDS2 forms (manufacturer disclosure statements) per model' }],
    load: async () => (await import('./commands/mds2.js')).registerMds2Commands,
  },
  {
    commands: [
      {
        name: 'training',
        summary: 'Staff cybersecurity training: courses, completions, status, compliance, reminders',
      },
    ],
    load: async () => (await import('./commands/training.js')).registerTrainingCommands,
  },
  {
    commands: [
      {
        name: 'policy',
        summary: 'Segmentation and firewall policy: propose from traffic, simulate, approve, export',
      },
    ],
    load: async () => (await import('./commands/policy.js')).registerPolicyCommands,
  },
  {
    commands: [{ name: 'services', summary: 'Services devices expose, and which they do not need' }],
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
  const i = commandIndexOf(args);
  return i < 0 ? null : (args[i] ?? null);
}

/** Where the top-level command's name is in `args`, or -1. */
function commandIndexOf(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return i + 1 < args.length ? i + 1 : -1;
    if (GLOBAL_VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return i;
  }
  return -1;
}

/**
 * The command tree for `args` (the arguments after `vigil`): only the groups that add the command they
 * name; every group when `args` is undefined or names an unknown command. `vigil --version` alone loads
 * none; `vigil`, `vigil --help` and `vigil help` get the top-level commands as listed in
 * {@link COMMAND_GROUPS}, with nothing behind them but their help.
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
  if (args !== undefined && listsCommandsOnly(args)) {
    for (const c of topLevelCommands()) {
      const placeholder = program.command(c.name).description(c.summary);
      if (c.arguments) placeholder.arguments(c.arguments);
    }
  } else {
    for (const register of await Promise.all(groupsFor(args).map((g) => g.load()))) register(program, cli);
  }
  acceptGlobalOptionsAfterCommand(program);
  return { program, cli };
}

/**
 * `vigil`, `vigil --help`, `vigil help` (and `vigil --help devices`, which commander answers with the
 * program's help): only the list of commands is shown. Not `vigil --version`.
 */
function listsCommandsOnly(args: readonly string[]): boolean {
  const at = commandIndexOf(args);
  const before = at < 0 ? args : args.slice(0, at);
  if (before.some((a) => a === '--help' || a === '-h')) return true;
  if (at < 0) return !args.some((a) => a === '--version' || a === '-V');
  return args[at] === 'help' && at === args.length - 1;
}

function groupsFor(args: readonly string[] | undefined): readonly (typeof COMMAND_GROUPS)[number][] {
  if (args === undefined) return COMMAND_GROUPS;
  const at = commandIndexOf(args);
  if (at < 0) return []; // `vigil --version`
  // `vigil help devices` needs the devices group, for commander to show its help.
  const name = args[at] === 'help' ? args[at + 1] : args[at];
  const named = COMMAND_GROUPS.filter((g) => g.commands.some((c) => c.name === name));
  return named.length ? named : COMMAND_GROUPS;
}

/** Each top-level command once, with its summary, in help order. */
export function topLevelCommands(): (TopLevelCommand & { summary: string })[] {
  const out = new Map<string, TopLevelCommand & { summary: string }>();
  for (const g of COMMAND_GROUPS) {
    for (const c of g.commands)
      if (c.summary !== undefined && !out.has(c.name)) out.set(c.name, { ...c, summary: c.summary });
  }
  return [...out.values()];
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
