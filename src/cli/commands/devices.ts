/**
 * @module `vigil devices import|list|show|add|update|retire|sanitize|sanitizations|confirm|ignore|merge|
 * export`: the device inventory from the command line. `list --json`/`--csv` and `export` stream every
 * matching device page by page; the table pages on a terminal. Errors are thrown as VigilError for the
 * CLI runner to report.
 */

import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Actor } from '../../accounts/actor.js';
import type { AppContext } from '../../context.js';
import { formatIssue, type InputIssue, invalidInput, notFound } from '../../errors.js';
import { escapeControl } from '../../escape-control.js';
import { plural } from '../../format-count.js';
import { type HeaderMapping, parseHeaderMapping, parseMappingFile } from '../../inventory/cmms-csv.js';
import { importCmmsCsv, importSummary } from '../../inventory/cmms-import.js';
import type { Device, DeviceDetail } from '../../inventory/device.js';
import { EXPORT_FORMATS, type ExportFormat, exportDevices } from '../../inventory/device-export.js';
import { preferredIp } from '../../inventory/device-name.js';
import {
  addDevice,
  confirmDevice,
  type DeviceListPage,
  ignoreDevice,
  listDevices,
  mergeDevices,
  retireDevice,
  showDevice,
  streamDevices,
  suggestedIdentity,
  updateDevice,
} from '../../inventory/inventory-service.js';
import {
  listSanitizations,
  recordSanitization,
  SANITIZATION_METHODS,
  type Sanitization,
} from '../../inventory/sanitization-service.js';
import { DEVICE_SORTS } from '../../store/device-store.js';
import { findSite } from '../../store/site-store.js';
import { formatFields, formatLines, formatTable, printable, printJson, readTextFile } from '../io.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Rows shown on a terminal before "N more". */
export const TTY_PAGE = 50;

/**
 * Writes to a stream with backpressure, and stops quietly when the reader goes away (`| head`), which
 * is not an error for a command that prints. Any other write error is thrown by the next `write`.
 */
export class StreamOutput {
  closed = false;
  #error: Error | undefined;
  readonly #out: NodeJS.WritableStream;

  readonly #onError: (e: NodeJS.ErrnoException) => void;

  constructor(out: NodeJS.WritableStream, what = 'standard output') {
    this.#out = out;
    this.#onError = (e) => {
      if (e.code === 'EPIPE') this.closed = true;
      else this.#error ??= invalidInput(`Cannot write ${what}: ${e.code ?? e.message}`);
    };
    out.on('error', this.#onError);
  }

  /** Stops listening to the stream (process.stdout outlives the command). */
  release(): void {
    this.#out.off('error', this.#onError);
  }

  async write(text: string): Promise<void> {
    if (this.#error) throw this.#error;
    if (this.closed) return;
    if (!this.#out.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          for (const ev of ['drain', 'close', 'error']) this.#out.off(ev, done);
          resolve();
        };
        for (const ev of ['drain', 'close', 'error']) this.#out.once(ev, done);
      });
    }
    this.throwIfFailed();
  }

  throwIfFailed(): void {
    if (this.#error) throw this.#error;
  }
}

interface FilterOptions {
  site?: string;
  class?: string;
  manufacturer?: string;
  model?: string;
  criticality?: string;
  ephi?: string;
  seenSince?: string;
  state?: string[];
  search?: string;
  sort?: string;
  order?: string;
}

function withFilters(cmd: Command): Command {
  return cmd
    .option('--site <site>', 'site name or id')
    .option('--class <class>', 'device class (e.g. infusion-pump, patient-monitor)')
    .option('--manufacturer <name>', 'manufacturer (part of the name)')
    .option('--model <name>', 'model (part of the name or model number)')
    .option(
      '--criticality <level>',
      'life-sustaining|life-supporting|diagnostic|therapeutic-non-critical|non-clinical',
    )
    .option('--ephi <yes|no>', 'stores or transmits ePHI')
    .option('--seen-since <date>', 'last seen on the network on or after this date (ISO-8601)')
    .option(
      '--state <state>',
      'staged|active|ignored|merged|retired (repeatable; default: all but merged)',
      collect,
    )
    .option('--search <text>', 'part of an asset tag, serial number, UDI, MAC, IP or hostname')
    .option('--sort <field>', `sort by ${DEVICE_SORTS.join('|')}`, 'assetTag')
    .option('--order <order>', 'asc|desc', 'asc');
}

