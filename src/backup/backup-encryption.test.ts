/**
 * Encrypted backups against the real `age` tool (Debian package `age`): what Vigil encrypts, `age -d`
 * decrypts; what `age -r` encrypts, Vigil restores; keys come from `age-keygen`. Without the tool these
 * tests are skipped with a warning, except in CI (CI=true), where that is an error.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ageKeygen, describeWithAge } from '../../test/age-tool.js';
import { backupDirFiles, backupTestDatabases } from '../../test/backup-databases.js';
import { DIALECTS, PG_URL } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { listAudit } from '../audit/audit-log.js';
import { loadConfig } from '../config/config.js';
import { addDevice } from '../inventory/inventory-service.js';
import { createLogger } from '../log.js';
import type { VigilDatabase } from '../store/database.js';
import { ageRecipientProblem } from './age-recipient.js';
import { readAgeIdentities } from './backup-encryption.js';
import { createBackup, listBackups, pruneScheduledBackups, restoreBackup, verifyBackup } from './backups.js';
import { readManifest, sha256File } from './manifest.js';
import { scheduleBackups } from './schedule.js';

const withAge = describeWithAge('encrypted backup tests with the age tool');

const tmp = () => mkdtempSync(join(tmpdir(), 'vigil-backup-age-'));
const database = backupTestDatabases();

const deviceTags = async (vdb: VigilDatabase) =>
  (await vdb.db.selectFrom('devices').select('asset_tag').orderBy('asset_tag').execute()).map(
    (d) => d.asset_tag,
  );

/** The X25519 public key of 32 zero bytes (bech32 of them): it decodes, but no key agreement with it works. */
const LOW_ORDER_RECIPIENT = 'age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z';

