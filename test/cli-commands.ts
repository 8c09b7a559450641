/**
 * Runs one command group registered on a fresh `commander` program against a test database, in
 * process: standard output and error captured, `process.exitCode` read and reset. For tests about what
 * the commands do with the data; `test/cli-in-process.ts` runs the whole built CLI instead.
 */
import { Command } from 'commander';
import { vi } from 'vitest';
import type { CliContext } from '../src/cli/cli-context.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/log.js';
import type { VigilDatabase } from '../src/store/database.js';
import { cliActor } from './factories.js';

export interface CommandResult {
  out: string;
  err: string;
  code: number | string | undefined;
}

/** `register` adds the group (e.g. `registerQueueCommands`); `database` gives the test's open database. */
export function commandRunner(
  register: (program: Command, cli: CliContext) => void,
  database: () => VigilDatabase,
): (...args: string[]) => Promise<CommandResult> {
  return async (...args) => {
    const program = new Command().exitOverride();
    const cli: CliContext = {
      get: async () => ({
        config: loadConfig({ env: {}, flags: { db: 'sqlite::memory:' } }),
        vdb: database(),
        log: createLogger('silent'),
      }),
      actor: () => cliActor,
      configOnly: () => loadConfig({ env: {}, flags: { db: 'sqlite::memory:' } }),
      keepOpen: () => {},
      keptOpen: false,
      close: async () => {},
    };
    register(program, cli);
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out += String(s);
      return true;
    });
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      err += String(s);
      return true;
    });
    process.exitCode = 0;
    try {
      await program.parseAsync(['node', 'vigil', ...args]);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    const code = process.exitCode;
    process.exitCode = 0;
    return { out, err, code };
  };
}