/**
 * `--site` names a site the filter compares with; a misspelt one ("North Campus" for "North Clinic")
 * matched nothing and printed an empty inventory, which reads as "no devices there". Refuse it instead,
 * as `export fhir --site` does.
 */
async function assertSiteExists(vdb: AppContext['vdb'], site: string | undefined): Promise<void> {
  if (site !== undefined && !(await findSite(vdb, site))) throw notFound(`Site "${site}"`);
}

function queryOf(o: FilterOptions): Record<string, unknown> {
  const q: Record<string, unknown> = {};
  if (o.site !== undefined) q['site'] = o.site;
  if (o.class !== undefined) q['deviceClass'] = o.class;
  if (o.manufacturer !== undefined) q['manufacturer'] = o.manufacturer;
  if (o.model !== undefined) q['model'] = o.model;
  if (o.criticality !== undefined) q['criticality'] = o.criticality;
  if (o.ephi !== undefined) q['ephi'] = o.ephi;
  if (o.seenSince !== undefined) q['seenSince'] = o.seenSince;
  if (o.state?.length) q['state'] = o.state;
  if (o.search !== undefined) q['q'] = o.search;
  if (o.sort !== undefined) q['sort'] = o.sort;
  if (o.order !== undefined) q['order'] = o.order;
  return q;
}

function positiveInt(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw invalidInput(`${flag} must be a whole number ≥ 1`, [
        { field: flag, reason: `"${v}" is not a whole number ≥ 1` },
      ]);
    return n;
  };
}

type Suggested = DeviceListPage['suggested'];
/** A suggested value stands in for a missing one, marked with "?" (`devices show` explains it). */
const guess = (s: { value: string } | undefined) => (s ? `${s.value}?` : null);

const TABLE: [header: string, cell: (d: Device, suggested: Suggested) => unknown][] = [
  ['ASSET TAG', (d) => d.assetTag],
  ['MANUFACTURER', (d, s) => d.manufacturer ?? guess(s[d.id]?.manufacturer)],
  ['MODEL', (d) => d.model],
  [
    'CLASS',
    (d, s) => (d.deviceClass === 'unknown' ? (guess(s[d.id]?.deviceClass) ?? d.deviceClass) : d.deviceClass),
  ],
  // The newest IPv4 address, else a routable IPv6 one: a link-local fe80:: address says little.
  ['IP', (d) => preferredIp(d.ips)],
  ['MAC', (d) => d.macs[0]],
  ['SITE', (d) => d.site],
  ['DEPARTMENT', (d) => d.department],
  ['CRITICALITY', (d) => d.criticality],
  ['STATE', (d) => d.state],
  ['ID', (d) => d.id],
];

