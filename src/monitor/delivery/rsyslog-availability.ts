/** @module Test helper: whether the tools the rsyslog delivery tests need are installed, and why not. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from './rsyslog-harness.js';

export function findRsyslogAndOpenssl(): { ok: boolean; rsyslogd: string | null; reason: string } {
  const rsyslogd = findExecutable('rsyslogd');
  if (!rsyslogd) return { ok: false, rsyslogd, reason: 'rsyslogd is not installed' };
  if (!findExecutable('openssl')) return { ok: false, rsyslogd, reason: 'openssl is not installed' };
  // Debian ships the GnuTLS stream driver separately (rsyslog-gnutls): /usr/lib/<triplet>/rsyslog/lmnsd_gtls.so
  const libs = ['/usr/lib', '/usr/lib64'].flatMap((d) =>
    existsSync(d) ? readdirSync(d).map((e) => join(d, e, 'rsyslog', 'lmnsd_gtls.so')) : [],
  );
  if (!libs.some(existsSync) && !existsSync('/usr/lib/rsyslog/lmnsd_gtls.so')) {
    return { ok: false, rsyslogd, reason: 'the rsyslog GnuTLS driver (rsyslog-gnutls) is not installed' };
  }
  try {
    execFileSync(rsyslogd, ['-v'], { stdio: 'pipe' });
  } catch {
    return { ok: false, rsyslogd, reason: `${rsyslogd} -v failed` };
  }
  return { ok: true, rsyslogd, reason: '' };
}
