import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CandidateKeys,
  candidateKeys,
  IdentityIndex,
  identifierKey,
  type KnownDevice,
  nameKey,
  normaliseHostname,
  normaliseIp,
  normaliseMac,
  parseIp,
  parseMac,
  resolveIdentity,
} from './identity.js';

const hexOctet = fc.integer({ min: 0, max: 255 }).map((n) => n.toString(16).padStart(2, '0'));
/** Unicast MACs (individual/group bit clear), not all-zero. */
const macOctets = fc
  .tuple(hexOctet, hexOctet, hexOctet, hexOctet, hexOctet, hexOctet)
  .filter(([a]) => (Number.parseInt(a, 16) & 1) === 0)
  .filter((o) => o.join('') !== '000000000000');
const randomCase = (s: string, flips: boolean[]) =>
  [...s].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c)).join('');

describe('MAC normalisation', () => {
  it('accepts the common spellings', () => {
    for (const s of [
      '00:1A:2b:3c:4d:5e',
      '00-1a-2b-3c-4d-5e',
      '001a.2b3c.4d5e',
      '001A2B3C4D5E',
      ' 00:1a:2b:3c:4d:5e ',
      '0:1a:2b:3c:4d:5e',
    ]) {
      expect(normaliseMac(s), s).toBe('00:1a:2b:3c:4d:5e');
    }
  });

  it('rejects what is not one card', () => {
    for (const s of [
      '',
      '00:1a:2b:3c:4d',
      '00:1a:2b:3c:4d:5e:6f',
      '00:1a-2b:3c:4d:5e',
      'zz:1a:2b:3c:4d:5e',
      '001a2b3c4d5',
      '00:00:00:00:00:00',
      'ff:ff:ff:ff:ff:ff',
      '01:00:5e:00:00:fb',
      '001a.2b3c4d5e',
    ]) {
      expect(parseMac(s).ok, s).toBe(false);
    }
    expect(parseMac('01:00:5e:00:00:fb')).toEqual({ ok: false, reason: expect.stringMatching(/multicast/) });
  });

  it('maps every spelling of a MAC to one canonical form (property)', () => {
    fc.assert(
      fc.property(
        macOctets,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(':', '-', '.', ''),
        (octets, flips, style) => {
          const canonical = octets.join(':');
          const hex = octets.join('');
          const text = style === '.' ? hex.match(/.{4}/g)!.join('.') : octets.join(style);
          expect(normaliseMac(randomCase(text, flips))).toBe(canonical);
          // Idempotent: the canonical form normalises to itself.
          expect(normaliseMac(canonical)).toBe(canonical);
        },
      ),
    );
  });

  it('never accepts a string that is not 12 hex digits once separators are removed (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        const r = normaliseMac(s);
        if (r !== null) {
          expect(r).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        }
      }),
    );
  });
});

describe('IP normalisation', () => {
  it('canonicalises IPv4 and IPv6', () => {
    expect(normaliseIp(' 10.1.2.3 ')).toBe('10.1.2.3');
    expect(normaliseIp('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(normaliseIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(normaliseIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(normaliseIp('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(normaliseIp('fe80::1%eth0')).toBe('fe80::1');
  });

  it('rejects garbage and addresses that never identify a device', () => {
    for (const s of [
      '',
      '10.1.2',
      '10.1.2.256',
      '010.1.2.3',
      'host',
      '0.0.0.0',
      '127.0.0.1',
      '255.255.255.255',
      '224.0.0.1',
      '::',
      '::1',
      'ff02::1',
    ]) {
      expect(parseIp(s).ok, s).toBe(false);
    }
  });

  it('IPv6 canonical form is stable and matches the URL serialiser (property)', () => {
    const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(
        fc.array(group, { minLength: 8, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        (groups, flips) => {
          const full = groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
          const expected = new URL(`http://[${full}]/`).hostname.slice(1, -1);
          const got = normaliseIp(randomCase(full, flips));
          if (got === null) return; // unspecified/loopback/multicast/mapped are refused or mapped on purpose
          if (!got.includes(':')) return; // IPv4-mapped came back as IPv4
          expect(got).toBe(expected);
          expect(normaliseIp(got)).toBe(got);
        },
      ),
    );
  });

  it('IPv4 round-trips (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const got = normaliseIp(ip);
        if (got !== null) expect(got).toBe(ip);
      }),
    );
  });
});

