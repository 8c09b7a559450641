/**
 * The import job registry on the real HL7 capture test/fixtures/captures/04-hl7-mllp.pcap (see its
 * PROVENANCE.md), copied to a temporary file as an upload would be: who may see a job, how long a
 * finished job is kept, that the upload is deleted, and the limit on jobs running at once.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import type { Actor } from '../accounts/actor.js';
import { permissionsOf } from '../accounts/permissions.js';
import type { VigilDatabase } from '../store/database.js';
import { FINISHED_JOB_TTL_MS, ImportJobRegistry, MAX_RUNNING_JOBS } from './import-jobs.js';

const FIXTURE = new URL('../../test/fixtures/captures/04-hl7-mllp.pcap', import.meta.url).pathname;
const user = (id: string, role: 'clinical-engineer' | 'admin' | 'auditor'): Actor => ({
  kind: 'user',
  id,
  name: id,
  role,
  permissions: permissionsOf(role),
});

describe.each(DIALECTS)('import job registry on %s', (dialect) => {
  let vdb: VigilDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-import-jobs-'));
  const upload = (name: string) => {
    const path = join(dir, name);
    copyFileSync(FIXTURE, path);
    return { path, fileName: '04-hl7-mllp.pcap', size: statSync(path).size };
  };

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterAll(async () => {
    await vdb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a job to its starter and admins only, deletes the upload, forgets the job an hour after it ended', async () => {
    let now = Date.parse('2026-11-29T10:00:00Z');
    const sut = new ImportJobRegistry(() => now);
    const anna = user('anna', 'clinical-engineer');
    const input = upload('a.pcap');
    const started = sut.startCapture(vdb, anna, input);
    expect(started).toMatchObject({ state: 'running', bytesTotal: input.size, finishedAt: null });
    await sut.settled(started.id);
    expect(existsSync(input.path)).toBe(false);
    const done = sut.get(anna, started.id);
    expect(done).toMatchObject({
      state: 'done',
      bytesDone: input.size,
      finishedAt: '2026-11-29T10:00:00.000Z',
    });
    expect(sut.get(user('root', 'admin'), started.id).id).toBe(started.id);
    expect(() => sut.get(user('bob', 'clinical-engineer'), started.id)).toThrow(/not found/);
    expect(() => sut.get(cliActor, started.id)).toThrow(/not found/);
    now += FINISHED_JOB_TTL_MS;
    expect(sut.get(anna, started.id).state).toBe('done');
    now += 1;
    expect(() => sut.get(anna, started.id)).toThrow(/not found/);
  });

  it('refuses starting without devices:import, and a third job while two run', async () => {
    const sut = new ImportJobRegistry();
    expect(() => sut.assertCanStart(user('aud', 'auditor'))).toThrow(/devices:import/);
    const anna = user('anna', 'clinical-engineer');
    const ids = [];
    for (let i = 0; i < MAX_RUNNING_JOBS; i++) ids.push(sut.startCapture(vdb, anna, upload(`b${i}.pcap`)).id);
    expect(() => sut.assertCanStart(anna)).toThrow(expect.objectContaining({ code: 'rate_limited' }));
    for (const id of ids) await sut.settled(id);
    expect(() => sut.assertCanStart(anna)).not.toThrow();
  });
});
