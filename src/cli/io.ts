/**
 * @module Small terminal helpers shared by commands: reading a secret from stdin or a hidden prompt,
 * printing aligned tables and JSON, paging options.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { invalidInput } from '../errors.js';
import { escapeControl, escapeControlInJson } from '../escape-control.js';
import { describeNotUtf8, firstNotUtf8 } from '../formats/utf8.js';
import { readCappedFile } from '../read-capped-file.js';

/** Policies, header mappings and rubric answers are written by hand: kilobytes. 16 MB is none of them. */
export const MAX_TEXT_FILE_BYTES = 16_000_000;

/**
 * A text file the user names (a policy, a header mapping, answers), refused at its first byte that is not
 * UTF-8 rather than read with U+FFFD in a stored name or reason. `what` names it in errors ("policy file").
 */
export async function readTextFile(path: string, what: string): Promise<string> {
  const article = /^[aeiou]/i.test(what) ? 'an' : 'a';
  const bytes = await readCappedFile(path, {
    what: `${article} ${what}`,
    role: what,
    maxBytes: MAX_TEXT_FILE_BYTES,
  });
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

/** JSON on standard output, C1 and bidi controls as `\u` escapes (see escapeControlInJson). */
export function printJson(value: unknown): void {
  process.stdout.write(`${escapeControlInJson(JSON.stringify(value, null, 2))}\n`);
}

/**
 * Text for the terminal, written like an untagged template: every interpolated value goes through
 * escapeControl, while the template's own characters (its line breaks, a progress line's escape) are
 * kept. Device data comes off the network (a certificate CN, a DICOM Manufacturer, an advisory title):
 * printed raw, an ESC or U+009B in it could retitle the window, clear the screen or forge a line.
 */
export function printable(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += escapeControl(String(values[i])) + strings[i + 1]!;
  return out;
}

/** Lines for the terminal: each one's control characters escaped, so none can split or rewrite it. */
export function formatLines(lines: readonly string[]): string {
  return lines.map((l) => `${escapeControl(l)}\n`).join('');
}

/**
 * An aligned `label  value` block, one pair a line, values escaped; null, undefined and '' show as '-'.
 */
export function formatFields(rows: readonly (readonly [string, unknown])[], indent = ''): string {
  const w = Math.max(0, ...rows.map(([k]) => k.length));
  return formatLines(
    rows.map(
      ([k, v]) => `${indent}${k.padEnd(w)}  ${v === null || v === undefined || v === '' ? '-' : String(v)}`,
    ),
  );
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