withAge.each(DIALECTS)('encrypted backups on %s', (dialect) => {
  it('encrypts to age recipients: only the .age file and its manifest remain, and age -d opens it', async () => {
    const vdb = await database(dialect);
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1', ips: ['10.20.0.7'] });
    const a = ageKeygen();
    const b2 = ageKeygen();
    const dir = tmp();
    const b = await createBackup(vdb, {
      dir,
      trigger: 'manual',
      actor: cliActor,
      recipients: [a.recipient, b2.recipient],
    });
    const ext = dialect === 'sqlite' ? 'db' : 'dump';
    expect(basename(b.file)).toMatch(new RegExp(`^vigil-\\d{8}T\\d{6}Z-manual\\.${ext}\\.age$`));
    expect(backupDirFiles(dir)).toEqual([basename(b.file), `${basename(b.file)}.json`]);
    expect(statSync(b.file).mode & 0o777).toBe(0o600);
    const manifest = (await readManifest(b.file))!;
    expect(manifest.encryption).toMatchObject({ format: 'age', recipients: [a.recipient, b2.recipient] });
    expect(manifest.sha256).toBe(await sha256File(b.file));
    expect(manifest.bytes).toBe(statSync(b.file).size);

    // Each recipient's identity opens it with the real age tool, and the content is the manifest's plaintext.
    for (const key of [a, b2]) {
      const out = join(tmp(), `plain.${ext}`);
      execFileSync('age', ['-d', '-i', key.keyFile, '-o', out, b.file]);
      expect(await sha256File(out)).toBe(manifest.encryption!.plaintextSha256);
      expect(statSync(out).size).toBe(manifest.encryption!.plaintextBytes);
    }
    const [entry] = await listAudit(vdb, { action: 'db.backup' });
    expect(entry?.summary).toMatchObject({ encrypted: true, recipients: [a.recipient, b2.recipient] });
    expect(JSON.stringify(entry?.summary)).not.toContain('AGE-SECRET-KEY');

    // verify-backup: without the identity only the checksum; with it, the content too.
    const bare = await verifyBackup(b.file);
    expect(bare).toMatchObject({ ok: true, encrypted: true, contentChecked: false, dialect, contents: null });
    expect(bare.warnings).toContain(
      'it is encrypted: only its SHA-256 was checked against the manifest; its content could not be checked without the identity (--identity KEYFILE)',
    );
    const scratch = tmp();
    const full = await verifyBackup(b.file, {
      identities: await readAgeIdentities(b2.keyFile),
      workIn: scratch,
    });
    expect(full).toMatchObject({ ok: true, encrypted: true, contentChecked: true, problems: [] });
    if (dialect === 'sqlite') expect(full.contents?.counts.devices).toBe(1);
    expect(readdirSync(join(scratch, '.vigil-work'))).toEqual([]); // the decrypted copy is gone
  });

  it('restores an encrypted backup with its identity; the safety copy is encrypted too', async () => {
    const vdb = await database(dialect);
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1' });
    const key = ageKeygen();
    const dir = tmp();
    const b = await createBackup(vdb, {
      dir,
      trigger: 'manual',
      actor: cliActor,
      recipients: [key.recipient],
    });
    await addDevice(vdb, cliActor, { assetTag: 'CT-9' });

    await expect(restoreBackup(vdb, b.file, { dir, actor: cliActor })).rejects.toThrow(
      `Backup ${b.file} is encrypted: give the age identity it was encrypted to (--identity KEYFILE)`,
    );
    expect(await deviceTags(vdb)).toEqual(['CT-9', 'PUMP-1']);

    const r = await restoreBackup(vdb, b.file, {
      dir,
      actor: cliActor,
      identities: await readAgeIdentities(key.keyFile),
      recipients: [key.recipient],
    });
    expect(await deviceTags(vdb)).toEqual(['PUMP-1']);
    expect(r.restored).toMatchObject({ file: b.file, encrypted: true });
    expect(r.safetyCopy).toMatch(/-before-restore\.(db|dump)\.age$/);
    // Nothing decrypted is left in the backup directory: the backup, the safety copy, their manifests.
    expect(backupDirFiles(dir)).toEqual(
      [b.file, `${b.file}.json`, r.safetyCopy!, `${r.safetyCopy!}.json`].map((f) => basename(f)).sort(),
    );
    const safety = await verifyBackup(r.safetyCopy!, { identities: await readAgeIdentities(key.keyFile) });
    expect(safety).toMatchObject({ ok: true, contentChecked: true });
    expect(safety.manifest?.counts.devices).toBe(2);
    const [last] = await listAudit(vdb, { action: 'db.restore', limit: 1 });
    expect(last?.summary).toMatchObject({
      restored: { encrypted: true },
      recipients: [key.recipient],
      safetyCopyEncrypted: true,
    });
    if (dialect === 'postgres' && r.replacedSchema) {
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA ${r.replacedSchema} CASCADE`);
      await client.end();
    }
  });

  it('the wrong identity is a clear error and changes nothing', async () => {
    const vdb = await database(dialect);
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1' });
    const key = ageKeygen();
    const other = ageKeygen();
    const dir = tmp();
    const b = await createBackup(vdb, {
      dir,
      trigger: 'manual',
      actor: cliActor,
      recipients: [key.recipient],
    });
    await addDevice(vdb, cliActor, { assetTag: 'CT-9' });
    const before = (await listBackups(vdb)).length;
    const wrong = await readAgeIdentities(other.keyFile);
    const said = `Backup ${b.file} cannot be decrypted with ${other.keyFile}: it was not encrypted to that key (it was encrypted to ${key.recipient.slice(0, 12)}…${key.recipient.slice(-6)})`;
    await expect(verifyBackup(b.file, { identities: wrong })).rejects.toThrow(said);
    await expect(restoreBackup(vdb, b.file, { dir, actor: cliActor, identities: wrong })).rejects.toThrow(
      said,
    );
    expect(await deviceTags(vdb)).toEqual(['CT-9', 'PUMP-1']);
    expect((await listBackups(vdb)).length).toBe(before); // no safety copy was taken
    expect(backupDirFiles(dir)).toEqual([basename(b.file), `${basename(b.file)}.json`]);
  });

  it('scheduled backups are encrypted, and pruning removes old .age files with their manifests', async () => {
    const vdb = await database(dialect);
    const key = ageKeygen();
    const dir = tmp();
    const config = {
      db: 'sqlite:unused',
      backupDir: dir,
      backupIntervalHours: 24,
      backupKeep: 2,
      backupRecipients: [key.recipient],
    };
    const s = scheduleBackups(vdb, config, createLogger('silent'), { firstMs: 3_600_000 })!;
    try {
      await s.runNow();
    } finally {
      s.stop();
    }
    const [first] = await listBackups(vdb);
    expect(first).toMatchObject({ trigger: 'scheduled', status: 'ok' });
    expect(first?.file).toMatch(/\.age$/);
    const more = [];
    for (let i = 0; i < 2; i++)
      more.push(
        await createBackup(vdb, { dir, trigger: 'scheduled', actor: cliActor, recipients: [key.recipient] }),
      );
    const manual = await createBackup(vdb, {
      dir,
      trigger: 'manual',
      actor: cliActor,
      recipients: [key.recipient],
    });
    expect(await pruneScheduledBackups(dir, 2)).toEqual([first!.file]);
    expect(backupDirFiles(dir)).toEqual(
      [...more, manual].flatMap((b) => [basename(b.file), `${basename(b.file)}.json`]).sort(),
    );
  });
});

withAge('encrypted backup files', () => {
  it('restores a backup encrypted by hand with age -r and a key from age-keygen, no manifest beside it', async () => {
    const vdb = await database('sqlite');
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1' });
    const plain = await createBackup(vdb, { dir: tmp(), trigger: 'manual', actor: cliActor });
    const key = ageKeygen();
    const sealed = join(tmp(), 'offsite-copy.db.age');
    execFileSync('age', ['-r', key.recipient, '-o', sealed, plain.file]);
    await addDevice(vdb, cliActor, { assetTag: 'CT-9' });
    const identities = await readAgeIdentities(key.keyFile);
    const check = await verifyBackup(sealed, { identities });
    expect(check).toMatchObject({ ok: true, encrypted: true, contentChecked: true, dialect: 'sqlite' });
    const dir = tmp();
    const r = await restoreBackup(vdb, sealed, { dir, actor: cliActor, identities });
    expect(r.restored.encrypted).toBe(true);
    expect(await deviceTags(vdb)).toEqual(['PUMP-1']);
    // Without the identity and without a manifest nothing can be said about it.
    const bare = await verifyBackup(sealed);
    expect(bare.ok).toBe(false);
    expect(bare.problems).toEqual([
      'it is encrypted with age and has no manifest: nothing can be checked without the identity (--identity KEYFILE)',
    ]);
  });

  it('a cut-short or damaged .age file is a clear error naming it, and is not restored', async () => {
    const vdb = await database('sqlite');
    for (let i = 0; i < 40; i++) await addDevice(vdb, cliActor, { assetTag: `PUMP-${i}` });
    const key = ageKeygen();
    const b = await createBackup(vdb, {
      dir: tmp(),
      trigger: 'manual',
      actor: cliActor,
      recipients: [key.recipient],
    });
    const identities = await readAgeIdentities(key.keyFile);
    const whole = readFileSync(b.file);
    expect(whole.length).toBeGreaterThan(70_000); // more than one 64 KiB chunk: a cut between chunks
    // Cut short right after its first 64 KiB chunk (age-encryption.org/v1 §Payload: 65536 bytes and a
    // 16-byte tag each, after the header and a 16-byte nonce), without its manifest. Only the missing
    // last-chunk flag tells this from a whole file.
    const plainBytes = b.manifest.encryption!.plaintextBytes;
    const header = whole.length - 16 - plainBytes - 16 * Math.ceil(plainBytes / 65536);
    const cut = join(tmp(), basename(b.file));
    writeFileSync(cut, whole.subarray(0, header + 16 + 65536 + 16));
    const check = await verifyBackup(cut, { identities });
    expect(check).toMatchObject({ ok: false, contentChecked: false });
    expect(check.problems[0]).toMatch(
      `Backup ${cut} is damaged or cut short: its content fails age's authentication (invalid tag)`,
    );
    // One byte changed in the middle, the manifest beside it: both the checksum and the content say so.
    const flipped = Buffer.from(whole);
    flipped[40_000] = flipped[40_000]! ^ 0x01;
    writeFileSync(b.file, flipped);
    const damaged = await verifyBackup(b.file, { identities });
    expect(damaged.problems).toHaveLength(2);
    expect(damaged.problems[0]).toMatch(/differs from its manifest/);
    expect(damaged.problems[1]).toMatch(`Backup ${b.file} is damaged or cut short`);
    await addDevice(vdb, cliActor, { assetTag: 'CT-9' });
    const dir = tmp();
    await expect(restoreBackup(vdb, b.file, { dir, actor: cliActor, identities })).rejects.toThrow(
      `Backup ${b.file} cannot be restored: the file differs from its manifest`,
    );
    expect((await deviceTags(vdb)).length).toBe(41);
    expect(backupDirFiles(dir)).toEqual([]); // the partly decrypted copy is gone
    // A file that is not age at all, named like one.
    const junk = join(tmp(), 'junk.db.age');
    writeFileSync(junk, 'age-encryption.org/v1\n-> X25519 not-base64!\n');
    expect((await verifyBackup(junk, { identities })).problems[0]).toMatch(
      `Backup ${junk} is not a readable age file`,
    );
  });

  it('an identity file readable by others is used with a warning; a public key is not an identity', async () => {
    const key = ageKeygen();
    chmodSync(key.keyFile, 0o644);
    const ids = await readAgeIdentities(key.keyFile);
    expect(ids.identities).toHaveLength(1);
    expect(ids.warnings).toEqual([
      `identity file ${key.keyFile} can be read by group or others (mode 644): chmod 600 it, and keep it off the Vigil server when not restoring`,
    ]);
    const pub = join(tmp(), 'pub.txt');
    writeFileSync(pub, `# the public key, by mistake\n${key.recipient}\n`);
    await expect(readAgeIdentities(pub)).rejects.toThrow(
      `Identity file ${pub} line 2: is a public key (age1…): the identity is the secret key, the AGE-SECRET-KEY-1… line age-keygen writes`,
    );
    // A key copied with a character lost: named by its line, never printed.
    const secret = readFileSync(key.keyFile, 'utf8');
    const broken = join(tmp(), 'broken.txt');
    writeFileSync(broken, secret.replace(/(AGE-SECRET-KEY-1\w{10})\w/, '$1'));
    const err = await readAgeIdentities(broken).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^Identity file .* line 3: is not a valid age identity/);
    expect((err as Error).message).not.toContain('AGE-SECRET-KEY-1');
  });
});