/** Column widths fixed from the first page, so later pages line up without holding every row. */
function tableLines(
  rows: Device[],
  suggested: Suggested,
  widths?: number[],
): { text: string; widths: number[] } {
  const cells = rows.map((d) => TABLE.map(([, f]) => f(d, suggested)));
  const text = formatTable(
    TABLE.map(([h]) => h),
    cells,
  );
  const lines = text.split('\n');
  const computed = widths ?? (lines[1] ?? '').split('  ').map((s) => s.length);
  if (!widths) return { text, widths: computed };
  // Later pages: re-pad every cell to the first page's widths, without a header.
  const body = cells
    .map((r) =>
      r
        .map((v, i) => {
          const s = escapeControl(v === null || v === undefined || v === '' ? '-' : String(v));
          const w = computed[i]!;
          return s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  return { text: body ? `${body}\n` : '', widths: computed };
}

async function readMapping(o: { map?: string[]; mapFile?: string }): Promise<HeaderMapping | undefined> {
  const issues: InputIssue[] = [];
  const mapping: HeaderMapping = new Map();
  if (o.mapFile) {
    const r = parseMappingFile(await readTextFile(o.mapFile, 'mapping file'), o.mapFile);
    issues.push(...r.issues);
    for (const [k, v] of r.mapping) mapping.set(k, v);
  }
  if (o.map?.length) {
    // --map entries win over the mapping file.
    const r = parseHeaderMapping(o.map);
    issues.push(...r.issues);
    for (const [k, v] of r.mapping) mapping.set(k, v);
  }
  if (issues.length) throw invalidInput('Invalid header mapping', issues);
  return mapping.size ? mapping : undefined;
}

/** A value as one POSIX shell word, quoted only when it needs to be. */
function shellWord(v: string): string {
  return /^[A-Za-z0-9._:/@%+=,-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`;
}

function printDetail(d: DeviceDetail): void {
  const rows: [string, unknown][] = [
    ['id', d.id],
    ['state', d.mergedInto ? `${d.state} (into ${d.mergedInto})` : d.state],
    ['asset tag', d.assetTag],
    ['serial number', d.serialNumber],
    ['UDI', d.udi],
    ['manufacturer', d.manufacturer],
    ['model', [d.model, d.modelNumber ? `(${d.modelNumber})` : null].filter(Boolean).join(' ')],
    ['class', d.deviceClass],
    ['criticality', d.criticality],
    ['ePHI', d.ephi === null ? null : d.ephi ? 'yes' : 'no'],
    ['firmware', d.firmwareVersion],
    ['software', d.softwareVersion],
    ['OS', [d.os, d.osVersion].filter(Boolean).join(' ')],
    ['OS end of support', d.osEndOfSupport],
    ['site', d.site],
    [
      'location',
      [d.building, d.floor && `floor ${d.floor}`, d.room && `room ${d.room}`].filter(Boolean).join(', '),
    ],
    ['department', d.department],
    ['owner', d.owner],
    ['lifecycle (CMMS)', d.lifecycleStatus],
    ['first seen', d.firstSeen],
    ['last seen', d.lastSeen],
    ['created', d.createdAt],
    ['updated', d.updatedAt],
  ];
  process.stdout.write(formatFields(rows));
  if (d.identifiers.length) {
    process.stdout.write('\nIdentifiers\n');
    process.stdout.write(
      formatTable(
        ['KIND', 'VALUE', 'SOURCE', 'FIRST SEEN', 'LAST SEEN'],
        d.identifiers.map((i) => [i.kind, i.value, i.source, i.firstSeen, i.lastSeen]),
      ),
    );
  }
  if (d.facts.length) {
    process.stdout.write('\nFacts\n');
    process.stdout.write(
      formatTable(
        ['FIELD', 'VALUE', 'SOURCE', 'REFERENCE', 'LAST SEEN'],
        d.facts.map((f) => [f.field, f.value, f.source, f.sourceRef, f.lastSeen]),
      ),
    );
  }
  if (d.conflicts.length) {
    process.stdout.write('\nConflicts (declared vs observed; nothing was overwritten)\n');
    for (const c of d.conflicts) {
      const side = (list: typeof c.declared) =>
        list.map((v) => `${v.value} (${v.source}${v.sourceRef ? ` ${v.sourceRef}` : ''})`).join(', ');
      process.stdout.write(
        printable`  ${c.field}: declared ${side(c.declared)}; observed ${side(c.observed)}\n`,
      );
    }
  }
  if (d.hints.length) {
    process.stdout.write('\nWhat the device says about itself (fingerprint evidence)\n');
    process.stdout.write(
      formatTable(
        ['KIND', 'VALUE', 'FIRST SEEN', 'LAST SEEN', 'FIRST SOURCE'],
        d.hints.map((x) => [
          x.kind,
          x.value,
          x.firstSeen,
          x.lastSeen,
          [x.sourceRef, x.evidence.packet ? `packet ${x.evidence.packet}` : null].filter(Boolean).join(' '),
        ]),
      ),
    );
  }
  if (d.suggestions.length) {
    process.stdout.write(
      printable`\nSuggestions (too uncertain to be facts; adopt one with: vigil devices update ${d.id} OPTION)\n`,
    );
    process.stdout.write(
      formatTable(
        ['FIELD', 'VALUE', 'CONFIDENCE', 'OPTION', 'EVIDENCE'],
        d.suggestions.map((x) => {
          const flag = ATTRIBUTE_FLAGS.find(([, , field]) => field === x.field)?.[0].split(' ')[0];
          return [
            x.field,
            x.value,
            x.confidence.toFixed(2),
            flag ? `${flag} ${shellWord(x.value)}` : null,
            `${x.sourceRef}: ${x.evidence.summary}`,
          ];
        }),
      ),
    );
  }
  if (d.vulnerabilities?.length) {
    process.stdout.write('\nVulnerabilities (vigil vulns why DEVICE ID explains each)\n');
    process.stdout.write(
      formatTable(
        ['STATUS', 'VULNERABILITY', 'ADVISORY', 'CONF', 'FIX', 'WHY'],
        d.vulnerabilities.map((v) => [
          v.status,
          v.vulnerability,
          v.advisoryIds,
          v.confidence,
          v.fixAvailable ? 'yes' : 'no',
          v.explanation,
        ]),
      ),
    );
  } else if (d.vulnerabilities) process.stdout.write('\nVulnerabilities: none matched\n');
}

function printSanitizations(list: readonly Sanitization[]): void {
  process.stdout.write(
    formatTable(
      ['PERFORMED', 'METHOD', 'BY', 'REFERENCE', 'RECORDED BY', 'ID'],
      list.map((s) => [s.performedOn, s.method, s.performedBy, s.reference, s.recordedBy, s.id]),
    ),
  );
}

interface AttributeOptions {
  assetTag?: string;
  serial?: string;
  udi?: string;
  manufacturer?: string;
  model?: string;
  modelNumber?: string;
  class?: string;
  mac?: string[];
  ip?: string[];
  hostname?: string[];
  firmware?: string;
  software?: string;
  os?: string;
  osVersion?: string;
  osEndOfSupport?: string;
  criticality?: string;
  ephi?: string;
  site?: string;
  building?: string;
  floor?: string;
  room?: string;
  department?: string;
  owner?: string;
  status?: string;
  clear?: string[];
}

const ATTRIBUTE_FLAGS: [flag: string, option: keyof AttributeOptions, field: string, help: string][] = [
  ['--asset-tag <tag>', 'assetTag', 'assetTag', 'asset tag'],
  ['--serial <serial>', 'serial', 'serialNumber', 'serial number'],
  ['--udi <udi>', 'udi', 'udi', 'unique device identifier (FDA UDI)'],
  ['--manufacturer <name>', 'manufacturer', 'manufacturer', 'manufacturer'],
  ['--model <name>', 'model', 'model', 'model name'],
  ['--model-number <number>', 'modelNumber', 'modelNumber', 'model / catalogue number'],
  ['--class <class>', 'class', 'deviceClass', 'device class (infusion-pump, patient-monitor, …)'],
  ['--firmware <version>', 'firmware', 'firmwareVersion', 'firmware version'],
  ['--software <version>', 'software', 'softwareVersion', 'software version'],
  ['--os <name>', 'os', 'os', 'operating system'],
  ['--os-version <version>', 'osVersion', 'osVersion', 'operating system version'],
  ['--os-end-of-support <date>', 'osEndOfSupport', 'osEndOfSupport', 'OS end of support (YYYY-MM-DD)'],
  ['--criticality <level>', 'criticality', 'criticality', 'clinical criticality'],
  ['--ephi <yes|no>', 'ephi', 'ephi', 'stores or transmits ePHI'],
  ['--site <site>', 'site', 'site', 'site name (created if new)'],
  ['--building <building>', 'building', 'building', 'building'],
  ['--floor <floor>', 'floor', 'floor', 'floor'],
  ['--room <room>', 'room', 'room', 'room'],
  ['--department <dept>', 'department', 'department', 'department'],
  ['--owner <owner>', 'owner', 'owner', 'owner / responsible team'],
  [
    '--status <word>',
    'status',
    'lifecycleStatus',
    'lifecycle status as the CMMS says it (active, spare, in-repair, …)',
  ],
];
const LIST_FLAGS: [flag: string, option: 'mac' | 'ip' | 'hostname', field: string, help: string][] = [
  ['--mac <mac>', 'mac', 'macs', 'MAC address (repeatable)'],
  ['--ip <ip>', 'ip', 'ips', 'IP address (repeatable)'],
  ['--hostname <name>', 'hostname', 'hostnames', 'host name (repeatable)'],
];
const clearKey = (name: string) => name.toLowerCase().replace(/[-_\s]/g, '');
/** `--clear` accepts a flag name (`firmware`, `os-version`) or a field name (`firmwareVersion`, `firmware-version`). */
const CLEARABLE = new Map<string, string>(
  [...ATTRIBUTE_FLAGS, ...LIST_FLAGS].flatMap(([flag, , field]) => [
    [clearKey(flag.split(' ')[0]!.slice(2)), field],
    [clearKey(field), field],
  ]),
);

function withAttributes(cmd: Command, update: boolean): Command {
  for (const [flag, , , help] of ATTRIBUTE_FLAGS) cmd.option(flag, help);
  for (const [flag, , , help] of LIST_FLAGS)
    cmd.option(flag, update ? `${help}; replaces the device's list` : help, collect);
  if (update) cmd.option('--clear <field>', 'clear a field, e.g. --clear room (repeatable)', collect);
  return cmd.option('--json', 'print the device as JSON');
}

function attributesOf(o: AttributeOptions): Record<string, unknown> {
  const attrs: Record<string, unknown> = {};
  for (const [, option, field] of ATTRIBUTE_FLAGS) if (o[option] !== undefined) attrs[field] = o[option];
  for (const [, option, field] of LIST_FLAGS) if (o[option] !== undefined) attrs[field] = o[option];
  for (const name of o.clear ?? []) {
    const field = CLEARABLE.get(clearKey(name));
    if (!field)
      throw invalidInput(`Cannot clear "${name}"`, [{ field: '--clear', reason: `unknown field "${name}"` }]);
    attrs[field] = ['macs', 'ips', 'hostnames'].includes(field) ? [] : null;
  }
  return attrs;
}

function outputDevice(d: DeviceDetail, json: boolean | undefined, message: string): void {
  if (json) {
    printJson(d);
    return;
  }
  process.stderr.write(formatLines(message.split('\n')));
  printDetail(d);
}

async function listTo(
  out: StreamOutput,
  vdb: AppContext['vdb'],
  actor: Actor,
  query: Record<string, unknown>,
  o: { limit?: number; json?: boolean; csv?: boolean },
): Promise<void> {
  if (o.json || o.csv) {
    for await (const chunk of exportDevices(vdb, actor, query, o.json ? 'json' : 'csv', { limit: o.limit }))
      await out.write(chunk);
    return;
  }
  if (process.stdout.isTTY && o.limit === undefined) {
    const page = await listDevices(vdb, actor, query, { pageSize: TTY_PAGE });
    await out.write(tableLines(page.items, page.suggested).text);
    const more = page.total - page.items.length;
    if (more > 0) await out.write(`… ${more} more; use --limit N to see more, or --json/--csv for all\n`);
    return;
  }
  let batch: Device[] = [];
  let widths: number[] | undefined;
  const flush = async () => {
    const t = tableLines(batch, await suggestedIdentity(vdb, batch), widths);
    widths = t.widths;
    await out.write(t.text);
    batch = [];
  };
  let any = false;
  for await (const d of streamDevices(vdb, actor, query, { limit: o.limit })) {
    any = true;
    batch.push(d);
    if (batch.length >= 1000) await flush();
  }
  if (batch.length || !any) await flush();
}

export function registerDeviceCommands(
  program: Command,
  getContext: () => Promise<AppContext>,
  cliActor: () => Actor,
): void {
  const devices = program
    .command('devices')
    .description('The device inventory: import, list, show, edit, export');

  devices
    .command('import <file>')
    .description(
      'Import a CMMS export (CSV); all or nothing unless --skip-bad-rows (format: docs/cmms-csv.md)',
    )
    .option(
      '--map <HEADER=column>',
      "map a header of the file to a column, e.g. --map 'Asset #=asset_tag' (repeatable; column - ignores it)",
      collect,
    )
    .option('--map-file <file>', 'header mapping: JSON object or HEADER=column lines')
    .option('--dry-run', 'check the file and report what would change, without writing')
    .option('--skip-bad-rows', 'import the good rows and report the bad ones')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        file: string,
        o: { map?: string[]; mapFile?: string; dryRun?: boolean; skipBadRows?: boolean; json?: boolean },
      ) => {
        const mapping = await readMapping(o);
        let handle: Awaited<ReturnType<typeof open>>;
        try {
          handle = await open(file, 'r');
        } catch (e) {
          throw invalidInput(
            `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          );
        }
        // A directory opens like a file and fails only when read, deep in the import (an internal error).
        if ((await handle.stat()).isDirectory()) {
          await handle.close();
          throw invalidInput(`Cannot read ${file}: EISDIR (a directory; give the CSV file)`);
        }
        const { vdb } = await getContext();
        try {
          const result = await importCmmsCsv(vdb, cliActor(), {
            file,
            input: handle.createReadStream({ autoClose: false }),
            ...(mapping ? { mapping } : {}),
            dryRun: Boolean(o.dryRun),
            skipBadRows: Boolean(o.skipBadRows),
          });
          if (o.json) return printJson(result);
          for (const w of result.warnings) process.stderr.write(printable`warning: ${formatIssue(w)}\n`);
          for (const i of result.issues) process.stderr.write(printable`rejected: ${formatIssue(i)}\n`);
          const extra = [
            result.sitesCreated.length
              ? `${plural(result.sitesCreated.length, 'new site')}: ${result.sitesCreated.join(', ')}`
              : '',
            `${result.durationMs} ms`,
          ].filter(Boolean);
          process.stdout.write(
            printable`${result.file}: ${importSummary(result)}${result.dryRun ? ' (dry run: nothing was written)' : ''} [${extra.join('; ')}]\n`,
          );
          // The counts above are what the good rows would do; the real import is all or nothing, so a
          // "check first" that shows "created 2" must also say that, as it stands, nothing would be.
          if (result.dryRun && result.rejected > 0 && !result.skipBadRows)
            process.stderr.write(
              printable`${result.file}: as it stands the import would be refused and store nothing (${plural(result.rejected, 'row')} rejected); fix them, or use --skip-bad-rows to import the good rows\n`,
            );
        } finally {
          await handle.close();
        }
      },
    );

  withFilters(
    devices
      .command('list')
      .description('List devices (every match with --json/--csv; a terminal shows the first 50)')
      .option('--limit <n>', 'at most this many devices', positiveInt('--limit'))
      .option('--json', 'print a JSON array (streamed)')
      .option('--csv', 'print CSV (the export format)'),
  ).action(async (o: FilterOptions & { limit?: number; json?: boolean; csv?: boolean }) => {
    if (o.json && o.csv) throw invalidInput('Choose --json or --csv, not both');
    const { vdb } = await getContext();
    await assertSiteExists(vdb, o.site);
    const actor = cliActor();
    const query = queryOf(o);
    const out = new StreamOutput(process.stdout);
    try {
      await listTo(out, vdb, actor, query, o);
    } finally {
      out.release();
    }
  });

  devices
    .command('show <device>')
    .description(
      'Show a device by id, asset tag, serial number, UDI, MAC, IP address or host name: facts with their sources, conflicts',
    )
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      const { vdb } = await getContext();
      const d = await showDevice(vdb, cliActor(), ref);
      if (o.json) return printJson(d);
      printDetail(d);
    });

  withAttributes(
    devices.command('add').description('Add a device (needs an asset tag, serial number, UDI or MAC)'),
    false,
  ).action(async (o: AttributeOptions & { json?: boolean }) => {
    const { vdb } = await getContext();
    const d = await addDevice(vdb, cliActor(), attributesOf(o));
    outputDevice(d, o.json, `Added device ${d.id}.`);
  });

  withAttributes(
    devices.command('update <device>').description('Change what is declared about a device'),
    true,
  ).action(async (ref: string, o: AttributeOptions & { json?: boolean }) => {
    const attrs = attributesOf(o);
    if (Object.keys(attrs).length === 0)
      throw invalidInput('Nothing to change: give at least one field flag (see --help)');
    const { vdb } = await getContext();
    const d = await updateDevice(vdb, cliActor(), ref, attrs);
    outputDevice(d, o.json, `Updated device ${d.id}.`);
  });

  devices
    .command('retire <device>')
    .description('Mark a device retired (out of service)')
    .option('--reason <text>', 'why (kept in the audit log)')
    .option('--json', 'print the device as JSON')
    .action(async (ref: string, o: { reason?: string; json?: boolean }) => {
      const { vdb } = await getContext();
      const d = await retireDevice(vdb, cliActor(), ref, o.reason);
      // Its storage leaves with it: say how to keep the §164.310(d) record, unless it never held ePHI.
      const next =
        d.ephi === false
          ? ''
          : `\n${d.ephi ? 'It held ePHI' : 'It may have held ePHI (not recorded)'}: before disposal or re-use, record how its data was sanitized:\n  vigil devices sanitize ${d.id} --method clear|purge|destroy --date YYYY-MM-DD --by NAME`;
      outputDevice(d, o.json, `Device retired.${next}`);
    });

  devices
    .command('sanitize <device>')
    .description(
      "Record that the device's ePHI was sanitized before disposal or re-use (NIST SP 800-88; HIPAA §164.310(d))",
    )
    .requiredOption('--method <method>', `${SANITIZATION_METHODS.join('|')} (NIST SP 800-88 category)`)
    .requiredOption('--date <YYYY-MM-DD>', 'the day it was done')
    .requiredOption('--by <name>', 'who performed or verified it')
    .option('--reference <text>', 'certificate of sanitization, work order …')
    .option('--json', 'print the record as JSON')
    .action(
      async (
        ref: string,
        o: { method: string; date: string; by: string; reference?: string; json?: boolean },
      ) => {
        const { vdb } = await getContext();
        const s = await recordSanitization(vdb, cliActor(), ref, {
          method: o.method,
          performedOn: o.date,
          performedBy: o.by,
          ...(o.reference !== undefined ? { reference: o.reference } : {}),
        });
        if (o.json) return printJson(s);
        process.stderr.write(printable`Recorded sanitization ${s.id} of device ${s.deviceId}.\n`);
        printSanitizations([s]);
      },
    );

  devices
    .command('sanitizations <device>')
    .description("The device's sanitization records, newest first")
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      const { vdb } = await getContext();
      const list = await listSanitizations(vdb, cliActor(), ref);
      if (o.json) return printJson(list);
      if (list.length === 0) process.stdout.write('No sanitization recorded.\n');
      else printSanitizations(list);
    });

  devices
    .command('confirm <device>')
    .description('Confirm a staged (or ignored) device as a real, tracked device')
    .option('--json', 'print the device as JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      const { vdb } = await getContext();
      outputDevice(await confirmDevice(vdb, cliActor(), ref), o.json, 'Device confirmed.');
    });

  devices
    .command('ignore <device>')
    .description('Stop tracking a device (e.g. a staged visitor laptop)')
    .option('--reason <text>', 'why (kept in the audit log)')
    .option('--json', 'print the device as JSON')
    .action(async (ref: string, o: { reason?: string; json?: boolean }) => {
      const { vdb } = await getContext();
      outputDevice(await ignoreDevice(vdb, cliActor(), ref, o.reason), o.json, 'Device ignored.');
    });

  devices
    .command('merge <source> <into>')
    .description('Fold a duplicate record (source) into another (into)')
    .option('--json', 'print the merged device as JSON')
    .action(async (source: string, into: string, o: { json?: boolean }) => {
      const { vdb } = await getContext();
      const d = await mergeDevices(vdb, cliActor(), source, into);
      outputDevice(d, o.json, `Merged ${source} into ${d.id}.`);
    });

  withFilters(
    devices
      .command('export')
      .description('Export every matching device as CSV (re-importable) or JSON')
      .option('--format <format>', 'csv|json', 'csv')
      .option('-o, --output <file>', 'write to this file instead of standard output'),
  ).action(async (o: FilterOptions & { format: string; output?: string }) => {
    if (!(EXPORT_FORMATS as readonly string[]).includes(o.format)) {
      throw invalidInput(`Unknown export format "${o.format}"`, [
        { field: '--format', reason: 'use csv or json' },
      ]);
    }
    const { vdb } = await getContext();
    await assertSiteExists(vdb, o.site);
    const stream = o.output ? createWriteStream(o.output, { mode: 0o600 }) : process.stdout;
    const out = new StreamOutput(stream, o.output);
    let chunks = 0;
    try {
      for await (const chunk of exportDevices(vdb, cliActor(), queryOf(o), o.format as ExportFormat)) {
        await out.write(chunk);
        chunks++;
      }
    } finally {
      out.release();
    }
    if (o.output) {
      const file = stream as ReturnType<typeof createWriteStream>;
      await new Promise<void>((resolve) => file.end(resolve));
      out.throwIfFailed();
      // One chunk per device, plus the CSV header or the JSON brackets.
      const n = o.format === 'csv' ? chunks - 1 : chunks - 2;
      process.stderr.write(printable`Exported ${plural(n, 'device')} to ${o.output}.\n`);
    }
  });
}
