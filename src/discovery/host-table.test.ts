import { describe, expect, it } from 'vitest';
import { HostTable } from './host-table.js';

describe('HostTable', () => {
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
});
