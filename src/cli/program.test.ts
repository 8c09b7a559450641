import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { cliContext } from './cli-context.js';
import { buildProgram, COMMAND_GROUPS, commandNameOf } from './program.js';

const topLevel = (program: Command) => program.commands.map((c) => c.name());

describe('the command tree', () => {
  it('lists for each group exactly the top-level commands its module adds, as their help describes them', async () => {
    for (const group of COMMAND_GROUPS) {
      const program = new Command('vigil');
      (await group.load())(program, cliContext(program));
      const names = group.commands.map((c) => c.name);
      expect(topLevel(program), names.join(', ')).toEqual(names);
      for (const listed of group.commands) {
        const real = program.commands.find((c) => c.name() === listed.name)!;
        if (listed.summary !== undefined) expect(listed.summary, listed.name).toBe(real.description());
        const args = real.registeredArguments.map((a) =>
          a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`,
        );
        expect(listed.arguments ?? '', listed.name).toBe(args.join(' '));
      }
    }
    // Every command is described once.
    const described = COMMAND_GROUPS.flatMap((g) =>
      g.commands.filter((c) => c.summary !== undefined).map((c) => c.name),
    );
    expect(new Set(described).size).toBe(described.length);
  });

  it('finds the command a command line names, past the global options and their values', () => {
    expect(commandNameOf(['devices', 'list'])).toBe('devices');
    expect(commandNameOf(['--db', 'sqlite:x.db', '--log-level', 'debug', 'alerts', 'list'])).toBe('alerts');
    expect(commandNameOf(['--db=sqlite:x.db', 'tasks'])).toBe('tasks');
    expect(commandNameOf(['--config', 'devices', 'sites'])).toBe('sites');
    expect(commandNameOf(['--', 'vex'])).toBe('vex');
    expect(commandNameOf(['--help'])).toBeNull();
    expect(commandNameOf([])).toBeNull();
  });

  it('builds only the groups the command needs; every group for help, no command or an unknown one', async () => {
    const all = topLevel((await buildProgram()).program);
    expect(all).toEqual([...new Set(COMMAND_GROUPS.flatMap((g) => g.commands.map((c) => c.name)))]);
    expect(topLevel((await buildProgram(['devices', 'peers'])).program)).toEqual(['devices']);
    expect(topLevel((await buildProgram(['--db', 'sqlite::memory:', 'analyze', 'x.pcap'])).program)).toEqual([
      'import',
      'analyze',
    ]);
    expect(topLevel((await buildProgram(['--version'])).program)).toEqual([]);
    expect(topLevel((await buildProgram(['devicez'])).program)).toEqual(all);
    expect(topLevel((await buildProgram(['help', 'sites'])).program)).toEqual(['sites']);
  });

  it('lists the commands for help without loading any group, and the list reads as the full one', async () => {
    const full = (await buildProgram()).program.helpInformation();
    for (const args of [
      ['--help'],
      ['-h'],
      [],
      ['help'],
      ['--db', 'sqlite:x.db', '--help'],
      ['--help', 'devices'],
    ]) {
      const { program } = await buildProgram(args);
      expect(program.helpInformation(), args.join(' ')).toBe(full);
      // Nothing behind the listed commands: no subcommands, no options but the hidden global ones.
      for (const c of program.commands) expect(c.commands, c.name()).toEqual([]);
    }
  });
});

describe('start-up of the built binary', () => {
  const root = resolve(import.meta.dirname, '../..');
  const packagesLoadedBy = (args: string[]): Set<string> => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-startup-'));
    const trace = join(dir, 'packages.txt');
    const r = spawnSync(
      process.execPath,
      ['--import', join(root, 'test/trace-packages.mjs'), join(root, 'bin/vigil.js'), ...args],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          VIGIL_DB: `sqlite:${join(dir, 'vigil.db')}`,
          VIGIL_LOG_LEVEL: 'silent',
          VIGIL_TRACE_PACKAGES: trace,
        },
        timeout: 60_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    return new Set(readFileSync(trace, 'utf8').split('\n').filter(Boolean));
  };

  it('loads what a command needs and not what other commands do (PGP, PDF, age, PostgreSQL, HTTP)', () => {
    const devices = packagesLoadedBy(['devices', 'list', '--json']);
    expect(devices).toContain('better-sqlite3');
    expect(devices).toContain('zod');
    for (const other of ['openpgp', 'pdfkit', 'age-encryption', 'pg', 'hono', '@hono/node-server', 'nats'])
      expect(devices, other).not.toContain(other);
    // The SQL builder is bundled: ~290 files resolved one by one took a third of every start-up.
    expect(devices).not.toContain('kysely');
    expect(packagesLoadedBy(['--version']).has('better-sqlite3')).toBe(false);
    // The list of commands comes from the table, not from loading every group (about a second).
    expect([...packagesLoadedBy(['--help'])].sort()).toEqual([...packagesLoadedBy(['--version'])].sort());
  });
});
