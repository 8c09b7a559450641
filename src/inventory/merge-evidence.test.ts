import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';
import { listAudit } from '../audit/audit-log.js';
import { applySourceResult } from '../discovery/apply-source-result.js';
import { findingKey } from '../discovery/finding-severity.js';
import { parseNmapXml } from '../discovery/nmap-xml.js';
import { listFindings, setFindingState } from '../findings/findings-service.js';
import type { AlertCandidate } from '../monitor/alert-candidate.js';
import { raiseAlerts } from '../monitor/alerts-service.js';
import type { VigilDatabase } from '../store/database.js';
import { insertFindings } from '../store/discovery-store.js';
import { upsertHints, upsertSuggestions } from '../store/fingerprint-store.js';
import { newId } from '../store/ids.js';
import { createCampaign } from '../tasks/campaigns-service.js';
import { createTask, getTask, moveTask } from '../tasks/tasks-service.js';
import { deviceLabels } from './device-label.js';
import { addDevice, mergeDevices, showDevice, updateDevice } from './inventory-service.js';
import { moreSpecific } from './merge-evidence.js';

// 07-telnet-ftp-ssh-mqtt.pcap: 10.20.0.40 logs in over Telnet and FTP, talks MQTT and sends a census
// file (patient fields) over FTP data: six findings; the pump 10.20.0.60 publishes an MRN over MQTT.
const CAPTURE = join(import.meta.dirname, '../../test/fixtures/captures/07-telnet-ftp-ssh-mqtt.pcap');
const ALL_STATES = ['open', 'acknowledged', 'resolved', 'false-positive'];
// dicom-ct-store.pcap: one dcmtk C-STORE from a CT to the PACS 10.20.0.10 (AE PACS_MAIN) on port 104.
const DICOM = join(import.meta.dirname, '../../test/fixtures/captures/dicom-ct-store.pcap');
// sgh-medical-lan.xml: nmap -sV of the same LAN minutes later, 10.20.0.10 and 10.20.0.40 among the hosts.
const NMAP = join(import.meta.dirname, '../../test/fixtures/nmap/sgh-medical-lan.xml');

const alert = (deviceId: string, subject: string, time: string): AlertCandidate => ({
  rule: 'cleartext-credentials',
  severity: 'high',
  title: `Cleartext login (${subject})`,
  deviceId,
  siteId: null,
  subject,
  evidence: [{ time, summary: `login over ${subject}` }],
});

const hint = (deviceId: string, firstSeen: string, lastSeen: string, packet: number) => ({
  device_id: deviceId,
  kind: 'telnet.banner',
  value: 'Welcome to MX-800',
  source: 'capture',
  source_ref: 'ward.pcap',
  evidence: JSON.stringify({ packet, time: firstSeen }),
  first_seen: firstSeen,
  last_seen: lastSeen,
});

