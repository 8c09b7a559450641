/**
 * The communication map on SQLite and PostgreSQL from real traffic: the simulated hospital LAN of the
 * shared captures (site SGH, zones `clinical` and `integration`, its devices), the HL7 capture imported
 * through the real capture path, a policy proposed from it and approved, then the DICOM, HTTP/TLS and
 * Telnet/FTP captures imported: the map groups by zone and by device class, counts flows and bytes, marks
 * the edges the approved policy does not allow, limits edges, and honours site limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import type { Actor } from '../accounts/actor.js';
import { addDevice } from '../inventory/inventory-service.js';
import { addSegment, createSite } from '../inventory/site-service.js';
import { approvePolicy, proposeDraft } from '../policy/policy-service.js';
import { SGH_SEGMENTS } from '../policy/policy-test-fixtures.js';
import { listCommunications } from '../store/communication-store.js';
import type { VigilDatabase } from '../store/database.js';
import { findSite } from '../store/site-store.js';
import { communicationMap } from './communication-map.js';

const capture = (name: string) => new URL(`../../test/fixtures/captures/${name}`, import.meta.url).pathname;

async function importCapture(vdb: VigilDatabase, file: string) {
  await importCaptureFile(vdb, capture(file));
}

/**
 * The hosts of the shared captures' LAN with the MAC addresses their README gives them, so the capture
 * import recognises them (an address alone does not identify a device).
 */
const HOSTS = [
  { assetTag: 'PACS-1', deviceClass: 'pacs', macs: ['02:00:5e:20:00:10'], ips: ['10.20.0.10'] },
  { assetTag: 'PACS-2', deviceClass: 'pacs', macs: ['02:00:5e:20:00:11'], ips: ['10.20.0.11'] },
  { assetTag: 'CT-1', deviceClass: 'imaging-ct', macs: ['44:4b:5d:c7:21:01'], ips: ['10.20.0.21'] },
  { assetTag: 'WEB-1', deviceClass: 'it', macs: ['02:00:5e:20:00:30'], ips: ['10.20.0.30'] },
  { assetTag: 'LEGACY-1', deviceClass: 'patient-monitor', macs: ['00:a0:aa:5b:00:40'], ips: ['10.20.0.40'] },
  { assetTag: 'WS-1', deviceClass: 'medical-workstation', macs: ['02:00:5e:20:00:50'], ips: ['10.20.0.50'] },
  { assetTag: 'PUMP-1', deviceClass: 'infusion-pump', macs: ['58:42:e4:10:00:60'], ips: ['10.20.0.60'] },
  { assetTag: 'HL7-1', deviceClass: 'it', macs: ['02:00:5e:30:00:05'], ips: ['10.30.0.5'] },
  { assetTag: 'MON-GW', deviceClass: 'patient-monitor', macs: ['00:09:5c:41:00:41'], ips: ['10.30.0.41'] },
  { assetTag: 'ADT-1', deviceClass: 'it', macs: ['02:00:5e:30:00:42'], ips: ['10.30.0.42'] },
];

const monitorOnly: Actor = { ...cliActor, name: 'monitor', permissions: new Set(['monitor:read']) };
const reader: Actor = { ...cliActor, name: 'reader', permissions: new Set(['monitor:read', 'policy:read']) };

