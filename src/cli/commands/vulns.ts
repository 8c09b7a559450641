/**
 * @module `vigil match` and `vigil vulns list|show|why|confirm|reject`: which vulnerabilities affect
 * which devices, why, and the people's decisions on candidates.
 */

import type { Command } from 'commander';
import { invalidInput } from '../../errors.js';
import { escapeControlInJson } from '../../escape-control.js';
import { plural } from '../../format-count.js';
import { deviceLabels, labelIn } from '../../inventory/device-label.js';
import { resolveDevice } from '../../inventory/inventory-service.js';
import { MATCH_STATUSES } from '../../matching/match-types.js';
import {
  decideCandidate,
  explainMatch,
  matchEveryDevice,
  showVulnerability,
  streamVulnMatches,
  type VulnerabilityMatch,
  type VulnerabilityView,
} from '../../matching/vulns-service.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';
import { matchLine } from './advisories.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function kevText(k: VulnerabilityMatch['kev']): string {
  return k === null ? '?' : k === false ? '-' : `KEV ${k.dateAdded}${k.dueDate ? ` due ${k.dueDate}` : ''}`;
}

function printView(v: VulnerabilityView, indent = ''): void {
  const w = (s: string) => process.stdout.write(printable`${indent}${s}\n`);
  w(`${v.vulnerability}${v.title ? `: ${v.title}` : ''}`);
  if (v.cvss)
    w(`  CVSS ${v.cvss.version ?? ''} ${v.cvss.score} ${v.cvss.severity ?? ''} ${v.cvss.vector ?? ''}`);
  if (v.cwes.length) w(`  CWE: ${v.cwes.join(', ')}`);
  w(
    `  KEV: ${kevText(v.kev)}; EPSS: ${v.epss ? `${v.epss.score} (percentile ${v.epss.percentile})` : 'unknown'}`,
  );
  for (const a of v.advisories)
    w(`  Advisory ${a.advisoryId} v${a.version} (${a.currentRelease.slice(0, 10)}): ${a.origin}`);
  for (const s of v.sources) w(`  Record ${s.source} from ${s.origin} (fetched ${s.fetchedAt.slice(0, 10)})`);
  const counts = Object.entries(v.counts).map(([k, n]) => `${n} ${k}`);
  w(`  Devices: ${counts.length ? counts.join(', ') : 'none matched'}`);
  if (v.fleet.length) {
    process.stdout.write(
      formatTable(
        ['DEVICES', 'STATUS', 'MANUFACTURER', 'MODEL', 'VERSION', 'SITE', 'FIX'],
        v.fleet.map((f) => [
          f.devices,
          f.status,
          f.manufacturer,
          f.model,
          f.version,
          f.site,
          f.fixAvailable ? 'yes' : 'no',
        ]),
      )
        .split('\n')
        .map((l) => (l ? `${indent}    ${l}` : l))
        .join('\n'),
    );
  }
}

