/**
 * A device merge and monitoring, on real captures (test/fixtures/captures/PROVENANCE.md): 04-hl7-mllp.pcap,
 * the monitors 10.30.0.41 and 10.30.0.42 sending HL7 over MLLP to the interface engine 10.30.0.5, and
 * 04-hl7-mllp-vlan30.pcap, the same traffic tagged VLAN 30 (other bytes, so its counts add). SQLite and
 * PostgreSQL.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import { learnFromStoredTraffic } from '../../test/learn-baselines.js';
import { listAudit } from '../audit/audit-log.js';
import { importSource } from '../cli/commands/import.js';
import { mergeDevices, showDevice, updateDevice } from '../inventory/inventory-service.js';
import { findBaseline, listCommunications } from '../store/communication-store.js';
import type { VigilDatabase } from '../store/database.js';
import { getDevices } from '../store/device-store.js';
import { listAlerts } from './alerts-service.js';
import { approveBaselines, editBaselineEntry, showBaseline } from './baseline/baseline-service.js';
import { devicePeers } from './baseline/peers.js';

const captures = join(import.meta.dirname, '../../test/fixtures/captures');
const HL7 = join(captures, '04-hl7-mllp.pcap');
const HL7_VLAN30 = join(captures, '04-hl7-mllp-vlan30.pcap');

describe.each(DIALECTS)('a merge and the stored traffic on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await vdb.close();
  });

  /** The device's addresses and MACs dropped, as if it had been filed before anything tied them to it. */
  const forget = (deviceId: string) =>
    vdb.db.deleteFrom('device_identifiers').where('device_id', '=', deviceId).execute();
  const learn = () => learnFromStoredTraffic(vdb, 30);
  const entries = async (device: string) =>
    (await showBaseline(vdb, cliActor, { device })).entries.map((e) => `${e.kind}|${e.value}|${e.effect}`);

  it("repoints the duplicate's communications and folds its baseline into the record's approved one", async () => {
    await importCaptureFile(vdb, HL7);
    const engine = await showDevice(vdb, cliActor, '10.30.0.5');
    const monitor = await showDevice(vdb, cliActor, '10.30.0.41');
    await learn();
    await approveBaselines(vdb, cliActor, { device: engine.id });
    await approveBaselines(vdb, cliActor, { device: monitor.id });
    const approved = await showBaseline(vdb, cliActor, { device: engine.id });
    expect(await entries(monitor.id)).toContain(`hl7-receiver|device:${engine.id}|allow`);

    // The VLAN 30 capture files the engine again; its conversations are the duplicate's from then on.
    await forget(engine.id);
    await importCaptureFile(vdb, HL7_VLAN30);
    const duplicate = await showDevice(vdb, cliActor, '10.30.0.5');
    expect(duplicate.id).not.toBe(engine.id);
    expect(await listCommunications(vdb, { deviceId: engine.id })).toEqual([]);
    const before = await listCommunications(vdb, { deviceId: duplicate.id });
    expect(before.length).toBeGreaterThan(0);
    // Biomed names the first monitor's model; learning again gives the duplicate a baseline (still
    // learning) with the monitor as a model, and the monitor's baseline names the duplicate as receiver.
    await updateDevice(vdb, cliActor, monitor.id, { manufacturer: 'Philips', model: 'IntelliVue MX800' });
    const [named] = await getDevices(vdb, [monitor.id]);
    const modelId = named!.modelId!;
    await learn();
    expect(await entries(monitor.id)).toContain(`hl7-receiver|device:${duplicate.id}|allow`);
    expect(await entries(duplicate.id)).toContain(`peer|in:model:${modelId}|allow`);
    expect(await entries(engine.id)).not.toContain(`peer|in:model:${modelId}|allow`);
    await editBaselineEntry(vdb, cliActor, 'deny', {
      device: duplicate.id,
      kind: 'peer',
      value: 'in:internet',
      reason: 'the interface engine takes no HL7 from outside',
    });

    await mergeDevices(vdb, cliActor, duplicate.id, engine.id);

    // Every conversation is the engine's: the same rows, counts of both captures.
    expect(await listCommunications(vdb, { deviceId: duplicate.id })).toEqual([]);
    const after = await listCommunications(vdb, { deviceId: engine.id });
    expect(after).toEqual(before.map((c) => ({ ...c, serverDeviceId: engine.id })));
    const peers = await devicePeers(vdb, cliActor, engine.id);
    expect(peers.peers.map((p) => [p.ip, p.direction, p.ports])).toEqual(
      expect.arrayContaining([
        ['10.30.0.41', 'inbound', ['2575/tcp']],
        ['10.30.0.42', 'inbound', ['2575/tcp']],
      ]),
    );

    // One baseline, the engine's, still approved as it was; the person's deny came along, the learned
    // entry nobody approved did not.
    expect(await findBaseline(vdb, duplicate.id)).toBeUndefined();
    const folded = await showBaseline(vdb, cliActor, { device: engine.id });
    expect(folded).toMatchObject({
      id: approved.id,
      state: 'active',
      approvedBy: approved.approvedBy,
      approvedAt: approved.approvedAt,
    });
    const values = folded.entries.map((e) => `${e.kind}|${e.value}|${e.effect}`);
    expect(values).toContain('peer|in:internet|deny');
    expect(values).not.toContain(`peer|in:model:${modelId}|allow`);
    expect(values.filter((v) => v !== 'peer|in:internet|deny').sort()).toEqual(
      approved.entries.map((e) => `${e.kind}|${e.value}|${e.effect}`).sort(),
    );
    // The monitor's HL7 receiver is the engine again, and so is its peer: the engine has no class, so
    // the monitor's baseline names it by its device id, as a peer and in its learned volume.
    const monitorEntries = await entries(monitor.id);
    expect(monitorEntries).toContain(`hl7-receiver|device:${engine.id}|allow`);
    expect(monitorEntries).toContain(`peer|out:device:${engine.id}|allow`);
    expect(monitorEntries.filter((v) => v.includes(duplicate.id))).toEqual([]);
    const volume = (await showBaseline(vdb, cliActor, { device: monitor.id })).entries.find(
      (e) => e.kind === 'volume',
    )!;
    expect(Object.keys(volume.details['outPerDay'] as object)).toEqual([`device:${engine.id}|2575/tcp`]);

    expect((await listAudit(vdb, { action: 'device.merge' }))[0]!.summary).toMatchObject({
      communicationsMoved: before.length,
      communicationsDropped: 0,
      baselineEntriesMoved: 1,
      baselineEntriesDropped: 1,
    });
  });

  it('drops a conversation between the two records and moves a baseline the record did not have', async () => {
    await importCaptureFile(vdb, HL7);
    const engine = await showDevice(vdb, cliActor, '10.30.0.5');
    // The second monitor's address turns out to be the engine's other interface.
    const other = await showDevice(vdb, cliActor, '10.30.0.42');
    const between = await listCommunications(vdb, { deviceId: other.id });
    expect(between.length).toBeGreaterThan(0);
    expect(between.every((c) => c.serverDeviceId === engine.id)).toBe(true);
    // Biomed had filed the engine at the main campus and the "second monitor" at the west wing.
    await updateDevice(vdb, cliActor, engine.id, { site: 'Main Campus' });
    await updateDevice(vdb, cliActor, other.id, { site: 'West Wing' });
    const [engineRow, otherRow] = await getDevices(vdb, [engine.id, other.id]);
    expect(engineRow!.siteId).not.toBe(otherRow!.siteId);
    await learn();
    await approveBaselines(vdb, cliActor, { device: other.id });
    await vdb.db.deleteFrom('baselines').where('device_id', '=', engine.id).execute();
    const moved = await showBaseline(vdb, cliActor, { device: other.id });
    expect(moved.siteId).toBe(otherRow!.siteId);

    await mergeDevices(vdb, cliActor, other.id, engine.id);

    const left = await listCommunications(vdb);
    expect(left.filter((c) => c.clientDeviceId === c.serverDeviceId)).toEqual([]);
    expect(left.map((c) => c.clientIp)).not.toContain('10.30.0.42');
    expect((await devicePeers(vdb, cliActor, engine.id)).peers.map((p) => p.ip)).toEqual(['10.30.0.41']);
    // The "monitor" sent HL7 to the engine: its baseline named the engine as peer, HL7 receiver and in its
    // volume. Moved as they were, the engine's baseline would name the engine itself; they are gone.
    const own = [`peer|out:device:${engine.id}|allow`, `hl7-receiver|device:${engine.id}|allow`];
    expect(moved.entries.map((e) => `${e.kind}|${e.value}|${e.effect}`)).toEqual(expect.arrayContaining(own));
    const volumeOf = (b: typeof moved) => b.entries.find((e) => e.kind === 'volume')!;
    expect(Object.keys(volumeOf(moved).details['outPerDay'] as object)).toEqual([
      `device:${engine.id}|2575/tcp`,
    ]);
    const after = await showBaseline(vdb, cliActor, { device: engine.id });
    expect(after).toMatchObject({
      id: moved.id,
      deviceId: engine.id,
      state: 'active',
      approvedBy: moved.approvedBy,
      entries: moved.entries
        .filter((e) => !own.includes(`${e.kind}|${e.value}|${e.effect}`))
        .map((e) => (e.kind === 'volume' ? { ...e, details: { ...e.details, outPerDay: {} } } : e)),
      // The site decides which site-limited accounts see it: the record's, not the duplicate's.
      siteId: engineRow!.siteId,
    });
    expect(JSON.stringify(after.entries)).not.toContain(engine.id);
    expect((await listAudit(vdb, { action: 'device.merge' }))[0]!.summary).toMatchObject({
      communicationsMoved: 0,
      communicationsDropped: between.length,
      baselineEntriesMoved: moved.entries.length - own.length,
      baselineEntriesDropped: 0,
      // The two entries and the volume figure.
      baselineSelfEntriesDropped: 3,
    });
  });

  it("drops both baselines' entries naming the two as each other's peer; the rules leave the device's own traffic alone", async () => {
    await importCaptureFile(vdb, HL7);
    const engine = await showDevice(vdb, cliActor, '10.30.0.5');
    const monitor = await showDevice(vdb, cliActor, '10.30.0.41');
    // The second "monitor" is the engine's other interface, found out after both baselines were approved.
    const other = await showDevice(vdb, cliActor, '10.30.0.42');
    await learn();
    await approveBaselines(vdb, cliActor, { device: engine.id });
    await approveBaselines(vdb, cliActor, { device: other.id });
    await editBaselineEntry(vdb, cliActor, 'deny', {
      device: engine.id,
      kind: 'peer',
      value: `out:device:${other.id}`,
      reason: 'the engine never calls the monitors',
    });
    const engineBefore = await entries(engine.id);
    expect(engineBefore).toEqual(
      expect.arrayContaining([
        `peer|in:device:${other.id}|allow`,
        `peer|in:device:${monitor.id}|allow`,
        `peer|out:device:${other.id}|deny`,
      ]),
    );
    expect(await entries(other.id)).toEqual(
      expect.arrayContaining([
        `peer|out:device:${engine.id}|allow`,
        `hl7-receiver|device:${engine.id}|allow`,
      ]),
    );

    await mergeDevices(vdb, cliActor, other.id, engine.id);

    // The engine's baseline names neither itself nor its former duplicate: not as a peer (learned or
    // hand-made), not as HL7 receiver, not in its volume. The other monitor stays its peer.
    const folded = await showBaseline(vdb, cliActor, { device: engine.id });
    expect(JSON.stringify(folded.entries)).not.toContain(engine.id);
    expect(JSON.stringify(folded.entries)).not.toContain(other.id);
    expect(await entries(engine.id)).toEqual(engineBefore.filter((v) => !v.includes(other.id)));
    expect((await listAudit(vdb, { action: 'device.merge' }))[0]!.summary).toMatchObject({
      baselineEntriesMoved: 0,
      baselineEntriesDropped: 0,
      // The engine's in:device and hand-made out:device; the monitor's out:device, HL7 receiver and volume.
      baselineSelfEntriesDropped: 5,
    });

    // The VLAN 30 capture: the same HL7, now from one of the engine's addresses to the other. No rule
    // takes the engine for its own peer or HL7 receiver; patient data in clear text is news wherever it goes.
    await importSource(vdb, cliActor, HL7_VLAN30, { progress: false });
    const raised = (await listAlerts(vdb, cliActor, { deviceId: engine.id })).items;
    expect(raised.map((a) => `${a.rule} ${a.subject}`)).toEqual(['cleartext-phi hl7:2575']);
  });
});
