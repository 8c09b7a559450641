/**
 * Sensor health under two ingest workers (PostgreSQL, where they commit side by side): a batch with the
 * sensor's heartbeat and one without, applied at the same time, both count; the second waits for the
 * first instead of overwriting its packets with the row it read before the first committed.
 */
import { afterEach, expect, it } from 'vitest';
import { describeOnPostgres, freshDatabase } from '../../test/dialects.js';
import type { VigilDatabase } from '../store/database.js';
import { listSensorRows } from '../store/sensor-store.js';
import { transaction } from '../store/transaction.js';
import { recordSensorHealth } from './sensor-health.js';

describeOnPostgres('sensor health with two ingest workers', () => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  it("keeps both batches' effect when they are applied at once", async () => {
    vdb = await freshDatabase('postgres');
    const heartbeat = {
      version: 'test',
      startedAt: '2026-11-30T10:00:00.000Z',
      source: 'eth1',
      packets: 5000,
      bytes: 1_000_000,
      captureDrops: 0,
      spoolBytes: 0,
      spoolDropped: { low: 0, high: 0 },
    };
    const batch = (withHeartbeat: boolean, messages: number) => ({
      site: 'north',
      sensor: 'n1',
      messages,
      heartbeat: withHeartbeat ? heartbeat : null,
      sensorAt: '2026-11-30T10:05:00.000Z',
      receivedAt: '2026-11-30T10:05:01.000Z',
    });
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let firstApplied!: () => void;
    const applied = new Promise<void>((r) => {
      firstApplied = r;
    });
    // Worker one applies the batch with the heartbeat and has not committed yet…
    const one = transaction(vdb, async (tx) => {
      await recordSensorHealth(tx, batch(true, 3));
      firstApplied();
      await held;
    });
    await applied;
    // …when worker two applies a batch of the same sensor without one.
    const two = transaction(vdb, (tx) => recordSensorHealth(tx, batch(false, 2)));
    await new Promise((r) => setTimeout(r, 200));
    release();
    await Promise.all([one, two]);
    const [row] = await listSensorRows(vdb);
    expect(row).toMatchObject({ id: 'north/n1', packets: 5000, messages: 5 });
  });
});
