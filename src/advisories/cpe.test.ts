import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANY,
  CPE_ATTRIBUTES,
  type Cpe,
  type CpeValue,
  compareCpes,
  compareCpeValues,
  cpeLiteral,
  cpeMatches,
  formatCpe,
  formatCpeUri,
  formatWfn,
  makeCpe,
  NA,
  parseCpe,
} from './cpe.js';

const sut = parseCpe;

function parsed(s: string): Cpe {
  const r = sut(s);
  if (!r.ok) throw new Error(`${s}: ${r.reason} at ${r.offset}`);
  return r.cpe;
}

const wild = (leading: string, literal: string, trailing: string): CpeValue => ({
  kind: 'value',
  literal,
  leading,
  trailing,
});

describe('formatted string unbinding (NISTIR 7695 §6.2.3 examples)', () => {
  it('unbinds the Internet Explorer example', () => {
    expect(parsed('cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*')).toEqual(
      makeCpe({
        part: 'a',
        vendor: 'microsoft',
        product: 'internet_explorer',
        version: '8.0.6001',
        update: 'beta',
      }),
    );
  });

  it('keeps unquoted "*" and "?" as wildcards apart from the literal text', () => {
    const cpe = parsed('cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*');
    expect(cpe.version).toEqual(wild('', '8.', '*'));
    expect(cpe.update).toEqual(wild('', 'sp', '?'));
    expect(formatWfn(cpe)).toContain('version="8\\.*",update="sp?"');
  });

  it('reads "-" as NA and the extended attributes', () => {
    const cpe = parsed('cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*');
    expect(cpe.update).toEqual(NA);
    expect(cpe.swEdition).toEqual(cpeLiteral('online'));
    expect(cpe.targetSw).toEqual(cpeLiteral('win2003'));
    expect(cpe.targetHw).toEqual(cpeLiteral('x64'));
    expect(cpe.other).toEqual(ANY);
  });

  it('removes backslash quoting: foo\\\\bar and big\\$money_2010', () => {
    const cpe = parsed('cpe:2.3:a:foo\\\\bar:big\\$money_2010:*:*:*:*:special:ipod_touch:80gb:*');
    expect(cpe.vendor).toEqual(cpeLiteral('foo\\bar'));
    expect(cpe.product).toEqual(cpeLiteral('big$money_2010'));
    expect(formatWfn(cpe)).toContain('vendor="foo\\\\bar",product="big\\$money_2010"');
  });

  it('rejects an embedded unquoted "*" (7.4.*.1570) with its offset', () => {
    const s = 'cpe:2.3:a:hp:insight_diagnostics:7.4.*.1570:*:*:*:*:*:*:*';
    expect(sut(s)).toEqual({
      ok: false,
      reason: expect.stringContaining('only allowed'),
      offset: s.indexOf('*'),
    });
  });

  it('keeps a quoted colon inside a value (NVD style)', () => {
    const cpe = parsed('cpe:2.3:a:themeisle:wp_maintenance_mode_\\&_coming_soon:*:*:*:*:*:wordpress:*:*');
    expect(cpe.product).toEqual(cpeLiteral('wp_maintenance_mode_&_coming_soon'));
    expect(parsed('cpe:2.3:a:v:p\\:q:1:*:*:*:*:*:*:*').product).toEqual(cpeLiteral('p:q'));
  });

  it.each([
    ['cpe:2.3:a:v:p:1:*:*:*:*:*:*', 'expected 11 components'],
    ['cpe:2.3:a:v:p:1:*:*:*:*:*:*:*:*', 'expected 11 components'],
    ['cpe:2.3:x:v:p:1:*:*:*:*:*:*:*', 'part must be'],
    ['cpe:2.3:a::p:1:*:*:*:*:*:*:*', 'empty component'],
    ['cpe:2.3:a:v:p:1\\:*:*:*:*:*:*', 'expected 11 components'],
    ['cpe:2.3:a:v:p:1.0\\', 'expected 11 components'],
    ['cpe:2.3:a:v:p:1\\a:*:*:*:*:*:*:*', 'needs no quoting'],
    ['cpe:2.3:a:v:p:1 0:*:*:*:*:*:*:*', 'not printable'],
    ['cpe:2.3:a:v:p:*?:*:*:*:*:*:*:*', 'two wildcard runs'],
    ['cpe:2.3:a:v:p:**:*:*:*:*:*:*:*', 'two wildcard runs'],
    ['cpe:2.3:a:v:p:1?0:*:*:*:*:*:*:*', 'only allowed'],
    ['cpe:2.2:a:v:p', 'prefix'],
  ])('rejects %s', (s, reason) => {
    const r = sut(s);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain(reason);
      expect(r.offset).toBeGreaterThanOrEqual(0);
      expect(r.offset).toBeLessThanOrEqual(s.length);
    }
  });
});

