import { createReadStream, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeControl } from '../escape-control.js';
import { headerKey, parseCmmsCsv, parseHeaderMapping, parseMappingFile } from './cmms-csv.js';
import { cleanText } from './identity.js';

const fixture = (name: string) => new URL(`../../test/fixtures/cmms/${name}`, import.meta.url);

describe('parseCmmsCsv on fixtures', () => {
  it('refuses a row whose Site holds a NUL rather than store it as U+FFFD at a new site', async () => {
    const r = await parseCmmsCsv(readFileSync(fixture('nul-in-site.csv')), { file: 'nul-in-site.csv' });
    expect(r.issues).toEqual([
      {
        file: 'nul-in-site.csv',
        line: 11,
        field: 'Site',
        reason: 'holds a control character (U+0000) at byte offset 18 of the value; a CSV export holds none',
      },
    ]);
    expect(r.rejectedLines).toEqual([11]);
  });

  it('quotes a header of a million characters in at most ~100 of them', async () => {
    const header = `Name,${'x'.repeat(1_000_000)}`;
    const r = await parseCmmsCsv(`${header}\nA,B\n`, { file: 'long.csv' });
    expect(r.fatal).toBe(true);
    const reason = r.issues[0]!.reason;
    expect(reason.length).toBeLessThan(300);
    expect(reason).toContain(`(the header has: Name, ${'x'.repeat(93)}…)`);
    for (const w of r.warnings) expect(JSON.stringify(w).length).toBeLessThan(1000);
  });

  it('refuses a record longer than the limit by its line, and reads no further', async () => {
    const long = `${'x'.repeat(60)}`;
    const header = await parseCmmsCsv(`Asset Tag,${long}\nA1,B\n`, { file: 'h.csv', maxRecordChars: 50 });
    expect(header.fatal).toBe(true);
    expect(header.issues).toEqual([
      {
        file: 'h.csv',
        line: 1,
        reason:
          "longer than 50 characters: no export's row comes near that (a row with long notes is a few KB); is this a CSV export, and is every quoted field closed?",
      },
    ]);
    // A quote left open on line 3 runs to the end of the file: named from the line it starts on.
    const open = await parseCmmsCsv(`Asset Tag,Notes\nA1,ok\nA2,"open\nA3,x\nA4,${long}\n`, {
      file: 'o.csv',
      maxRecordChars: 50,
    });
    expect(open.fatal).toBe(true);
    expect(open.issues[0]).toMatchObject({
      line: 3,
      reason: expect.stringMatching(/^the record runs on to line 5 and is longer than 50 characters: /),
    });
  });

  it('names an Excel "Unicode Text" save (UTF-16LE with a byte order mark) as UTF-16', async () => {
    const r = await parseCmmsCsv(createReadStream(fixture('hospital-export.utf16.csv')), { file: 'u.csv' });
    expect(r.fatal).toBe(true);
    expect(r.issues).toEqual([
      {
        file: 'u.csv',
        reason:
          'the file is UTF-16 (little-endian, with a byte order mark); save it as UTF-8 (Excel: CSV UTF-8)',
      },
    ]);
  });

  it('reads an Excel export (BOM, CRLF, quoted commas, a multi-line note) with the right line numbers', async () => {
    const r = await parseCmmsCsv(createReadStream(fixture('hospital-export.csv')), {
      file: 'hospital-export.csv',
    });
    expect(r.fatal).toBe(false);
    expect(r.issues).toEqual([]);
    expect(r.rowCount).toBe(27);
    expect(r.rows).toHaveLength(27);
    expect(r.ignoredColumns).toEqual(['Notes']);
    expect(r.warnings).toEqual([
      { file: 'hospital-export.csv', line: 1, field: 'Notes', reason: expect.stringMatching(/not used/) },
    ]);
    expect(r.columns[0]).toEqual({ header: 'Asset Tag', column: 'asset_tag' });
    const byTag = new Map(r.rows.map((x) => [x.attrs.assetTag, x]));
    expect(byTag.get('BME-10001')!.line).toBe(2);
    expect(byTag.get('BME-30001')!.line).toBe(15);
    expect(byTag.get('BME-30002')!.line).toBe(17);
    expect(byTag.get('BME-10004')!.line).toBe(29);
    expect(byTag.get('BME-10010')!.attrs).toMatchObject({
      manufacturer: 'Becton, Dickinson and Company (BD)',
      model: 'Alaris Gateway Workstation',
      deviceClass: 'infusion-pump',
      macs: ['00:1b:5a:10:00:10', '00:1b:5a:10:00:11'],
      ips: ['10.20.30.5', '10.20.30.6'],
      hostnames: ['alaris-gw-01'],
      criticality: 'life-supporting',
      ephi: true,
      lifecycleStatus: 'Active',
    });
    expect(byTag.get('BME-10003')!.attrs).toMatchObject({
      macs: ['00:1b:5a:10:00:03'],
      lifecycleStatus: 'In-Repair',
      ephi: false,
    });
    expect(byTag.get('BME-50001')!.attrs).toMatchObject({
      department: 'Cardiology, Cath Lab',
      deviceClass: 'implantable-programmer',
      criticality: 'therapeutic-non-critical',
    });
    expect(byTag.get('BME-50002')!.attrs.deviceClass).toBe('implantable-remote-monitor');
    expect(byTag.get('BME-30004')!.attrs.deviceClass).toBe('imaging-nm');
    expect(byTag.get('BME-09002')!.attrs).not.toHaveProperty('macs');
  });

  it('reports every bad row with file, line, field and reason', async () => {
    const r = await parseCmmsCsv(readFileSync(fixture('bad-rows.csv')), { file: 'bad-rows.csv' });
    expect(r.rows.map((x) => x.line)).toEqual([2, 10]);
    expect(r.rowCount).toBe(9);
    expect(r.rejectedLines).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(r.issues).toEqual([
      { file: 'bad-rows.csv', line: 3, field: 'mac', reason: '"00:1b:5a:00:00:0Z" is not a MAC address' },
      { file: 'bad-rows.csv', line: 4, field: 'ip', reason: '"10.1.0.300" is not an IP address' },
      {
        file: 'bad-rows.csv',
        line: 5,
        field: 'device_class',
        reason: 'ambiguous device class "PET/CT": could be imaging-ct or imaging-nm',
      },
      {
        file: 'bad-rows.csv',
        line: 6,
        field: 'criticality',
        reason: expect.stringMatching(/^unknown criticality "High"/),
      },
      { file: 'bad-rows.csv', line: 6, field: 'ephi', reason: '"maybe" is not yes/no/true/false/1/0/y/n' },
      {
        file: 'bad-rows.csv',
        line: 7,
        reason: expect.stringMatching(/no asset_tag, serial_number, udi or mac/),
      },
      {
        file: 'bad-rows.csv',
        line: 8,
        field: 'asset_tag',
        reason: 'names the same device as line 2 (duplicate asset_tag)',
      },
      { file: 'bad-rows.csv', line: 9, reason: 'has 12 fields, the header has 11' },
    ]);
  });

  it('reports a quote that never closes at the line it opens, and what could not be read', async () => {
    const r = await parseCmmsCsv(readFileSync(fixture('unclosed-quote.csv'), 'utf8'), {
      file: 'unclosed-quote.csv',
    });
    expect(r.rows.map((x) => x.attrs.assetTag)).toEqual(['BME-1']);
    expect(r.issues).toEqual([
      {
        file: 'unclosed-quote.csv',
        line: 3,
        reason:
          'a quoted field starting on or after this line is never closed, so lines 3–5 could not be read',
      },
    ]);
    expect(r.rejectedLines).toEqual([3]);
  });

  it('reports a stray quote and keeps reading the next lines', async () => {
    const r = await parseCmmsCsv(readFileSync(fixture('stray-quote.csv'), 'utf8'), {
      file: 'stray-quote.csv',
    });
    expect(r.rows.map((x) => x.line)).toEqual([2, 4]);
    expect(r.issues).toEqual([
      {
        file: 'stray-quote.csv',
        line: 3,
        reason: expect.stringMatching(/^malformed CSV: Invalid Opening Quote/),
      },
    ]);
  });

  it('refuses a capture or a compressed export given as the CSV without echoing its bytes', async () => {
    const pcap = readFileSync(new URL('../../test/fixtures/captures/01-dhcp-dns-mdns.pcap', import.meta.url));
    const gzipped = gzipSync(readFileSync(fixture('hospital-export.csv')));
    for (const [file, bytes] of [
      ['01-dhcp-dns-mdns.pcap', pcap],
      ['hospital-export.csv.gz', gzipped],
    ] as const) {
      const r = await parseCmmsCsv(bytes, { file });
      expect(r.fatal).toBe(true);
      expect(r.rows).toEqual([]);
      expect(r.issues).toEqual([
        {
          file,
          line: 1,
          reason: expect.stringMatching(/^not a CSV text file: the header row holds binary data/),
        },
      ]);
      // Nothing of the file's own bytes reaches the message: no control characters for a terminal.
      expect(escapeControl(r.issues[0]!.reason)).toBe(r.issues[0]!.reason);
    }
  });

  it('maps another CMMS layout with a mapping file (lines or JSON)', async () => {
    for (const mapFile of ['biomed-equipment-list.map', 'biomed-equipment-list.map.json']) {
      const m = parseMappingFile(readFileSync(fixture(mapFile), 'utf8'), mapFile);
      expect(m.issues).toEqual([]);
      const r = await parseCmmsCsv(readFileSync(fixture('biomed-equipment-list.csv')), {
        file: 'list.csv',
        mapping: m.mapping,
      });
      expect(r.issues).toEqual([]);
      expect(r.warnings).toEqual([]);
      expect(r.ignoredColumns).toEqual(['Last PM']);
      expect(r.rows.map((x) => x.attrs)).toEqual([
        expect.objectContaining({
          assetTag: 'E-0001',
          serialNumber: '11223344',
          manufacturer: 'BD',
          model: 'Alaris PC Unit 8015',
          deviceClass: 'infusion-pump',
          macs: ['00:1b:5a:aa:00:01'],
        }),
        expect.objectContaining({
          assetTag: 'E-0002',
          deviceClass: 'patient-monitor',
          criticality: 'life-supporting',
        }),
        expect.objectContaining({
          assetTag: 'E-0003',
          deviceClass: 'imaging-us',
          site: 'North Clinic',
          department: 'Cardiology',
        }),
      ]);
    }
  });
});

