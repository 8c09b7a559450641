/**
 * @module `vigil tokens create|list|revoke`: API tokens for machines.
 */
import type { Command } from 'commander';
import {
  createApiToken,
  DEFAULT_TOKEN_DAYS,
  listApiTokens,
  revokeApiToken,
} from '../../accounts/api-tokens.js';
import { listSites } from '../../store/site-store.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerTokenCommands(program: Command, cli: CliContext): void {
  const tokens = program.command('tokens').description('API tokens for scripts and integrations');

  tokens
    .command('create <name>')
    .description('Create an API token (read-only unless --permission is given); it is shown once')
    .requiredOption('--user <username>', 'account that owns the token; its role bounds the token')
    .option('--permission <perm>', 'grant a permission (repeatable); default: the read permissions', collect)
    .option('--site <site>', 'limit to a site, by name or id (repeatable)', collect)
    .option('--expires-days <n>', `days until it expires (default ${DEFAULT_TOKEN_DAYS})`, (v) =>
      Number.parseInt(v, 10),
    )
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          name: string,
          o: { user: string; permission?: string[]; site?: string[]; expiresDays?: number; json?: boolean },
        ) => {
          const { vdb } = await cli.get();
          const result = await createApiToken(vdb, cli.actor(), {
            name,
            owner: o.user,
            permissions: o.permission,
            sites: o.site,
            expiresInDays: o.expiresDays,
          });
          if (o.json) return printJson(result);
          process.stdout.write(printable`${result.token}\n`);
          process.stderr.write(
            printable`Token "${name}" (${result.info.permissions.join(', ')}) expires ${result.info.expiresAt}. It is shown only now.\n`,
          );
        },
      ),
    );

  tokens
    .command('list')
    .description('List API tokens (never their secrets)')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listApiTokens(vdb, cli.actor());
        if (o.json) return printJson(list);
        // Which tokens reach every site is what a reviewer looks for; the JSON has the ids.
        const siteNames = new Map((await listSites(vdb)).map((s) => [s.id, s.name]));
        process.stdout.write(
          formatTable(
            ['ID', 'NAME', 'OWNER', 'PREFIX', 'PERMISSIONS', 'SITES', 'EXPIRES', 'STATE'],
            list.map((t) => [
              t.id,
              t.name,
              t.owner,
              t.prefix,
              t.permissions.join(','),
              t.siteIds ? t.siteIds.map((id) => siteNames.get(id) ?? id).join(',') : 'all',
              t.expiresAt,
              t.revokedAt ? 'revoked' : t.expiresAt < new Date().toISOString() ? 'expired' : 'active',
            ]),
          ),
        );
      }),
    );

  tokens
    .command('revoke <id>')
    .description('Revoke an API token')
    .action(
      action(async (id: string) => {
        const { vdb } = await cli.get();
        const t = await revokeApiToken(vdb, cli.actor(), id);
        process.stdout.write(printable`Token "${t.name}" revoked.\n`);
      }),
    );
}
