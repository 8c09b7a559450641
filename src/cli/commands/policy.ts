/**
 * @module `vigil policy propose|save|approve|show|simulate|export|check`: the segmentation policy.
 * Flows come from the stored communications, or from captures analysed in-process (`--capture FILE…`,
 * nothing is stored); a policy from the approved version of the scope, or from a file (`--policy FILE`).
 */

import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { analyzeCapture } from '../../discovery/capture-analyzer.js';
import { invalidInput, VigilError } from '../../errors.js';
import { plural } from '../../format-count.js';
import { limitHeapGrowth } from '../../heap-growth.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../policy/export/index.js';
import { fromFlowSummary, type PolicyFlow } from '../../policy/policy-flow.js';
import type { PolicyRule } from '../../policy/policy-model.js';
import {
  type AppliedGuidance,
  approvePolicy,
  checkPolicyViolations,
  exportPolicyText,
  getPolicy,
  proposeDraft,
  type StoredPolicy,
  saveDraftPolicy,
  showPolicy,
  simulatePolicy,
} from '../../policy/policy-service.js';
import { ZONINGS } from '../../policy/propose.js';
import { loadMds2Services } from '../../program/mds2/mds2-service.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson, readTextFile } from '../io.js';
import { action } from '../run-command.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Flows of captures, analysed in memory (the same analyzer `vigil import` uses). */
export async function captureFlows(paths: readonly string[]): Promise<PolicyFlow[]> {
  limitHeapGrowth();
  const out: PolicyFlow[] = [];
  for (const path of paths) {
    const file = path === '-' ? 'stdin' : basename(path);
    const r = await analyzeCapture(path, { file });
    for (const issue of r.issues.slice(0, 5))
      process.stderr.write(
        printable`vigil: warning: ${issue.file}: offset ${issue.offset}: ${issue.reason}\n`,
      );
    out.push(...(r.flows ?? []).map(fromFlowSummary));
  }
  return out;
}

/**
 * Rethrows a refused policy with the file named in the message and in every issue: the service names
 * only the field (`rules.0.port`), and the operator also needs to know which file it is in. Without a
 * file (the approved policy was used) the error is left as it is.
 */
function inPolicyFile(file: string | undefined): (e: unknown) => never {
  return (e) => {
    if (file && e instanceof VigilError && e.code === 'invalid_input')
      throw invalidInput(
        `${file}: ${e.message}`,
        e.issues.map((i) => ({ ...i, file })),
      );
    throw e;
  };
}

/** A policy file: JSON, parsed here so a syntax error names the file. */
export async function readPolicyFile(path: string): Promise<unknown> {
  const text = await readTextFile(path, 'policy file');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw invalidInput(`${path} is not JSON`, [{ file: path, reason: (e as Error).message }]);
  }
}

function printRules(p: StoredPolicy): void {
  process.stdout.write(
    printable`Policy ${p.id} v${p.version} (${p.state}${p.approvedBy ? ` by ${p.approvedBy} at ${p.approvedAt}` : ''}): ` +
      printable`${plural(p.ruleCount, 'allow rule')}, default deny${p.reviewCount ? `, ${p.reviewCount} to review` : ''}\n`,
  );
  // Each side and the service in a column of its own, hosts by address, and every reason whole below
  // the table: a reviewer approves what the rules say, and one column of 48 characters cut that off.
  process.stdout.write(
    formatTable(
      ['ID', 'FROM', 'TO', 'SERVICE', 'REVIEW'],
      p.policy.rules.map((r) => [
        r.id,
        ruleSide(r.from),
        ruleSide(r.to),
        `${r.transport === 'icmp' ? 'icmp' : `${r.port}/${r.transport}`}${r.protocol ? ` ${r.protocol}` : ''}`,
        r.review ? 'yes' : '',
      ]),
    ),
  );
  if (p.policy.rules.length) process.stdout.write('\nWhy each rule:\n');
  for (const r of p.policy.rules)
    process.stdout.write(
      printable`  ${r.id}${r.review ? ' (review)' : ''}: ${r.reason.replace(/\s+/g, ' ')}\n`,
    );
}

/** A rule's side for the table: zone, class and department, then its hosts (the first three, and how many more). */
function ruleSide(e: PolicyRule['from']): string {
  const what = `${e.zone}${e.deviceClass ? `/${e.deviceClass}` : ''}${e.department ? `@${e.department}` : ''}`;
  if (!e.hosts?.length) return what;
  const shown = e.hosts.slice(0, 3).join(', ');
  return `${what} ${shown}${e.hosts.length > 3 ? ` +${e.hosts.length - 3} more` : ''}`;
}

