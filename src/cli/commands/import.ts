/**
 * @module `vigil import PATH…` (captures and nmap XML into the inventory) and `vigil analyze PATH…` (the
 * same into a throwaway in-memory database, printing devices and findings). Paths may be files,
 * directories (searched recursively) or `-` for a capture on standard input (`tcpdump -w - | vigil import -`).
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import type { Actor } from '../../accounts/actor.js';
import { type ApplyReport, applySourceResult } from '../../discovery/apply-source-result.js';
import { analyzeCapture } from '../../discovery/capture-analyzer.js';
import type { SourceResult } from '../../discovery/host-observation.js';
import { readNmapXml } from '../../discovery/nmap-xml.js';
import { analyzeEvePath } from '../../discovery/suricata-eve.js';
import { analyzeZeekPath, SENSOR_LOG_NAME, sensorLogKind, sensorLogs } from '../../discovery/zeek-logs.js';
import { formatIssue, type InputIssue, invalidInput, VigilError } from '../../errors.js';
import { streamFindings } from '../../findings/findings-service.js';
import { plural, pluralWord } from '../../format-count.js';
import { limitHeapGrowth } from '../../heap-growth.js';
import { deviceFingerprints, streamDevices } from '../../inventory/inventory-service.js';
import { startAlertDispatcher } from '../../monitor/alert-dispatcher.js';
import { processSourceRun, type SourceRunAlerts } from '../../monitor/process-source-run.js';
import type { DbHandle } from '../../store/transaction.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson } from '../io.js';
import { ProgressLine } from '../progress.js';
import { action } from '../run-command.js';

type SourceKind = 'capture' | 'nmap' | 'zeek' | 'eve';
const CAPTURE_EXTENSIONS = /\.(pcap|pcapng|cap|dmp|pcap\.gz|pcapng\.gz)$/i;
const NMAP_EXTENSIONS = /\.xml$/i;

export interface SourceReport extends ApplyReport {
  file: string;
  kind: SourceKind;
  /** Reader figures: packets, bytes, seconds … (captures) or scan info (nmap). */
  stats: Record<string, unknown>;
  issues: InputIssue[];
  /** What the detection rules raised from this file (docs/alerts.md). */
  alerts: SourceRunAlerts;
}

/** Files named on the command line, with directories expanded (sorted, recursive). */
async function expandPaths(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(p);
      continue;
    }
    const s = await stat(p).catch(() => {
      throw invalidInput(`No such file or directory: ${p}`);
    });
    if (s.isDirectory()) {
      const entries = await readdir(p, { recursive: true, withFileTypes: true });
      const files = entries
        .filter((e) => e.isFile() && (CAPTURE_EXTENSIONS.test(e.name) || NMAP_EXTENSIONS.test(e.name)))
        .map((e) => join(e.parentPath, e.name))
        .sort();
      const logs = await sensorLogs(
        entries
          .filter((e) => e.isFile() && SENSOR_LOG_NAME.test(e.name))
          .map((e) => join(e.parentPath, e.name))
          .sort(),
      );
      if (files.length === 0 && logs.zeek.length === 0 && logs.eve.length === 0)
        throw invalidInput(`No capture (.pcap, .pcapng, .gz), nmap XML, Zeek log or EVE file in ${p}`);
      out.push(...files);
      // One sensor's Zeek logs are one source: DHCP, DNS and x509 join the connections they explain.
      if (logs.zeek.length) out.push(p);
      out.push(...logs.eve);
    } else out.push(p);
  }
  return out;
}

/** What a file is, by its first bytes: pcap/pcapng/gzip → capture, XML → nmap. */
async function kindOf(path: string, forced?: string): Promise<SourceKind> {
  if (forced === 'capture' || forced === 'nmap' || forced === 'zeek' || forced === 'eve') return forced;
  if (path === '-') return 'capture';
  if ((await stat(path)).isDirectory()) return 'zeek';
  const log = await sensorLogKind(path);
  if (log) return log;
  const fh = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(64), 0, 64, 0);
    const head = buffer.subarray(0, bytesRead);
    const text = head.toString('latin1').trimStart();
    if (text.startsWith('<')) return 'nmap';
    return 'capture';
  } finally {
    await fh.close();
  }
}

/** The file's bytes as they are read, hashed on the way, so a large capture is read once. */
function hashedStream(path: string): { chunks: AsyncIterable<Uint8Array>; sha256: () => string | null } {
  if (path === '-') return { chunks: process.stdin, sha256: () => null };
  const hash = createHash('sha256');
  async function* tap(): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      yield chunk as Buffer;
    }
  }
  return { chunks: tap(), sha256: () => hash.digest('hex') };
}

