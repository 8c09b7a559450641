/**
 * @module `vigil rubric …`: the MITRE-rubric questionnaire per device model. `questions` prints it,
 * `answer` records answers (guided, one question at a time on the terminal, or `--set ID=VALUE`, or a
 * JSON file), `show` prints a model's answers and, with `--vector`, the environmental vector they make
 * of a CVSS vector with the answers as justification; `list` shows every answered model.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { invalidInput } from '../../errors.js';
import { RUBRIC_QUESTIONS } from '../../risk/rubric/questions.js';
import { answerRubric, listModelRubrics, type RubricView, showRubric } from '../../risk/rubric-service.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson, readTextFile } from '../io.js';
import { action } from '../run-command.js';

function modelRef(o: { model?: string; modelOf?: string }): { modelId?: string; device?: string } {
  if (!!o.model === !!o.modelOf) throw invalidInput('give exactly one of --model ID and --model-of DEVICE');
  return o.model ? { modelId: o.model } : { device: o.modelOf! };
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

function printRubric(r: RubricView | null): void {
  if (!r) return void process.stdout.write('No rubric answers for this model yet.\n');
  process.stdout.write(
    printable`${r.modelName ?? r.modelId} — answered by ${r.answeredBy} on ${r.answeredAt.slice(0, 10)}` +
      printable`${r.unanswered.length ? ` (${r.unanswered.length} unanswered: ${r.unanswered.join(' ')})` : ''}\n`,
  );
  for (const q of RUBRIC_QUESTIONS) {
    const a = r.answers[q.id];
    if (a === undefined) continue;
    process.stdout.write(printable`  ${q.id.padEnd(5)} ${a.padEnd(10)} ${q.text}\n`);
  }
  if (r.notes) process.stdout.write(printable`Notes: ${r.notes}\n`);
}

/**
 * Asks every question (or only the unanswered ones) on stdin/stdout: options are numbered; Enter keeps
 * the current answer (or leaves it unanswered); `q` stops and saves what was answered so far.
 */
async function guided(
  current: Record<string, string>,
  onlyUnanswered: boolean,
): Promise<Record<string, string>> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (prompt: string): Promise<string | null> => {
    process.stdout.write(prompt);
    const next = await lines.next();
    return next.done ? null : next.value.trim();
  };
  const out: Record<string, string> = {};
  try {
    let group = '';
    for (const q of RUBRIC_QUESTIONS) {
      if (onlyUnanswered && current[q.id] !== undefined) continue;
      if (q.group !== group) {
        group = q.group;
        process.stdout.write(printable`\n== ${group}\n`);
      }
      process.stdout.write(printable`\n${q.id}: ${q.text}\n  (${q.help})\n`);
      for (const [i, o] of q.options.entries())
        process.stdout.write(printable`  ${i + 1}) ${o.value} — ${o.label}\n`);
      for (;;) {
        const cur = current[q.id];
        const line = await ask(
          printable`Answer [1-${q.options.length}${cur ? `, Enter keeps ${cur}` : ', Enter skips'}, q saves and stops]: `,
        );
        if (line === null || line === 'q') return out;
        if (line === '') break;
        const byNumber = /^\d+$/.test(line) ? q.options[Number(line) - 1] : undefined;
        const opt = byNumber ?? q.options.find((o) => o.value === line.toLowerCase());
        if (opt) {
          out[q.id] = opt.value;
          break;
        }
        process.stdout.write(printable`  not an option: ${line}\n`);
      }
    }
    return out;
  } finally {
    rl.close();
  }
}

