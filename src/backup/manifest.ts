/**
 * @module A backup's manifest: `<backup file>.json` beside it, written after the copy was verified. It
 * says what the file is (dialect, schema, Vigil version, newest migration), what was in it (counts, the
 * audit log's length and head hash), which keys sealed its secrets, and the file's SHA-256, so a copy
 * that rotted on disk or was altered is caught before anyone restores it. The manifest is never
 * encrypted, even beside an encrypted backup: it must be readable to check the file without its key.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { invalidInput } from '../errors.js';
import { readCappedFile } from '../read-capped-file.js';

export const MANIFEST_FORMAT = 'vigil-backup/1';

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  createdAt: z.string(),
  trigger: z.enum(['manual', 'scheduled', 'before-restore']),
  vigilVersion: z.string(),
  dialect: z.enum(['sqlite', 'postgres']),
  /** PostgreSQL: the schema dumped (a restore puts it back under the same name). */
  schema: z.string().optional(),
  source: z.string(),
  file: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  schemaVersion: z.string().nullable(),
  counts: z.object({
    devices: z.number(),
    findings: z.number(),
    tasks: z.number(),
    users: z.number(),
    advisories: z.number(),
  }),
  audit: z.object({ entries: z.number(), headHash: z.string().nullable() }),
  sealedKeyIds: z.array(z.string()),
  /**
   * Present when the backup was encrypted with age: then `file`, `bytes` and `sha256` are those of the
   * encrypted file on disk, and `plaintextBytes`/`plaintextSha256` those of the database copy inside it,
   * so a copy decrypted by hand (`age -d`) can be checked too. Absent in older manifests.
   */
  encryption: z
    .object({
      format: z.literal('age'),
      recipients: z.array(z.string()).min(1),
      plaintextBytes: z.number().int().nonnegative(),
      plaintextSha256: z.string().regex(/^[0-9a-f]{64}$/),
    })
    .optional(),
});

export type BackupManifest = z.infer<typeof manifestSchema>;

export const manifestPathOf = (file: string) => `${file}.json`;

/** A manifest is a few hundred bytes of JSON (version, checksum, counts). */
const MAX_MANIFEST_BYTES = 1_000_000;

/** The manifest of `file`, or null when it has none; a manifest that is not one is an error naming it. */
export async function readManifest(file: string): Promise<BackupManifest | null> {
  const path = manifestPathOf(file);
  // No manifest is no error (a backup copied without it); anything else unreadable is refused below.
  const missing = await stat(path).then(
    () => false,
    (e: NodeJS.ErrnoException) => e.code === 'ENOENT',
  );
  if (missing) return null;
  const text = (
    await readCappedFile(path, {
      what: 'a backup manifest',
      role: 'backup manifest',
      maxBytes: MAX_MANIFEST_BYTES,
    })
  ).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalidInput(`Backup manifest ${path} is not JSON: ${(e as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalidInput(
      `Backup manifest ${path} is not a Vigil backup manifest: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  return parsed.data;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