describe('backup recipients', () => {
  it('a failure while encrypting leaves neither plaintext nor a partial .age file, and is recorded', async () => {
    const vdb = await database('sqlite');
    await addDevice(vdb, cliActor, { assetTag: 'PUMP-1' });
    const dir = tmp();
    // It decodes as a public key, so the copy is made and verified before encrypting to it fails.
    expect(ageRecipientProblem(LOW_ORDER_RECIPIENT)).toBeNull();
    await expect(
      createBackup(vdb, { dir, trigger: 'scheduled', actor: cliActor, recipients: [LOW_ORDER_RECIPIENT] }),
    ).rejects.toThrow(/^Cannot encrypt the backup to age1qqqqqqqq…5cu47z: /);
    expect(backupDirFiles(dir)).toEqual([]);
    const [failed] = await listBackups(vdb);
    expect(failed).toMatchObject({ status: 'failed', trigger: 'scheduled' });
    const [entry] = await listAudit(vdb, { action: 'db.backup' });
    expect(entry).toMatchObject({ outcome: 'failure' });
    expect(entry?.summary).toMatchObject({ encrypted: true, recipients: [LOW_ORDER_RECIPIENT] });
  });

  it('a value that is no age public key is refused before anything is written', async () => {
    const vdb = await database('sqlite');
    const dir = join(tmp(), 'backups');
    await expect(
      createBackup(vdb, { dir, trigger: 'manual', actor: cliActor, recipients: ['age1notakey'] }),
    ).rejects.toThrow(
      'Cannot encrypt the backup: "age1notakey" is not an age public key (age1 followed by 58 letters and digits, as age-keygen prints)',
    );
    expect(() => statSync(dir)).toThrow();
  });

  it('backupRecipients is checked at start-up, naming the bad value but never a secret key', () => {
    // An age public key, printed by age-keygen 1.1.1 (its secret key was not kept).
    const good = 'age1pm45n5vnf22evsa5y6840yc2uvmz3hvynk30wg6z6u06jgk285eskrx6xx';
    expect(loadConfig({ env: { VIGIL_BACKUP_RECIPIENTS: ` ${good} ,` } }).backupRecipients).toEqual([good]);
    expect(loadConfig({ env: {} }).backupRecipients).toEqual([]);
    const issues = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig({ env });
      } catch (e) {
        return (e as { issues: { field: string; reason: string }[] }).issues;
      }
      throw new Error('accepted');
    };
    expect(
      issues({
        VIGIL_BACKUP_RECIPIENTS: `${good},ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl`,
      }),
    ).toEqual([
      {
        field: 'backupRecipients (VIGIL_BACKUP_RECIPIENTS)',
        reason:
          '"ssh-ed25519 …l9GKJl" is an SSH public key: Vigil encrypts to age keys only (age1…, made with age-keygen)',
      },
    ]);
    const secret = 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ';
    const [issue] = issues({ VIGIL_BACKUP_RECIPIENTS: secret });
    expect(issue?.reason).toMatch(/^a secret key \(AGE-SECRET-KEY-…\) was given as a recipient/);
    expect(JSON.stringify(issue)).not.toContain(secret);
  });
});