export function registerRubricCommands(program: Command, cli: CliContext): void {
  const rubric = program
    .command('rubric')
    .description(
      "The MITRE-rubric questionnaire per device model: answers set every vulnerability's environmental CVSS",
    );

  rubric
    .command('questions')
    .description('Print the questionnaire')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        if (o.json) return printJson(RUBRIC_QUESTIONS);
        for (const q of RUBRIC_QUESTIONS)
          process.stdout.write(
            printable`${q.id.padEnd(5)} [${q.group}] ${q.text}\n      ${q.options.map((x) => x.value).join(' | ')}\n`,
          );
      }),
    );

  rubric
    .command('answer')
    .description(
      'Answer questions for a model: guided on a terminal, or --set ID=VALUE…, or --file answers.json',
    )
    .option('--model <id>', 'the device model id')
    .option('--model-of <device>', 'the model of this device (id, asset tag, serial …)')
    .option('--set <id=value>', 'one answer (repeatable); value "-" clears an answer', collect)
    .option('--file <path>', 'a JSON object of answers: {"XAVN": "no", …}')
    .option('--guided', 'ask each question in turn (the default on a terminal when no answers are given)')
    .option('--unanswered', 'guided: only the questions not answered yet')
    .option('--replace', 'replace every stored answer instead of merging')
    .option('--notes <text>', 'notes kept with the answers (who was asked, which documents)')
    .option('--json', 'print the saved answers as JSON')
    .action(
      action(
        async (o: {
          model?: string;
          modelOf?: string;
          set?: string[];
          file?: string;
          guided?: boolean;
          unanswered?: boolean;
          replace?: boolean;
          notes?: string;
          json?: boolean;
        }) => {
          const ref = modelRef(o);
          const { vdb } = await cli.get();
          const answers: Record<string, string | null> = {};
          if (o.file) {
            const text = await readTextFile(o.file, 'answers file');
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch (e) {
              throw invalidInput(`Cannot read answers from ${o.file}: ${(e as Error).message}`);
            }
            if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
              throw invalidInput(`${o.file}: expected a JSON object of question id → answer`);
            Object.assign(answers, parsed);
          }
          for (const s of o.set ?? []) {
            const m = /^([A-Za-z0-9]+)=(.+)$/.exec(s);
            if (!m) throw invalidInput(`--set ${s}: expected ID=VALUE`);
            answers[m[1]!.toUpperCase()] = m[2] === '-' ? null : m[2]!.toLowerCase();
          }
          const wantGuided = o.guided || (Object.keys(answers).length === 0 && process.stdin.isTTY);
          if (wantGuided) {
            const current = (await showRubric(vdb, cli.actor(), ref)).rubric?.answers ?? {};
            Object.assign(answers, await guided(current, !!o.unanswered));
          }
          if (Object.keys(answers).length === 0 && !o.notes)
            throw invalidInput('No answers given: use --set ID=VALUE, --file, or --guided');
          const saved = await answerRubric(vdb, cli.actor(), {
            ...ref,
            answers,
            ...(o.replace ? { replace: true } : {}),
            ...(o.notes ? { notes: o.notes } : {}),
          });
          if (o.json) return printJson(saved);
          printRubric(saved);
        },
      ),
    );

  rubric
    .command('show')
    .description("A model's answers; with --vector, the environmental vector they make of it and why")
    .option('--model <id>', 'the device model id')
    .option('--model-of <device>', 'the model of this device')
    .option('--vector <cvss>', 'a CVSS v3.x or v4.0 vector to apply the answers to')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { model?: string; modelOf?: string; vector?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await showRubric(vdb, cli.actor(), modelRef(o), o.vector);
        if (o.json) return printJson(r);
        printRubric(r.rubric);
        if (r.vector) {
          process.stdout.write(
            printable`\n${r.vector.base}  base ${r.vector.baseScore ?? '-'}\n${r.vector.environmental ?? '(no environmental vector)'}  environmental ${r.vector.environmentalScore ?? '-'}\n`,
          );
          for (const j of r.vector.justification)
            process.stdout.write(printable`  ${j.metric}:${j.value}  ${j.because}\n`);
        }
      }),
    );

  rubric
    .command('list')
    .description('Every model with rubric answers')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const rows = await listModelRubrics(vdb, cli.actor());
        if (o.json) return printJson(rows);
        if (rows.length === 0) return void process.stdout.write('No model has rubric answers yet.\n');
        process.stdout.write(
          formatTable(
            ['MODEL ID', 'MODEL', 'ANSWERED', 'BY', 'UNANSWERED'],
            rows.map((r) => [
              r.modelId,
              r.modelName ?? '-',
              r.answeredAt.slice(0, 10),
              r.answeredBy,
              r.unanswered.length,
            ]),
          ),
        );
      }),
    );
}
