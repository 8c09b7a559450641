/**
 * The docs name commands and flags people copy into a shell: every `vigil …` command line in README.md
 * and docs/*.md (shell blocks and inline code) must name a real command, and each `--flag` on it must be
 * one that command takes, read from the command tree the binary builds (src/cli/program.ts). A renamed
 * or removed flag then fails here instead of failing a hospital's cron job. Only what follows `vigil` on
 * the same command line is checked (up to a pipe, `;`, `&&` or a `#` comment), so other tools' flags
 * (`iptables-restore --noflush`, `npm run bench -- --only`) and prose are left alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';

const root = resolve(import.meta.dirname, '..');

/** Languages of fenced blocks that hold shell command lines (JSON, TypeScript … are not read). */
const SHELL_BLOCKS = new Set(['', 'sh', 'bash', 'shell', 'console']);

/** Each `vigil …` command line of a Markdown file, with its line number. */
function commandLines(markdown: string): { line: number; text: string }[] {
  const lines = markdown.split('\n');
  const found: { line: number; text: string }[] = [];
  const prose: string[] = [];
  let fence: string | null = null;
  lines.forEach((l, i) => {
    const open = l.match(/^\s*```\s*([\w-]*)/);
    if (open) {
      fence = fence === null ? (open[1] ?? '') : null;
      prose.push('');
      return;
    }
    if (fence === null) {
      prose.push(l);
      return;
    }
    prose.push('');
    if (SHELL_BLOCKS.has(fence)) found.push(...invocations(l).map((text) => ({ line: i + 1, text })));
  });
  // Inline code may wrap onto the next line: read the prose whole, line breaks as spaces.
  const text = prose.join('\n');
  for (const span of text.matchAll(/`([^`]+)`/g)) {
    const line = text.slice(0, span.index).split('\n').length;
    found.push(...invocations((span[1] ?? '').replace(/\s+/g, ' ')).map((t) => ({ line, text: t })));
  }
  return found;
}

/** What follows each `vigil` in a shell line, cut at the end of that command. */
function invocations(shell: string): string[] {
  const out: string[] = [];
  for (const part of shell.replace(/\s#(\s.*)?$/, '').split(/\s(?:\|\|?|&&|;)\s/)) {
    const pieces = part.split(/(?:^|[\s(])vigil\s+/);
    out.push(...pieces.slice(1).map((p) => p.trim()));
  }
  return out;
}

const WORD = /^[a-z][a-z0-9-]*$/;

/** Problems with one command line (after `vigil`) against the command tree; none when it is right. */
function checkCommandLine(program: Command, text: string): string[] {
  const tokens = text.split(/\s+/).filter(Boolean);
  const globalsWithValue = program.options.filter((o) => o.required).map((o) => o.long);
  while (tokens[0]?.startsWith('-')) {
    const t = tokens.shift() ?? '';
    if (globalsWithValue.includes(t)) tokens.shift();
  }
  // `subscribe|sync|feeds` names several commands at once.
  let commands: Command[] = [program];
  while (tokens.length > 0) {
    const names = (tokens[0] ?? '').replace(/[.,:;)]+$/, '').split('|');
    const next = commands.flatMap((c) =>
      c.commands.filter((s) => names.some((n) => s.name() === n || s.aliases().includes(n))),
    );
    if (next.length === 0) break;
    commands = next;
    tokens.shift();
  }
  const word = (tokens[0] ?? '').replace(/[.,:;)]+$/, '');
  if (commands[0] === program)
    return WORD.test(word) && word !== 'help' ? [`no command "vigil ${word}"`] : [];
  const problems: string[] = [];
  for (const c of commands) {
    if (c.commands.length > 0 && c.registeredArguments.length === 0 && WORD.test(word)) {
      problems.push(`"${fullName(c)}" has no subcommand "${word}"`);
    }
  }
  for (const flag of flagsOf(tokens)) {
    // A group named without its subcommand (`vigil tasks … --device`): any of its subcommands' flags.
    if (!commands.some((c) => takes(c, flag)))
      problems.push(`"${commands.map(fullName).join('|')}" has no ${flag}`);
  }
  return problems;
}

function flagsOf(tokens: string[]): string[] {
  const flags: string[] = [];
  for (const t of tokens) {
    for (const m of t.matchAll(/(?:^|[[(|])--(\[no-\])?([a-z][a-z0-9-]*)/g)) {
      flags.push(`--${m[2]}`);
      if (m[1]) flags.push(`--no-${m[2]}`);
    }
  }
  return flags;
}

function takes(cmd: Command, flag: string): boolean {
  if (flag === '--help' || cmd.options.some((o) => o.long === flag)) return true;
  return cmd.commands.some((sub) => takes(sub, flag));
}

function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

describe('command lines in the docs', () => {
  let program: Command;
  beforeAll(async () => {
    program = (await buildProgram()).program;
  });

  it('finds a wrong flag, command or subcommand, and reads synopsis notation as it is meant', () => {
    const sample = [
      'Run `vigil findings list --severity high --typ weak-tls` or `vigil devise list`.',
      '```sh',
      'npx vigil --db sqlite:x.db devices list --class infusion-pump | jq .   # --not-checked',
      'vigil queue [--json] [--[no-]accepted] [--limit N]',
      'vigil advisories subscribe|sync --name kev --feed kev',
      'vigil audit verfy',
      '```',
      '```json',
      '{ "note": "vigil devices list --nope" }',
      '```',
      'Wrapped: `vigil tasks list',
      '--bogus`; `vigil tasks … --device` (a group: any of its commands).',
    ].join('\n');
    const problems = commandLines(sample).flatMap((c) =>
      checkCommandLine(program, c.text).map((p) => `${c.line}: ${p}`),
    );
    expect(problems).toEqual([
      '6: "vigil audit" has no subcommand "verfy"',
      '1: "vigil findings list" has no --typ',
      '1: no command "vigil devise"',
      '11: "vigil tasks list" has no --bogus',
    ]);
  });

  it('name only commands and flags the CLI has', () => {
    const files = [
      'README.md',
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    const problems: string[] = [];
    for (const file of files) {
      for (const { line, text } of commandLines(readFileSync(join(root, file), 'utf8'))) {
        problems.push(
          ...checkCommandLine(program, text).map((p) => `${file}:${line}: ${p}  (vigil ${text})`),
        );
      }
    }
    expect(problems).toEqual([]);
  });
});
