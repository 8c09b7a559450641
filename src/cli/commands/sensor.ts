/**
 * @module `vigil sensor`: continuous passive discovery from a live network (`--interface`, through dumpcap
 * or tcpdump), a capture piped on standard input (`--read-stdin`), or a directory a capture tool rotates
 * files into (`--follow-dir`), or Zeek logs and Suricata EVE JSON followed as they grow (`--zeek-dir`,
 * `--eve`). Stores what it learns every `--flush-seconds`, runs the detection rules on
 * each stored slice, prints a status line (or one JSON object) per flush, and flushes once more on
 * SIGINT/SIGTERM before exiting.
 */

import { access, constants, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Actor } from '../../accounts/actor.js';
import { invalidInput, VigilError } from '../../errors.js';
import { plural, pluralWord } from '../../format-count.js';
import { limitHeapGrowth } from '../../heap-growth.js';
import { zodIssues } from '../../inventory/device-input.js';
import type { Logger } from '../../log.js';
import { startAlertDispatcher } from '../../monitor/alert-dispatcher.js';
import { processSourceRun } from '../../monitor/process-source-run.js';
import {
  CAPTURE_TOOL_CHOICES,
  type CaptureToolEvent,
  CaptureToolSource,
} from '../../monitor/sensor/capture-tool.js';
import { FollowDirSource } from '../../monitor/sensor/follow-dir.js';
import { DbFollowDirState } from '../../monitor/sensor/follow-dir-state.js';
import { LiveAnalysis } from '../../monitor/sensor/live-analysis.js';
import { LogSensor, logSensorStatusLine } from '../../monitor/sensor/log-sensor.js';
import type { PacketSource } from '../../monitor/sensor/packet-source.js';
import { runSensor, type SensorStatus } from '../../monitor/sensor/sensor-runner.js';
import { resolveSensorSite } from '../../monitor/sensor/sensor-site.js';
import { StdinSource } from '../../monitor/sensor/stdin-source.js';
import type { NatsOptions } from '../../scaleout/nats-connection.js';
import { addNatsOptions, natsOptionsFrom } from '../../scaleout/nats-flags.js';
import {
  type RemoteFlags,
  runRemoteLogSensorCommand,
  runRemoteSensorCommand,
} from '../../scaleout/sensor-command.js';
import type { DbHandle } from '../../store/transaction.js';
import type { CliContext } from '../cli-context.js';
import { printable } from '../io.js';
import { action } from '../run-command.js';

const wholeNumber = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const SensorOptionsSchema = z
  .object({
    interface: z.string().min(1).max(15).optional(),
    readStdin: z.boolean().optional(),
    followDir: z.string().min(1).optional(),
    zeekDir: z.string().min(1).optional(),
    eve: z.string().min(1).optional(),
    filter: z.string().max(4096).optional(),
    tool: z.enum(CAPTURE_TOOL_CHOICES).default('auto'),
    snaplen: wholeNumber(64, 262_144).optional(),
    flushSeconds: wholeNumber(1, 86_400).default(30),
    hostIdleSeconds: wholeNumber(60, 30 * 86_400).default(3600),
    settleSeconds: wholeNumber(1, 86_400).default(60),
    deleteProcessed: z.boolean().optional(),
    site: z.string().min(1).max(200).optional(),
    quiet: z.boolean().optional(),
    json: z.boolean().optional(),
  })
  .refine(
    (o) =>
      [
        o.interface !== undefined,
        o.readStdin === true,
        o.followDir !== undefined,
        o.zeekDir !== undefined,
        o.eve !== undefined,
      ].filter(Boolean).length === 1,
    {
      message:
        'give exactly one of --interface IF, --read-stdin, --follow-dir DIR, --zeek-dir DIR, --eve FILE',
    },
  )
  .refine((o) => o.interface !== undefined || (o.filter === undefined && o.snaplen === undefined), {
    message: '--filter and --snaplen apply to --interface only',
  })
  .refine((o) => o.followDir !== undefined || !o.deleteProcessed, {
    message: '--delete-processed applies to --follow-dir only',
  });

