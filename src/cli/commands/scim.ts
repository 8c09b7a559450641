/**
 * @module `vigil scim token create|list|revoke`: the bearer tokens the identity provider's SCIM
 * provisioning presents (docs/sso.md, "Provisioning (SCIM)").
 */
import { type Command, InvalidArgumentError } from 'commander';
import {
  createScimToken,
  DEFAULT_SCIM_TOKEN_DAYS,
  DEFAULT_SCIM_TOKEN_NAME,
  listScimTokens,
  MAX_SCIM_TOKEN_DAYS,
  revokeScimToken,
  type ScimToken,
} from '../../accounts/scim-tokens.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

function parseDays(v: string): number {
  // The range is checked by createScimToken; here only that it is a whole number (parseInt takes "30d").
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`not a whole number of days: ${v}`);
  return Number(v);
}

/** revoked, expired, or active (with "no expiry" for a token made before tokens expired). */
export function tokenState(t: ScimToken, now: string): string {
  if (t.revokedAt) return 'revoked';
  if (t.expiresAt && t.expiresAt <= now) return 'expired';
  return t.expiresAt ? 'active' : 'active, no expiry';
}

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
    .option(
      '--expires-days <n>',
      `days until the provider must be given a new one (1–${MAX_SCIM_TOKEN_DAYS}, default ${DEFAULT_SCIM_TOKEN_DAYS})`,
      parseDays,
    )
    .option('--json', 'print JSON')
    .action(
      action(async (o: { name?: string; expiresDays?: number; json?: boolean }) => {
        const { vdb } = await cli.get();
        const result = await createScimToken(vdb, cli.actor(), {
          name: o.name,
          expiresInDays: o.expiresDays,
        });
        if (o.json) return printJson(result);
        process.stdout.write(printable`${result.token}\n`);
        process.stderr.write(
          printable`SCIM token "${result.info.name}" made, valid until ${result.info.expiresAt}. It is shown only now: paste it into the provider (Entra ID "Secret Token", Okta "API token") with the URL https://VIGIL-HOST/scim/v2, and give the provider a new one before then.\n`,
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
            ['ID', 'NAME', 'PREFIX', 'CREATED', 'BY', 'LAST USED', 'EXPIRES', 'STATE'],
            list.map((t) => [
              t.id,
              t.name,
              t.prefix,
              t.createdAt,
              t.createdBy,
              t.lastUsedAt ?? '-',
              t.expiresAt ?? 'never',
              tokenState(t, new Date().toISOString()),
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
        process.stdout.write(printable`SCIM token "${t.name}" revoked.\n`);
      }),
    );
}
