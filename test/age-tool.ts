/**
 * The real `age` and `age-keygen` (Debian package `age`) for the backup encryption tests: what Vigil
 * encrypts is decrypted by them, keys come from them. Without the tools those tests are skipped with a
 * warning, except in CI (CI=true), where that is an error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';

const missing = ['age', 'age-keygen'].filter(
  (t) => spawnSync(t, ['--version'], { stdio: 'ignore' }).status !== 0,
);

/** `describe`, skipped (with a warning naming `what`) when the age tools are not installed. */
export function describeWithAge(what: string): ReturnType<typeof describe.skipIf> {
  if (missing.length && process.env['CI'] === 'true')
    throw new Error(`${what} need ${missing.join(', ')} in CI (Debian package age)`);
  if (missing.length) console.warn(`[vigil tests] ${what} SKIPPED: needs ${missing.join(', ')}`);
  return describe.skipIf(missing.length > 0);
}

/** A key pair from the real age-keygen: the identity file (0600, as age-keygen writes it) and its public key. */
export function ageKeygen(): { keyFile: string; recipient: string } {
  const keyFile = join(mkdtempSync(join(tmpdir(), 'vigil-age-key-')), 'key.txt');
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
  const recipient = execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim();
  return { keyFile, recipient };
}