describe('headers and mappings', () => {
  it('compares headers ignoring case, spaces, underscores and dashes', () => {
    expect(headerKey(' Serial_Number ')).toBe('serialnumber');
    expect(headerKey('serial-number')).toBe('serialnumber');
    expect(headerKey('SERIAL NUMBER')).toBe('serialnumber');
  });

  it('parses --map entries and refuses bad ones', () => {
    const { mapping, issues } = parseHeaderMapping([
      'Asset #=asset_tag',
      'a=b=serial number',
      'Notes=-',
      'x=colour',
      'nonsense',
    ]);
    expect([...mapping]).toEqual([
      ['Asset #', 'asset_tag'],
      ['a=b', 'serial_number'],
      ['Notes', null],
    ]);
    expect(issues).toEqual([
      { field: '--map x=colour', reason: expect.stringMatching(/"colour" is not a column/) },
      { field: '--map nonsense', reason: '"nonsense" is not HEADER=column' },
    ]);
    expect(parseMappingFile('{"a": 1}', 'm.json').issues).toEqual([
      { file: 'm.json', reason: expect.stringMatching(/JSON object/) },
    ]);
    expect(parseMappingFile('# c\n\nA=asset_tag\nB=nope\n', 'm.map').issues).toEqual([
      { file: 'm.map', line: 4, reason: expect.stringMatching(/"nope"/) },
    ]);
  });

  it('refuses files it cannot use at all, with a reason', async () => {
    const fatal = async (text: string, mapping?: string[]) => {
      const r = await parseCmmsCsv(text, {
        file: 'f.csv',
        ...(mapping ? { mapping: parseHeaderMapping(mapping).mapping } : {}),
      });
      expect(r.fatal).toBe(true);
      expect(r.rows).toEqual([]);
      return r.issues.map((i) => i.reason);
    };
    expect(await fatal('')).toEqual(['the file is empty (no header row)']);
    expect(await fatal('Manufacturer,Model\nBaxter,Sigma\n')).toEqual([
      expect.stringMatching(/no column gives an asset_tag/),
    ]);
    expect(await fatal('asset_tag;mac\nA;00:1b:5a:00:00:01\n')).toEqual([
      expect.stringMatching(/Vigil reads comma-separated files/),
    ]);
    expect(await fatal('Asset Tag,asset_tag\nA,B\n')).toEqual([
      'both "Asset Tag" and "asset_tag" map to asset_tag',
    ]);
    expect(await fatal('asset_tag\nA\n', ['Tag No=asset_tag'])).toEqual([
      // Quoted as the person wrote it, not as Vigil compares it ("tagno").
      'the mapping names a column "Tag No" that the file does not have',
    ]);
  });

  it('treats placeholders as empty, skips blank rows, and reports text that is not UTF-8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('asset_tag,department,firmware_version\nA-1,n/a,-\n,,\n\nA-2,'),
      Buffer.from([0x49, 0x43, 0xdc]), // "IC" + a Latin-1 byte: not UTF-8
      Buffer.from(',1.0\n'),
    ]);
    const r = await parseCmmsCsv(bytes, { file: 'f.csv' });
    expect(r.rows.map((x) => x.attrs)).toEqual([{ assetTag: 'A-1' }]);
    expect(r.rowCount).toBe(2);
    expect(r.issues).toEqual([
      {
        file: 'f.csv',
        line: 5,
        field: 'department',
        reason: 'is not valid UTF-8 text (byte 0xDC at offset 6 of the line; save the export as UTF-8)',
      },
    ]);
  });
});

