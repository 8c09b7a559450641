import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions } from './version.js';
import { parseVersionRange, type VersionRange, versionInRange } from './version-range.js';

interface RealString {
  set: string;
  category: 'product_version' | 'product_version_range';
  name: string;
  files: string[];
}

const real: RealString[] = JSON.parse(
  readFileSync(
    new URL('../../test/fixtures/advisories/version-ranges/real-version-strings.json', import.meta.url),
    'utf8',
  ),
);

/** A compact rendering of a parse, so the expectations below read like the advisory text. */
function describeRange(range: VersionRange): string {
  switch (range.kind) {
    case 'all':
      return 'all';
    case 'list':
      return `list ${range.versions.join(' ; ')}`;
    case 'constraints':
      return `constraints ${range.alternatives.map((a) => a.map((c) => `${c.comparator}${c.version}`).join(' & ')).join(' || ')}`;
    case 'date': {
      const d = (b: { date: object; inclusive: boolean } | undefined) =>
        b ? `${JSON.stringify(b.date)}${b.inclusive ? '' : ' excl'}` : '-';
      return `date ${d(range.after)} .. ${d(range.before)}${range.qualifier ? ` [${range.qualifier}]` : ''}`;
    }
    case 'unparsed':
      return `unparsed ${range.reason}`;
  }
}

