/**
 * @module The key that seals secrets stored in the database (secret-box.ts), kept outside it. Where it
 * comes from, first match wins:
 *   1. `VIGIL_SECRET_KEY`: base64 of 32 random bytes (for containers and secret managers);
 *   2. a key file: `secretKeyFile` (`VIGIL_SECRET_KEY_FILE`), else `secret.key` beside the SQLite database,
 *      else (PostgreSQL) `./vigil-data/secret.key`; created with mode 0600 the first time a secret is
 *      sealed, refused when group or others can read it;
 *   3. an in-memory SQLite database gets a key that lives as long as the process, like the data.
 * `VIGIL_SECRET_KEY_PREVIOUS` (base64) still opens values sealed before a rotation; they are sealed again
 * with the current key when next read. The process uses one keyring (set by the CLI context at start-up);
 * code that never configured one (tests, `vigil analyze`) gets a per-process key.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { VigilError } from '../errors.js';
import { keyIdOf, SECRET_KEY_BYTES } from './secret-box.js';

export interface SecretKeyring {
  /** The key new values are sealed with (a key file is created on first use). */
  current(): { id: string; key: Buffer };
  /** Every key that may open stored values, by key id; creates nothing. */
  openingKeys(): Map<string, Buffer>;
  /** Where the key comes from, for messages: never the key itself. */
  readonly source: string;
}

const keyError = (message: string) => new VigilError('configuration', message);

function decodeKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = Buffer.from(t, 'base64');
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(t) || key.length !== SECRET_KEY_BYTES)
    throw keyError(
      `${where} must be base64 of ${SECRET_KEY_BYTES} random bytes (e.g. \`openssl rand -base64 32\`)`,
    );
  return key;
}

function withPrevious(keys: Map<string, Buffer>, previous: Buffer | undefined): Map<string, Buffer> {
  if (previous) keys.set(keyIdOf(previous), previous);
  return keys;
}

export function fixedKeyring(key: Buffer, source: string, previous?: Buffer): SecretKeyring {
  const id = keyIdOf(key);
  return {
    source,
    current: () => ({ id, key }),
    openingKeys: () => withPrevious(new Map([[id, key]]), previous),
  };
}

export function ephemeralKeyring(): SecretKeyring {
  return fixedKeyring(randomBytes(SECRET_KEY_BYTES), 'a per-process key (in-memory database)');
}

export function fileKeyring(path: string, previous?: Buffer): SecretKeyring {
  const file = resolve(path);
  let loaded: Buffer | undefined;
  const read = (): Buffer | undefined => {
    if (loaded) return loaded;
    let text: string;
    try {
      const st = statSync(file);
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0)
        throw keyError(
          `secret key file ${file} can be read by group or others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`,
        );
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      if (e instanceof VigilError) throw e;
      throw keyError(`cannot read secret key file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    loaded = decodeKey(text, `secret key file ${file}`);
    return loaded;
  };
  return {
    source: `key file ${file}`,
    current() {
      let key = read();
      if (!key) {
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        try {
          // wx: never overwrite a key another process created a moment ago.
          writeFileSync(file, `${randomBytes(SECRET_KEY_BYTES).toString('base64')}\n`, {
            mode: 0o600,
            flag: 'wx',
          });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
            throw keyError(
              `cannot create secret key file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`,
            );
        }
        key = read();
        if (!key) throw keyError(`secret key file ${file} vanished while being created`);
      }
      return { id: keyIdOf(key), key };
    },
    openingKeys() {
      const key = read();
      return withPrevious(key ? new Map([[keyIdOf(key), key]]) : new Map(), previous);
    },
  };
}

/** The keyring a deployment's settings choose (see the module comment). */
export function keyringFor(
  settings: { db: string; secretKeyFile?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): SecretKeyring {
  const previousText = env['VIGIL_SECRET_KEY_PREVIOUS'];
  const previous = previousText ? decodeKey(previousText, 'VIGIL_SECRET_KEY_PREVIOUS') : undefined;
  const keyText = env['VIGIL_SECRET_KEY'];
  if (keyText) return fixedKeyring(decodeKey(keyText, 'VIGIL_SECRET_KEY'), 'VIGIL_SECRET_KEY', previous);
  if (settings.secretKeyFile) return fileKeyring(settings.secretKeyFile, previous);
  if (settings.db === 'sqlite::memory:' || settings.db === 'sqlite:') {
    const k = ephemeralKeyring();
    return previous ? fixedKeyring(k.current().key, k.source, previous) : k;
  }
  if (settings.db.startsWith('sqlite:'))
    return fileKeyring(
      resolve(dirname(resolve(settings.db.slice('sqlite:'.length))), 'secret.key'),
      previous,
    );
  return fileKeyring(resolve('vigil-data', 'secret.key'), previous);
}

let active: SecretKeyring | undefined;

/** The process's keyring. */
export function secretKeyring(): SecretKeyring {
  active ??= ephemeralKeyring();
  return active;
}

/** Sets the process's keyring: the CLI context at start-up, tests that switch keys. */
export function useSecretKeyring(keyring: SecretKeyring): void {
  active = keyring;
}
