import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions, parseVersion } from './version.js';

describe('parseVersion', () => {
  it.each([
    ['12.2.0.1', ['12', '2', '0', '1'], false],
    ['v15.0.0', ['15', '0', '0'], false],
    ['Version 1.2', ['1', '2'], false],
    ['R2.1A', ['r', '2', '1', 'a'], false],
    ['8.01.01', ['8', '1', '1'], false],
    ['S4 A.07.107', ['s', '4', 'a', '7', '107'], false],
    ['1.2.3 build 45', ['1', '2', '3', 'build', '45'], false],
    ['1.2.3-45', ['1', '2', '3', '45'], false],
    ['12.2.x.x', ['12', '2'], true],
    ['4.X', ['4'], true],
    ['Rev B', ['b'], false],
    ['<= ignored', undefined, false],
    ['4107600010.23', ['4107600010', '23'], false],
    ['VX.223.0 Update 2', ['vx', '223', '0', 'update', '2'], false],
  ])('%j', (text, segments, wildcard) => {
    const sut = parseVersion(text);
    if (segments === undefined) {
      expect(sut).toBeUndefined();
      return;
    }
    expect(sut?.segments.map((s) => (s.kind === 'number' ? s.digits : s.text))).toEqual(segments);
    expect(sut?.wildcard).toBe(wildcard);
  });

  it.each([
    '',
    '   ',
    '882160 Gemini Dual',
    'Windows 10 Professional Operating System U.S. release',
    'TCP',
    'MCE_3.x_Cert_Edition',
    '1.*2',
    'x'.repeat(200),
  ])('refuses %j', (text) => {
    expect(parseVersion(text)).toBeUndefined();
  });
});

describe('compareVersions', () => {
  it.each([
    // Rule 1: numeric segments are integers.
    ['1.10', '1.9', 1],
    ['8.01.01', '8.1.1', 0],
    ['4107600010.23', '4107600009.99', 1],
    ['99999999999999999999.1', '99999999999999999999.2', -1],
    // Rule 2: missing numbers are zero.
    ['1.2', '1.2.0', 0],
    ['1.2', '1.2.1', -1],
    ['< 1.10'.slice(2), '1.10.0', 0],
    // Rule 3: a suffix is a later revision, a pre-release an earlier one.
    ['1.2a', '1.2', 1],
    ['R2.1A', 'R2.1', 1],
    ['5.89.05b', '5.89.05', 1],
    ['1.2.3 build 45', '1.2.3', 1],
    ['1.2.3 build 45', '1.2.3 build 46', -1],
    ['1.2.3-45', '1.2.3', 1],
    ['1.2.3 build 45', '1.2.4', -1],
    ['V14 SP1 Update 14', 'V14 SP2', -1],
    ['V14 SP1', 'V14', 1],
    ['1.0.0-rc1', '1.0.0', -1],
    ['1.0.0-alpha', '1.0.0-beta', -1],
    ['1.0-rc1', '1.0.1', -1],
    // Rule 4: revision letters, equal words.
    ['Rev B', 'Rev M', -1],
    ['Rev N', 'N', 0],
    ['A.07.107', 'B.02', -1],
    ['S4 A.07.107', 'S4 A.07.108', -1],
    ['BT03', 'BT06', -1],
    ['012U000040', '012U000061', -1],
    // Rule 5: incomparable schemes.
    ['8.0.4', 'R8.0.3', undefined],
    ['BT03', '2.1', undefined],
    ['1.2 build 4', '1.2 sp 1', undefined],
    ['1.0 pre', '1.0 preview', undefined],
    ['TCP', '1.0', undefined],
    // Rule 6: wildcards are prefix patterns.
    ['12.2.7', '12.2.x.x', 0],
    ['12.2', '12.2.x.x', 0],
    ['12.3', '12.2.x.x', 1],
    ['12.1.9', '12.2.x.x', -1],
    ['4.x', '4.5.x', 0],
    ['11.9.2', '<= 11.x'.slice(3), 0],
    // Rule 7: prefixes and case.
    ['v15.0.0', '15.0.0', 0],
    ['Version 3.1', '3.1', 0],
    ['4.X', '4.x', 0],
    ['V2.5', 'v2.5', 0],
  ])('%j vs %j → %j', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });

  it('accepts parsed versions', () => {
    expect(compareVersions(parseVersion('1.2')!, parseVersion('1.3')!)).toBe(-1);
  });
});

const segment = fc.oneof(
  fc.nat({ max: 30 }).map(String),
  fc.constantFrom('a', 'b', 'x', 'rc', 'beta', 'build', 'sp', 'V', 'Rev'),
);
const versionText = fc
  .tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.array(fc.constantFrom('.', '-', ' ', '_')))
  .map(([segments, separators]) =>
    segments.map((s, i) => (i === 0 ? s : `${separators[i] ?? '.'}${s}`)).join(''),
  );
const concreteVersion = fc
  .array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 5 })
  .map((numbers) => numbers.join('.'));

describe('properties', () => {
  it('never throws on any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 150 }), fc.string({ maxLength: 150 }), (a, b) => {
        parseVersion(a);
        compareVersions(a, b);
      }),
    );
  });

  it('is reflexive and antisymmetric', () => {
    fc.assert(
      fc.property(versionText, versionText, (a, b) => {
        if (parseVersion(a)) expect(compareVersions(a, a)).toBe(0);
        const ab = compareVersions(a, b);
        const ba = compareVersions(b, a);
        expect(ab === undefined ? undefined : -ab || 0).toBe(ba);
      }),
    );
  });

  it('is transitive on dotted numerics', () => {
    fc.assert(
      fc.property(concreteVersion, concreteVersion, concreteVersion, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort((p, q) => compareVersions(p, q)!);
        expect(compareVersions(x!, z!)).not.toBe(1);
        expect(compareVersions(x!, y!)).not.toBe(1);
        expect(compareVersions(y!, z!)).not.toBe(1);
      }),
    );
  });

  it('orders dotted numerics like their zero-padded number tuples', () => {
    fc.assert(
      fc.property(concreteVersion, concreteVersion, (a, b) => {
        const pad = (v: string) => [...v.split('.').map(Number), 0, 0, 0, 0, 0].slice(0, 5);
        const [pa, pb] = [pad(a), pad(b)];
        const i = pa.findIndex((n, k) => n !== pb[k]);
        const expected = i < 0 ? 0 : pa[i]! < pb[i]! ? -1 : 1;
        expect(compareVersions(a, b)).toBe(expected);
      }),
    );
  });
});
