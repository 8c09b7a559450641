/**
 * The ingest role against the real nats-server (JetStream) and every database dialect: two sensors
 * replaying real captures for two sites end with the same central inventory as the single-process import
 * of those captures; a batch delivered again changes nothing (the applied-message ledger, same
 * transaction); the site comes from the subject and a body claiming another site is refused; sensor
 * health is recorded from heartbeats, a spool overflow raises an alert, a silent sensor raises one too.
 */
import { join } from 'node:path';
import { connect, type JsMsg, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { NATS_URL, natsAvailable, uniqueNames } from '../../test/nats.js';
import { createSite } from '../inventory/site-service.js';
import { listAlerts } from '../monitor/alerts-service.js';
import type { VigilDatabase } from '../store/database.js';
import { matchQueueDepth } from '../store/match-queue-store.js';
import { INGEST_ACTOR as SYSTEM_ACTOR } from './actor.js';
import { IngestWorker } from './ingest-worker.js';
import { MatchWorker } from './match-worker.js';
import { encodeObservation } from './observation-schema.js';
import { checkSilentSensors, listSensors } from './sensor-health.js';
import { deleteStreams, ensureStreams } from './streams.js';
import type { ScaleoutNames } from './subjects.js';
import { CAPTURES, drained, importCaptures, inventoryView, replayCapture } from './testing.js';

const NATS = await natsAvailable();

const NORTH = ['dicom-ct-store.pcap'];
const SOUTH = ['07-telnet-ftp-ssh-mqtt.pcap'];

async function centre(dialect: (typeof DIALECTS)[number]): Promise<VigilDatabase> {
  const vdb = await freshDatabase(dialect);
  await createSite(vdb, SYSTEM_ACTOR, { name: 'north' });
  await createSite(vdb, SYSTEM_ACTOR, { name: 'south' });
  return vdb;
}

describe.skipIf(!NATS).each(DIALECTS)('scale-out ingest (%s)', (dialect) => {
  let nc: NatsConnection;
  const streams: ScaleoutNames[] = [];
  const dbs: VigilDatabase[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    const jsm = await nc.jetstreamManager();
    for (const n of streams) await deleteStreams(jsm, n);
    await nc.close();
    for (const d of dbs) await d.close();
  });

  async function deployment() {
    const names = uniqueNames();
    streams.push(names);
    await ensureStreams(await nc.jetstreamManager(), names);
    const vdb = await centre(dialect);
    dbs.push(vdb);
    return { names, vdb };
  }

  it('two sensors for two sites, two ingest workers: the inventory equals the single-process import', async () => {
    const { names, vdb } = await deployment();
    const workers = [0, 1].map(() => new IngestWorker({ nc, vdb, names, expiresMs: 200 }));
    for (const w of workers) await w.start();
    await Promise.all([
      ...NORTH.map((f) =>
        replayCapture({
          nc,
          names,
          site: 'north',
          sensor: 'n1',
          capture: join(CAPTURES, f),
          flushEvery: 150,
        }),
      ),
      ...SOUTH.map((f) =>
        replayCapture({
          nc,
          names,
          site: 'south',
          sensor: 's1',
          capture: join(CAPTURES, f),
          flushEvery: 150,
        }),
      ),
    ]);
    await drained(nc, names);
    for (const w of workers) await w.stop();

    const reference = await centre(dialect);
    dbs.push(reference);
    await importCaptures(reference, { north: NORTH, south: SOUTH });
    const got = await inventoryView(vdb);
    const want = await inventoryView(reference);
    expect((want['devices'] as unknown[]).length).toBeGreaterThan(5);
    expect((want['findings'] as unknown[]).length).toBeGreaterThan(3);
    expect(got).toEqual(want);
    const applied = workers.reduce((n, w) => n + w.status().applied, 0);
    expect(applied).toBeGreaterThan(4);
    // Ingest did not re-match: it queued every device it changed for the match role.
    const queued = await vdb.db.selectFrom('match_queue').select('device_id').distinct().execute();
    expect(queued.length).toBe((want['devices'] as unknown[]).length);
    await new MatchWorker({ vdb }).runOnce();
    expect(await matchQueueDepth(vdb)).toBe(0);
    const health = await listSensors(vdb, SYSTEM_ACTOR);
    expect(health.map((s) => s.id)).toEqual(['north/n1', 'south/s1']);
    expect(health[0]!.packets).toBeGreaterThan(0);
    expect(health[0]!.silent).toBe(false);
  });

  it('a batch delivered again changes nothing; a forged site and a broken message are refused', async () => {
    const { names, vdb } = await deployment();
    await replayCapture({ nc, names, site: 'south', sensor: 's1', capture: join(CAPTURES, SOUTH[0]!) });
    const js = nc.jetstream();
    // A body claiming north on south's subject, and a message that is not an observation.
    const forged = encodeObservation({
      schema: 'vigil.obs',
      v: 1,
      sensor: 'n1',
      site: 'north',
      epoch: 1,
      seq: 999,
      flush: 1,
      part: 0,
      parts: 1,
      at: new Date().toISOString(),
      kind: 'flows',
      flows: [
        {
          client: '10.9.9.9',
          server: '10.9.9.8',
          port: 23,
          transport: 'tcp',
          protocol: 'telnet',
          connections: 1,
          packets: 1,
          bytes: 1,
          firstSeen: 't',
          lastSeen: 't',
          evidence: { source: 'capture', file: 'x', summary: 'forged' },
        },
      ],
    });
    await js.publish(`${names.prefix}.obs.south.flows`, forged, { msgID: 'forged-1' });
    await js.publish(`${names.prefix}.obs.south.hosts`, Buffer.from('{"v":9}'), { msgID: 'broken-1' });

    const worker = new IngestWorker({ nc, vdb, names });
    const consumer = await js.consumers.get(names.stream, names.durable);
    const msgs: JsMsg[] = [];
    for await (const m of await consumer.fetch({ max_messages: 500, expires: 1000 })) msgs.push(m);
    const first = await worker.processBatch(msgs);
    expect(first?.refused).toBe(2);
    expect(first?.applied).toBe(msgs.length - 2);
    const once = await inventoryView(vdb);
    expect((once['communications'] as string[]).some((c) => c.includes('10.9.9.9'))).toBe(false);

    // The same messages again (as after a worker died between commit and ack): nothing changes.
    const again = await worker.processBatch(msgs);
    expect(again?.applied).toBe(0);
    expect(again?.refused).toBe(2);
    expect(again?.duplicates).toBe(msgs.length - 2);
    expect(await inventoryView(vdb)).toEqual(once);
    const ref = await centre(dialect);
    dbs.push(ref);
    await importCaptures(ref, { south: SOUTH });
    expect(once).toEqual(await inventoryView(ref));
  });

  it('records heartbeats, raises an alert for spool drops and for a silent sensor', async () => {
    const { names, vdb } = await deployment();
    const js = nc.jetstream();
    const beat = (seq: number, dropped: { low: number; high: number }, at: string) =>
      encodeObservation({
        schema: 'vigil.obs',
        v: 1,
        sensor: 'n9',
        site: 'north',
        epoch: 1,
        seq,
        flush: seq,
        part: 0,
        parts: 1,
        at,
        kind: 'heartbeat',
        heartbeat: {
          version: '0.1.0',
          startedAt: at,
          source: 'eth1',
          packets: 10 * seq,
          bytes: 1000,
          captureDrops: 3,
          spoolBytes: 4096,
          spoolDropped: dropped,
        },
      });
    const worker = new IngestWorker({ nc, vdb, names, expiresMs: 200 });
    await worker.start();
    await js.publish(
      `${names.prefix}.obs.north.heartbeat`,
      beat(1, { low: 0, high: 0 }, new Date(Date.now() - 2000).toISOString()),
      { msgID: 'hb1' },
    );
    await drained(nc, names);
    await js.publish(
      `${names.prefix}.obs.north.heartbeat`,
      beat(2, { low: 40, high: 0 }, new Date().toISOString()),
      { msgID: 'hb2' },
    );
    await drained(nc, names);
    await worker.stop();
    const [s] = await listSensors(vdb, SYSTEM_ACTOR);
    expect(s).toMatchObject({
      id: 'north/n9',
      packets: 20,
      captureDrops: 3,
      spoolBytes: 4096,
      spoolDropped: { low: 40, high: 0 },
      messages: 2,
      version: '0.1.0',
    });
    let alerts = await listAlerts(vdb, SYSTEM_ACTOR, {});
    expect(alerts.items.map((a) => a.rule)).toEqual(['sensor-spool-overflow']);
    // Ten minutes later with nothing heard: silent, said once.
    const later = new Date(Date.now() + 11 * 60_000);
    expect(await checkSilentSensors(vdb, { now: later })).toEqual({ silent: 1, created: 1 });
    expect(await checkSilentSensors(vdb, { now: later })).toEqual({ silent: 0, created: 0 });
    alerts = await listAlerts(vdb, SYSTEM_ACTOR, {});
    expect(alerts.items.map((a) => a.rule).sort()).toEqual(['sensor-silent', 'sensor-spool-overflow']);
    expect((await listSensors(vdb, SYSTEM_ACTOR))[0]!.silent).toBe(true);
  });
});
