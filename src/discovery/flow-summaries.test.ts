/**
 * Conversation summaries from real captures (test/fixtures/captures and test/fixtures/monitor, see the
 * PROVENANCE files there), checked against what tshark's own TCP stream tracking says
 * (test/fixtures/monitor/expected/*.conv.tsv, written by make-expected.sh), plus the cap and a
 * property test that nothing is lost when conversations overflow.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodedPacket, IpProtocol } from '../decode/decoded-packet.js';
import type { TcpConnection } from '../flows/tcp-connection.js';
import { analyzeCapture, isHostAddress } from './capture-analyzer.js';
import { FlowSummaries } from './flow-summaries.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures');
const CASES = [
  'monitor/08-nmap-scan.pcap',
  'captures/07-telnet-ftp-ssh-mqtt.pcap',
  'captures/04-hl7-mllp.pcap',
  'captures/dicom-ct-store.pcap',
];

function expected(name: string): string[] {
  const base = name.split('/').pop()!;
  return readFileSync(join(fixtures, 'monitor/expected', `${base}.conv.tsv`), 'utf8')
    .trim()
    .split('\n')
    .sort();
}

describe('flow summaries from captures', () => {
  for (const name of CASES) {
    it(`${name}: TCP conversations, connections, packets and payload bytes match tshark`, async () => {
      const r = await analyzeCapture(join(fixtures, name), { file: name.split('/').pop()! });
      const tcp = (r.flows ?? [])
        .filter((f) => f.transport === 'tcp')
        .map((f) => [f.client, f.server, f.port, f.connections, f.packets, f.bytes].join('\t'))
        .sort();
      expect(tcp).toEqual(expected(name));
      expect(r.stats.flows.overflow).toEqual({ connections: 0, packets: 0, bytes: 0 });
    });
  }

  it('names protocols, handshakes and evidence', async () => {
    const r = await analyzeCapture(join(fixtures, 'captures/07-telnet-ftp-ssh-mqtt.pcap'), {
      file: '07.pcap',
    });
    const telnet = r.flows!.find((f) => f.port === 23)!;
    expect(telnet).toMatchObject({
      client: '10.20.0.50',
      server: '10.20.0.40',
      transport: 'tcp',
      protocol: 'telnet',
      established: true,
      evidence: { source: 'capture', file: '07.pcap', summary: expect.stringContaining('1 connection') },
    });
    expect(telnet.evidence.connection).toMatch(/^10\.20\.0\.50:\d+ → 10\.20\.0\.40:23\/tcp$/);
    expect(telnet.firstSeen < telnet.lastSeen).toBe(true);
    expect(r.flows!.find((f) => f.port === 22)?.protocol).toBe('ssh');
  });

  it('counts refused and unanswered scan probes as not established', async () => {
    const r = await analyzeCapture(join(fixtures, 'monitor/08-nmap-scan.pcap'), { file: 'scan.pcap' });
    const closed = r.flows!.filter((f) => f.transport === 'tcp' && !f.established);
    const open = r.flows!.filter((f) => f.transport === 'tcp' && f.established);
    expect(closed.length).toBeGreaterThan(20);
    expect(open.map((f) => `${f.server}:${f.port}`)).toEqual(
      expect.arrayContaining(['10.20.0.10:104', '10.20.0.40:23']),
    );
  });

  it("labels a scanner's conversation by what the server answered, not by the probes it ignored", async () => {
    // nmap -sV sends an HTTP GET (tshark frame 457), OPTIONS and TLS ClientHellos to storescp's DICOM port;
    // storescp resets them and answers only its dicom-ping A-ASSOCIATE-RQ with an A-ASSOCIATE-AC (frame 2500).
    // Orthanc's DICOM port 4242 gets the same; its HTTP port 8042 answers HTTP.
    const r = await analyzeCapture(join(fixtures, 'monitor/08-nmap-scan.pcap'), { file: 'scan.pcap' });
    const label = (server: string, port: number) =>
      r.flows!.find((f) => f.client === '10.20.0.99' && f.server === server && f.port === port)?.protocol;
    expect(label('10.20.0.10', 104)).toBe('dicom');
    expect(label('10.20.0.11', 4242)).toBe('dicom');
    expect(label('10.20.0.10', 2762)).toBe('tls');
    expect(label('10.20.0.11', 8042)).toBe('http');
    // Telnet answers nmap with option negotiation only: still Telnet.
    expect(label('10.20.0.40', 23)).toBe('telnet');
  });

  it("labels a scanner's connection by the protocol its server answered in, whatever the probe called for", async () => {
    // Connections cut from 08-nmap-scan.pcap (test/fixtures/captures/PROVENANCE.md), tshark frames of the
    // scan: TLS ClientHellos to vsFTPd's port 21 answered with its "220" banner (2978/2980, 2991/2993);
    // an HTTP GET to telnetd's 23 answered with Telnet option negotiation (1208/1212); a TLS ClientHello
    // to Orthanc's HTTP port 8042 answered "HTTP/1.0 400 Bad Request" (2538/2544); an RDP connection
    // request to storescp's 104 answered with an A-ABORT (1385/1387). Each port's conversation is only
    // these, so before the fix all four read null.
    const r = await analyzeCapture(join(fixtures, 'captures/nmap-probes-answered-otherwise.pcap'), {
      file: 'probes.pcap',
    });
    const conversation = (server: string, port: number) =>
      r.flows!.find((f) => f.client === '10.20.0.99' && f.server === server && f.port === port)!;
    expect(conversation('10.20.0.40', 21)).toMatchObject({ protocol: 'ftp', connections: 2 });
    expect(conversation('10.20.0.40', 23)).toMatchObject({ protocol: 'telnet', connections: 1 });
    expect(conversation('10.20.0.11', 8042)).toMatchObject({ protocol: 'http', connections: 1 });
    expect(conversation('10.20.0.10', 104)).toMatchObject({ protocol: 'dicom', connections: 1 });
    // Probes nobody answered stay unlabelled (HTTP GETs to the DICOM-TLS port 2762 and Orthanc's DICOM
    // port 4242, frames 459 and 461); a GET the web server answers is still HTTP (frames 218/230).
    expect(conversation('10.20.0.10', 2762).protocol).toBeNull();
    expect(conversation('10.20.0.11', 4242).protocol).toBeNull();
    expect(conversation('10.20.0.30', 80).protocol).toBe('http');
    // The services are what the servers answered in too: vsFTPd's banner names it, telnetd's option
    // negotiation (all it sent nmap, here and in the full scan) names 23; no probe names a port.
    const services = (ip: string) =>
      Object.fromEntries(r.hosts.find((h) => h.ips.includes(ip))!.services.map((s) => [s.port, s.protocol]));
    expect(services('10.20.0.40')).toEqual({ 21: 'ftp', 23: 'telnet' });
    // …and a Telnet server on the network is a finding even if no one logged in (frame 1212 of the scan).
    expect(r.findings.find((f) => f.subject === 'telnet:23')).toMatchObject({
      type: 'insecure-protocol',
      evidence: { summary: 'TELNET in use (cleartext)' },
    });
    expect(r.hosts.find((h) => h.ips.includes('10.20.0.40'))!.services[0]).toMatchObject({
      product: 'vsFTPd',
      version: '3.0.3',
    });
    expect(services('10.20.0.11')).toEqual({ 4242: null, 8042: 'http' });
    // storescp's A-ABORT is the DICOM upper layer: a DICOM server on 104, association or not.
    expect(services('10.20.0.10')).toEqual({ 104: 'dicom', 2762: null });
  });

  it('folds UDP flows (DNS, DHCP with the server on 67) and leaves out broadcast and multicast', async () => {
    const r = await analyzeCapture(join(fixtures, 'captures/01-dhcp-dns-mdns.pcap'), { file: '01.pcap' });
    const udp = r.flows!.filter((f) => f.transport === 'udp');
    expect(udp).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          client: '10.20.0.50',
          server: '10.20.0.1',
          port: 53,
          protocol: 'dns',
          connections: 7,
        }),
        expect.objectContaining({ client: '10.20.0.21', server: '10.20.0.1', port: 67, protocol: 'dhcp' }),
      ]),
    );
    expect(udp.every((f) => isHostAddress(f.client) && isHostAddress(f.server))).toBe(true);
    expect(r.stats.flows.nonUnicast).toBeGreaterThan(0);
  });

  it('past the cap, new conversations are folded into counted overflow and nothing is lost', async () => {
    const full = await analyzeCapture(join(fixtures, 'monitor/08-nmap-scan.pcap'), { file: 'scan.pcap' });
    const s = new FlowSummaries(isHostAddress, 10);
    const packets = (xs: { packets: number }[]) => xs.reduce((a, f) => a + f.packets, 0);
    // Feed the same conversations as synthetic closed connections.
    for (const f of full.flows!.filter((x) => x.transport === 'tcp')) {
      s.tcp(fakeConn(f.client, f.server, f.port, f.packets, f.bytes), null);
    }
    const kept = s.finish('scan.pcap');
    expect(kept).toHaveLength(10);
    expect(s.stats.summaries).toBe(10);
    expect(packets(kept) + s.stats.overflow.packets).toBe(
      packets(full.flows!.filter((x) => x.transport === 'tcp')),
    );
  });
});

describe('flow summaries: properties', () => {
  it('any sequence of connections: kept + overflow totals equal the input, never more than the cap', () => {
    const conn = fc.record({
      client: fc.integer({ min: 1, max: 6 }),
      server: fc.integer({ min: 1, max: 6 }),
      port: fc.constantFrom(22, 80, 104, 443, 2575),
      packets: fc.integer({ min: 1, max: 50 }),
      bytes: fc.integer({ min: 0, max: 100_000 }),
    });
    fc.assert(
      fc.property(fc.array(conn, { maxLength: 200 }), fc.integer({ min: 1, max: 40 }), (conns, cap) => {
        const s = new FlowSummaries(isHostAddress, cap);
        for (const c of conns)
          s.tcp(fakeConn(`10.0.0.${c.client}`, `10.0.1.${c.server}`, c.port, c.packets, c.bytes), 'x');
        const out = s.finish('f');
        const sum = (k: 'packets' | 'bytes') => out.reduce((a, f) => a + f[k], 0) + s.stats.overflow[k];
        expect(out.length).toBeLessThanOrEqual(cap);
        expect(sum('packets')).toBe(conns.reduce((a, c) => a + c.packets, 0));
        expect(sum('bytes')).toBe(conns.reduce((a, c) => a + c.bytes, 0));
        expect(out.reduce((a, f) => a + f.connections, 0) + s.stats.overflow.connections).toBe(conns.length);
      }),
    );
  });

  it('ICMP: echo requests and replies fold into one conversation from the pinging side', () => {
    const s = new FlowSummaries(isHostAddress);
    const d = new DecodedPacket();
    d.ipVersion = 4;
    d.ipProtocol = IpProtocol.ICMP;
    d.segmentLength = 64;
    const a = (10 << 24) | 5; // 10.0.0.5
    const b = (10 << 24) | 9;
    for (let i = 0; i < 3; i++) {
      d.icmpType = 8;
      d.srcIp[0] = a >>> 0;
      d.dstIp[0] = b >>> 0;
      s.icmp(d, i * 2 + 1, 1000 + i);
      d.icmpType = 0;
      d.srcIp[0] = b >>> 0;
      d.dstIp[0] = a >>> 0;
      s.icmp(d, i * 2 + 2, 1000 + i);
    }
    expect(s.finish('f')).toEqual([
      expect.objectContaining({
        client: '10.0.0.5',
        server: '10.0.0.9',
        port: 0,
        transport: 'icmp',
        connections: 3,
        packets: 6,
        bytes: 384,
      }),
    ]);
  });
});

function fakeConn(
  client: string,
  server: string,
  port: number,
  packets: number,
  bytes: number,
): TcpConnection {
  return {
    clientIp: client,
    serverIp: server,
    serverPort: port,
    clientPort: 40000,
    ipVersion: 4,
    clientPackets: packets,
    serverPackets: 0,
    clientBytes: bytes,
    serverBytes: 0,
    sawSyn: true,
    sawSynAck: false,
    firstTime: 1000,
    lastTime: 1001,
    firstPacketIndex: 1,
  } as unknown as TcpConnection;
}
