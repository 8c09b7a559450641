import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../errors.js';
import { gs1CheckDigit, gs1Date } from './gs1.js';
import { hibccCheckCharacter } from './hibcc.js';
import { parseUdi } from './parse.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const parse = (s: string) => parseUdi(s, NOW);

function errorOf(s: string): VigilError {
  try {
    parse(s);
  } catch (e) {
    expect(e).toBeInstanceOf(VigilError);
    return e as VigilError;
  }
  throw new Error(`parsed without error: ${s}`);
}

describe('GS1', () => {
  it('reads the FDA example human-readable UDI', () => {
    // FDA "UDI Basics" / GUDID guidance example; also in the brief.
    expect(parse('(01)00643169007222(17)160128(21)BLC200461H')).toMatchObject({
      issuer: 'GS1',
      di: '00643169007222',
      serial: 'BLC200461H',
      expiry: '2016-01-28',
      lot: null,
    });
  });

  it('reads the HL7 v2 (PRT-10) example of a GS1 UDI', () => {
    expect(parse('(01)00643169001763(17)160712(21)21A11F4855')).toMatchObject({
      di: '00643169001763',
      expiry: '2016-07-12',
      serial: '21A11F4855',
    });
  });

  it('reads the scanned form with symbology identifier and GS separators', () => {
    const r = parse(']d2010064316900722217160128' + '10LOT42\x1d' + '21BLC200461H');
    expect(r).toMatchObject({
      di: '00643169007222',
      expiry: '2016-01-28',
      lot: 'LOT42',
      serial: 'BLC200461H',
    });
    expect(r.elements.map((e) => e.id)).toEqual(['01', '17', '10', '21']);
    // Keyboard-wedge scanners: the GS shown as ␝ or <GS>, FNC1 leading.
    expect(parse(']C1010064316900722210LOT42<GS>11250101').manufactured).toBe('2025-01-01');
    expect(parse('\x1d0100643169007222').di).toBe('00643169007222');
  });

  it('reads GS1 Digital Link URIs (GS1 Digital Link Standard example GTIN 09506000134352)', () => {
    expect(parse('https://id.gs1.org/01/09506000134352/10/ABC%2F1/21/XYZ?17=251231&11=240101')).toMatchObject(
      {
        di: '09506000134352',
        lot: 'ABC/1',
        serial: 'XYZ',
        expiry: '2025-12-31',
        manufactured: '2024-01-01',
      },
    );
    expect(parse('https://example.com/gtin/9506000134352').di).toBe('09506000134352');
    expect(errorOf('https://id.gs1.org/01/09506000134353').message).toMatch(/bad GTIN check digit/);
    expect(errorOf('https://example.com/products/42').message).toMatch(/not a GS1 Digital Link/);
  });

  it('rejects a bad GTIN check digit and says where (AccessGUDID parse_udi documentation example)', () => {
    const e = errorOf('(01)00011954013448(11)141231(17)150707(10)A213B1(21)1234');
    expect(e.message).toContain('position 17');
    expect(e.message).toContain('bad GTIN check digit 8 (expected 2)');
    expect(e.issues[0]).toMatchObject({ offset: 17 });
  });

  it('rejects unknown AIs, short fixed fields, bad dates and missing GTIN', () => {
    expect(errorOf('(01)00643169007222(88)X').message).toMatch(/unknown GS1 Application Identifier \(88\)/);
    expect(errorOf('(01)0064316900722').message).toMatch(/needs 14 characters, found 13/);
    expect(errorOf('(01)00643169007222(17)161328').message).toMatch(/not a date/);
    expect(errorOf('(21)ABC').message).toMatch(/GTIN is missing/);
  });

  it('dates: DD 00 is the last day of the month; the century follows GS1 §7.12', () => {
    expect(gs1Date('240200', NOW)).toBe('2024-02-29');
    expect(gs1Date('991231', NOW)).toBe('1999-12-31');
    expect(gs1Date('751231', NOW)).toBe('2075-12-31');
  });

  it('property: any GTIN with its computed check digit round-trips through both forms', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{13}$/),
        fc.stringMatching(/^[A-Za-z0-9]{1,20}$/),
        fc.stringMatching(/^[A-Za-z0-9]{1,20}$/),
        (body, lot, serial) => {
          const gtin = `${body}${gs1CheckDigit(body)}`;
          const hr = parse(`(01)${gtin}(10)${lot}(21)${serial}`);
          const raw = parse(`]d201${gtin}10${lot}\x1d21${serial}`);
          expect(hr).toMatchObject({ di: gtin, lot, serial });
          expect(raw).toMatchObject({ di: gtin, lot, serial });
          const wrong = `${body}${(gs1CheckDigit(body) + 1) % 10}`;
          expect(() => parse(`(01)${wrong}`)).toThrow(/bad GTIN check digit/);
        },
      ),
    );
  });
});

