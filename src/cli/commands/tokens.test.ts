/**
 * `vigil tokens …` in-process against a temporary SQLite file (test/cli-in-process.ts): the list says
 * which tokens are limited to sites, by site name, and which reach every site.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';

const CMMS = resolve(import.meta.dirname, '../../../test/fixtures/cmms/hospital-export.csv');
let db: string;
const vigil = (args: string[], input?: string) =>
  vigilInProcess(args, { db: `sqlite:${db}`, ...(input === undefined ? {} : { input }) });

describe('vigil tokens', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    db = join(mkdtempSync(join(tmpdir(), 'vigil-tokens-')), 'vigil.db');
    expect((await vigil(['devices', 'import', CMMS])).code).toBe(0);
    const add = await vigil(
      ['users', 'add', 'alice', '--role', 'admin', '--password-stdin'],
      'a long passphrase of hers\n',
    );
    expect(add.code, add.stderr).toBe(0);
  });

  it('lists which sites each token is limited to', async () => {
    expect((await vigil(['tokens', 'create', 'siem', '--user', 'alice'])).code).toBe(0);
    const limited = await vigil([
      'tokens',
      'create',
      'cmms-sync',
      '--user',
      'alice',
      '--permission',
      'devices:import',
      '--site',
      'North Clinic',
    ]);
    expect(limited.code, limited.stderr).toBe(0);
    const table = (await vigil(['tokens', 'list'])).stdout;
    expect(table).toMatch(/PERMISSIONS\s+SITES\s+EXPIRES/);
    expect(table).toMatch(/cmms-sync\s.*devices:import\s+North Clinic\s/);
    expect(table).toMatch(/siem\s.*\sall\s/);
  });
});
