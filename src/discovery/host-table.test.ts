import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostTable, iso } from './host-table.js';
import { RECEIVING_ONLY_NOTE } from './receiving-only.js';

describe('HostTable', () => {
  it('a withdrawn receiving-only listener takes its protocol along, unless the host has it otherwise', () => {
    const heard = { source: 'live' as const, file: 'eth0', summary: `Telnet (${RECEIVING_ONLY_NOTE})` };
    const t = new HostTable();
    const only = t.ip('10.20.0.40');
    only.service(23, 'tcp', { protocol: 'telnet' }, heard);
    expect(only.withdrawReceivingOnly(23, 'tcp')).toBe(true);
    expect([...only.protocols]).toEqual([]);
    // A Telnet client itself, before or after: the protocol stays.
    for (const clientFirst of [true, false]) {
      const h = t.ip(clientFirst ? '10.20.0.41' : '10.20.0.42');
      if (clientFirst) h.protocols.add('telnet');
      h.service(23, 'tcp', { protocol: 'telnet' }, heard);
      if (!clientFirst) h.protocols.add('telnet');
      h.withdrawReceivingOnly(23, 'tcp');
      expect([...h.protocols]).toEqual(['telnet']);
    }
    // Another Telnet listener on the host still stands.
    const two = t.ip('10.20.0.43');
    two.service(23, 'tcp', { protocol: 'telnet' }, heard);
    two.service(2323, 'tcp', { protocol: 'telnet' }, heard);
    two.withdrawReceivingOnly(23, 'tcp');
    expect([...two.protocols]).toEqual(['telnet']);
  });

  it('merges a MAC-only host never seen itself (a DHCPv6 reply names its client) without breaking times', () => {
    const t = new HostTable();
    // The server's reply names the client's MAC: a builder for it, but no packet of its own yet.
    t.mac('00:a0:aa:5b:00:40');
    const h = t.ip('10.20.0.40');
    h.talked = true;
    h.seen(1_764_374_400.5);
    // The client's own IPv4 packets carry that MAC: the MAC owns the address, the two hosts merge.
    t.bind('00:a0:aa:5b:00:40', '10.20.0.40');
    const { hosts } = t.finish();
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toMatchObject({
      macs: ['00:a0:aa:5b:00:40'],
      ips: ['10.20.0.40'],
      firstSeen: '2025-11-29T00:00:00.500Z',
      lastSeen: '2025-11-29T00:00:00.500Z',
    });
  });

  it('prints any capture time as Date does, truncated to the millisecond, whichever times came before', () => {
    // Its cache once sliced a fixed 20 characters off the date-time: a six-digit year (+011160-…)
    // came out as "…17:17:110Z". Runs of nearby times exercise the cache; far ones refill it. Times are
    // whole microseconds (what float seconds hold at current dates), truncated as Wireshark does.
    const time = fc.oneof(
      fc.integer({ min: 0, max: 2e15 }).map((ms) => ({ ms, t: ms / 1000 })),
      // Past year ~65,000 float seconds hold no exact millisecond any more: the nearest one.
      fc
        .integer({ min: 2.2e15, max: 8.64e15 })
        .map((ms) => ({ ms: Math.round((ms / 1000) * 1000), t: ms / 1000 })),
      fc
        .integer({ min: 1_700_000_000_000_000, max: 1_700_000_003_000_000 })
        .map((us) => ({ ms: Math.floor(us / 1000), t: Math.floor(us / 1e6) + (us % 1e6) / 1e6 })),
    );
    fc.assert(
      fc.property(fc.array(time, { minLength: 1, maxLength: 20 }), (times) => {
        for (const { ms, t } of times) expect(iso(t)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 500 },
    );
  });

  it('truncates a real frame time whose fraction would round up (tshark: 1394745603.122697 → .122)', () => {
    // tls-expired-cert.pcap frame 7, as the pcap reader computes it: seconds + microseconds.
    expect(iso(1394745603 + 122697 / 1e6)).toBe('2014-03-13T21:20:03.122Z');
    // dhcp.pcap frame 6: 1370200444.371332 (no rounding either way) and an exact millisecond.
    expect(iso(1370200444 + 371332 / 1e6)).toBe('2013-06-02T19:14:04.371Z');
    expect(iso(1370200444 + 371000 / 1e6)).toBe('2013-06-02T19:14:04.371Z');
  });

  it('ties no address to a MAC that sends from several networks (a router), but keeps its link-local one', () => {
    // tls-expired-cert.pcap: 00:26:88:e7:8d:81 carries 87.98.220.10 and 122.1.240.204 (TTL 43, forwarded).
    const t = new HostTable();
    for (const ip of ['87.98.220.10', '122.1.240.204', 'fe80::226:88ff:fee7:8d81', '192.168.4.149']) {
      const h = t.ip(ip);
      h.talked = true;
      h.seen(1394745602.791602);
    }
    t.bind('a8:20:66:48:ca:51', '192.168.4.149');
    t.bind('00:26:88:e7:8d:81', '87.98.220.10');
    t.bind('00:26:88:e7:8d:81', '122.1.240.204');
    t.bind('00:26:88:e7:8d:81', 'fe80::226:88ff:fee7:8d81');
    // A router stays one: later addresses of one network bind nothing either.
    t.bind('00:26:88:e7:8d:81', '87.98.220.11');
    const byIp = new Map(t.finish().hosts.map((h) => [h.ips[0], h.macs]));
    expect(byIp.get('192.168.4.149')).toEqual(['a8:20:66:48:ca:51']);
    expect(byIp.get('87.98.220.10')).toEqual([]);
    expect(byIp.get('122.1.240.204')).toEqual([]);
    expect(byIp.get('fe80::226:88ff:fee7:8d81')).toEqual(['00:26:88:e7:8d:81']);
  });

  it('keeps two addresses of one subnet on their MAC (a multi-homed device)', () => {
    const t = new HostTable();
    for (const ip of ['10.20.0.50', '10.20.0.51']) {
      const h = t.ip(ip);
      h.talked = true;
      h.seen(1_764_374_400.5);
      t.bind('02:00:5e:20:00:50', ip);
    }
    expect(t.finish().hosts.map((h) => h.macs)).toEqual([['02:00:5e:20:00:50'], ['02:00:5e:20:00:50']]);
  });
});