describe.each(DIALECTS)('merging a discovered device into its CMMS record on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await vdb.close();
  });

  it('moves its findings, tasks, alerts, hints and suggestions, so the next capture files nothing twice', async () => {
    await importCaptureFile(vdb, CAPTURE);
    const seen = await showDevice(vdb, cliActor, '10.20.0.40');
    const record = await addDevice(vdb, cliActor, { assetTag: 'BME-40', criticality: 'life-sustaining' });
    const seenFindings = await listFindings(vdb, cliActor, { deviceId: seen.id, state: ALL_STATES });
    expect(seenFindings).toHaveLength(6);
    const telnetLogin = seenFindings.find(
      (f) => f.type === 'cleartext-credentials' && f.subject === 'telnet:23',
    )!;
    const ftp = seenFindings.find((f) => f.type === 'insecure-protocol' && f.subject === 'ftp:21')!;

    // The record already has the Telnet login finding, from an earlier capture, since resolved.
    const earlier = { source: 'capture', file: 'old.pcap', time: '2026-11-01T08:00:00.000Z', summary: 'old' };
    const recordLogin = newId();
    await insertFindings(vdb, [
      {
        id: recordLogin,
        type: 'cleartext-credentials',
        severity: 'high',
        device_id: record.id,
        subject: 'telnet:23',
        dedup_key: findingKey('cleartext-credentials', record.id, 'telnet:23'),
        title: telnetLogin.title,
        state: 'resolved',
        evidence: JSON.stringify(earlier),
        last_evidence: JSON.stringify({ ...earlier, time: '2026-11-02T08:00:00.000Z' }),
        details: JSON.stringify({ protocol: 'telnet', old: true }),
        occurrences: 4,
        first_seen: '2026-11-01T08:00:00.000Z',
        last_seen: '2026-11-02T08:00:00.000Z',
        created_at: '2026-11-01T08:00:00.000Z',
        updated_at: '2026-11-02T08:00:00.000Z',
      },
    ]);
    const loginTask = await createTask(vdb, cliActor, { finding: telnetLogin.id });
    const ftpTask = await createTask(vdb, cliActor, { finding: ftp.id });

    await raiseAlerts(vdb, [alert(record.id, 'telnet:23', '2026-11-01T08:00:00.000Z')]);
    await raiseAlerts(vdb, [
      alert(seen.id, 'telnet:23', '2026-11-28T23:55:23.403Z'),
      alert(seen.id, 'ftp:21', '2026-11-28T23:55:27.451Z'),
    ]);

    // Both saw the same banner: the record later, the duplicate first.
    await upsertHints(vdb, [
      hint(record.id, '2026-11-20T00:00:00.000Z', '2026-11-21T00:00:00.000Z', 9),
      hint(seen.id, '2026-11-10T00:00:00.000Z', '2026-11-12T00:00:00.000Z', 3),
    ]);
    const suggestion = (deviceId: string, value: string, confidence: number) => ({
      device_id: deviceId,
      field: 'os',
      value,
      confidence,
      source: 'capture',
      source_ref: 'ward.pcap',
      evidence: '{}',
      updated_at: '2026-11-20T00:00:00.000Z',
    });
    await upsertSuggestions(vdb, [suggestion(record.id, 'Linux', 0.2), suggestion(seen.id, 'VxWorks', 0.3)]);
    const seenHints = await vdb.db
      .selectFrom('device_hints')
      .select('kind')
      .where('device_id', '=', seen.id)
      .execute();

    await mergeDevices(vdb, cliActor, seen.id, record.id);

    // Every finding once, on the record, scored for a life-sustaining device.
    const findings = await listFindings(vdb, cliActor, { deviceId: record.id, state: ALL_STATES });
    expect(findings.map((f) => `${f.type} ${f.subject}`).sort()).toEqual(
      seenFindings.map((f) => `${f.type} ${f.subject}`).sort(),
    );
    expect(await listFindings(vdb, cliActor, { deviceId: seen.id, state: ALL_STATES })).toEqual([]);
    const login = findings.find((f) => f.type === 'cleartext-credentials' && f.subject === 'telnet:23')!;
    expect(login).toMatchObject({
      id: recordLogin,
      state: 'open', // resolved on the record, seen again later on the duplicate
      severity: 'critical',
      occurrences: 4 + telnetLogin.occurrences,
      firstSeen: '2026-11-01T08:00:00.000Z',
      evidence: { file: 'old.pcap' },
      lastSeen: telnetLogin.lastSeen,
      lastEvidence: telnetLogin.lastEvidence,
      details: telnetLogin.details,
    });
    expect(findings.find((f) => f.id === ftp.id)).toMatchObject({
      severity: 'high',
      occurrences: ftp.occurrences,
    });
    const keys = await vdb.db
      .selectFrom('findings')
      .select(['device_id', 'type', 'subject', 'dedup_key'])
      .execute();
    for (const k of keys) expect(k.dedup_key).toBe(findingKey(k.type, k.device_id, k.subject));

    // The tasks follow: the folded finding's task now names the record's finding.
    const tasks = await vdb.db
      .selectFrom('remediation_tasks')
      .select(['id', 'device_id', 'finding_id'])
      .orderBy('id')
      .execute();
    expect(tasks).toEqual(
      [
        { id: loginTask.id, device_id: record.id, finding_id: recordLogin },
        { id: ftpTask.id, device_id: record.id, finding_id: ftp.id },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );

    // Alerts: the Telnet one is the record's, counted twice; the FTP one moved.
    const alerts = await vdb.db
      .selectFrom('alerts')
      .select(['device_id', 'subject', 'count', 'first_seen', 'last_seen', 'dedupe_key'])
      .orderBy('subject')
      .execute();
    expect(alerts).toEqual([
      {
        device_id: record.id,
        subject: 'ftp:21',
        count: 1,
        first_seen: '2026-11-28T23:55:27.451Z',
        last_seen: '2026-11-28T23:55:27.451Z',
        dedupe_key: `cleartext-credentials|${record.id}|ftp:21`,
      },
      {
        device_id: record.id,
        subject: 'telnet:23',
        count: 2,
        first_seen: '2026-11-01T08:00:00.000Z',
        last_seen: '2026-11-28T23:55:23.403Z',
        dedupe_key: `cleartext-credentials|${record.id}|telnet:23`,
      },
    ]);
    const events = await vdb.db.selectFrom('alert_events').select('alert_id').execute();
    expect(new Set(events.map((e) => e.alert_id)).size).toBe(2);

    // Hints and the more confident suggestion are the record's own now.
    const hints = await vdb.db
      .selectFrom('device_hints')
      .selectAll()
      .where('device_id', 'in', [seen.id, record.id])
      .execute();
    expect(hints.map((x) => x.device_id)).toEqual(Array(seenHints.length).fill(record.id));
    expect(hints.find((x) => x.kind === 'telnet.banner')).toMatchObject({
      first_seen: '2026-11-10T00:00:00.000Z',
      last_seen: '2026-11-21T00:00:00.000Z',
      evidence: JSON.stringify({ packet: 3, time: '2026-11-10T00:00:00.000Z' }),
    });
    const suggestions = await vdb.db
      .selectFrom('device_suggestions')
      .select(['device_id', 'field', 'value'])
      .where('device_id', 'in', [seen.id, record.id])
      .execute();
    expect(suggestions.filter((x) => x.device_id !== record.id)).toEqual([]);
    expect(suggestions.filter((x) => x.field === 'os')).toEqual([
      { device_id: record.id, field: 'os', value: 'VxWorks' },
    ]);

    expect((await listAudit(vdb, { action: 'device.merge' }))[0]!.summary).toMatchObject({
      findingsMoved: 5,
      findingsFolded: 1,
      tasksMoved: 2,
      alertsMoved: 2,
      hintsMoved: seenHints.length - 1,
    });

    // The same capture again finds the device by its moved addresses and files nothing new.
    const again = await importCaptureFile(vdb, CAPTURE);
    expect(again.findings).toMatchObject({ created: 0, updated: 7 });
    const after = await listFindings(vdb, cliActor, { deviceId: record.id, state: ALL_STATES });
    expect(after).toHaveLength(6);
    expect(after.find((f) => f.id === recordLogin)!.occurrences).toBe(4 + 2 * telnetLogin.occurrences);
    expect(await vdb.db.selectFrom('findings').select('id').execute()).toHaveLength(7);
  });

  /**
   * The capture's MQTT finding on its device, and the same finding as the CMMS record's own (in `state`,
   * one earlier sighting); `prepare` changes the duplicate's first. Merges, returns the folded finding.
   */
  async function foldMqtt(state: string, prepare?: (duplicateFindingId: string) => Promise<unknown>) {
    await importCaptureFile(vdb, CAPTURE);
    const seen = await showDevice(vdb, cliActor, '10.20.0.40');
    const record = await addDevice(vdb, cliActor, { assetTag: 'BME-40' });
    const mqtt = (await listFindings(vdb, cliActor, { deviceId: seen.id })).find(
      (f) => f.subject === 'mqtt:1883',
    )!;
    await prepare?.(mqtt.id);
    const id = newId();
    const at = '2026-11-01T08:00:00.000Z';
    await insertFindings(vdb, [
      {
        id,
        type: mqtt.type,
        severity: mqtt.severity,
        device_id: record.id,
        subject: mqtt.subject,
        dedup_key: findingKey(mqtt.type, record.id, mqtt.subject),
        title: mqtt.title,
        state,
        evidence: '{}',
        last_evidence: '{}',
        details: '{}',
        occurrences: 1,
        first_seen: at,
        last_seen: at,
        created_at: at,
        updated_at: at,
      },
    ]);
    await mergeDevices(vdb, cliActor, seen.id, record.id);
    const folded = (await listFindings(vdb, cliActor, { deviceId: record.id, state: ALL_STATES })).filter(
      (f) => f.subject === 'mqtt:1883',
    );
    return { id, folded, duplicateOccurrences: mqtt.occurrences };
  }

  it('keeps a finding dismissed as a false positive on either record dismissed', async () => {
    const { id, folded, duplicateOccurrences } = await foldMqtt('false-positive');
    expect(folded).toMatchObject([{ id, state: 'false-positive', occurrences: 1 + duplicateOccurrences }]);
  });

  it('reopens a resolved finding as acknowledged when the duplicate saw it, acknowledged, later', async () => {
    // A person saw the duplicate's finding and left it for later: still a live exposure.
    const { id, folded } = await foldMqtt('resolved', (dup) =>
      setFindingState(vdb, cliActor, dup, 'acknowledged'),
    );
    expect(folded).toMatchObject([{ id, state: 'acknowledged' }]);
  });
});

