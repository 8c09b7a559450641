/**
 * A device merge and the record's alerts, on real captures (test/fixtures/captures/PROVENANCE.md):
 * 04-hl7-mllp.pcap, the monitors 10.30.0.41 and 10.30.0.42 sending HL7 over MLLP to the interface engine
 * 10.30.0.5 (last packets 23:55:09), its VLAN 30 copy 04-hl7-mllp-vlan30.pcap (the same frames), and
 * 07-telnet-ftp-ssh-mqtt.pcap, whose 10.20.0.60 is last seen twenty seconds later (23:55:29). SQLite and
 * PostgreSQL.
 */
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import { learnFromStoredTraffic } from '../../test/learn-baselines.js';
import { NATS_URL, natsAvailable, uniqueNames } from '../../test/nats.js';
import type { Actor } from '../accounts/actor.js';
import { permissionsOf } from '../accounts/permissions.js';
import { listAudit } from '../audit/audit-log.js';
import { importSource } from '../cli/commands/import.js';
import { mergeDevices, showDevice, updateDevice } from '../inventory/inventory-service.js';
import { JetStreamEventBus } from '../scaleout/jetstream-bus.js';
import { deleteStreams, ensureStreams } from '../scaleout/streams.js';
import type { VigilDatabase } from '../store/database.js';
import { getDevices } from '../store/device-store.js';
import { type AlertState, getAlert, listAlerts } from './alerts-service.js';
import { checkAvailability } from './baseline/availability.js';
import { approveBaselines, editBaselineEntry } from './baseline/baseline-service.js';
import { type EventBus, InProcessEventBus, type VigilEvents } from './event-bus.js';

const captures = join(import.meta.dirname, '../../test/fixtures/captures');
const HL7 = join(captures, '04-hl7-mllp.pcap');
const HL7_VLAN30 = join(captures, '04-hl7-mllp-vlan30.pcap');
const TELNET = join(captures, '07-telnet-ftp-ssh-mqtt.pcap');

