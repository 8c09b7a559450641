/**
 * Runs `vigil …` inside the test process: the built CLI (dist/vigil.js, built once by
 * test/global-setup.ts, the very code bin/vigil.js runs), its own command tree (`buildProgram`), the same
 * global options, configuration from the same environment, the same error reporting and exit codes, with
 * standard output, standard error and standard input redirected. A spawned binary spends about a second
 * starting before it does anything; in-process the bundle loads once per test worker and each command then
 * costs what the command costs.
 *
 * Use it where a test is about what a command does. Where the test is about the process boundary (start-up,
 * a closed pipe, signals, a secret read from a real pipe, a long-running sensor or server) spawn
 * `bin/vigil.js`; each command group keeps a few such tests.
 */
import { Readable } from 'node:stream';
import { type Command, CommanderError } from 'commander';
import { vi } from 'vitest';

type BuildProgram = typeof import('../src/cli/program.js').buildProgram;

/** Loaded by Node itself (vitest.config.ts externalizes dist/): the bundle is plain JavaScript. */
const DIST_ENTRY = new URL('../dist/vigil.js', import.meta.url).href;

let loaded: Promise<BuildProgram> | undefined;

/**
 * The bundle's entry parses `process.argv` when it is imported (it is the binary's main module). That one
 * parse is made a no-op here (the bundle and this file share the `commander` package), so importing it
 * only defines `buildProgram`.
 */
function load(): Promise<BuildProgram> {
  loaded ??= (async () => {
    const { Command: CommandClass } = await import('commander');
    const parse = vi.spyOn(CommandClass.prototype, 'parseAsync').mockImplementationOnce(async function (
      this: Command,
    ) {
      return this;
    });
    try {
      const main = (await import(/* @vite-ignore */ DIST_ENTRY)) as { buildProgram: BuildProgram };
      if (parse.mock.calls.length !== 1) throw new Error(`${DIST_ENTRY} did not parse its arguments once`);
      return main.buildProgram;
    } finally {
      parse.mockRestore();
    }
  })();
  return loaded;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InProcessOptions {
  /** Database URL (`sqlite:PATH`, `postgres://…`), passed as `--db` like the binary's flag. */
  db?: string;
  /** What standard input holds; empty (and ended) otherwise, like a spawn given no input. */
  input?: string | Buffer;
  /** Environment variables set while the command runs (VIGIL_DB, VIGIL_PORT, …); undefined unsets. */
  env?: Record<string, string | undefined>;
}

function exitOverrideAll(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) exitOverrideAll(sub);
}

/**
 * `vigil [--db URL] ARGS…` with VIGIL_LOG_LEVEL=silent, in this process. Never throws for a failing
 * command: the result holds the exit code the binary would have ended with.
 */
export async function vigilInProcess(args: string[], opts: InProcessOptions = {}): Promise<CliResult> {
  const buildProgram = await load();
  const { program, cli } = await buildProgram();
  exitOverrideAll(program);

  let stdout = '';
  let stderr = '';
  const text = (s: string | Uint8Array) => (typeof s === 'string' ? s : Buffer.from(s).toString('utf8'));
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += text(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    stderr += text(s);
    return true;
  });
  const input = Readable.from(opts.input === undefined ? [] : [Buffer.from(opts.input)]);
  const stdin = vi.spyOn(process, 'stdin', 'get').mockReturnValue(input as typeof process.stdin);
  const savedEnv: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries({ VIGIL_LOG_LEVEL: 'silent', ...opts.env })) {
    savedEnv[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const exitCodeBefore = process.exitCode;
  process.exitCode = undefined;

  let code = 0;
  try {
    await program.parseAsync([...(opts.db ? ['--db', opts.db] : []), ...args], { from: 'user' });
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander's own exits (help, version, a bad option) carry the code the binary ends with.
      code = e.exitCode;
    } else {
      // Commands report their own errors (cli/run-command.ts `action`); this is what main.ts does with
      // anything that still escapes: a VigilError's message and exit code, else an internal error.
      const ve = e as { message?: string; exitCode?: unknown };
      const known = typeof ve.exitCode === 'number';
      stderr += `vigil: ${known ? '' : 'internal error: '}${ve.message ?? String(e)}\n`;
      code = known ? (ve.exitCode as number) : 70;
    }
  } finally {
    if (!cli.keptOpen) await cli.close();
    process.exitCode = exitCodeBefore;
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    stdin.mockRestore();
    out.mockRestore();
    err.mockRestore();
  }
  return { code, stdout, stderr };
}
