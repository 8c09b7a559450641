/**
 * `vigil serve --roles ingest` (the built binary) killed with SIGKILL in the middle of a stream of
 * observation messages, then started again: nothing is lost and nothing counted twice. The stream holds
 * many small messages from real captures; the first process is killed once some batches are committed;
 * what it had pulled but not acknowledged comes back (ack wait 2 s) to the second one, which applies
 * only what the ledger does not have. The result equals the single-process import of the captures.
 * PostgreSQL when VIGIL_TEST_PG is set (a schema of its own, via the URL's search_path), else SQLite.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, PG_URL } from '../../test/dialects.js';
import { freePort, NATS_URL, natsAvailable, uniqueNames } from '../../test/nats.js';
import { openCapture } from '../capture/open-capture.js';
import { createSite } from '../inventory/site-service.js';
import type { VigilDatabase } from '../store/database.js';
import { INGEST_ACTOR } from './actor.js';
import { namesFrom } from './nats-flags.js';
import { ObservationPublisher } from './publisher.js';
import { RemoteAnalysis } from './remote-sensor.js';
import { DiskSpool } from './spool.js';
import { deleteStreams, ensureStreams } from './streams.js';
import { CAPTURES, drained, importCaptures, inventoryView } from './testing.js';

const NATS = await natsAvailable();
const root = resolve(import.meta.dirname, '../..');
const FILES = [
  '01-dhcp-dns-mdns.pcap',
  '04-hl7-mllp.pcap',
  '07-telnet-ftp-ssh-mqtt.pcap',
  'nmap-legacy-host.pcap',
];

describe.skipIf(!NATS)('an ingest process killed mid-stream', { timeout: 180_000 }, () => {
  // The names `vigil serve --nats-prefix P --nats-stream S` derives.
  const unique = uniqueNames();
  const names = namesFrom({ natsPrefix: unique.prefix, natsStream: unique.stream });
  let nc: NatsConnection;
  const open: VigilDatabase[] = [];
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (nc) {
      await deleteStreams(await nc.jetstreamManager(), names);
      await nc.close();
    }
    for (const d of open) await d.close();
  });

  it('loses nothing and duplicates nothing after SIGKILL and restart', async () => {
    nc = await connect({ servers: NATS_URL });
    await ensureStreams(await nc.jetstreamManager(), names, { ackWaitSeconds: 2 });
    const dialect = PG_URL ? 'postgres' : 'sqlite';
    let dbUrl: string;
    let vdb: VigilDatabase;
    if (PG_URL) {
      vdb = await freshDatabase('postgres');
      // (pg reads `options` from the URL; the space must be %20, not URLSearchParams' +)
      dbUrl = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${vdb.schema}`)}`;
    } else {
      const file = join(mkdtempSync(join(tmpdir(), 'vigil-crash-')), 'centre.db');
      dbUrl = `sqlite:${file}`;
      const { openDatabase } = await import('../store/database.js');
      const { migrateToLatest } = await import('../store/migrate.js');
      vdb = await openDatabase(dbUrl);
      await migrateToLatest(vdb);
    }
    open.push(vdb);
    await createSite(vdb, INGEST_ACTOR, { name: 'north' });

    // The stream: every capture as one flush of one sensor, in ~1 kB messages (one host each).
    const publisher = new ObservationPublisher({
      nc,
      prefix: names.prefix,
      site: 'north',
      sensor: 'tap1',
      spool: new DiskSpool({ dir: mkdtempSync(join(tmpdir(), 'vigil-crash-spool-')), maxBytes: 1e8 }),
      maxMessageBytes: 1024,
    });
    for (const f of FILES) {
      const a = new RemoteAnalysis({ label: f, evidenceSource: 'capture', publisher });
      await openCapture(join(CAPTURES, f), { file: f }).forEach((p) => {
        a.packet(p);
      });
      await a.flush({ final: true });
    }
    await publisher.close();
    const total = (await (await nc.jetstreamManager()).streams.info(names.stream)).state.messages;
    expect(total).toBeGreaterThan(40);

    const port = await freePort();
    const start = () => {
      const child = spawn(
        process.execPath,
        [
          join(root, 'bin/vigil.js'),
          'serve',
          '--roles',
          'ingest',
          '--nats',
          NATS_URL,
          '--nats-prefix',
          names.prefix,
          '--nats-stream',
          names.stream,
          '--ingest-max-batch',
          '2',
          '--port',
          String(port),
        ],
        {
          env: { ...process.env, VIGIL_DB: dbUrl, VIGIL_LOG_LEVEL: 'error' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      children.push(child);
      // Its errors, if any, help when this fails; the start-up line does not.
      child.stderr?.on('data', (d: Buffer) => {
        if (!String(d).startsWith('Vigil listening')) process.stderr.write(`[ingest] ${d}`);
      });
      return child;
    };
    const applied = async () =>
      Number(
        (
          await vdb.db
            .selectFrom('sensor_messages')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirst()
        )?.n ?? 0,
      );

    // A child that already exited (it failed to start: its stderr is above) fires no 'exit' again.
    const exited = (c: ChildProcess) =>
      c.exitCode !== null || c.signalCode !== null
        ? Promise.resolve()
        : new Promise((r) => c.once('exit', r));
    const first = start();
    for (let i = 0; i < 600 && first.exitCode === null && (await applied()) < 10; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(first.exitCode, 'the first ingest process exited by itself (see [ingest] above)').toBeNull();
    first.kill('SIGKILL');
    await exited(first);
    const atKill = await applied();
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(total);

    const second = start();
    await drained(nc, names, 120_000);
    second.kill('SIGTERM');
    await exited(second);

    expect(await applied()).toBe(total);
    const ref = await freshDatabase(dialect);
    open.push(ref);
    await createSite(ref, INGEST_ACTOR, { name: 'north' });
    await importCaptures(ref, { north: FILES });
    expect(await inventoryView(vdb)).toEqual(await inventoryView(ref));
  });
});
