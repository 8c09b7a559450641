/**
 * The alert rate limit as configuration (`alertRateLimitPerHour`, VIGIL_ALERT_RATE_LIMIT_PER_HOUR): parsed
 * and checked at start-up, and honoured by `vigil import` end to end. The traffic is a real nmap SYN scan
 * of four hosts (test/fixtures/monitor/08-nmap-scan.pcap, see PROVENANCE.md there), which makes the
 * port-scan rule raise four alerts for the one scanning host.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importSource } from '../cli/commands/import.js';
import { loadConfig } from '../config/config.js';
import { VigilError } from '../errors.js';
import type { VigilDatabase } from '../store/database.js';
import { DEFAULT_RATE_LIMIT } from './alerts-service.js';

const root = resolve(import.meta.dirname, '../..');
const SCAN = join(root, 'test/fixtures/monitor/08-nmap-scan.pcap');

describe('alertRateLimitPerHour configuration', () => {
  it('defaults to the built-in limit and reads the environment variable', () => {
    expect(loadConfig({ env: {} }).alertRateLimitPerHour).toBe(DEFAULT_RATE_LIMIT);
    expect(loadConfig({ env: { VIGIL_ALERT_RATE_LIMIT_PER_HOUR: '3' } }).alertRateLimitPerHour).toBe(3);
    expect(loadConfig({ env: {}, flags: { alertRateLimitPerHour: 7 } }).alertRateLimitPerHour).toBe(7);
  });

  it('refuses zero, negative and non-numeric limits, naming the option and variable', () => {
    for (const bad of ['0', '-5', 'lots', '1.5']) {
      let err: unknown;
      try {
        loadConfig({ env: { VIGIL_ALERT_RATE_LIMIT_PER_HOUR: bad } });
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(VigilError);
      expect((err as VigilError).issues.map((i) => i.field)).toEqual([
        'alertRateLimitPerHour (VIGIL_ALERT_RATE_LIMIT_PER_HOUR)',
      ]);
    }
  });
});

describe.each(DIALECTS)(
  'rate limit passed to the detection of an import (%s)',
  { timeout: 90_000 },
  (dialect) => {
    let vdb: VigilDatabase | undefined;
    afterEach(async () => {
      await vdb?.close();
      vdb = undefined;
    });

    it('holds back what exceeds the configured limit in one summary alert', async () => {
      vdb = await freshDatabase(dialect);
      const r = await importSource(vdb, cliActor, SCAN, { progress: false, alertRateLimit: 2 });
      const scans = await vdb.db
        .selectFrom('alerts')
        .select(['subject', 'suppressed'])
        .where('rule', '=', 'port-scan')
        .execute();
      // Four scanned hosts: two alerts, then the summary holding the other two.
      expect(scans).toHaveLength(3);
      expect(scans.reduce((n, a) => n + a.suppressed, 0)).toBe(2);
      // The import reports every rule's held-back alerts (the scan's FTP, Telnet and two any-AE-title
      // DICOM servers are insecure-protocol findings too, one more than the limit of 2).
      const held = await vdb.db.selectFrom('alerts').select(['rule', 'suppressed']).execute();
      expect(held.filter((a) => a.rule === 'insecure-protocol' && a.suppressed > 0)).toHaveLength(1);
      expect(r.alerts.suppressed).toBe(held.reduce((n, a) => n + a.suppressed, 0));
    });

    it('raises every alert under the default limit', async () => {
      vdb = await freshDatabase(dialect);
      const r = await importSource(vdb, cliActor, SCAN, { progress: false });
      expect(r.alerts.suppressed).toBe(0);
      const n = await vdb.db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('rule', '=', 'port-scan')
        .executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(4);
    });
  },
);

function vigil(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(root, 'bin/vigil.js'), ...args],
      { env: { ...process.env, VIGIL_LOG_LEVEL: 'silent', ...env }, timeout: 60_000 },
      (err, stdout) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout) }),
    );
  });
}

describe('vigil import with VIGIL_ALERT_RATE_LIMIT_PER_HOUR (built binary)', { timeout: 120_000 }, () => {
  it('uses the environment setting and refuses a bad one before touching the database', async () => {
    const db = `sqlite:${join(mkdtempSync(join(tmpdir(), 'vigil-ratelimit-')), 'vigil.db')}`;
    const run = await vigil(['import', '--json', SCAN], {
      VIGIL_DB: db,
      VIGIL_ALERT_RATE_LIMIT_PER_HOUR: '2',
    });
    expect(run.code).toBe(0);
    const [report] = JSON.parse(run.stdout) as { alerts: { suppressed: number } }[];
    const raw = new Database(db.slice('sqlite:'.length), { readonly: true });
    const held = raw.prepare('SELECT rule, suppressed FROM alerts WHERE suppressed > 0 ORDER BY rule').all();
    raw.close();
    // Port-scan holds back two of its four; insecure-protocol one of its five (see above).
    expect(held).toEqual([
      { rule: 'insecure-protocol', suppressed: 1 },
      { rule: 'port-scan', suppressed: 2 },
    ]);
    expect(report!.alerts.suppressed).toBe(3);

    const bad = await vigil(['import', '--json', SCAN], {
      VIGIL_DB: db,
      VIGIL_ALERT_RATE_LIMIT_PER_HOUR: '0',
    });
    expect(bad.code).not.toBe(0);
  });
});
