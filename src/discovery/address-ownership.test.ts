import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEui64Of, isLinkLocal, networkOf, spansNetworks } from './address-ownership.js';

describe('address ownership', () => {
  it("tells a host's addresses from a router's, on addresses of real captures", () => {
    // var-services-std-ports.pcap: a VM on 172.16.238.0/24 and the NAT MAC forwarding from the internet.
    expect(spansNetworks(['172.16.238.131'])).toBe(false);
    expect(spansNetworks(['172.16.238.2', '141.142.192.39', '69.50.219.51'])).toBe(true);
    // tls-expired-cert.pcap: two servers on different networks behind one Juniper MAC.
    expect(spansNetworks(['122.1.240.204', '87.98.220.10'])).toBe(true);
    // Capture 06: a dual-stack server (IPv4 and a ULA) is one host; the families are weighed apart.
    expect(spansNetworks(['10.20.0.50', 'fd00:20::50'])).toBe(false);
    expect(spansNetworks(['fd00:20::50', 'fd00:20::51', 'fd00:20:0:1::50'])).toBe(true);
    expect(networkOf('fd00:20::50')).toBe('fd00:20:0:0::/64');
    expect(networkOf('10.20.0.50')).toBe('10.20.0.0/24');
  });

  it("knows link-local and EUI-64 addresses as their MAC's own", () => {
    expect(isLinkLocal('fe80::20c:29ff:febd:6f01')).toBe(true);
    expect(isLinkLocal('169.254.10.3')).toBe(true);
    expect(isLinkLocal('fd00:20::50')).toBe(false);
    expect(isLinkLocal('10.20.0.50')).toBe(false);
    // var-services-std-ports.pcap frame 1: fe80::20c:29ff:febd:6f01 from 00:0c:29:bd:6f:01.
    expect(isEui64Of('fe80::20c:29ff:febd:6f01', '00:0c:29:bd:6f:01')).toBe(true);
    expect(isEui64Of('2001:db8:20::20c:29ff:febd:6f01', '00:0c:29:bd:6f:01')).toBe(true);
    expect(isEui64Of('fe80::20c:29ff:febd:6f02', '00:0c:29:bd:6f:01')).toBe(false);
    expect(isEui64Of('2001:470:1f11:81f:c999:d94:aa7c:2e3e', 'c4:2c:03:3b:6c:aa')).toBe(false);
    expect(isEui64Of('10.20.0.50', '00:0c:29:bd:6f:01')).toBe(false);
  });

  it("any set of addresses of one /24 is one host's; adding one of another /24 makes a router", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(
        fc.tuple(octet, octet, octet),
        fc.array(octet, { minLength: 1, maxLength: 5 }),
        octet,
        (net, hosts, other) => {
          const prefix = net.join('.');
          const ips = hosts.map((h) => `${prefix}.${h}`);
          expect(spansNetworks(ips)).toBe(false);
          const elsewhere = `${net[0]}.${net[1]}.${(net[2] + 1 + (other % 255)) % 256}.${other}`;
          expect(spansNetworks([...ips, elsewhere])).toBe(true);
        },
      ),
    );
  });
});
