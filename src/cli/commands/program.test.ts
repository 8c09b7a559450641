/**
 * `vigil people|departments|officers|notifications …` end to end with the built binary (dist/, built by
 * test/global-setup.ts) against a temporary SQLite file and a real SMTP server on loopback: an HR export
 * (test/fixtures/program/hr-export.csv, hand-written, see README there) is imported twice, an officer is
 * designated, the site without one is warned about, and `vigil notifications run` emails the officer.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';
import { type SmtpSink, startSmtpSink } from '../../../test/smtp-sink.js';

const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/vigil.js');
const HR = join(root, 'test/fixtures/program/hr-export.csv');
const BAD = join(root, 'test/fixtures/program/bad-rows.csv');

let db: string;
let env: Record<string, string> = {};

/** In this process (test/cli-in-process.ts): what each command does. */
function vigil(args: string[]) {
  return vigilInProcess(args, { db: `sqlite:${db}`, env: env });
}

/** The built binary in its own process, as an operator runs it: the process boundary (exit code, output). */
function vigilSpawned(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      {
        env: { ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent', ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        done({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
    child.stdin?.end('');
  });
}

describe('vigil people, officers, notifications (built binary)', { timeout: 300_000 }, () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    db = join(mkdtempSync(join(tmpdir(), 'vigil-program-')), 'vigil.db');
    sink = await startSmtpSink();
    env = {
      VIGIL_SMTP_HOST: '127.0.0.1',
      VIGIL_SMTP_PORT: String(sink.port),
      VIGIL_SMTP_SECURITY: 'none',
      VIGIL_SMTP_FROM: 'Vigil <vigil@hospital.example>',
      VIGIL_SMTP_USER: '',
    };
  });
  afterAll(async () => sink?.close());

  it('imports an HR export idempotently and reports bad lines', async () => {
    const first = await vigil(['people', 'import', HR]);
    expect(first.stderr).toBe('Columns ignored: Cost Center Code\n');
    expect(first.stdout).toMatch(
      /^Imported 8 people from hr-export.csv: 8 new, 0 updated, 0 unchanged, 1 left\n/,
    );
    // One person reads "1 person", not "1 people": the export's first row on its own.
    const oneRow = join(dirname(db), 'one-person.csv');
    writeFileSync(oneRow, readFileSync(HR, 'utf8').split('\n').slice(0, 2).join('\n'));
    expect((await vigil(['people', 'import', oneRow, '--dry-run'])).stdout).toMatch(
      /^Would import 1 person from one-person.csv: /,
    );
    const again = await vigil(['people', 'import', HR, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 8 });
    const bad = await vigilSpawned(['people', 'import', BAD]);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/\d+ problems in bad-rows.csv; nothing was imported/);
    expect(bad.stderr).toContain('bad-rows.csv, line 3, email: "not-an-email" is not an email address');
    const list = JSON.parse((await vigil(['people', 'list', '--site', 'South Clinic', '--json'])).stdout) as {
      name: string;
    }[];
    expect(list.map((p) => p.name)).toEqual(['Lars Nilsson', 'Noah Fischer', 'Priya Raman']);
    const deps = await vigil(['departments', 'list']);
    expect(deps.stdout).toMatch(/North Campus\s+Intensive Care\s+2/);
  });

  it('refuses a file larger than a people CSV may be, and changes nothing (exit 65)', async () => {
    const before = (await vigil(['people', 'list', '--json'])).stdout;
    // Sparse: 65 MB on paper, nothing on disk; refused by its size before a byte is read.
    const huge = join(dirname(db), 'huge-export.csv');
    writeFileSync(huge, '');
    truncateSync(huge, 65_000_000);
    const big = await vigil(['people', 'import', huge]);
    expect(big.stderr).toBe(
      `vigil: ${huge} is 65.0 MB, over the 64.0 MB limit for a people CSV: nothing was read\n  ${huge}: more than 64.0 MB\n`,
    );
    expect(big.code).toBe(65);
    expect((await vigil(['people', 'list', '--json'])).stdout).toBe(before);
  });

  it('designates an officer, lists warnings, and emails the officer on notifications run', async () => {
    const d = await vigil(['officers', 'designate', '--person', 'E1001', '--from', '2026-01-01']);
    expect(d.stdout).toMatch(/^Grace Okafor is security officer of the organization from 2026-01-01 \(/);
    for (const cmd of ['list', 'coverage']) {
      const bad = await vigil(['officers', cmd, '--now', 'yesterday']);
      expect(bad.code).toBe(65);
      expect(bad.stderr).toMatch(/--now takes an ISO date or date-time\n {2}--now: got "yesterday"/);
    }
    const list = await vigil(['officers', 'list', '--now', '2026-11-29T10:00:00Z']);
    expect(list.stdout).toContain('warning: Site North Campus has no security officer in term');
    expect(list.stdout).toContain('warning: Site South Clinic has no security officer in term');
    const run = await vigil(['notifications', 'run', '--now', '2026-11-29T10:00:00Z', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as { created: number; emailed: number };
    expect(r).toMatchObject({ created: 2, emailed: 2 });
    expect(sink.messages.map((m) => [m.to, m.subject]).sort()).toEqual([
      [['grace.okafor@hospital.example'], '[Vigil] Site North Campus has no security officer in term'],
      [['grace.okafor@hospital.example'], '[Vigil] Site South Clinic has no security officer in term'],
    ]);
    expect(sink.messages.map((m) => m.text).join('\n')).toMatch(
      /Site North Campus[\s\S]*Site South Clinic|Site South Clinic[\s\S]*Site North Campus/,
    );
    const again = JSON.parse(
      (await vigil(['notifications', 'run', '--now', '2026-11-29T11:00:00Z', '--json'])).stdout,
    );
    expect(again).toMatchObject({ created: 0, emailed: 0 });

    const mine = JSON.parse(
      (await vigil(['notifications', 'list', '--person', 'E1001', '--json'])).stdout,
    ) as {
      items: { id: string; email: { state: string } }[];
      unread: number;
    };
    expect(mine.unread).toBe(2);
    expect(mine.items.every((n) => n.email.state === 'sent')).toBe(true);
    expect((await vigil(['notifications', 'read', mine.items[0]!.id])).code).toBe(0);
    const after = JSON.parse(
      (await vigil(['notifications', 'list', '--person', 'E1001', '--unread', '--json'])).stdout,
    );
    expect(after.unread).toBe(1);

    // Kinds as the API takes them (comma-separated) select; a misspelt one is refused, not an empty list.
    const both = JSON.parse(
      (
        await vigil([
          'notifications',
          'list',
          '--person',
          'E1001',
          '--kind',
          'officer-coverage,digest',
          '--json',
        ])
      ).stdout,
    );
    expect(both.total).toBe(2);
    const typo = await vigil(['notifications', 'list', '--kind', 'officer_coverage']);
    expect(typo.code).toBe(65);
    expect(typo.stderr).toMatch(
      /Unknown notification kind "officer_coverage": one of act-immediate, .*digest/,
    );
  });
});
