/**
 * @module Secrets sealed at rest with AES-256-GCM (pure: key and text in, text out, no I/O). A sealed
 * value reads `vgs1:<key id>:<iv>:<ciphertext+tag>` (base64url parts): the key id (the first 8 bytes of a
 * SHA-256 over the key, hex) says which key sealed it without revealing the key, so a wrong key gives a
 * clear error instead of garbage; the associated data binds a value to its row, so a sealed secret
 * copied to another row does not open there. A value without the prefix is a plaintext one written
 * before sealing existed.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export const SEALED_PREFIX = 'vgs1:';
export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {}

/** Which key sealed a value: shown in errors and docs, safe to log (a hash prefix, not the key). */
export function keyIdOf(key: Uint8Array): string {
  return createHash('sha256').update('vigil secret key id\0').update(key).digest('hex').slice(0, 16);
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX);
}

/** The key id a sealed value names, or null when the value is not sealed (plaintext) or malformed. */
export function sealedKeyId(stored: string): string | null {
  if (!isSealed(stored)) return null;
  const id = stored.slice(SEALED_PREFIX.length).split(':')[0];
  return id && /^[0-9a-f]{16}$/.test(id) ? id : null;
}

function checkKey(key: Uint8Array): void {
  if (key.length !== SECRET_KEY_BYTES)
    throw new SecretBoxError(`a secret key is ${SECRET_KEY_BYTES} bytes, this one is ${key.length}`);
}

export function sealSecret(key: Uint8Array, plaintext: string, associated: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associated, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${SEALED_PREFIX}${keyIdOf(key)}:${iv.toString('base64url')}:${body.toString('base64url')}`;
}

/**
 * Opens a sealed value with the key whose id it names (`keys` maps key id → key). Throws SecretBoxError
 * naming the key id when no such key is given, or when the value was changed or belongs to another row.
 */
export function openSecret(
  keys: ReadonlyMap<string, Uint8Array>,
  stored: string,
  associated: string,
): string {
  if (!isSealed(stored)) throw new SecretBoxError('the value is not sealed');
  const parts = stored.slice(SEALED_PREFIX.length).split(':');
  const [id, ivText, bodyText] = parts;
  if (parts.length !== 3 || !id || !ivText || !bodyText) throw new SecretBoxError('malformed sealed value');
  const key = keys.get(id);
  if (!key)
    throw new SecretBoxError(
      `sealed with key ${id}, but the configured key is ${[...keys.keys()].join(' or ') || 'missing'}`,
    );
  const iv = Buffer.from(ivText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SecretBoxError('malformed sealed value');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(associated, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(body.subarray(0, body.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new SecretBoxError(
      `sealed value does not open with key ${id}: it was altered or belongs elsewhere`,
    );
  }
}