describe.each(DIALECTS)("a merge and the record's alerts on %s", (dialect) => {
  let vdb: VigilDatabase;
  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await vdb.close();
  });

  const learn = () => learnFromStoredTraffic(vdb, 30);
  const alertsOf = async (deviceId: string) =>
    (await listAlerts(vdb, cliActor, { deviceId })).items.map((a) => ({
      rule: a.rule,
      subject: a.subject,
      state: a.state,
      id: a.id,
      siteId: a.siteId,
    }));
  const siteEngineer = (siteId: string): Actor => ({
    kind: 'user',
    id: 'u-site',
    name: 'site-engineer',
    role: 'clinical-engineer',
    permissions: permissionsOf('clinical-engineer'),
    siteIds: [siteId],
  });
  const deny = (device: string, kind: string, value: string) =>
    editBaselineEntry(vdb, cliActor, 'deny', { device, kind, value, reason: 'not without a change ticket' });

  it('resolves open alerts about the two records talking to each other, and only those', async () => {
    await importCaptureFile(vdb, HL7);
    const engine = await showDevice(vdb, cliActor, '10.30.0.5');
    const monitor = await showDevice(vdb, cliActor, '10.30.0.41');
    const other = await showDevice(vdb, cliActor, '10.30.0.42');
    await learn();
    await approveBaselines(vdb, cliActor, { device: engine.id });
    await approveBaselines(vdb, cliActor, { device: other.id });
    // Security denies what the two learned of each other (and the engine's other monitor); Biomed names
    // the second monitor's model, so the engine judges it by model and its alerts name only its address.
    await deny(engine.id, 'peer', `in:device:${monitor.id}`);
    await deny(other.id, 'peer', `out:device:${engine.id}`);
    await deny(other.id, 'hl7-receiver', `device:${engine.id}`);
    await updateDevice(vdb, cliActor, other.id, { manufacturer: 'Philips', model: 'IntelliVue MX800' });
    await importSource(vdb, cliActor, HL7_VLAN30, { progress: false });

    const peerRules = ['new-peer', 'hl7-unknown-receiver', 'lateral-medical', 'volume-anomaly'];
    const before = (await alertsOf(engine.id)).filter((a) => peerRules.includes(a.rule));
    const duplicates = (await alertsOf(other.id)).filter((a) => peerRules.includes(a.rule));
    expect(before.map((a) => `${a.rule} ${a.subject} ${a.state}`).sort()).toEqual([
      'new-peer in:10.30.0.41→10.30.0.5:2575/tcp new',
      'new-peer in:10.30.0.42→10.30.0.5:2575/tcp new',
    ]);
    expect(duplicates.map((a) => `${a.rule} ${a.subject} ${a.state}`).sort()).toEqual([
      'hl7-unknown-receiver 10.30.0.42→10.30.0.5:2575/tcp new',
      'new-peer out:10.30.0.42→10.30.0.5:2575/tcp new',
    ]);
    const unrelated = (await alertsOf(engine.id)).filter((a) => !peerRules.includes(a.rule));
    const moving = (await alertsOf(other.id)).length;

    // The second "monitor" is the engine's other interface.
    const bus = new InProcessEventBus();
    const changes: VigilEvents['alert-state-changed'][] = [];
    bus.subscribe('alert-state-changed', (e) => void changes.push(e));
    await mergeDevices(vdb, cliActor, other.id, engine.id, { bus });
    await bus.idle();

    const after = await alertsOf(engine.id);
    const stateOf = (rule: string, subject: string) =>
      after.find((a) => a.rule === rule && a.subject === subject)?.state;
    // By address (the monitor is a model to the engine), by the engine's device id as peer and receiver.
    expect(stateOf('new-peer', 'in:10.30.0.42→10.30.0.5:2575/tcp')).toBe('resolved');
    expect(stateOf('new-peer', 'out:10.30.0.42→10.30.0.5:2575/tcp')).toBe('resolved');
    expect(stateOf('hl7-unknown-receiver', '10.30.0.42→10.30.0.5:2575/tcp')).toBe('resolved');
    // The other monitor is still someone else, and nothing else changes state.
    expect(stateOf('new-peer', 'in:10.30.0.41→10.30.0.5:2575/tcp')).toBe('new');
    for (const u of unrelated) expect(after.find((a) => a.id === u.id)?.state).toBe(u.state);

    const resolved = await getAlert(
      vdb,
      cliActor,
      after.find((a) => a.subject === 'in:10.30.0.42→10.30.0.5:2575/tcp')!.id,
    );
    expect(resolved.stateReason).toContain(`${other.id} was merged into ${engine.id}`);
    expect(resolved.stateBy).toBe(cliActor.name);
    expect(resolved.events.at(-1)).toMatchObject({
      action: 'state',
      fromState: 'new',
      toState: 'resolved',
      reason: resolved.stateReason,
      details: { merge: { source: other.id, into: engine.id } },
    });
    const audited = (await listAudit(vdb, { action: 'alert.state' })).filter(
      (e) => e.targetId === resolved.id,
    );
    expect(audited.map((e) => e.summary)).toEqual([
      expect.objectContaining({
        after: { state: 'resolved' },
        reason: resolved.stateReason,
        merge: { source: other.id, into: engine.id },
      }),
    ]);
    expect((await listAudit(vdb, { action: 'device.merge' }))[0]!.summary).toMatchObject({
      alertsMoved: moving,
      ownTrafficAlertsResolved: 3,
      notSeenAlertsResolved: 0,
    });
    // Each resolution is published as a person's resolution is: subscribers (syslog, webhooks) hear of it.
    const resolvedIds = after.filter((a) => a.state === 'resolved').map((a) => a.id);
    expect(changes.map((c) => c.alert.id).sort()).toEqual(resolvedIds.sort());
    for (const c of changes)
      expect(c).toEqual({
        alert: expect.objectContaining({ state: 'resolved', deviceId: engine.id, stateReason: c.reason }),
        from: 'new',
        to: 'resolved',
        actor: cliActor.name,
        reason: expect.stringContaining(`${other.id} was merged into ${engine.id}`),
      });
  });

  it("puts the duplicate's alerts at the record's site, as a site change puts a device's alerts at its new site", async () => {
    await importSource(vdb, cliActor, HL7, { progress: false });
    const engine = await showDevice(vdb, cliActor, '10.30.0.5');
    const other = await showDevice(vdb, cliActor, '10.30.0.42');
    const raised = await alertsOf(other.id);
    // The import raised cleartext-phi for the monitor's HL7 before anyone filed it at a site.
    expect(raised.length).toBeGreaterThan(0);
    expect(raised.every((a) => a.siteId === null)).toBe(true);

    await updateDevice(vdb, cliActor, engine.id, { site: 'Main Campus' });
    await updateDevice(vdb, cliActor, other.id, { site: 'West Wing' });
    const [engineRow, otherRow] = await getDevices(vdb, [engine.id, other.id]);
    const [main, west] = [engineRow!.siteId!, otherRow!.siteId!];
    // Filed at the west wing: its alerts are there, where the west wing's engineer works.
    expect((await alertsOf(other.id)).map((a) => a.siteId)).toEqual(raised.map(() => west));
    const westSees = await listAlerts(vdb, siteEngineer(west), { deviceId: other.id });
    expect(westSees.items.map((a) => a.id).sort()).toEqual(raised.map((a) => a.id).sort());

    await mergeDevices(vdb, cliActor, other.id, engine.id);

    const moved = (await alertsOf(engine.id)).filter((a) => raised.some((r) => r.id === a.id));
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((a) => a.siteId === main)).toBe(true);
    const mainSees = (await listAlerts(vdb, siteEngineer(main), { deviceId: engine.id })).items;
    expect(mainSees.map((a) => a.id)).toEqual(expect.arrayContaining(moved.map((a) => a.id)));
    expect((await listAlerts(vdb, siteEngineer(west), { deviceId: engine.id })).items).toEqual([]);
    expect((await listAudit(vdb, { action: 'device.merge' }))[0]!.summary).toMatchObject({
      alertsResited: moved.length,
    });
  });

  it('resolves a device-not-seen alert the merged record was seen in time to answer, not one it was not', async () => {
    await importCaptureFile(vdb, HL7);
    await importCaptureFile(vdb, TELNET);
    const first = await showDevice(vdb, cliActor, '10.30.0.41');
    const second = await showDevice(vdb, cliActor, '10.30.0.42');
    // Both monitors moved to the 10.20 network, where the telnet capture filed them again as 10.20.0.60.
    const record = await showDevice(vdb, cliActor, '10.20.0.60');
    expect(record.lastSeen).toBe('2026-11-28T23:55:29.826Z');
    await learn();
    await approveBaselines(vdb, cliActor, { device: first.id });
    await approveBaselines(vdb, cliActor, { device: second.id });

    // An hour and ten seconds after the monitors' last packets (23:55:09): both silent for over an hour,
    // while 10.20.0.60 was seen within the hour.
    await checkAvailability(vdb, cliActor, { hours: 1, now: new Date('2026-11-29T00:55:20Z') });
    const notSeen = async (id: string) => (await alertsOf(id)).filter((a) => a.rule === 'device-not-seen');
    expect((await notSeen(first.id)).map((a) => a.state)).toEqual(['new']);

    await mergeDevices(vdb, cliActor, first.id, record.id);

    const [answered] = await notSeen(record.id);
    expect(answered!.state).toBe('resolved');
    const detail = await getAlert(vdb, cliActor, answered!.id);
    expect(detail.stateReason).toContain('2026-11-28T23:55:29.826Z');
    expect((await listAudit(vdb, { action: 'device.merge' }))[0]!.summary).toMatchObject({
      notSeenAlertsResolved: 1,
      ownTrafficAlertsResolved: 0,
    });

    // At one o'clock neither the second monitor nor the record (with the first's baseline now) was seen
    // within the hour: merged, the alert still holds.
    await checkAvailability(vdb, cliActor, { hours: 1, now: new Date('2026-11-29T01:00:00Z') });
    await mergeDevices(vdb, cliActor, second.id, record.id);
    expect((await notSeen(record.id)).map((a) => a.state)).toEqual(['new']);
    expect((await listAudit(vdb, { action: 'device.merge' }))[0]!.summary).toMatchObject({
      notSeenAlertsResolved: 0,
    });
  });
});

