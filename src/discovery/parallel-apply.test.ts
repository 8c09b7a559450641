/**
 * Observation ingest on PostgreSQL locks identity keys, not the whole inventory (store/locks.ts), and
 * appends its audit entries at the end of its transaction (deferAudit): two sources that see the same new
 * MAC at once still create one device, and two with different devices run side by side, the second
 * committing while the first still holds its transaction open. The hosts come from a real capture.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeOnPostgres, freshDatabase } from '../../test/dialects.js';
import { deferAudit, listAudit, verifyAuditChain } from '../audit/audit-log.js';
import { identityLockKeys, observationKeys } from '../inventory/observation.js';
import { INGEST_ACTOR } from '../scaleout/actor.js';
import { CAPTURES } from '../scaleout/testing.js';
import type { VigilDatabase } from '../store/database.js';
import { transaction } from '../store/transaction.js';
import { applySourceResult } from './apply-source-result.js';
import { analyzeCapture } from './capture-analyzer.js';
import type { HostObservation, SourceResult } from './host-observation.js';

function signal(): { wait: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const wait = new Promise<void>((r) => {
    fire = r;
  });
  return { wait, fire };
}

const only = (host: HostObservation): SourceResult => ({ hosts: [host], findings: [] });
const apply = (tx: Parameters<typeof applySourceResult>[0], host: HostObservation, file: string) =>
  applySourceResult(tx, INGEST_ACTOR, only(host), { kind: 'capture', file, rematch: false });

describe('identity lock keys', () => {
  it('locks strong keys exclusively, and weak keys exclusively only for a sighting without strong keys', async () => {
    const file = '01-dhcp-dns-mdns.pcap';
    const host = (await analyzeCapture(join(CAPTURES, file), { file })).hosts.find(
      (h) => h.macs.length && h.ips.length,
    )!;
    const withMac = identityLockKeys(observationKeys(host));
    expect(withMac.filter((k) => k.key.startsWith('mac:')).every((k) => k.exclusive)).toBe(true);
    expect(withMac.filter((k) => k.key.startsWith('ip:')).map((k) => k.exclusive)).toEqual(
      host.ips.map(() => false),
    );
    // The same host seen by IP only (routed traffic): it may be staged on its IP, so the IP is its own.
    const ipOnly = identityLockKeys(observationKeys({ ...host, macs: [] }));
    expect(ipOnly.length).toBeGreaterThan(0);
    expect(ipOnly.every((k) => k.exclusive)).toBe(true);
  });
});

describeOnPostgres('parallel observation ingest on PostgreSQL', () => {
  let vdb: VigilDatabase;
  let hosts: HostObservation[];
  beforeAll(async () => {
    vdb = await freshDatabase('postgres');
    const file = '01-dhcp-dns-mdns.pcap';
    hosts = (await analyzeCapture(join(CAPTURES, file), { file })).hosts.filter((h) => h.macs.length);
  });
  afterAll(async () => {
    await vdb.close();
  });
  const devicesOf = async (host: HostObservation) =>
    (
      await vdb.db
        .selectFrom('device_identifiers')
        .select('device_id')
        .where('kind', '=', 'mac')
        .where('value', '=', host.macs[0]!)
        .executeTakeFirstOrThrow()
    ).device_id;

  it('two transactions that see one new MAC at once create one device', async () => {
    const host = hosts[0]!;
    const applied = signal();
    const t1 = transaction(vdb, (tx) =>
      deferAudit(tx, async () => {
        const r = await apply(tx, host, 'first');
        applied.fire();
        // Hold the new, uncommitted device while the second transaction resolves the same MAC.
        await new Promise((r) => setTimeout(r, 300));
        return r;
      }),
    );
    await applied.wait;
    const t2 = transaction(vdb, (tx) => apply(tx, host, 'second'));
    const [r1, r2] = await Promise.all([t1, t2]);
    expect(r1.devices.staged).toBe(1);
    // The second waited for the first's key lock, then found its device.
    expect(r2.devices.staged).toBe(0);
    expect(r2.deviceIds).toEqual(r1.deviceIds);
    const owners = await vdb.db
      .selectFrom('device_identifiers')
      .select('device_id')
      .distinct()
      .where('kind', '=', 'mac')
      .where('value', '=', host.macs[0]!)
      .execute();
    expect(owners).toHaveLength(1);
    expect((await verifyAuditChain(vdb)).ok).toBe(true);
  });

  it('two transactions with different devices overlap: the second commits while the first is open', async () => {
    // Two other hosts of the capture that share no identity key (MAC, IP, hostname).
    const rest = hosts.slice(1);
    const keysOf = (h: HostObservation) => new Set(identityLockKeys(observationKeys(h)).map((k) => k.key));
    const [x, y] = (() => {
      for (const a of rest)
        for (const b of rest) if (a !== b && ![...keysOf(a)].some((k) => keysOf(b).has(k))) return [a, b];
      throw new Error('the capture has no two hosts with disjoint keys');
    })();
    const order: string[] = [];
    const applied = signal();
    const secondDone = signal();
    const t1 = transaction(vdb, (tx) =>
      // As the ingest worker does: the batch's audit entries wait for its end.
      deferAudit(tx, async () => {
        await apply(tx, x!, 'batch-1');
        applied.fire();
        // Wait for the second to commit; if it were blocked by this transaction, go on after a while
        // (so the test fails instead of hanging) and let the order below tell.
        await Promise.race([secondDone.wait, new Promise((r) => setTimeout(r, 15_000))]);
        order.push('first commits');
      }),
    );
    await applied.wait;
    const t2 = transaction(vdb, (tx) => apply(tx, y!, 'batch-2')).then(() => {
      order.push('second committed');
      secondDone.fire();
    });
    await Promise.all([t1, t2]);
    expect(order).toEqual(['second committed', 'first commits']);
    // Each transaction's entries are there, in its order (the device's, then the import's), appended
    // together when it committed: the second's before the first's.
    const entries = await listAudit(vdb, { limit: 50 });
    const seqOf = (action: string, pick: (e: (typeof entries)[number]) => boolean) =>
      entries.find((e) => e.action === action && pick(e))!.seq;
    const [dx, dy] = [await devicesOf(x!), await devicesOf(y!)];
    const firstStage = seqOf('device.stage', (e) => e.targetId === dx);
    const secondStage = seqOf('device.stage', (e) => e.targetId === dy);
    expect(seqOf('capture.import', (e) => e.summary['file'] === 'batch-1')).toBe(firstStage + 1);
    expect(seqOf('capture.import', (e) => e.summary['file'] === 'batch-2')).toBe(secondStage + 1);
    expect(secondStage).toBeLessThan(firstStage);
    expect((await verifyAuditChain(vdb)).ok).toBe(true);
  }, 60_000);
});
