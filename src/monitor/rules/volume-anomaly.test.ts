/**
 * Rule `volume-anomaly` on replayed flow summaries of a real capture: the CT's DICOM C-STORE to the PACS
 * in test/fixtures/captures/dicom-ct-store.pcap (dcmtk storescu → storescp, see PROVENANCE.md there). The
 * baseline is learned from that very conversation; the same summary replayed many times in one run (a
 * CT pushing far more studies than usual) or pointed at an internet address (exfiltration) is what the
 * rule must catch, and a normal day is not. Then the learned per-peer volume through the store and the
 * rule context on SQLite and PostgreSQL.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { learnFromStoredTraffic } from '../../../test/learn-baselines.js';
import { importSource } from '../../cli/commands/import.js';
import { analyzeCapture } from '../../discovery/capture-analyzer.js';
import type { FlowSummary } from '../../discovery/host-observation.js';
import { listCommunications, type StoredCommunication } from '../../store/communication-store.js';
import type { VigilDatabase } from '../../store/database.js';
import { approveBaselines } from '../baseline/baseline-service.js';
import { learnBaselines } from '../baseline/learn.js';
import type { DeviceFacts } from '../baseline/peer-role.js';
import { loadFlowRuleContext } from '../baseline/rule-context.js';
import type { BaselineFacts, FlowRuleContext } from './flow-rule-context.js';
import { VOLUME_DEFAULTS, type VolumeThresholds, volumeAnomalies } from './volume-anomaly.js';

const CAPTURE = join(import.meta.dirname, '../../../test/fixtures/captures/dicom-ct-store.pcap');
const INTERNET = '93.184.216.34';
/** Small floors, so the capture's one study (well under the production floors) can cross them. */
const TIGHT: VolumeThresholds = { factor: 10, floorBytes: 0, newPeerFloorBytes: 0 };

let store: FlowSummary;
let ct: DeviceFacts;
let pacs: DeviceFacts;

const device = (id: string, deviceClass: string): DeviceFacts => ({
  id,
  siteId: null,
  modelId: null,
  model: null,
  manufacturer: null,
  deviceClass,
  assetTag: id.toUpperCase(),
});

const asCommunication = (f: FlowSummary, i: number): StoredCommunication => ({
  id: `c${i}`,
  siteId: null,
  clientIp: f.client,
  serverIp: f.server,
  clientDeviceId: f.client === store.client ? ct.id : null,
  serverDeviceId: f.server === store.server ? pacs.id : null,
  port: f.port,
  transport: f.transport,
  protocol: f.protocol,
  connections: f.connections,
  packets: f.packets,
  bytes: f.bytes,
  established: f.established ?? null,
  firstSeen: f.firstSeen,
  lastSeen: f.lastSeen,
});

/** The CT's baseline learned over 7 days from one such conversation, in the state asked for. */
function context(state: BaselineFacts['state']): FlowRuleContext {
  const devices = new Map([
    [ct.id, ct],
    [pacs.id, pacs],
  ]);
  const learned = learnBaselines({
    communications: [asCommunication(store, 0)],
    devices,
    aeTitles: new Map(),
    days: 7,
  });
  const own = learned.find((b) => b.subject === ct.id)!;
  const volume = own.entries.find((e) => e.kind === 'volume')!.details as {
    outPerDay: Record<string, number>;
  };
  return {
    devices,
    deviceByIp: new Map([
      [store.client, ct.id],
      [store.server, pacs.id],
    ]),
    deviceBaselines: new Map([
      [
        ct.id,
        {
          id: 'b-ct',
          scope: 'device',
          state,
          allow: new Set(),
          deny: new Set(),
          volumeHigh: null,
          volumeOut: new Map(Object.entries(volume.outPerDay)),
          lastSeen: null,
        },
      ],
    ]),
    modelBaselines: new Map(),
    declaredServices: new Map(),
  };
}

const replay = (f: FlowSummary, times: number, patch: Partial<FlowSummary> = {}) =>
  Array.from({ length: times }, () => ({ ...f, ...patch }));

beforeAll(async () => {
  const r = await analyzeCapture(CAPTURE, { file: 'dicom-ct-store.pcap' });
  store = r.flows!.find((f) => f.protocol === 'dicom')!;
  ct = device('ct', 'imaging-ct');
  pacs = device('pacs', 'pacs');
});

