/**
 * @module `vigil alerts list|show|ack|resolve|false-positive|reopen|destinations|dead-letters|retry`:
 * alerts raised by the detection rules, their states, and where they are delivered.
 */

import type { Command } from 'commander';
import type { Actor } from '../../accounts/actor.js';
import { invalidInput, notFound } from '../../errors.js';
import { plural } from '../../format-count.js';
import { resolveDevice } from '../../inventory/inventory-service.js';
import type { AlertEvidence } from '../../monitor/alert-candidate.js';
import {
  addDestination,
  listDeadLetters,
  listDestinations,
  removeDestination,
  retryDeadLetter,
  testDestination,
} from '../../monitor/alert-destinations-service.js';
import { type AlertState, changeAlertState, getAlert, listAlerts } from '../../monitor/alerts-service.js';
import { readCappedFile } from '../../read-capped-file.js';
import { findSite } from '../../store/site-store.js';
import type { DbHandle } from '../../store/transaction.js';
import type { CliContext } from '../cli-context.js';
import { formatLines, formatTable, pageOf, printable, printJson, readStdin, withPaging } from '../io.js';
import { action, reasonNeeded } from '../run-command.js';

/** A webhook signing secret is one line of at most a few hundred characters; only the first line is used. */
const MAX_SECRET_FILE_BYTES = 64_000;

const collect = (v: string, prev: string[] = []) => [...prev, v];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `--device` and `--site` as people give them: the list's DEVICE column shows an address or asset tag,
 * and sites have names. Taken as ids, those matched nothing and printed an empty table, which reads as
 * "no alerts". An id is passed through (alerts outlive a merged device); anything else must resolve.
 */
async function alertScope(
  h: DbHandle,
  actor: Actor,
  o: { device?: string; site?: string },
): Promise<{ deviceId?: string; siteId?: string }> {
  const deviceId =
    o.device && !UUID.test(o.device.trim()) ? (await resolveDevice(h, actor, o.device)).id : o.device;
  let siteId = o.site;
  if (o.site && !UUID.test(o.site.trim())) {
    const site = await findSite(h, o.site);
    if (!site) throw notFound(`Site ${o.site}`);
    siteId = site.id;
  }
  return { ...(deviceId ? { deviceId } : {}), ...(siteId ? { siteId } : {}) };
}

function evidenceLine(e: AlertEvidence): string {
  const where = [e.file, e.packet !== undefined ? `packet ${e.packet}` : undefined, e.time]
    .filter(Boolean)
    .join(', ');
  return `${e.summary}${e.connection ? ` [${e.connection}]` : ''} (${where})`;
}

