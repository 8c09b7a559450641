/**
 * `vigil sensor --read-stdin --site north --nats URL` (the built binary) publishes a real capture to the
 * centre instead of storing it; an ingest worker applies it; `vigil sensors list --json` shows the sensor's
 * health. Also: `--roles` without `--nats` is refused, and --nats with --site that is not one subject
 * token is refused with a clear message.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, describe, expect, it } from 'vitest';
import { NATS_URL, natsAvailable, uniqueNames } from '../../../test/nats.js';
import { createSite } from '../../inventory/site-service.js';
import { INGEST_ACTOR } from '../../scaleout/actor.js';
import { IngestWorker } from '../../scaleout/ingest-worker.js';
import { namesFrom } from '../../scaleout/nats-flags.js';
import { deleteStreams, ensureStreams } from '../../scaleout/streams.js';
import { drained } from '../../scaleout/testing.js';
import { openDatabase } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';

const NATS = await natsAvailable();
const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/vigil.js');

function vigil(
  args: string[],
  env: Record<string, string>,
  input?: Buffer,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, VIGIL_LOG_LEVEL: 'silent', ...env }, timeout: 60_000 },
      (err, stdout, stderr) =>
        done({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
    child.stdin?.end(input ?? '');
  });
}

describe('vigil sensor --nats and vigil sensors (built binary)', { timeout: 120_000 }, () => {
  const names = namesFrom({ natsPrefix: uniqueNames().prefix, natsStream: uniqueNames().stream });
  let nc: NatsConnection | undefined;
  afterAll(async () => {
    if (!nc) return;
    await deleteStreams(await nc.jetstreamManager(), names);
    await nc.close();
  });

  it('refuses --roles without --nats, and a site that is not one subject token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-sensors-cli-'));
    const env = { VIGIL_DB: `sqlite:${join(dir, 'x.db')}` };
    const r = await vigil(['serve', '--roles', 'ingest'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--roles .*--nats/);
    const s = await vigil(
      ['sensor', '--read-stdin', '--site', 'north.wing', '--nats', 'nats://127.0.0.1:1'],
      env,
    );
    expect(s.code).not.toBe(0);
    expect(s.stderr).toMatch(/one NATS subject token/);
  });

  it.skipIf(!NATS)(
    'publishes a capture from stdin; ingest applies it; sensors list shows its health',
    async () => {
      nc = await connect({ servers: NATS_URL });
      await ensureStreams(await nc.jetstreamManager(), names);
      const dir = await mkdtemp(join(tmpdir(), 'vigil-sensors-cli-'));
      const centreDb = `sqlite:${join(dir, 'centre.db')}`;
      const vdb = await openDatabase(centreDb);
      await migrateToLatest(vdb);
      await createSite(vdb, INGEST_ACTOR, { name: 'north' });
      const capture = readFileSync(join(root, 'test/fixtures/captures/07-telnet-ftp-ssh-mqtt.pcap'));
      const r = await vigil(
        [
          'sensor',
          '--read-stdin',
          '--site',
          'north',
          '--sensor-id',
          'ward3-tap1',
          '--nats',
          NATS_URL,
          '--nats-prefix',
          names.prefix,
          '--nats-stream',
          names.stream,
          '--spool',
          join(dir, 'spool'),
          '--json',
        ],
        { VIGIL_DB: `sqlite:${join(dir, 'sensor-local.db')}` },
        capture,
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const final = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
        event: string;
        link: { published: number; spool: { records: number } };
      };
      expect(final.event).toBe('final');
      expect(final.link.published).toBeGreaterThan(1);
      expect(final.link.spool.records).toBe(0);

      const worker = new IngestWorker({ nc, vdb, names });
      await worker.start();
      await drained(nc, names);
      await worker.stop();
      const devices = await vdb.db.selectFrom('devices').select('site_id').execute();
      expect(devices.length).toBeGreaterThan(4);
      await vdb.close();

      const list = await vigil(['sensors', 'list', '--json'], { VIGIL_DB: centreDb });
      expect(list.code).toBe(0);
      const sensors = JSON.parse(list.stdout) as {
        id: string;
        packets: number;
        spoolBytes: number;
        silent: boolean;
      }[];
      expect(sensors).toHaveLength(1);
      expect(sensors[0]).toMatchObject({ id: 'north/ward3-tap1', spoolBytes: 0, silent: false });
      expect(sensors[0]!.packets).toBeGreaterThan(50);
      const table = await vigil(['sensors', 'list'], { VIGIL_DB: centreDb });
      expect(table.stdout).toMatch(/north\/ward3-tap1 .* ok/);
    },
  );
});
