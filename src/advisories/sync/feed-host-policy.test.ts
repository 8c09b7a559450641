import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowEntryProblem, embeddedIpv4, FeedHostPolicy, restrictedRange } from './feed-host-policy.js';

describe('restrictedRange', () => {
  it('names loopback, private, link-local, CGNAT, unspecified and metadata addresses; passes public ones', () => {
    expect(
      Object.fromEntries(
        [
          '127.0.0.1',
          '127.255.0.9',
          '10.20.1.5',
          '172.16.0.1',
          '172.31.255.255',
          '192.168.1.1',
          '169.254.169.254', // AWS, GCP and Azure metadata
          '100.100.100.200', // Alibaba Cloud metadata
          '192.0.0.192', // Oracle Cloud metadata
          '0.0.0.0',
          '::',
          '::1',
          'fe80::1',
          'fd00:ec2::254', // AWS metadata over IPv6
          '::ffff:127.0.0.1',
          '::ffff:a9fe:a9fe', // 169.254.169.254, mapped
          '64:ff9b::a00:1', // NAT64 of 10.0.0.1
          '2002:c0a8:101::1', // 6to4 of 192.168.1.1
        ].map((ip) => [ip, restrictedRange(ip)]),
      ),
    ).toEqual({
      '127.0.0.1': 'loopback',
      '127.255.0.9': 'loopback',
      '10.20.1.5': 'private',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '192.168.1.1': 'private',
      '169.254.169.254': 'link-local (cloud metadata)',
      '100.100.100.200': 'shared (CGNAT)',
      '192.0.0.192': 'IETF protocol',
      '0.0.0.0': 'unspecified',
      '::': 'unspecified',
      '::1': 'loopback',
      'fe80::1': 'link-local',
      'fd00:ec2::254': 'private (unique local)',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:a9fe:a9fe': 'link-local (cloud metadata)',
      '64:ff9b::a00:1': 'private',
      '2002:c0a8:101::1': 'private',
    });
    // Public: CISA's and GitHub's addresses, Google's public DNS over IPv6, just outside 172.16/12.
    for (const ip of ['23.45.67.89', '140.82.112.3', '2001:4860:4860::8888', '172.32.0.1', '100.128.0.1'])
      expect(restrictedRange(ip), ip).toBeNull();
  });

  it('judges an IPv6 address carrying an IPv4 one as that IPv4 address', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
        const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        for (const v6 of [`::ffff:${v4}`, `::ffff:${hex}`, `64:ff9b::${hex}`]) {
          expect(embeddedIpv4(v6)).toBe(v4);
          expect(restrictedRange(v6)).toBe(restrictedRange(v4));
        }
      }),
    );
  });
});

describe('feedAllowHosts entries', () => {
  it('takes host names, addresses and CIDR ranges, and says what is wrong with anything else', () => {
    for (const ok of [
      'mirror.hospital.local',
      'MIRROR.Hospital.Local.',
      '10.20.0.0/16',
      '10.20.1.5',
      '::1',
      'fd00::/8',
    ])
      expect(allowEntryProblem(ok), ok).toBeNull();
    expect(allowEntryProblem('https://mirror.hospital.local/')).toMatch(/no scheme, port or path/);
    expect(allowEntryProblem('mirror.hospital.local:8443')).toMatch(/no scheme, port or path/);
    expect(allowEntryProblem('10.20.0.0/33')).toMatch(/prefix length outside 0-32/);
    expect(allowEntryProblem('mirror/16')).toMatch(/not a CIDR range/);
  });
});

describe('FeedHostPolicy', () => {
  const url = (u: string) => new URL(u);
  const dns: Record<string, string[]> = {
    'mirror.hospital.local': ['10.20.1.5'],
    'proxy.hospital.local': ['10.30.0.7'],
    'csaf.vendor.example': ['23.45.67.89'],
    'rebound.vendor.example': ['23.45.67.89', '127.0.0.1'],
  };
  const resolve = async (host: string) => {
    const addresses = dns[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses;
  };

  it('by default allows public hosts over https only', async () => {
    const strict = new FeedHostPolicy();
    expect(
      await strict.check(url('https://csaf.vendor.example/.well-known/csaf/provider-metadata.json'), resolve),
    ).toBeNull();
    expect(await strict.check(url('http://csaf.vendor.example/feed.json'), resolve)).toBe(
      'plain http:// is allowed only to hosts in feedAllowHosts, and csaf.vendor.example is not one',
    );
    expect(await strict.check(url('https://mirror.hospital.local/feed.json'), resolve)).toBe(
      'mirror.hospital.local (10.20.1.5) is a private address; an admin can allow it with feedAllowHosts',
    );
    // One refused address among several is enough: the connection could reach it.
    expect(await strict.check(url('https://rebound.vendor.example/feed.json'), resolve)).toMatch(
      /127\.0\.0\.1\) is a loopback/,
    );
    // Not resolvable now: https is accepted (every fetch checks again), plain http cannot be judged.
    expect(await strict.check(url('https://not-yet.vendor.example/feed.json'), resolve)).toBeNull();
    expect(await strict.check(url('http://not-yet.vendor.example/feed.json'), resolve)).toMatch(/ENOTFOUND/);
  });

  it('allows a listed name whatever it resolves to, and an address in a listed range, over http too', async () => {
    const policy = new FeedHostPolicy(['Mirror.Hospital.Local', '10.30.0.0/16']);
    expect(await policy.check(url('http://mirror.hospital.local/feed.json'), resolve)).toBeNull();
    expect(await policy.check(url('https://MIRROR.hospital.local./feed.json'), resolve)).toBeNull();
    expect(await policy.check(url('http://proxy.hospital.local/feed.json'), resolve)).toBeNull();
    expect(await policy.check(url('http://10.30.99.1/feed.json'), resolve)).toBeNull();
    expect(policy.refusal(url('http://proxy.hospital.local/'), '10.30.0.7')).toBeNull();
    // Not listed: another internal host, and the listed name's address reached by another name.
    expect(policy.refusal(url('https://10.20.1.5/'), '10.20.1.5')).toBe(
      '10.20.1.5 is a private address; an admin can allow it with feedAllowHosts',
    );
    expect(policy.refusal(url('https://127.0.0.1/'), '127.0.0.1')).toMatch(/loopback/);
  });

  it('refuses at connection time through its lookup (a name resolving elsewhere after subscribing)', async () => {
    const lookup = new FeedHostPolicy().guardedLookup(url('https://localhost/feed.json'));
    const err = await new Promise<Error | null>((done) => lookup('localhost', {}, (e) => done(e)));
    expect(err?.message).toBe(
      'localhost (127.0.0.1) is a loopback address; an admin can allow it with feedAllowHosts',
    );
    const allowed = new FeedHostPolicy(['localhost']).guardedLookup(url('http://localhost/feed.json'));
    const all = await new Promise<unknown>((done) => allowed('localhost', { all: true }, (_e, a) => done(a)));
    expect(all).toContainEqual({ address: '127.0.0.1', family: 4 });
  });
});
