import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCidr } from './cidr.js';

describe('parseCidr', () => {
  it('writes blocks canonically', () => {
    expect(parseCidr(' 10.20.30.0/24 ')).toEqual({ ok: true, value: '10.20.30.0/24' });
    expect(parseCidr('0.0.0.0/0')).toEqual({ ok: true, value: '0.0.0.0/0' });
    expect(parseCidr('2001:DB8:0010:0000::/64')).toEqual({ ok: true, value: '2001:db8:10::/64' });
    expect(parseCidr('::/0')).toEqual({ ok: true, value: '::/0' });
    expect(parseCidr('10.1.2.3/32')).toEqual({ ok: true, value: '10.1.2.3/32' });
  });

  it('refuses host bits, long prefixes and garbage, saying what was meant', () => {
    expect(parseCidr('10.20.30.7/24')).toEqual({
      ok: false,
      reason: '"10.20.30.7/24" has host bits set; did you mean 10.20.30.0/24?',
    });
    expect(parseCidr('2001:db8::1/64')).toEqual({
      ok: false,
      reason: '"2001:db8::1/64" has host bits set; did you mean 2001:db8::/64?',
    });
    for (const s of ['10.0.0.0/33', '10.0.0.0', '10.0.0/8', 'x/8', '::/129', '10.0.0.0/-1'])
      expect(parseCidr(s).ok, s).toBe(false);
  });

  it('every IPv4 address with a prefix either is the network or names it (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (ip, len) => {
        const r = parseCidr(`${ip}/${len}`);
        if (r.ok) expect(parseCidr(r.value)).toEqual(r);
        else {
          const meant = /did you mean (\S+)\?/.exec(r.reason)![1]!;
          expect(parseCidr(meant)).toEqual({ ok: true, value: meant });
        }
      }),
    );
  });
});