describe('the more specific of two products or versions', () => {
  // What a capture's SSH banner and nmap's -sV said of 10.20.0.40, and of its FTP server.
  it('keeps the longer of the same thing, whichever was seen later', () => {
    expect(moreSpecific('9.2p1', '9.2p1 Debian 2+deb12u10')).toBe('9.2p1 Debian 2+deb12u10');
    expect(moreSpecific('9.2p1 Debian 2+deb12u10', '9.2p1')).toBe('9.2p1 Debian 2+deb12u10');
    expect(moreSpecific('vsFTPd', 'vsftpd')).toBe('vsftpd');
    expect(moreSpecific('OFFIS_DCMTK_367', null)).toBe('OFFIS_DCMTK_367');
    expect(moreSpecific('3.0.3', '2.0.11')).toBe('2.0.11');
  });
});

describe.each(DIALECTS)(
  'merging the records a capture and a scan made of the same devices on %s',
  (dialect) => {
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
    const services = (deviceId: string) =>
      vdb.db
        .selectFrom('device_services')
        .select([
          'port',
          'transport',
          'protocol',
          'product',
          'version',
          'encrypted',
          'first_seen',
          'last_seen',
        ])
        .where('device_id', '=', deviceId)
        .orderBy('port')
        .execute();
    const protocols = (deviceId: string) =>
      vdb.db
        .selectFrom('device_protocols')
        .select(['protocol', 'details', 'first_seen', 'last_seen'])
        .where('device_id', '=', deviceId)
        .orderBy('protocol')
        .execute();

    it("folds the duplicate's services and protocols into the record, DICOM AE titles included", async () => {
      await importCaptureFile(vdb, CAPTURE);
      await importCaptureFile(vdb, DICOM);
      const legacy = await showDevice(vdb, cliActor, '10.20.0.40');
      const pacs = await showDevice(vdb, cliActor, '10.20.0.10');
      await forget(legacy.id);
      await forget(pacs.id);
      const scan = parseNmapXml(readFileSync(NMAP), { file: 'sgh-medical-lan.xml' });
      await applySourceResult(vdb, cliActor, scan, { kind: 'nmap', file: 'sgh-medical-lan.xml' });
      const scannedLegacy = await showDevice(vdb, cliActor, '10.20.0.40');
      const scannedPacs = await showDevice(vdb, cliActor, '10.20.0.10');
      expect(scannedLegacy.id).not.toBe(legacy.id);
      expect(scannedPacs.id).not.toBe(pacs.id);

      await mergeDevices(vdb, cliActor, scannedLegacy.id, legacy.id);
      await mergeDevices(vdb, cliActor, scannedPacs.id, pacs.id);

      expect(await services(scannedLegacy.id)).toEqual([]);
      expect(await services(scannedPacs.id)).toEqual([]);
      expect(await protocols(scannedLegacy.id)).toEqual([]);
      expect(await protocols(scannedPacs.id)).toEqual([]);
      // The capture saw 23:55:20–29, the scan 23:55:33–23:56:49; one row per port with both windows.
      // (10.20.0.40's first frame, 4, is at 1795910120.401829 per tshark: .401, truncated.)
      const captured = { first_seen: '2026-11-28T23:55:20.401Z', last_seen: '2026-11-28T23:56:49.000Z' };
      expect(await services(legacy.id)).toEqual([
        {
          port: 21,
          transport: 'tcp',
          protocol: 'ftp',
          product: 'vsftpd',
          version: '3.0.3',
          encrypted: 0,
          ...captured,
        },
        {
          port: 22,
          transport: 'tcp',
          protocol: 'ssh',
          product: 'OpenSSH',
          version: '9.2p1 Debian 2+deb12u10',
          encrypted: 1,
          ...captured,
        },
        {
          port: 23,
          transport: 'tcp',
          protocol: 'telnet',
          product: null,
          version: null,
          encrypted: 0,
          ...captured,
        },
        {
          port: 1883,
          transport: 'tcp',
          protocol: 'mqtt',
          product: 'mosquitto',
          version: '2.0.11',
          encrypted: 0,
          ...captured,
        },
      ]);
      expect((await protocols(legacy.id)).map((p) => [p.protocol, p.first_seen, p.last_seen])).toEqual(
        ['ftp', 'mqtt', 'ssh', 'telnet'].map((p) => [p, captured.first_seen, captured.last_seen]),
      );

      // The PACS: the capture named its DICOM implementation; the scan also found DICOM over TLS on 2762.
      const pacsSeen = { first_seen: '2026-11-28T23:55:00.923Z', last_seen: '2026-11-28T23:56:49.000Z' };
      expect(await services(pacs.id)).toEqual([
        {
          port: 104,
          transport: 'tcp',
          protocol: 'dicom',
          product: 'OFFIS_DCMTK_367',
          version: null,
          encrypted: 0,
          ...pacsSeen,
        },
        {
          port: 2762,
          transport: 'tcp',
          protocol: 'dicom',
          product: null,
          version: null,
          encrypted: 1,
          first_seen: '2026-11-28T23:55:33.000Z',
          last_seen: '2026-11-28T23:56:49.000Z',
        },
      ]);
      const [dicom, ...others] = await protocols(pacs.id);
      expect(others).toEqual([]);
      expect(dicom).toMatchObject({ protocol: 'dicom', ...pacsSeen });
      const shown = await showDevice(vdb, cliActor, pacs.id);
      expect(shown.protocols).toEqual(['dicom']);
      expect(shown.dicom).toMatchObject({
        aeTitles: ['PACS_MAIN'],
        implementationVersionName: 'OFFIS_DCMTK_367',
        sopClasses: ['1.2.840.10008.5.1.4.1.1.2'],
      });
      expect(shown.services.map((x) => x.port)).toEqual([104, 2762]);

      const [pacsMerge, legacyMerge] = await listAudit(vdb, { action: 'device.merge' });
      expect(legacyMerge!.summary).toMatchObject({ servicesMoved: 0, protocolsMoved: 0 });
      expect(pacsMerge!.summary).toMatchObject({ servicesMoved: 1, protocolsMoved: 0 });

      // The next scan updates those rows instead of adding any.
      await applySourceResult(vdb, cliActor, scan, { kind: 'nmap', file: 'sgh-medical-lan.xml' });
      expect(await services(legacy.id)).toHaveLength(4);
      expect(await services(pacs.id)).toHaveLength(2);
    });

    it("keeps the scanner's product without the handshake's TLS version it never claimed", async () => {
      await importCaptureFile(
        vdb,
        join(import.meta.dirname, '../../test/fixtures/captures/06-http-tls.pcapng'),
      );
      const portal = await showDevice(vdb, cliActor, '10.20.0.30');
      await forget(portal.id);
      const scan = parseNmapXml(readFileSync(NMAP), { file: 'sgh-medical-lan.xml' });
      await applySourceResult(vdb, cliActor, scan, { kind: 'nmap', file: 'sgh-medical-lan.xml' });
      const scanned = await showDevice(vdb, cliActor, '10.20.0.30');
      expect(scanned.id).not.toBe(portal.id);
      await mergeDevices(vdb, cliActor, scanned.id, portal.id);
      const byPort = new Map((await services(portal.id)).map((s) => [s.port, s]));
      // The capture alone had said protocol tls, version "TLS 1.0"; nmap -sV named no version.
      expect(byPort.get(4433)).toMatchObject({
        protocol: 'http',
        product: 'OpenSSL s_server -www httpd',
        version: null,
      });
      expect(byPort.get(443)).toMatchObject({ product: 'OpenSSL s_server -www httpd', version: null });
    });

    const TYPES: Record<string, string> = {
      'telnet:23': 'cleartext-credentials',
      'ftp:21': 'insecure-protocol',
      'mqtt:1883': 'insecure-protocol',
    };

    it('keeps one live task per finding: the one further along, with what the other knew', async () => {
      await importCaptureFile(vdb, CAPTURE);
      const record = await showDevice(vdb, cliActor, '10.20.0.40');
      const findingOn = async (deviceId: string, subject: string) =>
        (await listFindings(vdb, cliActor, { deviceId })).find(
          (f) => f.subject === subject && f.type === TYPES[subject],
        )!;
      const at = (day: number) => new Date(`2026-11-${day}T08:00:00.000Z`);
      // The record's tasks are the older ones; its Telnet task was never picked up.
      const recordTelnet = await createTask(
        vdb,
        cliActor,
        { finding: (await findingOn(record.id, 'telnet:23')).id },
        at(29),
      );
      const recordFtp = await createTask(
        vdb,
        cliActor,
        { finding: (await findingOn(record.id, 'ftp:21')).id, fix: 'disable FTP in the service menu' },
        at(29),
      );

      await forget(record.id);
      await importCaptureFile(vdb, CAPTURE, 'ward-again.pcap');
      const duplicate = await showDevice(vdb, cliActor, '10.20.0.40');
      expect(duplicate.id).not.toBe(record.id);
      // The duplicate's Telnet task is scheduled by biomed, with a control in place meanwhile.
      const dupTelnet = await createTask(
        vdb,
        cliActor,
        {
          finding: (await findingOn(duplicate.id, 'telnet:23')).id,
          departmentContacted: 'ICU East',
          controls: [{ control: 'segmented', note: 'VLAN 20 ACL: telnet only from the biomed jump host' }],
        },
        at(30),
      );
      await moveTask(
        vdb,
        cliActor,
        dupTelnet.id,
        {
          state: 'scheduled',
          assignee: 'J. Ortiz (Biomed)',
          windowStart: '2026-12-02T06:00:00.000Z',
          windowEnd: '2026-12-02T08:00:00.000Z',
        },
        at(30),
      );
      const dupFtp = await createTask(
        vdb,
        cliActor,
        {
          finding: (await findingOn(duplicate.id, 'ftp:21')).id,
          controls: [{ control: 'monitored', note: 'FTP logins alert the SOC' }],
        },
        at(30),
      );
      const dupMqtt = await createTask(
        vdb,
        cliActor,
        { finding: (await findingOn(duplicate.id, 'mqtt:1883')).id },
        at(30),
      );

      await mergeDevices(vdb, cliActor, duplicate.id, record.id);

      const tasks = new Map(
        (await vdb.db.selectFrom('remediation_tasks').selectAll().execute()).map((t) => [t.id, t]),
      );
      expect([...tasks.values()].every((t) => t.device_id === record.id)).toBe(true);
      const live = [...tasks.values()].filter((t) => t.state !== 'closed' && t.state !== 'verified');
      expect(live.map((t) => t.id).sort()).toEqual([dupTelnet.id, recordFtp.id, dupMqtt.id].sort());
      expect(new Set(live.map((t) => t.finding_id)).size).toBe(3);

      // Telnet: the scheduled task carries on; the record's open one is closed, pointing at it.
      expect(tasks.get(dupTelnet.id)).toMatchObject({ state: 'scheduled', assignee: 'J. Ortiz (Biomed)' });
      expect(tasks.get(recordTelnet.id)).toMatchObject({
        state: 'closed',
        close_reason: `superseded by task ${dupTelnet.id}: device ${duplicate.id} was merged into ${record.id}`,
      });
      // FTP: both open, so the older (the record's) carries on, with the duplicate's control.
      expect(tasks.get(dupFtp.id)).toMatchObject({ state: 'closed' });
      expect(tasks.get(dupFtp.id)!.close_reason).toContain(`superseded by task ${recordFtp.id}`);
      const ftp = await getTask(vdb, cliActor, recordFtp.id);
      expect(ftp).toMatchObject({ state: 'open', fix: 'disable FTP in the service menu' });
      expect(ftp.controls).toMatchObject([{ control: 'monitored', note: 'FTP logins alert the SOC' }]);
      expect(ftp.events.at(-1)).toMatchObject({
        action: 'update',
        details: { after: { controls: ['monitored'] }, takenFrom: dupFtp.id },
      });

      const closed = await getTask(vdb, cliActor, recordTelnet.id);
      expect(closed.events.at(-1)).toMatchObject({
        action: 'supersede',
        from: 'open',
        to: 'closed',
        details: { supersededBy: dupTelnet.id, merge: { source: duplicate.id, into: record.id } },
      });
      const audited = await listAudit(vdb, { action: 'tasks.supersede' });
      expect(audited.map((a) => a.targetId).sort()).toEqual([recordTelnet.id, dupFtp.id].sort());
      expect((await listAudit(vdb, { action: 'device.merge' }))[0]!.summary).toMatchObject({
        findingsFolded: 6,
        tasksMoved: 3,
        tasksSuperseded: 2,
      });
    });
  },
);

