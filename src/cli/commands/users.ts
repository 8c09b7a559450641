/**
 * @module `vigil users add|list|disable|enable|reset-password|set-role`.
 */
import type { Command } from 'commander';
import { resetMfa } from '../../accounts/mfa.js';
import { ROLE_NAMES } from '../../accounts/permissions.js';
import { createUser, listUsers, resetPassword, setUserDisabled, setUserRole } from '../../accounts/users.js';
import { plural } from '../../format-count.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printable, printJson, readPassword } from '../io.js';
import { action } from '../run-command.js';

export function registerUserCommands(program: Command, cli: CliContext): void {
  const users = program.command('users').description('Local accounts and their roles');

  users
    .command('add <username>')
    .description(`Create an account (roles: ${ROLE_NAMES.join(', ')})`)
    .requiredOption('--role <role>', 'role of the account')
    .option('--display-name <name>', 'full name shown in the UI')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--json', 'print the account as JSON')
    .action(
      action(
        async (
          username: string,
          o: { role: string; displayName?: string; passwordStdin?: boolean; json?: boolean },
        ) => {
          const { vdb } = await cli.get();
          const password = await readPassword(Boolean(o.passwordStdin));
          const user = await createUser(vdb, cli.actor(), {
            username,
            role: o.role,
            password,
            displayName: o.displayName,
          });
          if (o.json) printJson(user);
          else process.stdout.write(printable`Created ${user.role} account "${user.username}".\n`);
        },
      ),
    );

  users
    .command('list')
    .description('List accounts')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const { vdb } = await cli.get();
        const list = await listUsers(vdb, cli.actor());
        if (o.json) return printJson(list);
        process.stdout.write(
          formatTable(
            ['USERNAME', 'ROLE', 'STATE', 'SIGN-IN', 'MFA', 'LAST LOGIN', 'CREATED'],
            list.map((u) => [
              u.username,
              u.awaitingFirstSignIn ? '-' : u.role,
              u.disabled
                ? u.disabledBy === 'scim'
                  ? 'disabled (provider)'
                  : 'disabled'
                : u.locked
                  ? 'locked'
                  : u.awaitingFirstSignIn
                    ? 'provisioned'
                    : 'active',
              u.signIn,
              // A single sign-on account's second factor is the identity provider's (docs/sso.md).
              u.signIn === 'sso' ? 'provider' : u.mfaEnabled ? 'totp' : '-',
              u.lastLoginAt,
              u.createdAt,
            ]),
          ),
        );
      }),
    );

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    users
      .command(`${name} <username>`)
      .description(disabled ? 'Disable an account and end its sessions' : 'Enable a disabled account')
      .action(
        action(async (username: string) => {
          const { vdb } = await cli.get();
          const user = await setUserDisabled(vdb, cli.actor(), username, disabled);
          process.stdout.write(printable`Account "${user.username}" ${disabled ? 'disabled' : 'enabled'}.\n`);
        }),
      );
  }

  users
    .command('reset-password <username>')
    .description('Set a new password; also unlocks the account and ends its sessions')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--revoke-tokens', "also revoke the account's API tokens (a suspected compromise)")
    .action(
      action(async (username: string, o: { passwordStdin?: boolean; revokeTokens?: boolean }) => {
        const { vdb } = await cli.get();
        const password = await readPassword(Boolean(o.passwordStdin), 'New password');
        const user = await resetPassword(vdb, cli.actor(), username, password, {
          revokeTokens: Boolean(o.revokeTokens),
        });
        process.stdout.write(
          printable`Password of "${username}" reset.${o.revokeTokens ? ` ${plural(user.tokensRevoked, 'API token')} revoked.` : ''}\n`,
        );
      }),
    );

  users
    .command('reset-mfa <username>')
    .description("Remove an account's second factor (a lost authenticator app); ends its sessions")
    .action(
      action(async (username: string) => {
        const { vdb } = await cli.get();
        await resetMfa(vdb, cli.actor(), username);
        process.stdout.write(
          printable`Second factor of "${username}" removed; they sign in with their password and enrol again.\n`,
        );
      }),
    );

  users
    .command('set-role <username> <role>')
    .description('Change the role of an account')
    .action(
      action(async (username: string, role: string) => {
        const { vdb } = await cli.get();
        const user = await setUserRole(vdb, cli.actor(), username, role);
        process.stdout.write(printable`"${user.username}" is now ${user.role}.\n`);
      }),
    );
}
