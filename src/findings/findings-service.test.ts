import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../test/api-harness.js';
import { DIALECTS } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { listAudit } from '../audit/audit-log.js';
import { applySourceResult } from '../discovery/apply-source-result.js';
import type { FindingObservation, HostObservation } from '../discovery/host-observation.js';
import { importCmmsCsv } from '../inventory/cmms-import.js';
import { updateDevice } from '../inventory/inventory-service.js';
import { getFinding, listFindings, setFindingState } from './findings-service.js';

// The legacy host of the shared captures: Telnet with a cleartext login, FTP, and TLS 1.0 on the web host.
const host = (mac: string, ip: string): HostObservation => ({
  macs: [mac],
  ips: [ip],
  hostnames: [],
  firstSeen: '2026-11-20T10:00:00.000Z',
  lastSeen: '2026-11-20T10:10:00.000Z',
  services: [],
  protocols: [],
  identity: {},
  hints: [],
});
const finding = (
  type: FindingObservation['type'],
  ip: string,
  subject: string,
  packet: number,
): FindingObservation => ({
  type,
  host: { ip },
  subject,
  evidence: {
    source: 'capture',
    file: '07-telnet-ftp-ssh-mqtt.pcap',
    packet,
    time: `2026-11-20T10:0${packet % 10}:00.000Z`,
    summary: `${subject} seen`,
  },
  details: { port: Number(subject.split(':')[1]) },
});

