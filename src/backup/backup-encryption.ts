/**
 * @module Backups encrypted to public keys in the age format (age-encryption.org/v1), with typage, the
 * age authors' own TypeScript implementation (`age-encryption`): a hospital decrypts them with the
 * standard `age` tool without Vigil, and the key that can do so never has to be on the Vigil server, so a
 * stolen server does not unlock its off-site backups. Files are streamed through the cipher in 64 KiB
 * chunks (age's STREAM), never read whole: a PostgreSQL dump can be gigabytes.
 *
 * Recipients are X25519 public keys (`age1…`, as `age-keygen` prints). typage reads no SSH keys, and
 * its post-quantum and tag recipients (`age1pq1…`, `age1tag1…`) need age 1.3 or newer to decrypt (Debian
 * 12 has 1.1.1): refused here, so a backup is always one the `age` a hospital has can open.
 *
 * @see https://age-encryption.org/v1 (the format: header stanzas, HMAC, STREAM payload)
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Decrypter, Encrypter } from 'age-encryption';
import { invalidInput, VigilError } from '../errors.js';
import { pipeToNewFile } from '../new-file.js';
import { readCappedFile } from '../read-capped-file.js';
import { abbreviate, ageRecipientProblem } from './age-recipient.js';

/** What an encrypted backup's name ends with: `vigil-…-manual.db.age`. */
export const AGE_SUFFIX = '.age';
/** The first line of every age file (age-encryption.org/v1 §Header). */
const AGE_MAGIC = 'age-encryption.org/v1\n';

/** The issue reason of the error for a file not encrypted to the identity given (not a damaged file). */
export const NOT_ENCRYPTED_TO_IDENTITY = 'not encrypted to this identity';

export interface StreamedFile {
  bytes: number;
  sha256: string;
}

/** Counts and hashes what passes through, for the SHA-256 of a file while it is written. */
function measuring(): { through: Transform; result(): StreamedFile } {
  const hash = createHash('sha256');
  let bytes = 0;
  const through = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { through, result: () => ({ bytes, sha256: hash.digest('hex') }) };
}

const webStream = (file: string) =>
  Readable.toWeb(createReadStream(file)) as unknown as globalThis.ReadableStream<Uint8Array>;
const nodeStream = (s: globalThis.ReadableStream<Uint8Array>) =>
  Readable.fromWeb(s as unknown as WebReadableStream<Uint8Array>);

/** What `encryptFile` wrote, and what it read: the plaintext as it was encrypted, whatever it is now. */
export interface EncryptedFile extends StreamedFile {
  plaintext: StreamedFile;
}

/**
 * Encrypts `source` to `recipients` into the new file `dest` (created 0600; an existing file is never
 * overwritten). Returns the size and SHA-256 of what was written and of what was read. On failure `dest`
 * may hold part of the ciphertext: the caller removes it.
 */
export async function encryptFile(
  source: string,
  dest: string,
  recipients: readonly string[],
): Promise<EncryptedFile> {
  if (recipients.length === 0) throw new VigilError('internal', 'encryptFile without recipients');
  const e = new Encrypter();
  for (const r of recipients) {
    const problem = ageRecipientProblem(r);
    if (problem) throw invalidInput(`Cannot encrypt the backup: ${problem}`);
    e.addRecipient(r);
  }
  const m = measuring();
  const read = measuring();
  try {
    const input = createReadStream(source);
    input.on('error', (err) => read.through.destroy(err));
    const plain = Readable.toWeb(
      input.pipe(read.through),
    ) as unknown as globalThis.ReadableStream<Uint8Array>;
    const sealed = await e.encrypt(plain);
    await pipeToNewFile(nodeStream(sealed), [m.through], dest);
  } catch (err) {
    if (err instanceof VigilError) throw err;
    // A key that decodes but is no usable X25519 public key (a low-order point) fails here.
    throw new VigilError(
      'internal',
      `Cannot encrypt the backup to ${recipients.map(abbreviate).join(', ')}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { ...m.result(), plaintext: read.result() };
}

/**
 * Decrypts the age file `source` with `identities` into the new file `dest` (0600, never overwriting).
 * Returns the size and SHA-256 of the plaintext. A wrong key, a file that is not age, or one damaged or
 * cut short is an error naming `source`; `dest` may then hold part of the plaintext: the caller removes
 * it (and should keep `dest` in a private directory).
 */
export async function decryptFile(
  source: string,
  dest: string,
  keys: AgeIdentities,
  recipients?: readonly string[],
): Promise<StreamedFile> {
  const d = new Decrypter();
  for (const identity of keys.identities) d.addIdentity(identity);
  let plain: globalThis.ReadableStream<Uint8Array>;
  try {
    plain = await d.decrypt(webStream(source));
  } catch (err) {
    const message = (err as Error).message;
    if (/no identity matched/.test(message))
      throw invalidInput(
        `Backup ${source} cannot be decrypted with ${keys.file}: it was not encrypted to that key${recipients?.length ? ` (it was encrypted to ${recipients.map(abbreviate).join(', ')})` : ''}`,
        [{ file: source, reason: NOT_ENCRYPTED_TO_IDENTITY }],
      );
    throw invalidInput(`Backup ${source} is not a readable age file: ${message}`);
  }
  const m = measuring();
  try {
    await pipeToNewFile(nodeStream(plain), [m.through], dest);
  } catch (err) {
    // Bytes already written passed authentication: the damage is at or after them (the cipher holds a
    // chunk back until it knows whether it is the last one, so it may be a chunk later).
    const decrypted = m.result().bytes;
    throw invalidInput(
      `Backup ${source} is damaged or cut short: its content fails age's authentication (${(err as Error).message}) after ${decrypted} good bytes`,
      [{ file: source, reason: 'content fails authentication', offset: decrypted }],
    );
  }
  return m.result();
}

