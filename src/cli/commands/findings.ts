/**
 * @module `vigil findings list|show|ack|resolve|reopen|false-positive`: what sources found, with evidence.
 */
import type { Command } from 'commander';
import type { Evidence } from '../../discovery/host-observation.js';
import { escapeControlInJson } from '../../escape-control.js';
import {
  type Finding,
  type FindingState,
  getFinding,
  setFindingState,
  streamFindings,
} from '../../findings/findings-service.js';
import { resolveDevice } from '../../inventory/inventory-service.js';
import type { CliContext } from '../cli-context.js';
import { formatLines, formatTable, printable, printJson } from '../io.js';
import { action, reasonNeeded } from '../run-command.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function evidenceLine(e: Evidence): string {
  const where = [e.file, e.packet !== undefined ? `packet ${e.packet}` : undefined, e.time]
    .filter(Boolean)
    .join(', ');
  return `${e.summary}${e.connection ? ` [${e.connection}]` : ''} (${where})`;
}

export function registerFindingCommands(program: Command, cli: CliContext): void {
  const findings = program
    .command('findings')
    .description(
      'Findings: cleartext PHI, cleartext credentials, insecure protocols, weak TLS, certificate problems',
    );

  findings
    .command('list')
    .description('List findings, most recently seen first')
    .option(
      '--type <type>',
      'cleartext-phi | cleartext-credentials | insecure-protocol | weak-tls | certificate-problem | failed-login | default-credentials | unnecessary-service',
    )
    .option('--severity <level>', 'info | low | medium | high | critical (repeatable)', collect)
    .option(
      '--state <state>',
      'open | acknowledged | resolved | false-positive (repeatable; default: open, acknowledged)',
      collect,
    )
    .option('--device <ref>', 'only this device (id, asset tag, serial, UDI, MAC, IP or host name)')
    .option('--all', 'every state, including resolved and false positives')
    .option('--json', 'print a JSON array of every matching finding')
    .action(
      action(
        async (o: {
          type?: string;
          severity?: string[];
          state?: string[];
          device?: string;
          all?: boolean;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          // The DEVICE column shows a label (an address, an asset tag), so that is what people type
          // back; taken as a raw id it matched nothing and printed an empty, reassuring list.
          const deviceId = o.device ? (await resolveDevice(vdb, cli.actor(), o.device)).id : undefined;
          const query = {
            type: o.type,
            severity: o.severity,
            state: o.all ? undefined : (o.state ?? ['open', 'acknowledged']),
            deviceId,
          };
          const list: Finding[] = [];
          if (o.json) process.stdout.write('[');
          let n = 0;
          for await (const f of streamFindings(vdb, cli.actor(), query)) {
            if (o.json) process.stdout.write(`${n++ ? ',' : ''}\n${escapeControlInJson(JSON.stringify(f))}`);
            else list.push(f);
          }
          if (o.json) return void process.stdout.write(`${n ? '\n' : ''}]\n`);
          process.stdout.write(
            formatTable(
              ['SEVERITY', 'TYPE', 'SUBJECT', 'DEVICE', 'STATE', 'SEEN', 'LAST SEEN', 'ID'],
              list.map((f) => [
                f.severity,
                f.type,
                f.subject,
                f.deviceLabel,
                f.state,
                f.occurrences,
                f.lastSeen,
                f.id,
              ]),
            ),
          );
        },
      ),
    );

  findings
    .command('show <id>')
    .description('Show a finding with its evidence')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const f = await getFinding(vdb, cli.actor(), id);
        if (o.json) return printJson(f);
        process.stdout.write(
          formatLines([
            `${f.title}`,
            `severity     ${f.severity}`,
            `state        ${f.state}`,
            `device       ${f.deviceLabel} (${f.deviceId})`,
            `first seen   ${evidenceLine(f.evidence)}`,
            `last seen    ${evidenceLine(f.lastEvidence)}`,
            `occurrences  ${f.occurrences}`,
            `details      ${JSON.stringify(f.details)}`,
          ]),
        );
      }),
    );

  const transitions: [string, FindingState, string][] = [
    ['ack', 'acknowledged', 'Acknowledge a finding (someone is on it)'],
    ['resolve', 'resolved', 'Mark a finding resolved (it re-opens if a source sees it again)'],
    ['reopen', 'open', 'Re-open a finding'],
    ['false-positive', 'false-positive', 'Dismiss a finding as a false positive (needs --reason)'],
  ];
  for (const [name, state, description] of transitions) {
    findings
      .command(`${name} <id>`)
      .description(description)
      .option('--reason <text>', 'why (kept in the audit log)')
      .action(
        action(async (id: string, o: { reason?: string }) => {
          if (state === 'false-positive' && !o.reason?.trim()) throw reasonNeeded();
          const { vdb } = await cli.get();
          const f = await setFindingState(vdb, cli.actor(), id, state, o.reason);
          process.stdout.write(
            printable`Finding ${f.id} (${f.type} ${f.subject} on ${f.deviceLabel}) is ${f.state}.\n`,
          );
        }),
      );
  }
}
