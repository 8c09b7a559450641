/**
 * Capture uploads over the API (POST /captures/import, GET /imports/{id}) on real captures from
 * test/fixtures/captures (see its PROVENANCE.md): the HL7 capture 04-hl7-mllp.pcap (cleartext HL7 with a
 * fake patient), the same gzip-compressed, the pcapng 06-http-tls.pcapng, a copy of
 * 07-telnet-ftp-ssh-mqtt.pcap cut mid-record (a corrupt capture) and a text file that is no capture.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiHarness, apiHarness, TEST_PASSWORD } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { LoginThrottle } from '../../accounts/login-throttle.js';
import type { Role } from '../../accounts/permissions.js';
import { listAudit } from '../../audit/audit-log.js';
import type { ImportJob } from '../../discovery/import-jobs.js';
import { createApp } from '../app.js';
import { importJobsOf } from './imports.js';

const capture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/captures/${name}`, import.meta.url));
const uploads = () => new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('vigil-upload-')));

// Uploads go to the system temp folder (os.tmpdir(), read at each upload). Other test files upload at
// the same time (the dashboard's import page, other workers): this file gets a folder of its own, so
// "no upload file left" counts only its own.
const systemTmp = process.env['TMPDIR'];
beforeAll(() => {
  process.env['TMPDIR'] = mkdtempSync(join(tmpdir(), 'vigil-imports-test-'));
});
afterAll(() => {
  const mine = tmpdir();
  if (systemTmp === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = systemTmp;
  rmSync(mine, { recursive: true, force: true });
});

type Body = NonNullable<RequestInit['body']>;
type Send = (method: string, path: string, body?: Body, type?: string) => Promise<Response>;

describe.each(DIALECTS)('capture imports API on %s', (dialect) => {
  let h: ApiHarness;
  const as: Partial<Record<Role, Send>> = {};

  /** A session that can send binary bodies (the harness's clients send strings). */
  async function session(role: Role): Promise<Send> {
    const res = await h.anonymous.post('/api/v1/auth/login', {
      username: `test-${role}`,
      password: TEST_PASSWORD,
    });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    return async (method, path, body, type = 'application/octet-stream') =>
      h.app.request(path, {
        method,
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': type },
        ...(body === undefined ? {} : { body, duplex: 'half' }),
      } as RequestInit);
  }

  const upload = async (role: Role, fileName: string, bytes: Body, status = 202) => {
    const res = await as[role]!(
      'POST',
      `/api/v1/captures/import?fileName=${encodeURIComponent(fileName)}`,
      bytes,
    );
    const text = await res.text();
    expect(res.status, text).toBe(status);
    return JSON.parse(text) as { jobId: string; code?: string; detail?: string };
  };
  /** Waits for the job's end (the registry, not a clock), then reads it over the API. */
  const finished = async (jobId: string, role: Role = 'clinical-engineer') => {
    await importJobsOf(h.ctx).settled(jobId);
    const res = await as[role]!('GET', `/api/v1/imports/${jobId}`);
    expect(res.status).toBe(200);
    return (await res.json()) as ImportJob;
  };
  const deviceTotal = async () =>
    ((await (await h.as('auditor').get('/api/v1/devices?pageSize=1')).json()) as { total: number }).total;

  beforeAll(async () => {
    h = await apiHarness(dialect);
    for (const role of ['clinical-engineer', 'security-officer', 'admin', 'auditor'] as const)
      as[role] = await session(role);
  });
  afterAll(async () => h?.close());

  it('a corrupt capture ends failed with the reader’s file and offset, and keeps what was read before it', async () => {
    const raw = capture('07-telnet-ftp-ssh-mqtt.pcap');
    const before = uploads();
    const { jobId } = await upload(
      'clinical-engineer',
      'cut.pcap',
      raw.subarray(0, Math.floor(raw.length / 2)),
    );
    const job = await finished(jobId);
    expect(job).toMatchObject({ kind: 'capture', fileName: 'cut.pcap', state: 'failed' });
    expect(job.error).toMatch(/^cut\.pcap, offset \d+: .*truncat/i);
    expect(job.result?.issues[0]).toMatchObject({ file: 'cut.pcap', offset: expect.any(Number) });
    expect(job.result!.packets).toBeGreaterThan(0);
    expect(job.result!.devices.staged).toBeGreaterThan(0);
    expect(await deviceTotal()).toBe(job.result!.devices.staged);
    expect(job.finishedAt).not.toBeNull();
    expect(uploads()).toEqual(before);
  });

  it('imports an uploaded capture as `vigil import` does, with progress figures and one audit entry', async () => {
    const raw = capture('04-hl7-mllp.pcap');
    const before = uploads();
    const { jobId } = await upload('clinical-engineer', '04-hl7-mllp.pcap', raw);
    const job = await finished(jobId);
    expect(job).toMatchObject({
      id: jobId,
      kind: 'capture',
      fileName: '04-hl7-mllp.pcap',
      state: 'done',
      bytesTotal: raw.length,
      bytesDone: raw.length,
    });
    expect(job.error).toBeUndefined();
    expect(job.packets).toBeGreaterThan(10);
    expect(job.devicesFound).toBe(job.result!.hosts);
    expect(job.result!.devices.staged).toBeGreaterThan(0);
    expect(job.result!.deviceIds.length).toBeGreaterThan(0);
    // Cleartext HL7 with a patient: a finding and an alert, never the values.
    expect(job.result!.findings.created).toBeGreaterThan(0);
    expect(job.result!.alerts.created).toBeGreaterThan(0);
    expect(job.result!.issues).toEqual([]);
    expect(job.result!.newMatches).toBe(0);
    expect(JSON.stringify(job)).not.toMatch(/HARTMANN|MRN00482913/);
    expect(uploads()).toEqual(before);

    const audit = await listAudit(h.ctx.vdb, { action: 'capture.import' });
    const entry = audit.find((a) => a.targetId === job.result!.importId);
    expect(entry?.actor).toBe('test-clinical-engineer');
    expect(entry?.summary).toMatchObject({ file: '04-hl7-mllp.pcap', packets: job.result!.packets });
  });

  it('reads gzip and pcapng uploads; a path in the file name is dropped', async () => {
    const plain = await finished(
      (await upload('security-officer', 'a.pcap', capture('04-hl7-mllp.pcap'))).jobId,
      'security-officer',
    );
    const gz = await finished(
      (await upload('security-officer', '../../etc/a.pcap.gz', gzipSync(capture('04-hl7-mllp.pcap')))).jobId,
      'security-officer',
    );
    expect(gz).toMatchObject({ state: 'done', fileName: 'a.pcap.gz' });
    expect(gz.result!.hosts).toBe(plain.result!.hosts);
    // The same hosts again: seen, nothing new.
    expect(gz.result!.devices.staged).toBe(0);
    const ng = await finished(
      (await upload('security-officer', '06-http-tls.pcapng', capture('06-http-tls.pcapng'))).jobId,
      'security-officer',
    );
    expect(ng.state).toBe('done');
    expect(ng.result!.hosts).toBeGreaterThan(0);
  });

  it('a file that is no capture ends failed with its name, storing nothing', async () => {
    const total = await deviceTotal();
    const job = await finished(
      (await upload('clinical-engineer', 'notes.txt', 'these are my notes, not a capture')).jobId,
    );
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/notes\.txt.*not a pcap or pcapng/);
    expect(job.result).toBeUndefined();
    expect(await deviceTotal()).toBe(total);
  });

  it('refuses uploads without devices:import, and shows a job only to its starter and admins', async () => {
    expect(
      (await as.auditor!('POST', '/api/v1/captures/import?fileName=a.pcap', capture('04-hl7-mllp.pcap')))
        .status,
    ).toBe(403);
    expect(
      (
        await h.anonymous.request('POST', '/api/v1/captures/import', 'x', {
          'content-type': 'application/octet-stream',
        })
      ).status,
    ).toBe(401);
    const { jobId } = await upload('clinical-engineer', 'mine.pcap', capture('04-hl7-mllp.pcap'));
    await importJobsOf(h.ctx).settled(jobId);
    for (const role of ['security-officer', 'auditor'] as const) {
      const res = await as[role]!('GET', `/api/v1/imports/${jobId}`);
      expect(res.status, role).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'not_found' });
    }
    expect((await as.admin!('GET', `/api/v1/imports/${jobId}`)).status).toBe(200);
    expect((await h.anonymous.get(`/api/v1/imports/${jobId}`)).status).toBe(401);
    expect((await as['clinical-engineer']!('GET', '/api/v1/imports/no-such-job')).status).toBe(404);
  });

  it('answers 413 beyond the size cap (declared or streamed) and 400 for empty or JSON bodies, leaving no file', async () => {
    const before = uploads();
    const raw = capture('04-hl7-mllp.pcap');
    const config = h.ctx.config as { captureUploadMaxBytes?: number | undefined };
    config.captureUploadMaxBytes = 4096;
    try {
      const declared = await upload('clinical-engineer', 'big.pcap', raw, 413);
      expect(declared).toMatchObject({ code: 'too_large', detail: 'Capture larger than 4,096 bytes' });
      // Without content-length (chunked), the cap is enforced while the body streams to disk.
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < raw.length; i += 1000) c.enqueue(raw.subarray(i, i + 1000));
          c.close();
        },
      });
      expect((await upload('clinical-engineer', 'big.pcap', stream, 413)).code).toBe('too_large');
    } finally {
      config.captureUploadMaxBytes = undefined;
    }
    expect((await upload('clinical-engineer', 'empty.pcap', '', 400)).detail).toContain('empty');
    const json = await as['clinical-engineer']!('POST', '/api/v1/captures/import', '{}', 'application/json');
    expect(json.status).toBe(400);
    // Seen twice in CI (2026-11-30, 2026-12-03): an upload file of this test left for good, on a loaded
    // machine: the removal ran before the file's delayed open created it (upload-file.test.ts holds the
    // open back to show it). A file that stays fails this after 5 s.
    await vi.waitFor(() => expect(uploads()).toEqual(before), { timeout: 5000, interval: 50 });
  });

  it('another API process on the same database answers the poll, with the same visibility', async () => {
    // A second app with its own context: its own job registry, as another process behind a load balancer.
    const ctx2 = { ...h.ctx };
    const app2 = createApp(ctx2, { throttle: new LoginThrottle(10_000) });
    const login = async (role: Role) => {
      const res = await app2.request('/api/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `test-${role}`, password: TEST_PASSWORD }),
      });
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      return (path: string) => app2.request(path, { headers: { cookie } });
    };
    const { jobId } = await upload('clinical-engineer', 'elsewhere.pcap', capture('04-hl7-mllp.pcap'));
    const mine = await login('clinical-engineer');
    const first = await mine(`/api/v1/imports/${jobId}`);
    expect(first.status).toBe(200);
    expect(((await first.json()) as ImportJob).fileName).toBe('elsewhere.pcap');
    await importJobsOf(h.ctx).settled(jobId);
    const res = await mine(`/api/v1/imports/${jobId}`);
    expect(res.status).toBe(200);
    const job = (await res.json()) as ImportJob;
    expect(job).toMatchObject({ id: jobId, state: 'done', fileName: 'elsewhere.pcap' });
    expect(job.result!.hosts).toBeGreaterThan(0);
    expect(job).toEqual(await finished(jobId));
    expect((await (await login('security-officer'))(`/api/v1/imports/${jobId}`)).status).toBe(404);
    expect((await (await login('admin'))(`/api/v1/imports/${jobId}`)).status).toBe(200);
  });
});