export function registerVulnCommands(program: Command, cli: CliContext): void {
  program
    .command('match')
    .description(
      'Match every device against every advisory and vulnerability record (runs after imports anyway)',
    )
    .option('--json', 'print the report as JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await matchEveryDevice(vdb, cli.actor());
        if (o.json) return printJson(r);
        process.stdout.write(printable`${matchLine(r)}\n`);
      }),
    );

  const vulns = program
    .command('vulns')
    .description('Vulnerabilities per device: list, show (fleet view), why, confirm or reject candidates');

  vulns
    .command('list')
    .description('One entry per (device, vulnerability); default: affected and needs-review')
    .option(
      '--status <status>',
      'affected | needs-review | not-affected | fixed | under-investigation (repeatable)',
      collect,
    )
    .option('--all', 'every status')
    .option('--device <ref>', 'only this device (id, asset tag, serial, UDI, MAC, IP or host name)')
    .option('--vuln <id>', 'only this CVE or advisory-local key')
    .option('--candidates', 'only candidates awaiting a person’s confirmation')
    .option('--limit <n>', 'at most n entries', (v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1)
        throw invalidInput('--limit must be a whole number of at least 1');
      return Number(v);
    })
    .option('--json', 'print a JSON array of every entry')
    .action(
      action(
        async (o: {
          status?: string[];
          all?: boolean;
          device?: string;
          vuln?: string;
          candidates?: boolean;
          limit?: number;
          json?: boolean;
        }) => {
          const badStatus = (o.status ?? []).filter(
            (s) => !(MATCH_STATUSES as readonly string[]).includes(s),
          );
          if (badStatus.length)
            throw invalidInput(
              `--status must be one of ${MATCH_STATUSES.join(', ')} (not ${badStatus.join(', ')})`,
            );
          const { vdb } = await cli.get();
          const actor = cli.actor();
          const deviceId = o.device ? (await resolveDevice(vdb, actor, o.device)).id : undefined;
          const query = {
            ...(o.all ? {} : { status: o.status ?? (o.json ? undefined : ['affected', 'needs-review']) }),
            ...(deviceId ? { deviceId } : {}),
            ...(o.vuln ? { vulnerability: o.vuln } : {}),
            ...(o.candidates ? { candidate: true } : {}),
            ...(o.limit ? { limit: o.limit } : {}),
          };
          if (query.status === undefined) delete query.status;
          const list: VulnerabilityMatch[] = [];
          if (o.json) process.stdout.write('[');
          let n = 0;
          for await (const m of streamVulnMatches(vdb, actor, query)) {
            if (o.json) process.stdout.write(`${n++ ? ',' : ''}\n${escapeControlInJson(JSON.stringify(m))}`);
            else list.push(m);
          }
          if (o.json) return void process.stdout.write(`${n ? '\n' : ''}]\n`);
          // People read the table top down: affected first, then what waits for review; within a status,
          // known exploitation (KEV), then CVSS.
          const rank = ['affected', 'needs-review', 'under-investigation', 'fixed', 'not-affected'];
          list.sort(
            (a, b) =>
              rank.indexOf(a.status) - rank.indexOf(b.status) ||
              Number(Boolean(b.kev)) - Number(Boolean(a.kev)) ||
              (b.cvss?.score ?? -1) - (a.cvss?.score ?? -1) ||
              a.vulnerability.localeCompare(b.vulnerability),
          );
          process.stdout.write(
            formatTable(
              ['STATUS', 'VULNERABILITY', 'ADVISORY', 'DEVICE', 'CONF', 'FIX', 'KEV', 'EPSS', 'WHY'],
              list.map((m) => [
                m.status,
                m.vulnerability,
                m.advisoryIds,
                m.deviceLabel,
                m.confidence,
                m.fixAvailable ? 'yes' : 'no',
                kevText(m.kev),
                m.epss?.score ?? '?',
                m.explanation,
              ]),
            ),
          );
        },
      ),
    );

  vulns
    .command('show <id>')
    .description(
      'A CVE or an advisory (ICSMA-…): details, sources, KEV/EPSS, and the fleet view by model, version and site',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await showVulnerability(vdb, cli.actor(), id);
        if (o.json) return printJson(r.view);
        if (r.kind === 'advisory') {
          const a = r.view;
          process.stdout.write(
            printable`${a.advisoryId} version ${a.version} (${a.status}), ${a.publisher}\n${a.title}\nReleased ${a.initialRelease.slice(0, 10)}, current ${a.currentRelease.slice(0, 10)}; from ${a.origin}, fetched ${a.fetchedAt.slice(0, 16)}\n`,
          );
          for (const ref of a.references.slice(0, 5))
            process.stdout.write(printable`  ${ref.summary}: ${ref.url}\n`);
          for (const v of a.vulnerabilities) printView(v, '');
        } else printView(r.view);
      }),
    );

  vulns
    .command('why <device> <vulnerability>')
    .description('Explain a match: every rule and source that matched which device attribute')
    .option('--json', 'print JSON')
    .action(
      action(async (ref: string, vuln: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const actor = cli.actor();
        const device = await resolveDevice(vdb, actor, ref);
        const m = await explainMatch(vdb, actor, device.id, vuln);
        if (o.json) return printJson(m);
        const w = (s: string) => process.stdout.write(printable`${s}\n`);
        w(
          `${m.vulnerability} on ${m.deviceLabel}: ${m.status} (confidence ${m.confidence}${m.candidate ? ', candidate awaiting review' : ''})`,
        );
        w(`  ${m.explanation}`);
        w(
          `  Rules: ${m.matchedBy.join(', ')}; fix available: ${m.fixAvailable ? 'yes' : 'no'}; KEV: ${kevText(m.kev)}; EPSS: ${m.epss?.score ?? 'unknown'}`,
        );
        for (const e of m.details.evidence) {
          w(
            `  - ${e.rule} [${e.source}${e.advisoryId ? ` ${e.advisoryId}` : ''}${e.documentDate ? ` ${e.documentDate.slice(0, 10)}` : ''}] says ${e.status}${e.certain ? '' : ' (undecided)'}, confidence ${e.confidence}`,
          );
          w(`      ${e.explanation}`);
          for (const r of e.remediations.slice(0, 3))
            w(`      ${r.category}: ${r.details.slice(0, 200)}${r.url ? ` ${r.url}` : ''}`);
        }
        if (m.details.decision)
          w(
            `  Decision: ${m.details.decision.decision} by ${m.details.decision.by} on ${m.details.decision.at}: ${m.details.decision.reason}`,
          );
        if (m.details.vex)
          w(
            `  VEX: ${m.details.vex.status}${m.details.vex.justification ? ` (${m.details.vex.justification})` : ''}${m.details.vex.impactStatement ? `: ${m.details.vex.impactStatement}` : ''}`,
          );
      }),
    );

  for (const [verb, decision] of [
    ['confirm', 'confirmed'],
    ['reject', 'rejected'],
  ] as const) {
    vulns
      .command(`${verb} <device> <vulnerability>`)
      .description(
        `${verb === 'confirm' ? 'Confirm' : 'Reject'} a candidate match; remembered for the device's model and version and audited`,
      )
      .requiredOption('--reason <text>', 'why (kept with the decision)')
      .option('--all-versions', 'apply to every version of the model')
      .action(
        action(async (ref: string, vuln: string, o: { reason: string; allVersions?: boolean }) => {
          const input = { decision, reason: o.reason, ...(o.allVersions ? { allVersions: true } : {}) };
          const { vdb } = await cli.get();
          const actor = cli.actor();
          const device = await resolveDevice(vdb, actor, ref);
          const r = await decideCandidate(vdb, actor, device.id, vuln, input);
          const label = labelIn(await deviceLabels(vdb, [device.id]), device.id);
          // Say how far the decision reaches: it is kept for later matches of every such device.
          const scope = o.allVersions ? `every version of ${label}'s model` : `${label}'s model and version`;
          process.stdout.write(
            printable`${vuln.toUpperCase()} ${r.decision} for ${scope}; ${plural(r.devicesAffected, 'match', 'matches')} updated.\n`,
          );
        }),
      );
  }
}