describe('parseVersionRange on real CISA strings', () => {
  // Expected parses worked out by reading the strings and their advisories (file in brackets).
  it.each([
    // vers and "all"
    ['vers:all/*', 'all'], // icsma-17-215-01
    ['all versions', 'all'], // icsa contrast
    ['* (end-of-life 2011)', 'all'], // icsma-18-128-01
    ['vers:all/<VX.223.0 Update 2', 'constraints <VX.223.0 Update 2'], // va-24-201-01: non-conformant but clear
    // single upper bounds
    ['< 1.10', 'constraints <1.10'],
    ['<= 4107600010.23', 'constraints <=4107600010.23'], // icsma-18-144-01
    ['<= 11.x', 'constraints <=11.x'],
    ['<= 2.4A', 'constraints <=2.4A'],
    ['<= C.00.04', 'constraints <=C.00.04'],
    ['<= R4.1L1', 'constraints <=R4.1L1'],
    ['<=N', 'constraints <=N'], // icsma-20-254-01: IntelliVue revision N
    ['< 012U000040', 'constraints <012U000040'], // icsma-17-082-02: B. Braun software part number
    ['< 1.8.4 Service Pack 01', 'constraints <1.8.4 Service Pack 01'],
    ['< V14 SP1 Update 14', 'constraints <V14 SP1 Update 14'],
    ['<= 8.2_20170817', 'constraints <=8.2_20170817'],
    ['2.3.6 and  below', 'constraints <=2.3.6'], // icsma double space
    ['<= 1.54 (integrated into GE MobileLink)', 'constraints <=1.54'],
    ['<= 2.01 (end-of-life Nov 2017)', 'constraints <=2.01'], // a month in a remark is not a date scope
    // intervals written with | (CISA follows vers: lower bound then upper bound is one interval)
    ['>= 1.0.0 | <= 1.1.1', 'constraints >=1.0.0 & <=1.1.1'],
    ['>= 1.3.4 | < 1.5.3', 'constraints >=1.3.4 & <1.5.3'],
    ['>= 2018-1 | <= 2021-1', 'constraints >=2018-1 & <=2021-1'],
    ['>=BT02 | <= BT06', 'constraints >=BT02 & <=BT06'],
    ['>=5.3|<=6.4', 'constraints >=5.3 & <=6.4'],
    ['>= 2.0', 'constraints >=2.0'],
    // unions
    ['<= U61 |<= L81', 'constraints <=U61 || <=L81'], // icsma-20-296-02: two product lines
    ['<=2.22 | <=1.01', 'constraints <=2.22 || <=1.01'],
    ['< 1.99 | 2.20 | 2.40', 'constraints <1.99 || =2.20 || =2.40'],
    // other free forms
    ['A10 < A11', 'constraints >=A10 & <A11'], // icsma-21-294-01
    ['0 < 8.0.1', 'constraints >=0 & <8.0.1'],
    ['>= V2.5 < V2.6.1', 'constraints >=V2.5 & <V2.6.1'],
    ['All versions between V2.5 (including) and V2.7 (excluding)', 'constraints >=V2.5 & <V2.7'],
    ['Rev B-M', 'constraints >=Rev B & <=Rev M'], // icsma-18-156-01
    ['Rev J-M | (X3/MX100 for Rev M only)', 'constraints >=Rev J & <=Rev M'],
    // lists of versions
    ['1.1.3 MR Build 11', 'list 1.1.3 MR Build 11'],
    ['4.X | 5.X', 'list 4.X ; 5.X'],
    ['3.0|3.1', 'list 3.0 ; 3.1'],
    ['5.89.05b', 'list 5.89.05b'],
    ['F.0.G.0 | J.3', 'list F.0.G.0 ; J.3'],
    ['BT02 | BT03 | BT04 | BT06', 'list BT02 ; BT03 ; BT04 ; BT06'], // GE ultrasound software levels
    ['(Release 1.3.2 1.4.0 1.4.1 1.4.3 1.4.5)', 'list 1.3.2 ; 1.4.0 ; 1.4.1 ; 1.4.3 ; 1.4.5'],
    ['6.3V1L10', 'list 6.3V1L10'],
    ['LPI 3.5.12.P30', 'list LPI 3.5.12.P30'],
    ['HD 16 | HD23', 'list HD 16 ; HD23'],
    // Known limitation: GE Carestation model numbers look exactly like versions (icsma-19-190-01).
    ['620 | 650 | 650c', 'list 620 ; 650 ; 650c'],
    // dates: decided by manufacture date only
    ['< august 28', 'date - .. {"month":8,"day":28} excl'], // icsma-17-241-01
    ['<  november 29 2017', 'date - .. {"year":2017,"month":11,"day":29} excl'],
    ['<May 2018', 'date - .. {"year":2018,"month":5} excl'],
    [
      'with wireless option (shipped between 26-June-2017 through 07-August 2018)',
      'date {"year":2017,"month":6,"day":26} .. {"year":2018,"month":8,"day":7} [with wireless option]',
    ],
    [
      'with ViewForum option (shipped between 2016-August 2018)',
      'date {"year":2016} .. {"year":2018,"month":8} [with ViewForum option]',
    ],
    // model numbers and other text in the version slot
    [
      'MMT-1740 | MMT-1741 | MMT-1742 | MMT-1760 | MMT-1762 | MMT-1762 | MMT-1780 | MMT-1781 | MMT-1782',
      'unparsed looks like model numbers',
    ],
    ['MMT-1710', 'unparsed looks like model numbers'],
    ['CR-IR 357', 'unparsed looks like model numbers'],
    ['882160 Gemini Dual', 'unparsed not a version: "882160 Gemini Dual"'],
    ['2nd Edition', 'unparsed not a version: "2nd Edition"'],
    [
      '<=11.2 on Windows 8.1 with IIS 7.5',
      'unparsed not a version after the operator: "<=11.2 on Windows 8.1 with IIS 7.5"',
    ],
    [
      'NMC2 <= 6.9.6',
      'unparsed text before the operator is not a version (a product qualifier?): "NMC2 <= 6.9.6"',
    ],
    ['TCP', 'unparsed not a version: "TCP"'],
  ])('%j → %s', (text, expected) => {
    expect(real.some((entry) => entry.name === text)).toBe(true);
    expect(describeRange(parseVersionRange(text))).toBe(expected);
  });

  it('parses every real string without throwing, with these counts per kind', () => {
    const counts = (set: string) => {
      const result: Record<string, number> = {};
      for (const entry of real.filter((e) => e.set === set)) {
        const kind = parseVersionRange(entry.name).kind;
        result[kind] = (result[kind] ?? 0) + 1;
      }
      return result;
    };
    expect(real).toHaveLength(216);
    expect(counts('01-csaf-icsma')).toEqual({ list: 51, all: 3, constraints: 74, unparsed: 23, date: 8 });
    expect(counts('01b-csaf-icsa-contrast')).toEqual({ list: 14, all: 2, constraints: 29, unparsed: 12 });
  });

  it('leaves exactly these real strings unparsed', () => {
    const sut = real.filter((e) => parseVersionRange(e.name).kind === 'unparsed').map((e) => e.name);
    expect(sut).toEqual([
      '2nd Edition',
      '3rd Edition',
      '7100 | 7900 | 100 | Protiva Carestation View',
      '882160 Gemini Dual',
      '882300 Gemini 16 Slice',
      '882390 Gemini GXL 6 Slice',
      '882400 Gemini GXL 10 Slice',
      '882410 Gemini GXL 16 Slice',
      '882412 GEMINI LXL',
      '882438 TruFlight Select PET/CT',
      '882470 Gemini TF 16 w/ TOF Performance',
      '882471 Gemini TF 64 w/ TOF Performance',
      '882473 Gemini TF Ready',
      '882476 Gemini TF Big Bore',
      'CR-IR 357',
      'CS2  Avance | Amingo | Avance CS2',
      'MMT-1710',
      'MMT-1711 | MMT-1712 | MMT-1751 | MMT-1752',
      'MMT-1715 | MMT-1754 | MMT-1755',
      'MMT-1740 | MMT-1741 | MMT-1742 | MMT-1760 | MMT-1762 | MMT-1762 | MMT-1780 | MMT-1781 | MMT-1782',
      'Windows 10 Professional Operating System U.S. release',
      '053L000091 (global) / 054U000091 (U.S.) and 053L000092 (global) / 054U000092 (U.S.)',
      '<=11.2 on Windows 8.1 with IIS 7.5',
      // 01b contrast set
      'ARP',
      'Corefix 14',
      'DHCP',
      'DNS',
      'ICMPv4',
      'TCP',
      'UDP',
      '>=MCE_3.x_Cert_Edition',
      'NMC2 <= 6.9.6',
      'NMC2 <= 6.9.8',
      'NMC3 <= 1.4.0',
      'NMC3 <= 1.4.2.1',
    ]);
  });
});

