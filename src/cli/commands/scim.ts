/**
 * @module `vigil scim token create|list|revoke`: the bearer tokens the identity provider's SCIM
 * provisioning presents (docs/sso.md, "Provisioning (SCIM)").
 */
import type { Command } from 'commander';
import {
  createScimToken,
  DEFAULT_SCIM_TOKEN_NAME,
  listScimTokens,
  revokeScimToken,
} from '../../accounts/scim-tokens.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printJson } from '../io.js';
import { action } from '../run-command.js';

export function registerScimCommands(program: Command, cli: CliContext): void {
  const scim = program
    .command('scim')
    .description('SCIM 2.0 provisioning from the identity provider (Entra ID, Okta)');
  const token = scim.command('token').description('Bearer tokens for the provider’s provisioning');

  token
    .command('create')
    .description('Make a token for the provider to present at /scim/v2; it is shown once')
    .option(
      '--name <name>',
      `what it is for, in lists and the audit log (default "${DEFAULT_SCIM_TOKEN_NAME}")`,
    )
    .option('--json', 'print JSON')
    .action(
      action(async (o: { name?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const result = await createScimToken(vdb, cli.actor(), { name: o.name });
        if (o.json) return printJson(result);
        process.stdout.write(`${result.token}\n`);
        process.stderr.write(
          `SCIM token "${result.info.name}" made. It is shown only now: paste it into the provider (Entra ID "Secret Token", Okta "API token") with the URL https://VIGIL-HOST/scim/v2.\n`,
        );
      }),
    );

  token
    .command('list')
    .description('List SCIM tokens (never the tokens themselves)')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listScimTokens(vdb, cli.actor());
        if (o.json) return printJson(list);
        process.stdout.write(
          formatTable(
            ['ID', 'NAME', 'PREFIX', 'CREATED', 'BY', 'LAST USED', 'STATE'],
            list.map((t) => [
              t.id,
              t.name,
              t.prefix,
              t.createdAt,
              t.createdBy,
              t.lastUsedAt ?? '-',
              t.revokedAt ? 'revoked' : 'active',
            ]),
          ),
        );
      }),
    );

  token
    .command('revoke <id>')
    .description('Revoke a SCIM token: the provider’s next request with it is refused')
    .action(
      action(async (id: string) => {
        const { vdb } = await cli.get();
        const t = await revokeScimToken(vdb, cli.actor(), id);
        process.stdout.write(`SCIM token "${t.name}" revoked.\n`);
      }),
    );
}
