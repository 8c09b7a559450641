/**
 * The `dicom-any-ae-title:PORT` finding from both sources that see it, on the project's nmap scan of its
 * simulated hospital LAN: the capture of the scan (test/fixtures/monitor/08-nmap-scan.pcap) and its XML
 * output (test/fixtures/nmap/sgh-medical-lan.xml), PROVENANCE.md beside each. nmap's dicom-ping asks as
 * ECHOSCU for ANY-SCP; dcmtk storescp (10.20.0.10:104) and Orthanc (10.20.0.11:4242) accept it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import { showDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { analyzeCapture } from './capture-analyzer.js';
import { isAnyAeTitlePing, isProbeAeTitle } from './dicom-any-ae.js';
import type { SourceResult } from './host-observation.js';
import { parseNmapXml } from './nmap-xml.js';

const fixture = (path: string) => join(import.meta.dirname, '../../test/fixtures', path);
const SCAN = fixture('monitor/08-nmap-scan.pcap');

const anyAe = (r: SourceResult) =>
  r.findings
    .filter((f) => f.subject.startsWith('dicom-any-ae-title:'))
    .map((f) => ({ type: f.type, ip: f.host.ip, subject: f.subject, packet: f.evidence.packet }))
    .sort((a, b) => a.subject.localeCompare(b.subject));

describe('dicom-any-ae-title from a capture', () => {
  it('08: the A-ASSOCIATE-ACs to ANY-SCP, each on its server and at the packet of the AC', async () => {
    const r = await analyzeCapture(SCAN, { file: '08-nmap-scan.pcap' });
    // tshark: frames 2500 (10.20.0.10:104) and 2494 (10.20.0.11:4242) are "A-ASSOCIATE accept ECHOSCU
    // <-- ANY-SCP"; the request to 10.20.0.10:2762 (a TLS port) got no AC.
    expect(anyAe(r)).toEqual([
      { type: 'insecure-protocol', ip: '10.20.0.10', subject: 'dicom-any-ae-title:104', packet: 2500 },
      { type: 'insecure-protocol', ip: '10.20.0.11', subject: 'dicom-any-ae-title:4242', packet: 2494 },
    ]);
    const f = r.findings.find((x) => x.subject === 'dicom-any-ae-title:104')!;
    expect(f.details).toEqual({
      protocol: 'dicom',
      port: 104,
      detection: 'association',
      calledAeTitle: 'ANY-SCP',
    });
    expect(f.evidence.connection).toBe('10.20.0.99:53028 → 10.20.0.10:104/tcp');
  });

  it("08: the tools' titles are hints dicom.probeAeTitle, never AE titles of the scanner or the servers", async () => {
    const r = await analyzeCapture(SCAN, { file: '08-nmap-scan.pcap' });
    const host = (ip: string) => r.hosts.find((h) => h.ips.includes(ip))!;
    for (const ip of ['10.20.0.99', '10.20.0.10', '10.20.0.11'])
      expect(host(ip).dicom?.aeTitles ?? [], ip).toEqual([]);
    const probe = (ip: string) =>
      host(ip)
        .hints.filter((h) => h.kind === 'dicom.probeAeTitle')
        .map((h) => h.value);
    expect(probe('10.20.0.99')).toEqual(['ECHOSCU']);
    expect(probe('10.20.0.10')).toEqual(['ANY-SCP']);
    expect(probe('10.20.0.11')).toEqual(['ANY-SCP']);
  });

  it('02: a PACS accepting calls to PACS_MAIN and NOT_A_PACS may accept any title; NOT_A_PACS is not its own', async () => {
    const r = await analyzeCapture(fixture('captures/02-dicom-cleartext.pcap'), { file: '02.pcap' });
    // tshark: frame 8 "A-ASSOCIATE accept CT_RHAPSODE01 <-- PACS_MAIN" (also 42, 110, 530 from the MR and
    // the ECG cart); frame 871 "A-ASSOCIATE accept WRONG_AE <-- NOT_A_PACS" (storescp checks no called title).
    expect(anyAe(r)).toEqual([
      { type: 'insecure-protocol', ip: '10.20.0.10', subject: 'dicom-any-ae-title:104', packet: 871 },
    ]);
    const f = r.findings.find((x) => x.subject === 'dicom-any-ae-title:104')!;
    expect(f.details).toEqual({
      protocol: 'dicom',
      port: 104,
      detection: 'several-called-titles',
      calledAeTitles: ['PACS_MAIN', 'NOT_A_PACS'],
    });
    expect(f.evidence.connection).toMatch(/^10\.20\.0\.50:\d+ → 10\.20\.0\.10:104\/tcp$/);
    expect(f.evidence.summary).toContain(
      '(packet 8): 10.20.0.10:104 accepted associations addressed to PACS_MAIN and NOT_A_PACS: it may accept any called AE title',
    );
    const host = (ip: string) => r.hosts.find((h) => h.ips.includes(ip))!;
    // Three modalities called PACS_MAIN, one workstation NOT_A_PACS once.
    expect(host('10.20.0.10').dicom?.aeTitles).toEqual(['PACS_MAIN']);
    expect(
      host('10.20.0.10')
        .hints.filter((h) => h.kind === 'dicom.acceptedAeTitle')
        .map((h) => [h.value, h.evidence.packet]),
    ).toEqual([['NOT_A_PACS', 871]]);
    // Orthanc, called ORTHANC only, keeps it and raises nothing.
    expect(host('10.20.0.11').dicom?.aeTitles).toEqual(['ORTHANC']);
    expect(r.hosts.flatMap((h) => h.hints).filter((h) => h.kind === 'dicom.probeAeTitle')).toEqual([]);
  });
});

describe('dicom-any-ae-title from nmap XML', () => {
  it('dicom-ping "Any AET is accepted (Insecure)" on 104 and 4242; not on 2762, where the script failed', () => {
    const r = parseNmapXml(readFileSync(fixture('nmap/sgh-medical-lan.xml')), {
      file: 'sgh-medical-lan.xml',
    });
    expect(anyAe(r)).toEqual([
      { type: 'insecure-protocol', ip: '10.20.0.10', subject: 'dicom-any-ae-title:104', packet: undefined },
      { type: 'insecure-protocol', ip: '10.20.0.11', subject: 'dicom-any-ae-title:4242', packet: undefined },
    ]);
    const f = r.findings.find((x) => x.subject === 'dicom-any-ae-title:4242')!;
    expect(f.details).toEqual({ protocol: 'dicom', port: 4242, detection: 'dicom-ping' });
    expect(f.evidence).toMatchObject({ source: 'scanner', file: 'sgh-medical-lan.xml' });
    expect(f.evidence.summary).toMatch(/^nmap dicom-ping: "Any AET is accepted \(Insecure\)" on 4242\/tcp/);
  });
});

describe('probe titles and verdicts', () => {
  it('space-padded as in the PDU; real titles and the other dicom-ping verdict are not', () => {
    expect(isProbeAeTitle('ANY-SCP         ')).toBe(true);
    expect(isProbeAeTitle('ECHOSCU')).toBe(true);
    expect(isProbeAeTitle('PACS_MAIN')).toBe(false);
    expect(isProbeAeTitle('NOT_A_PACS')).toBe(false);
    expect(isAnyAeTitlePing('Any AET is accepted (Insecure)')).toBe(true);
    expect(isAnyAeTitlePing('Called AET check enabled')).toBe(false);
    expect(isAnyAeTitlePing(undefined)).toBe(false);
  });
});

describe.each(DIALECTS)('importing the scan capture on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  it('stores the finding on the PACS and no ANY-SCP among its AE titles', async () => {
    vdb = await freshDatabase(dialect);
    await importCaptureFile(vdb, SCAN);
    const findings = await vdb.db
      .selectFrom('findings')
      .select(['type', 'subject', 'evidence'])
      .where('subject', 'like', 'dicom-any-ae-title:%')
      .orderBy('subject')
      .execute();
    expect(findings.map((f) => [f.type, f.subject, JSON.parse(f.evidence).packet])).toEqual([
      ['insecure-protocol', 'dicom-any-ae-title:104', 2500],
      ['insecure-protocol', 'dicom-any-ae-title:4242', 2494],
    ]);
    const pacs = await showDevice(vdb, cliActor, '10.20.0.10');
    expect(pacs.dicom?.aeTitles ?? []).not.toContain('ANY-SCP');
    expect(pacs.hints).toContainEqual(
      expect.objectContaining({ kind: 'dicom.probeAeTitle', value: 'ANY-SCP' }),
    );
  });
});