describe('parseVersionRange on forms named in the issue but not in this snapshot', () => {
  // These occur in later ICSMA advisories (ICSMA_subset.csv in 01d) or in the vers specification.
  it.each([
    ['vers:generic/>=1.0.0|<1.1.1', 'constraints >=1.0.0 & <1.1.1'],
    ['vers:npm/1.2.3|>=2.0.0|<5.0.0', 'constraints =1.2.3 || >=2.0.0 & <5.0.0'],
    ['vers:pypi/0.0.0|0.0.1|0.0.2', 'constraints =0.0.0 || =0.0.1 || =0.0.2'],
    ['vers:generic/!=1.2.0', 'constraints !=1.2.0'],
    ['vers:generic/>=1.0|!=1.2|<2.0', 'constraints >=1.0 & <2.0 & !=1.2'],
    ['vers:generic/1.0%2Bbuild5', 'constraints =1.0+build5'],
    ['<v15.0.0', 'constraints <v15.0.0'],
    ['<= 12.2.x.x', 'constraints <=12.2.x.x'],
    ['prior to 8.1', 'constraints <8.1'],
    ['All versions prior to 3.0', 'constraints <3.0'],
    ['versions 3.1 to 3.3', 'constraints >=3.1 & <=3.3'],
    ['All versions', 'all'],
    ['1.70 and prior', 'constraints <=1.70'],
    ['1.0 - 2.0', 'constraints >=1.0 & <=2.0'],
    ['1.2.3-45', 'list 1.2.3-45'],
    ['<= S4 A.07.107', 'constraints <=S4 A.07.107'],
    ['<July_2026', 'date - .. {"year":2026,"month":7} excl'],
  ])('%j → %s', (text, expected) => {
    expect(describeRange(parseVersionRange(text))).toBe(expected);
  });

  it.each([
    ['', 'empty'],
    ['vers:', 'vers: without "/"'],
    ['vers:/1.0', 'vers: without a scheme'],
    ['vers:generic/', 'vers: without constraints'],
    ['vers:generic/%E0%A4%A', 'bad percent-encoding in "%E0%A4%A"'],
    ['(only a remark)', 'only a remark, no version'],
    ['< the 32nd of smarch', 'not a version after the operator: "< the 32nd of smarch"'],
    ['before May 45th', 'mentions a date that could not be read'],
  ])('reports %j as unparsed: %s', (text, reason) => {
    expect(parseVersionRange(text)).toEqual({ kind: 'unparsed', raw: text, reason });
  });

  it('keeps remarks as notes', () => {
    expect(parseVersionRange('Rev J-M | (X3/MX100 for Rev M only)')).toMatchObject({
      kind: 'constraints',
      notes: ['X3/MX100 for Rev M only'],
    });
  });
});

