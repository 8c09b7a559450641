/**
 * `vigil training …` end to end with the built binary (dist/, built by test/global-setup.ts) against a
 * temporary SQLite file seeded with the training scenario (test/training-scenario.ts): courses, a
 * learning-system import (test/fixtures/training, see PROVENANCE.md) run twice, a bad file with its line
 * numbers and exit code, a completion by hand, status, compliance, the target and reminders.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';
import { cliActor } from '../../../test/factories.js';
import { buildTrainingScenario } from '../../../test/training-scenario.js';
import { openDatabase } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';

const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/vigil.js');
const FIXTURES = join(root, 'test/fixtures/training');
let db: string;

/** In this process (test/cli-in-process.ts): what each command does. */
function vigil(args: string[]) {
  return vigilInProcess(args, { db: `sqlite:${db}` });
}

/** The built binary in its own process, as an operator runs it: the process boundary (exit code, output). */
function vigilSpawned(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vigil training (built binary)', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    db = join(mkdtempSync(join(tmpdir(), 'vigil-training-')), 'vigil.db');
    const vdb = await openDatabase(`sqlite:${db}`);
    try {
      await migrateToLatest(vdb);
      await buildTrainingScenario(vdb, cliActor);
    } finally {
      await vdb.close();
    }
  });

  it('adds, lists, shows and updates courses', async () => {
    const add = await vigil([
      'training',
      'courses',
      'add',
      '--code',
      'ICU-300',
      '--name',
      'ICU Pump Handling',
      '--once',
      '--rule',
      'jobRole=nurse;department=ICU;site=North Campus',
      '--json',
    ]);
    expect(add.stderr).toBe('');
    expect(JSON.parse(add.stdout)).toMatchObject({
      code: 'ICU-300',
      recurrenceMonths: null,
      assignment: [{ jobRole: 'nurse', department: 'ICU', site: 'North Campus' }],
    });
    const list = await vigil(['training', 'courses', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/ICU-300\s+ICU Pump Handling\s+once/);
    expect(list.stdout).toMatch(/SEC-101 .*network access/);
    const upd = await vigil(['training', 'courses', 'update', 'ICU-300', '--inactive', '--target', '99']);
    expect(upd.code).toBe(0);
    expect(upd.stdout).toContain('(inactive)');
    expect(upd.stdout).toContain('target        99.0%');
    const bad = await vigil(['training', 'courses', 'add', '--code', 'X', '--name', 'X', '--target', '120']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/--target takes a percentage/);
  });

  it('imports a learning-system export idempotently, and names each bad line', async () => {
    const file = join(FIXTURES, 'lms-transcript-us.csv');
    const first = await vigil(['training', 'import', file, '--date-format', 'mdy']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      'lms-transcript-us.csv: 7 rows, 4 completions, 4 added, 0 already recorded',
    );
    expect(first.stderr).toContain("lms-transcript-us.csv line 6: no person with employee id 'E9999'");
    expect(first.stderr).toContain("lms-transcript-us.csv line 8: no course 'SEC-999'");
    const again = JSON.parse(
      (await vigil(['training', 'import', file, '--date-format', 'mdy', '--json'])).stdout,
    );
    expect(again).toMatchObject({ added: 0, alreadyRecorded: 4 });
    const bad = vigilSpawned(['training', 'import', join(FIXTURES, 'bad-rows.csv'), '--date-format', 'dmy']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain("bad-rows.csv line 7: completion date '31/02/2026' is not a date");
    expect(bad.stderr).toContain("bad-rows.csv line 8: score '150' is not a number from 0 to 100");
    expect(bad.stdout).toContain('1 added');
    const iso = await vigil(['training', 'import', file]);
    expect(iso.code).toBe(65);
    expect(iso.stderr).toMatch(/line 2: completion date '3\/14\/2026 9:12 AM' is not in the iso format/);
  });

  it('records a completion by hand, then shows status, compliance, target and reminders', async () => {
    const complete = [
      'training',
      'complete',
      '--person',
      'E1000',
      '--course',
      'SEC-101',
      '--date',
      '2025-06-15',
    ];
    const done = await vigil(complete);
    expect(done.stdout).toBe('Recorded: Maya Patel completed SEC-101 on 2025-06-15\n');
    expect((await vigil(complete)).stdout).toMatch(/^Already recorded/);
    const status = JSON.parse(
      (await vigil(['training', 'status', '--overdue', '--now', '2026-06-01', '--json'])).stdout,
    );
    expect(status.items.map((i: { employeeId: string }) => i.employeeId)).toEqual([
      'E1003',
      'E1002',
      'E1004',
    ]);
    const table = await vigil(['training', 'status', '--person', 'E1003', '--now', '2026-06-01']);
    expect(table.stdout).toMatch(
      /Chen Li\s+E1003\s+Radiology\s+SEC-101\s+-\s+2025-01-31\s+never-completed \(overdue\)/,
    );
    // The fraction the JSON shows, typed as the percentage: refused, the target stays as it was.
    const fraction = await vigil(['training', 'target', '0.9']);
    expect(fraction.code).toBe(65);
    expect(fraction.stderr).toMatch(/not a fraction[\s\S]*for 90% give 90; for 0\.9% give 0\.9%/);
    expect((await vigil(['training', 'target', '60'])).stdout).toBe('training compliance target 60.0%\n');
    expect((await vigil(['training', 'target', '0.5%'])).stdout).toBe('training compliance target 0.5%\n');
    expect((await vigil(['training', 'target', '60'])).code).toBe(0);
    const c = JSON.parse((await vigil(['training', 'compliance', '--now', '2026-06-01', '--json'])).stdout);
    expect(c.target).toBe(0.6);
    expect(c.overall).toMatchObject({ required: 5, current: 2, overdue: 3, rate: 0.4, belowTarget: true });
    const byDept = await vigil(['training', 'compliance', '--by', 'department', '--now', '2026-06-01']);
    expect(byDept.stdout).toMatch(/North Campus \/ ICU\s+3\s+2\s+1\s+66\.7%\s+ok/);
    expect(byDept.stdout).toMatch(/North Campus \/ Radiology\s+1\s+0\s+1\s+0\.0%\s+BELOW TARGET/);
    expect(byDept.stdout).not.toMatch(/^South Campus\s{2}/m);
    const remind = await vigil(['training', 'remind', '--dry-run', '--now', '2026-06-01']);
    expect(remind.code).toBe(0);
    expect(remind.stdout).toContain('To: Maya Patel <maya.patel@example-hospital.org> (manager)');
    expect(remind.stdout).toContain('Subject: Security training overdue: 1 course');
    expect(remind.stderr).toMatch(/^5 reminders for 2026-06-01; `vigil notifications run` .* sends them/);
  });

  it('refuses a file larger than a completions CSV may be, and adds nothing (exit 65)', async () => {
    const before = (await vigil(['training', 'completions', '--json'])).stdout;
    // Sparse: 257 MB on paper, nothing on disk; refused by its size before a byte is read.
    const huge = join(dirname(db), 'huge-transcript.csv');
    writeFileSync(huge, '');
    truncateSync(huge, 257_000_000);
    const big = await vigil(['training', 'import', huge]);
    expect(big.stderr).toMatch(
      new RegExp(
        `^vigil: ${huge} is 257\\.0 MB, over the 256\\.0 MB limit for a training completions CSV: nothing was read\n`,
      ),
    );
    expect(big.code).toBe(65);
    expect((await vigil(['training', 'completions', '--json'])).stdout).toBe(before);
  });
});
