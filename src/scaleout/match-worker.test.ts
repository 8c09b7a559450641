/**
 * The match role on every dialect, on real CISA advisories (test/fixtures/advisories/csaf): an ingest-style
 * apply (`rematch: false`) that reveals a device's software version leaves its matches as they were and
 * queues the device; the match worker then stores exactly the matches a single-process import would have
 * (the reference database re-matched at once), empties the queue, and finds nothing more to do. Two match
 * workers on one queue share it without failing (one batch at a time).
 *
 * ICSMA-21-308-01 names `Philips` `Tasy EMR HTML5` `<= 3.06.1803` with CVE-2021-39375 and CVE-2021-39376;
 * VA-24-262-01 names `Planet Fitness Workouts` `0 < 9.8.12` with CVE-2024-43201 (read from the documents).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';
import { applySourceResult } from '../discovery/apply-source-result.js';
import type { HostObservation, SourceResult } from '../discovery/host-observation.js';
import { addDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { enqueueMatches, matchQueueDepth } from '../store/match-queue-store.js';
import { MatchWorker } from './match-worker.js';

const CSAF = join(import.meta.dirname, '../../test/fixtures/advisories/csaf');
const ADVISORIES = ['icsma-21-308-01.json', 'va-24-262-01.json'].map((f) => join(CSAF, f));

const DEVICES = [
  { assetTag: 'TASY-1', manufacturer: 'Philips', model: 'Tasy EMR HTML5', macs: ['00:09:fb:00:00:01'] },
  {
    assetTag: 'PF-1',
    manufacturer: 'Planet Fitness',
    model: 'Planet Fitness Workouts',
    macs: ['00:09:fb:00:00:02'],
  },
];

/** What a sensor saw: the software version of both devices (as a banner would tell it). */
function seen(): SourceResult {
  const evidence = { source: 'capture' as const, file: 'match-worker.test', summary: 'version banner' };
  const host = (mac: string, ip: string, version: string): HostObservation => ({
    macs: [mac],
    ips: [ip],
    hostnames: [],
    firstSeen: '2026-11-29T10:00:00.000Z',
    lastSeen: '2026-11-29T10:00:00.000Z',
    services: [],
    protocols: [],
    identity: { softwareVersion: { value: version, confidence: 0.9, evidence } },
    hints: [],
  });
  return {
    hosts: [
      host('00:09:fb:00:00:01', '10.1.1.1', '3.06.1700'),
      host('00:09:fb:00:00:02', '10.1.1.2', '9.8.11'),
    ],
    findings: [],
  };
}

async function matches(vdb: VigilDatabase): Promise<string[]> {
  const rows = await vdb.db
    .selectFrom('vulnerability_matches as m')
    .innerJoin('devices as d', 'd.id', 'm.device_id')
    .select(['d.asset_tag', 'm.vuln_key', 'm.status'])
    .execute();
  return rows.map((r) => `${r.asset_tag} ${r.vuln_key} ${r.status}`).sort();
}

describe.each(DIALECTS)('match role (%s)', (dialect) => {
  const dbs: VigilDatabase[] = [];
  afterAll(async () => {
    for (const d of dbs) await d.close();
  });

  async function fleet(): Promise<VigilDatabase> {
    const vdb = await freshDatabase(dialect);
    dbs.push(vdb);
    for (const d of DEVICES) await addDevice(vdb, cliActor, d);
    const r = await importAdvisoryPaths(vdb, cliActor, ADVISORIES);
    expect(r.files.map((f) => f.status)).toEqual(['imported', 'imported']);
    return vdb;
  }

  it('re-matches what ingest queued exactly as a single process does at once', async () => {
    const reference = await fleet();
    await applySourceResult(reference, cliActor, seen(), { kind: 'capture', file: 'sensor:north' });
    const want = await matches(reference);
    expect(want.filter((m) => m.endsWith(' affected'))).toEqual([
      'PF-1 CVE-2024-43201 affected',
      'TASY-1 CVE-2021-39375 affected',
      'TASY-1 CVE-2021-39376 affected',
    ]);

    const vdb = await fleet();
    const before = await matches(vdb);
    const applied = await applySourceResult(vdb, cliActor, seen(), {
      kind: 'capture',
      file: 'sensor:north',
      rematch: false,
    });
    // Not matched yet: the apply only queued.
    expect(await matches(vdb)).toEqual(before);
    expect(before).not.toEqual(want);
    await enqueueMatches(vdb, applied.deviceIds, new Date().toISOString());
    await enqueueMatches(vdb, applied.deviceIds, new Date().toISOString());
    expect(await matchQueueDepth(vdb)).toBe(4);

    const sut = new MatchWorker({ vdb });
    const r = await sut.runOnce();
    expect(r).toMatchObject({ rows: 4, devices: 2 });
    expect(await matches(vdb)).toEqual(want);
    expect(await matchQueueDepth(vdb)).toBe(0);
    expect(await sut.runOnce()).toBeNull();
    expect(await matches(vdb)).toEqual(want);
  });

  it('two match workers share one queue', async () => {
    const vdb = await fleet();
    const applied = await applySourceResult(vdb, cliActor, seen(), {
      kind: 'capture',
      file: 'sensor:north',
      rematch: false,
    });
    for (let i = 0; i < 10; i++) await enqueueMatches(vdb, applied.deviceIds, new Date().toISOString());
    const workers = [0, 1].map(() => new MatchWorker({ vdb, batchRows: 3, idleMs: 20 }));
    for (const w of workers) w.start();
    for (let i = 0; i < 500 && (await matchQueueDepth(vdb)) > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    for (const w of workers) await w.stop();
    expect(await matchQueueDepth(vdb)).toBe(0);
    expect(workers.reduce((n, w) => n + w.status().rows, 0)).toBe(20);
    expect(workers.map((w) => w.status().failedBatches)).toEqual([0, 0]);
    expect((await matches(vdb)).filter((m) => m.endsWith(' affected'))).toHaveLength(3);
  });
});