describe.each(DIALECTS)('findings on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
    const { vdb } = h.ctx;
    await importCmmsCsv(vdb, cliActor, {
      file: 'cmms.csv',
      input:
        'asset_tag,mac,site,criticality\nLEG-40,00:a0:aa:5b:00:40,North,life-supporting\nWEB-30,02:00:5e:20:00:30,South,non-clinical\n',
    });
    await applySourceResult(
      vdb,
      cliActor,
      {
        hosts: [host('00:a0:aa:5b:00:40', '10.20.0.40'), host('02:00:5e:20:00:30', '10.20.0.30')],
        findings: [
          finding('cleartext-credentials', '10.20.0.40', 'telnet:23', 12),
          finding('insecure-protocol', '10.20.0.40', 'ftp:21', 30),
          finding('weak-tls', '10.20.0.30', 'tls:4433:TLSv1.0', 44),
        ],
      },
      { kind: 'capture', file: '07-telnet-ftp-ssh-mqtt.pcap' },
    );
  });
  afterAll(async () => h?.close());

  it('lists with filters, rated by the device context', async () => {
    const all = await listFindings(h.ctx.vdb, cliActor, {});
    // A device from the CMMS is labelled by its asset tag.
    expect(all.map((f) => [f.assetTag, f.deviceLabel, f.type, f.severity]).sort()).toEqual([
      ['LEG-40', 'LEG-40', 'cleartext-credentials', 'critical'],
      ['LEG-40', 'LEG-40', 'insecure-protocol', 'high'],
      ['WEB-30', 'WEB-30', 'weak-tls', 'medium'],
    ]);
    expect((await listFindings(h.ctx.vdb, cliActor, { type: 'weak-tls' })).map((f) => f.subject)).toEqual([
      'tls:4433:TLSv1.0',
    ]);
    expect(await listFindings(h.ctx.vdb, cliActor, { severity: ['critical'] })).toHaveLength(1);
    await expect(listFindings(h.ctx.vdb, cliActor, { type: 'nonsense' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });

  it('moves through states with an audit entry; a false positive needs a reason', async () => {
    const [f] = await listFindings(h.ctx.vdb, cliActor, { type: 'insecure-protocol' });
    await setFindingState(h.ctx.vdb, cliActor, f!.id, 'acknowledged');
    expect((await getFinding(h.ctx.vdb, cliActor, f!.id)).state).toBe('acknowledged');
    // Said to every caller (API, dashboard, CLI): no command-line flag in it.
    await expect(setFindingState(h.ctx.vdb, cliActor, f!.id, 'false-positive')).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'Say why it is a false positive: a reason is required',
    });
    await setFindingState(
      h.ctx.vdb,
      cliActor,
      f!.id,
      'false-positive',
      'FTP is the vendor service port, isolated VLAN',
    );
    const [entry] = await listAudit(h.ctx.vdb, { action: 'finding.state' });
    expect(entry?.summary).toMatchObject({
      before: { state: 'acknowledged' },
      after: { state: 'false-positive' },
    });
    expect(await listFindings(h.ctx.vdb, cliActor, { state: ['open', 'acknowledged'] })).toHaveLength(2);
  });

  it('serves findings over the API, limited to the sites of a token', async () => {
    const res = await h.as('auditor').get('/api/v1/findings?severity=critical,high');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { subject: string; evidence: { packet: number } }[] };
    expect(body.items.map((i) => i.subject).sort()).toEqual(['ftp:21', 'telnet:23']);
    expect(body.items.find((i) => i.subject === 'telnet:23')?.evidence.packet).toBe(12);
    // A device named as its label shows it (its address), not only by id; an unknown one is a 404.
    const byAddress = (await (await h.as('auditor').get('/api/v1/findings?deviceId=10.20.0.40')).json()) as {
      items: { subject: string }[];
    };
    expect(byAddress.items.map((i) => i.subject).sort()).toEqual(['ftp:21', 'telnet:23']);
    expect((await h.as('auditor').get('/api/v1/findings?deviceId=10.99.99.99')).status).toBe(404);
    const created = await h.as('admin').post('/api/v1/tokens', { name: 'south-only', sites: ['South'] });
    const { token } = (await created.json()) as { token: string };
    const south = (await (await h.withToken(token).get('/api/v1/findings')).json()) as {
      items: { subject: string }[];
    };
    expect(south.items.map((i) => i.subject)).toEqual(['tls:4433:TLSv1.0']);
    const [leg] = await listFindings(h.ctx.vdb, cliActor, { type: 'cleartext-credentials' });
    expect((await h.withToken(token).get(`/api/v1/findings/${leg!.id}`)).status).toBe(404);
    // A misspelt reason is refused, not dropped from the audit entry.
    const misspelt = await h
      .as('clinical-engineer')
      .post(`/api/v1/findings/${leg!.id}/state`, { state: 'resolved', reasn: 'patched' });
    expect(misspelt.status).toBe(400);
    const changed = await h
      .as('clinical-engineer')
      .post(`/api/v1/findings/${leg!.id}/state`, { state: 'resolved' });
    expect(changed.status).toBe(200);
    expect((await h.as('auditor').post(`/api/v1/findings/${leg!.id}/state`, { state: 'open' })).status).toBe(
      403,
    );
  });

  it('names a passively discovered device by make and model with its address, everywhere it returns', async () => {
    const { vdb } = h.ctx;
    const seen = (ev: string) => ({
      source: 'capture' as const,
      file: '02-dicom-cleartext.pcap',
      time: '2026-11-20T10:00:00.000Z',
      summary: ev,
    });
    await applySourceResult(
      vdb,
      cliActor,
      {
        hosts: [
          {
            ...host('44:4b:5d:c7:21:01', '10.20.0.21'),
            identity: {
              manufacturer: { value: 'GE Medical Systems', confidence: 0.9, evidence: seen('DICOM') },
              model: { value: 'RHAPSODE', confidence: 0.9, evidence: seen('DICOM') },
            },
          },
        ],
        findings: [finding('insecure-protocol', '10.20.0.21', 'ftp:21', 31)],
      },
      { kind: 'capture', file: '02-dicom-cleartext.pcap' },
    );
    const label = 'GE Medical Systems RHAPSODE (10.20.0.21)';
    const [ct] = (await listFindings(vdb, cliActor, { type: 'insecure-protocol' })).filter(
      (f) => f.assetTag === null,
    );
    expect(ct).toMatchObject({ subject: 'ftp:21', deviceLabel: label });
    expect((await getFinding(vdb, cliActor, ct!.id)).deviceLabel).toBe(label);
    expect((await setFindingState(vdb, cliActor, ct!.id, 'acknowledged')).deviceLabel).toBe(label);
    const res = await h.as('auditor').get(`/api/v1/findings/${ct!.id}`);
    expect(((await res.json()) as { deviceLabel: string }).deviceLabel).toBe(label);
    const page = (await (await h.as('auditor').get('/api/v1/findings?type=insecure-protocol')).json()) as {
      items: { deviceId: string; deviceLabel: string }[];
    };
    expect(page.items.map((i) => i.deviceLabel).sort()).toEqual([
      'GE Medical Systems RHAPSODE (10.20.0.21)',
      'LEG-40',
    ]);
  });

  it('scores the findings again when someone declares the criticality or ePHI of their device', async () => {
    const { vdb } = h.ctx;
    const weak = async () => (await listFindings(vdb, cliActor, { type: 'weak-tls' }))[0]!.severity;
    expect(await weak()).toBe('medium');
    // Triage: the web host turns out to be a bedside device; no capture needs to see it again.
    await updateDevice(vdb, cliActor, 'WEB-30', { criticality: 'life-sustaining' });
    expect(await weak()).toBe('high');
    await updateDevice(vdb, cliActor, 'WEB-30', { criticality: 'non-clinical' });
    expect(await weak()).toBe('medium');
    // The CMMS, too: a new export says the host stores ePHI.
    await importCmmsCsv(vdb, cliActor, { file: 'cmms.csv', input: 'asset_tag,ephi\nWEB-30,yes\n' });
    expect(await weak()).toBe('high');
  });
});
