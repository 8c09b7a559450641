/**
 * The import job registry on the real HL7 capture test/fixtures/captures/04-hl7-mllp.pcap (see its
 * PROVENANCE.md), copied to a temporary file as an upload would be: who may see a job, how long a
 * finished job is kept, that the upload is deleted, and the limit on jobs running at once. Jobs are rows
 * in the database: a second registry (another API process) answers the poll of a job the first runs, fed
 * through a named pipe so its progress can be seen mid-read; a row left `running` by a stopped process is
 * reported failed, interrupted.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, PG_URL } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import type { Actor } from '../accounts/actor.js';
import { permissionsOf } from '../accounts/permissions.js';
import { openDatabase, type VigilDatabase } from '../store/database.js';
import { findImportJobRow, type ImportJobRow, insertImportJobRow } from '../store/import-job-store.js';
import {
  FINISHED_JOB_TTL_MS,
  ImportJobRegistry,
  INTERRUPTED_ERROR,
  MAX_RUNNING_JOBS,
  STALE_JOB_MS,
} from './import-jobs.js';

const FIXTURE = new URL('../../test/fixtures/captures/04-hl7-mllp.pcap', import.meta.url).pathname;
const user = (id: string, role: 'clinical-engineer' | 'admin' | 'auditor'): Actor => ({
  kind: 'user',
  id,
  name: id,
  role,
  permissions: permissionsOf(role),
});

const iso = (ms: number) => new Date(ms).toISOString();

/** The fixture's records `times` times over (after its 24-byte pcap header, when `header`). */
function repeated(times: number, header: boolean): Buffer {
  const raw = readFileSync(FIXTURE);
  return Buffer.concat([...(header ? [raw.subarray(0, 24)] : []), ...Array(times).fill(raw.subarray(24))]);
}

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
    const started = await sut.startCapture(vdb, anna, input);
    expect(started).toMatchObject({ state: 'running', bytesTotal: input.size, finishedAt: null });
    await sut.settled(started.id);
    expect(existsSync(input.path)).toBe(false);
    const done = await sut.get(vdb, anna, started.id);
    expect(done).toMatchObject({
      state: 'done',
      bytesDone: input.size,
      finishedAt: '2026-11-29T10:00:00.000Z',
    });
    expect((await sut.get(vdb, user('root', 'admin'), started.id)).id).toBe(started.id);
    await expect(sut.get(vdb, user('bob', 'clinical-engineer'), started.id)).rejects.toThrow(/not found/);
    await expect(sut.get(vdb, cliActor, started.id)).rejects.toThrow(/not found/);
    now += FINISHED_JOB_TTL_MS;
    expect((await sut.get(vdb, anna, started.id)).state).toBe('done');
    now += 1;
    await expect(sut.get(vdb, anna, started.id)).rejects.toThrow(/not found/);
    // The sweep (another process's, on its next start or poll) deletes the row itself.
    await new ImportJobRegistry(() => now).get(vdb, anna, 'no-such-job').catch(() => undefined);
    expect(await findImportJobRow(vdb, started.id)).toBeUndefined();
  });

  it('refuses starting without devices:import, and a third job while two run', async () => {
    const sut = new ImportJobRegistry();
    expect(() => sut.assertCanStart(user('aud', 'auditor'))).toThrow(/devices:import/);
    const anna = user('anna', 'clinical-engineer');
    const ids = [];
    for (let i = 0; i < MAX_RUNNING_JOBS; i++)
      ids.push((await sut.startCapture(vdb, anna, upload(`b${i}.pcap`))).id);
    expect(() => sut.assertCanStart(anna)).toThrow(expect.objectContaining({ code: 'rate_limited' }));
    for (const id of ids) await sut.settled(id);
    expect(() => sut.assertCanStart(anna)).not.toThrow();
  });

  it('another API process answers the poll of a running job with its progress, then its result', async () => {
    let now = Date.parse('2026-11-30T09:00:00Z');
    const a = new ImportJobRegistry(() => now);
    const b = new ImportJobRegistry(() => now);
    // The other process has its own connections (PostgreSQL); an in-memory SQLite is one process's only.
    const other =
      dialect === 'postgres' ? await openDatabase(PG_URL!, { schema: vdb.schema!, poolSize: 2 }) : vdb;
    try {
      const anna = user('anna', 'clinical-engineer');
      // A named pipe as the upload: the reader waits for what the test writes.
      const fifo = join(dir, 'pipe.pcap');
      execFileSync('mkfifo', ['-m', '600', fifo]);
      const first = repeated(80, true);
      const rest = repeated(40, false);
      const size = first.length + rest.length;
      const started = await a.startCapture(vdb, anna, { path: fifo, fileName: 'ward3.pcap', size });
      expect(await b.get(other, anna, started.id)).toMatchObject({
        id: started.id,
        kind: 'capture',
        fileName: 'ward3.pcap',
        state: 'running',
        bytesTotal: size,
        bytesDone: 0,
        packets: 0,
        devicesFound: 0,
        startedAt: '2026-11-30T09:00:00.000Z',
        finishedAt: null,
      });

      now += 2000; // progress is written at most once a second
      const pipe = createWriteStream(fifo);
      pipe.write(first);
      let mid = await b.get(other, anna, started.id);
      for (let i = 0; i < 400 && mid.packets === 0; i++) {
        await sleep(25);
        mid = await b.get(other, anna, started.id);
      }
      expect(mid.state).toBe('running');
      expect(mid.packets).toBeGreaterThanOrEqual(2048);
      expect(mid.devicesFound).toBeGreaterThan(0);
      expect(mid.bytesDone).toBeGreaterThan(0);
      expect(mid.bytesDone).toBeLessThan(size);
      expect(mid.result).toBeUndefined();
      // Long past its last heartbeat, the process running the job still knows it is alive.
      now += STALE_JOB_MS + 1000;
      expect((await a.get(vdb, anna, started.id)).state).toBe('running');

      now += 1000;
      pipe.end(rest);
      await once(pipe, 'close');
      await a.settled(started.id);
      expect(existsSync(fifo)).toBe(false);
      const done = await b.get(other, anna, started.id);
      expect(done).toMatchObject({
        state: 'done',
        bytesDone: size,
        finishedAt: iso(now),
        result: { issues: [], packets: done.packets },
      });
      expect(done.packets).toBeGreaterThan(mid.packets);
      expect(done.devicesFound).toBe(done.result!.hosts);
      expect(done.error).toBeUndefined();
      expect(done).toEqual(await a.get(vdb, anna, started.id));
      // Visibility as before: the starter and admins; anyone else gets not found.
      expect((await b.get(other, user('root', 'admin'), started.id)).state).toBe('done');
      await expect(b.get(other, user('bob', 'clinical-engineer'), started.id)).rejects.toThrow(/not found/);
    } finally {
      if (other !== vdb) await other.close();
    }
  });

  it('a job left running by a stopped process is reported, and stored, failed as interrupted; it then expires', async () => {
    const t0 = Date.parse('2026-12-01T08:00:00Z');
    const row = (id: string, heartbeat: number): ImportJobRow => ({
      id,
      kind: 'capture',
      file_name: 'icu.pcap',
      owner: 'user:anna',
      state: 'running',
      bytes_total: 5_000_000_000,
      bytes_done: 1_200_000_000,
      packets: 900_000,
      devices_found: 42,
      started_at: iso(t0 - 10 * 60_000),
      finished_at: null,
      heartbeat_at: iso(heartbeat),
      result: null,
      error: null,
    });
    // One process died 2 minutes ago; another is alive (heartbeat 5 s ago).
    await insertImportJobRow(vdb, row('dead-job', t0 - 2 * 60_000));
    await insertImportJobRow(vdb, row('alive-job', t0 - 5000));
    let now = t0;
    const sut = new ImportJobRegistry(() => now);
    const anna = user('anna', 'clinical-engineer');
    await expect(sut.get(vdb, user('bob', 'clinical-engineer'), 'dead-job')).rejects.toThrow(/not found/);

    const failed = await sut.get(vdb, anna, 'dead-job');
    expect(failed).toEqual({
      id: 'dead-job',
      kind: 'capture',
      fileName: 'icu.pcap',
      state: 'failed',
      bytesTotal: 5_000_000_000,
      bytesDone: 1_200_000_000,
      packets: 900_000,
      devicesFound: 42,
      startedAt: iso(t0 - 10 * 60_000),
      finishedAt: iso(t0),
      error: INTERRUPTED_ERROR,
    });
    expect(INTERRUPTED_ERROR).toMatch(/^interrupted: .*upload the capture again$/);
    expect(await findImportJobRow(vdb, 'dead-job')).toMatchObject({ state: 'failed', finished_at: iso(t0) });
    expect((await sut.get(vdb, anna, 'alive-job')).state).toBe('running');
    expect((await sut.get(vdb, user('root', 'admin'), 'alive-job')).state).toBe('running');

    // Stays failed, for this process and any other, later too.
    now += 5 * 60_000;
    expect(await new ImportJobRegistry(() => now).get(vdb, anna, 'dead-job')).toEqual(failed);
    expect(await sut.get(vdb, user('root', 'admin'), 'dead-job')).toEqual(failed);
    // The other job's heartbeat stopped meanwhile: the sweep fails it, unpolled.
    expect(await findImportJobRow(vdb, 'alive-job')).toMatchObject({
      state: 'failed',
      error: INTERRUPTED_ERROR,
      finished_at: iso(now),
    });

    // Kept FINISHED_JOB_TTL_MS after it was found interrupted, then deleted.
    now = t0 + FINISHED_JOB_TTL_MS;
    expect((await sut.get(vdb, anna, 'dead-job')).state).toBe('failed');
    now += 1;
    await expect(sut.get(vdb, anna, 'dead-job')).rejects.toThrow(/not found/);
    now += 10 * 60_000;
    await expect(new ImportJobRegistry(() => now).get(vdb, anna, 'alive-job')).rejects.toThrow(/not found/);
    expect(await findImportJobRow(vdb, 'dead-job')).toBeUndefined();
    expect(await findImportJobRow(vdb, 'alive-job')).toBeUndefined();
  });
});