export function registerAlertCommands(program: Command, cli: CliContext): void {
  const alerts = program
    .command('alerts')
    .description('Alerts raised by detection rules: list, show, change state, delivery destinations');

  alerts
    .command('list')
    .description('List alerts, most recently seen first')
    .option('--state <state>', 'new | acknowledged | resolved | false-positive (repeatable)', collect)
    .option('--rule <rule>', 'rule id, e.g. cleartext-phi (repeatable)', collect)
    .option('--severity <level>', 'info | low | medium | high | critical (repeatable)', collect)
    .option('--device <device>', 'only alerts of this device: id, asset tag, MAC, IP or host name')
    .option('--site <site>', 'only alerts of this site: id or name')
    .option('--since <date>', 'only alerts last seen at or after this date or date-time')
    .option('--limit <n>', 'at most this many (default 100, max 1000)')
    .option('--offset <n>', 'skip this many')
    .option('--json', 'print {items, total, limit, offset} as JSON')
    .action(
      action(
        async (o: {
          state?: string[];
          rule?: string[];
          severity?: string[];
          device?: string;
          site?: string;
          since?: string;
          limit?: string;
          offset?: string;
          json?: boolean;
        }) => {
          const { vdb } = await cli.get();
          const page = await listAlerts(vdb, cli.actor(), {
            ...(o.state ? { state: o.state as AlertState[] } : {}),
            ...(o.rule ? { rule: o.rule } : {}),
            ...(o.severity ? { severity: o.severity as never } : {}),
            ...(await alertScope(vdb, cli.actor(), o)),
            ...(o.since ? { since: o.since } : {}),
            ...pageOf(o),
          });
          if (o.json) return printJson(page);
          process.stdout.write(
            formatTable(
              ['SEVERITY', 'RULE', 'SUBJECT', 'DEVICE', 'STATE', 'COUNT', 'LAST SEEN', 'ID'],
              page.items.map((a) => [
                a.severity,
                a.rule,
                a.subject,
                a.deviceLabel ?? a.deviceId ?? a.siteId,
                a.state,
                a.suppressed ? `${a.count} (${a.suppressed} suppressed)` : a.count,
                a.lastSeen,
                a.id,
              ]),
            ),
          );
          if (page.total > page.offset + page.items.length)
            process.stderr.write(
              printable`${page.offset + 1}–${page.offset + page.items.length} of ${page.total}; next: --offset ${page.offset + page.items.length}\n`,
            );
        },
      ),
    );

  alerts
    .command('show <id>')
    .description('Show an alert with its evidence, history and deliveries')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const a = await getAlert(vdb, cli.actor(), id);
        if (o.json) return printJson(a);
        const lines = [
          a.title,
          `rule         ${a.rule}`,
          `severity     ${a.severity}`,
          `state        ${a.state}${a.stateReason ? ` (${a.stateReason})` : ''}`,
          `subject      ${a.subject}`,
          `device       ${a.deviceId ? `${a.deviceLabel ?? '-'} (${a.deviceId})` : '-'}   site ${a.siteId ?? '-'}`,
          `seen         ${plural(a.count, 'time')}${a.suppressed ? `, ${a.suppressed} suppressed by the rate limit` : ''}, ${a.firstSeen} – ${a.lastSeen}`,
          `details      ${JSON.stringify(a.details)}`,
          'evidence',
          ...a.evidence.map((e) => `  ${evidenceLine(e)}`),
          'history',
          ...a.events.map(
            (e) =>
              `  ${e.at} ${e.actor} ${e.action} ${e.fromState ?? '-'} → ${e.toState}${e.reason ? ` (${e.reason})` : ''}`,
          ),
        ];
        if (a.deliveries.length) {
          lines.push('deliveries');
          for (const d of a.deliveries)
            lines.push(
              `  ${d.destination} (${d.kind}): ${d.state}, ${plural(d.attempts, 'attempt')}${d.lastError ? `, ${d.lastError}` : ''}`,
            );
        }
        process.stdout.write(formatLines(lines));
      }),
    );

  const transitions: [string, AlertState, string][] = [
    ['ack', 'acknowledged', 'Acknowledge an alert (someone is on it)'],
    ['resolve', 'resolved', 'Resolve an alert (it re-opens if the rule raises it again)'],
    [
      'false-positive',
      'false-positive',
      'Dismiss an alert as a false positive (needs --reason; it then only counts)',
    ],
    ['reopen', 'new', 'Re-open a resolved or dismissed alert'],
  ];
  for (const [name, state, description] of transitions) {
    alerts
      .command(`${name} <id>`)
      .description(description)
      .option('--reason <text>', 'why (kept with the alert and in the audit log)')
      .action(
        action(async (id: string, o: { reason?: string }) => {
          if (state === 'false-positive' && !o.reason?.trim()) throw reasonNeeded();
          const { vdb } = await cli.get();
          const a = await changeAlertState(vdb, cli.actor(), id, {
            state,
            ...(o.reason !== undefined ? { reason: o.reason } : {}),
          });
          process.stdout.write(
            printable`Alert ${a.id} (${a.rule} ${a.subject}${a.deviceLabel ? ` on ${a.deviceLabel}` : ''}) is ${a.state}.\n`,
          );
        }),
      );
  }

  const destinations = alerts
    .command('destinations')
    .description('Where alerts are delivered: syslog (RFC 5424, CEF) and signed webhooks');

  destinations
    .command('add')
    .description('Add a destination (a webhook secret is read from stdin or a file, never the command line)')
    .requiredOption('--name <name>', 'a short name (letters, digits, . _ -)')
    .requiredOption('--kind <kind>', 'syslog | webhook')
    .option('--transport <t>', 'syslog: udp | tcp | tls')
    .option('--host <host>', 'syslog: receiver host name or IP')
    .option('--port <port>', 'syslog: receiver port')
    .option('--facility <name>', 'syslog: facility (default local0)')
    .option('--app-name <name>', 'syslog: APP-NAME (default vigil)')
    .option('--ca-file <path>', 'syslog tls: PEM CA of the receiver')
    .option('--cert-file <path>', 'syslog tls: PEM client certificate (mutual TLS)')
    .option('--key-file <path>', 'syslog tls: PEM client key (mutual TLS)')
    .option('--url <url>', 'webhook: https:// URL (http:// only to loopback)')
    .option(
      '--secret-stdin',
      'webhook: read the signing secret (32+ characters) from the first line of stdin',
    )
    .option('--secret-file <path>', 'webhook: read the signing secret from this file')
    .option('--timeout-ms <n>', 'webhook: request timeout')
    .option('--events <list>', 'webhook: what it receives, alerts (default), tasks or alerts,tasks')
    .option('--disabled', 'add it switched off')
    .option('--json', 'print the destination as JSON')
    .action(
      action(async (o: Record<string, string | boolean | undefined>) => {
        const { vdb } = await cli.get();
        let secret: string | undefined;
        if (o['secretStdin']) secret = (await readStdin()).split(/\r?\n/)[0];
        else if (typeof o['secretFile'] === 'string')
          secret = (
            await readCappedFile(o['secretFile'], {
              what: 'a secret file',
              role: 'secret file',
              maxBytes: MAX_SECRET_FILE_BYTES,
            })
          )
            .toString('utf8')
            .split(/\r?\n/)[0];
        // The schema can only say "secret: required"; the person at the terminal needs the flags.
        if (o['kind'] === 'webhook' && secret === undefined)
          throw invalidInput(
            'A webhook needs its signing secret: give --secret-stdin or --secret-file FILE (never on the command line)',
          );
        const pick = (k: string, as = k) => (o[k] !== undefined ? { [as]: o[k] } : {});
        const d = await addDestination(vdb, cli.actor(), {
          name: o['name'],
          kind: o['kind'],
          ...pick('transport'),
          ...pick('host'),
          ...pick('port'),
          ...pick('facility'),
          ...pick('appName'),
          ...pick('caFile'),
          ...pick('certFile'),
          ...pick('keyFile'),
          ...pick('url'),
          ...pick('timeoutMs'),
          ...(typeof o['events'] === 'string' ? { events: o['events'].split(',').map((e) => e.trim()) } : {}),
          ...(secret !== undefined ? { secret } : {}),
          ...(o['disabled'] ? { enabled: false } : {}),
        });
        if (o['json']) return printJson(d);
        process.stdout.write(printable`Added alert destination ${d.name} (${d.target}), id ${d.id}.\n`);
      }),
    );

  destinations
    .command('list')
    .description('List destinations (secrets are never shown)')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listDestinations(vdb, cli.actor());
        if (o.json) return printJson(list);
        process.stdout.write(
          formatTable(
            ['NAME', 'KIND', 'TARGET', 'EVENTS', 'ENABLED', 'SECRET', 'ID'],
            list.map((d) => [
              d.name,
              d.kind,
              d.target,
              d.events.join(','),
              d.enabled ? 'yes' : 'no',
              d.hasSecret ? 'set' : '-',
              d.id,
            ]),
          ),
        );
      }),
    );

  destinations
    .command('remove <name-or-id>')
    .description('Remove a destination with its delivery records')
    .action(
      action(async (ref: string) => {
        const { vdb } = await cli.get();
        const d = await removeDestination(vdb, cli.actor(), ref);
        process.stdout.write(printable`Removed alert destination ${d.name}.\n`);
      }),
    );

  destinations
    .command('test <name-or-id>')
    .description(
      'Send one test alert (rule "test", severity info), or with --event task a sample task event, to a destination now',
    )
    .option('--event <kind>', 'alert or task (default: what the destination receives, alerts first)')
    .option('--json', 'print {ok, destination, error} as JSON')
    .action(
      action(async (ref: string, o: { json?: boolean; event?: string }) => {
        const { vdb } = await cli.get();
        if (o.event !== undefined && o.event !== 'alert' && o.event !== 'task')
          throw invalidInput(`--event takes alert or task, not ${o.event}`);
        const r = await testDestination(vdb, cli.actor(), ref, o.event ? { event: o.event } : {});
        const what = (o.event ?? r.event) === 'task' ? 'Test task event' : 'Test alert';
        if (o.json) printJson(r);
        else
          process.stdout.write(
            r.ok
              ? printable`${what} delivered to ${r.destination}.\n`
              : printable`${what} to ${r.destination} failed: ${r.error}\n`,
          );
        if (!r.ok) process.exitCode = 69;
      }),
    );

  withPaging(
    alerts
      .command('dead-letters')
      .description(
        'Deliveries Vigil gave up on (receiver down, refused, expired); retry them with `alerts retry`',
      ),
  )
    .option('--json', 'print JSON')
    .action(
      action(async (o: { limit?: string; offset?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listDeadLetters(vdb, cli.actor(), pageOf(o));
        if (o.json) return printJson(list);
        process.stdout.write(
          formatTable(
            ['DESTINATION', 'RULE', 'SEVERITY', 'ATTEMPTS', 'LAST ERROR', 'ALERT', 'ID'],
            list.map((d) => [d.destination, d.rule, d.severity, d.attempts, d.lastError, d.alertId, d.id]),
          ),
        );
      }),
    );

  alerts
    .command('retry <dead-letter-id>')
    .description('Send a dead letter again, once, now')
    .option('--json', 'print the outcome as JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await retryDeadLetter(vdb, cli.actor(), id);
        if (o.json) printJson(r);
        else
          process.stdout.write(
            r.ok
              ? printable`Delivered to ${r.destination}.\n`
              : printable`Still failing at ${r.destination}: ${r.error}\n`,
          );
        if (!r.ok) process.exitCode = 69;
      }),
    );
}