/** The merge's resolutions on every bus: the in-process one, and NATS JetStream when a server is reachable. */
const BUSES: [string, () => Promise<EventBus & { close?: () => Promise<void> }>][] = [
  ['in-process', async () => new InProcessEventBus()],
];
let nc: NatsConnection | undefined;
const names = uniqueNames();
if (await natsAvailable()) {
  BUSES.push([
    'JetStream',
    async () => {
      if (!nc) {
        nc = await connect({ servers: NATS_URL });
        await ensureStreams(await nc.jetstreamManager(), names);
      }
      return new JetStreamEventBus(nc, { prefix: names.prefix, stream: names.eventStream });
    },
  ]);
}
afterAll(async () => {
  if (!nc) return;
  await deleteStreams(await nc.jetstreamManager(), names);
  await nc.close();
});

describe.each(DIALECTS.flatMap((d) => BUSES.map(([name, make]) => ({ d, name, make }))))(
  'a merge publishes the alerts it resolves ($d, $name bus)',
  ({ d, make }) => {
    it('alert-state-changed for the device-not-seen it answers, after the commit; nothing when it resolves none', async () => {
      const vdb = await freshDatabase(d);
      const bus = await make();
      try {
        await importCaptureFile(vdb, HL7);
        await importCaptureFile(vdb, TELNET);
        const first = await showDevice(vdb, cliActor, '10.30.0.41');
        const second = await showDevice(vdb, cliActor, '10.30.0.42');
        const record = await showDevice(vdb, cliActor, '10.20.0.60');
        await learnFromStoredTraffic(vdb, 30);
        await approveBaselines(vdb, cliActor, { device: first.id });
        await approveBaselines(vdb, cliActor, { device: second.id });
        await checkAvailability(vdb, cliActor, { hours: 1, now: new Date('2026-11-29T00:55:20Z') });
        // What a subscriber reads of the alert when the event reaches it: the merge has committed.
        const heard: { event: VigilEvents['alert-state-changed']; stored: AlertState }[] = [];
        bus.subscribe('alert-state-changed', async (event) => {
          heard.push({ event, stored: (await getAlert(vdb, cliActor, event.alert.id)).state });
        });

        await mergeDevices(vdb, cliActor, first.id, record.id, { bus });
        await bus.idle();

        const [answered] = (await listAlerts(vdb, cliActor, { deviceId: record.id, rule: 'device-not-seen' }))
          .items;
        expect(answered!.state).toBe('resolved');
        expect(heard).toEqual([
          {
            event: {
              alert: expect.objectContaining({
                id: answered!.id,
                rule: 'device-not-seen',
                deviceId: record.id,
                state: 'resolved',
                stateBy: cliActor.name,
              }),
              from: 'new',
              to: 'resolved',
              actor: cliActor.name,
              reason: answered!.stateReason,
            },
            stored: 'resolved',
          },
        ]);

        // Merged later, the second monitor answers nothing: no alert changes, no event.
        await checkAvailability(vdb, cliActor, { hours: 1, now: new Date('2026-11-29T01:00:00Z') });
        await mergeDevices(vdb, cliActor, second.id, record.id, { bus });
        await bus.idle();
        expect(heard).toHaveLength(1);
      } finally {
        await bus.close?.();
        await vdb.close();
      }
    });
  },
);
