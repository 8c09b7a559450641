/**
 * @module Which server files a syslog TLS destination added over the API or the dashboard may name: only
 * files inside the directory the operator keeps for alert TLS material (`alertTlsDir`). Otherwise anyone
 * with `alerts:write` could point `keyFile` at any key the Vigil process can read (it would be presented
 * as Vigil's client key), and the test action would tell whether any path exists: a file-system oracle.
 * Paths are resolved with realpath, so `..` and symlinks leading out are refused; every path that does
 * not resolve to something inside gets the same answer, existing or not. The CLI, run by the server's
 * operator on the host, does not come through here.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { type InputIssue, invalidInput, VigilError } from '../../errors.js';
import type { Destination } from './destination.js';

export const TLS_FILE_FIELDS = ['caFile', 'certFile', 'keyFile'] as const;

const CONFIGURE =
  'the server\'s operator sets alertTlsDir (VIGIL_ALERT_TLS_DIR) to the directory of TLS files destinations may name, or adds this destination with "vigil alerts destinations add" on the server';

/**
 * The destination with its TLS files checked against `tlsDir` and given as absolute paths (a name
 * relative to the directory is allowed), or invalid_input naming each refused field. Other kinds and
 * syslog destinations without TLS files pass unchanged.
 */
export function confineTlsFiles(destination: Destination, tlsDir: string | undefined): Destination {
  if (destination.kind !== 'syslog') return destination;
  const given = TLS_FILE_FIELDS.filter((f) => destination[f] !== undefined);
  if (given.length === 0) return destination;
  if (tlsDir === undefined)
    throw invalidInput(
      `TLS file paths are not accepted over the API unless the server has a directory for them: ${CONFIGURE}`,
      given.map((field) => ({ field, reason: `not accepted over the API: ${CONFIGURE}` })),
    );
  let realDir: string;
  try {
    realDir = realpathSync(tlsDir);
  } catch (e) {
    throw new VigilError(
      'configuration',
      `alertTlsDir ${tlsDir} cannot be opened (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  const out = { ...destination };
  const issues: InputIssue[] = [];
  for (const field of given) {
    const path = resolve(tlsDir, destination[field]!);
    const problem = tlsFileProblem(path, tlsDir, realDir);
    if (problem) issues.push({ field, reason: problem });
    else out[field] = path;
  }
  if (issues.length) throw invalidInput('Invalid alert destination', issues);
  return out;
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/**
 * Why `path` may not be used, or null. Both the path as given and where it leads must be inside: a path
 * outside that leads in (a symlink in /tmp) could be pointed elsewhere later by whoever owns it. Only a
 * file proven inside gets a specific answer.
 */
function tlsFileProblem(path: string, tlsDir: string, realDir: string): string | null {
  // One answer for missing, outside, `..` and symlinks out: which of them it was is the oracle.
  const notInside = `not a file in ${tlsDir} (alertTlsDir): name a file the operator put there`;
  if (!inside(resolve(tlsDir), path)) return notInside;
  let real: string;
  try {
    real = realpathSync(path);
    if (!inside(realDir, real) || !statSync(real).isFile()) return notInside;
  } catch {
    return notInside;
  }
  let text: string;
  try {
    text = readFileSync(real, 'latin1');
  } catch (e) {
    return `cannot be read by Vigil (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`;
  }
  // The contents are never quoted: this may be a private key.
  return text.includes('-----BEGIN ') ? null : 'not a PEM file (no -----BEGIN line)';
}
