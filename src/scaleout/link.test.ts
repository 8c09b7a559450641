/**
 * The link between a site and the centre, against private nats-server processes: an outage (the server
 * stopped while the sensor keeps flushing) is spooled on disk and caught up in order once it is back,
 * ending with the same inventory as the single-process import; per-site NATS users limited to their own
 * subjects make a sensor of site A unable to publish as site B (permissions violation, nothing stored);
 * TLS with a private CA works, and is refused without that CA.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/dialects.js';
import {
  makeTestCertificates,
  natsServerBinaryAvailable,
  type PrivateNats,
  privateNats,
  uniqueNames,
} from '../../test/nats.js';
import { openCapture } from '../capture/open-capture.js';
import { createSite } from '../inventory/site-service.js';
import type { VigilDatabase } from '../store/database.js';
import { INGEST_ACTOR } from './actor.js';
import { IngestWorker } from './ingest-worker.js';
import { connectNats } from './nats-connection.js';
import { encodeObservation } from './observation-schema.js';
import { ObservationPublisher } from './publisher.js';
import { RemoteAnalysis } from './remote-sensor.js';
import { DiskSpool } from './spool.js';
import { ensureStreams } from './streams.js';
import { CAPTURES, drained, importCaptures, inventoryView, replayCapture } from './testing.js';

const BIN = natsServerBinaryAvailable();

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

async function site(vdb: VigilDatabase, name: string) {
  await createSite(vdb, INGEST_ACTOR, { name });
}

describe.skipIf(!BIN)('the link between a site and the centre', () => {
  it('spools while the centre is unreachable and catches up in order when it is back', async () => {
    const srv = await privateNats();
    cleanup.push(() => srv.dispose());
    const names = uniqueNames();
    const centre = await connect({ servers: srv.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    cleanup.push(() => centre.close());
    // A message the worker acknowledged just before the server stopped can come back after the
    // restart, as JetStream's at-least-once delivery allows (the ledger makes it change nothing), but
    // only once its ack wait has run out: seen here after ~28 s with the 30 s default. A short ack wait
    // keeps this test from idling through it.
    await ensureStreams(await centre.jetstreamManager(), names, { ackWaitSeconds: 3 });
    const vdb = await freshDatabase('sqlite');
    cleanup.push(() => vdb.close());
    await site(vdb, 'north');
    const worker = new IngestWorker({ nc: centre, vdb, names });
    await worker.start();
    cleanup.push(() => worker.stop());

    const sensorNc = await connectNats({ url: srv.url, waitOnFirstConnect: true });
    cleanup.push(() => sensorNc.close());
    const spoolDir = mkdtempSync(join(tmpdir(), 'vigil-outage-spool-'));
    // Before the outage: the DICOM capture goes straight through.
    await replayCapture({
      nc: sensorNc,
      names,
      site: 'north',
      sensor: 'n1',
      capture: join(CAPTURES, 'dicom-ct-store.pcap'),
      spoolDir,
    });
    await drained(centre, names);

    await srv.stop();
    const publisher = new ObservationPublisher({
      nc: sensorNc,
      prefix: names.prefix,
      site: 'north',
      sensor: 'n1',
      spool: new DiskSpool({ dir: spoolDir, maxBytes: 64 * 1024 * 1024 }),
      publishTimeoutMs: 500,
      retryMs: 200,
      maxMessageBytes: 2048,
    });
    const analysis = new RemoteAnalysis({ label: '07.pcap', evidenceSource: 'capture', publisher });
    // One flush (slices of a live capture may date a host differently than one whole import), split
    // into many small messages so the spool holds several, drained in order.
    await openCapture(join(CAPTURES, '07-telnet-ftp-ssh-mqtt.pcap'), { file: '07.pcap' }).forEach((p) => {
      analysis.packet(p);
    });
    await analysis.flush({ final: true });
    const during = publisher.status();
    expect(during.linkUp).toBe(false);
    expect(during.spool.records).toBeGreaterThan(3);

    await srv.start();
    for (let i = 0; i < 200; i++) {
      await publisher.drain();
      if (publisher.status().spool.records === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(publisher.status().spool.records).toBe(0);
    expect(publisher.status().linkUp).toBe(true);
    await drained(centre, names);
    await publisher.close();

    const ref = await freshDatabase('sqlite');
    cleanup.push(() => ref.close());
    await site(ref, 'north');
    await importCaptures(ref, { north: ['dicom-ct-store.pcap', '07-telnet-ftp-ssh-mqtt.pcap'] });
    expect(await inventoryView(vdb)).toEqual(await inventoryView(ref));
    // A private nats-server stopped and started again, two captures applied twice: minutes on a loaded
    // 2-core machine, seconds on a quiet one.
  }, 180_000);

  it('a sensor of one site cannot publish as another (per-site NATS users)', async () => {
    const names = uniqueNames();
    const p = names.prefix;
    const srv = await privateNats(`
accounts {
  VIGIL {
    jetstream: enabled
    users: [
      { user: centre, password: centre-pw }
      { user: north, password: north-pw, permissions: { publish: { allow: ["${p}.obs.north.>"] }, subscribe: { allow: ["_INBOX.>"] } } }
      { user: south, password: south-pw, permissions: { publish: { allow: ["${p}.obs.south.>"] }, subscribe: { allow: ["_INBOX.>"] } } }
    ]
  }
}`);
    cleanup.push(() => srv.dispose());
    const centre = await connect({ servers: srv.url, user: 'centre', pass: 'centre-pw' });
    cleanup.push(() => centre.close());
    const jsm = await centre.jetstreamManager();
    await ensureStreams(jsm, names);
    const north: NatsConnection = await connectNats({ url: srv.url, user: 'north', password: 'north-pw' });
    cleanup.push(() => north.close());
    const msg = (site: string) =>
      encodeObservation({
        schema: 'vigil.obs',
        v: 1,
        sensor: 'n1',
        site,
        epoch: 1,
        seq: 1,
        flush: 1,
        part: 0,
        parts: 1,
        at: new Date().toISOString(),
        kind: 'flows',
        flows: [],
      });
    const js = north.jetstream();
    // Its own site: accepted.
    const ok = await js.publish(`${p}.obs.north.flows`, msg('north'), { msgID: 'a', timeout: 2000 });
    expect(ok.seq).toBe(1);
    // South's subject (even with a body that says south): refused by the server.
    await expect(
      js.publish(`${p}.obs.south.flows`, msg('south'), { msgID: 'b', timeout: 2000 }),
    ).rejects.toThrow(/permission|timeout|503|no responders/i);
    const info = await jsm.streams.info(names.stream);
    expect(info.state.messages).toBe(1);
    const sub = await jsm.streams.getMessage(names.stream, { seq: 1 });
    expect(sub.subject).toBe(`${p}.obs.north.flows`);
    // Nor may it read the stream or other sites' traffic.
    await expect(
      jsm.streams
        .info(names.stream)
        .then(() => north.jetstreamManager())
        .then((m) => m.streams.info(names.stream)),
    ).rejects.toThrow();
  });

  it('talks TLS to a server with a certificate from a private CA, and refuses without that CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-nats-tls-'));
    const c = makeTestCertificates(dir);
    const srv: PrivateNats = await privateNats(`tls { cert_file: "${c.cert}", key_file: "${c.key}" }`);
    cleanup.push(() => srv.dispose());
    const url = `tls://127.0.0.1:${srv.port}`;
    const nc = await connectNats({ url, tlsCa: c.ca });
    cleanup.push(() => nc.close());
    const names = uniqueNames();
    await ensureStreams(await nc.jetstreamManager(), names);
    const ack = await nc.jetstream().publish(`${names.prefix}.obs.north.flows`, new Uint8Array([123, 125]));
    expect(ack.seq).toBe(1);
    await expect(connectNats({ url })).rejects.toThrow(/cannot connect to NATS/);
  });
});