describe('names and keys', () => {
  it('hostnames are lower-case without trailing dot', () => {
    expect(normaliseHostname('PUMP-042.Ward3.Example.ORG.')).toBe('pump-042.ward3.example.org');
    expect(normaliseHostname('has space')).toBeNull();
    expect(normaliseHostname('-bad')).toBeNull();
  });

  it('keys case-fold and collapse whitespace', () => {
    expect(identifierKey('  AT-00042 ')).toBe('at-00042');
    expect(identifierKey('SN  123\tX')).toBe('sn 123 x');
    expect(identifierKey('   ')).toBeNull();
    expect(nameKey('Medtronic, Inc.')).toBe('medtronic');
    expect(nameKey('MEDTRONIC')).toBe('medtronic');
    expect(nameKey('B. Braun Melsungen AG')).toBe('b braun melsungen');
    expect(nameKey('Becton, Dickinson and Company (BD)')).toBe('becton dickinson and company bd');
    expect(nameKey('Inc')).toBe('inc');
  });
});

describe('resolveIdentity', () => {
  const dev = (id: string, k: Partial<KnownDevice> = {}): KnownDevice => ({
    id,
    assetTagKey: null,
    udiKey: null,
    serialKey: null,
    manufacturerKey: null,
    ...k,
  });
  const keys = (k: Parameters<typeof candidateKeys>[0]): CandidateKeys => candidateKeys(k);

  it('matches by any strong key', () => {
    const index = new IdentityIndex();
    const a = dev('a', { assetTagKey: 'at-1', serialKey: 'sn1', manufacturerKey: 'bd', udiKey: 'udi-1' });
    index.add(a, { macs: ['00:1a:2b:3c:4d:5e'] });
    expect(resolveIdentity(keys({ assetTag: 'AT-1' }), index)).toEqual({
      kind: 'match',
      deviceId: 'a',
      matchedBy: ['assetTag'],
    });
    expect(resolveIdentity(keys({ udi: 'UDI-1' }), index)).toMatchObject({ kind: 'match', deviceId: 'a' });
    expect(resolveIdentity(keys({ serialNumber: 'SN1', manufacturer: 'BD' }), index)).toMatchObject({
      kind: 'match',
      deviceId: 'a',
    });
    expect(resolveIdentity(keys({ serialNumber: 'SN1' }), index)).toMatchObject({
      kind: 'match',
      deviceId: 'a',
    });
    expect(resolveIdentity(keys({ macs: ['001A.2B3C.4D5E'] }), index)).toEqual({
      kind: 'match',
      deviceId: 'a',
      matchedBy: ['mac'],
    });
    expect(resolveIdentity(keys({ assetTag: 'at-1', macs: ['00:1a:2b:3c:4d:5e'] }), index)).toEqual({
      kind: 'match',
      deviceId: 'a',
      matchedBy: ['assetTag', 'mac'],
    });
  });

  it('a serial number of another manufacturer is another device', () => {
    const index = new IdentityIndex();
    index.add(dev('a', { serialKey: '12345', manufacturerKey: 'baxter' }));
    expect(resolveIdentity(keys({ serialNumber: '12345', manufacturer: 'Philips' }), index)).toEqual({
      kind: 'new',
    });
    expect(
      resolveIdentity(keys({ serialNumber: '12345', manufacturer: 'Baxter Inc.' }), index),
    ).toMatchObject({ kind: 'match' });
  });

  it('an IP or hostname alone only suggests', () => {
    const index = new IdentityIndex();
    index.add(dev('a'), { ips: ['10.0.0.5'], hostnames: ['pump-1'] });
    index.add(dev('b'), { ips: ['10.0.0.5'] });
    expect(resolveIdentity(keys({ ips: ['10.0.0.5'] }), index)).toEqual({
      kind: 'weak',
      deviceIds: ['a', 'b'],
      matchedBy: ['ip'],
    });
    expect(resolveIdentity(keys({ hostnames: ['PUMP-1'] }), index)).toEqual({
      kind: 'weak',
      deviceIds: ['a'],
      matchedBy: ['hostname'],
    });
    // A strong key elsewhere wins over the weak hint.
    expect(resolveIdentity(keys({ ips: ['10.0.0.5'], assetTag: 'new-tag' }), index)).toEqual({
      kind: 'weak',
      deviceIds: ['a', 'b'],
      matchedBy: ['ip'],
    });
  });

  it('reports strong keys that point at two devices instead of picking one', () => {
    const index = new IdentityIndex();
    index.add(dev('a', { assetTagKey: 'at-1' }));
    index.add(dev('b'), { macs: ['00:1a:2b:3c:4d:5e'] });
    const r = resolveIdentity(keys({ assetTag: 'AT-1', macs: ['00:1a:2b:3c:4d:5e'] }), index);
    expect(r).toMatchObject({ kind: 'conflict', deviceIds: ['a', 'b'] });
    if (r.kind === 'conflict') expect(r.reason).toMatch(/a \(by asset tag\).*b \(by MAC\)/);
  });

  it('reports a matched device whose own strong key contradicts the candidate', () => {
    const index = new IdentityIndex();
    index.add(dev('a', { assetTagKey: 'at-1', serialKey: 'sn-1', manufacturerKey: 'bd' }), {
      macs: ['00:1a:2b:3c:4d:5e'],
    });
    expect(resolveIdentity(keys({ assetTag: 'AT-2', macs: ['00:1a:2b:3c:4d:5e'] }), index)).toMatchObject({
      kind: 'conflict',
      deviceIds: ['a'],
      reason: expect.stringMatching(/asset tag is "at-1", not "at-2"/),
    });
    expect(resolveIdentity(keys({ assetTag: 'AT-1', serialNumber: 'sn-9' }), index)).toMatchObject({
      kind: 'conflict',
    });
    // A different serial of a different manufacturer is not a contradiction of the key (it is a data change).
    expect(
      resolveIdentity(keys({ assetTag: 'AT-1', serialNumber: 'sn-9', manufacturer: 'Baxter' }), index),
    ).toMatchObject({ kind: 'match' });
  });

  it('never merges on weak keys alone, and is deterministic (property)', () => {
    const arbKeys = fc.record({
      assetTag: fc.option(fc.constantFrom('t1', 't2', 't3'), { nil: undefined }),
      serialNumber: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }),
      manufacturer: fc.option(fc.constantFrom('bd', 'baxter'), { nil: undefined }),
      macs: fc.array(fc.constantFrom('00:00:00:00:00:02', '00:00:00:00:00:04'), { maxLength: 2 }),
      ips: fc.array(fc.constantFrom('10.0.0.1', '10.0.0.2'), { maxLength: 2 }),
    });
    fc.assert(
      fc.property(fc.array(arbKeys, { maxLength: 6 }), arbKeys, (existing, probe) => {
        const index = new IdentityIndex();
        existing.forEach((e, i) => {
          const k = candidateKeys(e);
          index.add(
            {
              id: `d${i}`,
              assetTagKey: k.assetTagKey,
              udiKey: null,
              serialKey: k.serialKey,
              manufacturerKey: k.manufacturerKey,
            },
            k,
          );
        });
        const k = candidateKeys(probe);
        const r = resolveIdentity(k, index);
        expect(resolveIdentity(k, index)).toEqual(r);
        const strongProbe = k.assetTagKey || k.serialKey || k.macs.length;
        if (!strongProbe) expect(['new', 'weak']).toContain(r.kind);
        if (r.kind === 'match') {
          const d = existing[Number(r.deviceId.slice(1))]!;
          const dk = candidateKeys(d);
          const shares =
            (k.assetTagKey && k.assetTagKey === dk.assetTagKey) ||
            (k.serialKey && k.serialKey === dk.serialKey) ||
            k.macs.some((m) => dk.macs.includes(m));
          expect(shares).toBeTruthy();
        }
      }),
    );
  });
});
