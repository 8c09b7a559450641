/**
 * Captures that hold one direction only (an RX-only SPAN port, asymmetric routing, `tcpdump -Q in`): the
 * project's real DICOM, HL7, HTTP/TLS and Telnet/FTP captures cut by tshark into the clients' half and the
 * servers' half (test/fixtures/captures/oneway-*, PROVENANCE.md there). What a host sends is evidence
 * about it; a server only seen receiving a whole message of its protocol is a listener whose evidence says
 * so; SYNs nobody answered stay nothing.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tsharkFrames } from '../../test/fixtures/captures/capture-fixtures.js';
import { TcpConnection } from '../flows/tcp-connection.js';
import { analyzeCapture } from './capture-analyzer.js';
import type { HostObservation, SourceResult } from './host-observation.js';
import { HostTable } from './host-table.js';
import { RECEIVING_ONLY_NOTE, ReceivingOnlyListeners } from './receiving-only.js';

const fixture = (name: string) => join(import.meta.dirname, '../../test/fixtures/captures', name);
const analyze = (name: string) => analyzeCapture(fixture(name), { file: name });
const host = (r: SourceResult, ip: string): HostObservation | undefined =>
  r.hosts.find((h) => h.ips.includes(ip));
const findings = (r: SourceResult) => r.findings.map((f) => `${f.type} ${f.host.ip} ${f.subject}`).sort();
const services = (h: HostObservation | undefined) =>
  (h?.services ?? []).map((s) => `${s.port}/${s.transport} ${s.protocol}`);

describe('captures of the clients’ direction only', () => {
  it('the fixtures hold no packet from the servers (tshark)', () => {
    const from = (name: string) => new Set(tsharkFrames(name).flatMap((f) => [...f.ipSrc, ...f.ip6Src]));
    expect([...from('oneway-hl7-mllp-client.pcap')].sort()).toEqual(['10.30.0.41', '10.30.0.42']);
    expect([...from('oneway-dicom-ct-store-client.pcap')]).toEqual(['10.20.0.21']);
    expect(from('oneway-telnet-ftp-client.pcap').has('10.20.0.40')).toBe(false);
    expect(from('oneway-http-tls-client.pcap').has('10.20.0.30')).toBe(false);
  });

  it('HL7: the senders speak HL7 with their profiles, the engine listens on 2575 with a note, PHI on the senders', async () => {
    const r = await analyze('oneway-hl7-mllp-client.pcap');
    for (const ip of ['10.30.0.41', '10.30.0.42']) expect(host(r, ip)?.protocols).toEqual(['hl7']);
    expect(host(r, '10.30.0.41')?.hl7?.sendingApplications).toEqual(['MONITOR_GW']);
    expect(host(r, '10.30.0.42')?.hl7?.messageTypes).toEqual(['ADT^A01', 'ADT^A08']);
    const engine = host(r, '10.30.0.5');
    expect(engine?.services).toEqual([
      expect.objectContaining({ port: 2575, transport: 'tcp', protocol: 'hl7', encrypted: false }),
    ]);
    expect(engine?.services[0]?.evidence.summary).toBe(
      `HL7 message over MLLP received (${RECEIVING_ONLY_NOTE})`,
    );
    expect(findings(r)).toEqual(['cleartext-phi 10.30.0.41 hl7:2575', 'cleartext-phi 10.30.0.42 hl7:2575']);
    // The conversations happened: the senders' acknowledgements show the engine accepted them.
    expect(r.flows?.filter((f) => f.server === '10.30.0.5')).toEqual([
      expect.objectContaining({ client: '10.30.0.41', port: 2575, protocol: 'hl7', established: true }),
      expect.objectContaining({ client: '10.30.0.42', port: 2575, protocol: 'hl7', established: true }),
    ]);
  });

  it("DICOM: the modality's calling AE title, the called AE title as a hint on the PACS, PHI on the modality", async () => {
    const r = await analyze('oneway-dicom-ct-store-client.pcap');
    const modality = host(r, '10.20.0.21');
    expect(modality?.protocols).toEqual(['dicom']);
    expect(modality?.dicom?.aeTitles).toEqual(['CT_RHAPSODE01']);
    const pacs = host(r, '10.20.0.10');
    expect(services(pacs)).toEqual(['104/tcp dicom']);
    expect(pacs?.services[0]?.evidence.summary).toContain(RECEIVING_ONLY_NOTE);
    // Not counted as its own title: no A-ASSOCIATE-AC says the PACS answers to it.
    expect(pacs?.dicom?.aeTitles ?? []).toEqual([]);
    expect(pacs?.hints.filter((h) => h.kind === 'dicom.calledAeTitle').map((h) => h.value)).toEqual([
      'PACS_MAIN',
    ]);
    expect(findings(r)).toEqual(['cleartext-phi 10.20.0.21 dicom:104']);
    expect(r.dicomAssociations).toEqual([
      expect.objectContaining({
        callingAeTitle: 'CT_RHAPSODE01',
        calledAeTitle: 'PACS_MAIN',
        outcome: 'unanswered',
      }),
    ]);
  });

  it('Telnet and FTP: logins typed in cleartext are cleartext-credentials, the protocols insecure-protocol', async () => {
    const r = await analyze('oneway-telnet-ftp-client.pcap');
    expect(findings(r)).toEqual([
      'cleartext-credentials 10.20.0.40 ftp:21',
      'cleartext-credentials 10.20.0.40 telnet:23',
      'cleartext-phi 10.20.0.60 mqtt:1883',
      'insecure-protocol 10.20.0.40 ftp:21',
      'insecure-protocol 10.20.0.40 mqtt:1883',
      'insecure-protocol 10.20.0.40 telnet:23',
    ]);
    const telnet = r.findings.find((f) => f.subject === 'telnet:23' && f.type === 'cleartext-credentials');
    expect(telnet?.details).toEqual({ protocol: 'telnet', port: 23, loginPromptSeen: false });
    expect(services(host(r, '10.20.0.40'))).toEqual([
      '21/tcp ftp',
      '22/tcp ssh',
      '23/tcp telnet',
      '1883/tcp mqtt',
    ]);
    expect(host(r, '10.20.0.50')?.protocols).toEqual(['ftp', 'ssh', 'telnet']);
    // The user name and password typed are nowhere in the result.
    expect(JSON.stringify(r)).not.toMatch(/biomed|Spacelabs123|ftp@example\.com/);
  });

  it('HTTP and TLS: requests and ClientHellos name the listeners, user agents stay hints of the client', async () => {
    const r = await analyze('oneway-http-tls-client.pcap');
    expect(services(host(r, '10.20.0.30'))).toEqual([
      '80/tcp http',
      '443/tcp tls',
      '4433/tcp tls',
      '8443/tcp tls',
    ]);
    expect(
      host(r, '10.20.0.30')?.services.every((s) => s.evidence.summary.endsWith(`(${RECEIVING_ONLY_NOTE})`)),
    ).toBe(true);
    expect(services(host(r, '10.20.0.11'))).toEqual(['8042/tcp http']);
    expect(host(r, '10.20.0.50')?.protocols).toEqual(['http', 'tls']);
    // Findings that rest on the server's answer (its certificate, the patient API's 200) need that answer.
    expect(findings(r)).toEqual([]);
  });

  it('SYNs alone (no acknowledgement, no data) give no service and no host for the server', async () => {
    const r = await analyze('oneway-hl7-mllp-client-syns.pcap');
    expect(host(r, '10.30.0.5')).toBeUndefined();
    expect(r.hosts.flatMap((h) => h.services)).toEqual([]);
    expect(r.hosts.flatMap((h) => h.protocols)).toEqual([]);
    expect(r.flows?.every((f) => f.established === false && f.protocol === null)).toBe(true);
  });
});

describe('captures of the servers’ direction only', () => {
  it("HL7: the engine's ACKs in MLLP give it its HL7 service and profile", async () => {
    const r = await analyze('oneway-hl7-mllp-server.pcap');
    const engine = host(r, '10.30.0.5');
    expect(engine?.services).toEqual([
      expect.objectContaining({ port: 2575, protocol: 'hl7', encrypted: false }),
    ]);
    expect(engine?.hl7?.sendingApplications).toEqual(['EHR', 'HL7_ENGINE']);
  });

  it('DICOM, HTTP/TLS, Telnet/FTP: banners and answers give the servers their services, as two-sided', async () => {
    const dicom = await analyze('oneway-dicom-ct-store-server.pcap');
    expect(host(dicom, '10.20.0.10')?.dicom?.aeTitles).toEqual(['PACS_MAIN']);
    const web = await analyze('oneway-http-tls-server.pcap');
    expect(services(host(web, '10.20.0.30'))).toEqual([
      '80/tcp http',
      '443/tcp tls',
      '4433/tcp tls',
      '8443/tcp tls',
    ]);
    const legacy = await analyze('oneway-telnet-ftp-server.pcap');
    expect(services(host(legacy, '10.20.0.40'))).toEqual([
      '21/tcp ftp',
      '22/tcp ssh',
      '23/tcp telnet',
      '1883/tcp mqtt',
    ]);
  });
});

describe('a Telnet session that logs in by itself (telnetd --exec-login=/bin/sh)', () => {
  it('with both directions no prompt and no credentials is no cleartext-credentials', async () => {
    const r = await analyze('telnet-autologin.pcap');
    expect(findings(r)).toEqual(['insecure-protocol 10.20.0.40 telnet:23']);
  });

  // Known limit: without the server's half, commands typed into such a shell look like a login.
  it('with the client’s half only, its lines are taken as a login (no prompt can say otherwise)', async () => {
    const r = await analyze('telnet-autologin-client.pcap');
    expect(findings(r)).toEqual([
      'cleartext-credentials 10.20.0.40 telnet:23',
      'insecure-protocol 10.20.0.40 telnet:23',
    ]);
  });
});

describe('ReceivingOnlyListeners', () => {
  const evidence = { source: 'capture' as const, file: 'x.pcap', summary: 'HL7 message over MLLP received' };
  const refusal = { source: 'live' as const, file: 'eth0', summary: 'RST to SYN: 2575/tcp refused' };
  const conn = () => {
    const c = new TcpConnection(1, {} as never);
    Object.assign(c, { serverIp: '10.30.0.5', serverPort: 2575, firstTime: 1, lastTime: 2 });
    return c;
  };

  it('a server that refused or reset the port anywhere in the capture is not made its listener', () => {
    const sut = new ReceivingOnlyListeners();
    const hosts = new HostTable();
    sut.received(conn(), 'hl7', evidence);
    sut.refusedBy('10.30.0.5', 2575, () => refusal);
    sut.settle(
      (ip) => hosts.ip(ip),
      () => {},
    );
    expect(hosts.finish().hosts).toEqual([]);
  });

  it('a refusal of another port does not contradict it', () => {
    const sut = new ReceivingOnlyListeners();
    const hosts = new HostTable();
    sut.received(conn(), 'hl7', evidence);
    sut.refusedBy('10.30.0.5', 2576, () => refusal);
    sut.settle(
      (ip) => hosts.ip(ip),
      () => {},
    );
    expect(hosts.finish().hosts.map((h) => h.services.map((s) => s.port))).toEqual([[2575]]);
  });

  it('a sensor settling slice by slice withdraws, once, a listener a later slice shows refused', () => {
    const sut = new ReceivingOnlyListeners();
    const hosts = new HostTable();
    const settle = () =>
      sut.settle(
        (ip) => hosts.ip(ip),
        () => {},
      );
    sut.received(conn(), 'hl7', evidence);
    settle();
    expect(sut.takeWithdrawn()).toEqual([]);
    sut.refusedBy('10.30.0.5', 2575, () => refusal);
    sut.refusedBy('10.30.0.5', 2575, () => refusal);
    sut.received(conn(), 'hl7', evidence);
    settle();
    expect(sut.takeWithdrawn()).toEqual([
      { ip: '10.30.0.5', port: 2575, protocol: 'hl7', evidence: refusal },
    ]);
    expect(sut.takeWithdrawn()).toEqual([]);
  });

  it('a long-running sensor remembers the 10,000 listeners it recorded last, not the first', () => {
    const sut = new ReceivingOnlyListeners();
    const hosts = new HostTable();
    const on = (port: number) => Object.assign(conn(), { serverPort: port });
    const settle = () =>
      sut.settle(
        (ip) => hosts.ip(ip),
        () => {},
      );
    for (let port = 1; port <= 10_000; port++) sut.received(on(port), 'hl7', evidence);
    settle();
    sut.received(on(10_001), 'hl7', evidence);
    settle();
    sut.refusedBy('10.30.0.5', 1, () => refusal);
    sut.refusedBy('10.30.0.5', 10_001, () => refusal);
    expect(sut.takeWithdrawn().map((w) => w.port)).toEqual([10_001]);
  });
});