describe('volume-anomaly on replayed flow summaries', () => {
  it('learns the CT’s outbound volume to the PACS per day', () => {
    expect(store.bytes).toBeGreaterThan(10_000);
    expect(context('active').deviceBaselines.get('ct')!.volumeOut).toEqual(
      new Map([['class:pacs|104/tcp', Math.round(store.bytes / 7)]]),
    );
  });

  it('is quiet for a normal day, at production thresholds and at tight ones', () => {
    for (const t of [VOLUME_DEFAULTS, TIGHT])
      expect(
        volumeAnomalies(context('active'), { result: { hosts: [], findings: [], flows: [store] } }, t),
      ).toEqual([]);
  });

  it('raises when the CT pushes far more to the PACS than its baseline, with the figures', () => {
    const flows = replay(store, 20);
    const [a, ...more] = volumeAnomalies(
      context('active'),
      { result: { hosts: [], findings: [], flows } },
      TIGHT,
    );
    expect(more).toEqual([]);
    const perDay = Math.round(store.bytes / 7);
    expect(a).toMatchObject({
      rule: 'volume-anomaly',
      severity: 'high',
      deviceId: 'ct',
      subject: `${store.client}→${store.server}:104/tcp`,
      details: {
        peerRole: 'class:pacs',
        bytes: 20 * store.bytes,
        connections: 20 * store.connections,
        baselineBytesPerDay: perDay,
        thresholdBytes: 10 * perDay,
        factor: 10,
        newPeer: false,
        protocol: 'dicom',
      },
    });
    expect(a!.evidence).toHaveLength(5);
    expect(a!.evidence[0]!.file).toBe('dicom-ct-store.pcap');
    expect(a!.evidence[0]!.summary).toMatch(/×.*baseline of .* per day \(threshold /);
    // Below the production floor (100 MB) the same replay stays quiet.
    expect(volumeAnomalies(context('active'), { result: { hosts: [], findings: [], flows } })).toEqual([]);
  });

  it('a modality sending a study’s worth to an internet address is critical at production thresholds', () => {
    // Enough replays of the real association to pass the 10 MB floor for new and internet peers.
    const times = Math.ceil(VOLUME_DEFAULTS.newPeerFloorBytes / store.bytes) + 1;
    const flows = replay(store, times, { server: INTERNET });
    const [a] = volumeAnomalies(context('active'), { result: { hosts: [], findings: [], flows } });
    expect(a).toMatchObject({
      severity: 'critical',
      subject: `${store.client}→${INTERNET}:104/tcp`,
      details: { peerRole: 'internet', newPeer: true, baselineBytesPerDay: 0, thresholdBytes: 10_000_000 },
    });
    expect(a!.title).toMatch(
      /^imaging-ct CT \(.+\) sent \d+\.\d MB to 93\.184\.216\.34 on 104\/tcp, far above its baseline$/,
    );
    // One replay fewer than the floor needs: quiet.
    const under = replay(store, Math.floor(VOLUME_DEFAULTS.newPeerFloorBytes / store.bytes), {
      server: INTERNET,
    });
    expect(volumeAnomalies(context('active'), { result: { hosts: [], findings: [], flows: under } })).toEqual(
      [],
    );
  });

  it('says nothing without an active baseline, and never blames the receiving side', () => {
    const flows = replay(store, 50, { server: INTERNET });
    expect(
      volumeAnomalies(context('learning'), { result: { hosts: [], findings: [], flows } }, TIGHT),
    ).toEqual([]);
    // The PACS received the data: the alerts name only the CT, the sender.
    const all = volumeAnomalies(
      context('active'),
      { result: { hosts: [], findings: [], flows: replay(store, 50) } },
      TIGHT,
    );
    expect(all.map((a) => a.deviceId)).toEqual(['ct']);
  });

  it('fires exactly when the replayed volume passes max(factor × baseline, floor)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 30 }), (times, factor) => {
        const t = { factor, floorBytes: 0, newPeerFloorBytes: 0 };
        const hits = volumeAnomalies(
          context('active'),
          { result: { hosts: [], findings: [], flows: replay(store, times) } },
          t,
        );
        expect(hits.length).toBe(times * store.bytes > factor * Math.round(store.bytes / 7) ? 1 : 0);
      }),
    );
  });
});

describe.each(DIALECTS)('learned per-peer volume through the store (%s)', (dialect) => {
  let vdb: VigilDatabase | undefined;
  afterEach(async () => {
    await vdb?.close();
    vdb = undefined;
  });

  it('stores outPerDay in the volume entry and the rule context reads it back', async () => {
    vdb = await freshDatabase(dialect);
    await importSource(vdb, cliActor, CAPTURE, { progress: false });
    const comms = await listCommunications(vdb);
    await learnFromStoredTraffic(vdb, 7);
    await approveBaselines(vdb, cliActor, { all: true });
    const ctx = await loadFlowRuleContext(vdb, {
      result: { hosts: [], findings: [], flows: [store] },
      devices: new Map(),
    });
    const ctId = ctx.deviceByIp.get(store.client)!;
    const sent = comms.filter((c) => c.clientIp === store.client).reduce((n, c) => n + c.bytes, 0);
    const out = ctx.deviceBaselines.get(ctId)!.volumeOut!;
    expect([...out.values()].reduce((n, v) => n + v, 0)).toBe(Math.round(sent / 7));
    const hits = volumeAnomalies(
      ctx,
      { result: { hosts: [], findings: [], flows: replay(store, 20) } },
      TIGHT,
    );
    expect(hits.map((h) => [h.deviceId, h.subject])).toEqual([
      [ctId, `${store.client}→${store.server}:104/tcp`],
    ]);
  });
});
