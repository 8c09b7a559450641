/**
 * Builds `dist/` once before any test file runs: the CLI end-to-end tests run the real binary, and
 * several files building it at the same time could read each other's half-written chunks.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export default function setup(): void {
  const root = resolve(import.meta.dirname, '..');
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}