describe('HIBCC', () => {
  it('verifies the ANSI/HIBC 2.6 Appendix E1.3 primary/secondary pair and the §B.2.0 check example', () => {
    expect(hibccCheckCharacter('+A123BJC5D6E71')).toBe('G');
    expect(parse('+A123BJC5D6E71G')).toMatchObject({
      issuer: 'HIBCC',
      di: 'A123BJC5D6E71',
      extra: { lic: 'A123', pcn: 'BJC5D6E7', unitOfMeasure: '1' },
    });
    // Secondary: $$5 = YYJJJ expiry (2020, day 15), lot 10X3, link G (the primary's check), check D.
    expect(parse('+$$52001510X3GD')).toMatchObject({
      di: null,
      expiry: '2020-01-15',
      lot: '10X3',
      extra: { link: 'G' },
    });
  });

  it('reads the concatenated form (§2.2.1.1 example data +A99912345/$$52001510X3 with its check character)', () => {
    const data = '+A99912345/$$52001510X3';
    const r = parse(`${data}${hibccCheckCharacter(data)}`);
    expect(r).toMatchObject({ di: 'A99912345', lot: '10X3', expiry: '2020-01-15' });
  });

  it("FDA's HIBCC example: its printed check character does not verify; the fields do once corrected", () => {
    // FDA GUDID / HL7 v2 PRT-10 illustrative example.
    const fda = '+H123PARTNO1234567890120/$$420020216LOT123456789012345/SXYZ456789012345678/16D20130202C';
    const e = errorOf(fda);
    expect(e.message).toContain(`position ${fda.length - 1}`);
    expect(e.message).toContain('bad check character "C" (expected "H")');
    const fixed = `${fda.slice(0, -1)}H`;
    expect(parse(fixed)).toMatchObject({
      di: 'H123PARTNO1234567890120',
      extra: { lic: 'H123', pcn: 'PARTNO123456789012', unitOfMeasure: '0' },
      expiry: '2020-02-02',
      lot: 'LOT123456789012345',
      serial: 'XYZ456789012345678',
      manufactured: '2013-02-02',
    });
  });

  it('reads the other secondary formats', () => {
    const withCheck = (d: string) => `${d}${hibccCheckCharacter(d)}`;
    expect(parse(withCheck('+A999ABC1230/$$0625LOT1'))).toMatchObject({ expiry: '2025-06-30', lot: 'LOT1' });
    expect(parse(withCheck('+A999ABC1230/$$3250131LOT2'))).toMatchObject({
      expiry: '2025-01-31',
      lot: 'LOT2',
    });
    expect(parse(withCheck('+A999ABC1230/$$+7SER9'))).toMatchObject({ serial: 'SER9', expiry: null });
    expect(parse(withCheck('+A999ABC1230/$+SER8'))).toMatchObject({ serial: 'SER8' });
    expect(parse(withCheck('+A999ABC1230/$LOT7'))).toMatchObject({ lot: 'LOT7' });
    expect(parse(withCheck('+A999ABC1230/$$8103250503LOT'))).toMatchObject({
      extra: expect.objectContaining({ quantity: '10' }),
      expiry: '2025-05-03',
    });
    expect(errorOf(withCheck('+A999ABC1230/$$3251399LOT')).message).toMatch(/not a date/);
  });

  it('property: a wrong check character is always caught', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z][A-Z0-9]{3}[A-Z0-9]{1,18}[0-9]$/), (primary) => {
        const data = `+${primary}`;
        const good = hibccCheckCharacter(data);
        expect(parse(`${data}${good}`).di).toBe(primary);
        const bad = good === '0' ? '1' : '0';
        expect(() => parse(`${data}${bad}`)).toThrow(/bad check character/);
      }),
    );
  });
});

describe('ICCBBA', () => {
  it('reads the FDA / ST-011 example UDI for an HCT/P device', () => {
    // FDA GUDID guidance and HL7 v2 PRT-10 example; AccessGUDID parse_udi documentation.
    expect(
      parse('=/A9999XYZ100T0944=,000025=A99971312345600=>014032=}013032&,1000000000000XYZ123'),
    ).toMatchObject({
      issuer: 'ICCBBA',
      di: 'A9999XYZ100T0944',
      serial: '000025',
      lot: '000000000000XYZ123',
      expiry: '2014-02-01',
      manufactured: '2013-02-01',
      extra: { donationId: 'A999713123456' },
    });
  });

  it('reads the HL7 v2 PRT-10 example for blood containers (=) and &) structures)', () => {
    // HL7 writes "&" as its escape \T\; the UDI itself is =)1TE123456A&)RZ12345678.
    expect(parse('=)1TE123456A&)RZ12345678')).toMatchObject({
      issuer: 'ICCBBA',
      di: '1TE123456A',
      lot: 'RZ12345678',
    });
  });

  it('reads a compound message and rejects malformed structures with their position', () => {
    const r = parse('=+06000=/A9999XYZ100T0476=,000025=A99972312345600=>025032=}023032&,1000000000000XYZ123');
    expect(r).toMatchObject({ di: 'A9999XYZ100T0476', expiry: '2025-02-01', manufactured: '2023-02-01' });
    expect(errorOf('=/A9999XYZ100T09=,000025').message).toMatch(
      /position 2: .*needs 16 characters|not well formed/,
    );
    expect(errorOf('=/A9999XYZ100T0944=,000000').message).toMatch(/PRODUCT DIVISIONS .* not well formed/);
    expect(errorOf('=,000025').message).toMatch(/processor product identification code \(=\/\) is missing/);
  });
});

describe('parseUdi', () => {
  it('rejects text that is no UDI', () => {
    expect(errorOf('hello').message).toMatch(/not a GS1/);
    expect(errorOf('   ').message).toMatch(/empty/);
  });

  it('property: never throws anything but a VigilError', () => {
    const alphabet = fc.constantFrom(...'()0123456789+=/$&,ABCXZ>}.-% \x1d]d2C1'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 60 })), (s) => {
        try {
          parseUdi(s, NOW);
        } catch (e) {
          expect(e).toBeInstanceOf(VigilError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