describe('bytes that are not UTF-8 against a real U+FFFD (hospital-export.csv: BOM, CRLF, a two-line note)', () => {
  const real = readFileSync(fixture('hospital-export.csv'));
  /** The export with `from` on the line starting with `tag` replaced by `to` (bytes). */
  const edit = (bytes: Buffer, tag: string, from: string, to: Buffer) => {
    const row = bytes.indexOf(`\r\n${tag},`) + 2;
    const at = bytes.indexOf(from, row);
    return {
      bytes: Buffer.concat([bytes.subarray(0, at), to, bytes.subarray(at + from.length)]),
      offset: at - row,
    };
  };
  /** Read in 7-byte chunks, so characters and CRLFs are cut between chunks. */
  const parse = (bytes: Buffer) =>
    parseCmmsCsv(
      (function* () {
        for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
      })(),
      { file: 'export.csv' },
    );

  it('imports a U+FFFD the export really holds (EF BF BD), as it is', async () => {
    // An export that had already replaced the "ü" of "Zürich" it could not write.
    const { bytes } = edit(real, 'BME-30002', 'Imaging', Buffer.from('Z\uFFFDrich Imaging'));
    const r = await parse(bytes);
    expect(r.issues).toEqual([]);
    expect(r.rows).toHaveLength(27);
    expect(r.rows.find((x) => x.attrs.assetTag === 'BME-30002')!.attrs.building).toBe('Z\uFFFDrich Imaging');
  });

  it('refuses a row holding a Windows-1252 byte by its line and offset, and keeps the others', async () => {
    // "Zürich" saved as Windows-1252 (ü is 0xFC) in the row after the two-line note (lines 15-16).
    const { bytes, offset } = edit(real, 'BME-30002', 'Imaging', Buffer.from('Zürich Imaging', 'latin1'));
    const r = await parse(bytes);
    expect(r.issues).toEqual([
      {
        file: 'export.csv',
        line: 17,
        field: 'Building',
        reason: `is not valid UTF-8 text (byte 0xFC at offset ${offset + 1} of the line; save the export as UTF-8)`,
      },
    ]);
    expect(r.rows).toHaveLength(26);
    expect(r.rows.some((x) => x.attrs.assetTag === 'BME-30002')).toBe(false);
  });

  it('finds the bad byte on the second line of a record, and ignores one in a column it does not read', async () => {
    // "Café" in Windows-1252 (é is 0xE9) on the second line of BME-30001's note: Notes is not read, the
    // row stays, as it did.
    const inNote = edit(real, 'BME-30001', 'VPN only', Buffer.from('VPN Café', 'latin1'));
    expect((await parse(inNote.bytes)).issues).toEqual([]);
    // BME-30002's model quoted over two lines (17-18), the second holding "Café" in Windows-1252.
    const { bytes } = edit(
      real,
      'BME-30002',
      'Brilliance iCT',
      Buffer.from('"Brilliance\r\niCT Café"', 'latin1'),
    );
    const r = await parse(bytes);
    expect(r.issues).toEqual([
      {
        file: 'export.csv',
        line: 18,
        field: 'Model',
        reason: 'is not valid UTF-8 text (byte 0xE9 at offset 7 of the line; save the export as UTF-8)',
      },
    ]);
    expect(r.rows).toHaveLength(26);
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties

/** An RFC 4180 writer with the choices real exporters make differently. */
function toCsv(rows: string[][], style: { crlf: boolean; quoteAll: boolean }): string {
  const nl = style.crlf ? '\r\n' : '\n';
  const cell = (v: string) =>
    style.quoteAll || /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replaceAll('"', '""')}"` : v;
  return rows.map((r) => r.map(cell).join(',')).join(nl) + nl;
}

const cellChars = fc.constantFrom(
  'a',
  'Z',
  '7',
  ' ',
  ',',
  '"',
  '\n',
  '\r\n',
  ';',
  'é',
  '漢',
  '😀',
  '-',
  '.',
  '\t',
);
const cellText = fc.string({ unit: cellChars, maxLength: 12 });

/** Splits bytes at arbitrary points, including inside CRLF pairs and multi-byte characters. */
const chunked = (buf: Buffer, cuts: number[]) => {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    parts.push(buf.subarray(at, p));
    at = p;
  }
  parts.push(buf.subarray(at));
  return parts;
};

describe('parseCmmsCsv properties', () => {
  it('round-trips any values, quoting, line endings, BOM and chunking, with correct line numbers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(cellText, cellText, cellText), { minLength: 1, maxLength: 8 }),
        fc.record({ crlf: fc.boolean(), quoteAll: fc.boolean(), bom: fc.boolean() }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (values, style, cuts) => {
          const rows = values.map(([a, b, c], i) => [`T-${i}${a}`, b, c]);
          const text = toCsv([['Asset Tag', 'Department', 'Owner'], ...rows], style);
          const buf = Buffer.from((style.bom ? '\uFEFF' : '') + text, 'utf8');
          const r = await parseCmmsCsv(chunked(buf, cuts), { file: 'p.csv' });
          // Only rows whose asset tag does not also collide after cleaning can be compared one to one.
          const nl = /\r\n|\n|\r/g;
          let line = 2;
          const expected = rows.map((row) => {
            const at = line;
            line += toCsv([row], style).match(nl)!.length;
            return {
              line: at,
              assetTag: cleanText(row[0]!),
              department: cleanText(row[1]!),
              owner: cleanText(row[2]!),
            };
          });
          const ph = (v: string | null) =>
            v && ['-', 'n/a', 'na', '#n/a', 'null'].includes(v.toLowerCase()) ? null : v;
          const keysSeen = new Set<string>();
          const want = expected.filter((e) => {
            const k = e.assetTag!.toLowerCase();
            if (keysSeen.has(k)) return false;
            keysSeen.add(k);
            return true;
          });
          expect(r.issues.filter((i) => !/names the same device/.test(i.reason))).toEqual([]);
          expect(
            r.rows.map((x) => ({
              line: x.line,
              assetTag: x.attrs.assetTag ?? null,
              department: x.attrs.department ?? null,
              owner: x.attrs.owner ?? null,
            })),
          ).toEqual(want.map((e) => ({ ...e, department: ph(e.department), owner: ph(e.owner) })));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes, and every issue points inside the file', async () => {
    const garbage = fc.string({
      unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', ';', '0', ':', 'asset_tag', 'mac', '\uFEFF'),
      maxLength: 80,
    });
    await fc.assert(
      fc.asyncProperty(garbage, async (text) => {
        const r = await parseCmmsCsv(text, { file: 'g.csv' });
        const lines = text.split(/\r\n|\n|\r/).length;
        for (const i of r.issues) {
          if (i.line === undefined) continue;
          expect(i.line).toBeGreaterThanOrEqual(1);
          expect(i.line).toBeLessThanOrEqual(lines + 1);
        }
        for (const row of r.rows) expect(row.line).toBeLessThanOrEqual(lines);
        expect(r.rows.length + r.rejectedLines.length).toBeLessThanOrEqual(
          Math.max(r.rowCount, 0) + r.issues.length,
        );
      }),
      { numRuns: 500 },
    );
  });
});