describe('versionInRange', () => {
  it.each([
    ['15.0.0', '<v15.0.0', 'out'],
    ['v14.9', '<v15.0.0', 'in'],
    ['12.2.9.1', '<= 12.2.x.x', 'in'],
    ['12.3', '<= 12.2.x.x', 'out'],
    ['4.7', '4.X | 5.X', 'in'],
    ['6.0', '4.X | 5.X', 'out'],
    ['1.1.0', '>= 1.0.0 | <= 1.1.1', 'in'],
    ['1.2', '>= 1.0.0 | <= 1.1.1', 'out'],
    ['0.9', '>= 1.0.0 | <= 1.1.1', 'out'],
    ['2.3.6', '2.3.6 and  below', 'in'],
    ['2.3.7', '2.3.6 and  below', 'out'],
    ['8.0.9', 'prior to 8.1', 'in'],
    ['3.2', 'versions 3.1 to 3.3', 'in'],
    ['3.3.1', 'versions 3.1 to 3.3', 'out'],
    ['anything', 'All versions', 'in'],
    ['S4 A.07.106', '<= S4 A.07.107', 'in'],
    ['S4 A.07.108', '<= S4 A.07.107', 'out'],
    ['Rev F', 'Rev B-M', 'in'],
    ['Rev N', 'Rev B-M', 'out'],
    // A revision letter in the advisory names the revision with all its releases (IntelliVue M.00.03).
    ['M.00.03', 'Rev J-M | (X3/MX100 for Rev M only)', 'in'], // icsma-18-156-01
    ['J.10.50', 'Rev J-M | (X3/MX100 for Rev M only)', 'in'],
    ['H.05.01', 'Rev J-M | (X3/MX100 for Rev M only)', 'out'],
    ['N.00.01', 'Rev J-M | (X3/MX100 for Rev M only)', 'out'],
    ['M.00.03', '<=N', 'in'], // icsma-20-254-01
    ['M.04', '< M', 'out'],
    ['M', 'M.00.03', 'out'], // but a device recorded as just `M` is not every release of M
    ['BT04', '>=BT02 | <= BT06', 'in'],
    ['L70', '<= U61 |<= L81', 'in'],
    ['2.1', '<= R8.0.3', 'unknown'], // different scheme: never guessed
    ['1.0', '< august 28', 'unknown'],
    ['1.0', 'MMT-1740 | MMT-1741', 'unknown'],
    ['1.0', 'vers:generic/>=1.0|!=1.0|<2.0', 'out'],
    ['1.5', 'vers:generic/>=1.0|!=1.0|<2.0', 'in'],
    ['2.40', '< 1.99 | 2.20 | 2.40', 'in'],
    ['2.4', '< 1.99 | 2.20 | 2.40', 'out'], // numbers, not decimals: 2.4 is release 4, not 2.40
    ['2.30', '< 1.99 | 2.20 | 2.40', 'out'],
    ['Gemini', '< 1.99', 'unknown'],
  ])('%j in %j → %s', (version, text, expected) => {
    expect(versionInRange(version, parseVersionRange(text))).toBe(expected);
  });

  it('treats a device without a recorded version as in "all" and unknown elsewhere', () => {
    expect(versionInRange(null, parseVersionRange('vers:all/*'))).toBe('in');
    expect(versionInRange(null, parseVersionRange('All versions'))).toBe('in');
    expect(versionInRange(null, parseVersionRange('< 3.0'))).toBe('unknown');
    expect(versionInRange(null, parseVersionRange('3.0|3.1'))).toBe('unknown');
    expect(versionInRange(null, parseVersionRange('< august 28'))).toBe('unknown');
    expect(versionInRange(null, parseVersionRange('882160 Gemini Dual'))).toBe('unknown');
  });

  it('answers unknown for every real unparsed or date range, whatever the version', () => {
    for (const entry of real) {
      const range = parseVersionRange(entry.name);
      if (range.kind !== 'unparsed' && range.kind !== 'date') continue;
      for (const version of ['1.0', null, 'BT03']) expect(versionInRange(version, range)).toBe('unknown');
    }
  });
});