export async function importSource(
  vdb: DbHandle,
  actor: Actor,
  path: string,
  opts: { format?: string; progress: boolean; alertRateLimit?: number },
): Promise<SourceReport> {
  const kind = await kindOf(path, opts.format);
  const file = path === '-' ? 'stdin' : basename(path);
  const st = path === '-' ? null : await stat(path);
  const size = st && !st.isDirectory() ? st.size : null;
  const input = hashedStream(path);
  let result: SourceResult;
  let stats: Record<string, unknown>;
  let issues: InputIssue[];
  let logSha256: string | null | undefined;
  if (kind === 'zeek' || kind === 'eve') {
    const r = kind === 'zeek' ? await analyzeZeekPath(path) : await analyzeEvePath(path);
    result = r;
    stats = r.stats;
    issues = r.issues;
    // Which log files the import read is in stats.logs; one file's hash is the import's.
    logSha256 = r.stats.logs.length === 1 ? (r.stats.logs[0]?.sha256 ?? null) : null;
  } else if (kind === 'nmap') {
    const r = await readNmapXml(input.chunks, { file });
    result = r;
    stats = { scan: r.scan };
    issues = r.issues;
  } else {
    const progress = new ProgressLine(
      `${file}`,
      size ?? undefined,
      opts.progress && Boolean(process.stderr.isTTY),
    );
    try {
      const r = await analyzeCapture(input.chunks, { file, onProgress: (s) => progress.update(s) });
      result = r;
      stats = r.stats;
      issues = r.issues ?? [];
    } catch (e) {
      // A file nothing recognised ends up here as a "capture": a Zeek log with an unusual first line
      // (btest baselines, a comment added by an export) is imported once its kind is named.
      // A UTF-16 text is none of them either until saved as UTF-8, which its issue says.
      if (
        opts.format === undefined &&
        path !== '-' &&
        e instanceof VigilError &&
        e.code === 'invalid_input' &&
        !e.issues?.some((i) => i.reason?.startsWith('UTF-16 '))
      )
        throw invalidInput(
          `${e.message}, nor nmap XML, a Zeek log or Suricata EVE JSON by its first line; if it is one of these, name it with --format nmap|zeek|eve`,
          e.issues,
        );
      throw e;
    } finally {
      progress.done();
    }
  }
  const sha256 = logSha256 !== undefined ? logSha256 : input.sha256();
  const report = await applySourceResult(vdb, actor, result, { kind, file, sha256, size, stats });
  const alerts = await processSourceRun(
    vdb,
    { report, result, kind, file },
    opts.alertRateLimit !== undefined ? { rateLimit: opts.alertRateLimit } : {},
  );
  return { ...report, file, kind, stats, issues, alerts };
}

function summaryLine(r: SourceReport): string {
  const s = r.stats as { packets?: number; seconds?: number; bytes?: number };
  const read =
    r.kind === 'capture' && s.packets !== undefined
      ? `${s.packets.toLocaleString('en-US')} ${pluralWord(s.packets, 'packet')}${s.seconds ? ` in ${s.seconds.toFixed(2)} s` : ''}, `
      : '';
  const f = r.findings;
  return (
    `${r.file}: ${read}${plural(r.hosts, 'host')} → staged ${r.devices.staged}, updated ${r.devices.updated}, seen ${r.devices.seen}` +
    `${r.unresolved.length ? `, unresolved ${r.unresolved.length}` : ''}; ${plural(r.services, 'service')}; ` +
    `findings ${f.created} new, ${f.updated + f.reopened} seen again${f.reopened ? ` (${f.reopened} re-opened)` : ''}`
  );
}