type SensorFlags = z.input<typeof SensorOptionsSchema> & RemoteFlags;

/** `flushSeconds` → `--flush-seconds`: zod names the option's property, the operator typed the flag. */
const asFlag = (field: string) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function parseSensorOptions(flags: SensorFlags): z.output<typeof SensorOptionsSchema> {
  const r = SensorOptionsSchema.safeParse(flags);
  if (r.success) return r.data;
  const issues = zodIssues(r.error).map((i) => (i.field ? { ...i, field: asFlag(i.field) } : i));
  throw invalidInput('Invalid sensor options', issues);
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function statusLine(s: SensorStatus): string {
  const i = s.input as { restarts?: number; state?: string; filesDone?: number };
  const f = s.lastFlush;
  const parts = [
    `${s.packets.toLocaleString('en-US')} ${pluralWord(s.packets, 'packet')}`,
    mb(s.bytes),
    `${plural(s.hosts, 'host')} in memory`,
    `${plural(s.devices, 'device')}`,
    `${plural(s.flushes, 'flush', 'flushes')}${s.failedFlushes ? ` (${s.failedFlushes} failed)` : ''}`,
  ];
  if (i.restarts !== undefined) parts.push(`${plural(i.restarts, 'restart')}`, `tool ${i.state}`);
  if (i.filesDone !== undefined) parts.push(`${plural(i.filesDone, 'file')} done`);
  if (f?.stored)
    parts.push(
      `last: ${plural(f.hosts, 'host')}, ${plural(f.devices.staged, 'new device')}, findings ${f.findings.created} new/${f.findings.updated + f.findings.reopened} again, ${plural(f.flows, 'conversation')}`,
    );
  if (f?.error) parts.push(`last flush failed: ${f.error}`);
  return `sensor ${s.source} [${s.event}]: ${parts.join(', ')}`;
}

export function registerSensorCommand(program: Command, cli: CliContext): void {
  const sensor = program
    .command('sensor')
    .description(
      'Continuous passive discovery: capture from an interface (dumpcap/tcpdump), stdin, or a directory of rotating captures; or follow Zeek logs / Suricata EVE as they grow',
    )
    .option('--interface <if>', 'capture live from this interface through dumpcap or tcpdump')
    .option(
      '--read-stdin',
      'read a pcap/pcapng stream on standard input (tcpdump -U -w - | vigil sensor --read-stdin)',
    )
    .option('--follow-dir <dir>', 'read each completed capture file a tool rotates into DIR, once, in order')
    .option('--zeek-dir <dir>', 'follow the Zeek logs in DIR as they grow (e.g. /opt/zeek/logs/current)')
    .option('--eve <file>', 'follow a Suricata EVE JSON file as it grows (e.g. /var/log/suricata/eve.json)')
    .option('--filter <bpf>', 'BPF capture filter (--interface)')
    .option('--tool <tool>', 'auto | dumpcap | tcpdump (default auto: dumpcap when installed)')
    .option('--snaplen <n>', 'bytes kept per packet (--interface; default the tool\u2019s)')
    .option('--flush-seconds <n>', 'store what was learned every N seconds (default 30)')
    .option('--site <name>', 'place devices found without a site in this site')
    .option('--host-idle-seconds <n>', 'forget stored hosts silent this long, to bound memory (default 3600)')
    .option(
      '--settle-seconds <n>',
      '--follow-dir: newest file counts as complete after N s unchanged (default 60)',
    )
    .option('--delete-processed', '--follow-dir: delete each file once it is stored')
    .option('--quiet', 'no status lines')
    .option('--json', 'print one JSON status object per flush on stdout')
    .option('--sensor-id <id>', '--nats: this sensor\u2019s name at the centre (default host name + source)')
    .option(
      '--spool <dir>',
      '--nats: disk spool for when the centre is unreachable (default in the temp dir)',
    )
    .option(
      '--spool-max-mb <n>',
      '--nats: spool bound in MiB; oldest conversations are dropped first (default 1024)',
    )
    .option('--metrics-port <port>', '--nats: serve Prometheus metrics at http://127.0.0.1:PORT/metrics')
    .action(
      action(async (flags: SensorFlags) => {
        const o = parseSensorOptions(flags);
        limitHeapGrowth();
        // --nats: publish to the centre instead of storing here (scaleout/sensor-command.ts).
        const nats = natsOptionsFrom(flags);
        const { vdb, log, config } = await cli.get();
        const actor = cli.actor();
        const rateLimit = config.alertRateLimitPerHour;
        const siteId = o.site && !nats ? await resolveSensorSite(vdb, o.site) : null;
        const say = (line: string) => {
          if (!o.quiet && !o.json) process.stderr.write(printable`${line}\n`);
        };
        const warn = (message: string) => {
          log.warn({ sensor: o.interface ?? o.followDir ?? o.zeekDir ?? o.eve ?? 'stdin' }, message);
          process.stderr.write(printable`vigil sensor: warning: ${message}\n`);
        };
        if (o.zeekDir !== undefined || o.eve !== undefined) {
          await runLogSensor(
            { vdb, log, actor, rateLimit },
            o,
            siteId,
            say,
            warn,
            nats ? { nats, flags } : null,
          );
          return;
        }
        let source: PacketSource;
        if (o.interface !== undefined) {
          source = new CaptureToolSource({
            interface: o.interface,
            ...(o.filter !== undefined ? { filter: o.filter } : {}),
            tool: o.tool,
            ...(o.snaplen !== undefined ? { snaplen: o.snaplen } : {}),
            onEvent: (e: CaptureToolEvent) => {
              if (e.type === 'started') {
                log.info({ tool: e.tool, pid: e.pid, start: e.start }, 'capture tool started');
                if (e.start > 1)
                  say(`sensor ${o.interface}: ${e.tool} restarted (pid ${e.pid}, start ${e.start})`);
                if (o.json)
                  process.stdout.write(
                    printable`${JSON.stringify({ event: 'tool-start', at: new Date().toISOString(), tool: e.tool, pid: e.pid, start: e.start })}\n`,
                  );
              } else {
                const x = e.exit;
                log.warn(
                  {
                    tool: e.tool,
                    code: x.code,
                    signal: x.signal,
                    ranMs: x.ranMs,
                    restartInMs: e.restartInMs,
                    stderr: x.stderr.slice(-500),
                  },
                  'capture tool exited; restarting',
                );
                const why = x.signal ? `signal ${x.signal}` : `exit ${x.code}`;
                const said = x.stderr.trim().split('\n').slice(-2).join(' | ');
                say(
                  `sensor ${o.interface}: ${e.tool} stopped (${why}${said ? `: ${said}` : ''}); restarting in ${(e.restartInMs / 1000).toFixed(0)} s`,
                );
                if (o.json)
                  process.stdout.write(
                    printable`${JSON.stringify({ event: 'tool-exit', at: x.at, tool: e.tool, exit: x, restartInMs: e.restartInMs })}\n`,
                  );
              }
            },
          });
        } else if (o.followDir !== undefined) {
          // Checked before the sensor says it started, as --zeek-dir is: a mistyped path is an option error.
          if (!(await stat(o.followDir).catch(() => null))?.isDirectory())
            throw invalidInput(`--follow-dir ${o.followDir} is not a directory`);
          source = new FollowDirSource({
            dir: o.followDir,
            state: new DbFollowDirState(vdb, actor, o.followDir),
            settleMs: o.settleSeconds * 1000,
            deleteProcessed: o.deleteProcessed === true,
            onEvent: (e) => {
              if (e.type === 'dir-error') warn(`${e.file}: ${e.detail}`);
              else log.info({ file: e.file, detail: e.detail }, `follow-dir ${e.type}`);
            },
          });
        } else {
          source = new StdinSource();
        }
        if (nats) {
          await runRemoteSensorCommand({
            flags,
            nats,
            source,
            evidenceSource: o.interface !== undefined ? 'live' : 'capture',
            flushSeconds: o.flushSeconds,
            hostIdleSeconds: o.hostIdleSeconds,
            json: o.json === true,
            say,
            warn,
            log,
          });
          return;
        }
        const analysis = new LiveAnalysis({
          h: vdb,
          actor,
          label: source.label,
          evidenceSource: o.interface !== undefined ? 'live' : 'capture',
          hostIdleSeconds: o.hostIdleSeconds,
          siteId,
          afterApply: (run) => processSourceRun(vdb, run, { rateLimit }),
          onWarning: warn,
        });
        // The alerts this sensor raises go to the configured destinations (syslog, webhooks).
        const dispatcher = await startAlertDispatcher(vdb, { log });
        const stop = new AbortController();
        let signals = 0;
        const onSignal = (sig: NodeJS.Signals) => {
          // The first signal stops capturing and stores what is left; a second one does not wait.
          if (++signals > 1) process.exit(130);
          say(`sensor ${source.label}: ${sig}, storing what is left and stopping`);
          stop.abort();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        say(`sensor ${source.label}: started (${source.mode}, flush every ${o.flushSeconds} s)`);
        try {
          await runSensor({
            source,
            analysis,
            flushSeconds: o.flushSeconds,
            signal: stop.signal,
            onStatus: (s) => {
              if (o.json) process.stdout.write(printable`${JSON.stringify(s)}\n`);
              else say(statusLine(s));
            },
          });
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await dispatcher.stop({ graceMs: 10_000 });
        }
      }),
    );
  addNatsOptions(sensor);
}

/** `--zeek-dir DIR` / `--eve FILE`: sensor logs followed as they grow (monitor/sensor/log-sensor.ts). */
async function runLogSensor(
  { vdb, log, actor, rateLimit }: { vdb: DbHandle; log: Logger; actor: Actor; rateLimit: number },
  o: z.output<typeof SensorOptionsSchema>,
  siteId: string | null,
  say: (line: string) => void,
  warn: (message: string) => void,
  remote: { nats: NatsOptions; flags: RemoteFlags } | null,
): Promise<void> {
  const kind = o.zeekDir !== undefined ? 'zeek' : 'eve';
  const path = (o.zeekDir ?? o.eve)!;
  const dir = kind === 'zeek' ? path : dirname(path);
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory())
    throw invalidInput(
      kind === 'zeek' ? `--zeek-dir ${path} is not a directory` : `--eve ${path}: no directory ${dir}`,
    );
  // A log the sensor may not read would otherwise look like a log nobody writes to.
  for (const p of kind === 'zeek' ? [dir] : [dir, path])
    await access(p, constants.R_OK).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT')
        throw new VigilError('configuration', `cannot read ${p}: ${e.code ?? e.message}`);
    });
  if (remote) {
    // --nats: each flush is published to the centre (scaleout/sensor-command.ts); positions stay here.
    await runRemoteLogSensorCommand({
      ...remote,
      kind,
      path,
      flushSeconds: o.flushSeconds,
      json: o.json === true,
      say,
      warn,
      log,
      sensor: (publish) =>
        new LogSensor({
          h: vdb,
          actor,
          kind,
          path,
          hostIdleSeconds: o.hostIdleSeconds,
          onWarning: warn,
          publish,
        }),
    });
    return;
  }
  const sensor = new LogSensor({
    h: vdb,
    actor,
    kind,
    path,
    hostIdleSeconds: o.hostIdleSeconds,
    siteId,
    afterApply: (run) => processSourceRun(vdb, run, { rateLimit }),
    onWarning: warn,
  });
  const dispatcher = await startAlertDispatcher(vdb, { log });
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.exit(130);
    say(`sensor ${path}: ${sig}, storing what is left and stopping`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  say(`sensor ${path}: started (${kind === 'zeek' ? 'zeek-dir' : 'eve'}, flush every ${o.flushSeconds} s)`);
  try {
    await sensor.run({
      flushSeconds: o.flushSeconds,
      signal: stop.signal,
      onStatus: (s) => {
        if (o.json) process.stdout.write(printable`${JSON.stringify(s)}\n`);
        else say(logSensorStatusLine(s));
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await dispatcher.stop({ graceMs: 10_000 });
  }
}
