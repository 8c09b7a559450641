/**
 * `vigil recalls …` and `vigil udi parse` end to end with the built binary (dist/, built by
 * test/global-setup.ts) against a temporary SQLite file, on the real openFDA samples in
 * test/fixtures/recalls (see PROVENANCE.md there).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';

const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/vigil.js');
const FIX = join(root, 'test/fixtures/recalls');
let db: string;

/** In this process (test/cli-in-process.ts): what each command does. */
function vigil(args: string[]) {
  return vigilInProcess(args, { db: `sqlite:${db}` });
}

/** The built binary in its own process, as an operator runs it: the process boundary (exit code, output). */
function vigilSpawned(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent' }, timeout: 60_000 },
      (err, stdout, stderr) =>
        done({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

describe('vigil recalls (built binary)', { timeout: 300_000 }, () => {
  beforeAll(() => {
    db = join(mkdtempSync(join(tmpdir(), 'vigil-recalls-cli-')), 'vigil.db');
  });

  it('imports, lists, shows, matches, confirms and opens a campaign once', async () => {
    const imp = await vigil([
      'recalls',
      'import',
      join(FIX, 'device-recall-0001-of-0001.json.zip'),
      join(FIX, 'device-enforcement-sample.json'),
      join(FIX, 'device-recall-bad-records.json'),
      '--json',
    ]);
    expect(imp.code, imp.stderr).toBe(0);
    const r = JSON.parse(imp.stdout) as {
      records: number;
      stored: number;
      bad: number;
      files: { kind: string }[];
    };
    expect(r).toMatchObject({ records: 12, stored: 9, bad: 3 });
    expect(r.files.map((f) => f.kind)).toEqual(['recall', 'enforcement', 'recall']);

    const text = await vigil(['recalls', 'import', join(FIX, 'device-recall-bad-records.json')]);
    expect(text.stdout).toMatch(/4 records, 1 stored, 3 bad/);
    expect(text.stderr).toMatch(
      /device-recall-bad-records\.json, offset \d+, results\[1\]\.res_event_number: /,
    );

    const list = JSON.parse((await vigil(['recalls', 'list', '--json'])).stdout) as { total: number };
    expect(list.total).toBe(8);
    const show = await vigil(['recalls', 'show', 'Z-0520-06']);
    expect(show.stdout).toMatch(/Z-0520-06 \(recall\)/);
    expect(show.stdout).toMatch(/code info\s+Serial Numbers:\s+RRFK00036 - RRFK00128\./);

    const add = await vigil([
      'devices',
      'add',
      '--asset-tag',
      'BED-1',
      '--serial',
      'RRFK00050',
      '--manufacturer',
      'Kinetic Concepts, Inc',
      '--model',
      'RotoProne',
      '--model-number',
      '209500',
    ]);
    expect(add.code, add.stderr).toBe(0);
    const match = await vigil(['recalls', 'match', '--campaigns', '--json']);
    expect(match.code, match.stderr).toBe(0);
    const m = JSON.parse(match.stdout) as {
      added: number;
      campaigns: { recallNumber: string; tasksCreated: number }[];
    };
    expect(m.added).toBe(1);
    expect(m.campaigns).toMatchObject([{ recallNumber: 'Z-0520-06', tasksCreated: 1 }]);
    const again = JSON.parse((await vigil(['recalls', 'match', '--campaigns', '--json'])).stdout) as {
      campaigns: unknown[];
    };
    expect(again.campaigns).toEqual([]);

    const matches = JSON.parse((await vigil(['recalls', 'matches', '--json'])).stdout) as {
      id: string;
      state: string;
      deviceLabel: string;
    }[];
    expect(matches).toMatchObject([{ state: 'matched', deviceLabel: 'BED-1' }]);
    const conf = await vigil(['recalls', 'confirm', matches[0]!.id, '--reason', 'checked label']);
    expect(conf.stdout).toMatch(/Z-0520-06 × BED-1: confirmed/);
    // --device takes the asset tag people know; an unknown device is an error, not an empty list.
    const byTag = JSON.parse((await vigil(['recalls', 'matches', '--device', 'BED-1', '--json'])).stdout) as {
      id: string;
    }[];
    expect(byTag.map((m) => m.id)).toEqual([matches[0]!.id]);
    expect((await vigilSpawned(['recalls', 'matches', '--device', 'NO-SUCH-TAG'])).code).toBe(66);

    // Without its asset tag the device is named by make, model and address, not by its id.
    const untag = await vigil(['devices', 'update', 'BED-1', '--clear', 'asset-tag', '--ip', '10.30.0.42']);
    expect(untag.code, untag.stderr).toBe(0);
    const label = 'Kinetic Concepts, Inc RotoProne (10.30.0.42)';
    expect((await vigil(['recalls', 'matches'])).stdout).toMatch(
      /^Z-0520-06 +Kinetic Concepts, Inc RotoProne \(10\.30\.0\.42\) +RotoProne +firm-model /m,
    );
    expect((await vigil(['recalls', 'show', 'Z-0520-06'])).stdout).toContain(` ${label}  ${matches[0]!.id}`);
    const reject = await vigil(['recalls', 'reject', matches[0]!.id, '--reason', 'sold 2024']);
    expect(reject.stdout).toBe(`Z-0520-06 × ${label}: rejected\n`);
    expect((await vigil(['recalls', 'reject', 'no-such-match'])).code).toBe(66);
  });

  it('parses UDIs and exits 65 with the position on a bad one', async () => {
    const ok = await vigil([
      'udi',
      'parse',
      '=/A9999XYZ100T0944=,000025=A99971312345600=>014032=}013032&,1000000000000XYZ123',
      '--json',
    ]);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      issuer: 'ICCBBA',
      di: 'A9999XYZ100T0944',
      serial: '000025',
    });
    const hibcc = await vigil(['udi', 'parse', '+A123BJC5D6E71G']);
    expect(hibcc.stdout).toMatch(/issuer\s+HIBCC\ndi\s+A123BJC5D6E71/);
    // Every label is apart from its value (it read "unitOfMeasure1").
    expect(hibcc.stdout).toMatch(/^unitOfMeasure +1$/m);
    const bad = await vigil(['udi', 'parse', '+A123BJC5D6E71H']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/position 14: bad check character "H" \(expected "G"\)/);
  });
});
