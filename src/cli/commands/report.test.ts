/**
 * `vigil report …` and `vigil export fhir` end to end with the built binary (dist/, built by
 * test/global-setup.ts) against a temporary SQLite file filled from the real CMMS export
 * test/fixtures/cmms/hospital-export.csv: a review is recorded and audited, the report is written as
 * JSON, PDF (read back with pdftotext) and every CSV table, and the FHIR export is a Bundle.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';

const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/vigil.js');
let dir: string;

/** In this process (test/cli-in-process.ts): what each command does. */
function vigil(args: string[]) {
  return vigilInProcess(args, { db: `sqlite:${join(dir, 'vigil.db')}` });
}

/** The built binary in its own process, as an operator runs it: the process boundary (exit code, output). */
function vigilSpawned(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      {
        env: { ...process.env, VIGIL_DB: `sqlite:${join(dir, 'vigil.db')}`, VIGIL_LOG_LEVEL: 'silent' },
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

describe('vigil report and vigil export fhir (built binary)', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-report-cli-'));
    const r = await vigil(['devices', 'import', join(root, 'test/fixtures/cmms/hospital-export.csv')]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('records a review and reports it met', async () => {
    const rec = await vigil(['report', 'review', 'network-map', '--note', 'VLAN map checked', '--json']);
    expect(rec.code, rec.stderr).toBe(0);
    expect(JSON.parse(rec.stdout)).toMatchObject({ kind: 'network-map', note: 'VLAN map checked' });

    const json = await vigil(['report', 'compliance', '--json', '--framework', 'hhs-nprm']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as {
      frameworks: { id: string }[];
      evidence: { kind: string; status: string }[];
    };
    expect(report.frameworks.map((f) => f.id)).toEqual(['hhs-nprm']);
    expect(report.evidence.find((e) => e.kind === 'network-map-review')?.status).toBe('met');
    const bad = await vigilSpawned(['report', 'compliance', '--framework', 'sox']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/Unknown framework sox/);
  });

  it('writes the PDF and every CSV table', async () => {
    const pdf = await vigil(['report', 'compliance', '--format', 'pdf', '--out', join(dir, 'r.pdf')]);
    expect(pdf.code, pdf.stderr).toBe(0);
    expect(pdf.stderr).toMatch(/Wrote .*r\.pdf: \d+ met, \d+ partial, \d+ not met, \d+ no evidence/);
    const text = execFileSync('pdftotext', ['-layout', join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
    expect(text).toMatch(/Program\s+Security officer designated\s+Not met/);
    expect(text).toMatch(/ID\.AM\s+Asset Management/);

    const csv = await vigil([
      'report',
      'compliance',
      '--format',
      'csv',
      '--table',
      'all',
      '--out',
      join(dir, 'csv'),
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(readdirSync(join(dir, 'csv')).sort()).toContain('controls.csv');
    expect(readdirSync(join(dir, 'csv'))).toHaveLength(10);
    expect(readFileSync(join(dir, 'csv', 'frameworks.csv'), 'utf8')).toMatch(
      /^framework,title,controls,met,partial,not_met,no_evidence\r\n/,
    );
    // Overdue tasks name their device as people know it, beside the asset tag.
    expect(readFileSync(join(dir, 'csv', 'overdue-tasks.csv'), 'utf8')).toMatch(
      /^task_id,asset_tag,site,department,title,due_at,days_overdue,device\r\n/,
    );
    // --table alone is a CSV table; with another format it is refused, never silently ignored.
    const gaps = await vigil(['report', 'compliance', '--table', 'gaps']);
    expect(gaps.code, gaps.stderr).toBe(0);
    expect(gaps.stdout).toMatch(/^kind,status,gap\r\n/);
    const html = await vigil(['report', 'compliance', '--format', 'html', '--table', 'gaps']);
    expect(html.code).toBe(65);
    expect(html.stderr).toMatch(/--table chooses a CSV table: use it with --format csv, not html/);
    expect((await vigil(['report', 'compliance'])).stdout).toMatch(/^<!DOCTYPE html>/);
  });

  it('exports FHIR', async () => {
    const r = await vigil(['export', 'fhir', '--site', 'North Clinic']);
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(r.stdout) as {
      resourceType: string;
      entry: { resource: { location?: { display: string } } }[];
    };
    expect(b.resourceType).toBe('Bundle');
    expect(b.entry.length).toBeGreaterThan(0);
    expect(b.entry.every((e) => e.resource.location?.display.startsWith('North Clinic'))).toBe(true);

    const out = join(dir, 'devices.fhir.json');
    const toFile = await vigil(['export', 'fhir', '--out', out]);
    expect(toFile.code, toFile.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ resourceType: 'Bundle' });
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });
});