/** The advisory port guidance and MDS2 declarations the proposal applied, with where each came from. */
function printGuidance(guidance: readonly AppliedGuidance[]): void {
  if (!guidance.length) return;
  // One line each, the sentence whole: a table would cut the words a reviewer needs.
  process.stdout.write(printable`\nPort guidance (${guidance.length}):\n`);
  for (const g of guidance) {
    const service = g.transport === 'icmp' ? 'icmp' : `${g.port}/${g.transport}`;
    const source =
      g.source === 'advisory' ? `advisory ${g.advisoryId ?? '?'}` : `MDS2${g.path ? ` ${g.path}` : ''}`;
    process.stdout.write(
      printable`  ${g.ruleId} ${service}: ${g.action}${g.review ? ' (review)' : ''}, ${source}: ${g.sentence.replace(/\s+/g, ' ')}\n`,
    );
  }
}

export function registerPolicyCommands(program: Command, cli: CliContext): void {
  const policy = program
    .command('policy')
    .description('Segmentation and firewall policy: propose from traffic, simulate, approve, export');

  policy
    .command('propose')
    .description('Propose a least-privilege draft policy from observed communications (stored, or --capture)')
    .option('--site <site>', 'site id or name (default: every site)')
    .option('--name <name>', 'policy name', 'proposed')
    .option(
      '--capture <file>',
      'propose from these captures instead of stored communications (repeatable)',
      collect,
    )
    .option('--zones <zones>', 'group rule sides by class | department | class+department', 'class')
    .option('--json', 'print the stored draft and its diff as JSON')
    .action(
      action(
        async (o: { site?: string; name: string; capture?: string[]; zones: string; json?: boolean }) => {
          if (!(ZONINGS as readonly string[]).includes(o.zones))
            throw invalidInput(`--zones must be one of ${ZONINGS.join(', ')}`, [
              { field: '--zones', reason: `"${o.zones}" is not one of ${ZONINGS.join(', ')}` },
            ]);
          const { vdb } = await cli.get();
          const flows = o.capture ? await captureFlows(o.capture) : undefined;
          const r = await proposeDraft(
            vdb,
            cli.actor(),
            { site: o.site ?? null, name: o.name, zones: o.zones },
            { ...(flows ? { flows } : {}), mds2: await loadMds2Services(vdb) },
          );
          if (o.json) return printJson(r);
          printRules(r);
          printGuidance(r.guidance);
          const leftOut = [
            r.refused ? `${r.refused} TCP conversations the server only refused or never answered` : '',
            r.linkLocal ? `${r.linkLocal} link-local` : '',
            r.mdns ? `${r.mdns} mDNS` : '',
            r.llmnr ? `${r.llmnr} LLMNR` : '',
          ].filter(Boolean);
          process.stdout.write(
            printable`\nFrom ${plural(r.flows, 'flow')}` +
              (leftOut.length ? printable` (left out: ${leftOut.join('; ')})` : '') +
              (r.approvedId
                ? printable`. Against the approved policy: ${r.diff.added.length} added, ` +
                  printable`${r.diff.removed.length} removed, ${r.diff.changed.length} changed.\n`
                : `. No policy is approved for this scope yet: every rule is new.\n`) +
              printable`Review it, then: vigil policy approve ${r.id}\n`,
          );
        },
      ),
    );

  policy
    .command('save <file>')
    .description('Save a policy file (written or edited by hand) as a draft of its site')
    .option('--json', 'print the stored draft as JSON')
    .action(
      action(async (file: string, o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await saveDraftPolicy(vdb, cli.actor(), await readPolicyFile(file), 'file').catch(
          inPolicyFile(file),
        );
        if (o.json) return printJson(r);
        process.stdout.write(
          printable`Saved ${file} as draft ${r.id} v${r.version} (${plural(r.ruleCount, 'rule')}).\n`,
        );
      }),
    );

  policy
    .command('approve <id>')
    .description('Approve a draft: it becomes the policy of its site (audited)')
    .option('--accept-review', 'approve although rules are flagged for review (named in the audit entry)')
    .option('--json', 'print the approved policy as JSON')
    .action(
      action(async (id: string, o: { json?: boolean; acceptReview?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await approvePolicy(vdb, cli.actor(), id, { acceptReview: o.acceptReview === true });
        if (o.json) return printJson(r);
        process.stdout.write(
          printable`Policy ${r.id} v${r.version} is approved (${plural(r.ruleCount, 'rule')}` +
            printable`${r.reviewCount ? `, ${r.reviewCount} of them flagged for review and accepted` : ''}).\n`,
        );
      }),
    );

  policy
    .command('show [id]')
    .description('Show the approved policy and the versions of a site (or one version by id)')
    .option('--site <site>', 'site id or name (default: every site)')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string | undefined, o: { site?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        if (id) {
          const p = await getPolicy(vdb, cli.actor(), id);
          if (o.json) return printJson(p);
          return printRules(p);
        }
        const r = await showPolicy(vdb, cli.actor(), { site: o.site ?? null });
        if (o.json) return printJson(r);
        if (r.approved) printRules(r.approved);
        else process.stdout.write('No approved policy yet.\n');
        process.stdout.write('\n');
        process.stdout.write(
          formatTable(
            ['VERSION', 'STATE', 'RULES', 'REVIEW', 'CREATED', 'BY', 'APPROVED BY', 'ID'],
            r.versions.map((v) => [
              v.version,
              v.state,
              v.ruleCount,
              v.reviewCount,
              v.createdAt,
              v.createdBy,
              v.approvedBy,
              v.id,
            ]),
          ),
        );
      }),
    );

  policy
    .command('simulate')
    .description('Replay flows against a policy and report what it would block, by device and service')
    .option('--policy <file>', 'policy file (default: the approved policy)')
    .option(
      '--capture <file>',
      'flows of these captures (repeatable; default: stored communications)',
      collect,
    )
    .option('--site <site>', 'site id or name (default: every site)')
    .option('--json', 'print the full report (every flow and its decision) as JSON')
    .action(
      action(async (o: { policy?: string; capture?: string[]; site?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const flows = o.capture ? await captureFlows(o.capture) : undefined;
        const input = {
          site: o.site ?? null,
          ...(o.policy ? { policy: await readPolicyFile(o.policy) } : {}),
        };
        const r = await simulatePolicy(vdb, cli.actor(), input, flows ? { flows } : {}).catch(
          inPolicyFile(o.policy),
        );
        if (o.json) return printJson(r);
        process.stdout.write(
          printable`${plural(r.flows, 'flow')}: ${r.allowed} allowed, ${r.blocked} would be blocked.\n`,
        );
        if (r.blocked) {
          process.stdout.write('\n');
          process.stdout.write(
            formatTable(
              ['CLIENT', 'DEPARTMENT', 'SERVER', 'DEPARTMENT', 'SERVICE', 'FLOWS', 'CONNECTIONS'],
              r.blockedByDevice.map((b) => [
                b.clientLabel,
                b.clientDepartment,
                b.serverLabel,
                b.serverDepartment,
                b.service,
                b.flows,
                b.connections,
              ]),
            ),
          );
        }
      }),
    );

  policy
    .command('export')
    .description('Write a policy as firewall rules, addresses from the inventory')
    .requiredOption('--format <format>', EXPORT_FORMATS.join(' | '))
    .option('--policy <file>', 'policy file (default: the approved policy)')
    .option('--site <site>', 'site id or name (default: every site)')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(
      action(async (o: { format: string; policy?: string; site?: string; out?: string }) => {
        if (!(EXPORT_FORMATS as readonly string[]).includes(o.format))
          throw invalidInput(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
        const { vdb } = await cli.get();
        const text = await exportPolicyText(vdb, cli.actor(), {
          format: o.format as ExportFormat,
          site: o.site ?? null,
          ...(o.policy ? { policy: await readPolicyFile(o.policy) } : {}),
        }).catch(inPolicyFile(o.policy));
        if (o.out) await writeFile(o.out, text);
        else process.stdout.write(text);
      }),
    );

  policy
    .command('check')
    .description('Raise policy-violation alerts for stored communications the approved policy does not allow')
    .option('--site <site>', 'site id or name (default: every site)')
    .option('--capture <file>', 'check the flows of these captures instead (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(
      action(async (o: { site?: string; capture?: string[]; json?: boolean }) => {
        const { vdb, config } = await cli.get();
        const flows = o.capture ? await captureFlows(o.capture) : undefined;
        const r = await checkPolicyViolations(
          vdb,
          cli.actor(),
          { site: o.site ?? null },
          { ...(flows ? { flows } : {}), rateLimit: config.alertRateLimitPerHour },
        );
        if (o.json) return printJson(r);
        process.stdout.write(
          printable`${plural(r.flows, 'flow')}, ${r.violations} outside the policy: ${plural(r.created, 'new alert')}, ${r.updated} updated, ${r.suppressed} rate-limited.\n`,
        );
      }),
    );
}
