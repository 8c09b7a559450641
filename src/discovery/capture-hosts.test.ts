/**
 * Which addresses a capture ties to a MAC, on real captures from Zeek's test traces (see
 * test/fixtures/captures/PROVENANCE.md), checked against tshark's view of the same frames: hosts behind a
 * router stay separate, a DHCP DECLINE undoes its lease, evidence times are truncated to the millisecond,
 * IPv6 endpoints are bracketed. Also what the inventory makes of them.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importSource } from '../cli/commands/import.js';
import { listFindings } from '../findings/findings-service.js';
import { listDevices } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { analyzeCapture } from './capture-analyzer.js';

const fixture = (name: string) => join(import.meta.dirname, '../../test/fixtures/captures', name);
const analyze = (name: string) => analyzeCapture(fixture(name), { file: name });
const hostLines = (hosts: { macs: string[]; ips: string[] }[]) =>
  hosts.map((h) => `${h.macs.join(',') || '-'} ${h.ips.join(',')}`).sort();

describe('addresses tied to a MAC (capture analyzer, no database)', () => {
  it('keeps two TLS servers behind one router MAC apart, each with its own certificate finding', async () => {
    // tshark: every frame from 87.98.220.10 (1-27) and 122.1.240.204 (28-) has eth.src 00:26:88:e7:8d:81
    // (Juniper), TTL 43: the client's gateway forwarding from two networks, not one host owning both.
    const r = await analyze('zeek-tls-expired-cert.pcap');
    expect(hostLines(r.hosts)).toEqual([
      '- 122.1.240.204',
      '- 87.98.220.10',
      'a8:20:66:48:ca:51 192.168.4.149',
    ]);
    const expired = r.findings.find((f) => f.type === 'certificate-problem' && f.host.ip === '87.98.220.10')!;
    // The expired www.spidh.org certificate is 87.98.220.10's (frame 7), and no router MAC names its host.
    expect(expired.host).toEqual({ ip: '87.98.220.10' });
    expect(expired.details['problems']).toContain('expired');
    // Frame 7's time is 1394745603.122697 (tshark frame.time_epoch): .122, not rounded up to .123.
    expect(expired.evidence).toMatchObject({ packet: 7, time: '2014-03-13T21:20:03.122Z' });
    const other = r.findings.find((f) => f.type === 'certificate-problem' && f.host.ip === '122.1.240.204')!;
    expect(other.details['problems']).not.toContain('expired');
  });

  it("binds a host's own addresses (IPv4 and link-local) but none of a NAT's four on three networks", async () => {
    // tshark: 00:0c:29:bd:6f:01 sends from 172.16.238.131 and fe80::20c:29ff:febd:6f01 (one host, two
    // addresses); 00:50:56:fd:dc:57 (VMware NAT) from 172.16.238.2, 141.142.192.39, 69.50.219.51, 74.125.225.81.
    const r = await analyze('zeek-var-services-std-ports.pcap');
    expect(hostLines(r.hosts)).toEqual([
      '- 141.142.192.39',
      '- 172.16.238.2',
      '- 69.50.219.51',
      '- 74.125.225.81',
      '00:0c:29:bd:6f:01 172.16.238.131',
      '00:0c:29:bd:6f:01 fe80::20c:29ff:febd:6f01',
      '00:50:56:c0:00:08 172.16.238.1',
    ]);
  });

  it('drops the lease a DHCP DECLINE refuses (frame 7), with the DECLINE as evidence', async () => {
    // tshark: frame 6 ACK yiaddr 128.2.6.189 for 90:b1:1c:99:49:29, frame 7 DECLINE (no option 50), frame 8
    // RELEASE; the client never sends from 128.2.6.189.
    const r = await analyze('zeek-dhcp-decline.pcap');
    const client = r.hosts.find((h) => h.macs.includes('90:b1:1c:99:49:29'))!;
    expect(client.ips).toEqual([]);
    expect(client.hints.find((h) => h.kind === 'dhcp.declinedAddress')).toMatchObject({
      value: '128.2.6.189',
      // frame.time_epoch 1370200445.381970: truncated, .381.
      evidence: { packet: 7, summary: 'DHCP DECLINE', time: '2013-06-02T19:14:05.381Z' },
    });
    expect(r.hosts.flatMap((h) => h.ips)).not.toContain('128.2.6.189');
  });

  it('writes IPv6 endpoints in brackets in evidence (RFC 5952 §6)', async () => {
    const r = await analyze('zeek-ftp-ipv6.pcap');
    const creds = r.findings.find((f) => f.type === 'cleartext-credentials')!;
    expect(creds.evidence.connection).toBe(
      '[2001:470:1f11:81f:c999:d94:aa7c:2e3e]:49185 → [2001:470:4867:99::21]:21/tcp',
    );
  });
});

describe.each(DIALECTS)('hosts of a capture in the inventory on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  it('keeps the 15 servers of a round-robin name as 15 devices, and a re-import finds each again', async () => {
    // NTP_sync.pcap: 15 NTP servers answer for us.pool.ntp.org through one router; the name is no identity.
    vdb = await freshDatabase(dialect);
    const first = await importSource(vdb, cliActor, fixture('zeek-ntp-sync.pcap'), { progress: false });
    expect(first.devices).toEqual({ staged: 17, updated: 0, seen: 0 });
    expect(first.unresolved).toEqual([]);
    const pool = (await listDevices(vdb, cliActor, {}, { pageSize: 50 })).items.filter((d) =>
      d.hostnames.includes('us.pool.ntp.org'),
    );
    expect(pool).toHaveLength(15);
    expect(pool.every((d) => d.ips.length === 1)).toBe(true);
    const again = await importSource(vdb, cliActor, fixture('zeek-ntp-sync.pcap'), { progress: false });
    expect(again.devices).toEqual({ staged: 0, updated: 0, seen: 17 });
    expect((await listDevices(vdb, cliActor, {})).total).toBe(17);
  });

  it("labels the expired certificate with its own server's device, not the router's", async () => {
    vdb = await freshDatabase(dialect);
    await importSource(vdb, cliActor, fixture('zeek-tls-expired-cert.pcap'), { progress: false });
    const devices = (await listDevices(vdb, cliActor, {})).items;
    expect(devices).toHaveLength(3);
    const certs = await listFindings(vdb, cliActor, { type: 'certificate-problem' });
    const expired = certs.find((f) => (f.details['problems'] as string[]).includes('expired'))!;
    expect(expired.deviceLabel).toBe('87.98.220.10');
  });
});
