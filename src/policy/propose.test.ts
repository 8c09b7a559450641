/**
 * Proposal and simulation on real traffic (the SYNs of four shared captures, see
 * test/fixtures/policy/PROVENANCE.md) and, by fast-check, on random flow sets: a policy proposed from
 * some flows allows every one of them, nothing else of what it was not shown, and never any-any.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nmapScanEndpoints } from '../../test/nmap-oracle.js';
import { analyzeCapture } from '../discovery/capture-analyzer.js';
import { fromFlowSummary, type PolicyFlow } from './policy-flow.js';
import { NetworkMap } from './policy-inventory.js';
import { PolicySchema } from './policy-model.js';
import { mdnsTraceFlows, sghInventory, synFlows } from './policy-test-fixtures.js';
import { proposePolicy, refused } from './propose.js';
import { simulate } from './simulate.js';

describe('proposePolicy on a real nmap scan', () => {
  const fixture = (path: string) => new URL(`../../test/fixtures/${path}`, import.meta.url).pathname;

  it('allows the ports that answered (nmap: open) and none that refused (nmap: closed)', async () => {
    const scan = await analyzeCapture(fixture('monitor/08-nmap-scan.pcap'), { file: '08-nmap-scan.pcap' });
    const flows = (scan.flows ?? []).map(fromFlowSummary);
    // No devices: every side is pinned to its addresses, so each rule names the exact servers.
    const map = new NetworkMap({ devices: [], segments: sghInventory().segments });
    const policy = proposePolicy(map, flows);
    const allowed = new Set(
      policy.rules
        .filter((r) => r.from.hosts?.includes('10.20.0.99') && r.transport === 'tcp')
        .flatMap((r) => (r.to.hosts ?? []).map((h) => `${h}:${r.port}`)),
    );
    const open = nmapScanEndpoints('open');
    const closed = nmapScanEndpoints('closed');
    expect(open.size).toBe(12);
    expect(closed.size).toBe(36);
    expect([...allowed].sort()).toEqual([...open].sort());
    // The closed ports were probed and refused: the flows are there, and left out.
    const refusedPorts = new Set(flows.filter(refused).map((f) => `${f.server}:${f.port}`));
    expect([...refusedPorts].sort()).toEqual([...closed].sort());
  });
  it('pins and flags what a host that scanned the network reached, instead of widening it to its class', async () => {
    const scan = await analyzeCapture(fixture('monitor/08-nmap-scan.pcap'), { file: '08-nmap-scan.pcap' });
    const flows = (scan.flows ?? []).map(fromFlowSummary);
    // The scanning host is a known device, an IT workstation: left alone, its class gets what it reached.
    const inventory = sghInventory();
    inventory.devices.push({
      id: 'dev-SCAN',
      label: 'SCAN',
      deviceClass: 'it',
      siteId: 'site-sgh',
      ips: ['10.20.0.99'],
    });
    const map = new NetworkMap(inventory);
    const fromScanner = (p: ReturnType<typeof proposePolicy>) =>
      p.rules.filter(
        (r) =>
          r.from.zone === 'clinical' && (r.from.deviceClass === 'it' || r.from.hosts?.includes('10.20.0.99')),
      );
    const plain = fromScanner(proposePolicy(map, flows));
    expect(plain.length).toBe(12);
    expect(plain.every((r) => r.from.deviceClass === 'it' && !r.from.hosts)).toBe(true);

    const flagged = fromScanner(proposePolicy(map, flows, { scanners: new Set(['10.20.0.99']) }));
    expect(flagged.length).toBe(12);
    for (const r of flagged) {
      expect(r.from.hosts, r.id).toEqual(['10.20.0.99']);
      expect(r.review, r.id).toBe(true);
      expect(r.reason).toMatch(/the client scanned the network \(port-scan alert\)/);
    }
  });
});

describe('FTP data connections (a real vsftpd session: EPSV, PASV and PORT)', () => {
  const fixture = (path: string) => new URL(`../../test/fixtures/${path}`, import.meta.url).pathname;

  it('propose no rule for their ephemeral ports; the FTP session rule allows them, in either direction', async () => {
    const r = await analyzeCapture(fixture('dissect/ftp-data/vsftpd-hl7-upload.pcap'), { file: 'ftp.pcap' });
    const flows = (r.flows ?? []).map(fromFlowSummary);
    const data = flows.filter((f) => f.protocol === 'ftp-data');
    // Two passive transfers (client → server) and one active (server → client, after PORT).
    expect(data.length).toBe(3);
    expect(data.filter((f) => f.client === '10.78.0.1').length).toBe(1);
    const map = new NetworkMap({ devices: [], segments: [] });
    const policy = proposePolicy(map, flows);
    expect(policy.rules.map((x) => `${x.port}/${x.transport}`)).toEqual(['21/tcp']);
    const report = simulate(policy, map, flows);
    expect(report.blocked).toBe(0);
    for (const d of report.decisions.filter((x) => x.flow.protocol === 'ftp-data')) {
      expect(d.ruleId).toBe('r1');
      expect(d.reason).toMatch(/^FTP data connection of the FTP session r1 allows/);
    }
    // Without the session's rule they are blocked like any other connection.
    const without = simulate({ ...policy, rules: [] }, map, flows);
    expect(without.blocked).toBe(flows.length);
  });
});

describe('proposePolicy on the shared captures', () => {
  const map = new NetworkMap(sghInventory());
  const flows = synFlows();
  const policy = proposePolicy(map, flows, { name: 'sgh' });

  it('groups by zone and device class, keeps only what was seen, and is a valid policy file', () => {
    expect(flows.length).toBe(31);
    expect(PolicySchema.parse(JSON.parse(JSON.stringify(policy)))).toEqual(policy);
    const lines = policy.rules.map(
      (r) =>
        `${r.from.zone}/${r.from.deviceClass} > ${r.to.zone}/${r.to.deviceClass} ${r.port}/${r.transport}`,
    );
    expect(lines).toContain('clinical/imaging-ct > clinical/pacs 104/tcp');
    expect(lines).toContain('clinical/medical-workstation > clinical/pacs 4242/tcp');
    expect(lines).toContain('integration/patient-monitor > integration/it 2575/tcp');
    // Telnet and FTP were seen, so they are proposed, but flagged for review as risky services.
    const telnet = policy.rules.find((r) => r.port === 23)!;
    expect(telnet.review).toBe(true);
    expect(telnet.reason).toMatch(/Telnet is a risky service/);
    for (const r of policy.rules) {
      expect(r.from.deviceClass ?? r.from.hosts, r.id).toBeDefined();
      expect(r.to.deviceClass ?? r.to.hosts, r.id).toBeDefined();
      expect(r.reason).toMatch(/^observed: /);
    }
  });

  it('blocks nothing it was proposed from, and blocks an injected unauthorized connection', () => {
    const report = simulate(policy, map, flows);
    expect(report.blocked).toBe(0);
    expect(report.allowed).toBe(31);
    const injected: PolicyFlow[] = [
      // The infusion pump opening Telnet on the PACS: no such conversation was ever seen.
      { ...flows[0]!, client: '10.20.0.60', server: '10.20.0.10', port: 23 },
      // A workstation reaching out to the internet.
      { ...flows[0]!, client: '10.20.0.50', server: '93.184.216.34', port: 443 },
    ];
    const r2 = simulate(policy, map, [...flows, ...injected]);
    expect(r2.blocked).toBe(2);
    expect(r2.blockedByDevice.map((b) => `${b.client} ${b.server} ${b.service}`)).toEqual([
      'dev-PUMP-1 dev-PACS-1 23/tcp',
      'dev-WS-1 93.184.216.34 443/tcp',
    ]);
    const pump = r2.decisions.find((d) => d.flow.client === '10.20.0.60' && d.flow.port === 23)!;
    expect(pump.ruleId).toBeNull();
    expect(pump.reason).toMatch(/clinical\/infusion-pump → clinical\/pacs 23\/tcp \(default deny\)/);
  });

  it('is deterministic: the same flows in another order give the same policy', () => {
    const again = proposePolicy(map, [...flows].reverse(), { name: 'sgh' });
    expect(JSON.stringify(again)).toBe(JSON.stringify(policy));
  });

  it('pins internet flows to the devices and addresses seen, flagged for review', () => {
    const p = proposePolicy(map, [
      { ...flows[0]!, client: '10.20.0.50', server: '93.184.216.34', port: 443 },
      { ...flows[0]!, client: '10.20.0.50', server: '2606:4700::6810:85e5', port: 443 },
    ]);
    expect(p.rules).toHaveLength(1);
    expect(p.rules[0]).toMatchObject({
      from: { zone: 'clinical', deviceClass: 'medical-workstation', hosts: ['10.20.0.50'] },
      to: { zone: 'internet', hosts: ['93.184.216.34', '2606:4700::6810:85e5'] },
      review: true,
    });
    // Another workstation of the same class does not inherit the internet.
    const other = simulate(
      p,
      new NetworkMap({
        ...sghInventory(),
        devices: [
          ...sghInventory().devices,
          { id: 'ws2', label: 'WS-2', deviceClass: 'medical-workstation', siteId: null, ips: ['10.20.0.51'] },
        ],
      }),
      [{ ...flows[0]!, client: '10.20.0.51', server: '93.184.216.34', port: 443 }],
    );
    expect(other.blocked).toBe(1);
  });
});

describe('link-local and mDNS flows', () => {
  const fixture = (path: string) => new URL(`../../test/fixtures/${path}`, import.meta.url).pathname;

  it('propose no rule: not the unicast mDNS of a capture, nor the multicast and fe80:: traffic of a trace', async () => {
    const r = await analyzeCapture(fixture('captures/01-dhcp-dns-mdns.pcap'), {
      file: '01-dhcp-dns-mdns.pcap',
    });
    const captured = (r.flows ?? []).map(fromFlowSummary);
    const map = new NetworkMap(sghInventory());
    const policy = proposePolicy(map, [...captured, ...mdnsTraceFlows()]);
    // DNS and DHCP to the router are what the capture needs rules for.
    expect([...new Set(policy.rules.map((x) => `${x.port}/${x.transport}`))].sort()).toEqual([
      '53/udp',
      '67/udp',
    ]);
    const hosts = policy.rules.flatMap((x) => [...(x.from.hosts ?? []), ...(x.to.hosts ?? [])]);
    expect(hosts.filter((h) => h.startsWith('fe80') || h.startsWith('169.254'))).toEqual([]);
    // The same flows without them give the same rules.
    const rest = captured.filter((f) => f.port !== 5353);
    expect(proposePolicy(map, rest)).toEqual(policy);
  });
});

describe("a scanner's rule names the protocol the port's other clients speak", () => {
  const fixture = (path: string) => new URL(`../../test/fixtures/${path}`, import.meta.url).pathname;

  it("DICOM on 104, which nmap's probes reached (only the server's answers label a conversation)", async () => {
    const scan = await analyzeCapture(fixture('monitor/08-nmap-scan.pcap'), { file: '08-nmap-scan.pcap' });
    const dicom = await analyzeCapture(fixture('captures/02-dicom-cleartext.pcap'), { file: '02.pcap' });
    const flows = [...(scan.flows ?? []), ...(dicom.flows ?? [])].map(fromFlowSummary);
    const probe = flows.find((f) => f.client === '10.20.0.99' && f.port === 104 && !refused(f))!;
    // Its HTTP and TLS probes went unanswered; storescp answered its dicom-ping association.
    expect(probe.protocol).toBe('dicom');
    const policy = proposePolicy(new NetworkMap(sghInventory()), flows, {
      scanners: new Set(['10.20.0.99']),
    });
    const fromScanner = (port: number) =>
      policy.rules.find((x) => x.port === port && x.from.hosts?.includes('10.20.0.99'))!;
    expect(fromScanner(104).protocol).toBe('dicom');
    expect(fromScanner(104).reason).toMatch(/ 104\/tcp dicom, /);
    // The modalities' own rule is unchanged; a port only the scanner used keeps the label the server
    // answered in (DICOM-TLS: a TLS ServerHello).
    expect(policy.rules.find((x) => x.port === 104 && x.from.deviceClass === 'imaging-ct')!.protocol).toBe(
      'dicom',
    );
    expect(fromScanner(2762).protocol).toBe('tls');
  });
});

describe('address-listed rules', () => {
  const fixture = (path: string) => new URL(`../../test/fixtures/${path}`, import.meta.url).pathname;

  it('list several clients and servers only when every client reached every server', async () => {
    // nmap and a workstation reached the web server's 80 over IPv4, the workstation also over IPv6 (its
    // IPv6 address to the server's); no device is known, so both sides are pinned to addresses.
    const scan = await analyzeCapture(fixture('monitor/08-nmap-scan.pcap'), { file: '08.pcap' });
    const web = await analyzeCapture(fixture('captures/06-http-tls.pcapng'), { file: '06.pcapng' });
    const flows = [...(scan.flows ?? []), ...(web.flows ?? [])].map(fromFlowSummary);
    const map = new NetworkMap({ devices: [], segments: sghInventory().segments });
    const policy = proposePolicy(map, flows);
    const http = policy.rules.filter((x) => x.port === 80);
    expect(http.map((x) => [x.from.hosts, x.to.hosts])).toEqual([
      [['10.20.0.50', '10.20.0.99'], ['10.20.0.30']],
      [['fd00:20::50'], ['fd00:20::30']],
    ]);
    expect(
      simulate(
        policy,
        map,
        flows.filter((f) => !refused(f)),
      ).blocked,
    ).toBe(0);
    // Where every client did reach every server (two workstations, one server), one rule stays.
    const tls = policy.rules.filter((x) => x.port === 4433);
    expect(tls.map((x) => [x.from.hosts, x.to.hosts])).toEqual([
      [['10.20.0.50', '10.20.0.60', '10.20.0.99'], ['10.20.0.30']],
    ]);
  });

  it('never allow a client-server pair that was not seen (random flows among a few addresses)', () => {
    const map = new NetworkMap({ devices: [], segments: sghInventory().segments });
    const pair = fc.record({
      client: fc.constantFrom('10.20.0.1', '10.20.0.2', '10.20.0.3', '10.20.0.4'),
      server: fc.constantFrom('10.20.0.10', '10.20.0.11', '10.20.0.12'),
      port: fc.constantFrom(104, 2575),
    });
    fc.assert(
      fc.property(fc.array(pair, { minLength: 1, maxLength: 12 }), (pairs) => {
        const flows: PolicyFlow[] = pairs.map((p) => ({
          ...p,
          transport: 'tcp',
          protocol: null,
          connections: 1,
          firstSeen: '2026-01-01T00:00:00.000Z',
          lastSeen: '2026-01-01T00:00:00.000Z',
        }));
        const policy = proposePolicy(map, flows);
        const seen = new Set(flows.map((f) => `${f.client}>${f.server}:${f.port}`));
        for (const r of policy.rules)
          for (const c of r.from.hosts ?? [])
            for (const sv of r.to.hosts ?? [])
              expect(seen, `${r.id} ${c}>${sv}:${r.port}`).toContain(`${c}>${sv}:${r.port}`);
        expect(simulate(policy, map, flows).blocked).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

const ipv4 = fc
  .tuple(fc.constantFrom(10, 172, 8, 93, 192), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
  .map(([a, b, c, d]) =>
    a === 172 ? `172.16.${c}.${d}` : a === 192 ? `192.168.${c}.${d}` : `${a}.${b}.${c}.${d}`,
  );
const ipv6 = fc
  .tuple(fc.constantFrom('fd00:20::', '2001:db8::', '2606:4700::'), fc.integer({ min: 1, max: 0xffff }))
  .map(([p, n]) => `${p}${n.toString(16)}`);
const flowArb: fc.Arbitrary<PolicyFlow> = fc
  .record({
    v6: fc.boolean(),
    a4: ipv4,
    b4: ipv4,
    a6: ipv6,
    b6: ipv6,
    known: fc.constantFrom('10.20.0.10', '10.20.0.50', '10.30.0.5', 'fd00:20::30', null),
    transport: fc.constantFrom('tcp', 'udp', 'icmp') as fc.Arbitrary<'tcp' | 'udp' | 'icmp'>,
    port: fc.integer({ min: 1, max: 65_535 }),
    protocol: fc.constantFrom('dicom', 'hl7', null),
    connections: fc.integer({ min: 1, max: 50 }),
  })
  .map((r) => ({
    client: r.known && r.known.includes(':') === r.v6 ? r.known : r.v6 ? r.a6 : r.a4,
    server: r.v6 ? r.b6 : r.b4,
    port: r.transport === 'icmp' ? 0 : r.port,
    transport: r.transport,
    protocol: r.protocol,
    connections: r.connections,
    firstSeen: '2026-01-01T00:00:00.000Z',
    lastSeen: '2026-01-02T00:00:00.000Z',
  }));

describe('propose/simulate properties', () => {
  const map = new NetworkMap(sghInventory());

  it('simulate(propose(flows), flows) blocks nothing, and the proposal is a valid policy', () => {
    fc.assert(
      fc.property(fc.array(flowArb, { maxLength: 60 }), (flows) => {
        const policy = proposePolicy(map, flows);
        expect(simulate(policy, map, flows).blocked).toBe(0);
        PolicySchema.parse(JSON.parse(JSON.stringify(policy)));
      }),
      { numRuns: 300 },
    );
  });

  it('never allows a service on a port nobody used', () => {
    fc.assert(
      fc.property(
        fc.array(flowArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 65_535 }),
        (flows, port) => {
          fc.pre(!flows.some((f) => f.port === port));
          const policy = proposePolicy(map, flows);
          const probe = flows.filter((f) => f.transport !== 'icmp').map((f) => ({ ...f, port }));
          expect(simulate(policy, map, probe).allowed).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
