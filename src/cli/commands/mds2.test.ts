/**
 * `vigil mds2 …`, `vigil services check` and `vigil manufacturers …` end to end with the built binary
 * against a temporary SQLite file. The device is the legacy gateway of the real capture
 * test/fixtures/policy/legacy-dicom-telnet-ftp.pcap (DICOM 104, FTP 21, Telnet 23; MAC 00:a0:aa:5b:00:40),
 * named by a one-line CMMS export; the MDS2 workbook is built with exceljs in the published layout.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';
import { buildMds2Workbook, sampleAnswers } from '../../program/mds2/mds2-test-workbook.js';

const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/vigil.js');
const CAPTURE = join(root, 'test/fixtures/policy/legacy-dicom-telnet-ftp.pcap');

let dir: string;

/** In this process (test/cli-in-process.ts): what each command does. */
function vigil(args: string[]) {
  return vigilInProcess(args, { db: `sqlite:${join(dir, 'vigil.db')}` });
}

/** The built binary in its own process, as an operator runs it: the process boundary (exit code, output). */
function vigilSpawned(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
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
  });
}

const ok = async <T>(args: string[]): Promise<T> => {
  const r = await vigil(args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
};

describe('vigil mds2 and manufacturers (built binary)', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-mds2-cli-'));
    writeFileSync(
      join(dir, 'cmms.csv'),
      'asset_tag,mac,manufacturer,model,device_class\nLG-1,00:a0:aa:5b:00:40,Spacelabs Medical,Legacy Gateway 90,pacs\n',
    );
    writeFileSync(join(dir, 'lg90.xlsx'), await buildMds2Workbook({ answers: sampleAnswers() }));
    writeFileSync(
      join(dir, 'bad.xlsx'),
      await buildMds2Workbook({ answers: sampleAnswers({ 'AUTH-1': ['Maybe'] }) }),
    );
    expect((await vigil(['devices', 'import', join(dir, 'cmms.csv')])).code).toBe(0);
    expect((await vigil(['import', CAPTURE])).code).toBe(0);
  });

  it('imports the form, and the services check takes the MDS2 declaration', async () => {
    const r = await ok<{ forms: { created: boolean; model: string }[] }>([
      'mds2',
      'import',
      join(dir, 'lg90.xlsx'),
      '--json',
    ]);
    expect(r.forms).toMatchObject([{ created: true, model: 'Legacy Gateway 90' }]);
    const check = await ok<{ items: { subject: string; needSource: string }[] }>([
      'services',
      'check',
      '--json',
    ]);
    expect(check.items.map((i) => `${i.subject} ${i.needSource}`).sort()).toEqual([
      'ftp:21 mds2',
      'telnet:23 mds2',
    ]);
    const shown = await ok<{ current: { capabilities: { services: { port: number }[] } } }>([
      'mds2',
      'show',
      'Legacy Gateway 90',
      '--json',
    ]);
    expect(shown.current.capabilities.services.map((s) => s.port)).toEqual([104, 443]);
    const text = await vigil(['mds2', 'show', 'Legacy Gateway 90']);
    expect(text.stdout).toMatch(/declared services\s+104\/tcp DICOM, 443\/tcp/);
  });

  it('refuses a file larger than an MDS2 workbook may be, and changes nothing (exit 65)', async () => {
    const before = (await vigil(['mds2', 'show', 'Legacy Gateway 90', '--json'])).stdout;
    // Sparse: 51 MB on paper, nothing on disk; refused by its size before a byte is read.
    const huge = join(dir, 'huge.xlsx');
    writeFileSync(huge, '');
    truncateSync(huge, 51_000_000);
    const big = await vigil(['mds2', 'import', huge, '--model', 'Legacy Gateway 90']);
    expect(big.stderr).toMatch(
      new RegExp(
        `^vigil: ${huge} is 51\\.0 MB, over the 50\\.0 MB limit for an MDS2 workbook: nothing was read\n`,
      ),
    );
    expect(big.code).toBe(65);
    expect((await vigil(['mds2', 'show', 'Legacy Gateway 90', '--json'])).stdout).toBe(before);
  });

  it('refuses a bad workbook with the sheet, row and answer, and exit code 65', async () => {
    const r = await vigilSpawned(['mds2', 'import', join(dir, 'bad.xlsx')]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(
      /^vigil: MDS2 sheet 'MDS2' row \d+: answer 'Maybe' for AUTH-1 is not Yes\/No\/N\/A\n/,
    );
    expect(r.stderr).toMatch(/bad\.xlsx, line \d+, sheet 'MDS2' cell C\d+: answer 'Maybe'/);
  });

  it('keeps contacts, documents with their hash, and requests with the overdue list', async () => {
    const m = await ok<{ psirt: { email: string } }>([
      'manufacturers',
      'update',
      'Spacelabs Medical',
      '--psirt-email',
      'psirt@example.org',
      '--json',
    ]);
    expect(m.psirt.email).toBe('psirt@example.org');
    const file = join(dir, 'cmms.csv');
    const doc = await ok<{ sha256: string; fileName: string }>([
      'manufacturers',
      'documents',
      'add',
      '--model',
      'Legacy Gateway 90',
      '--kind',
      'security-white-paper',
      '--title',
      'Network guide',
      '--file',
      file,
      '--json',
    ]);
    expect(doc).toMatchObject({
      fileName: 'cmms.csv',
      sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    });
    const req = await ok<{ id: string }>([
      'manufacturers',
      'requests',
      'add',
      '--manufacturer',
      'Spacelabs Medical',
      '--kind',
      'sbom',
      '--subject',
      'Send the current SBOM',
      '--model',
      'Legacy Gateway 90',
      '--requested',
      '2026-01-05',
      '--due',
      '2026-02-05',
      '--json',
    ]);
    const overdue = await ok<{ id: string }[]>(['manufacturers', 'requests', 'list', '--overdue', '--json']);
    expect(overdue.map((r) => r.id)).toEqual([req.id]);
    const show = await ok<{
      psirt: { email: string };
      models: { lastRequested: Record<string, string> }[];
      warnings: { code: string }[];
    }>(['manufacturers', 'show', 'Spacelabs Medical', '--json']);
    expect(show.models[0]!.lastRequested).toEqual({ sbom: '2026-01-05' });
    expect(show.warnings.map((w) => w.code)).toEqual(['no-sbom']);
    expect(show.psirt.email).toBe('psirt@example.org');
  });
});