/** Whether `file` begins like an age file. */
export async function isAgeFile(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(AGE_MAGIC.length);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead).toString('latin1') === AGE_MAGIC;
  } finally {
    await fh.close();
  }
}

export interface AgeIdentities {
  file: string;
  identities: string[];
  /** The file can be read by others than its owner. */
  warnings: string[];
}

/** An age identity is one ~75-character line; a file of a few hundred of them is far under 1 MB. */
const MAX_IDENTITY_FILE_BYTES = 1_000_000;

/**
 * Reads an age identity file as `age-keygen` writes it (`# created: …`, `# public key: age1…`,
 * `AGE-SECRET-KEY-1…`; one or more keys, `#` comments, blank lines). Errors name the file and line but
 * never a line's content: it may be a secret key. A file readable by group or others is a warning, not
 * a refusal: the key is needed now, and refusing would not make it secret again.
 */
export async function readAgeIdentities(path: string): Promise<AgeIdentities> {
  let text: string;
  const warnings: string[] = [];
  try {
    const st = await stat(path);
    if (!st.isFile()) throw invalidInput(`Identity file ${path} is not a file`);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0)
      warnings.push(
        `identity file ${path} can be read by group or others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it, and keep it off the Vigil server when not restoring`,
      );
    text = (
      await readCappedFile(path, {
        what: 'an age identity file',
        role: 'identity file',
        maxBytes: MAX_IDENTITY_FILE_BYTES,
      })
    ).toString('utf8');
  } catch (e) {
    if (e instanceof VigilError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw invalidInput(`Cannot read identity file ${path}: ${code ?? (e as Error).message}`);
  }
  if (text.startsWith(AGE_MAGIC))
    throw invalidInput(
      `Identity file ${path} is itself encrypted (with a passphrase): decrypt it first (age -d -o key.txt ${path}), use it, and delete key.txt`,
    );
  const identities: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const where = `Identity file ${path} line ${i + 1}`;
    const issue = (reason: string) =>
      invalidInput(`${where}: ${reason}`, [{ file: path, line: i + 1, reason }]);
    if (line.startsWith('age1'))
      throw issue(
        'is a public key (age1…): the identity is the secret key, the AGE-SECRET-KEY-1… line age-keygen writes',
      );
    if (line.startsWith('-----BEGIN') || line.startsWith('ssh-'))
      throw issue('is an SSH key: Vigil reads age identities only (AGE-SECRET-KEY-1…, from age-keygen)');
    if (!line.startsWith('AGE-SECRET-KEY-1'))
      throw issue('is not an age identity (AGE-SECRET-KEY-1…, as age-keygen writes)');
    try {
      new Decrypter().addIdentity(line); // decodes it: bech32 checksum and length
    } catch {
      throw issue('is not a valid age identity (its checksum or length is wrong: copied incompletely?)');
    }
    identities.push(line);
  }
  if (identities.length === 0)
    throw invalidInput(`Identity file ${path} holds no age identity (AGE-SECRET-KEY-1…)`);
  return { file: path, identities, warnings };
}
