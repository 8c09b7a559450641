/**
 * @module How CLI commands get their context: configuration from global flags, environment and config
 * file (parsed once), the database (opened and migrated on first use), a logger. The CLI operator is an
 * Actor of kind `cli`: whoever can run Vigil's CLI on the server can read its database anyway.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Actor } from '../accounts/actor.js';
import { ALL_PERMISSIONS } from '../accounts/permissions.js';
import { type Config, type ConfigInput, loadConfig } from '../config/config.js';
import type { AppContext } from '../context.js';
import { createLogger } from '../log.js';
import { keyringFor, useSecretKeyring } from '../secrets/secret-key.js';

export interface CliContext {
  /** Opens (once) and returns the context; pass extra flags that only some commands have. */
  get(extraFlags?: ConfigInput, opts?: { migrate?: boolean }): Promise<AppContext>;
  actor(): Actor;
  /** The configuration alone, with the secret keyring it names; opens no database. */
  configOnly(): Config;
  /** Called by long-running commands (serve) so the CLI does not close the database after parsing. */
  keepOpen(): void;
  readonly keptOpen: boolean;
  close(): Promise<void>;
}

/** The configuration from global flags, environment and file, and the secret keyring it names. */
const configure = (program: Command, extraFlags: ConfigInput): Config => {
  const g = program.opts<{ db?: string; config?: string; logLevel?: string }>();
  const config = loadConfig({ flags: { db: g.db, logLevel: g.logLevel, ...extraFlags }, file: g.config });
  // The key sealing stored secrets lives outside the database (secrets/secret-key.ts).
  useSecretKeyring(keyringFor(config));
  return config;
};

export function cliContext(program: Command): CliContext {
  let ctx: Promise<AppContext> | undefined;
  let keptOpen = false;
  return {
    keepOpen() {
      keptOpen = true;
    },
    get keptOpen() {
      return keptOpen;
    },
    get(extraFlags = {}, opts = {}) {
      ctx ??= (async () => {
        const config = configure(program, extraFlags);
        const log = createLogger(config.logLevel);
        // Loaded on first use: `--version`, `--help` and commands that open no database never need them.
        const [{ openDatabase }, { migrateToLatest }] = await Promise.all([
          import('../store/database.js'),
          import('../store/migrate.js'),
        ]);
        const vdb = await openDatabase(config.db);
        if (opts.migrate !== false) await migrateToLatest(vdb);
        return { config, vdb, log };
      })();
      return ctx;
    },
    configOnly: () => configure(program, {}),
    actor() {
      let name = 'unknown';
      try {
        name = userInfo().username;
      } catch {}
      return { kind: 'cli', id: name, name: `cli:${name}`, permissions: new Set(ALL_PERMISSIONS) };
    },
    async close() {
      if (ctx) await (await ctx.catch(() => undefined))?.vdb.close();
    },
  };
}
