/**
 * @module The CLI's side of the error contract: a VigilError becomes a clear message (with every input
 * issue on its own line) and its stable exit code; anything else is an internal error (exit 70).
 */
import { formatIssue, invalidInput, VigilError } from '../errors.js';
import { printable } from './io.js';

export function reportError(
  err: unknown,
  write: (s: string) => void = (s) => process.stderr.write(s),
): number {
  if (err instanceof VigilError) {
    write(printable`vigil: ${err.message}\n`);
    for (const issue of err.issues.slice(0, 200)) write(printable`  ${formatIssue(issue)}\n`);
    if (err.issues.length > 200) write(`  … and ${err.issues.length - 200} more\n`);
    return err.exitCode;
  }
  const e = err as Error;
  write(printable`vigil: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env['VIGIL_DEBUG']) write(`${e?.stack ?? ''}\n`);
  return 70;
}

/** Wraps a commander action so errors end the process with the mapped exit code. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}

/**
 * `vigil alerts|findings false-positive ID` without `--reason`. The services' message speaks to every
 * caller ("a reason is required": the API and the dashboard have no flags); here the flag is named.
 */
export function reasonNeeded(): VigilError {
  return invalidInput('Say why it is a false positive: give --reason TEXT', [
    { field: '--reason', reason: 'required' },
  ]);
}
