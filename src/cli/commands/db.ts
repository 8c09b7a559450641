/**
 * @module `vigil db migrate|backup|encrypt-backup|backups|verify-backup|restore`: schema migrations and Vigil's own
 * backups (src/backup/, docs/backup.md).
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { abbreviate, ageRecipientProblem } from '../../backup/age-recipient.js';
import { readAgeIdentities } from '../../backup/backup-encryption.js';
import {
  backupDirFor,
  createBackup,
  listBackups,
  restoreBackup,
  verifyBackup,
} from '../../backup/backups.js';
import { encryptBackups } from '../../backup/encrypt-backups.js';
import { conflict, invalidInput } from '../../errors.js';
import { formatBytes } from '../../format-bytes.js';
import { plural } from '../../format-count.js';
import { migrateToLatest } from '../../store/migrate.js';
import type { CliContext } from '../cli-context.js';
import { formatLines, formatTable, printable, printJson } from '../io.js';
import { action } from '../run-command.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The identity file's contents are never printed: only the warnings about it (its mode). */
const identitiesFrom = (path: string | undefined) => (path ? readAgeIdentities(path) : undefined);

export function registerDbCommands(program: Command, cli: CliContext): void {
  const db = program.command('db').description('Database maintenance and backups');
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
            ? printable`Applied ${plural(report.applied.length, 'migration')} to ${vdb.description}: ${report.applied.join(', ')}\n`
            : printable`${vdb.description} is up to date (${report.current}).\n`,
        );
      }),
    );

  db.command('backup')
    .description(
      'Back the database up now, verified, into the backup directory (safe while vigil serve runs)',
    )
    .option('--dir <dir>', 'where to write it (default: backupDir, else backups/ beside the SQLite file)')
    .option(
      '--recipient <age1…>',
      'encrypt it to this age public key (repeatable; replaces backupRecipients for this backup)',
      collect,
    )
    .option('--json', 'print JSON')
    .action(
      action(async (o: { dir?: string; recipient?: string[]; json?: boolean }) => {
        for (const r of o.recipient ?? []) {
          const problem = ageRecipientProblem(r);
          if (problem) throw invalidInput(`--recipient: ${problem}`);
        }
        const { vdb, config } = await cli.get();
        const b = await createBackup(vdb, {
          dir: o.dir ?? backupDirFor(config),
          trigger: 'manual',
          actor: cli.actor(),
          recipients: o.recipient?.length ? o.recipient : config.backupRecipients,
        });
        if (o.json) return printJson({ id: b.id, file: b.file, manifest: b.manifest, warnings: b.warnings });
        const m = b.manifest;
        const sealed = m.encryption
          ? `, encrypted to ${m.encryption.recipients.map(abbreviate).join(', ')}`
          : '';
        process.stdout.write(
          printable`Backed up ${vdb.description} to ${b.file} (${formatBytes(m.bytes)}, SHA-256 ${m.sha256.slice(0, 16)}…${sealed})\n` +
            printable`  ${plural(m.counts.devices, 'device')}, ${plural(m.counts.findings, 'finding')}, ${plural(m.counts.tasks, 'task')}, ${plural(m.counts.users, 'account')}; audit log ${plural(m.audit.entries, 'entry', 'entries')}, verified\n`,
        );
        for (const w of b.warnings) process.stderr.write(printable`warning: ${w}\n`);
        process.stderr.write(
          'The secret key is not in the backup: keep a copy of it apart (docs/backup.md).\n',
        );
      }),
    );

  db.command('encrypt-backup [files...]')
    .description(
      'Encrypt backups taken before backupRecipients was set: each is checked, encrypted, checked again, and only then its plaintext removed',
    )
    .option('--all', 'every unencrypted backup in the backup directory')
    .option(
      '--recipient <age1…>',
      'encrypt to this age public key (repeatable; replaces backupRecipients)',
      collect,
    )
    .option(
      '--dir <dir>',
      'the backup directory (default: backupDir); FILES without a path are looked up there',
    )
    .option('--json', 'print JSON')
    .action(
      action(
        async (files: string[], o: { all?: boolean; recipient?: string[]; dir?: string; json?: boolean }) => {
          if (o.all && files.length) throw invalidInput('Give backup files or --all, not both');
          if (!o.all && !files.length)
            throw invalidInput('Name the backups to encrypt (vigil db backups lists them), or give --all');
          for (const r of o.recipient ?? []) {
            const problem = ageRecipientProblem(r);
            if (problem) throw invalidInput(`--recipient: ${problem}`);
          }
          const { vdb, config, log } = await cli.get();
          const dir = o.dir ?? backupDirFor(config);
          const r = await encryptBackups(vdb, {
            dir,
            files: o.all ? 'all' : files,
            recipients: o.recipient?.length ? o.recipient : config.backupRecipients,
            actor: cli.actor(),
            log,
          });
          // One backup named and it failed: its own error (and exit code) says best what is wrong.
          if (!o.all && files.length === 1 && r.failed.length === 1) throw r.failed[0]!.error;
          if (r.failed.length) process.exitCode = 65;
          if (o.json)
            return printJson({
              encrypted: r.encrypted,
              skipped: r.skipped,
              failed: r.failed.map((f) => ({ file: f.file, error: f.error.message })),
            });
          const out: string[] = [];
          for (const e of r.encrypted)
            out.push(
              `Encrypted ${basename(e.file)} to ${basename(e.encryptedFile)} (${e.recipients.map(abbreviate).join(', ')}; ${formatBytes(e.bytes)}, SHA-256 ${e.sha256.slice(0, 16)}…), checked against its manifest; the unencrypted file is removed${e.resumed ? ' (finishing an interrupted run)' : ''}.`,
            );
          if (o.all && !r.encrypted.length && !r.skipped.length && !r.failed.length)
            out.push(`No unencrypted backups in ${dir}.`);
          for (const s of r.skipped) out.push(`Not encrypted: ${basename(s.file)}: ${s.reason}.`);
          for (const f of r.failed) out.push(`Failed: ${basename(f.file)}: ${f.error.message}`);
          process.stdout.write(formatLines(out));
        },
      ),
    );

  db.command('backups')
    .description('The backups Vigil took or tried (newest first)')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { limit: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const rows = await listBackups(vdb, Math.max(1, Math.min(1000, Number(o.limit) || 20)));
        if (o.json) return printJson(rows);
        process.stdout.write(
          formatTable(
            ['STARTED', 'TRIGGER', 'STATUS', 'SIZE', 'FILE / ERROR'],
            rows.map((r) => [
              r.startedAt.slice(0, 19).replace('T', ' '),
              r.trigger,
              r.status,
              r.bytes === null ? null : formatBytes(r.bytes),
              r.status === 'ok' && r.file ? basename(r.file) : r.error,
            ]),
          ),
        );
      }),
    );

  db.command('verify-backup <file>')
    .description(
      "Check a backup: its manifest's SHA-256, that it opens, its audit chain, that this Vigil can restore it",
    )
    .option(
      '--identity <keyfile>',
      'the age identity file (AGE-SECRET-KEY-1…, from age-keygen) to decrypt an encrypted backup and check its content',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (file: string, o: { identity?: string; json?: boolean }) => {
        // The configured keyring only (no database opened): its key ids are what the warnings compare.
        const config = cli.configOnly();
        // Decrypted in the backup directory's private workspace, whose leftovers the next backup or
        // server start removes; the system's temporary directory only where this host keeps no backups.
        const backupDir = backupDirFor(config);
        const v = await verifyBackup(file, {
          identities: await identitiesFrom(o.identity),
          workIn: existsSync(backupDir) ? backupDir : undefined,
        });
        if (o.json) printJson(v);
        else {
          const counts = v.contents?.counts ?? v.manifest?.counts;
          const verdict = !v.ok
            ? 'NOT restorable'
            : v.contentChecked
              ? 'good'
              : 'intact, content not checked (encrypted: give --identity KEYFILE)';
          process.stdout.write(
            printable`${v.file}: ${verdict} (${v.dialect ?? 'unknown format'}${v.encrypted ? ', encrypted with age' : ''}, ${formatBytes(v.bytes)}${v.manifest ? `, taken ${v.manifest.createdAt}` : ''})\n` +
              (counts
                ? printable`  ${plural(counts.devices, 'device')}, ${plural(counts.findings, 'finding')}, ${plural(counts.users, 'account')}; audit log ${plural((v.contents ?? v.manifest)!.audit.entries, 'entry', 'entries')}\n`
                : ''),
          );
          for (const p of v.problems) process.stdout.write(printable`  problem: ${p}\n`);
          for (const w of v.warnings) process.stdout.write(printable`  warning: ${w}\n`);
        }
        if (!v.ok) process.exitCode = 65;
      }),
    );

  db.command('restore <file>')
    .description('Replace the database with a backup (stop vigil serve first); a safety copy is taken first')
    .option('--yes', 'confirm: everything written since the backup is replaced')
    .option(
      '--identity <keyfile>',
      'the age identity file (AGE-SECRET-KEY-1…) that decrypts an encrypted backup',
    )
    .option(
      '--dir <dir>',
      'where the safety copy, and a decrypted copy while it is restored, go (default: the backup directory)',
    )
    .option(
      '--without-safety-copy',
      'do not copy the current database first (only when it is too damaged to copy)',
    )
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          file: string,
          o: { yes?: boolean; identity?: string; dir?: string; withoutSafetyCopy?: boolean; json?: boolean },
        ) => {
          if (!o.yes)
            throw conflict(
              'A restore replaces everything written since the backup was taken: stop vigil serve, then run again with --yes',
            );
          const identities = await identitiesFrom(o.identity);
          const { vdb, config } = await cli.get();
          const r = await restoreBackup(vdb, file, {
            dir: o.dir ?? backupDirFor(config),
            actor: cli.actor(),
            safetyCopy: !o.withoutSafetyCopy,
            identities,
            recipients: config.backupRecipients,
          });
          if (o.json) return printJson(r);
          const out: string[] = [
            `Restored ${vdb.description} from ${r.restored.file}${r.restored.createdAt ? ` (taken ${r.restored.createdAt})` : ''}${r.restored.encrypted ? ', decrypted with the identity given' : ''}.`,
          ];
          if (r.safetyCopy)
            out.push(
              `  What it replaced is in ${r.safetyCopy}${config.backupRecipients.length ? ' (encrypted to backupRecipients)' : ''}.`,
            );
          if (r.replacedSchema)
            out.push(
              `  The replaced schema is kept as ${r.replacedSchema}: DROP SCHEMA ${r.replacedSchema} CASCADE once satisfied.`,
            );
          if (r.migrationsApplied.length)
            out.push(`  Migrated to this Vigil: ${r.migrationsApplied.join(', ')}.`);
          out.push(
            r.sessionsEnded > 0
              ? `  ${plural(r.sessionsEnded, 'session')} ended: everyone signs in again.`
              : '  No session was open; everyone signs in again.',
          );
          if (r.usersKeptDisabled.length)
            out.push(`  Kept disabled (disabled after the backup): ${r.usersKeptDisabled.join(', ')}.`);
          if (r.tokensKeptRevoked.length)
            out.push(`  Kept revoked (revoked after the backup): ${r.tokensKeptRevoked.join(', ')}.`);
          if (r.scimTokensKeptRevoked.length)
            out.push(
              `  SCIM tokens kept revoked (revoked after the backup): ${r.scimTokensKeptRevoked.join(', ')}.`,
            );
          if (r.rolesKept.length)
            out.push(
              `  Kept the narrower role given after the backup: ${r.rolesKept.map((k) => `${k.username} ${k.role} (was ${k.backupRole})`).join(', ')}.`,
            );
          if (r.secondFactorsKept.length)
            out.push(
              `  Kept the second factor enrolled or reset after the backup: ${r.secondFactorsKept.join(', ')}.`,
            );
          if (r.passwordsFromBeforeBackup.length)
            out.push(
              `  These accounts changed their password after the backup and have the older one again (reset them if it was compromised): ${r.passwordsFromBeforeBackup.join(', ')}.`,
            );
          process.stdout.write(formatLines(out));
          for (const w of r.warnings) process.stderr.write(printable`warning: ${w}\n`);
        },
      ),
    );
}