describe.each(DIALECTS)('communication map on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await createSite(vdb, cliActor, { name: 'SGH' });
    for (const seg of SGH_SEGMENTS) await addSegment(vdb, cliActor, 'SGH', seg);
    for (const d of HOSTS) await addDevice(vdb, cliActor, { ...d, site: 'SGH' });
    await importCapture(vdb, '04-hl7-mllp.pcap');
    // The policy approved from the HL7 traffic alone: what the later captures add is not allowed.
    const draft = await proposeDraft(vdb, cliActor, { name: 'hl7 only' });
    await approvePolicy(vdb, cliActor, draft.id);
    for (const file of ['dicom-ct-store.pcap', '06-http-tls.pcapng', '07-telnet-ftp-ssh-mqtt.pcap'])
      await importCapture(vdb, file);
  });
  afterAll(async () => vdb?.close());

  it('groups by zone: the HL7 edge inside integration is allowed, later traffic is not', async () => {
    const comms = await listCommunications(vdb);
    const sut = await communicationMap(vdb, reader, { site: 'SGH' });
    expect(sut.groupBy).toBe('zone');
    expect(sut.truncated).toBe(false);
    expect(sut.policyId).not.toBeNull();
    // Every stored communication (all of them are between SGH's devices) is in exactly one edge.
    expect(sut.edges.reduce((n, e) => n + e.flows, 0)).toBe(comms.length);
    expect(sut.edges.reduce((n, e) => n + e.bytes, 0)).toBe(comms.reduce((n, c) => n + c.bytes, 0));
    expect(sut.edges.reduce((n, e) => n + e.connections, 0)).toBe(
      comms.reduce((n, c) => n + c.connections, 0),
    );

    const hl7 = sut.edges.find((e) => e.from === 'zone:integration' && e.to === 'zone:integration');
    expect(hl7).toMatchObject({ protocols: ['hl7'], ports: [2575], allowedByPolicy: true, blockedFlows: 0 });
    expect(hl7!.flows).toBe(2);
    expect(sut.nodes.find((n) => n.id === 'zone:integration')).toMatchObject({
      label: 'integration',
      kind: 'zone',
      devices: 3,
    });
    const clinical = sut.edges.find((e) => e.from === 'zone:clinical' && e.to === 'zone:clinical');
    expect(clinical).toMatchObject({ allowedByPolicy: false, flows: 13, blockedFlows: 13 });
    expect(clinical!.ports).toContain(104);
    expect(clinical!.protocols).toContain('dicom');
    // Edges are sorted busiest first and every edge end is a node.
    const ids = new Set(sut.nodes.map((n) => n.id));
    for (const e of sut.edges) expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
    expect(sut.edges.map((e) => e.flows)).toEqual([...sut.edges.map((e) => e.flows)].sort((a, b) => b - a));
  });

  it('groups by device class and keeps the verdict from the same policy', async () => {
    const sut = await communicationMap(vdb, reader, { site: 'SGH', groupBy: 'deviceClass' });
    const hl7 = sut.edges.find((e) => e.from === 'class:patient-monitor' && e.to === 'class:it');
    expect(hl7).toMatchObject({ protocols: ['hl7'], ports: [2575], flows: 1, allowedByPolicy: true });
    const dicom = sut.edges.find((e) => e.from === 'class:imaging-ct' && e.to === 'class:pacs');
    expect(dicom).toMatchObject({
      protocols: ['dicom'],
      ports: [104],
      allowedByPolicy: false,
      blockedFlows: 1,
    });
    // The workstation reached the second PACS (Orthanc's web port) too: two PACS in the node.
    expect(sut.nodes.find((n) => n.id === 'class:pacs')).toMatchObject({ kind: 'deviceClass', devices: 2 });
    expect(sut.edges.find((e) => e.from === 'class:it' && e.to === 'class:it')).toMatchObject({
      ports: [2575],
      allowedByPolicy: true,
    });
  });

  it('limits edges, filters by time, and leaves the verdict out without policy:read', async () => {
    const full = await communicationMap(vdb, monitorOnly, {});
    expect(full.policyId).toBeNull();
    expect(full.edges.every((e) => e.allowedByPolicy === undefined)).toBe(true);
    const one = await communicationMap(vdb, monitorOnly, { limit: 1 });
    expect(one).toMatchObject({ truncated: true, totalEdges: full.totalEdges });
    expect(one.edges).toEqual([full.edges[0]]);
    expect(one.nodes.length).toBeLessThanOrEqual(2);
    const future = await communicationMap(vdb, monitorOnly, { since: '2099-01-01T00:00:00Z' });
    expect(future).toMatchObject({ edges: [], nodes: [], totalEdges: 0, truncated: false });
  });

  it('shows a site-limited account only its sites and refuses others', async () => {
    await createSite(vdb, cliActor, { name: 'Elsewhere' });
    const elsewhere = await findSite(vdb, 'Elsewhere');
    const limited: Actor = { ...reader, siteIds: [elsewhere!.id] };
    expect((await communicationMap(vdb, limited, {})).edges).toEqual([]);
    await expect(communicationMap(vdb, limited, { site: 'SGH' })).rejects.toThrow(/No access/);
    await expect(communicationMap(vdb, reader, { site: 'Nowhere' })).rejects.toThrow(/Nowhere/);
    await expect(communicationMap(vdb, reader, { groupBy: 'vendor' as never })).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [expect.objectContaining({ field: 'groupBy' })],
    });
    const noRead: Actor = { ...cliActor, permissions: new Set(['policy:read']) };
    await expect(communicationMap(vdb, noRead, {})).rejects.toThrow(/monitor:read/);
  });
});
