/**
 * @module `vigil advisories import|sync|list|feeds|subscribe|unsubscribe`: vulnerability knowledge in
 * (CSAF, NVD, CVE 5, OSV, KEV, EPSS; offline CSAF bundles), with provenance and freshness.
 */

import { readdir, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  ADVISORY_FORMATS,
  type AdvisoryFormat,
  type FileImportReport,
  importAdvisoryPaths,
} from '../../advisories/advisory-import.js';
import {
  addSubscription,
  FEED_KINDS,
  type Feed,
  importCsafBundle,
  listFeeds,
  removeSubscription,
  syncFeeds,
} from '../../advisories/feeds-service.js';
import { invalidInput } from '../../errors.js';
import { plural } from '../../format-count.js';
import type { MatchRunReport } from '../../matching/matcher.js';
import { listAdvisories } from '../../store/advisory-store.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** A tarball, or a directory laid out like a CSAF provider, is an offline bundle. */
async function isBundle(path: string): Promise<boolean> {
  if (/\.(tar|tar\.gz|tgz)$/i.test(path)) return true;
  const s = await stat(path).catch(() => null);
  if (!s?.isDirectory()) return false;
  const names = await readdir(path);
  return names.some((n) => n === 'provider-metadata.json' || n === 'changes.csv' || n === 'index.txt');
}

export function printFileReports(
  files: readonly FileImportReport[],
  write = (s: string) => process.stdout.write(s),
) {
  for (const f of files) {
    write(printable`${f.status.padEnd(9)} ${f.file}: ${f.summary}\n`);
    for (const i of f.issues.slice(0, 20)) write(printable`          ${i.where}: ${i.message}\n`);
    if (f.issues.length > 20) write(`          … and ${f.issues.length - 20} more\n`);
  }
}

export function matchLine(m: MatchRunReport | null): string {
  if (!m) return 'Matching: nothing changed.';
  const by = Object.entries(m.byStatus)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  return `Matching: ${plural(m.devices, 'device')} (${m.subjects} distinct models/versions) against ${plural(m.vulnerabilitiesConsidered, 'vulnerability', 'vulnerabilities')} in ${m.ms} ms: ${plural(m.matches, 'match', 'matches')}${by ? ` (${by})` : ''}; ${m.added} new, ${m.changed} changed, ${m.removed} gone.`;
}

function feedRows(feeds: Feed[]): unknown[][] {
  return feeds.map((f) => [
    f.name,
    f.kind,
    f.manufacturer,
    f.lastSuccessAt?.slice(0, 16).replace('T', ' ') ?? 'never',
    f.stale ? 'STALE' : 'ok',
    f.lastError,
    f.url,
  ]);
}