describe('URI unbinding (NISTIR 7695 §6.1.3 examples)', () => {
  it('unbinds a plain URI; missing components are ANY', () => {
    expect(parsed('cpe:/a:microsoft:internet_explorer:8.0.6001:beta')).toEqual(
      makeCpe({
        part: 'a',
        vendor: 'microsoft',
        product: 'internet_explorer',
        version: '8.0.6001',
        update: 'beta',
      }),
    );
  });

  it('decodes %2a and %3f as literal characters, %02 and %01 as wildcards', () => {
    const lit = parsed('cpe:/a:microsoft:internet_explorer:8.%2a:sp%3f');
    expect(lit.version).toEqual(cpeLiteral('8.*'));
    expect(lit.update).toEqual(cpeLiteral('sp?'));
    const wc = parsed('cpe:/a:microsoft:internet_explorer:8.%02:sp%01');
    expect(wc.version).toEqual(wild('', '8.', '*'));
    expect(wc.update).toEqual(wild('', 'sp', '?'));
  });

  it('unpacks a packed edition', () => {
    const cpe = parsed('cpe:/a:hp:insight_diagnostics:7.4.0.1570::~~online~win2003~x64~');
    expect(cpe.update).toEqual(ANY);
    expect(cpe.edition).toEqual(ANY);
    expect(cpe.swEdition).toEqual(cpeLiteral('online'));
    expect(cpe.targetSw).toEqual(cpeLiteral('win2003'));
    expect(cpe.targetHw).toEqual(cpeLiteral('x64'));
    expect(cpe.other).toEqual(ANY);
    expect(formatCpe(cpe)).toBe('cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:*:*:*:online:win2003:x64:*');
  });

  it('reads "-" as NA inside and outside the packed edition', () => {
    const cpe = parsed('cpe:/a:hp:openview_network_manager:7.51:-:~~~linux~~');
    expect(cpe.update).toEqual(NA);
    expect(cpe.targetSw).toEqual(cpeLiteral('linux'));
    expect(formatCpe(cpe)).toBe('cpe:2.3:a:hp:openview_network_manager:7.51:-:*:*:*:linux:*:*');
  });

  it('treats "~" outside the edition and %7e as literal tildes', () => {
    const cpe = parsed('cpe:/a:foo~bar:big%7emoney_2010');
    expect(cpe.vendor).toEqual(cpeLiteral('foo~bar'));
    expect(cpe.product).toEqual(cpeLiteral('big~money_2010'));
    expect(formatCpe(cpe)).toBe('cpe:2.3:a:foo\\~bar:big\\~money_2010:*:*:*:*:*:*:*:*');
  });

  it('rejects %07 (not a printable character) at its offset', () => {
    const s = 'cpe:/a:foo%5cbar:big%24money_2010%07:::~~special~ipod_touch~80gb~';
    expect(sut(s)).toEqual({ ok: false, reason: 'invalid percent-encoding "%07"', offset: s.indexOf('%07') });
  });

  it('rejects an embedded %02 wildcard', () => {
    const s = 'cpe:/a:foo:bar:12.%02.1234';
    expect(sut(s)).toMatchObject({ ok: false, offset: s.indexOf('%02') });
  });

  it.each([
    ['cpe:/a:v:p:1:u:e:l:extra', 'too many'],
    ['cpe:/a:v:p:1:u:~a~b~c', 'five'],
    ['cpe:/a:v:p:1%2', 'two hex digits'],
    ['cpe:/z:v:p', 'part must be'],
  ])('rejects %s', (s, reason) => {
    const r = sut(s);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe('formatted string binding (NISTIR 7695 §6.2.2 examples)', () => {
  it.each([
    [
      makeCpe({
        part: 'a',
        vendor: 'microsoft',
        product: 'internet_explorer',
        version: '8.0.6001',
        update: 'beta',
      }),
      'cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*',
    ],
    [
      makeCpe({
        part: 'a',
        vendor: 'microsoft',
        product: 'internet_explorer',
        version: wild('', '8.', '*'),
        update: wild('', 'sp', '?'),
      }),
      'cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*',
    ],
    [
      makeCpe({
        part: 'a',
        vendor: 'hp',
        product: 'insight',
        version: '7.4.0.1570',
        update: NA,
        swEdition: 'online',
        targetSw: 'win2003',
        targetHw: 'x64',
      }),
      'cpe:2.3:a:hp:insight:7.4.0.1570:-:*:*:online:win2003:x64:*',
    ],
    [
      makeCpe({
        part: 'a',
        vendor: 'foo\\bar',
        product: 'big$money_manager_2010',
        swEdition: 'special',
        targetSw: 'ipod_touch',
        targetHw: '80gb',
      }),
      'cpe:2.3:a:foo\\\\bar:big\\$money_manager_2010:*:*:*:*:special:ipod_touch:80gb:*',
    ],
  ])('binds %#', (cpe, expected) => {
    expect(formatCpe(cpe)).toBe(expected);
    expect(parsed(expected)).toEqual(cpe);
  });

  it.each([
    [
      makeCpe({
        part: 'a',
        vendor: 'microsoft',
        product: 'internet_explorer',
        version: '8.*',
        update: wild('', 'sp', '?'),
      }),
      'cpe:2.3:a:microsoft:internet_explorer:8.\\*:sp?:*:*:*:*:*:*',
    ],
    [
      makeCpe({
        part: 'a',
        vendor: 'hp',
        product: 'openview_network_manager',
        version: '7.51',
        targetSw: 'linux',
      }),
      'cpe:2.3:a:hp:openview_network_manager:7.51:*:*:*:*:linux:*:*',
    ],
    [
      makeCpe({
        part: 'a',
        vendor: 'foo\\bar',
        product: 'big$money',
        version: '2010',
        swEdition: 'special',
        targetSw: 'ipod_touch',
        targetHw: '80gb',
      }),
      'cpe:2.3:a:foo\\\\bar:big\\$money:2010:*:*:*:special:ipod_touch:80gb:*',
    ],
  ])('binds and unbinds %#', (cpe, expected) => {
    expect(formatCpe(cpe)).toBe(expected);
    expect(parsed(expected)).toEqual(cpe);
  });

  it('keeps a literal "-", "*" and "?" quoted so they do not read back as NA or wildcards', () => {
    const cpe = makeCpe({ part: 'a', vendor: '-', product: '*', version: '?1' });
    const s = formatCpe(cpe);
    expect(s).toBe('cpe:2.3:a:\\-:\\*:\\?1:*:*:*:*:*:*:*');
    expect(parsed(s)).toEqual(cpe);
  });

  it('canonicalises optional quoting of "." and "-" and unquoted punctuation', () => {
    expect(formatCpe(parsed('cpe:2.3:a:v:p:1\\.0\\-beta:*:*:*:*:*:*:*'))).toBe(
      'cpe:2.3:a:v:p:1.0-beta:*:*:*:*:*:*:*',
    );
    expect(formatCpe(parsed('cpe:2.3:a:v:c++:1.0+x:*:*:*:*:*:*:*'))).toBe(
      'cpe:2.3:a:v:c\\+\\+:1.0\\+x:*:*:*:*:*:*:*',
    );
  });
});

describe('URI binding (NISTIR 7695 §6.1.2 examples)', () => {
  it.each([
    [
      'cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*',
      'cpe:/a:microsoft:internet_explorer:8.0.6001:beta',
    ],
    [
      'cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*',
      'cpe:/a:microsoft:internet_explorer:8.%02:sp%01',
    ],
    [
      'cpe:2.3:a:hp:insight:7.4.0.1570:-:*:*:online:win2003:x64:*',
      'cpe:/a:hp:insight:7.4.0.1570:-:~~online~win2003~x64~',
    ],
    [
      'cpe:2.3:a:foo\\\\bar:big\\$money_manager_2010:*:*:*:*:special:ipod_touch:80gb:*',
      'cpe:/a:foo%5cbar:big%24money_manager_2010:::~~special~ipod_touch~80gb~',
    ],
    ['cpe:2.3:a:foo\\~bar:big\\~money_2010:*:*:*:*:*:*:*:*', 'cpe:/a:foo%7ebar:big%7emoney_2010'],
    ['cpe:2.3:a:v:\\-:*:*:*:*:*:*:*:*', 'cpe:/a:v:%2d'],
  ])('%s binds to %s and back', (fs, uri) => {
    const cpe = parsed(fs);
    expect(formatCpeUri(cpe)).toBe(uri);
    expect(parsed(uri)).toEqual(cpe);
  });

  it('refuses unencoded "*" in a URI rather than guessing', () => {
    const s = 'cpe:/a:redhat:openshift:4.*';
    expect(sut(s)).toMatchObject({ ok: false, offset: s.indexOf('*') });
  });
});

describe('name matching (NISTIR 7696 §6.1 Table 6-2, §6.2)', () => {
  const i = cpeLiteral('i');
  const k = cpeLiteral('k');
  const m = wild('', 'i', '*');
  it.each([
    [ANY, ANY, 'EQUAL'],
    [ANY, NA, 'SUPERSET'],
    [ANY, i, 'SUPERSET'],
    [ANY, m, 'UNDEFINED'],
    [NA, ANY, 'SUBSET'],
    [NA, NA, 'EQUAL'],
    [NA, i, 'DISJOINT'],
    [NA, m, 'UNDEFINED'],
    [i, i, 'EQUAL'],
    [i, ANY, 'SUBSET'],
    [i, NA, 'DISJOINT'],
    [i, k, 'DISJOINT'],
    [i, m, 'UNDEFINED'],
    [m, ANY, 'SUBSET'],
    [m, NA, 'DISJOINT'],
    [m, cpeLiteral('ix'), 'SUPERSET'],
    [m, k, 'DISJOINT'],
    [m, m, 'UNDEFINED'],
  ] as const)('row %#: %o vs %o is %s', (source, target, expected) => {
    expect(compareCpeValues(source, target)).toBe(expected);
  });

  it('compares strings case-insensitively', () => {
    expect(compareCpeValues(cpeLiteral('Microsoft'), cpeLiteral('microsoft'))).toBe('EQUAL');
  });

  it('matches wildcards at either end; each "?" covers at most one character', () => {
    const v = (s: string) => parsed(`cpe:2.3:a:v:p:${s}:*:*:*:*:*:*:*`).version;
    expect(compareCpeValues(v('8.*'), v('8.0.6001'))).toBe('SUPERSET');
    expect(compareCpeValues(v('8.*'), v('9.0'))).toBe('DISJOINT');
    expect(compareCpeValues(v('*.1'), v('2.0.1'))).toBe('SUPERSET');
    expect(compareCpeValues(v('*6001*'), v('8.0.6001.1'))).toBe('SUPERSET');
    expect(compareCpeValues(v('sp?'), v('sp2'))).toBe('SUPERSET');
    expect(compareCpeValues(v('sp?'), v('sp'))).toBe('SUPERSET');
    expect(compareCpeValues(v('sp?'), v('sp10'))).toBe('DISJOINT');
    expect(compareCpeValues(v('??1'), v('x.1'))).toBe('SUPERSET');
    expect(compareCpeValues(v('??1'), v('xy.1'))).toBe('DISJOINT');
    // A quoted "*" is a literal asterisk, not a wildcard.
    expect(compareCpeValues(v('8.\\*'), v('8.0'))).toBe('DISJOINT');
    expect(compareCpeValues(v('8.\\*'), v('8.\\*'))).toBe('EQUAL');
  });

  // Single-"?" semantics of the §6.1.2 pseudo-code: each "?" covers zero or one character.
  it.each([
    ['?foo', 'foo', 'SUPERSET'],
    ['?foo', '1foo', 'SUPERSET'],
    ['?foo', '\\?foo', 'SUPERSET'],
    ['??foo', '12foo', 'SUPERSET'],
    ['*bar', 'blah\\?bar', 'SUPERSET'],
    ['foo??', 'foo\\?\\?', 'SUPERSET'],
    ['?foo', 'fo', 'DISJOINT'],
    ['?foo', '12foo', 'DISJOINT'],
    ['?foo', 'foo1', 'DISJOINT'],
    ['??foo', '123foo', 'DISJOINT'],
    ['*bar', 'blah\\?ba', 'DISJOINT'],
    ['foo??', 'foo123', 'DISJOINT'],
    ['foo??', '\\?foo', 'DISJOINT'],
    ['??????s', 'sles', 'SUPERSET'],
    ['?????s', 'windows', 'DISJOINT'],
  ])('%s against %s is %s', (source, target, expected) => {
    const v = (x: string) => parsed(`cpe:2.3:o:v:${x}:*:*:*:*:*:*:*:*`).product;
    expect(compareCpeValues(v(source), v(target))).toBe(expected);
  });

  it('relates whole names (IE 8.* sp? against IE 8.0.6001)', () => {
    const source = parsed('cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*');
    expect(
      compareCpes(source, parsed('cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*')),
    ).toBe('DISJOINT');
    expect(
      compareCpes(source, parsed('cpe:2.3:a:microsoft:internet_explorer:8.0.6001:sp2:*:*:*:*:*:*')),
    ).toBe('SUPERSET');
    // Wildcards in the target leave the relation undefined.
    expect(
      compareCpes(parsed('cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*'), source),
    ).toBe('UNDEFINED');
    const general = parsed('cpe:2.3:a:microsoft:internet_explorer:*:*:*:*:*:*:*:*');
    const specific = parsed('cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*');
    expect(compareCpes(general, specific)).toBe('SUPERSET');
    expect(compareCpes(specific, general)).toBe('SUBSET');
    expect(compareCpes(specific, specific)).toBe('EQUAL');
    expect(cpeMatches(general, specific)).toBe(true);
    expect(cpeMatches(specific, general)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const PRINTABLE = Array.from({ length: 94 }, (_, n) => String.fromCharCode(33 + n));
const literalArb = fc.string({ unit: fc.constantFrom(...PRINTABLE), minLength: 1, maxLength: 12 });
const valueArb: fc.Arbitrary<CpeValue> = fc.oneof(
  fc.constant(ANY),
  fc.constant(NA),
  literalArb.map(cpeLiteral),
  fc
    .tuple(fc.constantFrom('', '*', '?', '??'), literalArb, fc.constantFrom('', '*', '?', '???'))
    .map(([leading, literal, trailing]) => wild(leading, literal, trailing)),
);
const cpeArb: fc.Arbitrary<Cpe> = fc
  .tuple(
    fc.constantFrom<CpeValue>(ANY, NA, cpeLiteral('a'), cpeLiteral('o'), cpeLiteral('h')),
    fc.array(valueArb, { minLength: 10, maxLength: 10 }),
  )
  .map(([part, rest]) => {
    const values: Record<string, CpeValue> = { part };
    CPE_ATTRIBUTES.slice(1).forEach((a, n) => {
      values[a] = rest[n] as CpeValue;
    });
    return values as unknown as Cpe;
  });

describe('properties', () => {
  it('parse(formatCpeUri(wfn)) gives back the same WFN', () => {
    fc.assert(
      fc.property(cpeArb, (cpe) => {
        expect(sut(formatCpeUri(cpe))).toEqual({ ok: true, cpe });
      }),
      { numRuns: 2000 },
    );
  });

  it('parse(format(wfn)) gives back the same WFN', () => {
    fc.assert(
      fc.property(cpeArb, (cpe) => {
        const r = sut(formatCpe(cpe));
        expect(r).toEqual({ ok: true, cpe });
      }),
      { numRuns: 2000 },
    );
  });

  // Strings built from the characters that matter to the grammar, so many of them parse.
  const componentArb = fc.string({
    unit: fc.constantFrom('a', 'Z', '1', '.', '-', '_', '*', '?', '\\', '\\:', '\\*', '+', '~', '%', '!'),
    minLength: 1,
    maxLength: 6,
  });
  const fsArb = fc
    .tuple(fc.constantFrom('a', 'o', 'h', '*', '-'), fc.array(componentArb, { minLength: 10, maxLength: 10 }))
    .map(([part, rest]) => `cpe:2.3:${part}:${rest.join(':')}`);

  it('format(parse(x)) is canonical: formatting again changes nothing', () => {
    let parsedCount = 0;
    fc.assert(
      fc.property(fsArb, (s) => {
        const r = sut(s);
        if (!r.ok) return;
        parsedCount++;
        const canonical = formatCpe(r.cpe);
        const again = sut(canonical);
        expect(again).toEqual({ ok: true, cpe: r.cpe });
        if (again.ok) expect(formatCpe(again.cpe)).toBe(canonical);
      }),
      { numRuns: 3000 },
    );
    expect(parsedCount).toBeGreaterThan(100);
  });

  it('never throws on random input; failures carry an offset inside the string', () => {
    const noisy = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => `cpe:2.3:${s}`),
      fc.string({ maxLength: 60 }).map((s) => `cpe:/${s}`),
      fc.tuple(fsArb, fc.nat({ max: 12 })).map(([s, n]) => {
        // Drop the n-th colon: a component count that is off by one.
        let k = 0;
        return s.replace(/:/g, (c) => (k++ === n ? '' : c));
      }),
      fc
        .string({ unit: fc.constantFrom('a', ':', '%', '0', '1', '2', '~', '-', '7', 'e'), maxLength: 40 })
        .map((s) => `cpe:/${s}`),
    );
    fc.assert(
      fc.property(noisy, (s) => {
        const r = sut(s);
        if (!r.ok) {
          expect(r.offset).toBeGreaterThanOrEqual(0);
          expect(r.offset).toBeLessThanOrEqual(s.length);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('URIs that parse also bind to a formatted string that parses to the same WFN', () => {
    const uriComp = fc.string({
      unit: fc.constantFrom('a', 'b', '1', '.', '-', '_', '%01', '%02', '%2a', '%3a', '%5c', '%7e', '~'),
      maxLength: 5,
    });
    const uriArb = fc
      .tuple(fc.constantFrom('a', 'o', 'h', '', '-'), fc.array(uriComp, { maxLength: 6 }))
      .map(([part, rest]) => `cpe:/${[part, ...rest].join(':')}`);
    fc.assert(
      fc.property(uriArb, (s) => {
        const r = sut(s);
        if (r.ok) expect(sut(formatCpe(r.cpe))).toEqual(r);
      }),
      { numRuns: 2000 },
    );
  });
});