const concrete = fc.array(fc.nat({ max: 12 }), { minLength: 1, maxLength: 4 }).map((n) => n.join('.'));
const comparator = fc.constantFrom('<', '<=', '>', '>=', '=', '!=');

describe('properties', () => {
  it('never throws on random strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.option(fc.string({ maxLength: 40 })), (text, version) => {
        versionInRange(version, parseVersionRange(text));
        versionInRange(version, parseVersionRange(`vers:generic/${text}`));
        versionInRange(version, parseVersionRange(`<= ${text}`));
      }),
    );
  });

  it('never throws on strings built from range vocabulary', () => {
    const word = fc.constantFrom(
      '<',
      '<=',
      '>=',
      '|',
      '(',
      ')',
      'and',
      'below',
      'prior to',
      'between',
      'to',
      'Rev',
      'x',
      '*',
      'august',
      '2018',
      '28',
      '-',
      'vers:',
      '/',
      '1.2',
      'A',
      ' ',
      'shipped',
      '%',
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 12 }), (words) => {
        const range = parseVersionRange(words.join(''));
        expect(['all', 'constraints', 'list', 'date', 'unparsed']).toContain(range.kind);
        parseVersionRange(words.join(' '));
      }),
    );
  });

  it('agrees with compareVersions for generated constraint ranges', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(comparator, concrete), { minLength: 1, maxLength: 3 }), {
          minLength: 1,
          maxLength: 3,
        }),
        concrete,
        (alternatives, version) => {
          const text = `vers:generic/${alternatives
            .flat()
            .map(([op, v]) => `${op}${v}`)
            .join('|')}`;
          const range = parseVersionRange(text);
          expect(range.kind).toBe('constraints');
          if (range.kind !== 'constraints') return;
          const holds = (op: string, bound: string) => {
            const order = compareVersions(version, bound)!;
            return {
              '<': order < 0,
              '<=': order <= 0,
              '>': order > 0,
              '>=': order >= 0,
              '=': order === 0,
              '!=': order !== 0,
            }[op];
          };
          const expected = range.alternatives.some((alternative) =>
            alternative.every((c) => holds(c.comparator, c.version)),
          );
          expect(versionInRange(version, range)).toBe(expected ? 'in' : 'out');
        },
      ),
    );
  });

  it('reads a lower and an upper bound as the interval between them', () => {
    fc.assert(
      fc.property(concrete, concrete, concrete, (low, high, version) => {
        const range = parseVersionRange(`>= ${low} | < ${high}`);
        const inside = compareVersions(version, low)! >= 0 && compareVersions(version, high)! < 0;
        expect(versionInRange(version, range)).toBe(inside ? 'in' : 'out');
      }),
    );
  });
});