export function registerAdvisoryCommands(program: Command, cli: CliContext): void {
  const advisories = program
    .command('advisories')
    .description(
      'Advisories and vulnerability feeds: CSAF, NVD, CVE 5, OSV, KEV, EPSS; subscriptions and sync',
    );

  advisories
    .command('import <paths...>')
    .description(
      'Import CSAF 2.0 files or directories, NVD CVE JSON, CVE 5 records, OSV, the KEV catalog or EPSS CSV (gzip or not); a .tar/.tar.gz or provider-layout directory imports as an offline CSAF bundle',
    )
    .option('--format <format>', `force the format: ${ADVISORY_FORMATS.join(' | ')}`)
    .option('--key <file>', 'armored OpenPGP public key to check bundle signatures (repeatable)', collect)
    .option('--require-signature', 'reject bundle documents without a valid signature')
    .option('--no-match', 'do not re-match after importing')
    .option('--json', 'print the report as JSON')
    .action(
      action(
        async (
          paths: string[],
          o: { format?: string; key?: string[]; requireSignature?: boolean; match: boolean; json?: boolean },
        ) => {
          if (o.format && !(ADVISORY_FORMATS as readonly string[]).includes(o.format))
            throw invalidInput(`--format must be one of ${ADVISORY_FORMATS.join(', ')}`);
          const { vdb } = await cli.get();
          const bundles: string[] = [];
          const files: string[] = [];
          for (const p of paths) ((await isBundle(p)) && !o.format ? bundles : files).push(p);
          const reports: FileImportReport[] = [];
          const rejected: { url: string; reason: string }[] = [];
          const matches: (MatchRunReport | null)[] = [];
          for (const b of bundles) {
            const r = await importCsafBundle(vdb, cli.actor(), b, {
              ...(o.key ? { keyFiles: o.key } : {}),
              requireSignature: o.requireSignature ?? false,
              match: o.match,
            });
            reports.push(...r.files);
            rejected.push(...r.rejected);
            matches.push(r.match);
          }
          if (files.length) {
            const onProgress =
              process.stderr.isTTY && !o.json
                ? (done: number, total: number, file: string) =>
                    process.stderr.write(
                      printable`\r\x1b[2K${done + 1}/${total} ${file}`.slice(
                        0,
                        (process.stderr.columns || 120) - 1,
                      ),
                    )
                : undefined;
            const r = await importAdvisoryPaths(vdb, cli.actor(), files, {
              ...(o.format ? { format: o.format as AdvisoryFormat } : {}),
              match: o.match,
              ...(onProgress ? { onProgress } : {}),
            });
            if (onProgress) process.stderr.write('\r\x1b[2K');
            reports.push(...r.files);
            matches.push(r.match);
          }
          // A record skipped in a partial file is lost data too: it counts as rejected.
          const rejectedRecords = reports.reduce(
            (n, r) => n + (r.status === 'partial' ? (r.rejected ?? 0) : 0),
            0,
          );
          const bad =
            reports.filter((r) => r.status === 'rejected').length + rejected.length + rejectedRecords;
          if (o.json)
            printJson({ files: reports, rejected, rejectedRecords, match: matches.filter(Boolean) });
          else {
            printFileReports(reports);
            for (const r of rejected) process.stdout.write(printable`rejected  ${r.url}: ${r.reason}\n`);
            const ok = reports.filter((r) => r.status !== 'rejected').length;
            const inPartial = rejectedRecords
              ? ` (${plural(rejectedRecords, 'record')} of partial files)`
              : '';
            process.stdout.write(printable`${ok} imported or unchanged, ${bad} rejected${inPartial}.\n`);
            for (const m of matches) if (m) process.stdout.write(printable`${matchLine(m)}\n`);
          }
          // Partial success is still a failure for scripts: a file, document or record did not import.
          if (bad > 0) process.exitCode = 65;
        },
      ),
    );

  advisories
    .command('sync')
    .description('Fetch what is new or changed from every subscription (or one), verify, import and re-match')
    .option('--feed <name>', 'only this feed')
    .option('--json', 'print the report as JSON')
    .action(
      action(async (o: { feed?: string; json?: boolean }) => {
        const { vdb, config } = await cli.get();
        const r = await syncFeeds(vdb, cli.actor(), {
          allowHosts: config.feedAllowHosts,
          ...(o.feed ? { feed: o.feed } : {}),
        });
        if (o.json) return printJson(r);
        if (r.feeds.length === 0)
          process.stdout.write('No subscriptions: add one with vigil advisories subscribe.\n');
        for (const f of r.feeds) {
          process.stdout.write(
            printable`${f.feed} (${f.kind}): ${f.error ? `FAILED: ${f.error}` : `${f.fetched} fetched, ${f.unchanged} unchanged, ${f.rejected.length} rejected`}\n`,
          );
          for (const x of f.rejected) process.stdout.write(printable`  rejected ${x.url}: ${x.reason}\n`);
          printFileReports(
            f.files.filter((x) => x.status !== 'unchanged'),
            // Each line comes escaped from printFileReports, its own newline included.
            (s) => process.stdout.write(`  ${s}`),
          );
        }
        process.stdout.write(printable`${matchLine(r.match)}\n`);
        if (r.feeds.some((f) => f.error || f.rejected.length)) process.exitCode = 65;
      }),
    );

  advisories
    .command('list')
    .description('List imported CSAF advisories, newest first')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const rows = await listAdvisories(vdb);
        const list = rows.map((a) => ({
          advisoryId: a.tracking_id,
          title: a.title,
          publisher: a.publisher,
          version: a.version,
          initialRelease: a.initial_release,
          currentRelease: a.current_release,
          origin: a.origin,
          fetchedAt: a.fetched_at,
        }));
        if (o.json) return printJson(list);
        process.stdout.write(
          formatTable(
            ['ADVISORY', 'VERSION', 'RELEASED', 'TITLE'],
            list.map((a) => [a.advisoryId, a.version, a.currentRelease.slice(0, 10), a.title]),
          ),
        );
      }),
    );

  advisories
    .command('feeds')
    .description(
      'List feed sources and subscriptions with their freshness (STALE: not synced within its interval)',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const feeds = await listFeeds(vdb, cli.actor());
        if (o.json) return printJson(feeds);
        process.stdout.write(
          formatTable(
            ['NAME', 'KIND', 'MANUFACTURER', 'LAST SYNC', 'STATE', 'ERROR', 'URL'],
            feedRows(feeds),
          ),
        );
      }),
    );

  advisories
    .command('subscribe <url>')
    .description(
      "Sign up for a feed: a manufacturer's or CISA's CSAF provider-metadata.json, or a KEV/EPSS/NVD/OSV file URL",
    )
    .requiredOption('--name <name>', 'a short name for the feed')
    .option('--kind <kind>', FEED_KINDS.join(' | '), 'csaf-provider')
    .option('--manufacturer <name>', 'the manufacturer this subscription follows')
    .option('--require-signature', 'reject documents without a valid OpenPGP signature')
    .option('--interval-hours <n>', 'expected sync interval; later than this the feed shows as stale', Number)
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          url: string,
          o: {
            name: string;
            kind: string;
            manufacturer?: string;
            requireSignature?: boolean;
            intervalHours?: number;
            json?: boolean;
          },
        ) => {
          const input = {
            kind: o.kind,
            name: o.name,
            url,
            ...(o.manufacturer ? { manufacturer: o.manufacturer } : {}),
            ...(o.requireSignature ? { requireSignature: true } : {}),
            ...(o.intervalHours !== undefined ? { intervalHours: o.intervalHours } : {}),
          };
          const { vdb, config } = await cli.get();
          const f = await addSubscription(vdb, cli.actor(), input, { allowHosts: config.feedAllowHosts });
          if (o.json) return printJson(f);
          process.stdout.write(
            printable`Subscribed to ${f.name} (${f.kind}). Run vigil advisories sync to fetch it.\n`,
          );
        },
      ),
    );

  advisories
    .command('unsubscribe <feed>')
    .description('Remove a subscription (imported advisories stay)')
    .action(
      action(async (feed: string) => {
        const { vdb } = await cli.get();
        await removeSubscription(vdb, cli.actor(), feed);
        process.stdout.write(printable`Removed ${feed}.\n`);
      }),
    );
}
