/**
 * Sealed webhook secrets through the built binary (dist/, built by test/global-setup.ts) on a temporary
 * SQLite file: the first destination with a secret creates `secret.key` (0600) beside the database, the
 * column holds a sealed value, another key in VIGIL_SECRET_KEY makes the test send fail with a message
 * naming the key ids, and a malformed VIGIL_SECRET_KEY stops Vigil with a configuration error.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const SECRET = 'cli-sealed-webhook-secret-0123456789abcdef';

function vigil(
  db: string,
  args: string[],
  env: Record<string, string> = {},
  input = '',
): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [join(root, 'bin/vigil.js'), ...args],
      {
        env: { ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent', ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
    child.stdin?.end(input);
  });
}

describe('sealed webhook secrets (built binary)', { timeout: 180_000 }, () => {
  it('creates the key file beside the database, stores no plaintext, and names a wrong key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sealed-'));
    const db = join(dir, 'vigil.db');
    // Nothing listens on port 9 of loopback: the send itself would fail, but opening the secret comes first.
    const add = await vigil(
      db,
      [
        'alerts',
        'destinations',
        'add',
        '--name',
        'soc',
        '--kind',
        'webhook',
        '--url',
        'http://127.0.0.1:9/h',
        '--secret-stdin',
      ],
      {},
      `${SECRET}\n`,
    );
    expect(add.code, add.out).toBe(0);
    const keyFile = join(dir, 'secret.key');
    expect(existsSync(keyFile)).toBe(true);
    if (process.platform !== 'win32') expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const sqlite = new SQLite(db, { readonly: true });
    const row = sqlite.prepare('select secret from alert_destinations').get() as { secret: string };
    sqlite.close();
    expect(row.secret.startsWith('vgs1:')).toBe(true);
    expect(row.secret).not.toContain(SECRET);

    const wrong = await vigil(db, ['alerts', 'destinations', 'test', 'soc'], {
      VIGIL_SECRET_KEY: randomBytes(32).toString('base64'),
    });
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toMatch(
      /Cannot open the webhook secret of alert destination soc: sealed with key [0-9a-f]{16}/,
    );
    expect(wrong.out).not.toContain(SECRET);

    const bad = await vigil(db, ['alerts', 'destinations', 'list'], { VIGIL_SECRET_KEY: 'not-a-key' });
    expect(bad.code).toBe(78);
    expect(bad.out).toContain('VIGIL_SECRET_KEY must be base64 of 32 random bytes');
  });
});
