import { describe, expect, it } from 'vitest';
import { formatIp, formatIpv4, formatIpv6 } from './ip-address.js';
import { formatMac, isMulticastMac, readMac } from './mac-address.js';

/** Parses full (uncompressed, 8-group) IPv6 text into the four words the decoder holds. */
function words(full: string): [number, number, number, number] {
  const g = full.split(':').map((x) => Number.parseInt(x, 16));
  return [0, 2, 4, 6].map((i) => ((g[i]! << 16) | g[i + 1]!) >>> 0) as [number, number, number, number];
}

describe('formatIpv6 (RFC 5952)', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // §4.1 no leading zeros, §4.2.1 longest run
    ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'], // §4.2.2 a single 0 group stays
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // §4.2.3 first of equal runs
    ['2001:0db8:0000:0000:0000:0001:0000:0000', '2001:db8::1:0:0'], // longest run wins over a later shorter one
    ['2001:0DB8:0000:0000:0000:0000:0000:000A', '2001:db8::a'], // §4.3 lower case
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['fe80:0000:0000:0000:02a0:aaff:fe5b:0040', 'fe80::2a0:aaff:fe5b:40'],
    ['ff02:0000:0000:0000:0000:0000:0000:00fb', 'ff02::fb'],
    ['0000:0000:0000:0000:0000:ffff:c000:0201', '::ffff:192.0.2.1'], // §5 IPv4-mapped
    ['fd00:0020:0000:0000:0000:0000:0000:0050', 'fd00:20::50'],
    ['0001:0000:0000:0000:0000:0000:0000:0000', '1::'],
  ])('%s → %s', (full, text) => {
    expect(formatIpv6(...words(full))).toBe(text);
    expect(formatIp(6, words(full))).toBe(text);
  });
});

describe('formatIpv4 and MAC helpers', () => {
  it('formats addresses held as numbers', () => {
    expect(formatIpv4(0x0a14000a)).toBe('10.20.0.10');
    expect(formatIpv4(0xffffffff)).toBe('255.255.255.255');
    expect(formatIp(4, [0xc0a80001])).toBe('192.168.0.1');
    expect(formatIp(0, [])).toBe('');
  });

  it('reads and formats MACs, and tells multicast', () => {
    const mac = readMac(Uint8Array.of(0, 0x44, 0x4b, 0x5d, 0xc7, 0x21, 0x01), 1);
    expect(formatMac(mac)).toBe('44:4b:5d:c7:21:01');
    expect(formatMac(readMac(new Uint8Array(6).fill(255), 0))).toBe('ff:ff:ff:ff:ff:ff');
    expect(formatMac(-1)).toBe('');
    expect(isMulticastMac(readMac(Uint8Array.of(0x33, 0x33, 0, 0, 0, 1), 0))).toBe(true);
    expect(isMulticastMac(mac)).toBe(false);
  });
});
