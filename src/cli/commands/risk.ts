/**
 * @module `vigil cvss VECTOR…` and `vigil ssvc decide --tree cisa|deployer POINT=VALUE…`: the scoring and
 * decision tools for people checking a number by hand. Pure: no database.
 */
import type { Command } from 'commander';
import { invalidInput } from '../../errors.js';
import { scoreCvss } from '../../risk/cvss/index.js';
import { decide, formatDecision, parseSelections } from '../../risk/ssvc/index.js';
import { formatLines, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

export function registerRiskCommands(program: Command): void {
  program
    .command('cvss <vectors...>')
    .description(
      'Score CVSS v2, v3.0, v3.1 and v4.0 vectors (base, and temporal/environmental/threat when the vector has them)',
    )
    .option('--json', 'print a JSON array, one object per vector')
    .action(
      action(async (vectors: string[], o: { json?: boolean }) => {
        const results = vectors.map((v) => scoreCvss(v));
        if (o.json)
          printJson(
            results.map((r) => (r.ok ? r.score : { vector: r.vector, error: r.message, metric: r.metric })),
          );
        else
          for (const r of results) {
            if (!r.ok) {
              process.stderr.write(printable`${r.vector}: ${r.message}\n`);
              continue;
            }
            const s = r.score;
            const extra = [
              s.temporalScore !== undefined ? `temporal ${s.temporalScore}` : null,
              s.threatScore !== undefined ? `threat ${s.threatScore}` : null,
              s.environmentalScore !== undefined ? `environmental ${s.environmentalScore}` : null,
            ].filter(Boolean);
            process.stdout.write(
              printable`${s.vector}: CVSS ${s.version} base ${s.baseScore}${s.baseSeverity ? ` ${s.baseSeverity}` : ''}${extra.length ? `, ${extra.join(', ')}` : ''}\n`,
            );
          }
        const bad = results.filter((r) => !r.ok);
        if (bad.length) process.exitCode = 65;
      }),
    );

  const ssvc = program
    .command('ssvc')
    .description('SSVC decisions from the official CISA and CERT/CC decision tables');
  ssvc
    .command('decide <points...>')
    .description(
      'Decide from POINT=VALUE pairs (names or keys, any case), e.g. exploitation=active automatable=yes …',
    )
    .requiredOption(
      '--tree <tree>',
      'cisa (Track, Track*, Attend, Act) | deployer (Defer, Scheduled, Out-of-Cycle, Immediate)',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (points: string[], o: { tree: string; json?: boolean }) => {
        if (o.tree !== 'cisa' && o.tree !== 'deployer') throw invalidInput('--tree must be cisa or deployer');
        const parsed = parseSelections(points);
        if (!parsed.ok) throw invalidInput(parsed.message);
        const r = decide(o.tree, parsed.selections);
        if (!r.ok) throw invalidInput(r.message);
        if (o.json) return printJson(r);
        process.stdout.write(formatLines(formatDecision(r).split('\n')));
      }),
    );
}
