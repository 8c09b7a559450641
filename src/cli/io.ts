/**
 * @module Small terminal helpers shared by commands: reading a secret from stdin or a hidden prompt,
 * printing aligned tables and JSON, paging options.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { invalidInput } from '../errors.js';
import { escapeControl } from '../escape-control.js';
import { describeNotUtf8, firstNotUtf8 } from '../formats/utf8.js';

/**
 * A text file the user names (a policy, a header mapping, answers), refused at its first byte that is not
 * UTF-8 rather than read with U+FFFD in a stored name or reason. `what` names it in errors ("policy file").
 */
export async function readTextFile(path: string, what: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw invalidInput(
      `Cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const text = bytes.toString('utf8');
  const bad = firstNotUtf8(bytes, text);
  if (bad)
    throw invalidInput(`${path}: the ${what} is not UTF-8 text (save it as UTF-8)`, [
      { file: path, offset: bad.offset, reason: `not UTF-8 text (${describeNotUtf8(bad)})` },
    ]);
  return text;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A password from stdin (first line, for automation) or, on a terminal, typed twice without echo. */
export async function readPassword(fromStdin: boolean, label = 'Password'): Promise<string> {
  if (fromStdin) {
    const line = (await readStdin()).split(/\r?\n/)[0] ?? '';
    if (!line) throw invalidInput('No password on standard input');
    return line;
  }
  if (!process.stdin.isTTY) throw invalidInput('No terminal to ask for a password: use --password-stdin');
  const first = await promptHidden(`${label}: `);
  const second = await promptHidden(`${label} again: `);
  if (first !== second) throw invalidInput('The two passwords differ');
  return first;
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    let asked = false;
    out._writeToOutput = (s: string) => {
      if (!asked) {
        process.stderr.write(s);
        asked = true;
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

/**
 * `--limit N --offset N` on a listing command, and what was given, for the service's page schema to
 * check (it names a bad value); absent ones take the service's defaults.
 */
export function withPaging(command: Command, what = 'at most this many (default 100)'): Command {
  return command.option('--limit <n>', what).option('--offset <n>', 'skip this many');
}

export function pageOf(o: { limit?: string; offset?: string }): { limit?: number; offset?: number } {
  return {
    ...(o.limit !== undefined ? { limit: o.limit as unknown as number } : {}),
    ...(o.offset !== undefined ? { offset: o.offset as unknown as number } : {}),
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * An aligned plain-text table; cells are stringified, null shows as '-'. Control characters are
 * escaped: a cell holding a newline (say, a forged audit actor) must not print as a row of its own.
 */
export function formatTable(headers: string[], rows: unknown[][]): string {
  const cells = rows.map((r) =>
    r.map((v) =>
      escapeControl(
        v === null || v === undefined || v === '' ? '-' : Array.isArray(v) ? v.join(';') : String(v),
      ),
    ),
  );
  const widths = headers.map((h, i) => Math.min(48, Math.max(h.length, ...cells.map((r) => r[i]!.length))));
  const line = (r: string[]) =>
    r
      .map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')}\n`;
}