async function runImports(
  cli: CliContext,
  paths: string[],
  o: { format?: string; quiet?: boolean; json?: boolean },
  ctxFlags: Record<string, unknown> = {},
): Promise<{ reports: SourceReport[]; vdb: DbHandle }> {
  limitHeapGrowth();
  const { vdb, config } = await cli.get(ctxFlags);
  const files = await expandPaths(paths);
  const reports: SourceReport[] = [];
  const failures: InputIssue[] = [];
  // Delivers the alerts these imports raise to the configured destinations (none: nothing to do).
  const dispatcher = await startAlertDispatcher(vdb);
  for (const path of files) {
    try {
      const r = await importSource(vdb, cli.actor(), path, {
        format: o.format,
        progress: !o.quiet && !o.json,
        alertRateLimit: config.alertRateLimitPerHour,
      });
      reports.push(r);
      if (!o.json && !o.quiet) {
        process.stderr.write(printable`${summaryLine(r)}\n`);
        for (const i of r.issues.slice(0, 20))
          process.stderr.write(printable`  warning: ${formatIssue(i)}\n`);
        const a = r.alerts;
        if (a.created + a.updated)
          process.stderr.write(
            printable`  alerts: ${a.created} new, ${a.updated} seen again, ${a.suppressed} rate-limited\n`,
          );
      }
    } catch (e) {
      // One bad file does not stop the others; what it would have stored was rolled back.
      if (!(e instanceof VigilError)) throw e;
      failures.push(...(e.issues.length ? e.issues : [{ file: path, reason: e.message }]));
      if (!o.json) {
        // Most messages name the file already ("cut.xml is not readable nmap XML output").
        const named = e.message.includes(basename(path));
        process.stderr.write(printable`vigil: ${named ? '' : `${path}: `}${e.message}\n`);
        // Where and what: the line and column of broken XML, the offset of a corrupt block.
        for (const i of e.issues.slice(0, 20)) process.stderr.write(printable`  ${formatIssue(i)}\n`);
        if (e.issues.length > 20) process.stderr.write(printable`  … and ${e.issues.length - 20} more\n`);
      }
    }
  }
  await dispatcher.stop({ graceMs: 10_000 });
  if (failures.length && reports.length === 0)
    // On a terminal each file's problems were printed above; JSON callers get them here.
    throw invalidInput(
      o.json
        ? 'Nothing was imported'
        : `Nothing was imported (${plural(files.length, 'file')}, problems above)`,
      o.json ? failures : [],
    );
  if (failures.length) process.exitCode = 65;
  return { reports, vdb };
}

export function registerImportCommands(program: Command, cli: CliContext): void {
  program
    .command('import <paths...>')
    .description('Import packet captures (pcap, pcapng, gzip; - for stdin) and nmap XML into the inventory')
    .option('--format <kind>', 'capture | nmap | zeek | eve (default: detected from the file)')
    .option('--quiet', 'no progress line and no summary')
    .option('--json', 'print one JSON report per file')
    .action(
      action(async (paths: string[], o: { format?: string; quiet?: boolean; json?: boolean }) => {
        const { reports } = await runImports(cli, paths, o);
        if (o.json) printJson(reports);
      }),
    );

  program
    .command('analyze <paths...>')
    .description(
      'Analyze captures or nmap XML in a throwaway in-memory database and print devices and findings',
    )
    .option('--format <kind>', 'capture | nmap | zeek | eve (default: detected from the file)')
    .option('--quiet', 'no progress line')
    .option('--json', 'print {devices, findings, sources} as JSON')
    .action(
      action(async (paths: string[], o: { format?: string; quiet?: boolean; json?: boolean }) => {
        const { reports, vdb } = await runImports(
          cli,
          paths,
          { ...o, quiet: o.quiet || o.json },
          { db: 'sqlite::memory:' },
        );
        const listed = [];
        for await (const d of streamDevices(vdb, cli.actor(), { state: ['staged', 'active'] }))
          listed.push(d);
        // A quick look shows what the capture only hints at too (a medical maker's MAC prefix …).
        const seen = await deviceFingerprints(vdb, listed);
        const devices = listed.map((d) => ({ ...d, suggestions: [], hints: [], ...seen.get(d.id) }));
        const findings = [];
        for await (const f of streamFindings(vdb, cli.actor(), {})) findings.push(f);
        if (o.json) return printJson({ devices, findings, sources: reports });
        // A suggestion stands in for a missing value, marked with "?" (`vigil devices show` explains it).
        const hint = (d: (typeof devices)[number], field: string) => {
          const x = d.suggestions.find((s) => s.field === field);
          return x ? `${x.value}?` : null;
        };
        process.stdout.write(
          formatTable(
            ['MAC', 'IP', 'HOSTNAME', 'CLASS', 'MANUFACTURER', 'OS', 'PROTOCOLS', 'SERVICES'],
            devices.map((d) => [
              d.macs[0],
              d.ips.find((ip) => !ip.includes(':')) ?? d.ips[0],
              d.hostnames[0],
              d.deviceClass === 'unknown' ? (hint(d, 'deviceClass') ?? d.deviceClass) : d.deviceClass,
              d.manufacturer ?? hint(d, 'manufacturer'),
              d.os,
              d.protocols.join(','),
              d.services
                .map((s) => `${s.port}/${s.transport}${s.protocol ? ` ${s.protocol}` : ''}`)
                .join(', '),
            ]),
          ),
        );
        if (findings.length) {
          process.stdout.write('\n');
          process.stdout.write(
            formatTable(
              ['SEVERITY', 'TYPE', 'SUBJECT', 'DEVICE', 'EVIDENCE'],
              findings.map((f) => [f.severity, f.type, f.subject, f.deviceLabel, f.evidence.summary]),
            ),
          );
        }
      }),
    );
}
