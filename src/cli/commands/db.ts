/**
 * @module `vigil db migrate|status`.
 */
import type { Command } from 'commander';
import { migrateToLatest } from '../../store/migrate.js';
import type { CliContext } from '../cli-context.js';
import { printJson } from '../io.js';
import { action } from '../run-command.js';

export function registerDbCommands(program: Command, cli: CliContext): void {
  const db = program.command('db').description('Database maintenance');
  db.command('migrate')
    .description('Apply pending schema migrations (vigil serve also does this at start)')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb } = await cli.get({}, { migrate: false });
        const report = await migrateToLatest(vdb);
        if (o.json) return printJson({ database: vdb.description, ...report });
        process.stdout.write(
          report.applied.length
            ? `Applied ${report.applied.length} migration(s) to ${vdb.description}: ${report.applied.join(', ')}\n`
            : `${vdb.description} is up to date (${report.current}).\n`,
        );
      }),
    );
}
