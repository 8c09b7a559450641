/**
 * `vigil sensor --zeek-dir DIR --nats …` and `vigil sensor --eve FILE --nats …` (the built binary): real
 * Zeek logs (src/formats/zeek/fixtures/rita-json and rita-proxy, see its PROVENANCE.md) and real Suricata
 * EVE lines (src/formats/suricata/fixtures/eve.json, see its PROVENANCE.md) followed at a site and
 * published like a capture's observations; an ingest worker applies them at the centre. The central
 * inventory equals the single-process import of the same logs, and the sensor's read positions are kept
 * in its local database (a restart publishes nothing again).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_URL, natsAvailable, uniqueNames } from '../../test/nats.js';
import { applySourceResult } from '../discovery/apply-source-result.js';
import type { SourceResult } from '../discovery/host-observation.js';
import { analyzeEvePath } from '../discovery/suricata-eve.js';
import { analyzeZeekPath } from '../discovery/zeek-logs.js';
import { createSite } from '../inventory/site-service.js';
import { placeUnsitedDevices } from '../monitor/sensor/sensor-site.js';
import { resolveSites } from '../store/account-store.js';
import { openDatabase, type VigilDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';
import { INGEST_ACTOR } from './actor.js';
import { IngestWorker } from './ingest-worker.js';
import { deleteStreams, ensureStreams } from './streams.js';
import type { ScaleoutNames } from './subjects.js';
import { drained, inventoryView } from './testing.js';

const NATS = await natsAvailable();
const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/vigil.js');
const ZEEK = join(root, 'src/formats/zeek/fixtures');
const EVE = join(root, 'src/formats/suricata/fixtures/eve.json');

interface Status {
  event: string;
  records: number;
  link: { published: number; spool: { records: number } };
}

/** Runs the sensor until its first flush has published what it read, then stops it with SIGTERM. */
function runSensor(args: string[], localDb: string): Promise<{ code: number | null; statuses: Status[] }> {
  return new Promise((done, fail) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [bin, 'sensor', ...args, '--json', '--flush-seconds', '1'],
      {
        env: { ...process.env, VIGIL_LOG_LEVEL: 'silent', VIGIL_DB: `sqlite:${localDb}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const statuses: Status[] = [];
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
        const s = JSON.parse(out.slice(0, i)) as Status;
        out = out.slice(i + 1);
        statuses.push(s);
        if (s.event === 'flush' && s.link.published > 0) child.kill('SIGTERM');
      }
    });
    child.once('error', fail);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (err.trim()) fail(new Error(err));
      else done({ code, statuses });
    });
  });
}

async function database(path: string): Promise<VigilDatabase> {
  const vdb = await openDatabase(`sqlite:${path}`);
  await migrateToLatest(vdb);
  await createSite(vdb, INGEST_ACTOR, { name: 'north' });
  return vdb;
}

/** The single-process import of the same logs, devices placed in the site. */
async function reference(dir: string, result: SourceResult, kind: 'zeek' | 'eve'): Promise<VigilDatabase> {
  const vdb = await database(join(dir, 'reference.db'));
  const applied = await applySourceResult(vdb, INGEST_ACTOR, result, { kind, file: 'logs' });
  const { ids } = await resolveSites(vdb, ['north']);
  await placeUnsitedDevices(vdb, INGEST_ACTOR, ids[0]!, applied.deviceIds, 'logs');
  return vdb;
}

describe.skipIf(!NATS)('vigil sensor --zeek-dir/--eve --nats (built binary)', { timeout: 180_000 }, () => {
  let nc: NatsConnection;
  const streams: ScaleoutNames[] = [];
  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    const jsm = await nc.jetstreamManager();
    for (const n of streams) await deleteStreams(jsm, n);
    await nc.close();
  });

  async function centre(dir: string) {
    const names = uniqueNames();
    streams.push(names);
    await ensureStreams(await nc.jetstreamManager(), names);
    const vdb = await database(join(dir, 'centre.db'));
    const flags = ['--site', 'north', '--nats', NATS_URL, '--nats-prefix', names.prefix];
    return { names, vdb, flags: [...flags, '--nats-stream', names.stream, '--spool', join(dir, 'spool')] };
  }

  async function ingest(vdb: VigilDatabase, names: ScaleoutNames): Promise<void> {
    const worker = new IngestWorker({ nc, vdb, names, expiresMs: 200 });
    await worker.start();
    await drained(nc, names);
    await worker.stop();
  }

  it('publishes Zeek logs; the centre ends with what one import of them stores; positions survive a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-zeek-nats-'));
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    for (const f of ['conn.log', 'dns.log', 'http.log', 'ssl.log'])
      copyFileSync(join(ZEEK, 'rita-json', f), join(logs, f));
    for (const f of ['dhcp.log', 'software.log']) copyFileSync(join(ZEEK, 'rita-proxy', f), join(logs, f));
    const { names, vdb, flags } = await centre(dir);
    const local = join(dir, 'sensor-local.db');
    const r = await runSensor(['--zeek-dir', logs, '--sensor-id', 'north-zeek', ...flags], local);
    expect(r.code).toBe(0);
    const final = r.statuses.at(-1)!;
    expect(final.event).toBe('final');
    expect(final.records).toBeGreaterThan(20);
    expect(final.link.spool.records).toBe(0);
    await ingest(vdb, names);

    const want = await reference(dir, await analyzeZeekPath(logs), 'zeek');
    const got = await inventoryView(vdb);
    expect(got).toEqual(await inventoryView(want));
    expect((got['devices'] as unknown[]).length).toBeGreaterThan(3);

    // Started again on the same logs: the positions in its local database say everything was sent.
    const again = await runSensor(['--zeek-dir', logs, '--sensor-id', 'north-zeek', ...flags], local).catch(
      (e: unknown) => e,
    );
    expect(again).toMatchObject({ code: 0 });
    const last = (again as { statuses: Status[] }).statuses.at(-1)!;
    expect(last.records).toBe(0);
    await want.close();
    await vdb.close();
  });

  it('publishes Suricata EVE; the centre ends with what one import of it stores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-eve-nats-'));
    const eve = join(dir, 'eve.json');
    copyFileSync(EVE, eve);
    const { names, vdb, flags } = await centre(dir);
    const r = await runSensor(['--eve', eve, '--sensor-id', 'north-ids', ...flags], join(dir, 'local.db'));
    expect(r.code).toBe(0);
    expect(r.statuses.at(-1)!.records).toBeGreaterThan(10);
    await ingest(vdb, names);
    const want = await reference(dir, await analyzeEvePath(eve), 'eve');
    const got = await inventoryView(vdb);
    expect(got).toEqual(await inventoryView(want));
    expect((got['findings'] as unknown[]).length).toBeGreaterThan(0);
    await want.close();
    await vdb.close();
  });
});