// ICSMA-21-308-01: Philips Tasy EMR HTML5 <= 3.06.1803 is affected by CVE-2021-39375 and CVE-2021-39376.
const ADVISORY = join(import.meta.dirname, '../../test/fixtures/advisories/csaf/icsma-21-308-01.json');
const CVE = 'CVE-2021-39375';
const CVE2 = 'CVE-2021-39376';

describe.each(DIALECTS)('merging a record with vulnerability and campaign tasks on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await vdb.close();
  });

  it('moves them to the record, one live task per vulnerability or campaign, instead of verifying them', async () => {
    const tasy = (assetTag: string) => ({
      assetTag,
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1803',
      site: 'Main Campus',
      department: 'Radiology',
    });
    // The same Tasy server, in the CMMS under its new tag and, from an older import, its old one.
    const record = await addDevice(vdb, cliActor, tasy('TASY-1'));
    const duplicate = await addDevice(vdb, cliActor, tasy('OLD-7'));
    await importAdvisoryPaths(vdb, cliActor, [ADVISORY]);
    const day = (d: number) => new Date(`2026-03-0${d}T08:00:00.000Z`);

    const recordCve = await createTask(vdb, cliActor, { device: 'TASY-1', vulnerability: CVE }, day(1));
    const dupCve = await createTask(vdb, cliActor, { device: 'OLD-7', vulnerability: CVE }, day(2));
    await moveTask(
      vdb,
      cliActor,
      dupCve.id,
      {
        state: 'scheduled',
        assignee: 'biomed-1',
        windowStart: '2026-03-10T06:00:00.000Z',
        windowEnd: '2026-03-10T08:00:00.000Z',
      },
      day(2),
    );
    const dupCve2 = await createTask(
      vdb,
      cliActor,
      { device: 'OLD-7', vulnerability: CVE2, assignee: 'biomed-2' },
      day(2),
    );
    // An update campaign without a vulnerability: a task on each record.
    const campaign = await createCampaign(
      vdb,
      cliActor,
      { model: 'Tasy EMR HTML5', version: '3.06.1803', title: 'Tasy to 3.06.1804' },
      day(3),
    );
    const campaignTasks = await vdb.db
      .selectFrom('remediation_tasks')
      .select(['id', 'device_id'])
      .where('campaign_id', '=', campaign.id)
      .execute();
    expect(campaignTasks).toHaveLength(2);
    const recordAction = campaignTasks.find((t) => t.device_id === record.id)!;
    const dupAction = campaignTasks.find((t) => t.device_id === duplicate.id)!;
    await moveTask(
      vdb,
      cliActor,
      dupAction.id,
      { state: 'awaiting-manufacturer', reason: '3.06.1804 not validated yet' },
      day(4),
    );

    await mergeDevices(vdb, cliActor, duplicate.id, record.id);

    const tasks = new Map(
      (await vdb.db.selectFrom('remediation_tasks').selectAll().execute()).map((t) => [t.id, t]),
    );
    expect([...tasks.values()].every((t) => t.device_id === record.id)).toBe(true);
    expect([...tasks.values()].filter((t) => t.state === 'verified')).toEqual([]);
    // The duplicate's work carries on on the record, schedule and assignee included.
    expect(tasks.get(dupCve.id)).toMatchObject({
      state: 'scheduled',
      assignee: 'biomed-1',
      window_start: '2026-03-10T06:00:00.000Z',
    });
    expect(tasks.get(dupCve2.id)).toMatchObject({ state: 'open', assignee: 'biomed-2', vuln_key: CVE2 });
    expect(tasks.get(dupAction.id)).toMatchObject({
      state: 'awaiting-manufacturer',
      campaign_id: campaign.id,
    });
    // The record's own open tasks for the same vulnerability and campaign are superseded.
    expect(tasks.get(recordCve.id)).toMatchObject({
      state: 'closed',
      close_reason: `superseded by task ${dupCve.id}: device ${duplicate.id} was merged into ${record.id}`,
    });
    expect(tasks.get(recordAction.id)).toMatchObject({
      state: 'closed',
      close_reason: `superseded by task ${dupAction.id}: device ${duplicate.id} was merged into ${record.id}`,
    });
    const live = [...tasks.values()].filter((t) => t.state !== 'closed');
    expect(live.map((t) => t.id).sort()).toEqual([dupCve.id, dupCve2.id, dupAction.id].sort());
    expect((await getTask(vdb, cliActor, recordCve.id)).events.at(-1)).toMatchObject({
      action: 'supersede',
      details: { supersededBy: dupCve.id, merge: { source: duplicate.id, into: record.id } },
    });

    // Titles named the duplicate by its tag; they name the record now, the change recorded as an edit.
    expect(dupCve.title).toBe(`${CVE} on OLD-7`);
    expect(tasks.get(dupCve.id)!.title).toBe(`${CVE} on TASY-1`);
    expect(tasks.get(dupCve2.id)!.title).toBe(`${CVE2} on TASY-1`);
    expect(tasks.get(dupAction.id)!.title).toBe('Tasy to 3.06.1804: TASY-1');
    expect(tasks.get(recordCve.id)!.title).toBe(`${CVE} on TASY-1`);
    const retitle = (await getTask(vdb, cliActor, dupCve2.id)).events.find((e) => e.action === 'update');
    expect(retitle).toMatchObject({
      details: {
        before: { title: `${CVE2} on OLD-7` },
        after: { title: `${CVE2} on TASY-1` },
        merge: { source: duplicate.id, into: record.id },
      },
    });
    expect(
      (await listAudit(vdb, { action: 'tasks.update' })).filter((a) => a.targetId === dupAction.id),
    ).toHaveLength(1);

    expect((await listAudit(vdb, { action: 'device.merge' }))[0]!.summary).toMatchObject({
      tasksMoved: 0,
      vulnerabilityTasksMoved: 2,
      actionTasksMoved: 1,
      tasksSuperseded: 2,
      tasksRetitled: 3,
    });
  });

  it('renames titles that named the duplicate by a label it had before, not only by the one it had last', async () => {
    const record = await addDevice(vdb, cliActor, {
      assetTag: 'TASY-1',
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1803',
    });
    // The duplicate came in without a tag: it was "Philips Tasy EMR HTML5 (tasy-old)" when its tasks were made.
    const duplicate = await addDevice(vdb, cliActor, {
      serialNumber: 'TSY-0042',
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1803',
      hostnames: ['tasy-old'],
    });
    await importAdvisoryPaths(vdb, cliActor, [ADVISORY]);
    const day = (d: number) => new Date(`2026-03-0${d}T08:00:00.000Z`);
    const dupCve = await createTask(vdb, cliActor, { device: duplicate.id, vulnerability: CVE }, day(1));
    expect(dupCve.title).toBe(`${CVE} on Philips Tasy EMR HTML5 (tasy-old)`);
    const written = `${CVE2} on the spare server in the basement`;
    const dupCve2 = await createTask(
      vdb,
      cliActor,
      { device: duplicate.id, vulnerability: CVE2, title: written },
      day(1),
    );
    const campaign = await createCampaign(
      vdb,
      cliActor,
      { model: 'Tasy EMR HTML5', version: '3.06.1803', title: 'Tasy to 3.06.1804' },
      day(2),
    );
    // Then someone gave it a tag, and a capture a new address: its label is the tag now.
    await updateDevice(vdb, cliActor, duplicate.id, { assetTag: 'OLD-7', ips: ['10.20.0.77'] });
    expect((await deviceLabels(vdb, [duplicate.id])).get(duplicate.id)).toBe('OLD-7');

    await mergeDevices(vdb, cliActor, duplicate.id, record.id);

    const titles = new Map(
      (await vdb.db.selectFrom('remediation_tasks').select(['id', 'title']).execute()).map((t) => [
        t.id,
        t.title,
      ]),
    );
    expect(titles.get(dupCve.id)).toBe(`${CVE} on TASY-1`);
    expect(titles.get(dupCve2.id)).toBe(written);
    const dupAction = await vdb.db
      .selectFrom('remediation_tasks')
      .select('title')
      .where('campaign_id', '=', campaign.id)
      .where('state', '!=', 'closed')
      .execute();
    expect(dupAction.map((t) => t.title)).toEqual(['Tasy to 3.06.1804: TASY-1']);
  });
});
