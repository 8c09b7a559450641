/**
 * Communications, peers, baselines and the flow rules end to end on real captures imported the way
 * `vigil import` does (test/fixtures/captures and test/fixtures/monitor; provenance in the PROVENANCE.md
 * files there): ct → PACS DICOM, HL7 over MLLP, a workstation's association with a wrong AE title, a real
 * nmap scan, and a real HTTP connection to an internet address (Zeek's NFLOG trace). SQLite and PostgreSQL.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiHarness } from '../../../test/api-harness.js';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { learnFromStoredTraffic } from '../../../test/learn-baselines.js';
import { nmapScanEndpoints, nmapScanPorts } from '../../../test/nmap-oracle.js';
import { importSource } from '../../cli/commands/import.js';
import { addDevice, resolveDevice, updateDevice } from '../../inventory/inventory-service.js';
import { listCommunications } from '../../store/communication-store.js';
import type { VigilDatabase } from '../../store/database.js';
import { checkAvailability } from './availability.js';
import {
  approveBaselines,
  editBaselineEntry,
  learnBaselinesFromTraffic,
  listBaselineViews,
  showBaseline,
} from './baseline-service.js';
import { devicePeers } from './peers.js';

const fixtures = join(import.meta.dirname, '../../../test/fixtures');
const fixture = (name: string) => join(fixtures, name);
const LEGACY = '00:a0:aa:5b:00:40';
const CT = '44:4b:5d:c7:21:01';
const PACS = '02:00:5e:20:00:10';
const MONITOR = '00:09:5c:41:00:41';

const alertsOf = (vdb: VigilDatabase) =>
  vdb.db
    .selectFrom('alerts')
    .select(['rule', 'subject', 'device_id', 'severity', 'details', 'evidence'])
    .execute();

const learnAll = (vdb: VigilDatabase) => learnFromStoredTraffic(vdb, 365);

describe.each(DIALECTS)('communications and baselines (%s)', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  it('stores conversations with devices resolved; re-importing the same file does not double counts', async () => {
    vdb = await freshDatabase(dialect);
    const first = await importSource(vdb, cliActor, fixture('captures/07-telnet-ftp-ssh-mqtt.pcap'), {
      progress: false,
    });
    expect(first.stats).toBeDefined();
    const once = await listCommunications(vdb);
    const legacy = await resolveDevice(vdb, cliActor, LEGACY);
    const telnet = once.find((c) => c.port === 23)!;
    // tshark: 1 connection, 32 frames, 305 payload bytes (test/fixtures/monitor/expected).
    expect(telnet).toMatchObject({
      clientIp: '10.20.0.50',
      serverIp: '10.20.0.40',
      serverDeviceId: legacy.id,
      transport: 'tcp',
      protocol: 'telnet',
      connections: 1,
      packets: 32,
      bytes: 305,
    });
    expect(telnet.clientDeviceId).not.toBeNull();
    await importSource(vdb, cliActor, fixture('captures/07-telnet-ftp-ssh-mqtt.pcap'), { progress: false });
    expect(await listCommunications(vdb)).toEqual(once);
    expect(await listCommunications(vdb, { deviceId: legacy.id })).toHaveLength(once.length);
    expect(await listCommunications(vdb, { since: '2999-01-01T00:00:00.000Z' })).toEqual([]);
  });

  it('lists a device’s peers with role, ports, protocols and volume', async () => {
    vdb = await freshDatabase(dialect);
    await importSource(vdb, cliActor, fixture('captures/07-telnet-ftp-ssh-mqtt.pcap'), { progress: false });
    const r = await devicePeers(vdb, cliActor, LEGACY);
    expect(r.peers.map((p) => p.ip).sort()).toEqual(['10.20.0.50', '10.20.0.60']);
    const ws = r.peers.find((p) => p.ip === '10.20.0.50')!;
    expect(ws).toMatchObject({ direction: 'inbound', ports: ['21/tcp', '22/tcp', '23/tcp', '30002/tcp'] });
    expect(ws.protocols).toEqual(expect.arrayContaining(['ftp', 'ssh', 'telnet']));
    expect(ws.bytes).toBe(544 + 6931 + 305 + 101);
    const pump = r.peers.find((p) => p.ip === '10.20.0.60')!;
    expect(pump).toMatchObject({ ports: ['1883/tcp'], deviceClass: expect.any(String) });
    // Neither peer is named in the inventory yet: each is called by its address, never by its id.
    expect(r.peers.map((p) => [p.ip, p.deviceLabel]).sort()).toEqual([
      ['10.20.0.50', '10.20.0.50'],
      ['10.20.0.60', '10.20.0.60'],
    ]);
    await updateDevice(vdb, cliActor, pump.deviceId!, { assetTag: 'PUMP-60' });
    await updateDevice(vdb, cliActor, ws.deviceId!, { manufacturer: 'Siemens', model: 'syngo Workstation' });
    const named = await devicePeers(vdb, cliActor, LEGACY);
    expect(named.peers.map((p) => [p.ip, p.assetTag, p.deviceLabel]).sort()).toEqual([
      ['10.20.0.50', null, 'Siemens syngo Workstation (10.20.0.50)'],
      ['10.20.0.60', 'PUMP-60', 'PUMP-60'],
    ]);
    await expect(devicePeers(vdb, { ...cliActor, permissions: new Set() }, LEGACY)).rejects.toThrow(
      /permission/i,
    );
  });

  it('learns, shows, edits (audited) and approves baselines; flow rules fire on real traffic outside them', async () => {
    vdb = await freshDatabase(dialect);
    await importSource(vdb, cliActor, fixture('captures/dicom-ct-store.pcap'), { progress: false });
    await importSource(vdb, cliActor, fixture('captures/04-hl7-mllp.pcap'), { progress: false });
    const learned = await learnAll(vdb);
    expect(learned.devices).toBeGreaterThanOrEqual(5);
    const ct = await resolveDevice(vdb, cliActor, CT);
    const pacs = await showBaseline(vdb, cliActor, { device: PACS });
    expect(pacs.state).toBe('learning');
    const values = pacs.entries.map((e) => `${e.kind}|${e.value}`);
    expect(values).toEqual(
      expect.arrayContaining([
        'service|104/tcp',
        'protocol|dicom',
        'dicom-ae|CT_RHAPSODE01',
        'dicom-ae|PACS_MAIN',
      ]),
    );
    expect(values.some((v) => v.startsWith('peer|in:'))).toBe(true);
    expect(pacs.entries.find((e) => e.kind === 'volume')?.details).toMatchObject({
      perDay: expect.any(Number),
    });
    const ctBaseline = await showBaseline(vdb, cliActor, { device: CT });
    expect(ctBaseline.entries.some((e) => e.kind === 'peer' && e.value.startsWith('out:'))).toBe(true);
    expect(ctBaseline.deviceId).toBe(ct.id);

    // Learning baselines raise nothing.
    await importSource(vdb, cliActor, fixture('monitor/dicom-wrong-ae.pcap'), { progress: false });
    const baselineRules = [
      'new-peer',
      'lateral-medical',
      'new-listening-service',
      'dicom-unknown-ae',
      'hl7-unknown-receiver',
    ];
    expect((await alertsOf(vdb)).filter((a) => baselineRules.includes(a.rule))).toEqual([]);

    const approved = await approveBaselines(vdb, cliActor, { all: true });
    expect(approved.approved.length).toBe(learned.created);
    expect((await listBaselineViews(vdb, cliActor, { state: 'learning' })).length).toBe(0);

    // The workstation's association (calling AE WRONG_AE → called NOT_A_PACS) is outside the PACS's baseline.
    await importSource(vdb, cliActor, fixture('monitor/dicom-wrong-ae.pcap'), { progress: false });
    let alerts = await alertsOf(vdb);
    const pacsId = pacs.deviceId;
    expect(alerts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'new-peer', device_id: pacsId }),
        expect.objectContaining({
          rule: 'dicom-unknown-ae',
          device_id: pacsId,
          subject: '10.20.0.50:WRONG_AE→NOT_A_PACS',
        }),
      ]),
    );
    const np = alerts.find((a) => a.rule === 'new-peer')!;
    expect(JSON.parse(np.evidence)[0]).toMatchObject({
      file: 'dicom-wrong-ae.pcap',
      connection: expect.stringMatching(/^10\.20\.0\.50:\d+ → 10\.20\.0\.10:104\/tcp$/),
    });

    // The MR (a medical device with no baseline) storing to the PACS, whose active baseline knows only the CT.
    await importSource(vdb, cliActor, fixture('monitor/dicom-mr-store-head.pcap'), { progress: false });
    const lateral = (await alertsOf(vdb)).filter((a) => a.rule === 'lateral-medical');
    expect(lateral).toEqual([
      expect.objectContaining({
        subject: expect.stringMatching(/^10\.20\.0\.22→10\.20\.0\.10:104\/tcp$/),
        severity: 'high',
      }),
    ]);
    expect(JSON.parse(lateral[0]!.details)).toMatchObject({ clientClass: 'imaging-mr', serverClass: 'pacs' });

    // The real nmap scan: 12 ports of each of four hosts within seconds.
    await importSource(vdb, cliActor, fixture('monitor/08-nmap-scan.pcap'), { progress: false });
    alerts = await alertsOf(vdb);
    const scans = alerts
      .filter((a) => a.rule === 'port-scan')
      .map((a) => a.subject)
      .sort();
    expect(scans).toEqual([
      'scan:10.20.0.99→10.20.0.10',
      'scan:10.20.0.99→10.20.0.11',
      'scan:10.20.0.99→10.20.0.30',
      'scan:10.20.0.99→10.20.0.40',
    ]);
    expect(JSON.parse(alerts.find((a) => a.rule === 'port-scan')!.details)).toMatchObject({
      ports: 12,
      threshold: 10,
    });
    // The PACS answered the scanner on a port its baseline does not have (2762, DICOM-TLS).
    expect(alerts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'new-listening-service', device_id: pacsId, subject: '2762/tcp' }),
      ]),
    );

    // A receiver denied by hand: the monitor's HL7 to the engine now raises hl7-unknown-receiver.
    const monitor = await showBaseline(vdb, cliActor, { device: MONITOR });
    const receiver = monitor.entries.find((e) => e.kind === 'hl7-receiver')!;
    await expect(
      editBaselineEntry(vdb, cliActor, 'deny', {
        device: MONITOR,
        kind: 'hl7-receiver',
        value: receiver.value,
        reason: 'x',
      }),
    ).rejects.toThrow(/Invalid baseline entry/);
    const edited = await editBaselineEntry(vdb, cliActor, 'deny', {
      device: MONITOR,
      kind: 'hl7-receiver',
      value: receiver.value,
      reason: 'engine moved to the new interface server',
    });
    expect(edited.entries.find((e) => e.value === receiver.value)).toMatchObject({
      effect: 'deny',
      origin: 'manual',
    });
    await importSource(vdb, cliActor, fixture('captures/04-hl7-mllp.pcap'), { progress: false });
    expect((await alertsOf(vdb)).filter((a) => a.rule === 'hl7-unknown-receiver')).toEqual([
      expect.objectContaining({ device_id: monitor.deviceId, severity: 'high' }),
    ]);
    // A learned entry cannot be removed (deny it); a hand-made one can; re-learning keeps hand-made entries.
    await expect(
      editBaselineEntry(vdb, cliActor, 'remove', {
        device: PACS,
        kind: 'service',
        value: '104/tcp',
        reason: 'test',
      }),
    ).rejects.toThrow(/learned/);
    await editBaselineEntry(vdb, cliActor, 'allow', {
      device: PACS,
      kind: 'service',
      value: '2762/tcp',
      reason: 'DICOM-TLS is expected',
    });
    await learnAll(vdb);
    const relearned = await showBaseline(vdb, cliActor, { device: PACS });
    expect(relearned.state).toBe('active');
    expect(relearned.entries.find((e) => e.value === '2762/tcp')).toMatchObject({
      origin: 'manual',
      reason: 'DICOM-TLS is expected',
    });
    await editBaselineEntry(vdb, cliActor, 'remove', {
      device: PACS,
      kind: 'service',
      value: '2762/tcp',
      reason: 'undo',
    });

    const audit = await vdb.db
      .selectFrom('audit_log')
      .select(['action', 'actor'])
      .where('action', 'like', 'baseline.%')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'baseline.learn',
        'baseline.approve',
        'baseline.deny',
        'baseline.allow',
        'baseline.remove',
      ]),
    );
    expect(audit.every((a) => a.actor === cliActor.name)).toBe(true);

    // Availability: nothing is silent an hour after the traffic; two days later every baselined device is.
    const last = Date.parse(
      (await listCommunications(vdb))
        .map((c) => c.lastSeen)
        .sort()
        .at(-1)!,
    );
    const soon = await checkAvailability(vdb, cliActor, { now: new Date(last + 3_600_000) });
    expect(soon.notSeen).toBe(0);
    const later = await checkAvailability(vdb, cliActor, { now: new Date(last + 48 * 3_600_000), hours: 24 });
    expect(later.notSeen).toBe(later.checked);
    expect((await alertsOf(vdb)).filter((a) => a.rule === 'device-not-seen')).toHaveLength(later.checked);
    // A threshold that is no number of hours (the CLI's `--hours abc`) is refused as such, raising nothing.
    for (const hours of [Number.NaN, 0, 24 * 366])
      await expect(checkAvailability(vdb, cliActor, { hours })).rejects.toMatchObject({
        code: 'invalid_input',
        issues: [{ field: 'hours' }],
      });
  });

  it('a token limited to a site learns, edits, approves and checks only its own site’s baselines', async () => {
    vdb = await freshDatabase(dialect);
    await importSource(vdb, cliActor, fixture('captures/dicom-ct-store.pcap'), { progress: false });
    await updateDevice(vdb, cliActor, CT, { site: 'North Clinic' });
    await updateDevice(vdb, cliActor, PACS, { site: 'Main Hospital' });
    const learned = await learnAll(vdb);
    const sites = await vdb.db.selectFrom('sites').select(['id', 'name']).execute();
    const northId = sites.find((x) => x.name === 'North Clinic')!.id;
    const north = { ...cliActor, name: 'token:north', siteIds: [northId] };
    const ct = await resolveDevice(vdb, cliActor, CT);
    const pacs = await resolveDevice(vdb, cliActor, PACS);
    expect(learned).toMatchObject({ devices: 2, models: 1 });
    const relearn = await learnBaselinesFromTraffic(vdb, north, { days: 365 });
    // The CT and its model (only the CT has it) are North's; the PACS's baseline is Main Hospital's.
    expect(relearn).toMatchObject({ devices: 1, models: 1, created: 0, updated: 2 });
    const pacsRow = () =>
      vdb.db.selectFrom('baselines').selectAll().where('device_id', '=', pacs.id).executeTakeFirstOrThrow();
    expect((await pacsRow()).learned_by).toBe(cliActor.name);
    await expect(approveBaselines(vdb, north, { all: true, siteId: 'Main Hospital' })).rejects.toMatchObject({
      code: 'not_found',
    });
    const approved = await approveBaselines(vdb, north, { all: true });
    expect(approved.approved).toHaveLength(2);
    expect((await pacsRow()).state).toBe('learning');
    // A model's baseline learned from devices at several sites has no site: beyond a site-limited token.
    const modelId = (await listBaselineViews(vdb, cliActor, { scope: 'model' }))[0]!.modelId!;
    await vdb.db.updateTable('baselines').set({ site_id: null }).where('model_id', '=', modelId).execute();
    const entry = { model: modelId, kind: 'service' as const, value: '4444/tcp', reason: 'expected here' };
    await expect(showBaseline(vdb, north, { model: modelId })).rejects.toMatchObject({ code: 'not_found' });
    await expect(editBaselineEntry(vdb, north, 'allow', entry)).rejects.toMatchObject({ code: 'not_found' });
    await expect(approveBaselines(vdb, north, { model: modelId })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(
      await vdb.db.selectFrom('baseline_entries').select('id').where('value', '=', '4444/tcp').execute(),
    ).toEqual([]);
    // Availability: only North's device is checked, and only its alert raised.
    await approveBaselines(vdb, cliActor, { all: true });
    const last = Date.parse(
      (await listCommunications(vdb))
        .map((c) => c.lastSeen)
        .sort()
        .at(-1)!,
    );
    const silent = await checkAvailability(vdb, north, { now: new Date(last + 48 * 3_600_000), hours: 24 });
    expect(silent).toMatchObject({ checked: 1, notSeen: 1 });
    expect((await alertsOf(vdb)).filter((a) => a.rule === 'device-not-seen').map((a) => a.device_id)).toEqual(
      [ct.id],
    );
    const audit = await vdb.db
      .selectFrom('audit_log')
      .select(['action', 'summary'])
      .where('actor', '=', north.name)
      .execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['alert.raise', 'baseline.approve', 'baseline.learn']);
  });

  it('learns one site from every site’s traffic, and writes only that site’s baselines', async () => {
    vdb = await freshDatabase(dialect);
    await importSource(vdb, cliActor, fixture('captures/dicom-ct-store.pcap'), { progress: false });
    await updateDevice(vdb, cliActor, CT, { site: 'North Clinic' });
    await updateDevice(vdb, cliActor, PACS, { site: 'Main Hospital' });
    // The CT (North) stores to the PACS (Main). An import after the devices were placed records the
    // conversation under the client's site (apply-flows.ts); this one ran before, so place it as that would.
    const northId = (await resolveDevice(vdb, cliActor, CT)).siteId!;
    await vdb.db.updateTable('communications').set({ site_id: northId }).execute();
    expect((await listCommunications(vdb)).map((c) => c.siteId)).toEqual([northId]);
    const all = await learnAll(vdb);
    const pacs = await resolveDevice(vdb, cliActor, PACS);
    const baselineOf = (deviceId: string) =>
      vdb.db.selectFrom('baselines').selectAll().where('device_id', '=', deviceId).executeTakeFirstOrThrow();
    const before = await showBaseline(vdb, cliActor, { device: pacs.id });
    const now = (await baselineOf(pacs.id)).window_end;
    // Main's PACS is learned from the CT's conversation, though it is North's row.
    const main = { ...cliActor, name: 'cli:main-learner' };
    const mainRun = await learnBaselinesFromTraffic(vdb, main, { siteId: 'Main Hospital', days: 365, now });
    expect(mainRun).toMatchObject({ devices: 1, updated: mainRun.devices + mainRun.models, created: 0 });
    expect((await baselineOf(pacs.id)).learned_by).toBe(main.name);
    const kept = (v: typeof before) => v.entries.map((e) => [e.kind, e.value, e.effect, e.origin].join(' '));
    expect(kept(await showBaseline(vdb, cliActor, { device: pacs.id }))).toEqual(kept(before));
    // …which keeps the North CT's model as a client of its DICOM service.
    expect(kept(before)).toEqual(
      expect.arrayContaining(['service 104/tcp allow learned', expect.stringMatching(/^peer in:model:/)]),
    );
    // North's run leaves the PACS alone, and a model baseline across sites (no site) as it was.
    const modelRow = await vdb.db
      .selectFrom('baselines')
      .selectAll()
      .where('scope', '=', 'model')
      .executeTakeFirstOrThrow();
    await vdb.db.updateTable('baselines').set({ site_id: null }).where('id', '=', modelRow.id).execute();
    const north = { ...cliActor, name: 'cli:north-learner' };
    const northRun = await learnBaselinesFromTraffic(vdb, north, { siteId: 'North Clinic', days: 365, now });
    expect(northRun).toMatchObject({ devices: 1, models: 0 });
    expect((await baselineOf(pacs.id)).learned_by).toBe(main.name);
    const modelAfter = await vdb.db
      .selectFrom('baselines')
      .selectAll()
      .where('id', '=', modelRow.id)
      .executeTakeFirstOrThrow();
    expect(modelAfter).toMatchObject({ site_id: null, learned_by: modelRow.learned_by });
    expect(all.devices).toBe(2);
  });

  it('a model’s baseline is beyond a site-limited token once a device of the model is at another site', async () => {
    vdb = await freshDatabase(dialect);
    await importSource(vdb, cliActor, fixture('captures/dicom-ct-store.pcap'), { progress: false });
    await updateDevice(vdb, cliActor, CT, { site: 'North Clinic' });
    await learnAll(vdb);
    const ct = await resolveDevice(vdb, cliActor, CT);
    const north = { ...cliActor, name: 'token:north', siteIds: [ct.siteId!] };
    const modelId = ct.modelId!;
    // Learned while the CT was the model's only device: North's.
    expect((await showBaseline(vdb, north, { model: modelId })).siteId).toBe(ct.siteId);
    // A second scanner of the model is filed at the main hospital; the model's allow would count there.
    await addDevice(vdb, cliActor, {
      assetTag: 'CT-MAIN-2',
      manufacturer: ct.manufacturer!,
      model: ct.model!,
      site: 'Main Hospital',
    });
    const entry = {
      model: modelId,
      kind: 'peer' as const,
      value: 'out:internet',
      reason: 'vendor remote service',
    };
    await expect(showBaseline(vdb, north, { model: modelId })).rejects.toMatchObject({ code: 'not_found' });
    await expect(editBaselineEntry(vdb, north, 'allow', entry)).rejects.toMatchObject({ code: 'not_found' });
    await expect(approveBaselines(vdb, north, { model: modelId })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await approveBaselines(vdb, north, { all: true })).approved).toHaveLength(1);
    expect((await listBaselineViews(vdb, north, {})).map((b) => b.scope)).toEqual(['device']);
    expect((await learnBaselinesFromTraffic(vdb, north, { days: 365 })).models).toBe(0);
    // Unlimited, the model's baseline is there as it was.
    expect((await showBaseline(vdb, cliActor, { model: modelId })).state).toBe('learning');
  });

  it('a device’s baseline moves with the device to its new site, for that site’s people to see', async () => {
    vdb = await freshDatabase(dialect);
    await importSource(vdb, cliActor, fixture('captures/dicom-ct-store.pcap'), { progress: false });
    await updateDevice(vdb, cliActor, CT, { site: 'North Clinic' });
    await learnAll(vdb);
    const ct = await resolveDevice(vdb, cliActor, CT);
    await updateDevice(vdb, cliActor, CT, { site: 'Main Hospital' });
    const mainId = (await resolveDevice(vdb, cliActor, CT)).siteId!;
    expect(mainId).not.toBe(ct.siteId);
    const main = { ...cliActor, name: 'token:main', siteIds: [mainId] };
    expect((await showBaseline(vdb, main, { device: ct.id })).siteId).toBe(mainId);
    const north = { ...cliActor, name: 'token:north', siteIds: [ct.siteId!] };
    await expect(showBaseline(vdb, north, { device: ct.id })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('learns from a scan only what answered: the open ports nmap reported, not the refused probes', async () => {
    vdb = await freshDatabase(dialect);
    await importSource(vdb, cliActor, fixture('monitor/08-nmap-scan.pcap'), { progress: false });
    // The refused probes are stored (the port-scan rule and the map count them) ...
    const refused = (await listCommunications(vdb)).filter((c) => c.established === false);
    expect(new Set(refused.map((c) => `${c.serverIp}:${c.port}`))).toEqual(nmapScanEndpoints('closed'));
    // ... but a baseline is how the device works: its services are what it accepted.
    await learnAll(vdb);
    for (const host of nmapScanPorts('open')) {
      const b = await showBaseline(vdb, cliActor, { device: host.mac });
      const services = b.entries
        .filter((e) => e.kind === 'service')
        .map((e) => Number(e.value.split('/')[0]))
        .sort((a, b) => a - b);
      expect(services, host.ip).toEqual(host.ports);
    }
  });

  it('learns a real FTP session as FTP: no data port as a service, the transfers under ftp-data/tcp', async () => {
    vdb = await freshDatabase(dialect);
    await importSource(vdb, cliActor, fixture('dissect/ftp-data/vsftpd-hl7-upload.pcap'), {
      progress: false,
    });
    await learnAll(vdb);
    // Server 10.78.0.1 and client 10.78.0.2 by their MACs (as tshark reads them from the capture).
    const server = await showBaseline(vdb, cliActor, { device: '5e:14:ec:27:58:b2' });
    expect(server.entries.filter((e) => e.kind === 'service').map((e) => e.value)).toEqual(['21/tcp']);
    const client = await showBaseline(vdb, cliActor, { device: '62:e9:86:8f:77:a9' });
    const out = client.entries.find((e) => e.kind === 'volume')?.details['outPerDay'] as Record<
      string,
      number
    >;
    expect(Object.keys(out).some((k) => k.endsWith('|ftp-data/tcp'))).toBe(true);
    expect(Object.keys(out).some((k) => /\|3\d{4}\/tcp$/.test(k))).toBe(false);
  });

  it('raises internet-connection for a real connection to a public address', async () => {
    vdb = await freshDatabase(dialect);
    await importSource(vdb, cliActor, fixture('captures/zeek-nflog-http.pcap'), { progress: false });
    const alerts = (await alertsOf(vdb)).filter((a) => a.rule === 'internet-connection');
    expect(alerts).toEqual([expect.objectContaining({ subject: '10.0.2.15→93.184.216.34:80/tcp' })]);
    expect(JSON.parse(alerts[0]!.details)).toMatchObject({
      direction: 'outbound',
      publicAddress: '93.184.216.34',
    });
  });

  it('serves peers and baselines over the API with monitor permissions', async () => {
    const api = await apiHarness(dialect);
    try {
      await importSource(api.ctx.vdb, cliActor, fixture('captures/07-telnet-ftp-ssh-mqtt.pcap'), {
        progress: false,
      });
      const legacy = await resolveDevice(api.ctx.vdb, cliActor, LEGACY);
      const peers = await api.as('auditor').get(`/api/v1/devices/${legacy.id}/peers`);
      expect(peers.status).toBe(200);
      const served = ((await peers.json()) as { peers: { ip: string; deviceLabel: string | null }[] }).peers;
      expect(served.map((p) => [p.ip, p.deviceLabel]).sort()).toEqual([
        ['10.20.0.50', '10.20.0.50'],
        ['10.20.0.60', '10.20.0.60'],
      ]);
      expect((await api.as('clinical-engineer').post('/api/v1/baselines/learn', { days: 3650 })).status).toBe(
        403,
      );
      const learn = await api.as('security-officer').post('/api/v1/baselines/learn', { days: 365 });
      expect(learn.status).toBe(200);
      const list = await api.as('auditor').get('/api/v1/baselines?scope=device');
      expect(((await list.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
      const show = await api.as('auditor').get(`/api/v1/baselines/show?device=${legacy.id}`);
      expect(show.status).toBe(200);
      const edit = await api.as('security-officer').post('/api/v1/baselines/entries', {
        device: legacy.id,
        action: 'deny',
        kind: 'service',
        value: '23/tcp',
        reason: 'Telnet must be disabled',
      });
      expect(edit.status).toBe(200);
      const approve = await api.as('admin').post('/api/v1/baselines/approve', { all: true });
      expect(((await approve.json()) as { approved: string[] }).approved.length).toBeGreaterThan(0);
    } finally {
      await api.close();
    }
  });
});
